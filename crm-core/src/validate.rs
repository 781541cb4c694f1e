//! What every event must satisfy, wherever it comes from: the one check that commands, the
//! JSONL import and the stores all apply, so the rules a decider enforces and the rules an
//! imported line meets can never drift apart.
//!
//! These are the structural rules — an event belongs to its stream, amounts and quantities
//! are in range and of the right sign, an order is in one ISO currency and its total adds
//! up, dates are real and within [`EARLIEST`]..[`LATEST`]. Rules that need the aggregate's
//! state (a payment never over what is outstanding) stay in the deciders.
//!
//! The bounds are far above anything a shop produces and far below what would overflow a
//! sum: a report adding up a million orders of [`MAX_MINOR`] each still fits in an `i64`.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use crate::domain::order::terms::{OrderLine, PlaceOrder};
use crate::domain::pipeline::StageDefinition;
use crate::domain::DomainError;
use crate::event::Event;
use crate::ids::{AggregateId, Category, CustomerId, StreamId};
use crate::money::Money;
use uuid::Uuid;

/// The largest amount, in minor units, of any one price, payment or total: 10¹³ (a hundred
/// billion euros).
pub const MAX_MINOR: i64 = 10_000_000_000_000;
/// The most units of one product in one order line or return.
pub const MAX_QUANTITY: u32 = 1_000_000;
/// The most lines in one order.
pub const MAX_LINES: usize = 10_000;
/// The longest delay of a stage's next action: ten years.
pub const MAX_DUE_IN_HOURS: u32 = 24 * 366 * 10;
/// The longest interaction: one week.
pub const MAX_DURATION_SECONDS: u32 = 7 * 24 * 3600;
/// The earliest year of any date or time: no shop's history starts before it.
pub const EARLIEST: i32 = 1900;
/// The latest year of any date or time.
pub const LATEST: i32 = 2200;

/// The stream an event belongs to: its aggregate's.
pub fn stream_of(event: &Event) -> StreamId {
    let (category, id) = aggregate_of(event);
    StreamId::of(category, id)
}

/// The kind and id of the aggregate an event belongs to.
pub fn aggregate_of(event: &Event) -> (Category, Uuid) {
    use Event::*;
    match event {
        ContactCreated(e) => of(e.contact_id),
        ContactPersonalDataChanged(e) => of(e.contact_id),
        ContactTagsChanged(e) => of(e.contact_id),
        ContactCustomFieldsChanged(e) => of(e.contact_id),
        ContactOwnerAssigned(e) => of(e.contact_id),
        ContactLinkedToCompany(e) => of(e.contact_id),
        ContactUnlinkedFromCompany(e) => of(e.contact_id),
        MarketingConsentGranted(e) => of(e.contact_id),
        MarketingConsentWithdrawn(e) => of(e.contact_id),
        ContactMerged(e) => of(e.contact_id),
        ContactSourceRecorded(e) => of(e.contact_id),
        ContactErased(e) => of(e.contact_id),
        LeadConverted(e) => of(e.contact_id),
        DocumentAttached(e) => match e.customer {
            CustomerId::Contact(id) => of(id),
            CustomerId::Company(id) => of(id),
        },
        CompanyCreated(e) => of(e.company_id),
        CompanyDetailsChanged(e) => of(e.company_id),
        CompanyTagsChanged(e) => of(e.company_id),
        CompanyOwnerAssigned(e) => of(e.company_id),
        PipelineDefined(e) => of(e.pipeline_id),
        PipelineStageAdded(e) => of(e.pipeline_id),
        PipelineStageRenamed(e) => of(e.pipeline_id),
        PipelineStagesReordered(e) => of(e.pipeline_id),
        PipelineStageRetired(e) => of(e.pipeline_id),
        DealOpened(e) => of(e.deal_id),
        DealStageChanged(e) => of(e.deal_id),
        DealAmountChanged(e) => of(e.deal_id),
        DealOwnerChanged(e) => of(e.deal_id),
        DealExpectedCloseChanged(e) => of(e.deal_id),
        DealWon(e) => of(e.deal_id),
        DealLost(e) => of(e.deal_id),
        DealReopened(e) => of(e.deal_id),
        TaskScheduled(e) => of(e.task_id),
        TaskReassigned(e) => of(e.task_id),
        TaskRescheduled(e) => of(e.task_id),
        TaskCompleted(e) => of(e.task_id),
        TaskCancelled(e) => of(e.task_id),
        OrderPlaced(e) => of(e.order.order_id),
        PaymentReceived(e) => of(e.order_id),
        RefundIssued(e) => of(e.order_id),
        OrderCheckPassed(e) => of(e.order_id),
        OrderPreparationStarted(e) => of(e.order_id),
        OrderShipped(e) => of(e.order_id),
        OrderDelivered(e) => of(e.order_id),
        OrderCancelled(e) => of(e.order_id),
        OrderReturned(e) => of(e.order_id),
        InteractionLogged(e) => of(e.interaction_id),
        FeedbackGiven(e) => of(e.feedback_id),
        CampaignCreated(e) => of(e.campaign_id),
        UserAdded(e) => of(e.user_id),
        UserRenamed(e) => of(e.user_id),
        UserRoleChanged(e) => of(e.user_id),
        UserMovedToTeam(e) => of(e.user_id),
        UserDeactivated(e) => of(e.user_id),
        UserReactivated(e) => of(e.user_id),
        TeamCreated(e) => of(e.team_id),
        TeamRenamed(e) => of(e.team_id),
        AutomationRuleDefined(e) => of(e.rule_id),
        AutomationRuleEnabled(e) => of(e.rule_id),
        AutomationRuleDisabled(e) => of(e.rule_id),
        MessageScheduled(e) => of(e.message_id),
        MessageQueued(e) => of(e.message_id),
        MessageSkipped(e) => of(e.message_id),
        MessageSent(e) => of(e.message_id),
        MessageFailed(e) => of(e.message_id),
        MessageBounced(e) => of(e.message_id),
        TemplateSaved(e) => of(e.template_id),
        RecordWithdrawn(e) => (e.stream.category(), e.stream.uuid()),
    }
}

