//! `crm`: the command line of the crm library, on the durable sled store.
//!
//! Exit status: 0 when the command did what it was asked, 1 when it could not (a bad line in an
//! import, a fault found by `verify`, a store that cannot be opened), 2 for a wrong command
//! line (from clap).

/// `println!` for command output: a reader that goes away (`crm export | head`) ends the
/// program quietly, with the status a shell gives a process killed by SIGPIPE, instead of a
/// panic.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::print_line(&format!($($arg)*))
    };
}

mod as_of;
mod commands;
mod keys_file;
mod progress;
mod session;
mod store;

/// Writes `text` and a newline to standard output; see `say!`.
pub(crate) fn print_line(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{text}").and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(141);
        }
        eprintln!("crm: cannot write to standard output: {e}");
        std::process::exit(1);
    }
}

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// An event-sourced CRM for online shops: import and export event logs, rebuild projections,
/// print reports and customer cards, check the store.
#[derive(Debug, Parser)]
#[command(name = "crm", version, propagate_version = true)]
struct Cli {
    /// The store: a directory (the embedded sled store) or a PostgreSQL URL
    /// (`postgres://user@host/db`, `?schema=NAME` for tables outside `public`). `demo`,
    /// `import` and `migrate` create or migrate it; the other commands need an existing one.
    /// Personal data in it is sealed with a key per person, kept beside it (the directory's
    /// `keys` file, the database's `crm_subject_keys`) and wrapped by the key in `CRM_KEY`
    /// (base64) or the file `CRM_KEY_FILE`, else by one kept beside them.
    #[arg(long, global = true, env = "CRM_STORE", default_value = "crm-data")]
    store: store::Location,
    /// Act as this user (a name, an email or a user id; see `crm users list`): cards, reports
    /// and audit trails show what their role may see, and changes are checked against it.
    /// Without it a command acts as the system — whoever holds the store's files or its URL.
    #[arg(long = "as", global = true, env = "CRM_AS", value_name = "USER")]
    as_user: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a small online shop's summer into the store (from a seed), then print a customer
    /// card, the pipeline board and monthly sales, and how fast it wrote and replayed.
    Demo(commands::demo::Args),
    /// Import a JSONL event log (a file, or - for standard input).
    Import(commands::import::Args),
    /// Import records from a CSV export (contacts, companies, orders, deals, interactions,
    /// feedback), through the commands: a field map
    /// guessed from the headers or given, a dry run, duplicates handled as asked.
    ImportCsv(commands::import_csv::Args),
    /// Take back everything one CSV import did (records it created are withdrawn, contacts it
    /// changed get their earlier fields back), recorded as events; refused if anything since
    /// builds on it.
    RevertImport(commands::revert_import::Args),
    /// Convert a lead into the company it named and a deal in a pipeline, with a map of its
    /// fields; converting again changes nothing.
    ConvertLead(commands::convert_lead::Args),
    /// Write the store's log as JSONL to standard output.
    Export(commands::export::Args),
    /// Rebuild every projection from the start of the log, and say how fast.
    Replay,
    /// Print a report.
    Report(commands::report::Args),
    /// Find a customer by name, email, phone or tax id and print the card.
    Card(commands::card::Args),
    /// Name the events behind a figure (a sales report's cell, a board column's value) and
    /// what each adds: they sum to the figure exactly.
    Explain(commands::explain::Args),
    /// Print the pipelines' boards: each stage's deals, count, value and weighted value.
    Board(commands::board::Args),
    /// Save a snapshot of the views, so later commands start from it instead of replaying
    /// the whole log (import and every so many events save one too).
    Snapshot,
    /// Find a customer by name, email, phone or tax id and print who changed what on the card
    /// and on its deals, tasks and orders, newest first.
    Audit(commands::audit::Args),
    /// Forget a person for good (GDPR art. 17): destroy the key of their personal data and
    /// record why; their orders and amounts stay, without their name. Admin only.
    Erase(commands::erase::Args),
    /// Print everything held about a person as JSON (GDPR art. 15): card, orders with their
    /// addresses, conversations, feedback, consents and the audit trail.
    SubjectExport(commands::subject_export::Args),
    /// Check the store's integrity; exits with 1 on any fault.
    Verify,
    /// Add, list, change the role of, deactivate or reactivate users.
    Users(commands::users::Args),
    /// List the automation rules, add the built-in ones, switch them on and off.
    Automation(commands::automation::Args),
    /// Put the messages the automations made due (by now, or `--now`) in the outbox, or
    /// record why they may not go.
    RunDue(commands::outbox::RunDueArgs),
    /// List the messages in the outbox (`--all`: also those pending and skipped).
    Outbox(commands::outbox::OutboxArgs),
    /// Send what the outbox holds (files or SMTP) and record what came of each message.
    Send(commands::send::SendArgs),
    /// Mail a campaign to a segment: one message for each member who consented.
    Mail(commands::send::MailArgs),
    /// Record that a sent message came back undelivered.
    Bounce(commands::send::BounceArgs),
    /// Withdraw the marketing consent of the person an unsubscribe token was sent to.
    Unsubscribe(commands::send::UnsubscribeArgs),
    /// Save a message template, or preview one for a customer.
    Template(commands::template::Args),
    /// Create or upgrade a PostgreSQL store's tables (a sled store needs none).
    Migrate,
}

