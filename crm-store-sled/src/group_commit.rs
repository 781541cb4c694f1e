//! Many durable appends, one flush: group commit.
//!
//! Each append is numbered when it is applied. A writer waiting for durability either finds
//! its number already covered by a finished flush, or starts a flush that covers every append
//! applied so far — including other writers' — while they wait for it instead of starting
//! their own.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

#[derive(Default)]
struct State {
    /// Every append numbered up to this is on stable storage.
    durable: u64,
    /// A flush is running.
    flushing: bool,
}

/// Numbers appends and makes them durable in groups.
#[derive(Default)]
pub(crate) struct GroupCommit {
    applied: AtomicU64,
    state: Mutex<State>,
    finished: Condvar,
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl GroupCommit {
    /// Numbers a write that has just been applied. Call after the write: a flush that
    /// starts once this number is taken includes it.
    pub(crate) fn applied(&self) -> u64 {
        self.applied.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Returns once append number `seq` is durable, running `flush` if no running flush
    /// covers it. `flush` must make every write applied before it started durable.
    pub(crate) fn wait<E>(&self, seq: u64, flush: impl Fn() -> Result<(), E>) -> Result<(), E> {
        let mut state = lock(&self.state);
        loop {
            if state.durable >= seq {
                return Ok(());
            }
            if !state.flushing {
                state.flushing = true;
                // Everything applied by now is included in the flush about to start.
                let target = self.applied.load(Ordering::SeqCst);
                drop(state);
                let result = flush();
                state = lock(&self.state);
                state.flushing = false;
                if result.is_ok() {
                    state.durable = state.durable.max(target);
                }
                self.finished.notify_all();
                result?;
                continue;
            }
            state = self
                .finished
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    #[cfg(test)]
    fn applied_count(&self) -> u64 {
        self.applied.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    #[test]
    fn concurrent_waiters_share_flushes() {
        let group = Arc::new(GroupCommit::default());
        let flushes = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (group, flushes) = (group.clone(), flushes.clone());
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        let seq = group.applied();
                        group
                            .wait(seq, || -> Result<(), ()> {
                                flushes.fetch_add(1, Ordering::SeqCst);
                                std::thread::sleep(std::time::Duration::from_micros(200));
                                Ok(())
                            })
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let flushes = flushes.load(Ordering::SeqCst);
        assert!(
            flushes < 400,
            "{flushes} flushes for 400 appends: nothing was shared"
        );
        assert_eq!(group.applied_count(), 400);
    }

    #[test]
    fn a_failed_flush_is_reported_and_retried_by_the_next_waiter() {
        let group = GroupCommit::default();
        let seq = group.applied();
        assert_eq!(group.wait(seq, || Err("disk full")), Err("disk full"));
        assert_eq!(group.wait(seq, || Ok::<(), &str>(())), Ok(()));
        assert_eq!(group.wait(seq, || Err("not called")), Ok(()));
    }
}
