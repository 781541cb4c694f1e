//! The pipeline report: how deals flowed through a pipeline during a period.
//!
//! Figures come from the deals' stage histories ([`DealRecord::visits`]): each stay in a
//! stage, when it began, and when and how it ended (moved on, won, lost). Only what happened
//! before the period's end counts, so a past period's report does not change as deals move on
//! — except the forecast, which is about the open deals as they stand now.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use serde::Serialize;

use super::render::{Cell, Table, Tabular};
use super::stats::{days, mean, median, ratio};
use super::Period;
use crate::domain::deal::DealStatus;
use crate::ids::{PipelineId, StageId};
use crate::money::{weighted, Totals};
use crate::projection::{DealRecord, Deals, PipelineView, StageExit};

/// Average time deals spent in one stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageTime {
    /// The stage.
    pub stage_id: StageId,
    /// Its name.
    pub name: String,
    /// Stays in the stage that ended within the period.
    pub stays: usize,
    /// Their mean length in days; `None` without stays.
    pub average_days: Option<f64>,
}

/// How many deals that entered a stage went on to the next.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conversion {
    /// The stage.
    pub stage_id: StageId,
    /// Its name.
    pub name: String,
    /// The next active stage's name, or "won" after the last stage.
    pub next: String,
    /// Deals that entered the stage within the period.
    pub entered: usize,
    /// Of those, deals that after entering it reached a later active stage or were won,
    /// before the period's end.
    pub advanced: usize,
    /// `advanced / entered`; `None` when none entered.
    pub rate: Option<f64>,
}

/// One lost reason and the deals lost for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LostReason {
    /// The reason, as the pipeline spells it.
    pub reason: String,
    /// Deals lost for it within the period.
    pub deals: usize,
    /// Their amounts, per currency.
    pub amount: Totals,
}

/// Open deals expected to close in one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForecastMonth {
    /// `YYYY-MM` of the expected close date.
    pub month: String,
    /// How many open deals.
    pub deals: usize,
    /// Their amounts, per currency.
    pub total: Totals,
    /// Their amounts weighted by their stage's current probability, per currency.
    pub weighted: Totals,
}

/// Deals opened, won and lost in one bucket, or by one owner.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DealCounts {
    /// The bucket's label, or the owner's id.
    pub group: String,
    /// Deals opened.
    pub opened: usize,
    /// Deals won (each win counts).
    pub won: usize,
    /// Deals lost.
    pub lost: usize,
    /// Amounts won, per currency.
    pub won_amount: Totals,
}

/// How a pipeline's deals flowed during a period.
///
/// `by_bucket` and `by_owner` count each opening, win and loss in the bucket it happened in
/// (a deal won, reopened and won again counts twice), the owner being the deal's owner now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PipelineReport {
    /// The pipeline.
    pub pipeline_id: PipelineId,
    /// Its name.
    pub pipeline: String,
    /// The period covered.
    pub period: Period,
    /// Deals opened within the period.
    pub opened: usize,
    /// Deals won within the period (a deal won, reopened and won again counts twice).
    pub won: usize,
    /// Deals lost within the period.
    pub lost: usize,
    /// `won / (won + lost)`; `None` when nothing closed.
    pub win_rate: Option<f64>,
    /// Amounts won within the period, per currency.
    pub won_amount: Totals,
    /// Mean days from opening to winning, over deals won within the period.
    pub average_cycle_days: Option<f64>,
    /// Median of the same.
    pub median_cycle_days: Option<f64>,
    /// Per active stage, in funnel order: mean length of the stays that ended in the period.
    pub time_in_stage: Vec<StageTime>,
    /// Per active stage, in funnel order: conversion to the next.
    pub conversion: Vec<Conversion>,
    /// Lost reasons, most frequent first (ties by name).
    pub lost_reasons: Vec<LostReason>,
    /// Open deals now, by expected close month, earliest first.
    pub forecast: Vec<ForecastMonth>,
    /// Opened, won and lost per bucket of the period, in order.
    pub by_bucket: Vec<DealCounts>,
    /// Opened, won and lost per deal owner (the owner now), by id.
    pub by_owner: Vec<DealCounts>,
}

