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
    let to: Mailbox = format!(
        "{} <{}>",
        outgoing.to_name.replace(['<', '>', '"'], ""),
        outgoing.address
    )
    .parse()
    .or_else(|_| outgoing.address.parse())
    .map_err(|e| {
        SendError::new(format!(
            "{:?} is not an email address: {e}",
            outgoing.address
        ))
    })?;
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
