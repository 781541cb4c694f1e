//! [`Crm::execute_together`]: several commands on one record, decided in turn and written in
//! one append — a record brought in whole (an imported order with its payments and its
//! shipping), never half of it, and one store round trip instead of one per command.

use super::*;
use crate::store::StreamAppend;

impl<S: EventStore> Crm<S> {
    /// Carries out `steps`, all on record `id`, as [`Crm::execute_request`] would one after
    /// the other — the same access rules, requirements, deciders and command-id idempotency,
    /// each step under its own request's actor, time and command id — but writes every step's
    /// events in a single append: all of them or, when any step is refused, none. Steps
    /// carried out before (their command id found) are skipped, so a file imported again
    /// writes only what is new.
    pub async fn execute_together<A>(
        &self,
        id: A::Id,
        steps: Vec<(Request, A::Command)>,
    ) -> Result<Vec<Executed>, Error>
    where
        A: Aggregate,
        A::Command: Clone + Into<Command>,
    {
        let stream: StreamId = id.into();
        let (mut done, pending) = self.prepare::<A>(&stream, steps, None).await?;
        if !pending.is_empty() {
            let written = self.append_together::<A>(id, &stream, &pending).await?;
            for (step, executed) in pending.iter().zip(written) {
                done[step.index] = Some(executed);
            }
            if let Err(error) = self.catch_up().await {
                tracing::warn!(%error, "projections could not catch up after a command");
            }
            if self.options.run_policies {
                if let Err(error) = self.react().await {
                    tracing::warn!(%error, "policies could not react after a command");
                }
            }
        }
        Ok(done.into_iter().flatten().collect())
    }

    /// The steps not carried out before, stamped and ready to decide; the outcomes of those
    /// that were, in their places.
    #[allow(clippy::type_complexity)]
    async fn prepare<A>(
        &self,
        stream: &StreamId,
        steps: Vec<(Request, A::Command)>,
        rehearsal: Option<&Rehearsal>,
    ) -> Result<(Vec<Option<Executed>>, Vec<Step<A::Command>>), Error>
    where
        A: Aggregate,
        A::Command: Clone + Into<Command>,
    {
        let mut done: Vec<Option<Executed>> = Vec::with_capacity(steps.len());
        let mut pending = Vec::new();
        for (request, command) in steps {
            let whole: Command = command.clone().into();
            let ids = match request.command_id {
                Some(command_id) => {
                    if let Some(earlier) = rehearsal.and_then(|r| r.repeated(command_id, &whole)) {
                        done.push(Some(earlier));
                        continue;
                    }
                    match self.carried_out(command_id, stream.clone()).await? {
                        Prior::Done(executed) => {
                            done.push(Some(executed));
                            continue;
                        }
                        Prior::Fresh(command_id) => EventIds(Some(command_id)),
                    }
                }
                None => EventIds(None),
            };
            let (metadata, occurred_at) = self.stamp(&request);
            let access = self.access(&metadata.actor, &whole).await?;
            done.push(None);
            pending.push(Step {
                index: done.len() - 1,
                whole,
                command,
                metadata,
                occurred_at,
                ids,
                access,
            });
        }
        Ok((done, pending))
    }

