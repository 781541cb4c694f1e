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

/// The words that, as the whole of a reply, unsubscribe: STOP for SMS (what carriers and
/// gateways already honour), UNSUBSCRIBE for email; either works on either channel.
pub const KEYWORDS: [&str; 4] = ["STOP", "UNSUBSCRIBE", "BAJA", "CANCELAR"];

impl<S: EventStore> Crm<S> {
    /// A reply from `from` (a phone number for SMS, an address for email) whose whole text is
    /// an unsubscribe keyword ([`KEYWORDS`], any case) withdraws the consent on `channel` of
    /// every contact with that number or address; any other reply changes nothing. Returns the
    /// contacts unsubscribed.
    pub async fn unsubscribe_reply(
        &self,
        channel: MessageChannel,
        from: &str,
        text: &str,
    ) -> Result<Vec<ContactId>, Error> {
        let word = text.trim().trim_end_matches(['.', '!']).to_uppercase();
        if !KEYWORDS.contains(&word.as_str()) {
            return Ok(Vec::new());
        }
        self.catch_up().await?;
        let contacts: Vec<ContactId> = self.query_unfiltered(|v| {
            let hits = match channel {
                MessageChannel::Email => v.search.by_email(from),
                MessageChannel::Sms => v.search.by_phone(from),
            };
            hits.into_iter()
                .filter_map(|h| match h.customer {
                    CustomerId::Contact(id) => Some(id),
                    CustomerId::Company(_) => None,
                })
                .collect()
        });
        for &contact_id in &contacts {
            self.withdraw(contact_id, channel).await?;
        }
        Ok(contacts)
    }

    async fn withdraw(&self, contact_id: ContactId, channel: MessageChannel) -> Result<(), Error> {
        let channel = ConsentChannel::from(channel);
        let by = Request::by(Actor::Api {
            client: "unsubscribe".into(),
        });
        let withdraw = ContactCommand::WithdrawConsent {
            contact_id,
            channel,
        };
        self.execute_request(by, withdraw.into()).await?;
        Ok(())
    }

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
        self.withdraw(contact_id, channel).await?;
        Ok(Some(contact_id))
    }
}
