//! `crm audit`.

use std::process::ExitCode;

use crm::audit::contact_trail;
use crm::ids::CustomerId;

use super::{open_crm, Failure};
use crate::store::Location;

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

pub async fn run(location: &Location, args: Args) -> Result<ExitCode, Failure> {
    let crm = open_crm(location).await?;
    let contacts: Vec<_> = crm.query_unfiltered(|v| {
        v.search
            .find(&args.query)
            .into_iter()
            .filter_map(|hit| match hit.customer {
                CustomerId::Contact(id) => v.cards.contact(id).map(|card| (id, card.personal.name)),
                CustomerId::Company(_) => None,
            })
            .collect()
    });
    if contacts.is_empty() {
        eprintln!("crm: no contact matches {:?}", args.query);
        return Ok(ExitCode::FAILURE);
    }
    for (id, name) in contacts {
        let trail = contact_trail(crm.store(), id).await?;
        say!(
            "{} {} ({id}): {} changes",
            name.given,
            name.family,
            trail.len()
        );
        for entry in trail.iter().skip(args.skip).take(args.limit) {
            say!("  {entry}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
