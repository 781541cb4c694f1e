//! The last-moment decision on a due message: whether it may go, and to whom.

use crate::domain::message::{Cause, MessageScheduled, Recipient, SkipReason};
use crate::ids::CustomerId;
use crate::outbox::Transactional;
use crate::projection::Views;

/// Whether `message` may go, and to whom, as `views` stand now, with at most `cap`
/// marketing messages to one person in seven days.
pub(super) fn delivery(
    views: &Views,
    message: &MessageScheduled,
    cap: Option<u32>,
    transactional: Transactional,
) -> Result<Recipient, SkipReason> {
    let to = recipient(views, message, transactional)?;
    if let (Some(cap), Recipient::Customer(customer), true) = (cap, to, message.marketing) {
        if marketing_in_week(views, customer, message) >= cap as usize {
            return Err(SkipReason::Capped);
        }
    }
    Ok(to)
}

/// The marketing messages queued for `customer` and the contacts merged into it (sent,
/// failed or bounced since: each was meant to reach them), due in the seven days up to
/// `message`'s due time.
fn marketing_in_week(views: &Views, customer: CustomerId, message: &MessageScheduled) -> usize {
    let people: Vec<Recipient> = views
        .with_merged(customer)
        .into_iter()
        .map(Recipient::Customer)
        .collect();
    let since = message.due - chrono::Duration::days(7);
    views
        .outbox
        .for_recipients(&people)
        .into_iter()
        .filter(|e| e.message.marketing && e.message.message_id != message.message_id)
        .filter(|e| e.message.due > since && e.message.due <= message.due)
        .count()
}

/// Whether `message` may go at all, and to whom.
pub(crate) fn recipient(
    views: &Views,
    message: &MessageScheduled,
    transactional: Transactional,
) -> Result<Recipient, SkipReason> {
    let needs_consent = message.marketing || transactional == Transactional::WithConsent;
    let rule_on = |rule| {
        views
            .automations
            .rule(rule)
            .is_some_and(|r: &crate::projection::RuleView| r.enabled)
    };
    if message.rule_id.is_some_and(|rule| !rule_on(rule)) {
        return Err(SkipReason::RuleDisabled);
    }
    if let Cause::Order(order) = message.cause {
        let settled = views
            .activity
            .order(order)
            .is_none_or(|o| o.cancelled_at.is_some() || o.paid_in_full_at().is_some());
        if settled {
            return Err(SkipReason::Settled);
        }
    }
    let customer = match message.to {
        Recipient::User(user) => {
            return match views.directory.user(user) {
                Some(profile) if profile.active => Ok(Recipient::User(user)),
                _ => Err(SkipReason::NoUser),
            }
        }
        Recipient::Customer(customer) => views.cards.survivor(customer),
    };
    match customer {
        CustomerId::Contact(id) => {
            let card = views.cards.reach(id).ok_or(SkipReason::NoCustomer)?;
            if card.erased {
                return Err(SkipReason::Erased);
            }
            if needs_consent && !card.consent.contains(&message.channel.into()) {
                return Err(SkipReason::NoConsent);
            }
        }
        CustomerId::Company(id) => {
            views.cards.company(id).ok_or(SkipReason::NoCustomer)?;
            if needs_consent {
                return Err(SkipReason::NoConsent);
            }
        }
    }
    Ok(Recipient::Customer(customer))
}
