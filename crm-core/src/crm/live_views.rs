//! The views a `Crm` serves queries from, shared between the commands that feed them and the
//! queries that read them, so that neither holds up the other.
//!
//! Queries share a read lock. A command's catch-up applies its events when no query holds the
//! views; when one does, the events wait here, and the next query applies them before it
//! reads. So a long report never stalls a command, and a query still sees every event read
//! before it started — its own commands' included (read-your-writes).

use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard, TryLockError};

use super::lock;
use crate::event::RecordedEvent;
use crate::projection::{Tracked, Views};

/// The views, and the batches read for them but not applied yet.
pub(crate) struct LiveViews {
    views: RwLock<Tracked<Views>>,
    unapplied: Mutex<Unapplied>,
}

/// Batches in the order they were read: each starts at or before the end of the one before,
/// so applying them in turn (skipping what was applied) leaves no gap.
#[derive(Default)]
struct Unapplied {
    /// The last position read, applied or not.
    through: u64,
    batches: Vec<Arc<Vec<RecordedEvent>>>,
}

impl LiveViews {
    pub(crate) fn new(views: Views) -> Self {
        Self {
            views: RwLock::new(Tracked::new(views)),
            unapplied: Mutex::default(),
        }
    }

    /// Puts `views` (a snapshot) in place of the views, before anyone shares them.
    pub(crate) fn replace(&mut self, views: Tracked<Views>) {
        let unapplied = self
            .unapplied
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        unapplied.through = views.position;
        unapplied.batches.clear();
        *self.views.get_mut().unwrap_or_else(PoisonError::into_inner) = views;
    }

    /// The last position read for the views, applied or waiting: where the next read starts.
    pub(crate) fn through(&self) -> u64 {
        lock(&self.unapplied).through
    }

    /// Takes in a batch read from the store after [`LiveViews::through`], and applies what
    /// waits unless a query holds the views. Returns the position read through.
    pub(crate) fn offer(&self, events: Arc<Vec<RecordedEvent>>) -> u64 {
        let through = {
            let mut unapplied = lock(&self.unapplied);
            match events.last() {
                Some(last) if last.position > unapplied.through => {
                    unapplied.through = last.position;
                    unapplied.batches.push(events);
                }
                _ => {}
            }
            unapplied.through
        };
        match self.views.try_write() {
            Ok(mut views) => self.apply_waiting(&mut views),
            Err(TryLockError::Poisoned(poisoned)) => self.apply_waiting(&mut poisoned.into_inner()),
            // A query holds the views: it, or the next one, applies the batch.
            Err(TryLockError::WouldBlock) => {}
        }
        through
    }

    /// The views with everything read so far applied, for a query.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Tracked<Views>> {
        if !lock(&self.unapplied).batches.is_empty() {
            let mut views = self.views.write().unwrap_or_else(PoisonError::into_inner);
            self.apply_waiting(&mut views);
        }
        self.views.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The views with everything read so far applied, taken out: no one else holds them.
    pub(crate) fn into_inner(self) -> Tracked<Views> {
        let mut views = self
            .views
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        let batches = self
            .unapplied
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
            .batches;
        for batch in &batches {
            views.apply_batch(batch);
        }
        views
    }

    fn apply_waiting(&self, views: &mut RwLockWriteGuard<'_, Tracked<Views>>) {
        // Taken under the views' write lock, so two appliers never interleave batches.
        let batches = std::mem::take(&mut lock(&self.unapplied).batches);
        for batch in &batches {
            views.apply_batch(batch);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::contact::{Contact, ContactCommand, CreateContact};
    use crate::domain::Aggregate;
    use crate::event::{Actor, Metadata};
    use crate::ids::{ContactId, EventId};

    /// Contact number `position` created, at that position.
    fn created(position: u64) -> RecordedEvent {
        let id = ContactId::derived("live-views", &position.to_string());
        let create = CreateContact::new(id, "Ada", &position.to_string());
        let mut events = Contact::default()
            .decide(&ContactCommand::Create(create))
            .unwrap_or_default();
        let at = chrono::DateTime::UNIX_EPOCH;
        RecordedEvent {
            id: EventId::from_uuid(uuid::Uuid::from_u128(u128::from(position))),
            stream: id.into(),
            version: 1,
            position,
            occurred_at: at,
            recorded_at: at,
            metadata: Metadata::by(Actor::System),
            event: events.remove(0),
        }
    }

    fn batch(positions: std::ops::RangeInclusive<u64>) -> Arc<Vec<RecordedEvent>> {
        Arc::new(positions.map(created).collect())
    }

    #[test]
    fn a_batch_offered_while_a_query_reads_waits_for_the_next_query() {
        let live = LiveViews::new(Views::default());
        let query = live.read();
        assert_eq!(
            live.offer(batch(1..=3)),
            3,
            "read through, though not applied"
        );
        assert_eq!(
            query.position, 0,
            "the running query is not changed under it"
        );
        drop(query);
        let next = live.read();
        assert_eq!(next.position, 3);
        assert_eq!(next.projection.cards.len(), 3);
    }

    #[test]
    fn overlapping_batches_apply_each_event_once() {
        let live = LiveViews::new(Views::default());
        let query = live.read();
        live.offer(batch(1..=2));
        live.offer(batch(1..=4));
        live.offer(batch(2..=3));
        drop(query);
        assert_eq!(live.through(), 4);
        let views = live.read();
        assert_eq!(views.position, 4);
        assert_eq!(views.projection.cards.len(), 4);
    }
}
