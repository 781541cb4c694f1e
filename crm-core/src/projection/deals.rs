//! Every deal with its stage history, and every pipeline's stages: what the board, a deal's
//! timeline and the pipeline reports are computed from.

use std::collections::BTreeSet;

use foldhash::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::Projection;
use crate::domain::deal::{DealStatus, DealTerms};
use crate::domain::withdrawal::Withdrawn;
use crate::event::{Event, RecordedEvent};
use crate::ids::{CustomerId, DealId, PipelineId, StageId};
use crate::money::Money;

/// A pipeline's stage as it now stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageView {
    /// The stage.
    pub stage_id: StageId,
    /// Its current name.
    pub name: String,
    /// Its win probability, in percent.
    pub probability: u8,
    /// Whether it was retired.
    pub retired: bool,
}

/// A pipeline as it now stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineView {
    /// The pipeline.
    pub pipeline_id: PipelineId,
    /// Its name.
    pub name: String,
    /// Active stages in funnel order, then retired ones.
    pub stages: Vec<StageView>,
}

impl PipelineView {
    /// The stage's current name, or its id if the pipeline never had it.
    pub fn stage_name(&self, stage_id: StageId) -> String {
        self.stages
            .iter()
            .find(|s| s.stage_id == stage_id)
            .map_or_else(|| stage_id.to_string(), |s| s.name.clone())
    }

    /// The stage's place among the active stages (retired and unknown stages: `None`).
    pub fn rank(&self, stage_id: StageId) -> Option<usize> {
        self.stages
            .iter()
            .filter(|s| !s.retired)
            .position(|s| s.stage_id == stage_id)
    }

    fn sort(&mut self) {
        self.stages.sort_by_key(|s| s.retired);
    }
}

/// How a stay in a stage ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "to", content = "stage_id")]
pub enum StageExit {
    /// Moved to another stage.
    Moved(StageId),
    /// Won from this stage.
    Won,
    /// Lost from this stage.
    Lost,
}

/// One stay of a deal in a stage: a deal that returns to a stage has two.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageVisit {
    /// The stage.
    pub stage_id: StageId,
    /// When the deal entered it (business time).
    #[serde(with = "super::instant")]
    pub entered_at: DateTime<Utc>,
    /// The deal's amount on entering.
    pub amount: Money,
    /// The stage's probability on entering.
    pub probability: u8,
    /// When and how the deal left it; `None` while it is there.
    pub left: Option<(DateTime<Utc>, StageExit)>,
    /// The deal's amount on leaving (what was won or lost, if it closed from here).
    pub amount_on_leaving: Option<Money>,
}

impl StageVisit {
    /// How long the deal stayed, or has stayed until `at` if it is still there.
    pub fn duration(&self, at: DateTime<Utc>) -> TimeDelta {
        let end = self.left.map_or(at, |(left_at, _)| left_at);
        (end - self.entered_at).max(TimeDelta::zero())
    }
}

/// A deal as it now stands, with its whole stage history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealRecord {
    /// What it is about, as now stands (`stage_id`: the stage it is in, or was last in).
    pub terms: DealTerms,
    /// Open, won or lost.
    pub status: DealStatus,
    /// When it was opened.
    #[serde(with = "super::instant")]
    pub opened_at: DateTime<Utc>,
    /// When it was last won or lost; `None` while open.
    #[serde(with = "super::instant::optional")]
    pub closed_at: Option<DateTime<Utc>>,
    /// Why it was lost, and the manager's note, if it is lost.
    pub lost_reason: Option<(String, Option<String>)>,
    /// Every stay in a stage, oldest first.
    pub visits: Vec<StageVisit>,
}

impl DealRecord {
    /// Total time spent in each stage up to `at`, in the order the stages were first entered.
    pub fn time_per_stage(&self, at: DateTime<Utc>) -> Vec<(StageId, TimeDelta)> {
        let mut totals: Vec<(StageId, TimeDelta)> = Vec::new();
        for visit in &self.visits {
            let spent = visit.duration(at);
            match totals.iter_mut().find(|(s, _)| *s == visit.stage_id) {
                Some((_, total)) => *total = total.checked_add(&spent).unwrap_or(*total),
                None => totals.push((visit.stage_id, spent)),
            }
        }
        totals
    }

