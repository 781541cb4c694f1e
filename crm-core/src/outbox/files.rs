//! [`FileSender`]: each message as a file, for the command line and tests — an email as
//! `<id>.eml` (what a mail server would get), an SMS as `<id>.sms`.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use lettre::message::Mailbox;

use super::compose::Outgoing;
use super::email::email;
use super::send::{SendError, Sender};
use crate::domain::automation::MessageChannel;

/// Writes messages into a directory, one file per message; a message sent again overwrites
/// its own file, so a directory never holds one twice.
#[derive(Debug, Clone)]
pub struct FileSender {
    dir: PathBuf,
    from: Mailbox,
}

impl FileSender {
    /// A sender into `dir` (created if missing), emails from `from`.
    pub fn new(dir: impl Into<PathBuf>, from: Mailbox) -> Self {
        Self {
            dir: dir.into(),
            from,
        }
    }

    /// Where it writes.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn write(&self, name: String, bytes: &[u8]) -> Result<(), SendError> {
        let fail = |e: std::io::Error| SendError::new(format!("{}: {e}", self.dir.display()));
        std::fs::create_dir_all(&self.dir).map_err(fail)?;
        // Written aside and renamed, so a crash never leaves half a message.
        let partial = self.dir.join(format!(".{name}.partial"));
        std::fs::write(&partial, bytes).map_err(fail)?;
        std::fs::rename(&partial, self.dir.join(name)).map_err(fail)
    }
}

#[async_trait]
impl Sender for FileSender {
    fn channels(&self) -> &[MessageChannel] {
        &[MessageChannel::Email, MessageChannel::Sms]
    }

    async fn send(&self, message: &Outgoing) -> Result<(), SendError> {
        match message.channel {
            MessageChannel::Email => {
                let bytes = email(message, &self.from)?.formatted();
                self.write(format!("{}.eml", message.message_id), &bytes)
            }
            MessageChannel::Sms => {
                let text = format!("To: {}\n\n{}\n", message.address, message.body);
                self.write(format!("{}.sms", message.message_id), text.as_bytes())
            }
        }
    }
}
