//! The aggregates: each a decider with a `State`, its commands, `decide` and `evolve`.
//!
//! Deciders are pure: no I/O, no clock, no randomness. Everything a decision needs arrives in
//! the command or in the state, so the same history and command always decide the same way.

pub mod automation;
pub mod campaign;
pub mod company;
pub mod contact;
pub mod deal;
pub mod details;
mod error;
pub mod feedback;
pub mod interaction;
pub mod message;
pub mod order;
pub mod pipeline;
mod requirement;
pub mod task;
pub mod template;
pub mod user;
pub mod withdrawal;

pub use error::DomainError;
pub use requirement::Requirement;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::access::OwnedBy;
use crate::event::Event;
use crate::ids::StreamId;

/// A consistency boundary: one stream, one state, decided one command at a time.
///
/// `evolve` takes `&mut self` rather than returning a new state: the same pure fold, without
/// moving a large state through every event of a replay.
pub trait Aggregate:
    Default + Clone + Send + Sync + Serialize + DeserializeOwned + 'static
{
    /// Its id type.
    type Id: Copy + Into<StreamId> + std::fmt::Display + Send + Sync;
    /// The commands it decides.
    type Command: Send + Sync;

    /// Bumped whenever the state's shape changes, so stale snapshots are rebuilt from events.
    const SNAPSHOT_SCHEMA: u32;

    /// The events that carry out `command`, or why it is rejected. No events: nothing to do.
    fn decide(&self, command: &Self::Command) -> Result<Vec<Event>, DomainError>;

    /// Folds one of this aggregate's events into the state. Other events are ignored.
    fn evolve(&mut self, event: &Event);

    /// Folds one event of the aggregate's stream: [`evolve`](Self::evolve), except that a
    /// withdrawn record is as if it had never been created, whatever kind it is.
    fn fold(&mut self, event: &Event) {
        match event {
            Event::RecordWithdrawn(_) => *self = Self::default(),
            other => self.evolve(other),
        }
    }

    /// Whose the record is, for the access rules; `None` while it does not exist.
    fn owned_by(&self) -> Option<OwnedBy> {
        None
    }
}
