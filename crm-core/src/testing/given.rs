//! A given / when / then harness for deciders: a domain rule's test fits in a few lines, and
//! a failing assertion points at the test's line.
//!
//! ```
//! use crm_core::domain::contact::{Contact, ContactCommand, CreateContact};
//! use crm_core::domain::DomainError;
//! use crm_core::ids::ContactId;
//! use crm_core::testing::given;
//!
//! let id = ContactId::new();
//! given::<Contact>([])
//!     .when(ContactCommand::Create(CreateContact::new(id, " ", "")))
//!     .then_error(DomainError::EmptyName { what: "contact" });
//! ```

use crate::domain::{Aggregate, DomainError};
use crate::event::Event;

/// An aggregate state built from past events.
#[derive(Debug)]
pub struct Given<A: Aggregate> {
    state: A,
}

/// Starts a decider test from `events`, folded with `evolve`.
pub fn given<A: Aggregate>(events: impl IntoIterator<Item = Event>) -> Given<A> {
    let mut state = A::default();
    for event in events {
        state.fold(&event);
    }
    Given { state }
}

impl<A: Aggregate> Given<A> {
    /// Decides `command` against the state.
    pub fn when(self, command: A::Command) -> Then {
        Then {
            result: self.state.decide(&command),
        }
    }

    /// The state, for assertions on `evolve`.
    pub fn state(&self) -> &A {
        &self.state
    }
}

/// The outcome of a decision, to assert on.
#[derive(Debug)]
#[must_use = "a decision that is not asserted on tests nothing"]
pub struct Then {
    result: Result<Vec<Event>, DomainError>,
}

impl Then {
    /// Asserts the command was accepted with exactly these events.
    #[track_caller]
    pub fn then_events(self, expected: impl IntoIterator<Item = Event>) {
        let expected: Vec<Event> = expected.into_iter().collect();
        match self.result {
            Ok(events) => assert_eq!(events, expected, "the command decided other events"),
            Err(e) => panic!("expected events {expected:?}, but the command was rejected: {e}"),
        }
    }

    /// Asserts the command was accepted and changes nothing.
    #[track_caller]
    pub fn then_nothing(self) {
        self.then_events([]);
    }

    /// Asserts the command was rejected with this error.
    #[track_caller]
    pub fn then_error(self, expected: DomainError) {
        match self.result {
            Ok(events) => panic!("expected rejection {expected:?}, but it decided {events:?}"),
            Err(e) => assert_eq!(e, expected),
        }
    }

    /// Asserts the command was rejected with this message, as a person would read it.
    #[track_caller]
    pub fn then_error_text(self, expected: &str) {
        match self.result {
            Ok(events) => panic!("expected rejection {expected:?}, but it decided {events:?}"),
            Err(e) => assert_eq!(e.to_string(), expected),
        }
    }
}
