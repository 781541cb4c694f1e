//! `crm replay`.

use std::process::ExitCode;
use std::time::Instant;

use crm::projection::{Projection, Views};
use crm::store::EventStore;

use super::Failure;
use crate::progress;
use crate::store::Location;

pub async fn run(location: &Location) -> Result<ExitCode, Failure> {
    let store = location.open().await?;
    let bar = progress::events("replaying");
    let started = Instant::now();
    let mut views = Views::default();
    let mut next = 1;
    let mut count = 0u64;
    loop {
        let batch = store.read_all(next, 4096).await?;
        for event in &batch {
            views.apply(event);
            next = event.position + 1;
        }
        count += batch.len() as u64;
        bar.set_position(count);
        if batch.len() < 4096 {
            break;
        }
    }
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    say!(
        "replayed {count} events into {} cards, {} deals, {} tasks in {seconds:.1} s: {:.0} events/s",
        views.cards.len(),
        views.deals.len(),
        views.tasks.len(),
        count as f64 / seconds.max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}
