//! `crm run-due` and `crm outbox`: what the automations decided is due, put in the outbox, and
//! what is in it.

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use crm::domain::message::Recipient;

use super::Failure;
use crate::session::{Global, Session};

#[derive(Debug, clap::Args)]
pub struct RunDueArgs {
    /// Run as of this instant (RFC 3339, e.g. 2026-07-01T09:00:00+02:00) instead of now.
    #[arg(long)]
    now: Option<DateTime<chrono::FixedOffset>>,
    /// At most this many marketing messages to one person in seven days; the rest are
    /// skipped as capped (0: no cap).
    #[arg(long, default_value_t = 3)]
    marketing_per_week: u32,
}

pub async fn run_due(global: &Global, args: RunDueArgs) -> Result<ExitCode, Failure> {
    let options = crm::CrmOptions {
        marketing_per_week: Some(args.marketing_per_week).filter(|n| *n > 0),
        ..crm::CrmOptions::default()
    };
    let session = Session::open_with(global, options).await?;
    let now = args.now.map_or_else(Utc::now, |t| t.with_timezone(&Utc));
    let done = session.crm.run_due(now).await?;
    session.crm.store().inner().flush()?;
    say!(
        "as of {}: {} messages queued, {} skipped",
        now.format("%Y-%m-%d %H:%M UTC"),
        done.queued,
        done.skipped
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct OutboxArgs {
    /// Also list messages not yet due, skipped, sent and given up on.
    #[arg(long)]
    all: bool,
}

pub async fn outbox(global: &Global, args: OutboxArgs) -> Result<ExitCode, Failure> {
    let session = Session::open(global).await?;
    let reader = session.reader().await?;
    let views = reader.views();
    let entries = views.outbox.all();
    let mut shown = 0;
    for entry in entries {
        let m = &entry.message;
        // Without --all: what is still to be sent.
        if !(args.all || entry.delivery.to_send()) {
            continue;
        }
        let state = entry.delivery.to_string();
        let to = entry.delivery.to().unwrap_or(m.to);
        // The read handle holds the messages of the customers its reader may see, and the
        // reports sent to them.
        let (name, whom) = match to {
            Recipient::Customer(customer) => {
                let Some(name) = views.cards.name(customer) else {
                    continue;
                };
                (name, customer.to_string())
            }
            Recipient::User(user) => {
                let name = views
                    .directory
                    .user(user)
                    .map_or_else(|| user.to_string(), |p| p.name.clone());
                (name, format!("user {user}"))
            }
        };
        let kind = if m.marketing {
            "marketing"
        } else {
            "transactional"
        };
        say!(
            "{}  {:<14} {kind} {:?} to {name} ({whom})  due {}",
            m.message_id,
            state,
            m.template,
            m.due.format("%Y-%m-%d %H:%M UTC")
        );
        shown += 1;
    }
    if shown == 0 {
        say!("the outbox is empty");
    }
    Ok(ExitCode::SUCCESS)
}