    fn leave(&mut self, at: DateTime<Utc>, exit: StageExit) {
        if let Some(visit) = self.visits.last_mut().filter(|v| v.left.is_none()) {
            visit.left = Some((at, exit));
            visit.amount_on_leaving = Some(self.terms.amount);
        }
    }

    fn enter(&mut self, stage_id: StageId, at: DateTime<Utc>, probability: u8) {
        self.terms.stage_id = stage_id;
        self.visits.push(StageVisit {
            stage_id,
            entered_at: at,
            amount: self.terms.amount,
            probability,
            left: None,
            amount_on_leaving: None,
        });
    }
}

/// Deals and pipelines, folded from the log.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Deals {
    pipelines: HashMap<PipelineId, PipelineView>,
    deals: HashMap<DealId, DealRecord>,
    by_pipeline: HashMap<PipelineId, BTreeSet<DealId>>,
    by_customer: HashMap<CustomerId, BTreeSet<DealId>>,
}

impl Deals {
    /// The pipeline named `pipeline` and its stage named `stage` (else its first active
    /// stage), names compared as words so case and accents do not matter; or why not.
    pub fn stage_named(
        &self,
        pipeline: &str,
        stage: Option<&str>,
    ) -> Result<(PipelineId, StageId), String> {
        let folded = |s: &str| crate::normalize::words(s).join(" ");
        let found = self
            .pipelines
            .values()
            .find(|p| folded(&p.name) == folded(pipeline))
            .ok_or_else(|| format!("there is no pipeline {pipeline:?}"))?;
        let mut active = found.stages.iter().filter(|s| !s.retired);
        let chosen = match stage {
            Some(name) => active
                .find(|s| folded(&s.name) == folded(name))
                .ok_or_else(|| format!("{pipeline:?} has no stage {name:?}"))?,
            None => active
                .next()
                .ok_or_else(|| format!("{pipeline:?} has no stages"))?,
        };
        Ok((found.pipeline_id, chosen.stage_id))
    }

    fn withdraw(&mut self, id: DealId) {
        let Some(deal) = self.deals.remove(&id) else {
            return;
        };
        unlist(&mut self.by_pipeline, deal.terms.pipeline_id, id);
        unlist(&mut self.by_customer, deal.terms.customer, id);
    }

    /// Keeps only the deals `keep` says yes to (a read handle's copy); pipelines stay.
    pub(crate) fn retain(&mut self, keep: &dyn Fn(&DealRecord) -> bool) {
        self.deals.retain(|_, deal| keep(deal));
        let deals = &self.deals;
        for ids in self
            .by_pipeline
            .values_mut()
            .chain(self.by_customer.values_mut())
        {
            ids.retain(|id| deals.contains_key(id));
        }
    }

    /// A pipeline as it now stands.
    pub fn pipeline(&self, pipeline_id: PipelineId) -> Option<&PipelineView> {
        self.pipelines.get(&pipeline_id)
    }

    /// Every pipeline, by name.
    pub fn pipelines(&self) -> Vec<&PipelineView> {
        let mut all: Vec<_> = self.pipelines.values().collect();
        all.sort_by(|a, b| (&a.name, a.pipeline_id).cmp(&(&b.name, b.pipeline_id)));
        all
    }

    /// A deal with its stage history.
    pub fn deal(&self, deal_id: DealId) -> Option<&DealRecord> {
        self.deals.get(&deal_id)
    }

    /// Every deal of a pipeline, in id order.
    pub fn in_pipeline(&self, pipeline_id: PipelineId) -> impl Iterator<Item = &DealRecord> {
        self.by_pipeline
            .get(&pipeline_id)
            .into_iter()
            .flatten()
            .filter_map(|id| self.deals.get(id))
    }

