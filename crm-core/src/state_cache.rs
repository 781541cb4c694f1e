//! Which aggregate states stay in memory between commands, so that `Crm::execute` costs the
//! same at the thousandth event of a stream as at the first.
//!
//! A cached state is only a starting point: `Crm::load` still reads the stream after the
//! cached version, so events written by other processes are never missed.

use foldhash::HashMap;
use std::any::Any;
use std::sync::Mutex;

use crate::crm::lock;
use crate::domain::Aggregate;
use crate::ids::StreamId;

struct Entry {
    version: u64,
    state: Box<dyn Any + Send + Sync>,
}

/// Up to `capacity` aggregate states, by stream.
pub(crate) struct StateCache {
    capacity: usize,
    entries: Mutex<HashMap<StreamId, Entry>>,
}

impl StateCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(HashMap::default()),
        }
    }

    /// Drops every state: after an erasure, a cached state may hold the person's data.
    pub(crate) fn clear(&self) {
        lock(&self.entries).clear();
    }

    /// The cached state of `stream` and the version it includes.
    pub(crate) fn get<A: Aggregate>(&self, stream: &StreamId) -> Option<(A, u64)> {
        let entries = lock(&self.entries);
        let entry = entries.get(stream)?;
        let state = entry.state.downcast_ref::<A>()?;
        Some((state.clone(), entry.version))
    }

    /// The cached state of `stream`, taken out of the cache: for a command that puts back
    /// the state it decided on, without a copy.
    pub(crate) fn take<A: Aggregate>(&self, stream: &StreamId) -> Option<(A, u64)> {
        let mut entries = lock(&self.entries);
        if !entries.get(stream)?.state.is::<A>() {
            return None;
        }
        let entry = entries.remove(stream)?;
        let state = entry.state.downcast::<A>().ok()?;
        Some((*state, entry.version))
    }

    /// Remembers `state` at `version`, unless a newer one is already cached.
    pub(crate) fn put<A: Aggregate>(&self, stream: &StreamId, state: A, version: u64) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = lock(&self.entries);
        if entries.get(stream).is_some_and(|e| e.version >= version) {
            return;
        }
        if entries.len() >= self.capacity && !entries.contains_key(stream) {
            // Any victim will do: a miss costs one snapshot load, never correctness.
            if let Some(victim) = entries.keys().next().cloned() {
                entries.remove(&victim);
            }
        }
        entries.insert(
            stream.clone(),
            Entry {
                version,
                state: Box::new(state),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::company::Company;
    use crate::domain::contact::Contact;

    fn stream(n: u32) -> StreamId {
        crate::testing::stream(n)
    }

    #[test]
    fn keeps_the_newest_state_and_its_type() {
        let cache = StateCache::new(2);
        cache.put(&stream(1), Contact::default(), 5);
        cache.put(&stream(1), Contact::default(), 3);
        assert_eq!(cache.get::<Contact>(&stream(1)).map(|(_, v)| v), Some(5));
        assert!(
            cache.get::<Company>(&stream(1)).is_none(),
            "a state of another type is a miss"
        );
    }

    #[test]
    fn never_holds_more_than_its_capacity() {
        let cache = StateCache::new(2);
        for n in 0..5 {
            cache.put(&stream(n), Contact::default(), 1);
        }
        assert_eq!(lock(&cache.entries).len(), 2);
        let off = StateCache::new(0);
        off.put(&stream(1), Contact::default(), 1);
        assert!(off.get::<Contact>(&stream(1)).is_none());
    }
}
