//! The pipeline report's figures ([`crate::report::pipeline`]) traced to the deal events
//! behind them: deals opened, won and lost in the period (a deal won, reopened and won again
//! counts twice, by each `DealWon`), the win rate and the amounts won; a stage's conversion
//! (each deal that entered it in the period, by the event that moved it in, counted above the
//! line when it went on); a lost reason's deals and amounts; and a forecast month's open
//! deals, total and weighted value, each deal by its latest event.

use serde::Serialize;

use super::durations::{self, Duration, Statistic};
use super::traced::{part_of, Selection, Side};
use crate::domain::deal::DealStatus;
use crate::ids::{PipelineId, StageId, StreamId, UserId};
use crate::money::{weighted, Currency, Money};
use crate::projection::{DealRecord, PipelineView, StageExit, Views};
use crate::report::pipeline::{advanced, lost_reason_at};
use crate::report::Period;

/// A figure of a pipeline's report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// Of the deals that entered the stage in the period, those that went on to a later
    /// active stage or were won before its end.
    Conversion(StageId),
    /// Deals lost for a reason (as the report spells it) in the period.
    LostDeals(String),
    /// Their amounts in one currency.
    LostAmount(String, Currency),
    /// Open deals expected to close in a month (`YYYY-MM`).
    ForecastDeals(String),
    /// Their amounts in one currency.
    ForecastTotal(String, Currency),
    /// Their amounts weighted by their stage's probability, in one currency.
    ForecastWeighted(String, Currency),
    /// The mean length of the stays in a stage that ended in the period, in seconds: each
    /// stay's length on the event that ended it, over one per stay.
    StageTime(StageId),
    /// The mean days from opening to winning, in seconds, over the wins in the period.
    CycleMean,
    /// The median of the same.
    CycleMedian,
    /// A row of the per-bucket or the per-owner table: its deals opened, won or lost, or the
    /// amounts won, counted as the whole period's are.
    Row(DealGroup, RowFigure),
}

/// A row of the pipeline report's per-bucket or per-owner table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DealGroup {
    /// A bucket of the period, by its label (`2026-03`): what happened in it.
    Bucket(String),
    /// The deals a user owns now.
    Owner(UserId),
}

/// What a row of [`DealGroup`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowFigure {
    /// Deals opened.
    Opened,
    /// Wins.
    Won,
    /// Losses.
    Lost,
    /// The amounts won, in one currency.
    WonAmount(Currency),
}

impl RowFigure {
    /// The whole period's figure that this row is a part of.
    fn of_the_period(self) -> PipelineFigure {
        match self {
            Self::Opened => PipelineFigure::Opened,
            Self::Won => PipelineFigure::Won,
            Self::Lost => PipelineFigure::Lost,
            Self::WonAmount(currency) => PipelineFigure::WonAmount(currency),
        }
    }
}

/// The events behind `figure` of `pipeline`'s report over `period`, as `views` hold them.
pub(crate) fn select(
    views: &Views,
    pipeline: PipelineId,
    period: &Period,
    figure: &PipelineFigure,
) -> Selection {
    use PipelineFigure as F;
    match figure {
        F::Conversion(stage) => return conversion(views, pipeline, period, *stage),
        F::LostDeals(_) | F::LostAmount(..) => return lost(views, pipeline, period, figure),
        F::ForecastDeals(_) | F::ForecastTotal(..) | F::ForecastWeighted(..) => {
            return forecast(views, pipeline, figure)
        }
        F::StageTime(_) | F::CycleMean | F::CycleMedian => {
            return durations_of(views, pipeline, period, figure)
        }
        F::Row(group, row) => {
            return flow(views, pipeline, period, &row.of_the_period(), Some(group))
        }
        _ => {}
    }
    flow(views, pipeline, period, figure, None)
}

