//! [`Crm::execute_together`]: several commands on one record, decided in turn and written in
//! one append — a record brought in whole (an imported order with its payments and its
//! shipping), never half of it, and one store round trip instead of one per command.

use super::*;

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
        let mut done: Vec<Option<Executed>> = Vec::with_capacity(steps.len());
        let mut pending = Vec::new();
        for (request, command) in steps {
            let whole: Command = command.clone().into();
            let ids = match request.command_id {
                Some(command_id) => match self.carried_out(command_id, stream.clone()).await? {
                    Prior::Done(executed) => {
                        done.push(Some(executed));
                        continue;
                    }
                    Prior::Fresh(command_id) => EventIds(Some(command_id)),
                },
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
            let (mut state, version) = self.load::<A>(id).await?;
            let mut events_of = Vec::with_capacity(steps.len());
            let mut new_events = Vec::new();
            for step in steps {
                for requirement in requirements(&step.whole) {
                    self.check(requirement, None).await?;
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
            if new_events.is_empty() {
                return Ok(events_of
                    .into_iter()
                    .map(|events| Executed {
                        stream: stream.clone(),
                        version,
                        position: 0,
                        events,
                        repeated: false,
                    })
                    .collect());
            }
            match self
                .store
                .append(stream, ExpectedVersion::Exact(version), new_events)
                .await
            {
                Ok(outcome) => {
                    let every = self.options.snapshot_every;
                    if outcome.last_version / every > version / every {
                        self.save_snapshot(stream, &state, outcome.last_version)
                            .await;
                    }
                    let mut at_version = version;
                    return Ok(events_of
                        .into_iter()
                        .map(|events| {
                            at_version += events.len() as u64;
                            Executed {
                                stream: stream.clone(),
                                version: at_version,
                                // The append's last: waiting for it is waiting for the step's.
                                position: if events.is_empty() {
                                    0
                                } else {
                                    outcome.last_position
                                },
                                events,
                                repeated: !outcome.written,
                            }
                        })
                        .collect());
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
