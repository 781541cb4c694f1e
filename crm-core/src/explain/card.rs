//! A card's totals traced to their events: the lifetime value in a currency (payments less
//! refunds over every order, the merged contacts' included), the orders and the
//! conversations.

use serde::Serialize;

use super::traced::{Selection, Side};
use crate::ids::{CustomerId, StreamId};
use crate::money::Currency;
use crate::projection::Views;

/// A total on a customer's card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CardFigure {
    /// Payments received less refunds issued, in one currency.
    LifetimeValue(Currency),
    /// Orders placed.
    Orders,
    /// Conversations logged.
    Interactions,
}

/// The events behind `figure` on `customer`'s card, as `views` hold it.
pub(crate) fn select(views: &Views, customer: CustomerId, figure: CardFigure) -> Selection {
    let summary = views.summary(customer);
    let what = match figure {
        CardFigure::LifetimeValue(currency) => format!("lifetime value, {currency}"),
        CardFigure::Orders => "orders".to_owned(),
        CardFigure::Interactions => "interactions".to_owned(),
    };
    let what = format!("card {customer}, {what}");
    let mut selection = match figure {
        CardFigure::LifetimeValue(currency) => Selection::money(what, currency),
        _ => Selection::sum(what),
    };
    match figure {
        CardFigure::LifetimeValue(currency) => {
            for order in &summary.orders {
                selection.add_payments(order, currency, |_| true);
            }
        }
        CardFigure::Orders => {
            for order in &summary.orders {
                let stream = StreamId::from(order.order_id);
                selection.add(Side::Numerator, stream, "OrderPlaced", order.placed_at, 1);
            }
        }
        CardFigure::Interactions => {
            for interaction in &summary.interactions {
                let stream = StreamId::from(interaction.interaction_id);
                selection.add(
                    Side::Numerator,
                    stream,
                    "InteractionLogged",
                    interaction.at,
                    1,
                );
            }
        }
    }
    selection
}
