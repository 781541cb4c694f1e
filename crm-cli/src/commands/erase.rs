//! `crm erase`: forget a person for good.

use std::process::ExitCode;

use crm::domain::contact::ContactCommand;
use crm::ids::{ContactId, CustomerId};

use super::Failure;
use crate::session::{Global, Session};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The person: a name, email address, phone number or tax id that finds exactly one.
    query: String,
    /// Why: the request and its date (kept in clear, so no personal data in it).
    #[arg(long)]
    reason: String,
}

/// The one contact `query` finds, or why not.
pub fn one_contact(reader: &crm::Reader, query: &str) -> Result<ContactId, Failure> {
    let views = reader.views();
    let found: Vec<ContactId> = views
        .search
        .find(query)
        .into_iter()
        .filter_map(|hit| match hit.customer {
            CustomerId::Contact(id) => Some(id),
            CustomerId::Company(_) => None,
        })
        .collect();
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(format!("no person matches {query:?}").into()),
        several => {
            let names: Vec<String> = several
                .iter()
                .map(|id| {
                    let name = views
                        .cards
                        .name(CustomerId::Contact(*id))
                        .unwrap_or_default();
                    format!("{name} (contact {id})")
                })
                .collect();
            Err(format!(
                "{} people match {query:?}: {}; give their email or phone",
                several.len(),
                names.join(", ")
            )
            .into())
        }
    }
}

pub async fn run(global: &Global, args: Args) -> Result<ExitCode, Failure> {
    let session = Session::open(global).await?;
    let reader = session.reader().await?;
    let contact_id = one_contact(&reader, &args.query)?;
    let views = reader.views();
    let name = views
        .cards
        .name(CustomerId::Contact(contact_id))
        .unwrap_or_default();
    // The contacts merged into them are the same person: forget every record of them.
    let mut people = vec![contact_id];
    people.extend(views.cards.merged_from(contact_id));
    let orders = views.summary(CustomerId::Contact(contact_id)).orders.len();
    for person in &people {
        let erase = ContactCommand::Erase {
            contact_id: *person,
            reason: args.reason.clone(),
        };
        session.crm.execute(&session.actor, erase).await?;
    }
    session.crm.store().inner().flush()?;
    say!(
        "erased {name} (contact {contact_id}{}): their key is destroyed; {orders} orders kept, without their name",
        match people.len() {
            1 => String::new(),
            n => format!(" and {} merged into them", n - 1),
        }
    );
    Ok(ExitCode::SUCCESS)
}
