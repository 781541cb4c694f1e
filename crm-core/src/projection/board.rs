//! The pipeline board: per stage, the open deals, how many, and what they are worth — in
//! total and weighted by the stage's win probability — per currency; and the won and lost
//! outcomes beside them.

use std::fmt::{self, Write as _};

use serde::{Deserialize, Serialize};

use super::deals::Deals;
use crate::domain::deal::{DealStatus, DealTerms};
use crate::ids::{PipelineId, StageId};
use crate::money::{weighted, Totals};

/// One stage's column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardColumn {
    /// The stage.
    pub stage_id: StageId,
    /// Its name.
    pub name: String,
    /// Its win probability, in percent.
    pub probability: u8,
    /// Whether the stage is retired (shown only while deals are still in it).
    pub retired: bool,
    /// The open deals in it, soonest expected close first.
    pub deals: Vec<DealTerms>,
    /// Sum of their amounts, per currency.
    pub total: Totals,
    /// Sum of `amount × probability / 100`, each rounded to the minor unit, per currency.
    pub weighted: Totals,
}

/// Won or lost deals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// How many.
    pub count: usize,
    /// Their amounts, per currency.
    pub total: Totals,
}

/// A pipeline's board. Every deal ever opened in the pipeline is in exactly one place: a
/// stage's column (open), `won` or `lost`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Board {
    /// The pipeline.
    pub pipeline_id: PipelineId,
    /// Its name.
    pub name: String,
    /// Active stages in funnel order, then retired stages that still hold deals.
    pub columns: Vec<BoardColumn>,
    /// Deals won.
    pub won: Outcome,
    /// Deals lost.
    pub lost: Outcome,
}

impl Board {
    /// Deals in columns, won and lost: every deal opened in the pipeline.
    pub fn deal_count(&self) -> usize {
        self.columns.iter().map(|c| c.deals.len()).sum::<usize>() + self.won.count + self.lost.count
    }

    /// Open value, weighted, over all columns, per currency.
    pub fn weighted_total(&self) -> Totals {
        let mut sum = Totals::new();
        for column in &self.columns {
            column.weighted.iter().for_each(|m| sum.add(m));
        }
        sum
    }
}

impl Deals {
    /// The board of a pipeline, from the deals as they now stand.
    pub fn board(&self, pipeline_id: PipelineId) -> Option<Board> {
        let pipeline = self.pipeline(pipeline_id)?;
        let mut columns: Vec<BoardColumn> = pipeline
            .stages
            .iter()
            .map(|s| BoardColumn {
                stage_id: s.stage_id,
                name: s.name.clone(),
                probability: s.probability,
                retired: s.retired,
                deals: Vec::new(),
                total: Totals::new(),
                weighted: Totals::new(),
            })
            .collect();
        let (mut won, mut lost) = (Outcome::default(), Outcome::default());
        for deal in self.in_pipeline(pipeline_id) {
            let outcome = match deal.status {
                DealStatus::Won => &mut won,
                DealStatus::Lost => &mut lost,
                DealStatus::Open | DealStatus::Absent => {
                    let terms = &deal.terms;
                    if let Some(column) = columns.iter_mut().find(|c| c.stage_id == terms.stage_id)
                    {
                        column.total.add(terms.amount);
                        column
                            .weighted
                            .add(weighted(terms.amount, column.probability));
                        column.deals.push(terms.clone());
                    }
                    continue;
                }
            };
            outcome.count += 1;
            outcome.total.add(deal.terms.amount);
        }
        columns.retain(|c| !c.retired || !c.deals.is_empty());
        for column in &mut columns {
            column.deals.sort_by(|a, b| {
                (a.expected_close, &a.title, a.deal_id).cmp(&(
                    b.expected_close,
                    &b.title,
                    b.deal_id,
                ))
            });
        }
        Some(Board {
            pipeline_id,
            name: pipeline.name.clone(),
            columns,
            won,
            lost,
        })
    }
}

impl fmt::Display for Board {
    /// A summary line per stage and outcome, then each stage's deals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        let _ = writeln!(out, "Pipeline {}", self.name);
        let _ = writeln!(
            out,
            "  {:<16} {:>4} {:>5}  {:<24} weighted",
            "stage", "prob", "deals", "total"
        );
        for c in &self.columns {
            let name = if c.retired {
                format!("{} (retired)", c.name)
            } else {
                c.name.clone()
            };
            let _ = writeln!(
                out,
                "  {:<16} {:>3}% {:>5}  {:<24} {}",
                name,
                c.probability,
                c.deals.len(),
                c.total.to_string(),
                c.weighted
            );
        }
        for (label, o) in [("won", &self.won), ("lost", &self.lost)] {
            let _ = writeln!(out, "  {:<16} {:>4} {:>5}  {}", label, "", o.count, o.total);
        }
        let _ = writeln!(out, "  open value, weighted: {}", self.weighted_total());
        for c in self.columns.iter().filter(|c| !c.deals.is_empty()) {
            let _ = writeln!(out, "{}", c.name);
            for d in &c.deals {
                let _ = writeln!(
                    out,
                    "  {:<40} {:>16}  closes {}",
                    d.title,
                    d.amount.to_string(),
                    d.expected_close
                );
            }
        }
        f.write_str(&out)
    }
}