fn of<T: AggregateId>(id: T) -> (Category, Uuid) {
    (T::CATEGORY, id.uuid())
}

/// Whether `stream` is `<category>-<id>`, compared without building the name.
fn is_stream_of(stream: &StreamId, category: Category, id: Uuid) -> bool {
    let mut buffer = Uuid::encode_buffer();
    let id = id.hyphenated().encode_lower(&mut buffer);
    stream
        .as_str()
        .strip_prefix(category.as_str())
        .and_then(|rest| rest.strip_prefix('-'))
        == Some(&*id)
}

/// Checks `event`, recorded at `occurred_at`, for a place in `stream`: the one door check.
pub fn check(
    stream: &StreamId,
    occurred_at: DateTime<Utc>,
    event: &Event,
) -> Result<(), DomainError> {
    let (category, id) = aggregate_of(event);
    if !is_stream_of(stream, category, id) {
        return Err(DomainError::WrongStream {
            event_type: event.type_name(),
            stream: stream.clone(),
            expected: StreamId::of(category, id),
        });
    }
    instant("occurred_at", occurred_at)?;
    validate(event)
}

/// The structural rules of one event's payload.
pub fn validate(event: &Event) -> Result<(), DomainError> {
    use Event::*;
    match event {
        ContactCreated(e) => optional_date(
            "personal.birthday",
            e.personal.get().and_then(|p| p.birthday),
        ),
        ContactPersonalDataChanged(e) => optional_date(
            "personal.birthday",
            e.personal.get().and_then(|p| p.birthday),
        ),
        PipelineDefined(e) => e.stages.iter().try_for_each(stage),
        PipelineStageAdded(e) => stage(&e.stage),
        DealOpened(e) => {
            probability("probability", e.probability)?;
            amount("amount", e.amount, Sign::NonNegative)?;
            date("expected_close", e.expected_close)
        }
        DealStageChanged(e) => {
            probability("probability", e.probability)?;
            amount("amount", e.amount, Sign::NonNegative)
        }
        DealAmountChanged(e) => amount("amount", e.amount, Sign::NonNegative),
        DealExpectedCloseChanged(e) => date("expected_close", e.expected_close),
        DealWon(e) => amount("amount", e.amount, Sign::NonNegative),
        DealLost(e) => amount("amount", e.amount, Sign::NonNegative),
        DealReopened(e) => probability("probability", e.probability),
        TaskScheduled(e) => instant("due", e.due),
        TaskRescheduled(e) => instant("due", e.due),
        OrderPlaced(e) => {
            let total = place_order(&e.order)?;
            if total != e.total {
                return Err(DomainError::OrderAmounts {
                    order_id: e.order.order_id,
                    reason: format!(
                        "its total is {}, but its lines and shipping add up to {total}",
                        e.total
                    ),
                });
            }
            Ok(())
        }
        PaymentReceived(e) => amount("amount", e.amount, Sign::Positive),
        RefundIssued(e) => amount("amount", e.amount, Sign::Positive),
        OrderShipped(e) => optional_date("estimated_delivery", e.estimated_delivery),
        OrderReturned(e) => e
            .lines
            .iter()
            .try_for_each(|line| quantity("lines.quantity", line.quantity)),
        InteractionLogged(e) => match e.duration_seconds {
            Some(seconds) if seconds > MAX_DURATION_SECONDS => Err(out_of_bounds(
                "duration_seconds",
                seconds,
                "an interaction lasts at most a week",
            )),
            _ => Ok(()),
        },
        FeedbackGiven(e) => e.score.check(),
        CampaignCreated(e) => {
            date("starts", e.starts)?;
            date("ends", e.ends)?;
            amount("cost", e.cost, Sign::NonNegative)?;
            if e.ends < e.starts {
                return Err(DomainError::CampaignPeriod {
                    starts: e.starts,
                    ends: e.ends,
                });
            }
            Ok(())
        }
        ContactErased(e) if e.reason.trim().is_empty() => Err(DomainError::EmptyReason {
            contact_id: e.contact_id,
        }),
        AutomationRuleDefined(e) => rule(e),
        MessageScheduled(e) => instant("due", e.due),
        MessageSent(e) => instant("at", e.at),
        MessageFailed(e) => {
            instant("at", e.at)?;
            if !(1..=crate::domain::message::MAX_ATTEMPTS).contains(&e.attempt) {
                return Err(out_of_bounds("attempt", e.attempt, "1 to 3"));
            }
            message_reason(&e.reason)
        }
        MessageBounced(e) => {
            instant("at", e.at)?;
            message_reason(&e.reason)
        }
        TemplateSaved(e) => crate::domain::template::render::check(e),
        RecordWithdrawn(e)
            if !crate::domain::withdrawal::WITHDRAWABLE.contains(&e.stream.category()) =>
        {
            Err(DomainError::NotWithdrawable {
                stream: e.stream.clone(),
            })
        }
        UserAdded(e) => grants(&e.role),
        UserRoleChanged(e) => grants(&e.role),
        _ => Ok(()),
    }
}

