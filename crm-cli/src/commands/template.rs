//! `crm template`: the message templates a shop edits — save one (refused with the line and
//! the reason when it is broken) and preview it for a customer.

use std::path::PathBuf;
use std::process::ExitCode;

use crm::domain::automation::MessageChannel;
use crm::domain::template::{TemplateCommand, TemplateSaved};
use crm::ids::TemplateId;

use super::erase::one_contact;
use super::Failure;
use crate::session::{Global, Session};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: TemplateArgs,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Channel {
    /// An email: values are HTML-escaped.
    Email,
    /// A text message: values are plain.
    Sms,
}

#[derive(Debug, clap::Subcommand)]
enum TemplateArgs {
    /// Save a template (Jinja syntax; it sees `customer.name`, `customer.given_name`,
    /// `customer.email`, `due` and `due_date`).
    Save {
        /// Its name, as rules use it (`survey`, `birthday`).
        name: String,
        /// Email or SMS.
        #[arg(long, value_enum, default_value = "email")]
        channel: Channel,
        /// An email's subject line (a template too).
        #[arg(long)]
        subject: Option<String>,
        /// The file holding the body.
        #[arg(long, value_name = "FILE")]
        body_file: PathBuf,
    },
    /// Render a saved template for a customer, as it would go out.
    Preview {
        /// The template's name.
        name: String,
        /// The customer: a name, email, phone or tax id that finds exactly one person.
        query: String,
    },
}

pub async fn run(global: &Global, args: Args) -> Result<ExitCode, Failure> {
    let session = Session::open(global).await?;
    match args.command {
        TemplateArgs::Save {
            name,
            channel,
            subject,
            body_file,
        } => {
            let body = std::fs::read_to_string(&body_file)
                .map_err(|e| format!("cannot read {}: {e}", body_file.display()))?;
            let saved = TemplateSaved {
                template_id: TemplateId::named(&name),
                name: name.trim().to_owned(),
                channel: match channel {
                    Channel::Email => MessageChannel::Email,
                    Channel::Sms => MessageChannel::Sms,
                },
                subject,
                body,
            };
            let executed = session
                .crm
                .execute(&session.actor, TemplateCommand::Save(saved))
                .await?;
            session.crm.store().inner().flush()?;
            say!(
                "template {:?}: {}",
                name.trim(),
                if executed.wrote() {
                    "saved"
                } else {
                    "unchanged"
                }
            );
        }
        TemplateArgs::Preview { name, query } => {
            let reader = session.reader().await?;
            let contact = one_contact(&reader, &query)?;
            let Some(rendered) = session.crm.preview(&reader, &name, contact).await? else {
                return Err(format!("no template named {name:?}").into());
            };
            if let Some(subject) = rendered.subject {
                say!("Subject: {subject}\n");
            }
            say!("{}", rendered.body);
        }
    }
    Ok(ExitCode::SUCCESS)
}