    /// Every deal of a customer, open or closed, in id order.
    pub fn for_customer(&self, customer: CustomerId) -> impl Iterator<Item = &DealRecord> {
        self.by_customer
            .get(&customer)
            .into_iter()
            .flatten()
            .filter_map(|id| self.deals.get(id))
    }

    /// A customer's open deals, soonest expected close first.
    pub fn open_for(&self, customer: CustomerId) -> Vec<&DealRecord> {
        let mut open: Vec<_> = self
            .by_customer
            .get(&customer)
            .into_iter()
            .flatten()
            .filter_map(|id| self.deals.get(id))
            .filter(|d| d.status == DealStatus::Open)
            .collect();
        open.sort_by_key(|d| (d.terms.expected_close, d.terms.deal_id));
        open
    }

    /// How many deals were ever opened.
    pub fn len(&self) -> usize {
        self.deals.len()
    }

    /// Whether no deal was opened.
    pub fn is_empty(&self) -> bool {
        self.deals.is_empty()
    }

    fn pipeline_mut(&mut self, pipeline_id: PipelineId) -> Option<&mut PipelineView> {
        self.pipelines.get_mut(&pipeline_id)
    }
}

impl Projection for Deals {
    fn apply(&mut self, recorded: &RecordedEvent) {
        let at = recorded.occurred_at;
        match &recorded.event {
            Event::PipelineDefined(e) => {
                let stages = e
                    .stages
                    .iter()
                    .map(|s| StageView {
                        stage_id: s.stage_id,
                        name: s.name.clone(),
                        probability: s.probability,
                        retired: false,
                    })
                    .collect();
                self.pipelines.insert(
                    e.pipeline_id,
                    PipelineView {
                        pipeline_id: e.pipeline_id,
                        name: e.name.clone(),
                        stages,
                    },
                );
            }
            Event::PipelineStageAdded(e) => {
                if let Some(p) = self.pipeline_mut(e.pipeline_id) {
                    let active = p.stages.iter().filter(|s| !s.retired).count();
                    p.stages.insert(
                        e.index.min(active),
                        StageView {
                            stage_id: e.stage.stage_id,
                            name: e.stage.name.clone(),
                            probability: e.stage.probability,
                            retired: false,
                        },
                    );
                }
            }
            Event::PipelineStageRenamed(e) => {
                if let Some(p) = self.pipeline_mut(e.pipeline_id) {
                    if let Some(s) = p.stages.iter_mut().find(|s| s.stage_id == e.stage_id) {
                        s.name = e.name.clone();
                    }
                }
            }
            Event::PipelineStagesReordered(e) => {
                if let Some(p) = self.pipeline_mut(e.pipeline_id) {
                    let rank = |s: &StageView| {
                        e.order
                            .iter()
                            .position(|id| *id == s.stage_id)
                            .unwrap_or(usize::MAX)
                    };
                    p.stages.sort_by_key(|s| (s.retired, rank(s)));
                }
            }
            Event::PipelineStageRetired(e) => {
                if let Some(p) = self.pipeline_mut(e.pipeline_id) {
                    if let Some(s) = p.stages.iter_mut().find(|s| s.stage_id == e.stage_id) {
                        s.retired = true;
                    }
                    p.sort();
                }
            }
            Event::DealOpened(e) => {
                let mut record = DealRecord {
                    terms: e.terms(),
                    status: DealStatus::Open,
                    opened_at: at,
                    closed_at: None,
                    lost_reason: None,
                    visits: Vec::new(),
                };
                record.enter(e.stage_id, at, e.probability);
                self.deals.insert(e.deal_id, record);
                self.by_pipeline
                    .entry(e.pipeline_id)
                    .or_default()
                    .insert(e.deal_id);
                self.by_customer
                    .entry(e.customer)
                    .or_default()
                    .insert(e.deal_id);
            }
            Event::DealStageChanged(e) => {
                if let Some(d) = self.deals.get_mut(&e.deal_id) {
                    d.leave(at, StageExit::Moved(e.to));
                    d.enter(e.to, at, e.probability);
                }
            }
            Event::DealAmountChanged(e) => {
                if let Some(d) = self.deals.get_mut(&e.deal_id) {
                    d.terms.amount = e.amount;
                }
            }
            Event::DealOwnerChanged(e) => {
                if let Some(d) = self.deals.get_mut(&e.deal_id) {
                    d.terms.owner = e.owner;
                }
            }
            Event::DealExpectedCloseChanged(e) => {
                if let Some(d) = self.deals.get_mut(&e.deal_id) {
                    d.terms.expected_close = e.expected_close;
                }
            }
            Event::DealWon(e) => {
                if let Some(d) = self.deals.get_mut(&e.deal_id) {
                    d.leave(at, StageExit::Won);
                    d.status = DealStatus::Won;
                    d.closed_at = Some(at);
                }
            }
            Event::DealLost(e) => {
                if let Some(d) = self.deals.get_mut(&e.deal_id) {
                    d.leave(at, StageExit::Lost);
                    d.status = DealStatus::Lost;
                    d.closed_at = Some(at);
                    d.lost_reason = Some((e.reason.clone(), e.note.clone()));
                }
            }
            Event::DealReopened(e) => {
                if let Some(d) = self.deals.get_mut(&e.deal_id) {
                    d.status = DealStatus::Open;
                    d.closed_at = None;
                    d.lost_reason = None;
                    d.enter(e.stage_id, at, e.probability);
                }
            }
            Event::RecordWithdrawn(e) => {
                if let Some(Withdrawn::Deal(id)) = e.record() {
                    self.withdraw(id);
                }
            }
            _ => {}
        }
    }
}