/// An integration's grants name real commands, or a log could grant what no rule knows.
pub(crate) fn grants(role: &crate::access::Role) -> Result<(), DomainError> {
    match role.unknown_grant() {
        Some(grant) => Err(DomainError::UnknownGrant {
            grant: grant.to_owned(),
        }),
        None => Ok(()),
    }
}

/// The longest reason a sender may report for a failure or a bounce.
pub const MAX_MESSAGE_REASON: usize = 1_000;

/// A failure's or bounce's reason, where it is in clear (a sealed one was checked when it
/// was sealed).
fn message_reason(reason: &crate::personal::Personal<String>) -> Result<(), DomainError> {
    match reason.get() {
        Some(r) if r.trim().is_empty() || r.chars().count() > MAX_MESSAGE_REASON => Err(
            out_of_bounds("reason", r.chars().count(), "1 to 1000 characters"),
        ),
        _ => Ok(()),
    }
}

/// The longest delay of an automation rule: one year.
pub const MAX_RULE_DELAY_MINUTES: u32 = 366 * 24 * 60;
/// The longest name of a rule, a template or a task title it makes.
pub const MAX_RULE_TEXT: usize = 200;

/// An automation rule's bounds: a name, a delay up to a year, days up to a year, a silence
/// between 100 % and 10 000 % of the usual gap, a template or title that is there.
fn rule(e: &crate::domain::automation::AutomationRuleDefined) -> Result<(), DomainError> {
    use crate::domain::automation::{RuleAction, Trigger};
    let text = |field: &'static str, value: &str| {
        if value.trim().is_empty() || value.chars().count() > MAX_RULE_TEXT {
            Err(out_of_bounds(field, value, "1 to 200 characters"))
        } else {
            Ok(())
        }
    };
    text("name", &e.name)?;
    if e.delay_minutes > MAX_RULE_DELAY_MINUTES {
        return Err(out_of_bounds(
            "delay_minutes",
            e.delay_minutes,
            "at most a year",
        ));
    }
    match &e.trigger {
        Trigger::Birthday { days_before } if *days_before > 366 => {
            return Err(out_of_bounds("days_before", days_before, "at most 366"))
        }
        Trigger::Unpaid { after_days } if *after_days == 0 || *after_days > 366 => {
            return Err(out_of_bounds("after_days", after_days, "1 to 366"))
        }
        Trigger::Lapsed { silence_percent } if !(100..=10_000).contains(silence_percent) => {
            return Err(out_of_bounds(
                "silence_percent",
                silence_percent,
                "100 to 10000",
            ))
        }
        _ => {}
    }
    match &e.action {
        RuleAction::Message { template, .. } => text("template", template),
        RuleAction::Task { title, .. } => text("title", title),
        RuleAction::Report { .. } => Ok(()),
    }
}

