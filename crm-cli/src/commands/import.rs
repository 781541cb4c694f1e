//! `crm import`.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use crm::log::{import, ImportOptions};
use crm::store::EventStore;
use crm::{Crm, CrmOptions, Durability, SledOptions};

use super::Failure;
use crate::progress;
use crate::store::{Location, Store};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The JSONL file, or - for standard input.
    file: PathBuf,
    /// Write lines that cannot be imported to this file and go on, instead of stopping.
    #[arg(long, value_name = "FILE")]
    skip_invalid: Option<PathBuf>,
    /// Events per append.
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    /// First take the data keys `crm export --keys` wrote, so the log's sealed personal data
    /// can be read here (keys of people erased here are not taken).
    #[arg(long, value_name = "FILE")]
    keys: Option<PathBuf>,
    /// If this import creates the store (a directory), have sled compress its pages (zstd):
    /// the Olist log takes half the disk, imported 3.5 times slower and opened about twice as
    /// slowly. A store that exists keeps what it was created with.
    #[arg(long)]
    compressed: bool,
}

pub async fn run(location: &Location, args: Args) -> Result<ExitCode, Failure> {
    if args.compressed && !matches!(location, Location::Dir(_)) {
        return Err(
            "--compressed is for a store directory: PostgreSQL compresses large rows itself".into(),
        );
    }
    // Buffered while importing, one flush at the end: every batch is still atomic, and if the
    // process dies, importing the file again resumes where the store stopped. (A PostgreSQL
    // store commits each append durably.)
    let options = SledOptions {
        durability: Durability::Buffered {
            flush_every_ms: 1000,
        },
        compression: args.compressed,
        ..SledOptions::default()
    };
    let store = location.create(options).await?;
    if let Some(path) = &args.keys {
        let taken = crate::keys_file::read(&store, path).await?;
        eprintln!("took {taken} data keys from {}", path.display());
    }
    let input: Box<dyn BufRead> = if args.file.as_os_str() == "-" {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        let file = File::open(&args.file)
            .map_err(|e| format!("cannot open {}: {e}", args.file.display()))?;
        Box::new(BufReader::new(file))
    };
    let mut rejects = match &args.skip_invalid {
        Some(path) => {
            Some(File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?)
        }
        None => None,
    };
    let mut write_error = None;
    let bar = progress::events("importing");
    let started = Instant::now();
    let options = ImportOptions {
        batch: args.batch,
        skip_invalid: rejects.is_some(),
        ..ImportOptions::default()
    };
    let result = import(
        &store,
        input,
        options,
        |rejected| {
            if let Some(file) = rejects.as_mut() {
                if let Err(e) = file
                    .write_all(rejected.bytes)
                    .and_then(|()| file.write_all(b"\n"))
                {
                    write_error.get_or_insert(e);
                }
            }
            eprintln!("line {}: set aside: {}", rejected.line, rejected.reason);
        },
        |report| bar.set_position(report.imported + report.already_present),
    )
    .await;
    bar.finish_and_clear();
    if let Some(e) = write_error {
        return Err(format!("could not write the rejected lines: {e}").into());
    }
    // Flushed whatever happened: every line before a bad one is committed, and stays so.
    store.inner().flush()?;
    let report = result?;
    let seconds = started.elapsed().as_secs_f64();
    let snapshots = snapshot_views(&store).await?;
    store.inner().flush()?;
    say!(
        "imported {} events ({} already present, {} lines set aside) from {} lines in {:.1} s: {:.0} events/s",
        report.imported,
        report.already_present,
        report.rejected,
        report.lines,
        seconds,
        (report.imported + report.already_present) as f64 / seconds.max(1e-9)
    );
    if !snapshots.is_empty() {
        let listed: Vec<String> = snapshots.iter().map(u64::to_string).collect();
        say!(
            "snapshots of the views at positions {}: later commands start from the latest",
            listed.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Replays the imported log into the views once, saving a snapshot every
/// [`SNAPSHOT_EVERY`] events and at the end, so that no later command replays it all;
/// returns the positions the store keeps snapshots at.
async fn snapshot_views(store: &Store) -> Result<Vec<u64>, Failure> {
    let options = CrmOptions {
        views_snapshot_every: SNAPSHOT_EVERY,
        views_snapshots_while_replaying: true,
        ..CrmOptions::default()
    };
    let crm = Crm::open_with(store, options).await?;
    crm.close().await?;
    Ok(store
        .views_snapshots()
        .await?
        .into_iter()
        .map(|s| s.position)
        .collect())
}

/// How far apart an import's snapshots are: time travel into an imported log replays at
/// most this many events past the snapshot it starts from.
const SNAPSHOT_EVERY: u64 = 50_000;
