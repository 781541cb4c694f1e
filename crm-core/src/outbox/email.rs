//! An [`Outgoing`] email as an RFC 5322 message, with lettre's builder: the same bytes for
//! the file sender and the SMTP sender.

use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment as MimeAttachment, Body, Mailbox, MultiPart, SinglePart};
use lettre::Message;

use super::compose::Outgoing;
use super::send::SendError;

/// The `List-Unsubscribe` header (RFC 2369), which mail clients show as an unsubscribe
/// button; lettre has no typed one.
#[derive(Debug, Clone)]
struct ListUnsubscribe(String);

impl lettre::message::header::Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `outgoing` as an email from `from`, its `Message-ID` the message id (the same on every
/// try); refused if the card's address is not one.
pub fn email(outgoing: &Outgoing, from: &Mailbox) -> Result<Message, SendError> {
    let address: lettre::Address = outgoing.address.trim().parse().map_err(|e| {
        SendError::new(format!(
            "{:?} is not an email address: {e}",
            outgoing.address
        ))
    })?;
    // The name as a display name, which lettre quotes and encodes as it needs.
    let name = Some(outgoing.to_name.clone()).filter(|n| !n.trim().is_empty());
    let to = Mailbox::new(name, address);
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .message_id(Some(format!("<{}@crm>", outgoing.message_id)))
        .date(outgoing.date.into())
        .subject(outgoing.subject.clone().unwrap_or_default());
    if let Some(link) = outgoing
        .unsubscribe
        .as_deref()
        .filter(|l| l.starts_with("http"))
    {
        builder = builder.header(ListUnsubscribe(format!("<{link}>")));
    }
    let html = SinglePart::html(outgoing.body.clone());
    let message = match &outgoing.attachment {
        None => builder.singlepart(html),
        Some(a) => builder.multipart(
            MultiPart::mixed().singlepart(html).singlepart(
                // Base64 whatever the text: a report's table arrives byte for byte.
                MimeAttachment::new(a.file_name.clone()).body(
                    Body::new_with_encoding(a.content.clone(), ContentTransferEncoding::Base64)
                        .map_err(|_| SendError::new("the attachment cannot be encoded"))?,
                    ContentType::TEXT_PLAIN,
                ),
            ),
        ),
    };
    message.map_err(|e| SendError::new(format!("the email cannot be built: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::automation::MessageChannel;
    use crate::ids::MessageId;

    fn outgoing(name: &str, address: &str) -> Outgoing {
        Outgoing {
            message_id: MessageId::from_uuid(uuid::Uuid::from_u128(7)),
            channel: MessageChannel::Email,
            to_name: name.into(),
            address: address.into(),
            subject: Some("Hola".into()),
            body: "<p>Hola</p>".into(),
            unsubscribe: None,
            attachment: None,
            campaign: None,
            date: chrono::DateTime::from_timestamp(1_780_000_000, 0).unwrap_or_default(),
        }
    }

    fn from() -> Mailbox {
        Mailbox::new(
            None,
            "shop@example.com"
                .parse()
                .unwrap_or_else(|_| unreachable!()),
        )
    }

    #[test]
    fn a_name_with_commas_and_quotes_is_encoded_and_a_bad_address_refused() {
        let odd = email(&outgoing("García, \"Ana\" <x>", "ana@example.com"), &from());
        let text =
            String::from_utf8(odd.map(|m| m.formatted()).unwrap_or_default()).unwrap_or_default();
        assert!(text.contains("<ana@example.com>"), "{text}");
        assert!(text.contains("Message-ID: <00000000-0000-0000-0000-000000000007@crm>"));
        let bad = email(&outgoing("Ana", "ana at example"), &from()).map(|_| ());
        assert_eq!(
            bad.map_err(|e| e.reason.split(':').next().map(str::to_owned)),
            Err(Some(
                "\"ana at example\" is not an email address".to_owned()
            ))
        );
    }
}