/// Whether the deal, after entering stage rank `rank` at `visit`, reached a later active stage
/// or was won before `end`.
pub(crate) fn advanced(
    deal: &DealRecord,
    pipeline: &PipelineView,
    visit: usize,
    rank: usize,
    end: chrono::DateTime<chrono::Utc>,
) -> bool {
    deal.visits[visit..].iter().any(|v| match v.left {
        Some((at, StageExit::Won)) => at < end,
        Some((at, StageExit::Moved(to))) => at < end && pipeline.rank(to).is_some_and(|r| r > rank),
        _ => false,
    })
}

impl PipelineReport {
    /// The report of `pipeline_id` over `period`; `None` if there is no such pipeline.
    pub fn compute(deals: &Deals, pipeline_id: PipelineId, period: Period) -> Option<Self> {
        let pipeline = deals.pipeline(pipeline_id)?;
        let active: Vec<_> = pipeline.stages.iter().filter(|s| !s.retired).collect();
        let mut report = Self {
            pipeline_id,
            pipeline: pipeline.name.clone(),
            period,
            opened: 0,
            won: 0,
            lost: 0,
            win_rate: None,
            won_amount: Totals::new(),
            average_cycle_days: None,
            median_cycle_days: None,
            time_in_stage: Vec::new(),
            conversion: Vec::new(),
            lost_reasons: Vec::new(),
            forecast: Vec::new(),
            by_bucket: period
                .spans()
                .into_iter()
                .map(|span| DealCounts {
                    group: span.label,
                    ..DealCounts::default()
                })
                .collect(),
            by_owner: Vec::new(),
        };

        let mut cycles = Vec::new();
        let mut stays: BTreeMap<StageId, Vec<f64>> = BTreeMap::new();
        let mut entered = vec![0usize; active.len()];
        let mut advanced_count = vec![0usize; active.len()];
        let mut reasons: BTreeMap<String, (usize, Totals)> = BTreeMap::new();
        let mut months: BTreeMap<String, ForecastMonth> = BTreeMap::new();
        for deal in deals.in_pipeline(pipeline_id) {
            if period.contains(deal.opened_at) {
                report.opened += 1;
            }
            let mut counted = vec![false; active.len()];
            for (i, visit) in deal.visits.iter().enumerate() {
                if let Some(rank) = pipeline.rank(visit.stage_id) {
                    // A deal that enters a stage twice in the period counts once.
                    if period.contains(visit.entered_at) && !counted[rank] {
                        counted[rank] = true;
                        entered[rank] += 1;
                        if advanced(deal, pipeline, i, rank, period.to) {
                            advanced_count[rank] += 1;
                        }
                    }
                }
                let Some((left_at, exit)) = visit.left else {
                    continue;
                };
                if !period.contains(left_at) {
                    continue;
                }
                stays
                    .entry(visit.stage_id)
                    .or_default()
                    .push(days(left_at - visit.entered_at));
                match exit {
                    StageExit::Won => {
                        report.won += 1;
                        report
                            .won_amount
                            .add(visit.amount_on_leaving.unwrap_or(visit.amount));
                        cycles.push(days(left_at - deal.opened_at));
                    }
                    StageExit::Lost => {
                        report.lost += 1;
                        let reason = lost_reason_at(deal, i);
                        let entry = reasons.entry(reason).or_default();
                        entry.0 += 1;
                        entry.1.add(visit.amount_on_leaving.unwrap_or(visit.amount));
                    }
                    StageExit::Moved(_) => {}
                }
            }
            if deal.status == DealStatus::Open {
                let terms = &deal.terms;
                let month = terms.expected_close.format("%Y-%m").to_string();
                let probability = pipeline
                    .stages
                    .iter()
                    .find(|s| s.stage_id == terms.stage_id)
                    .map_or(0, |s| s.probability);
                let m = months.entry(month.clone()).or_insert(ForecastMonth {
                    month,
                    deals: 0,
                    total: Totals::new(),
                    weighted: Totals::new(),
                });
                m.deals += 1;
                m.total.add(terms.amount);
                m.weighted.add(weighted(terms.amount, probability));
            }
        }
        report.win_rate = ratio(report.won, report.won + report.lost);
        report.average_cycle_days = mean(&cycles);
        report.median_cycle_days = median(&cycles);
        for (rank, stage) in active.iter().enumerate() {
            let times = stays.get(&stage.stage_id).map(Vec::as_slice).unwrap_or(&[]);
            report.time_in_stage.push(StageTime {
                stage_id: stage.stage_id,
                name: stage.name.clone(),
                stays: times.len(),
                average_days: mean(times),
            });
            report.conversion.push(Conversion {
                stage_id: stage.stage_id,
                name: stage.name.clone(),
                next: active
                    .get(rank + 1)
                    .map_or_else(|| "won".to_owned(), |s| s.name.clone()),
                entered: entered[rank],
                advanced: advanced_count[rank],
                rate: ratio(advanced_count[rank], entered[rank]),
            });
        }
        let mut lost_reasons: Vec<LostReason> = reasons
            .into_iter()
            .map(|(reason, (deals, amount))| LostReason {
                reason,
                deals,
                amount,
            })
            .collect();
        lost_reasons.sort_by(|a, b| b.deals.cmp(&a.deals).then_with(|| a.reason.cmp(&b.reason)));
        report.lost_reasons = lost_reasons;
        report.forecast = months.into_values().collect();
        report.by_owner = count_deals(deals, pipeline_id, &period, &mut report.by_bucket);
        Some(report)
    }
}