/// Openings, wins and losses in the period (in `group` only, when given) behind `figure`.
fn flow(
    views: &Views,
    pipeline: PipelineId,
    period: &Period,
    figure: &PipelineFigure,
    group: Option<&DealGroup>,
) -> Selection {
    use PipelineFigure as F;
    let row = match group {
        None => String::new(),
        Some(DealGroup::Bucket(label)) => format!(" in bucket {label}"),
        Some(DealGroup::Owner(owner)) => format!(" of deals owned by {owner}"),
    };
    let what = |name: &str| format!("pipeline {pipeline} {name}{row}, {period}");
    // The report puts each step in the bucket it happened in, and each deal with its owner.
    let kept = |deal: &DealRecord, at| match group {
        None => true,
        Some(DealGroup::Bucket(label)) => period.label_of(at).as_ref() == Some(label),
        Some(DealGroup::Owner(owner)) => deal.terms.owner == *owner,
    };
    let mut selection = match figure {
        F::Opened => Selection::sum(what("opened")),
        F::Won => Selection::sum(what("won")),
        F::Lost => Selection::sum(what("lost")),
        F::WinRate => Selection::rate(&what("win rate"), "won", "won and lost"),
        F::WonAmount(currency) => Selection::money(what("won amount"), *currency),
        _ => Selection::sum(what("")),
    };
    for deal in views.deals.in_pipeline(pipeline) {
        let stream = StreamId::from(deal.terms.deal_id);
        if *figure == F::Opened && period.contains(deal.opened_at) && kept(deal, deal.opened_at) {
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
            if !period.contains(at) || !kept(deal, at) {
                continue;
            }
            let amount = visit.amount_on_leaving.unwrap_or(visit.amount);
            let (event, numerator, denominator) = match (figure, exit) {
                (F::Won, StageExit::Won) => ("DealWon", Some(1), None),
                (F::Lost, StageExit::Lost) => ("DealLost", Some(1), None),
                (F::WinRate, StageExit::Won) => ("DealWon", Some(1), Some(1)),
                (F::WinRate, StageExit::Lost) => ("DealLost", Some(0), Some(1)),
                (F::WonAmount(currency), StageExit::Won) if amount.currency == *currency => {
                    ("DealWon", Some(amount.minor), None)
                }
                _ => continue,
            };
            selection.add_to_sides(&stream, event, at, (numerator, denominator));
        }
    }
    selection
}

/// The event that put a deal into its `i`-th stay: its opening, a move, or a reopening.
fn entering(deal: &DealRecord, i: usize) -> &'static str {
    match i
        .checked_sub(1)
        .and_then(|p| deal.visits.get(p))
        .and_then(|v| v.left)
    {
        None => "DealOpened",
        Some((_, StageExit::Moved(_))) => "DealStageChanged",
        Some(_) => "DealReopened",
    }
}

fn conversion(views: &Views, pipeline: PipelineId, period: &Period, stage: StageId) -> Selection {
    let mut selection = Selection::rate(
        &format!("pipeline {pipeline} conversion of stage {stage}, {period}"),
        "went on",
        "entered",
    );
    let Some(view) = views.deals.pipeline(pipeline) else {
        return selection;
    };
    let Some(rank) = view.rank(stage) else {
        return selection;
    };
    for deal in views.deals.in_pipeline(pipeline) {
        // A deal that enters a stage twice in the period counts once, by its first entry.
        let first = deal
            .visits
            .iter()
            .enumerate()
            .find(|(_, v)| v.stage_id == stage && period.contains(v.entered_at));
        let Some((i, visit)) = first else {
            continue;
        };
        let went_on = advanced(deal, view, i, rank, period.to);
        let stream = StreamId::from(deal.terms.deal_id);
        let parts = (Some(i64::from(went_on)), Some(1));
        selection.add_to_sides(&stream, entering(deal, i), visit.entered_at, parts);
    }
    selection
}

fn lost(
    views: &Views,
    pipeline: PipelineId,
    period: &Period,
    figure: &PipelineFigure,
) -> Selection {
    let (reason, currency) = match figure {
        PipelineFigure::LostAmount(reason, currency) => (reason, Some(*currency)),
        PipelineFigure::LostDeals(reason) => (reason, None),
        _ => return Selection::sum(String::new()),
    };
    let what = format!("pipeline {pipeline} lost for {reason:?}, {period}");
    let mut selection = match currency {
        Some(currency) => Selection::money(what, currency),
        None => Selection::sum(what),
    };
    for deal in views.deals.in_pipeline(pipeline) {
        let stream = StreamId::from(deal.terms.deal_id);
        for (i, visit) in deal.visits.iter().enumerate() {
            let Some((at, StageExit::Lost)) = visit.left else {
                continue;
            };
            if !period.contains(at) || lost_reason_at(deal, i) != *reason {
                continue;
            }
            let amount = visit.amount_on_leaving.unwrap_or(visit.amount);
            let Some(part) = part_of(amount, currency) else {
                continue;
            };
            selection.add(Side::Numerator, stream.clone(), "DealLost", at, part);
        }
    }
    selection
}

