//! Where a policy is in the log: what it has folded, and what it has reacted to.

use serde::Serialize;

use super::Policy;
use crate::crm::Command;
use crate::event::RecordedEvent;

/// A reaction a policy could not carry out because the command was rejected. The policy moves
/// on (a rejected command would be rejected again); the failure stays visible here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyFailure {
    /// The policy.
    pub policy: String,
    /// The position of the event it reacted to.
    pub position: u64,
    /// Why the command was rejected or refused.
    pub error: String,
}

/// A policy and its progress. Two positions, because folding and reacting can part: after a
/// restart the policy folds the events up to its checkpoint without reacting to them again,
/// and after a failed reaction it has folded an event it has not yet reacted to.
pub(crate) struct Runner {
    pub(crate) policy: Box<dyn Policy>,
    /// The last position folded into the policy's state.
    folded: u64,
    /// The last position reacted to; `None` until the checkpoint is loaded.
    done: Option<u64>,
    /// The last position saved as the checkpoint.
    saved: u64,
}

impl Runner {
    pub(crate) fn new(policy: Box<dyn Policy>) -> Self {
        Self {
            policy,
            folded: 0,
            done: None,
            saved: 0,
        }
    }

    pub(crate) fn checkpoint_name(&self) -> String {
        format!("policy:{}", self.policy.name())
    }

    /// Whether the checkpoint still has to be loaded.
    pub(crate) fn needs_checkpoint(&self) -> bool {
        self.done.is_none()
    }

    pub(crate) fn start_from_checkpoint(&mut self, checkpoint: u64) {
        self.done = Some(checkpoint);
        self.saved = checkpoint;
    }

    /// Counts every event up to `position` as reacted to (see [`super::IMPORTED_THROUGH`]);
    /// they are still folded.
    pub(crate) fn reacted_through(&mut self, position: u64) {
        if let Some(done) = self.done.as_mut() {
            *done = (*done).max(position);
        }
    }

    /// The first position it still needs to see.
    pub(crate) fn next_position(&self) -> u64 {
        self.folded.min(self.done.unwrap_or(0)) + 1
    }

    /// Folds `event` if it is new to the state; returns the commands it calls for if it has
    /// not been reacted to yet.
    pub(crate) fn see(&mut self, event: &RecordedEvent) -> Option<Vec<Command>> {
        if event.position > self.folded {
            self.policy.apply(event);
            self.folded = event.position;
        }
        // A CSV import's rows are history, like an imported log (see the module docs).
        (event.position > self.done.unwrap_or(0)).then(|| match event.metadata.import {
            Some(_) => Vec::new(),
            None => self.policy.react(event),
        })
    }

    /// Records that the reaction to the event at `position` is carried out.
    pub(crate) fn reacted(&mut self, position: u64) {
        self.done = Some(position);
    }

    /// The position to save as the checkpoint: when the policy wrote something, or ran
    /// `every` positions past the last save.
    pub(crate) fn unsaved(&self, wrote: bool, every: u64) -> Option<u64> {
        self.done
            .filter(|done| *done > self.saved && (wrote || *done - self.saved >= every))
    }

    pub(crate) fn saved(&mut self, position: u64) {
        self.saved = position;
    }
}
