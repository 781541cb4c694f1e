//! `crm convert-lead`: a lead becomes the company it named and a deal, in one command.

use std::process::ExitCode;

use crm::lead_conversion::ConversionMap;
use crm::Request;

use super::erase::one_contact;
use super::Failure;
use crate::session::{find, Global, Session};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The lead: a name, email address or phone number that finds exactly one person.
    query: String,
    /// Which of the lead's fields become the company and the deal (JSON; see
    /// docs/importing.md).
    #[arg(long)]
    map: std::path::PathBuf,
    /// Whose the deal is (a user's name, email or id); else the lead's owner, else `--as`.
    #[arg(long)]
    owner: Option<String>,
}

pub async fn run(global: &Global, args: Args) -> Result<ExitCode, Failure> {
    let text =
        std::fs::read_to_string(&args.map).map_err(|e| format!("{}: {e}", args.map.display()))?;
    let map: ConversionMap = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a conversion map: {e}", args.map.display()))?;
    let session = Session::open(global).await?;
    let reader = session.reader().await?;
    let lead = one_contact(&reader, &args.query)?;
    let owner = match &args.owner {
        Some(who) => Some(
            session
                .crm
                .query_unfiltered(|v| find(v.directory.users(), who))?
                .user_id,
        ),
        None => None,
    };
    let done = session
        .crm
        .convert_lead(Request::by(session.actor.clone()), lead, &map, owner)
        .await?;
    session.crm.store().inner().flush()?;
    let reader = session.reader().await?;
    let views = reader.views();
    let name = views.cards.name(lead.into()).unwrap_or_default();
    let company = done
        .company_id
        .and_then(|id| views.cards.name(id.into()))
        .map(|c| {
            let how = if done.company_created {
                "new"
            } else {
                "existing"
            };
            format!("{how} company {c:?}")
        });
    let deal = done
        .deal_id
        .and_then(|id| views.deals.deal(id))
        .map(|d| format!("deal {:?} ({})", d.terms.title, d.terms.amount));
    let into: Vec<String> = company.into_iter().chain(deal).collect();
    say!(
        "converted {name} (contact {lead}){}",
        match into.is_empty() {
            true => String::new(),
            false => format!(" into {}", into.join(" and ")),
        }
    );
    Ok(ExitCode::SUCCESS)
}