/// Tallies opened, won and lost into `buckets` (by the bucket each happened in) and returns
/// the same per owner.
fn count_deals(
    deals: &Deals,
    pipeline_id: PipelineId,
    period: &Period,
    buckets: &mut [DealCounts],
) -> Vec<DealCounts> {
    let mut owners: BTreeMap<String, DealCounts> = BTreeMap::new();
    for deal in deals.in_pipeline(pipeline_id) {
        let owner = deal.terms.owner.to_string();
        let mut moments = vec![(deal.opened_at, Step::Opened)];
        for visit in &deal.visits {
            let amount = visit.amount_on_leaving.unwrap_or(visit.amount);
            match visit.left {
                Some((at, StageExit::Won)) => moments.push((at, Step::Won(amount))),
                Some((at, StageExit::Lost)) => moments.push((at, Step::Lost)),
                _ => {}
            }
        }
        for (at, step) in moments {
            let Some(label) = period.label_of(at) else {
                continue;
            };
            let by_owner = owners.entry(owner.clone()).or_insert_with(|| DealCounts {
                group: owner.clone(),
                ..DealCounts::default()
            });
            let by_bucket = buckets.iter_mut().find(|b| b.group == label);
            for row in std::iter::once(by_owner).chain(by_bucket) {
                match step {
                    Step::Opened => row.opened += 1,
                    Step::Won(amount) => {
                        row.won += 1;
                        row.won_amount.add(amount);
                    }
                    Step::Lost => row.lost += 1,
                }
            }
        }
    }
    owners.into_values().collect()
}

#[derive(Clone, Copy)]
enum Step {
    Opened,
    Won(crate::money::Money),
    Lost,
}

/// The reason of the loss that ended visit `i`. Only the latest loss's reason is kept on the
/// record; an earlier loss (the deal was reopened since) is reported as "(reopened since)".
pub(crate) fn lost_reason_at(deal: &DealRecord, i: usize) -> String {
    let latest_loss = deal
        .visits
        .iter()
        .rposition(|v| matches!(v.left, Some((_, StageExit::Lost))));
    match (&deal.lost_reason, latest_loss == Some(i)) {
        (Some((reason, _)), true) => reason.clone(),
        _ => "(reopened since)".to_owned(),
    }
}

fn percent(r: Option<f64>) -> String {
    r.map_or_else(|| "—".to_owned(), |r| format!("{:.1} %", r * 100.0))
}

fn in_days(d: Option<f64>) -> String {
    d.map_or_else(|| "—".to_owned(), |d| format!("{d:.1} d"))
}

