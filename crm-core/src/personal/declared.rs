//! Which events carry personal data, whose it is, and which of their fields it is in.

use super::PersonalField;
use crate::event::Event;
use crate::ids::CustomerId;

impl Event {
    /// The person (or organization) whose personal data this event carries: its fields are
    /// sealed with their key. `None` for an event without personal data.
    pub fn data_subject(&self) -> Option<CustomerId> {
        match self {
            Event::ContactCreated(e) => Some(CustomerId::Contact(e.contact_id)),
            Event::ContactPersonalDataChanged(e) => Some(CustomerId::Contact(e.contact_id)),
            Event::InteractionLogged(e) => Some(e.customer),
            Event::FeedbackGiven(e) => e.comment.as_ref().map(|_| e.customer),
            Event::OrderPlaced(e) => Some(e.order.customer),
            Event::MessageFailed(e) => e.to.customer(),
            Event::MessageBounced(e) => e.to.customer(),
            _ => None,
        }
    }

    /// Every personal field of the event, named as the associated data names it. An event
    /// type that gains a [`Personal`] field lists it here; `tests/personal_data.rs` fails for
    /// a personal-looking field left in clear.
    pub fn personal_fields_mut(&mut self) -> Vec<(&'static str, &mut dyn PersonalField)> {
        let mut fields: Vec<(&'static str, &mut dyn PersonalField)> = Vec::new();
        match self {
            Event::ContactCreated(e) => fields.push(("personal", &mut e.personal)),
            Event::ContactPersonalDataChanged(e) => fields.push(("personal", &mut e.personal)),
            Event::InteractionLogged(e) => {
                fields.push(("subject", &mut e.subject));
                if let Some(summary) = &mut e.summary {
                    fields.push(("summary", summary));
                }
            }
            Event::FeedbackGiven(e) => {
                if let Some(comment) = &mut e.comment {
                    fields.push(("comment", comment));
                }
            }
            Event::MessageFailed(e) if e.to.customer().is_some() => {
                fields.push(("reason", &mut e.reason));
            }
            Event::MessageBounced(e) if e.to.customer().is_some() => {
                fields.push(("reason", &mut e.reason));
            }
            Event::OrderPlaced(e) => {
                fields.push(("shipping_address", &mut e.order.shipping_address));
                if let Some(billing) = &mut e.order.billing_address {
                    fields.push(("billing_address", billing));
                }
            }
            _ => {}
        }
        fields
    }
}
