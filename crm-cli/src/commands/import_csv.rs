//! `crm import-csv`: a shop's contacts from a CSV export, through the commands.

use std::path::PathBuf;
use std::process::ExitCode;

use crm::csv_import::{headers, Duplicates, FieldMap, ImportOptions, Kind, OrderFiles};
use crm::ids::ImportId;
use crm::{Crm, SledOptions};

use super::Failure;
use crate::store::Location;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum KindArg {
    /// People: customers and leads.
    Contacts,
    /// Orders, with their lines and payments (here or in --lines and --payments).
    Orders,
    /// Deals, their pipeline and stage by name.
    Deals,
    /// Reviews and survey answers.
    Feedback,
    /// Organizations (a contacts file's `company` column links their representatives).
    Companies,
    /// Conversations: calls, emails, meetings, chats.
    Interactions,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum DuplicatesArg {
    /// Leave the existing customer as it is.
    Skip,
    /// Update the existing customer with the row.
    Update,
    /// Create the row's contact anyway.
    Create,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The CSV file.
    file: PathBuf,
    /// What the rows are.
    #[arg(long, value_enum)]
    kind: KindArg,
    /// Orders: their lines, in a file of their own (each row names its order).
    #[arg(long, value_name = "FILE")]
    lines: Option<PathBuf>,
    /// Orders: their payments, in a file of their own (each row names its order).
    #[arg(long, value_name = "FILE")]
    payments: Option<PathBuf>,
    /// The field map (JSON, as `--print-map` writes it); guessed from the headers if absent.
    #[arg(long, value_name = "FILE")]
    map: Option<PathBuf>,
    /// The source system's name, for a guessed map: ids derive from it and the row key.
    #[arg(long, default_value = "csv")]
    source: String,
    /// The source's time zone (an IANA name): local times in the file are its.
    #[arg(long)]
    tz: Option<chrono_tz::Tz>,
    /// Check the whole file and print the summary and the first errors; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the map (guessed or given) and stop.
    #[arg(long)]
    print_map: bool,
    /// A row matching another customer by email, phone or tax id.
    #[arg(long, value_enum, default_value = "skip")]
    duplicates: DuplicatesArg,
    /// Go on past bad rows, listing them, instead of stopping at the first.
    #[arg(long)]
    set_aside: bool,
    /// Start at this row (the header is row 1): to resume after a stop.
    #[arg(long, default_value_t = 2)]
    from_row: u64,
}

/// How many bad rows are listed.
const SHOWN_ERRORS: usize = 10;

pub async fn run(location: &Location, args: Args) -> Result<ExitCode, Failure> {
    let read = |path: &PathBuf| {
        std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    };
    let bytes = read(&args.file)?;
    let lines = args.lines.as_ref().map(read).transpose()?;
    let payments = args.payments.as_ref().map(read).transpose()?;
    let kind = match args.kind {
        KindArg::Contacts => Kind::Contacts,
        KindArg::Orders => Kind::Orders,
        KindArg::Deals => Kind::Deals,
        KindArg::Feedback => Kind::Feedback,
        KindArg::Companies => Kind::Companies,
        KindArg::Interactions => Kind::Interactions,
    };
    if (lines.is_some() || payments.is_some()) && kind != Kind::Orders {
        return Err("--lines and --payments are an orders import's".into());
    }
    let mut map = match &args.map {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            serde_json::from_str::<FieldMap>(&text)
                .map_err(|e| format!("{}: not a field map: {e}", path.display()))?
        }
        None => {
            let mut all = headers(&bytes)?;
            for file in lines.iter().chain(payments.iter()) {
                all.extend(headers(file)?);
            }
            FieldMap::guess(kind, &args.source, &all)
        }
    };
    if map.kind != kind {
        return Err(format!("the map is for {:?}, not {kind:?}", map.kind).into());
    }
    if let Some(zone) = args.tz {
        map.zone = zone;
    }
    if args.print_map {
        say!("{}", map.to_json());
        return Ok(ExitCode::SUCCESS);
    }
    let crm = Crm::open(location.create(SledOptions::default()).await?).await?;
    let import_id = ImportId::from_uuid(uuid::Uuid::new_v4());
    let options = ImportOptions {
        import_id,
        dry_run: args.dry_run,
        duplicates: match args.duplicates {
            DuplicatesArg::Skip => Duplicates::Skip,
            DuplicatesArg::Update => Duplicates::Update,
            DuplicatesArg::Create => Duplicates::Create,
        },
        set_aside_bad_rows: args.set_aside,
        from_row: args.from_row,
    };
    let bar = crate::progress::rows(if args.dry_run {
        "checking"
    } else {
        "importing"
    });
    let watch = |row| bar.set_position(row);
    let done = if kind == Kind::Orders {
        let files = OrderFiles {
            orders: &bytes,
            lines: lines.as_deref(),
            payments: payments.as_deref(),
        };
        crm.import_orders_csv(files, &map, &options, watch).await?
    } else {
        crm.import_csv_watched(&bytes, &map, &options, watch)
            .await?
    };
    bar.finish_and_clear();
    crm.store().inner().flush()?;
    let verb = if args.dry_run {
        "would create"
    } else {
        "created"
    };
    say!(
        "{} rows: {verb} {}, updated {}, unchanged {}; duplicates: {} skipped, {} updated, {} created; {} bad",
        done.rows,
        done.created,
        done.updated,
        done.unchanged,
        done.duplicates_skipped,
        done.duplicates_updated,
        done.duplicates_created,
        done.errors.len()
    );
    if done.customers_created > 0 || done.amounts_capped > 0 {
        say!(
            "customers created: {}; payments above what their order owed, taken up to it: {}",
            done.customers_created,
            done.amounts_capped
        );
    }
    for error in done.errors.iter().take(SHOWN_ERRORS) {
        say!("  {error}");
    }
    if done.errors.len() > SHOWN_ERRORS {
        say!("  … and {} more", done.errors.len() - SHOWN_ERRORS);
    }
    if !args.dry_run {
        say!("import {import_id} (take it back with `crm revert-import {import_id}`)");
    }
    match done.stopped_at {
        Some(row) if kind == Kind::Orders => {
            say!(
                "stopped at the order on row {row}; every order placed before it is imported. Fix \
                 it and run again (imported orders change nothing), or set it aside with --set-aside"
            );
            Ok(ExitCode::FAILURE)
        }
        Some(row) => {
            say!(
                "stopped at row {row}; everything before it is imported. Fix the row and run again \
                 (imported rows change nothing), or go on after it with --from-row {}",
                row + 1
            );
            Ok(ExitCode::FAILURE)
        }
        None if args.dry_run && !done.errors.is_empty() => Ok(ExitCode::FAILURE),
        None => Ok(ExitCode::SUCCESS),
    }
}