impl fmt::Display for PipelineReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        let _ = writeln!(out, "Pipeline {} — {}", self.pipeline, self.period);
        let _ = writeln!(
            out,
            "  opened {}   won {}   lost {}   win rate {}",
            self.opened,
            self.won,
            self.lost,
            percent(self.win_rate)
        );
        let _ = writeln!(out, "  won amount   {}", self.won_amount);
        let _ = writeln!(
            out,
            "  sales cycle  average {}, median {}",
            in_days(self.average_cycle_days),
            in_days(self.median_cycle_days)
        );
        let _ = writeln!(
            out,
            "  {:<16} {:>6} {:>9}   {:<16} {:>7} {:>8} {:>8}",
            "stage", "stays", "avg time", "next", "entered", "advanced", "rate"
        );
        for (t, c) in self.time_in_stage.iter().zip(&self.conversion) {
            let _ = writeln!(
                out,
                "  {:<16} {:>6} {:>9}   {:<16} {:>7} {:>8} {:>8}",
                t.name,
                t.stays,
                in_days(t.average_days),
                c.next,
                c.entered,
                c.advanced,
                percent(c.rate)
            );
        }
        let _ = writeln!(out, "  lost reasons");
        for r in &self.lost_reasons {
            let _ = writeln!(out, "    {:<20} {:>4}  {}", r.reason, r.deals, r.amount);
        }
        let _ = writeln!(out, "  forecast (open deals by expected close)");
        for m in &self.forecast {
            let _ = writeln!(
                out,
                "    {}  {:>4} deals  {:<22} weighted {}",
                m.month,
                m.deals,
                m.total.to_string(),
                m.weighted
            );
        }
        f.write_str(&out)
    }
}

fn totals_cells(t: &Totals) -> Vec<Cell> {
    // One currency per table row would need a row per currency; a pipeline's deals are almost
    // always in one, so the sums are shown as text ("1200.00 EUR + 50.00 USD").
    vec![Cell::text(t.to_string())]
}

impl Tabular for PipelineReport {
    fn tables(&self) -> Vec<Table> {
        let summary = Table {
            name: "summary",
            title: format!("Pipeline {}, {}", self.pipeline, self.period),
            headers: vec![
                "opened",
                "won",
                "lost",
                "win rate %",
                "won amount",
                "avg cycle days",
                "median cycle days",
            ],
            rows: vec![[
                vec![
                    Cell::count(self.opened),
                    Cell::count(self.won),
                    Cell::count(self.lost),
                    Cell::percent(self.win_rate),
                ],
                totals_cells(&self.won_amount),
                vec![
                    Cell::decimal(self.average_cycle_days),
                    Cell::decimal(self.median_cycle_days),
                ],
            ]
            .concat()],
        };
        let stages = Table {
            name: "stages",
            title: "Stages".into(),
            headers: vec![
                "stage",
                "stays",
                "avg days",
                "next",
                "entered",
                "advanced",
                "conversion %",
            ],
            rows: self
                .time_in_stage
                .iter()
                .zip(&self.conversion)
                .map(|(t, c)| {
                    vec![
                        Cell::text(&t.name),
                        Cell::count(t.stays),
                        Cell::decimal(t.average_days),
                        Cell::text(&c.next),
                        Cell::count(c.entered),
                        Cell::count(c.advanced),
                        Cell::percent(c.rate),
                    ]
                })
                .collect(),
        };
        let reasons = Table {
            name: "lost-reasons",
            title: "Lost reasons".into(),
            headers: vec!["reason", "deals", "amount"],
            rows: self
                .lost_reasons
                .iter()
                .map(|r| {
                    [
                        vec![Cell::text(&r.reason), Cell::count(r.deals)],
                        totals_cells(&r.amount),
                    ]
                    .concat()
                })
                .collect(),
        };
        let forecast = Table {
            name: "forecast",
            title: "Forecast: open deals by expected close month".into(),
            headers: vec!["month", "deals", "total", "weighted"],
            rows: self
                .forecast
                .iter()
                .map(|m| {
                    [
                        vec![Cell::text(&m.month), Cell::count(m.deals)],
                        totals_cells(&m.total),
                        totals_cells(&m.weighted),
                    ]
                    .concat()
                })
                .collect(),
        };
        let counts =
            |name: &'static str, title: &str, first: &'static str, rows: &[DealCounts]| Table {
                name,
                title: title.to_owned(),
                headers: vec![first, "opened", "won", "lost", "won amount"],
                rows: rows
                    .iter()
                    .map(|c| {
                        [
                            vec![
                                Cell::text(&c.group),
                                Cell::count(c.opened),
                                Cell::count(c.won),
                                Cell::count(c.lost),
                            ],
                            totals_cells(&c.won_amount),
                        ]
                        .concat()
                    })
                    .collect(),
            };
        vec![
            summary,
            counts("per-bucket", "Deals per bucket", "bucket", &self.by_bucket),
            counts("per-owner", "Deals per owner", "owner", &self.by_owner),
            stages,
            reasons,
            forecast,
        ]
    }
}
