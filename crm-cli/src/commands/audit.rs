//! `crm audit`.

use std::process::ExitCode;

use super::Failure;
use crate::session::{Global, Session};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A name, email address, phone number or tax id.
    query: String,
    /// Entries to skip, newest first (for paging).
    #[arg(long, default_value_t = 0)]
    skip: usize,
    /// Entries to show at most.
    #[arg(long, default_value_t = 50)]
    limit: usize,
}

pub async fn run(global: &Global, args: Args) -> Result<ExitCode, Failure> {
    let session = Session::open(global).await?;
    let reader = session.reader().await?;
    let views = reader.views();
    let mut found = false;
    for hit in views.search.find(&args.query) {
        let Some(trail) = session.crm.audit_trail(&reader, hit.customer).await? else {
            continue;
        };
        found = true;
        let name = views.cards.name(hit.customer).unwrap_or_default();
        let shown = trail.page(args.skip, args.limit);
        say!(
            "{name} ({}): {} changes{}",
            hit.customer,
            trail.entries.len(),
            paging(args.skip, shown.len(), trail.entries.len())
        );
        for entry in shown {
            say!("  {entry}");
        }
    }
    if !found {
        eprintln!("crm: no customer matches {:?}", args.query);
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// ", showing 51–100" when the page is not the whole trail.
fn paging(skip: usize, shown: usize, total: usize) -> String {
    if shown == total {
        return String::new();
    }
    if shown == 0 {
        return format!(", none after the first {total}");
    }
    format!(", showing {}–{}", skip + 1, skip + shown)
}
