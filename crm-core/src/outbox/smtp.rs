//! [`SmtpSender`]: email through an SMTP server, on lettre's async transport.

use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::compose::Outgoing;
use super::email::email;
use super::send::{SendError, Sender};
use crate::domain::automation::MessageChannel;

/// Sends email through an SMTP server (SMS needs a gateway's sender).
#[derive(Clone)]
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for SmtpSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSender")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl SmtpSender {
    /// Through `host:port` with STARTTLS required, logging in with `credentials` if given:
    /// what a mail provider offers.
    pub fn starttls(
        host: &str,
        port: u16,
        credentials: Option<(String, String)>,
        from: Mailbox,
    ) -> Result<Self, SendError> {
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
            .map_err(|e| SendError::new(format!("{host}: {e}")))?
            .port(port);
        if let Some((user, password)) = credentials {
            builder = builder.credentials(Credentials::new(user, password));
        }
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }

    /// Through `host:port` in clear, without logging in: only for a relay on this machine or
    /// a test server on loopback.
    pub fn unencrypted(host: &str, port: u16, from: Mailbox) -> Self {
        Self {
            transport: AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
                .port(port)
                .build(),
            from,
        }
    }
}

#[async_trait]
impl Sender for SmtpSender {
    fn channels(&self) -> &[MessageChannel] {
        &[MessageChannel::Email]
    }

    async fn send(&self, message: &Outgoing) -> Result<(), SendError> {
        let email = email(message, &self.from)?;
        self.transport.send(email).await.map(|_| ()).map_err(|e| {
            if e.is_permanent() {
                SendError::permanent(e.to_string())
            } else {
                SendError::new(e.to_string())
            }
        })
    }
}