fn forecast(views: &Views, pipeline: PipelineId, figure: &PipelineFigure) -> Selection {
    use PipelineFigure as F;
    let (month, currency) = match figure {
        F::ForecastDeals(month) => (month, None),
        F::ForecastTotal(month, c) | F::ForecastWeighted(month, c) => (month, Some(*c)),
        _ => return Selection::sum(String::new()),
    };
    let what = format!("pipeline {pipeline} forecast for {month}");
    let mut selection = match currency {
        Some(currency) => Selection::money(what, currency),
        None => Selection::sum(what),
    };
    let Some(view) = views.deals.pipeline(pipeline) else {
        return selection;
    };
    for deal in views.deals.in_pipeline(pipeline) {
        let terms = &deal.terms;
        if deal.status != DealStatus::Open
            || terms.expected_close.format("%Y-%m").to_string() != *month
        {
            continue;
        }
        let amount: Money = match figure {
            F::ForecastWeighted(..) => weighted(terms.amount, probability(view, terms.stage_id)),
            _ => terms.amount,
        };
        let Some(part) = part_of(amount, currency) else {
            continue;
        };
        selection.add_latest(Side::Numerator, StreamId::from(terms.deal_id), part);
    }
    selection
}

/// The stage's probability as the pipeline defines it now.
fn probability(view: &PipelineView, stage: StageId) -> u8 {
    view.stages
        .iter()
        .find(|s| s.stage_id == stage)
        .map_or(0, |s| s.probability)
}

/// The event that ended a stay: a move, a win or a loss.
fn leaving(exit: StageExit) -> &'static str {
    match exit {
        StageExit::Moved(_) => "DealStageChanged",
        StageExit::Won => "DealWon",
        StageExit::Lost => "DealLost",
    }
}

fn durations_of(
    views: &Views,
    pipeline: PipelineId,
    period: &Period,
    figure: &PipelineFigure,
) -> Selection {
    let mut spans = Vec::new();
    for deal in views.deals.in_pipeline(pipeline) {
        let stream = StreamId::from(deal.terms.deal_id);
        for (i, visit) in deal.visits.iter().enumerate() {
            let Some((left_at, exit)) = visit.left else {
                continue;
            };
            if !period.contains(left_at) {
                continue;
            }
            let end = (stream.clone(), leaving(exit), left_at);
            match figure {
                PipelineFigure::StageTime(stage) if visit.stage_id == *stage => {
                    let start = (stream.clone(), entering(deal, i), visit.entered_at);
                    spans.push(Duration { start, end });
                }
                PipelineFigure::CycleMean | PipelineFigure::CycleMedian
                    if exit == StageExit::Won =>
                {
                    let start = (stream.clone(), "DealOpened", deal.opened_at);
                    spans.push(Duration { start, end });
                }
                _ => {}
            }
        }
    }
    let what = match figure {
        PipelineFigure::StageTime(stage) => {
            format!("pipeline {pipeline} stays in {stage}, {period}")
        }
        _ => format!("pipeline {pipeline} sales cycle, {period}"),
    };
    if *figure == PipelineFigure::CycleMedian {
        return durations::explained(&what, spans, Statistic::Median);
    }
    let mut selection = Selection::rate(&format!("{what}, mean"), "seconds", "stays or wins");
    for Duration { start, end } in spans {
        let seconds = (end.2 - start.2).num_seconds();
        selection.add(Side::Numerator, start.0, start.1, start.2, 0);
        selection.add_to_sides(&end.0, end.1, end.2, (Some(seconds), Some(1)));
    }
    selection
}
