//! cqrs-es 0.5's `MemStore` without its two `println!`s per command ("loading: …",
//! "storing: …"), which make the shipped store's speed depend on where stdout goes: a
//! terminal, a pipe or a file. The same work otherwise, step for step: a load clones the
//! aggregate's whole history and folds it, a commit clones it again and puts it back with the
//! new events appended.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use cqrs_es::{Aggregate, AggregateContext, AggregateError, EventEnvelope, EventStore};

type Histories<A> = RwLock<HashMap<String, Vec<EventEnvelope<A>>>>;

pub struct QuietMemStore<A: Aggregate> {
    events: Arc<Histories<A>>,
}

impl<A: Aggregate> Default for QuietMemStore<A> {
    fn default() -> Self {
        Self {
            events: Arc::default(),
        }
    }
}

impl<A: Aggregate> QuietMemStore<A> {
    fn committed(&self, aggregate_id: &str) -> Vec<EventEnvelope<A>> {
        self.events
            .read()
            .unwrap()
            .get(aggregate_id)
            .cloned()
            .unwrap_or_default()
    }
}

pub struct Context<A: Aggregate> {
    aggregate_id: String,
    aggregate: A,
    current_sequence: usize,
}

impl<A: Aggregate> AggregateContext<A> for Context<A> {
    fn aggregate(&mut self) -> &mut A {
        &mut self.aggregate
    }
}

impl<A: Aggregate> EventStore<A> for QuietMemStore<A> {
    type AC = Context<A>;

    async fn load_events(
        &self,
        aggregate_id: &str,
    ) -> Result<Vec<EventEnvelope<A>>, AggregateError<A::Error>> {
        Ok(self.committed(aggregate_id))
    }

    async fn load_aggregate(
        &self,
        aggregate_id: &str,
    ) -> Result<Self::AC, AggregateError<A::Error>> {
        let mut aggregate = A::default();
        let mut current_sequence = 0;
        for envelope in self.committed(aggregate_id) {
            current_sequence = envelope.sequence;
            aggregate.apply(envelope.payload);
        }
        Ok(Context {
            aggregate_id: aggregate_id.to_string(),
            aggregate,
            current_sequence,
        })
    }

    async fn commit(
        &self,
        events: Vec<A::Event>,
        context: Self::AC,
        metadata: HashMap<String, String>,
    ) -> Result<Vec<EventEnvelope<A>>, AggregateError<A::Error>> {
        let mut sequence = context.current_sequence;
        let wrapped: Vec<EventEnvelope<A>> = events
            .into_iter()
            .map(|payload| {
                sequence += 1;
                EventEnvelope {
                    aggregate_id: context.aggregate_id.clone(),
                    sequence,
                    payload,
                    metadata: metadata.clone(),
                }
            })
            .collect();
        if wrapped.is_empty() {
            return Ok(wrapped);
        }
        let mut history = self.committed(&context.aggregate_id);
        history.extend(wrapped.iter().cloned());
        self.events
            .write()
            .unwrap()
            .insert(context.aggregate_id, history);
        Ok(wrapped)
    }
}
