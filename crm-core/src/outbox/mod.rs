//! Sending what the outbox holds, and reporting back.
//!
//! [`Crm::send`](crate::Crm::send) takes each message a sender still has to send (queued, or
//! failed fewer than [`MAX_ATTEMPTS`](crate::domain::message::MAX_ATTEMPTS) times), checks
//! once more that it may go (consent, erasure, the rule still on: a person who unsubscribed
//! or was erased after it was queued gets nothing), renders it with the card as it is now
//! ([`Crm::compose`](crate::Crm::compose)), hands it to a [`Sender`], and records what came
//! of it: `MessageSent`, `MessageFailed` with the reason, or `MessageSkipped`. Bounces arrive
//! later, from the mail system, as [`MessageCommand::Bounced`](crate::domain::message::MessageCommand).
//!
//! **Delivery is at least once.** A message is recorded as sent after the sender took it: a
//! crash in between sends it again on the next run. Every email carries the message's id as
//! its `Message-ID` (`<id@crm>`), the same on every try, so mail systems and the file sender
//! (which writes `<id>.eml`) see one message; an SMS gateway can dedupe on it too. Nothing is
//! ever sent twice once its outcome is recorded.
//!
//! **Unsubscribing.** Every marketing message carries a way out: for email a link
//! ([`CrmOptions::unsubscribe_url`](crate::CrmOptions), `{token}` replaced by the message
//! id) or, without one, the keyword UNSUBSCRIBE to reply with; for SMS the keyword STOP. The
//! template may place it (`{{ unsubscribe }}`); where it does not, it is added at the end.
//! [`Crm::unsubscribe`](crate::Crm::unsubscribe) (the link's token) and
//! [`Crm::unsubscribe_reply`](crate::Crm::unsubscribe_reply) (a reply that is only a keyword)
//! withdraw the person's consent on the channel.
//!
//! Two senders ship: [`FileSender`] (messages as `.eml` and `.sms` files, for the command line
//! and tests) and, with the `smtp` feature, `SmtpSender` on lettre.

/// The shop's rule for transactional messages (a survey about an order, a payment reminder):
/// whether they, like marketing, need the person's consent on the channel. Either way they
/// never go to an erased person.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Transactional {
    /// They go to every customer the message is about (the default: they concern something
    /// the customer did, the lawful basis most shops state for them).
    #[default]
    Always,
    /// They go only to people who consented on the channel, as marketing does.
    WithConsent,
}

mod compose;
mod defaults;
mod email;
mod files;
mod mailing;
mod send;
#[cfg(feature = "smtp")]
mod smtp;
mod unsubscribe;

/// An email address with an optional name (`Tienda <hola@tienda.example>`), as senders take
/// their `From`; lettre's, re-exported so an embedding program needs no lettre of its own.
pub use lettre::message::Mailbox;

pub(crate) use compose::preview_context;
pub use compose::{Attachment, Composed, Outgoing};
pub use email::email;
pub use files::FileSender;
pub use mailing::{Mailing, MailingRun};
pub use send::{SendError, SendRun, Sender};
#[cfg(feature = "smtp")]
pub use smtp::SmtpSender;
pub use unsubscribe::KEYWORDS;
