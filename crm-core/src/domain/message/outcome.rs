//! What the embedding program reports back once it tried to send a queued message: sent,
//! failed (with the reason; tried again up to [`MAX_ATTEMPTS`] times), or bounced after it was
//! sent. The reasons are personal data of the recipient: a mail server's answer often quotes
//! the address, so they are sealed with the person's key and shredded with it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Recipient;
use crate::ids::MessageId;
use crate::personal::Personal;

/// How many times a sender tries a message before it stays failed.
pub const MAX_ATTEMPTS: u32 = 3;

/// A queued message was handed over (to the mail server, the SMS gateway, a file). Field names
/// are wire format: rename nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageSent {
    /// The message.
    pub message_id: MessageId,
    /// Whom it went to, as queued.
    pub to: Recipient,
    /// When the sender handed it over.
    pub at: DateTime<Utc>,
}

/// A try to send a queued message failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageFailed {
    /// The message.
    pub message_id: MessageId,
    /// Whom it was for, as queued.
    pub to: Recipient,
    /// When the sender gave up on this try.
    pub at: DateTime<Utc>,
    /// Which try this was, from 1.
    pub attempt: u32,
    /// What the sender was told.
    pub reason: Personal<String>,
}

/// A sent message came back undelivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageBounced {
    /// The message.
    pub message_id: MessageId,
    /// Whom it was for, as queued.
    pub to: Recipient,
    /// When the bounce arrived.
    pub at: DateTime<Utc>,
    /// What the bounce said.
    pub reason: Personal<String>,
}
