use super::*;
use crate::testing::given;

fn survey() -> AutomationRuleDefined {
    builtin::survey_after_delivery()
}

fn rule_id() -> RuleId {
    survey().rule_id
}

#[test]
fn a_rule_is_defined_once_and_redefined_only_when_it_changes() {
    given::<AutomationRule>([])
        .when(AutomationCommand::Define(survey()))
        .then_events([survey().into()]);
    given::<AutomationRule>([survey().into()])
        .when(AutomationCommand::Define(survey()))
        .then_nothing();
    let later = AutomationRuleDefined {
        delay_minutes: 48 * 60,
        ..survey()
    };
    given::<AutomationRule>([survey().into()])
        .when(AutomationCommand::Define(later.clone()))
        .then_events([later.into()]);
}

#[test]
fn a_defined_rule_starts_off_and_is_switched_on_and_off_once() {
    let on: Event = AutomationRuleEnabled { rule_id: rule_id() }.into();
    let off: Event = AutomationRuleDisabled { rule_id: rule_id() }.into();
    let defined = given::<AutomationRule>([survey().into()]);
    assert!(!defined.state().enabled);
    given::<AutomationRule>([survey().into()])
        .when(AutomationCommand::Enable { rule_id: rule_id() })
        .then_events([on.clone()]);
    given::<AutomationRule>([survey().into(), on.clone()])
        .when(AutomationCommand::Enable { rule_id: rule_id() })
        .then_nothing();
    given::<AutomationRule>([survey().into(), on.clone()])
        .when(AutomationCommand::Disable { rule_id: rule_id() })
        .then_events([off.clone()]);
    given::<AutomationRule>([survey().into(), on, off])
        .when(AutomationCommand::Disable { rule_id: rule_id() })
        .then_nothing();
    // Redefining keeps it as it was: on stays on.
    let on_again = given::<AutomationRule>([
        survey().into(),
        AutomationRuleEnabled { rule_id: rule_id() }.into(),
        builtin::birthday_greeting(3).into(),
    ]);
    assert!(on_again.state().enabled);
}

#[test]
fn an_undefined_rule_cannot_be_switched() {
    given::<AutomationRule>([])
        .when(AutomationCommand::Enable { rule_id: rule_id() })
        .then_error_text(&format!("automation rule {} does not exist", rule_id()));
}

#[test]
fn every_builtin_rule_passes_the_door_check() {
    let head = crate::ids::UserId::from_uuid(uuid::Uuid::from_u128(1));
    let rules = builtin::all(head);
    let ids: std::collections::BTreeSet<_> = rules.iter().map(|r| r.rule_id).collect();
    assert_eq!(ids.len(), rules.len(), "each built-in rule has its own id");
    for rule in rules {
        let stream = rule.rule_id.into();
        let event: Event = rule.into();
        let at = chrono::DateTime::from_timestamp(1_780_000_000, 0).unwrap_or_default();
        assert_eq!(
            crate::validate::check(&stream, at, &event),
            Ok(()),
            "{event:?}"
        );
    }
}

#[test]
fn out_of_bounds_rules_are_refused_at_the_door() {
    let at = chrono::DateTime::from_timestamp(1_780_000_000, 0).unwrap_or_default();
    let check = |rule: AutomationRuleDefined| {
        let stream = rule.rule_id.into();
        crate::validate::check(&stream, at, &rule.into()).map_err(|e| e.to_string())
    };
    let too_late = AutomationRuleDefined {
        delay_minutes: crate::validate::MAX_RULE_DELAY_MINUTES + 1,
        ..survey()
    };
    assert!(check(too_late).is_err_and(|e| e.contains("delay_minutes")));
    let nameless = AutomationRuleDefined {
        name: "  ".into(),
        ..survey()
    };
    assert!(check(nameless).is_err_and(|e| e.contains("name")));
    assert!(check(builtin::unpaid_reminder(0)).is_err_and(|e| e.contains("after_days")));
    assert!(check(builtin::birthday_greeting(400)).is_err_and(|e| e.contains("days_before")));
    let no_template = AutomationRuleDefined {
        action: RuleAction::Message {
            channel: MessageChannel::Sms,
            template: String::new(),
            marketing: true,
        },
        ..survey()
    };
    assert!(check(no_template).is_err_and(|e| e.contains("template")));
}
