//! When the calendar makes a rule's message or task due: a weekly rule's local time across
//! daylight saving, birthdays, unpaid orders, lapsed customers.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

use super::CATCH_UP_DAYS;
use crate::domain::automation::{RuleAction, Trigger};
use crate::domain::message::{Cause, MessageScheduled, Recipient};
use crate::domain::task::ScheduleTask;
use crate::ids::{CustomerId, MessageId, TaskId};
use crate::projection::{RuleView, Views};

/// The instant of `time` local to `zone` on `day`: the earlier of two in a fall-back overlap,
/// the first instant after a spring-forward gap.
fn local_instant(zone: Tz, day: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    let mut local = day.and_time(time);
    // A gap is at most a few hours: step forward a minute at a time until it exists.
    for _ in 0..(24 * 60) {
        match zone.from_local_datetime(&local) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => {
                return Some(t.with_timezone(&Utc))
            }
            LocalResult::None => local += Duration::minutes(1),
        }
    }
    None
}

/// The occurrences of a weekly rule in `(from, to]`: each one's local date and instant.
fn weekly(
    weekday: Weekday,
    time: NaiveTime,
    zone: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<(NaiveDate, DateTime<Utc>)> {
    let mut out = Vec::new();
    let mut day = from.with_timezone(&zone).date_naive() - Duration::days(1);
    let last = to.with_timezone(&zone).date_naive() + Duration::days(1);
    while day <= last {
        if day.weekday() == weekday {
            if let Some(at) = local_instant(zone, day, time) {
                if at > from && at <= to {
                    out.push((day, at));
                }
            }
        }
        day += Duration::days(1);
    }
    out
}

/// `rule`'s message to `to` for `cause`, set off at `at` (its delay still to add).
fn message(
    rule: &RuleView,
    message_id: MessageId,
    to: Recipient,
    at: DateTime<Utc>,
    cause: Cause,
) -> Option<MessageScheduled> {
    let d = &rule.definition;
    MessageScheduled::for_rule(d, message_id, to, d.due_after(at)?, cause)
}

/// `rule`'s message to `customer` for the date `day` on their card, set off at `at`.
fn on_date(
    rule: &RuleView,
    customer: CustomerId,
    day: NaiveDate,
    at: DateTime<Utc>,
) -> Option<MessageScheduled> {
    let message_id = MessageId::of_date(rule.definition.rule_id, customer, day);
    message(
        rule,
        message_id,
        Recipient::Customer(customer),
        at,
        Cause::Date(day),
    )
}

/// When each customer silent for `silence_percent` % of their usual gap fell silent that long:
/// the customer, their last order and that instant.
fn lapses(
    views: &Views,
    silence_percent: u32,
    now: DateTime<Utc>,
) -> Vec<(CustomerId, DateTime<Utc>, DateTime<Utc>)> {
    let k = f64::from(silence_percent) / 100.0;
    views
        .lapsed(k, now)
        .into_iter()
        .filter_map(|lapsed| {
            let last = views.summary(lapsed.customer).last_order?;
            // Whole seconds of a span under ten years: no precision is lost that matters.
            let at = last + Duration::seconds((k * lapsed.average_gap_days * 86_400.0) as i64);
            Some((lapsed.customer, last, at))
        })
        .collect()
}

/// The day of a birthday in `year`: 28 February for 29 February in a common year.
fn birthday_in(year: i32, birthday: NaiveDate) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, birthday.month(), birthday.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, 2, 28))
}

