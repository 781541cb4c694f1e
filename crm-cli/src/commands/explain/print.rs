//! How `crm explain` prints an explanation: the figure, then one line per event.

use std::fmt::Write as _;

use crm::explain::{Explained, Explanation};
use crm::money::Money;

pub(super) fn shown(explained: &Explained) -> String {
    match explained {
        Explained::Sum(e) => listed(e),
        Explained::Rate {
            numerator,
            denominator,
        } => format!(
            "a rate: {} ÷ {}\n\n{}\n{}",
            numerator.figure,
            denominator.figure,
            listed(numerator),
            listed(denominator)
        ),
    }
}

fn listed(e: &Explanation) -> String {
    let amount = |minor: i64| match e.currency {
        Some(currency) => Money::new(minor, currency).to_string(),
        None => minor.to_string(),
    };
    let mut out = format!(
        "{}: {} from {} events\n",
        e.figure,
        amount(e.total),
        e.contributions.len()
    );
    for c in &e.contributions {
        let _ = writeln!(
            out,
            "{:>9}  {}  {:<22} {:>14}  {}  {}",
            c.position,
            c.occurred_at.format("%Y-%m-%d %H:%M:%S"),
            c.event_type,
            amount(c.amount),
            c.stream,
            c.event_id
        );
    }
    out
}
