//! The right of access: everything the CRM holds about one person, as one document.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::audit::AuditEntry;
use crate::domain::details::Address;
use crate::event::Event;
use crate::ids::{ContactId, CustomerId, OrderId, StreamId};
use crate::projection::{ContactCard, FeedbackView, InteractionView, OrderSummary, Views};
use crate::store::{EventStore, StoreError};

/// What the CRM holds about a person (GDPR art. 15), from the projections and the log: their
/// card with everything on it, every order with its addresses, every conversation and piece
/// of feedback, their consents, the cards of contacts merged into them, and the audit trail
/// of their data. Serialize it (JSON) to hand it over.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubjectExport {
    /// Whom it is about.
    pub contact_id: ContactId,
    /// When it was made.
    pub made_at: DateTime<Utc>,
    /// Their card (its timeline cut to the latest conversations; all of them are below).
    pub card: ContactCard,
    /// Contacts merged into them: the same person, recorded twice.
    pub merged: Vec<ContactCard>,
    /// Every order, newest first.
    pub orders: Vec<OrderSummary>,
    /// Where each order went, as the order recorded it.
    pub order_addresses: Vec<OrderAddresses>,
    /// Every conversation, newest first.
    pub conversations: Vec<InteractionView>,
    /// Every review and survey answer, oldest first.
    pub feedback: Vec<FeedbackView>,
    /// Who changed what on their card and its records, newest first.
    pub audit_trail: Vec<AuditEntry>,
}

/// An order's addresses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderAddresses {
    /// The order.
    pub order_id: OrderId,
    /// Where the goods went; `None` once unreadable (erased).
    pub shipping: Option<Address>,
    /// Where the invoice went, if elsewhere.
    pub billing: Option<Address>,
}

/// The export of `contact_id` as `views` show them (a reader's views: what that reader may
/// see); `None` if there is no such card there.
pub async fn subject_export<S: EventStore + ?Sized>(
    store: &S,
    views: &Views,
    contact_id: ContactId,
    now: DateTime<Utc>,
) -> Result<Option<SubjectExport>, StoreError> {
    let Some(card) = views.contact_card(contact_id, now) else {
        return Ok(None);
    };
    let customer = CustomerId::Contact(contact_id);
    let merged: Vec<ContactCard> = card
        .merged_from
        .iter()
        .filter_map(|id| views.contact_card(*id, now))
        .collect();
    let whole = views.summary(customer);
    let mut order_addresses = Vec::new();
    for order in &whole.orders {
        let placed = store
            .read_stream(&StreamId::from(order.order_id), 1, 1)
            .await?;
        if let Some(Event::OrderPlaced(e)) = placed.first().map(|r| &r.event) {
            order_addresses.push(OrderAddresses {
                order_id: order.order_id,
                shipping: e.order.shipping_address.get().cloned(),
                billing: e
                    .order
                    .billing_address
                    .as_ref()
                    .and_then(|a| a.get().cloned()),
            });
        }
    }
    let mut feedback = Vec::new();
    for id in
        std::iter::once(customer).chain(card.merged_from.iter().map(|c| CustomerId::Contact(*c)))
    {
        if let Some(activity) = views.activity.of(id) {
            feedback.extend(activity.feedback.iter().cloned());
        }
    }
    feedback.sort_by_key(|f| f.at);
    let audit_trail = crate::audit::card_trail(store, views, customer)
        .await?
        .map(|t| t.entries)
        .unwrap_or_default();
    Ok(Some(SubjectExport {
        contact_id,
        made_at: now,
        card,
        merged,
        orders: whole.orders,
        order_addresses,
        conversations: whole.interactions,
        feedback,
        audit_trail,
    }))
}