/// The rules an event meets given its stream's first event: an order's payments and refunds
/// in the order's currency, a deal's amounts in the deal's. The deciders apply the same
/// functions ([`order_currency`], [`deal_currency`]) to the state they hold.
pub fn check_in_stream(first: &Event, event: &Event) -> Result<(), DomainError> {
    match (first, event) {
        (Event::OrderPlaced(placed), Event::PaymentReceived(e)) => {
            order_currency(placed.order.order_id, placed.total.currency, e.amount)
        }
        (Event::OrderPlaced(placed), Event::RefundIssued(e)) => {
            order_currency(placed.order.order_id, placed.total.currency, e.amount)
        }
        (Event::DealOpened(opened), Event::DealAmountChanged(e)) => {
            deal_currency(opened.deal_id, opened.amount.currency, e.amount)
        }
        (Event::DealOpened(opened), Event::DealStageChanged(e)) => {
            deal_currency(opened.deal_id, opened.amount.currency, e.amount)
        }
        _ => Ok(()),
    }
}

/// Whether [`check_in_stream`] has anything to check for `event`: readers can skip fetching
/// the stream's first event otherwise.
pub fn needs_first(event: &Event) -> bool {
    matches!(
        event,
        Event::PaymentReceived(_)
            | Event::RefundIssued(_)
            | Event::DealAmountChanged(_)
            | Event::DealStageChanged(_)
    )
}

/// Money for an order is in the order's currency.
pub fn order_currency(
    order_id: crate::ids::OrderId,
    currency: crate::money::Currency,
    amount: Money,
) -> Result<(), DomainError> {
    if amount.currency == currency {
        Ok(())
    } else {
        Err(DomainError::OrderCurrency {
            order_id,
            expected: currency,
            given: amount.currency,
        })
    }
}

/// A deal's amount stays in the currency it was opened in.
pub fn deal_currency(
    deal_id: crate::ids::DealId,
    currency: crate::money::Currency,
    amount: Money,
) -> Result<(), DomainError> {
    if amount.currency == currency {
        Ok(())
    } else {
        Err(DomainError::CurrencyChange {
            deal_id,
            from: currency,
            to: amount.currency,
        })
    }
}

