//! The attribution report's figures ([`crate::report::attribution`]) of one row — a
//! first-touch source or a campaign — traced to their events: its leads (each contact's
//! `ContactSourceRecorded`), those converted (their first order), their orders, revenue
//! (payments less refunds), deals won and the amounts won, and the win rate.

use serde::Serialize;

use super::traced::{part_of, Selection, Side};
use crate::domain::order::Fulfillment;
use crate::ids::{CampaignId, CustomerId, StreamId};
use crate::money::Currency;
use crate::projection::{Activity, OrderSummary, StageExit, Views};
use crate::report::Period;

/// A row of the attribution report: a first-touch source (as the report names it) or a
/// campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Touch {
    /// A lead source, as the report's row names it (`web`, `referral`, ...).
    Source(String),
    /// A campaign.
    Campaign(CampaignId),
}

/// A figure of one row of the attribution report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttributionFigure {
    /// Contacts first touched in the period.
    Leads,
    /// Of those, with an order (not cancelled) before the period's end.
    Converted,
    /// Their orders placed in the period, cancelled ones excluded.
    Orders,
    /// Their payments less refunds in the period, in one currency.
    Revenue(Currency),
    /// Their deals won in the period (each win counts).
    DealsWon,
    /// The amounts won, in one currency.
    WonValue(Currency),
    /// Contacts with a deal won in the period, over the leads.
    WinRate,
    /// A campaign's `(revenue − cost) / cost`, in the cost's currency: its revenue's
    /// payments and refunds and its `CampaignCreated` (taking the cost away) over that same
    /// event (giving the cost).
    Roi,
}

/// The events behind `figure` of the row `touch` of the attribution report over `period`.
pub(crate) fn select(
    views: &Views,
    period: &Period,
    touch: &Touch,
    figure: AttributionFigure,
) -> Selection {
    use AttributionFigure as F;
    let row = match touch {
        Touch::Source(name) => format!("source {name}"),
        Touch::Campaign(id) => format!("campaign {id}"),
    };
    let what = |name: &str| format!("attribution {row}, {name}, {period}");
    let mut selection = match figure {
        F::Leads => Selection::sum(what("leads")),
        F::Converted => Selection::sum(what("converted")),
        F::Orders => Selection::sum(what("orders")),
        F::Revenue(currency) => Selection::money(what("revenue"), currency),
        F::DealsWon => Selection::sum(what("deals won")),
        F::WonValue(currency) => Selection::money(what("won value"), currency),
        F::WinRate => Selection::rate(&what("win rate"), "with a deal won", "leads"),
        F::Roi => return roi(views, period, touch, &what("roi")),
    };
    for (customer, activity) in views.activity.customers() {
        let (Some(source), Some(at)) = (&activity.source, activity.source_at) else {
            continue;
        };
        let ours = match touch {
            Touch::Source(name) => source.source.to_string() == *name,
            Touch::Campaign(id) => source.campaign == Some(*id),
        };
        if !ours || !period.contains(at) {
            continue;
        }
        let contact = StreamId::from(source.contact_id);
        match figure {
            F::Leads => selection.add(Side::Numerator, contact, "ContactSourceRecorded", at, 1),
            F::WinRate => {
                selection.add(Side::Denominator, contact, "ContactSourceRecorded", at, 1);
                wins(views, *customer, period, None, &mut selection, true);
            }
            F::DealsWon => wins(views, *customer, period, None, &mut selection, false),
            F::WonValue(currency) => {
                wins(
                    views,
                    *customer,
                    period,
                    Some(currency),
                    &mut selection,
                    false,
                );
            }
            F::Converted | F::Orders | F::Revenue(_) => {
                orders(views, activity, period, figure, &mut selection);
            }
            F::Roi => {}
        }
    }
    selection
}

/// The customer's deals won in the period: each win, or only the first when `first`; by
/// amount in `currency`, or 1 each.
fn wins(
    views: &Views,
    customer: CustomerId,
    period: &Period,
    currency: Option<Currency>,
    selection: &mut Selection,
    first: bool,
) {
    for deal in views.deals.for_customer(customer) {
        let stream = StreamId::from(deal.terms.deal_id);
        for visit in &deal.visits {
            let Some((at, StageExit::Won)) = visit.left else {
                continue;
            };
            if !period.contains(at) {
                continue;
            }
            let amount = visit.amount_on_leaving.unwrap_or(visit.amount);
            let Some(part) = part_of(amount, currency) else {
                continue;
            };
            selection.add(Side::Numerator, stream.clone(), "DealWon", at, part);
            if first {
                return;
            }
        }
    }
}

fn orders(
    views: &Views,
    activity: &Activity,
    period: &Period,
    figure: AttributionFigure,
    selection: &mut Selection,
) {
    let mut placed: Vec<_> = activity
        .orders
        .iter()
        .filter_map(|id| views.activity.order(*id))
        .collect();
    placed.sort_by_key(|o| (o.placed_at, o.order_id));
    let counted = |o: &&&OrderSummary| o.fulfillment != Fulfillment::Cancelled;
    match figure {
        AttributionFigure::Converted => {
            if let Some(o) = placed
                .iter()
                .filter(counted)
                .find(|o| o.placed_at < period.to)
            {
                let stream = StreamId::from(o.order_id);
                selection.add(Side::Numerator, stream, "OrderPlaced", o.placed_at, 1);
            }
        }
        AttributionFigure::Orders => {
            for o in placed
                .iter()
                .filter(counted)
                .filter(|o| period.contains(o.placed_at))
            {
                let stream = StreamId::from(o.order_id);
                selection.add(Side::Numerator, stream, "OrderPlaced", o.placed_at, 1);
            }
        }
        AttributionFigure::Revenue(currency) => {
            for o in &placed {
                selection.add_payments(o, currency, |at| period.contains(at));
            }
        }
        _ => {}
    }
}

fn roi(views: &Views, period: &Period, touch: &Touch, what: &str) -> Selection {
    let mut selection = Selection::rate(what, "revenue less cost", "cost");
    let Touch::Campaign(id) = touch else {
        return selection;
    };
    let Some(campaign) = views.activity.campaigns().find(|c| c.campaign_id == *id) else {
        return selection;
    };
    let cost = campaign.cost;
    if cost.minor <= 0 {
        return selection;
    }
    let revenue = select(
        views,
        period,
        touch,
        AttributionFigure::Revenue(cost.currency),
    );
    selection.parts = revenue.parts;
    let stream = StreamId::from(*id);
    let parts = (Some(cost.minor.saturating_neg()), Some(cost.minor));
    selection.add_to_sides_found(
        &stream,
        super::traced::Find::LatestOf("CampaignCreated"),
        parts,
    );
    selection.currency = Some(cost.currency);
    selection.denominator_currency = Some(cost.currency);
    selection
}