/// mimalloc, not the system's allocator: a one-shot command allocates the views' hundreds of
/// thousands of small values on several threads at once, where glibc's per-thread arenas grow
/// a page range at a time (an `mprotect` each) and its free lists cost more per call. On the
/// Olist store `crm card` from a snapshot took 0.19 s instead of 0.27 s and `crm import` 7.6 s
/// instead of 11.3 s (docs/performance.md), for more resident memory (a quarter more for the
/// import, two fifths more for the card). Microsoft's allocator, behind the crate the Rust
/// ecosystem already uses for this; nothing to configure.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // sled panics on some damaged files; the store catches that at its boundary and reports
    // the file and what to do, so the panic itself is not shown. Any other panic is a bug:
    // one line, no backtrace, for the report.
    std::panic::set_hook(Box::new(|info| {
        let in_sled = info.location().is_some_and(|l| l.file().contains("/sled-"));
        if !in_sled {
            eprintln!("crm: internal error, please report it: {info}");
        }
    }));
    let cli = Cli::parse();
    // The PostgreSQL store runs on tokio; one thread is all a command needs.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("crm: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let global = session::Global {
        store: cli.store,
        as_user: cli.as_user,
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Demo(args) => {
                commands::system_only(&global, "demo")?;
                commands::demo::run(&global.store, args).await
            }
            Command::Migrate => {
                commands::system_only(&global, "migrate")?;
                commands::migrate::run(&global.store).await
            }
            Command::Import(args) => {
                session::require_admin(&global, "import").await?;
                commands::import::run(&global.store, args).await
            }
            Command::ImportCsv(args) => {
                session::require_admin(&global, "import-csv").await?;
                commands::import_csv::run(&global.store, args).await
            }
            Command::RevertImport(args) => {
                session::require_admin(&global, "revert-import").await?;
                commands::revert_import::run(&global, args).await
            }
            Command::Export(args) => {
                session::require_admin(&global, "export").await?;
                commands::export::run(&global.store, args).await
            }
            Command::Replay => {
                session::require_admin(&global, "replay").await?;
                commands::replay::run(&global.store).await
            }
            Command::Verify => {
                session::require_admin(&global, "verify").await?;
                commands::verify::run(&global.store).await
            }
            Command::Report(args) => commands::report::run(&global, args).await,
            Command::Card(args) => commands::card::run(&global, args).await,
            Command::Board(args) => commands::board::run(&global, args).await,
            Command::Explain(args) => commands::explain::run(&global, args).await,
            Command::Snapshot => commands::snapshot::run(&global).await,
            Command::Audit(args) => commands::audit::run(&global, args).await,
            Command::Users(args) => commands::users::run(&global, args).await,
            Command::Automation(args) => commands::automation::run(&global, args).await,
            Command::RunDue(args) => commands::outbox::run_due(&global, args).await,
            Command::Outbox(args) => commands::outbox::outbox(&global, args).await,
            Command::Send(args) => commands::send::send(&global, args).await,
            Command::Mail(args) => commands::send::mail(&global, args).await,
            Command::Bounce(args) => commands::send::bounce(&global, args).await,
            Command::Unsubscribe(args) => commands::send::unsubscribe(&global, args).await,
            Command::Template(args) => commands::template::run(&global, args).await,
            Command::ConvertLead(args) => commands::convert_lead::run(&global, args).await,
            Command::Erase(args) => commands::erase::run(&global, args).await,
            Command::SubjectExport(args) => commands::subject_export::run(&global, args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("crm: {error}");
            ExitCode::FAILURE
        }
    }
}
