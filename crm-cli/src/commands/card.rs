//! `crm card`.

use std::process::ExitCode;

use crm::ids::CustomerId;
use crm::time_travel::AsOf;

use super::Failure;
use crate::session::{Global, Session};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A name, email address, phone number or tax id.
    query: String,
    #[arg(long, value_name = "WHEN", help = crate::as_of::HELP)]
    as_of: Option<String>,
}

pub async fn run(global: &Global, args: Args) -> Result<ExitCode, Failure> {
    let as_of = crate::as_of::given(args.as_of.as_deref(), chrono_tz::UTC)?;
    let reader = Session::open(global).await?.into_reader(as_of).await?;
    // Open tasks are overdue as of the moment shown.
    let now = match as_of {
        Some(AsOf::Recorded(instant)) => instant.min(chrono::Utc::now()),
        _ => chrono::Utc::now(),
    };
    let v = reader.views();
    let cards: Vec<String> = v
        .search
        .find(&args.query)
        .into_iter()
        .filter_map(|hit| match hit.customer {
            CustomerId::Contact(id) => v.contact_card(id, now).map(|c| c.to_string()),
            CustomerId::Company(id) => v.company_card(id, now).map(|c| c.to_string()),
        })
        .collect();
    if cards.is_empty() {
        eprintln!("crm: no customer matches {:?}", args.query);
        return Ok(ExitCode::FAILURE);
    }
    say!("{}", cards.join("\n"));
    crate::session::leave(reader);
    Ok(ExitCode::SUCCESS)
}
