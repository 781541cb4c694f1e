//! The deal aggregate: a sales opportunity moving through a pipeline's stages until it is won
//! or lost (outcomes, not stages), and perhaps reopened.

mod command;
pub mod events;

use serde::{Deserialize, Serialize};

pub use command::{DealCommand, DealDecision, DealTerms};
use events::*;

use super::details::free_text;
use super::pipeline::Pipeline;
use super::{Aggregate, DomainError};
use crate::event::Event;
use crate::ids::{DealId, PipelineId};
use crate::money::Money;
use crate::normalize;

/// Where a deal is in its life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DealStatus {
    /// Not opened yet.
    #[default]
    Absent,
    /// Being worked in a stage.
    Open,
    /// Closed as won.
    Won,
    /// Closed as lost.
    Lost,
}

impl std::fmt::Display for DealStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Absent => "not opened",
            Self::Open => "open",
            Self::Won => "won",
            Self::Lost => "lost",
        })
    }
}

/// Everything a deal decision needs to know.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Deal {
    /// Open, won, lost, or not opened.
    pub status: DealStatus,
    /// Its terms as they now stand; set once opened.
    pub facts: Option<DealTerms>,
}

impl Deal {
    /// The deal's pipeline, once opened.
    pub fn pipeline_id(&self) -> Option<PipelineId> {
        self.facts.as_ref().map(|f| f.pipeline_id)
    }

    /// The facts of an opened deal; the rejection otherwise.
    pub fn require_exists(&self, deal_id: DealId) -> Result<&DealTerms, DomainError> {
        self.facts
            .as_ref()
            .ok_or(DomainError::DealNotFound { deal_id })
    }

    fn require_open(&self, deal_id: DealId) -> Result<&DealTerms, DomainError> {
        let facts = self.require_exists(deal_id)?;
        match self.status {
            DealStatus::Open => Ok(facts),
            status => Err(DomainError::DealClosed {
                deal_id,
                status: status.to_string(),
            }),
        }
    }
}

fn check_amount(amount: Money) -> Result<(), DomainError> {
    if amount.minor < 0 {
        Err(DomainError::NegativeAmount { amount })
    } else {
        Ok(())
    }
}

/// The terms as they are recorded: the title without surrounding blanks.
fn trimmed(terms: &DealTerms) -> DealTerms {
    DealTerms {
        title: terms.title.trim().to_owned(),
        ..terms.clone()
    }
}

fn open(open: &DealTerms, pipeline: &Pipeline) -> Result<Vec<Event>, DomainError> {
    if normalize::words(&open.title).is_empty() {
        return Err(DomainError::EmptyName { what: "deal" });
    }
    check_amount(open.amount)?;
    let stage = pipeline.enterable_stage(open.pipeline_id, open.stage_id)?;
    Ok(vec![DealOpened {
        deal_id: open.deal_id,
        pipeline_id: open.pipeline_id,
        stage_id: open.stage_id,
        probability: stage.probability,
        customer: open.customer,
        title: open.title.trim().to_owned(),
        amount: open.amount,
        expected_close: open.expected_close,
        owner: open.owner,
        source: open.source.clone(),
    }
    .into()])
}

impl Aggregate for Deal {
    type Id = DealId;
    type Command = DealDecision;
    const SNAPSHOT_SCHEMA: u32 = 1;

    fn owned_by(&self) -> Option<crate::access::OwnedBy> {
        use crate::access::OwnedBy;
        self.facts.as_ref().map(|f| OwnedBy::User(Some(f.owner)))
    }

