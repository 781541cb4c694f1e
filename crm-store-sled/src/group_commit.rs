//! Many durable appends, one flush: group commit with a flusher thread.
//!
//! Each append is numbered once applied and asks for durability up to its number. One flusher
//! thread per store flushes whenever someone is waiting, covering every append applied before
//! the flush began. While it flushes, other writers go on applying, and the next flush covers
//! them all: the flush's cost is shared by everyone who arrived during the previous one.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use crm_core::store::StoreError;

#[derive(Default)]
struct State {
    /// The highest append number someone is waiting for.
    requested: u64,
    /// Every append numbered up to this is on stable storage.
    durable: u64,
    /// Flushes finished so far.
    generation: u64,
    /// The generation whose flush failed last, and why.
    failed: Option<(u64, String)>,
    shutdown: bool,
}

#[derive(Default)]
struct Shared {
    applied: AtomicU64,
    state: Mutex<State>,
    /// Wakes the flusher.
    work: Condvar,
    /// Wakes the waiters.
    done: Condvar,
}

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared.state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Numbers appends and makes them durable in groups.
pub(crate) struct GroupCommit {
    shared: Arc<Shared>,
    flusher: Option<JoinHandle<()>>,
}

impl GroupCommit {
    /// Starts the flusher thread; `flush` must make every write applied before it started
    /// durable.
    pub(crate) fn start(
        flush: impl Fn() -> Result<(), String> + Send + 'static,
    ) -> std::io::Result<Self> {
        let shared = Arc::new(Shared::default());
        let for_thread = shared.clone();
        let flusher = std::thread::Builder::new()
            .name("crm-sled-flusher".into())
            .spawn(move || run_flusher(&for_thread, flush))?;
        Ok(Self {
            shared,
            flusher: Some(flusher),
        })
    }

    /// Numbers a write that has just been applied. Call after the write: a flush that
    /// starts once this number is taken includes it.
    pub(crate) fn applied(&self) -> u64 {
        self.shared.applied.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Returns once append number `seq` is durable, or the error of a flush that was meant to
    /// cover it.
    pub(crate) fn wait(&self, seq: u64) -> Result<(), StoreError> {
        let shared = &*self.shared;
        let mut state = lock(shared);
        let asked_at = state.generation;
        loop {
            if state.durable >= seq {
                return Ok(());
            }
            if let Some((generation, why)) = &state.failed {
                if *generation > asked_at {
                    return Err(StoreError::Backend(Box::new(std::io::Error::other(
                        why.clone(),
                    ))));
                }
            }
            if state.shutdown {
                return Err(StoreError::Backend(Box::new(std::io::Error::other(
                    "the store is closing",
                ))));
            }
            state.requested = state.requested.max(seq);
            shared.work.notify_one();
            state = shared
                .done
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

fn run_flusher(shared: &Shared, flush: impl Fn() -> Result<(), String>) {
    let mut state = lock(shared);
    loop {
        while state.requested <= state.durable && !state.shutdown {
            state = shared
                .work
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if state.requested <= state.durable {
            return; // Shutting down with nobody waiting.
        }
        drop(state);
        // Everything applied by now is included in the flush about to start.
        let target = shared.applied.load(Ordering::SeqCst);
        let result = flush();
        state = lock(shared);
        state.generation += 1;
        match result {
            Ok(()) => {
                state.durable = state.durable.max(target);
                state.failed = None;
            }
            Err(why) => {
                tracing::warn!(%why, "flush failed; waiting appends are told so");
                state.failed = Some((state.generation, why));
                // Those who were waiting get the error and may retry; do not spin.
                state.requested = state.durable;
            }
        }
        shared.done.notify_all();
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        lock(&self.shared).shutdown = true;
        self.shared.work.notify_all();
        if let Some(flusher) = self.flusher.take() {
            let _ = flusher.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    #[test]
    fn concurrent_waiters_share_flushes() {
        let flushes = Arc::new(AtomicUsize::new(0));
        let counted = flushes.clone();
        let group = GroupCommit::start(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_micros(300));
            Ok(())
        })
        .unwrap();
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..50 {
                        let seq = group.applied();
                        group.wait(seq).unwrap();
                    }
                });
            }
        });
        let flushes = flushes.load(Ordering::SeqCst);
        assert!(
            flushes < 200,
            "{flushes} flushes for 400 appends: too little was shared"
        );
    }

    #[test]
    fn a_failed_flush_is_reported_and_the_next_request_flushes_again() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = calls.clone();
        let group = GroupCommit::start(move || match counted.fetch_add(1, Ordering::SeqCst) {
            0 => Err("disk full".to_owned()),
            _ => Ok(()),
        })
        .unwrap();
        let seq = group.applied();
        let err = group.wait(seq).unwrap_err();
        assert!(err.to_string().contains("disk full"), "{err}");
        group.wait(seq).unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn dropping_stops_the_flusher() {
        let group = GroupCommit::start(|| Ok(())).unwrap();
        let seq = group.applied();
        group.wait(seq).unwrap();
        drop(group); // Joins the thread; a hang here fails the test by timeout.
    }
}
