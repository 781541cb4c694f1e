//! The pipeline report's headline figures ([`crate::report::pipeline`]) traced to the deal
//! events behind them: deals opened, won and lost in the period (a deal won, reopened and
//! won again counts twice, by each `DealWon`), the win rate, and the amounts won.

use serde::Serialize;

use super::traced::{Selection, Side};
use crate::ids::{PipelineId, StreamId};
use crate::money::Currency;
use crate::projection::{StageExit, Views};
use crate::report::Period;

/// A figure of a pipeline's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PipelineFigure {
    /// Deals opened.
    Opened,
    /// Wins.
    Won,
    /// Losses.
    Lost,
    /// `won / (won + lost)`.
    WinRate,
    /// The amounts won, in one currency: each deal's amount as it left its stage.
    WonAmount(Currency),
}

/// The events behind `figure` of `pipeline`'s report over `period`, as `views` hold them.
pub(crate) fn select(
    views: &Views,
    pipeline: PipelineId,
    period: &Period,
    figure: PipelineFigure,
) -> Selection {
    use PipelineFigure as F;
    let what = |name: &str| format!("pipeline {pipeline} {name}, {period}");
    let mut selection = match figure {
        F::Opened => Selection::sum(what("opened")),
        F::Won => Selection::sum(what("won")),
        F::Lost => Selection::sum(what("lost")),
        F::WinRate => Selection::rate(&what("win rate"), "won", "won and lost"),
        F::WonAmount(currency) => Selection::money(what("won amount"), currency),
    };
    for deal in views.deals.in_pipeline(pipeline) {
        let stream = StreamId::from(deal.terms.deal_id);
        if figure == F::Opened && period.contains(deal.opened_at) {
            selection.add(
                Side::Numerator,
                stream.clone(),
                "DealOpened",
                deal.opened_at,
                1,
            );
        }
        for visit in &deal.visits {
            let Some((at, exit)) = visit.left else {
                continue;
            };
            if !period.contains(at) {
                continue;
            }
            let amount = visit.amount_on_leaving.unwrap_or(visit.amount);
            let (event, numerator, denominator) = match (figure, exit) {
                (F::Won, StageExit::Won) => ("DealWon", Some(1), None),
                (F::Lost, StageExit::Lost) => ("DealLost", Some(1), None),
                (F::WinRate, StageExit::Won) => ("DealWon", Some(1), Some(1)),
                (F::WinRate, StageExit::Lost) => ("DealLost", Some(0), Some(1)),
                (F::WonAmount(currency), StageExit::Won) if amount.currency == currency => {
                    ("DealWon", Some(amount.minor), None)
                }
                _ => continue,
            };
            selection.add_to_sides(&stream, event, at, (numerator, denominator));
        }
    }
    selection
}