    fn decide(&self, decision: &DealDecision) -> Result<Vec<Event>, DomainError> {
        let pipeline = &decision.pipeline;
        let deal_id = decision.command.deal_id();
        if let DealCommand::Open(request) = &decision.command {
            return match &self.facts {
                None => open(request, pipeline),
                // Opening the same deal again is a retry, not a conflict.
                Some(facts) if *facts == trimmed(request) => Ok(Vec::new()),
                Some(_) => Err(DomainError::DealAlreadyExists { deal_id }),
            };
        }
        if let DealCommand::Reopen { stage_id, .. } = &decision.command {
            let facts = self.require_exists(deal_id)?;
            if self.status == DealStatus::Open {
                return Err(DomainError::DealNotClosed { deal_id });
            }
            let stage_id = stage_id.unwrap_or(facts.stage_id);
            let stage = pipeline.enterable_stage(facts.pipeline_id, stage_id)?;
            return Ok(vec![DealReopened {
                deal_id,
                pipeline_id: facts.pipeline_id,
                stage_id,
                probability: stage.probability,
            }
            .into()]);
        }
        let facts = self.require_open(deal_id)?;
        let events: Vec<Event> = match &decision.command {
            DealCommand::Open(_) | DealCommand::Reopen { .. } => Vec::new(),
            DealCommand::MoveToStage { stage_id, .. } => {
                let stage = pipeline.enterable_stage(facts.pipeline_id, *stage_id)?;
                if *stage_id == facts.stage_id {
                    return Ok(Vec::new());
                }
                vec![DealStageChanged {
                    deal_id,
                    pipeline_id: facts.pipeline_id,
                    from: facts.stage_id,
                    to: *stage_id,
                    probability: stage.probability,
                    amount: facts.amount,
                }
                .into()]
            }
            DealCommand::ChangeAmount { amount, .. } => {
                crate::validate::deal_currency(deal_id, facts.amount.currency, *amount)?;
                check_amount(*amount)?;
                if *amount == facts.amount {
                    return Ok(Vec::new());
                }
                vec![DealAmountChanged {
                    deal_id,
                    amount: *amount,
                }
                .into()]
            }
            DealCommand::ChangeOwner { owner, .. } if *owner == facts.owner => Vec::new(),
            DealCommand::ChangeOwner { owner, .. } => vec![DealOwnerChanged {
                deal_id,
                owner: *owner,
            }
            .into()],
            DealCommand::ChangeExpectedClose { expected_close, .. }
                if *expected_close == facts.expected_close =>
            {
                Vec::new()
            }
            DealCommand::ChangeExpectedClose { expected_close, .. } => {
                vec![DealExpectedCloseChanged {
                    deal_id,
                    expected_close: *expected_close,
                }
                .into()]
            }
            DealCommand::Win { .. } => vec![DealWon {
                deal_id,
                pipeline_id: facts.pipeline_id,
                stage_id: facts.stage_id,
                amount: facts.amount,
            }
            .into()],
            DealCommand::Lose { reason, note, .. } => {
                pipeline.require_lost_reason(reason)?;
                vec![DealLost {
                    deal_id,
                    pipeline_id: facts.pipeline_id,
                    stage_id: facts.stage_id,
                    amount: facts.amount,
                    reason: canonical_reason(pipeline, reason),
                    note: free_text(note.as_deref()),
                }
                .into()]
            }
        };
        Ok(events)
    }

    fn evolve(&mut self, event: &Event) {
        match event {
            Event::DealOpened(e) => {
                self.status = DealStatus::Open;
                self.facts = Some(e.terms());
            }
            Event::DealReopened(e) => {
                self.status = DealStatus::Open;
                if let Some(f) = &mut self.facts {
                    f.stage_id = e.stage_id;
                }
            }
            Event::DealWon(_) => self.status = DealStatus::Won,
            Event::DealLost(_) => self.status = DealStatus::Lost,
            _ => {
                let Some(f) = &mut self.facts else { return };
                match event {
                    Event::DealStageChanged(e) => f.stage_id = e.to,
                    Event::DealAmountChanged(e) => f.amount = e.amount,
                    Event::DealOwnerChanged(e) => f.owner = e.owner,
                    Event::DealExpectedCloseChanged(e) => f.expected_close = e.expected_close,
                    _ => {}
                }
            }
        }
    }
}

/// The reason as the pipeline spells it, so reports group "Price" and "price" together.
fn canonical_reason(pipeline: &Pipeline, reason: &str) -> String {
    let wanted = normalize::fold(reason);
    pipeline
        .lost_reasons
        .iter()
        .find(|r| normalize::fold(r) == wanted)
        .cloned()
        .unwrap_or_else(|| reason.trim().to_owned())
}

#[cfg(test)]
mod tests;
