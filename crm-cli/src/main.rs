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

mod commands;
mod progress;
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
    #[arg(long, global = true, env = "CRM_STORE", default_value = "crm-data")]
    store: store::Location,
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
    /// Write the store's log as JSONL to standard output.
    Export(commands::export::Args),
    /// Rebuild every projection from the start of the log, and say how fast.
    Replay,
    /// Print a report.
    Report(commands::report::Args),
    /// Find a customer by name, email, phone or tax id and print the card.
    Card(commands::card::Args),
    /// Find a contact by name, email, phone or tax id and print who changed what on the card,
    /// newest first.
    Audit(commands::audit::Args),
    /// Check the store's integrity; exits with 1 on any fault.
    Verify,
    /// Create or upgrade a PostgreSQL store's tables (a sled store needs none).
    Migrate,
}

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
    let result = runtime.block_on(async {
        match cli.command {
            Command::Demo(args) => commands::demo::run(&cli.store, args).await,
            Command::Import(args) => commands::import::run(&cli.store, args).await,
            Command::Export(args) => commands::export::run(&cli.store, args).await,
            Command::Replay => commands::replay::run(&cli.store).await,
            Command::Report(args) => commands::report::run(&cli.store, args).await,
            Command::Card(args) => commands::card::run(&cli.store, args).await,
            Command::Audit(args) => commands::audit::run(&cli.store, args).await,
            Command::Verify => commands::verify::run(&cli.store).await,
            Command::Migrate => commands::migrate::run(&cli.store).await,
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
