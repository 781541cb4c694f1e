//! [`Crm::unsubscribe`]: the way out every marketing message carries.

use crate::crm::{Crm, Request};
use crate::domain::automation::MessageChannel;
use crate::domain::contact::ContactCommand;
use crate::domain::details::ConsentChannel;
use crate::domain::message::Recipient;
use crate::error::Error;
use crate::event::Actor;
use crate::ids::{ContactId, CustomerId, MessageId};
use crate::store::EventStore;

impl<S: EventStore> Crm<S> {
    /// The person message `token` went to stops getting marketing on its channel: their
    /// consent is withdrawn (on the contact they were merged into, if they were), as the
    /// unsubscribe link or a reply with the keyword asks. Returns the contact; `None` for a
    /// token that is no message to a person. Unsubscribing twice changes nothing.
    pub async fn unsubscribe(&self, token: MessageId) -> Result<Option<ContactId>, Error> {
        self.catch_up().await?;
        let found = self.query_unfiltered(|v| {
            let entry = v.outbox.entry(token)?;
            let to = entry.delivery.to().unwrap_or(entry.message.to);
            let Recipient::Customer(customer) = to else {
                return None;
            };
            match v.cards.survivor(customer) {
                CustomerId::Contact(id) => Some((id, entry.message.channel)),
                CustomerId::Company(_) => None,
            }
        });
        let Some((contact_id, channel)) = found else {
            return Ok(None);
        };
        let channel = match channel {
            MessageChannel::Email => ConsentChannel::Email,
            MessageChannel::Sms => ConsentChannel::Sms,
        };
        let by = Request::by(Actor::Api {
            client: "unsubscribe".into(),
        });
        self.execute_request(
            by,
            ContactCommand::WithdrawConsent {
                contact_id,
                channel,
            }
            .into(),
        )
        .await?;
        Ok(Some(contact_id))
    }
}