/// The rules of an order as placed; its total when they hold.
pub fn place_order(order: &PlaceOrder) -> Result<Money, DomainError> {
    let order_id = order.order_id;
    // No lines is an order too: one a shop's export keeps though it was cancelled (or found
    // unavailable) before its lines were recorded. Its currency is its shipping's.
    if order.lines.len() > MAX_LINES {
        return Err(out_of_bounds(
            "lines",
            order.lines.len(),
            "an order has at most 10000 lines",
        ));
    }
    let currency = order.currency();
    for line in &order.lines {
        order_line(line)?;
        order_currency(order_id, currency, line.unit_price)?;
        order_currency(order_id, currency, line.tax)?;
    }
    amount("shipping", order.shipping, Sign::NonNegative)?;
    order_currency(order_id, currency, order.shipping)?;
    optional_date("promised_delivery", order.promised_delivery)?;
    let total = order.total().map_err(|e| DomainError::OrderAmounts {
        order_id,
        reason: e.to_string(),
    })?;
    amount("total", total, Sign::NonNegative)?;
    Ok(total)
}

fn order_line(line: &OrderLine) -> Result<(), DomainError> {
    let invalid = |reason: &'static str| DomainError::InvalidOrderLine {
        product_id: crate::ids::shorten(&line.product_id),
        reason,
    };
    if line.product_id.trim().is_empty() {
        return Err(invalid("it has no product id"));
    }
    if crate::normalize::words(&line.name).is_empty() {
        return Err(invalid("it has no product name"));
    }
    if line.quantity == 0 {
        return Err(invalid("its quantity is zero"));
    }
    if line.unit_price.minor < 0 || line.tax.minor < 0 {
        return Err(invalid("its price or tax is negative"));
    }
    quantity("lines.quantity", line.quantity)?;
    amount("lines.unit_price", line.unit_price, Sign::NonNegative)?;
    amount("lines.tax", line.tax, Sign::NonNegative)
}

fn stage(stage: &StageDefinition) -> Result<(), DomainError> {
    probability("stage.probability", stage.probability)?;
    match stage
        .actions
        .iter()
        .find(|a| a.due_in_hours > MAX_DUE_IN_HOURS)
    {
        Some(action) => Err(out_of_bounds(
            "stage.actions.due_in_hours",
            action.due_in_hours,
            "a next action is due at most ten years after a deal enters its stage",
        )),
        None => Ok(()),
    }
}

#[derive(Clone, Copy)]
enum Sign {
    Positive,
    NonNegative,
}

fn amount(field: &'static str, money: Money, sign: Sign) -> Result<(), DomainError> {
    if !money.currency.is_iso() {
        return Err(DomainError::UnknownCurrency {
            field,
            currency: money.currency,
        });
    }
    match sign {
        Sign::Positive if money.minor <= 0 => {
            return Err(DomainError::NonPositiveAmount { amount: money })
        }
        Sign::NonNegative if money.minor < 0 => {
            return Err(DomainError::NegativeAmount { amount: money })
        }
        _ => {}
    }
    if money.minor > MAX_MINOR {
        return Err(out_of_bounds(
            field,
            money,
            "no single amount is over 100000000000.00",
        ));
    }
    Ok(())
}

fn quantity(field: &'static str, quantity: u32) -> Result<(), DomainError> {
    if quantity == 0 || quantity > MAX_QUANTITY {
        return Err(out_of_bounds(
            field,
            quantity,
            "a quantity is 1 to 1000000 units",
        ));
    }
    Ok(())
}

fn probability(field: &'static str, probability: u8) -> Result<(), DomainError> {
    if probability > 100 {
        return Err(out_of_bounds(
            field,
            probability,
            "a probability is 0 to 100 %",
        ));
    }
    Ok(())
}

fn date(field: &'static str, date: NaiveDate) -> Result<(), DomainError> {
    if (EARLIEST..=LATEST).contains(&date.year()) {
        Ok(())
    } else {
        Err(out_of_bounds(
            field,
            date,
            "dates lie in the years 1900 to 2200",
        ))
    }
}

fn optional_date(field: &'static str, value: Option<NaiveDate>) -> Result<(), DomainError> {
    value.map_or(Ok(()), |d| date(field, d))
}

fn instant(field: &'static str, at: DateTime<Utc>) -> Result<(), DomainError> {
    date(field, at.date_naive())
}

fn out_of_bounds(
    field: &'static str,
    value: impl std::fmt::Display,
    rule: &'static str,
) -> DomainError {
    DomainError::OutOfBounds {
        field,
        value: crate::ids::shorten(&value.to_string()),
        rule,
    }
}

#[cfg(test)]
mod tests;