    /// Decides the steps in turn on the record as it stands and appends all their events at
    /// once; decides again from a fresh load on a conflict.
    async fn append_together<A>(
        &self,
        id: A::Id,
        stream: &StreamId,
        steps: &[Step<A::Command>],
    ) -> Result<Vec<Executed>, Error>
    where
        A: Aggregate,
    {
        let attempts = self.options.max_retries + 1;
        for _ in 0..attempts {
            let decided = self.decide_steps::<A>(id, stream, steps, None).await?;
            if decided.new_events.is_empty() {
                return Ok(decided.executed(0, false));
            }
            match self
                .store
                .append(
                    stream,
                    ExpectedVersion::Exact(decided.version),
                    decided.new_events.clone(),
                )
                .await
            {
                Ok(outcome) => {
                    let every = self.options.snapshot_every;
                    if outcome.last_version / every > decided.version / every {
                        self.save_snapshot(stream, &decided.state, outcome.last_version)
                            .await;
                    }
                    // The append's last position: waiting for it is waiting for every step's.
                    return Ok(decided.executed(outcome.last_position, !outcome.written));
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(Error::TooManyConflicts {
            stream: stream.clone(),
            attempts,
        })
    }

    /// The steps decided in turn on the record as it stands (plus, in a batch, what the batch
    /// decided before), with the events to append.
    async fn decide_steps<A>(
        &self,
        id: A::Id,
        stream: &StreamId,
        steps: &[Step<A::Command>],
        rehearsal: Option<&Rehearsal>,
    ) -> Result<Decided<A>, Error>
    where
        A: Aggregate,
    {
        let (mut state, version) = self.load_in::<A>(id, rehearsal).await?;
        let mut events_of = Vec::with_capacity(steps.len());
        let mut new_events = Vec::new();
        for step in steps {
            for requirement in requirements(&step.whole) {
                self.check(requirement, rehearsal).await?;
            }
            if let Some(access) = &step.access {
                self.authorize(access, state.owned_by()).await?;
            }
            let events = state.decide(&step.command)?;
            for (index, event) in events.iter().enumerate() {
                crate::validate::check(stream, step.occurred_at, event)?;
                state.fold(event);
                new_events.push(NewEvent {
                    id: step.ids.next(index, &*self.ids),
                    occurred_at: step.occurred_at,
                    metadata: step.metadata.clone(),
                    event: event.clone(),
                });
            }
            events_of.push(events);
        }
        Ok(Decided {
            stream: stream.clone(),
            state,
            version,
            events_of,
            new_events,
        })
    }

    /// Decides `steps` on record `id` as [`Crm::execute_together`] would, on the store's
    /// state plus what `batch` holds, and adds their events to `batch` for
    /// [`Crm::commit`] to write with the rest. The outcomes carry no position yet.
    pub(crate) async fn decide_into<A>(
        &self,
        batch: &mut Batch,
        id: A::Id,
        steps: Vec<(Request, A::Command)>,
    ) -> Result<Vec<Executed>, Error>
    where
        A: Aggregate,
        A::Command: Clone + Into<Command>,
    {
        let stream: StreamId = id.into();
        let (mut done, pending) = self
            .prepare::<A>(&stream, steps, Some(&batch.rehearsal))
            .await?;
        if pending.is_empty() {
            return Ok(done.into_iter().flatten().collect());
        }
        let decided = self
            .decide_steps::<A>(id, &stream, &pending, Some(&batch.rehearsal))
            .await?;
        batch
            .rehearsal
            .decided(&stream, decided.events_of.iter().flatten().cloned());
        let (version, mut decided) = (decided.version, decided);
        let new_events = std::mem::take(&mut decided.new_events);
        for (step, executed) in pending.iter().zip(decided.executed(0, false)) {
            if let Some(command_id) = step.ids.0 {
                batch.rehearsal.carried_out(command_id, &executed);
            }
            done[step.index] = Some(executed);
        }
        if !new_events.is_empty() {
            batch.appends.push(StreamAppend {
                stream,
                expected: ExpectedVersion::Exact(version),
                events: new_events,
            });
        }
        Ok(done.into_iter().flatten().collect())
    }

    /// Writes what `batch` holds in one `append_many`, then catches the views up; returns
    /// how many of its appends were written. Fewer than [`Batch::len`] when another writer
    /// changed one of its records in between: the appends from that one on were not written,
    /// and the caller carries their records out again one by one (what was written is
    /// recognized by its command ids).
    pub(crate) async fn commit(&self, batch: Batch) -> Result<usize, Error> {
        if batch.appends.is_empty() {
            return Ok(0);
        }
        let outcome = self.store.append_many(batch.appends).await;
        match outcome.failed {
            None | Some((_, StoreError::Conflict { .. } | StoreError::Refused { .. })) => {}
            Some((_, other)) => return Err(other.into()),
        }
        if let Err(error) = self.catch_up().await {
            tracing::warn!(%error, "projections could not catch up after a batch");
        }
        Ok(outcome.done.len())
    }
}

/// One step of [`Crm::execute_together`], ready to decide.
struct Step<C> {
    /// Its place among the steps asked for.
    index: usize,
    whole: Command,
    command: C,
    metadata: Metadata,
    occurred_at: DateTime<Utc>,
    ids: EventIds,
    access: Option<Access>,
}

/// Steps decided on one record: its state after them, the version they were decided at, each
/// step's events, and the events to append.
struct Decided<A> {
    stream: StreamId,
    state: A,
    version: u64,
    events_of: Vec<Vec<Event>>,
    new_events: Vec<NewEvent>,
}

impl<A> Decided<A> {
    /// Each step's outcome, once written at `position` (0: not yet, or nothing to write).
    fn executed(self, position: u64, repeated: bool) -> Vec<Executed> {
        let mut at_version = self.version;
        self.events_of
            .into_iter()
            .map(|events| {
                at_version += events.len() as u64;
                Executed {
                    stream: self.stream.clone(),
                    version: at_version,
                    position: if events.is_empty() { 0 } else { position },
                    events,
                    repeated,
                }
            })
            .collect()
    }
}

/// Records decided and waiting to be written in one `append_many` (see [`Crm::commit`]): an
/// import's next few hundred records, each whole, in one store round trip.
#[derive(Default)]
pub(crate) struct Batch {
    rehearsal: Rehearsal,
    appends: Vec<StreamAppend>,
}

impl Batch {
    /// How many appends it holds.
    pub(crate) fn len(&self) -> usize {
        self.appends.len()
    }
}
