//! `crm send`, `crm mail` and `crm unsubscribe`: the outbox handed to a sender, a campaign
//! mailed to a segment, and the way out of marketing.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use crm::domain::automation::MessageChannel;
use crm::ids::MessageId;
use crm::outbox::{FileSender, Mailbox, Mailing, Sender, SmtpSender};
use crm::projection::Segment;
use crm::CrmOptions;

use super::Failure;
use crate::session::{Global, Session};

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Via {
    /// Write each message as a file into `--dir`: `<id>.eml`, `<id>.sms`.
    Files,
    /// Email through an SMTP server (`--smtp-host`, `--smtp-port`).
    Smtp,
}

#[derive(Debug, clap::Args)]
pub struct SendArgs {
    /// Where the messages go.
    #[arg(long, value_enum)]
    sender: Via,
    /// For `--sender files`: the directory (created if missing).
    #[arg(long, required_if_eq("sender", "files"))]
    dir: Option<PathBuf>,
    /// The `From` of emails.
    #[arg(long, default_value = "crm <crm@localhost>")]
    from: Mailbox,
    /// For `--sender smtp`: the server.
    #[arg(long, default_value = "localhost")]
    smtp_host: String,
    /// For `--sender smtp`: its port.
    #[arg(long, default_value_t = 587)]
    smtp_port: u16,
    /// For `--sender smtp`: speak to it in clear, without STARTTLS or a login (a relay on
    /// this machine only).
    #[arg(long)]
    smtp_plain: bool,
    /// For `--sender smtp`: the login; the password is read from CRM_SMTP_PASSWORD.
    #[arg(long)]
    smtp_user: Option<String>,
    /// The shop's unsubscribe page for marketing email, `{token}` standing for the message
    /// id; without one, marketing email asks for a reply with UNSUBSCRIBE.
    #[arg(long, env = "CRM_UNSUBSCRIBE_URL")]
    unsubscribe_url: Option<String>,
}

pub async fn send(global: &Global, args: SendArgs) -> Result<ExitCode, Failure> {
    let options = CrmOptions {
        unsubscribe_url: args.unsubscribe_url.clone(),
        ..CrmOptions::default()
    };
    let session = Session::open_with(global, options).await?;
    let sender: Box<dyn Sender> = match args.sender {
        Via::Files => {
            let dir = args.dir.ok_or("--sender files needs --dir DIR")?;
            Box::new(FileSender::new(dir, args.from))
        }
        Via::Smtp if args.smtp_plain => Box::new(SmtpSender::unencrypted(
            &args.smtp_host,
            args.smtp_port,
            args.from,
        )),
        Via::Smtp => {
            let login = match args.smtp_user {
                Some(user) => {
                    let password = std::env::var("CRM_SMTP_PASSWORD")
                        .map_err(|_| "--smtp-user needs the password in CRM_SMTP_PASSWORD")?;
                    Some((user, password))
                }
                None => None,
            };
            Box::new(SmtpSender::starttls(
                &args.smtp_host,
                args.smtp_port,
                login,
                args.from,
            )?)
        }
    };
    let run = session.crm.send(sender.as_ref()).await?;
    session.crm.store().inner().flush()?;
    say!(
        "{} sent, {} failed (tried again next time, three times in all), {} no longer to be sent",
        run.sent,
        run.failed,
        run.skipped
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Channel {
    Email,
    Sms,
}

#[derive(Debug, clap::Args)]
pub struct MailArgs {
    /// The campaign: its name or id.
    campaign: String,
    /// The template's name.
    #[arg(long)]
    template: String,
    /// Email or SMS.
    #[arg(long, value_enum, default_value = "email")]
    channel: Channel,
    /// When the messages are due (RFC 3339); now if not given.
    #[arg(long)]
    due: Option<DateTime<chrono::FixedOffset>>,
    /// Segment: an address in this city.
    #[arg(long)]
    city: Option<String>,
    /// Segment: an address in this region.
    #[arg(long)]
    region: Option<String>,
    /// Segment: this tag.
    #[arg(long)]
    tag: Option<String>,
    /// Segment: bought something in this category.
    #[arg(long)]
    bought_category: Option<String>,
    /// Segment: bought this product (its id).
    #[arg(long)]
    bought_product: Option<String>,
    /// Segment: at least this many orders.
    #[arg(long)]
    min_orders: Option<usize>,
}

pub async fn mail(global: &Global, args: MailArgs) -> Result<ExitCode, Failure> {
    let session = Session::open(global).await?;
    let wanted = args.campaign.trim().to_lowercase();
    let campaign = session.crm.query_unfiltered(|v| {
        v.activity
            .campaigns()
            .find(|c| c.name.to_lowercase() == wanted || c.campaign_id.to_string() == wanted)
            .map(|c| (c.campaign_id, c.name.clone()))
    });
    let (campaign_id, name) = campaign
        .ok_or_else(|| format!("no campaign is called or has the id {:?}", args.campaign))?;
    let channel = match args.channel {
        Channel::Email => MessageChannel::Email,
        Channel::Sms => MessageChannel::Sms,
    };
    let segment = Segment {
        city: args.city,
        region: args.region,
        tag: args.tag,
        bought_category: args.bought_category,
        bought_product: args.bought_product,
        min_orders: args.min_orders,
        ..Segment::default()
    };
    if segment == Segment::default() {
        return Err("say who the mailing is for: --city, --region, --tag, --bought-category, --bought-product or --min-orders".into());
    }
    let mailing = Mailing {
        campaign_id,
        segment,
        channel,
        template: args.template,
        due: args.due.map_or_else(Utc::now, |t| t.with_timezone(&Utc)),
    };
    let run = session.crm.mail(&session.actor, mailing).await?;
    session.crm.store().inner().flush()?;
    say!(
        "{name}: {} in the segment, {} messages scheduled, {} without consent on the channel",
        run.members,
        run.scheduled,
        run.without_consent
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct UnsubscribeArgs {
    /// The token of the unsubscribe link (the message's id).
    token: MessageId,
}

pub async fn unsubscribe(global: &Global, args: UnsubscribeArgs) -> Result<ExitCode, Failure> {
    let session = Session::open(global).await?;
    match session.crm.unsubscribe(args.token).await? {
        Some(contact) => {
            session.crm.store().inner().flush()?;
            let name = session
                .crm
                .query_unfiltered(|v| v.cards.name(crm::ids::CustomerId::Contact(contact)))
                .unwrap_or_else(|| contact.to_string());
            say!("{name} gets no more marketing on that channel");
            Ok(ExitCode::SUCCESS)
        }
        None => Err(format!("{} is not the token of a message to a person", args.token).into()),
    }
}

#[derive(Debug, clap::Args)]
pub struct BounceArgs {
    /// The message that came back (its id: the token in its links, the local part of its
    /// Message-ID).
    message: MessageId,
    /// What the bounce said ("550 mailbox unavailable").
    #[arg(long)]
    reason: String,
}

pub async fn bounce(global: &Global, args: BounceArgs) -> Result<ExitCode, Failure> {
    let session = Session::open(global).await?;
    let command = crm::domain::message::MessageCommand::Bounced {
        message_id: args.message,
        at: Utc::now(),
        reason: args.reason,
    };
    let done = session.crm.execute(&session.actor, command).await?;
    session.crm.store().inner().flush()?;
    if done.wrote() {
        say!("message {}: bounced", args.message);
    } else {
        say!("message {}: its bounce was already recorded", args.message);
    }
    Ok(ExitCode::SUCCESS)
}
