//! Automations: policies that turn events into commands.
//!
//! A [`Policy`] folds the log into whatever state it needs and, for each event, says which
//! commands the event calls for. `Crm` runs every policy after each command (see
//! [`Crm::react`](crate::Crm::react)): the commands carry the causing event's id as their
//! causation, its correlation id, its business time, and the policy as their actor.
//!
//! Delivery is at least once: a policy may see an event again after a crash or when its
//! checkpoint is reset, and a reaction may be retried after a failure. So a policy's commands
//! must be idempotent — derive the ids they create from the causing event's id, as
//! [`StageTasks`] does — and then a replayed reaction changes nothing.
//!
//! **Imported history is not reacted to.** An imported log is what happened elsewhere, with
//! its reactions already in it (or deliberately without them): a deal imported into a stage
//! with next actions must not get those tasks scheduled again, years late. So
//! [`crate::log::import`] records the position of the last event it appended as the
//! checkpoint [`IMPORTED_THROUGH`], and every policy treats the events up to it as reacted to:
//! it still folds them (its state stays right) but issues nothing for them. A CSV import's events
//! (those whose metadata names an import row) are history in the same way: folded, never
//! reacted to — fifty thousand imported customers must not each get a welcome mail, and a
//! revert of the import then has no reactions to chase. Policies run
//! inline after each command, so the only live events this can pass over are reactions a
//! crash left undone just before an import.

mod automations;
mod runner;
mod stage_tasks;

pub use runner::PolicyFailure;

/// The checkpoint the import sets: the position of the last event it appended. Policies
/// react only to events after it.
pub const IMPORTED_THROUGH: &str = "import:through";
pub use automations::Automations;
pub(crate) use runner::Runner;
pub use stage_tasks::StageTasks;

use crate::crm::Command;
use crate::event::RecordedEvent;

/// An automation: folds events into its own state and reacts to them with commands.
pub trait Policy: Send {
    /// A stable name: the actor of its commands and the name of its checkpoint.
    fn name(&self) -> &str;

    /// Folds one event into the policy's state. Called once per event, in log order.
    fn apply(&mut self, event: &RecordedEvent);

    /// The commands `event` calls for, given the state after applying it. Must be
    /// deterministic, with ids derived from the event, because an event may be reacted to
    /// more than once.
    fn react(&self, event: &RecordedEvent) -> Vec<Command>;

    /// The command names (see [`crate::access::COMMAND_NAMES`]) it may issue: an automation
    /// acts under its own grant, and a command outside it is refused like a person's.
    /// Nothing by default.
    fn grant(&self) -> Vec<&'static str> {
        Vec::new()
    }
}