/// The messages the calendar makes due by `now` for `rule` (see the module docs): a weekly
/// rule's occurrences, the birthdays ahead, the orders left unpaid.
pub(super) fn occurrences(
    rule: &RuleView,
    views: &Views,
    zone: Tz,
    now: DateTime<Utc>,
) -> Vec<MessageScheduled> {
    let d = &rule.definition;
    let from = rule.since.max(now - Duration::days(CATCH_UP_DAYS));
    let within = |due: &MessageScheduled| due.due > from && due.due <= now;
    let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default();
    let found: Vec<MessageScheduled> = match &d.trigger {
        Trigger::Weekly {
            weekday,
            time,
            zone,
        } => {
            let RuleAction::Report { to, .. } = &d.action else {
                return Vec::new();
            };
            weekly(*weekday, *time, *zone, from, now)
                .into_iter()
                .filter_map(|(day, at)| {
                    let id = MessageId::of_week(d.rule_id, day);
                    message(rule, id, Recipient::User(*to), at, Cause::Week(day))
                })
                .collect()
        }
        Trigger::Birthday { days_before } => {
            let year = now.with_timezone(&zone).year();
            views
                .cards
                .active_contacts()
                .filter(|(_, card)| card.erased.is_none())
                .filter_map(|(id, card)| Some((id, card.personal.birthday?)))
                .flat_map(|(id, birthday)| {
                    (year - 1..=year + 1).filter_map(move |y| {
                        let day =
                            birthday_in(y, birthday)? - Duration::days(i64::from(*days_before));
                        Some((id, day))
                    })
                })
                .filter_map(|(id, day)| {
                    let at = local_instant(zone, day, nine)?;
                    on_date(rule, CustomerId::Contact(id), day, at)
                })
                .collect()
        }
        Trigger::Unpaid { after_days } => views
            .activity
            .orders()
            .filter(|o| o.cancelled_at.is_none() && o.paid_in_full_at().is_none())
            .filter_map(|o| {
                let at = o
                    .placed_at
                    .checked_add_signed(Duration::days(i64::from(*after_days)))?;
                let message_id = MessageId::of_order(d.rule_id, o.order_id);
                let to = Recipient::Customer(o.customer);
                message(rule, message_id, to, at, Cause::Order(o.order_id))
            })
            .collect(),
        Trigger::Lapsed { silence_percent } => lapses(views, *silence_percent, now)
            .into_iter()
            .filter_map(|(customer, last, at)| on_date(rule, customer, last.date_naive(), at))
            .collect(),
        Trigger::OrderDelivered => Vec::new(),
    };
    found.into_iter().filter(within).collect()
}

/// The owner tasks the lapsed trigger makes due by `now`: one per customer and silence (the
/// id derives from the rule, the customer and their last order's date), for owned customers.
pub(super) fn lapsed_tasks(
    rule: &RuleView,
    views: &Views,
    now: DateTime<Utc>,
) -> Vec<ScheduleTask> {
    let d = &rule.definition;
    let (Trigger::Lapsed { silence_percent }, RuleAction::Task { .. }) = (&d.trigger, &d.action)
    else {
        return Vec::new();
    };
    let from = rule.since.max(now - Duration::days(CATCH_UP_DAYS));
    lapses(views, *silence_percent, now)
        .into_iter()
        .filter_map(|(customer, last, at)| {
            let assignee = views.cards.owner(views.cards.survivor(customer))?;
            let due = d.due_after(at)?;
            if due <= from || due > now {
                return None;
            }
            let key = format!("{customer} {}", last.date_naive());
            let task_id =
                TaskId::from_uuid(uuid::Uuid::new_v5(d.rule_id.as_uuid(), key.as_bytes()));
            d.owner_task(task_id, customer, assignee, due)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.to_utc())
            .unwrap_or_default()
    }

    #[test]
    fn a_weekly_rule_keeps_its_local_time_across_daylight_saving() {
        let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default();
        let madrid = chrono_tz::Europe::Madrid;
        // Spain moves to summer time on Sunday 29 March 2026.
        let found = weekly(
            Weekday::Mon,
            nine,
            madrid,
            utc("2026-03-16T00:00:00Z"),
            utc("2026-04-07T00:00:00Z"),
        );
        let instants: Vec<String> = found.iter().map(|(_, at)| at.to_rfc3339()).collect();
        assert_eq!(
            instants,
            [
                "2026-03-16T08:00:00+00:00",
                "2026-03-23T08:00:00+00:00",
                "2026-03-30T07:00:00+00:00",
                "2026-04-06T07:00:00+00:00",
            ]
        );
    }

    #[test]
    fn a_time_inside_the_spring_gap_is_the_first_instant_after_it() {
        let madrid = chrono_tz::Europe::Madrid;
        let gap = NaiveTime::from_hms_opt(2, 30, 0).unwrap_or_default();
        let day = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap_or_default();
        assert_eq!(
            local_instant(madrid, day, gap).map(|t| t.to_rfc3339()),
            Some("2026-03-29T01:00:00+00:00".to_owned()),
            "03:00 CEST, the first local time after the gap"
        );
    }
}
