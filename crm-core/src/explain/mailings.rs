//! The attribution report's mailings table ([`crate::report::attribution`]) traced to the
//! messages and orders behind it: a campaign's messages handed over in the period (each by its
//! `MessageSent`), those that bounced (each by its `MessageBounced`), the people they went to
//! (each by the `MessageSent` of the first message to them), those who ordered within the
//! window after a message (each by the `OrderPlaced` of the first such order, after the first
//! message it answered), and the order rate, the second over the third. The messages are the
//! ones the report counts, read through the same function.

use std::collections::HashSet;

use serde::Serialize;

use super::traced::{Find, Selection, Side};
use crate::ids::{CampaignId, StreamId};
use crate::projection::{Delivery, Views};
use crate::report::attribution::mailed;
use crate::report::Period;

/// A figure of a campaign's row of the mailings table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MailingFigure {
    /// Messages handed over in the period.
    Sent,
    /// Of those, bounced.
    Bounced,
    /// The people they went to.
    Recipients,
    /// Of those, the ones who ordered within the window after their message.
    Ordered,
    /// `ordered / recipients`.
    OrderRate,
}

/// The events behind `figure` of `campaign`'s mailings over `period`, as `views` hold them.
pub(crate) fn select(
    views: &Views,
    period: &Period,
    campaign: CampaignId,
    figure: MailingFigure,
) -> Selection {
    use MailingFigure as F;
    let what = |name: &str| format!("mailings of campaign {campaign}, {name}, {period}");
    let mut selection = match figure {
        F::Sent => Selection::sum(what("sent")),
        F::Bounced => Selection::sum(what("bounced")),
        F::Recipients => Selection::sum(what("recipients")),
        F::Ordered => Selection::sum(what("ordered")),
        F::OrderRate => Selection::rate(&what("order rate"), "ordered", "recipients"),
    };
    let (mut reached, mut bought) = (HashSet::new(), HashSet::new());
    for mailed in mailed(&views.activity, &views.outbox, period) {
        if mailed.campaign != campaign {
            continue;
        }
        let message = StreamId::from(mailed.entry.message.message_id);
        let sent = Find::LatestOf("MessageSent");
        match figure {
            F::Sent => selection.add_found(Side::Numerator, message, sent, 1),
            F::Bounced => {
                if matches!(mailed.entry.delivery, Delivery::Bounced { .. }) {
                    let bounced = Find::LatestOf("MessageBounced");
                    selection.add_found(Side::Numerator, message, bounced, 1);
                }
            }
            F::Recipients | F::Ordered | F::OrderRate => {
                if reached.insert(mailed.customer) && figure != F::Ordered {
                    let side = match figure {
                        F::Recipients => Side::Numerator,
                        _ => Side::Denominator,
                    };
                    selection.add_found(side, message, sent, 1);
                }
                let answer = mailed.answer.filter(|_| figure != F::Recipients);
                if let Some(order) = answer.filter(|_| bought.insert(mailed.customer)) {
                    let placed = StreamId::from(order.order_id);
                    selection.add(Side::Numerator, placed, "OrderPlaced", order.placed_at, 1);
                }
            }
        }
    }
    selection
}
