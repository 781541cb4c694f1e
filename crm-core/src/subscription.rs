//! Following the log into read models of the embedding program's own: a table in its
//! database, a search engine, a webhook to another system.
//!
//! A [`Subscription`] delivers every event after its checkpoint (kept in the store under
//! `subscription:<name>`) to a [`Handler`], in log order, and saves the checkpoint after each
//! batch. A handler that fails is retried with backoff; if it still fails, the subscription
//! saves the checkpoint just before that event and stops there, reporting the event — it never
//! skips one. Run it again (after fixing the handler) and it resumes at that event.
//!
//! Delivery is at least once: if the process stops between handling events and saving the
//! checkpoint, those events (at most one batch) are delivered again, so a handler must
//! tolerate seeing an event twice (an upsert keyed by the event id or position does).
//!
//! No runtime is forced: waiting between attempts uses the sleep function the program gives
//! ([`Subscription::retry`]), and following uses [`EventStore::wait_for_append`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::event::RecordedEvent;
use crate::store::{EventStore, StoreError};

/// Why a handler could not take an event.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// What a subscription delivers events to.
#[async_trait]
pub trait Handler: Send {
    /// Takes one event. An error makes the subscription retry it, then stop at it.
    async fn handle(&mut self, event: &RecordedEvent) -> Result<(), HandlerError>;
}

/// Waits for a while: the program's own timer (`tokio::time::sleep`, an async-io `Timer`).
pub type Sleep = Arc<dyn Fn(Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// How often and how patiently a failing event is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Tries in all, at least one.
    pub attempts: u32,
    /// The wait before the second try; each later wait doubles, up to `max_delay`.
    pub first_delay: Duration,
    /// The longest wait.
    pub max_delay: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Self {
            attempts: 5,
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(10),
        }
    }
}

/// Why a subscription stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubscriptionError {
    /// The handler failed on this event every time it was tried; the checkpoint is just
    /// before it, so the next run starts with it.
    #[error("subscription {name} stopped at event {event_id} ({event_type}, position {position}): the handler failed {attempts} times, last with: {source}")]
    Handler {
        /// The subscription.
        name: String,
        /// The event's position.
        position: u64,
        /// The event's id.
        event_id: crate::ids::EventId,
        /// The event's type.
        event_type: &'static str,
        /// How many times it was tried.
        attempts: u32,
        /// The last failure.
        source: HandlerError,
    },
    /// The store failed; nothing was skipped.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A named follower of the log with its checkpoint in the store.
pub struct Subscription<S> {
    store: S,
    name: String,
    checkpoint: String,
    batch: usize,
    retry: Retry,
    sleep: Option<Sleep>,
}

impl<S: EventStore> Subscription<S> {
    /// A subscription called `name` on `store`; without [`Subscription::retry`] a failing
    /// event is tried once.
    pub fn new(store: S, name: impl Into<String>) -> Self {
        let name = name.into();
        Self {
            store,
            checkpoint: format!("subscription:{name}"),
            name,
            batch: 500,
            retry: Retry {
                attempts: 1,
                ..Retry::default()
            },
            sleep: None,
        }
    }

    /// Events read (and checkpointed) at a time.
    pub fn batch(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// Retries a failing event as `retry` says, waiting with `sleep`.
    pub fn retry(mut self, retry: Retry, sleep: Sleep) -> Self {
        self.retry = Retry {
            attempts: retry.attempts.max(1),
            ..retry
        };
        self.sleep = Some(sleep);
        self
    }

    /// The position of the last event handled, as the store keeps it (0: none yet).
    pub async fn position(&self) -> Result<u64, StoreError> {
        Ok(self
            .store
            .load_checkpoint(&self.checkpoint)
            .await?
            .unwrap_or(0))
    }

    /// Hands every event after the checkpoint to `handler`; returns the position reached.
    pub async fn catch_up(&self, handler: &mut impl Handler) -> Result<u64, SubscriptionError> {
        let mut position = self.position().await?;
        loop {
            let events = self.store.read_all(position + 1, self.batch).await?;
            let mut handled = position;
            for event in &events {
                if let Err(failure) = self.deliver(handler, event).await {
                    if handled > position {
                        self.store
                            .save_checkpoint(&self.checkpoint, handled)
                            .await?;
                    }
                    return Err(failure);
                }
                handled = event.position;
            }
            if handled > position {
                self.store
                    .save_checkpoint(&self.checkpoint, handled)
                    .await?;
                position = handled;
            }
            if events.len() < self.batch {
                return Ok(position);
            }
        }
    }

    /// Catches up, then waits for appends and hands them over as they come, until the
    /// handler gives up on an event or the store fails.
    pub async fn follow(&self, handler: &mut impl Handler) -> Result<(), SubscriptionError> {
        loop {
            let reached = self.catch_up(handler).await?;
            self.store.wait_for_append(reached).await?;
        }
    }

    async fn deliver(
        &self,
        handler: &mut impl Handler,
        event: &RecordedEvent,
    ) -> Result<(), SubscriptionError> {
        let mut delay = self.retry.first_delay;
        let mut attempt = 1;
        loop {
            let failure = match handler.handle(event).await {
                Ok(()) => return Ok(()),
                Err(failure) => failure,
            };
            tracing::warn!(
                subscription = %self.name,
                position = event.position,
                attempt,
                error = %failure,
                "a subscription's handler failed"
            );
            let Some(sleep) = self
                .sleep
                .as_ref()
                .filter(|_| attempt < self.retry.attempts)
            else {
                return Err(SubscriptionError::Handler {
                    name: self.name.clone(),
                    position: event.position,
                    event_id: event.id,
                    event_type: event.event.type_name(),
                    attempts: attempt,
                    source: failure,
                });
            };
            sleep(delay).await;
            delay = (delay * 2).min(self.retry.max_delay);
            attempt += 1;
        }
    }
}