/// Takes `deal` out of `key`'s set, and the set out of the index once it is empty.
fn unlist<K: std::hash::Hash + Eq>(index: &mut HashMap<K, BTreeSet<DealId>>, key: K, deal: DealId) {
    if let Some(deals) = index.get_mut(&key) {
        deals.remove(&deal);
        if deals.is_empty() {
            index.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;
    use chrono::{NaiveDate, TimeZone};

    fn visit(stage: u128, from: u32, to: Option<u32>) -> StageVisit {
        let day = |d| Utc.with_ymd_and_hms(2026, 5, d, 0, 0, 0).unwrap();
        StageVisit {
            stage_id: StageId::from_uuid(uuid::Uuid::from_u128(stage)),
            entered_at: day(from),
            amount: Money::new(1, crate::money::Currency::new("EUR").unwrap()),
            probability: 10,
            left: to.map(|t| (day(t), StageExit::Won)),
            amount_on_leaving: None,
        }
    }

    #[test]
    fn time_per_stage_adds_up_returns_and_counts_an_open_stay_until_now() {
        let record = DealRecord {
            terms: DealTerms {
                deal_id: DealId::from_uuid(uuid::Uuid::from_u128(1)),
                pipeline_id: PipelineId::from_uuid(uuid::Uuid::from_u128(2)),
                stage_id: StageId::from_uuid(uuid::Uuid::from_u128(1)),
                customer: CustomerId::Contact(crate::ids::ContactId::from_uuid(uuid::Uuid::nil())),
                title: "x".into(),
                amount: Money::new(1, crate::money::Currency::new("EUR").unwrap()),
                expected_close: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
                owner: UserId::from_uuid(uuid::Uuid::nil()),
                source: None,
            },
            status: DealStatus::Open,
            opened_at: Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap(),
            closed_at: None,
            lost_reason: None,
            visits: vec![
                visit(1, 1, Some(3)),
                visit(2, 3, Some(4)),
                visit(1, 4, None),
            ],
        };
        let now = Utc.with_ymd_and_hms(2026, 5, 10, 0, 0, 0).unwrap();
        let per_stage: Vec<i64> = record
            .time_per_stage(now)
            .iter()
            .map(|(_, d)| d.num_days())
            .collect();
        assert_eq!(per_stage, [2 + 6, 1]);
    }
}
