//! `crm automation`: the shop's automation rules — list them, add the built-in ones, switch
//! them on and off. Every change is a command, so it is checked (admin or head of sales) and
//! kept in the log.

use std::process::ExitCode;

use crm::domain::automation::{builtin, AutomationCommand, AutomationRuleDefined, RuleAction};
use crm::ids::RuleId;

use super::Failure;
use crate::session::{find, Global, Session};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: AutomationArgs,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Builtin {
    /// A satisfaction survey by email 24 hours after delivery.
    Survey,
    /// A birthday greeting by email, `--days` before (default 7).
    Birthday,
    /// A call for the owner when a customer went quiet.
    Reactivation,
    /// A payment reminder by email `--days` after an unpaid order (default 3).
    Unpaid,
    /// The week's sales report to `--to`, Mondays 09:00 Madrid time.
    WeeklyReport,
}

#[derive(Debug, clap::Subcommand)]
enum AutomationArgs {
    /// Every rule: on or off, what sets it off, the delay, what it does.
    List,
    /// Define one of the built-in rules (switched off until `enable`).
    Add {
        /// Which one.
        #[arg(value_enum)]
        rule: Builtin,
        /// Days, for `birthday` and `unpaid`.
        #[arg(long)]
        days: Option<u16>,
        /// Who receives `weekly-report` (a name, email or user id).
        #[arg(long)]
        to: Option<String>,
    },
    /// Switch a rule on.
    Enable {
        /// The rule: its name or its id.
        rule: String,
    },
    /// Switch a rule off.
    Disable {
        /// The rule: its name or its id.
        rule: String,
    },
}

pub async fn run(global: &Global, args: Args) -> Result<ExitCode, Failure> {
    let session = Session::open(global).await?;
    let crm = &session.crm;
    let command = match args.command {
        AutomationArgs::List => {
            let reader = session.reader().await?;
            let rules = reader.views().automations.rules();
            if rules.is_empty() {
                say!("no automation rules (`crm automation add survey` defines one)");
            }
            for rule in rules {
                let d = &rule.definition;
                let state = if rule.enabled { "on " } else { "off" };
                let (amount, unit) = match d.delay_minutes {
                    m if m % (24 * 60) == 0 => (m / (24 * 60), "day"),
                    m if m % 60 == 0 => (m / 60, "hour"),
                    m => (m, "minute"),
                };
                let delay = match amount {
                    0 => String::new(),
                    1 => format!(", 1 {unit} later"),
                    n => format!(", {n} {unit}s later"),
                };
                let action = match &d.action {
                    RuleAction::Report { family, to } => {
                        let names = reader.views().names([*to]);
                        let to = names
                            .get(to)
                            .cloned()
                            .unwrap_or_else(|| format!("user {to}"));
                        format!("the {family} report to {to}")
                    }
                    other => other.to_string(),
                };
                say!("{state}  {}  ({})", d.name, d.rule_id);
                say!("       when {}{delay}: {action}", d.trigger);
            }
            return Ok(ExitCode::SUCCESS);
        }
        AutomationArgs::Add { rule, days, to } => {
            let definition: AutomationRuleDefined = match rule {
                Builtin::Survey => builtin::survey_after_delivery(),
                Builtin::Birthday => builtin::birthday_greeting(days.unwrap_or(7)),
                Builtin::Reactivation => builtin::reactivation(),
                Builtin::Unpaid => builtin::unpaid_reminder(days.unwrap_or(3)),
                Builtin::WeeklyReport => {
                    let to = to.ok_or("weekly-report needs --to USER: who receives it")?;
                    let user = crm.query_unfiltered(|v| find(v.directory.users(), &to))?;
                    builtin::weekly_sales_report(user.user_id)
                }
            };
            AutomationCommand::Define(definition)
        }
        AutomationArgs::Enable { rule } => AutomationCommand::Enable {
            rule_id: rule_named(&session, &rule)?,
        },
        AutomationArgs::Disable { rule } => AutomationCommand::Disable {
            rule_id: rule_named(&session, &rule)?,
        },
    };
    let rule_id = command.rule_id();
    let executed = crm.execute(&session.actor, command).await?;
    let name = crm
        .query_unfiltered(|v| {
            v.automations
                .rule(rule_id)
                .map(|r| r.definition.name.clone())
        })
        .unwrap_or_default();
    if executed.wrote() {
        say!("{name}: done");
    } else {
        say!("{name}: nothing to change");
    }
    Ok(ExitCode::SUCCESS)
}

/// The rule `wanted` names: its id, or its name (any case).
fn rule_named(session: &Session, wanted: &str) -> Result<RuleId, Failure> {
    let wanted_lower = wanted.trim().to_lowercase();
    let found: Vec<RuleId> = session.crm.query_unfiltered(|v| {
        v.automations
            .rules()
            .into_iter()
            .map(|r| &r.definition)
            .filter(|d| {
                d.rule_id.to_string() == wanted_lower || d.name.to_lowercase() == wanted_lower
            })
            .map(|d| d.rule_id)
            .collect()
    });
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(format!("no rule named {wanted:?} (`crm automation list` shows them)").into()),
        _ => Err(format!("several rules are named {wanted:?}: give its id").into()),
    }
}
