//! Which identifiers exist, and how each is minted: typed UUID newtypes and stream ids.
//!
//! Every kind of thing has its own id type so that a `ContactId` can never be passed where a
//! `CompanyId` is expected. Ids minted here are UUID v7 (time-ordered, so new rows land at the
//! end of indexes); ids of imported records are UUID v5 of their source key, so importing the
//! same source twice yields the same ids.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The namespace under which [`ContactId::derived`] and friends hash source keys.
///
/// Part of the public contract: changing it would change every derived id.
pub const IMPORT_NAMESPACE: Uuid = Uuid::from_u128(0x6a1c_6f1e_9b7d_4c2a_8e51_c3a0_0d4e_7f12);

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered id (UUID v7).
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps an existing UUID.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The id of a record imported from `source` under `key`: UUID v5, so the same
            /// source key always yields the same id.
            pub fn derived(source: &str, key: &str) -> Self {
                let name = format!("{}/{}/{}", $prefix, source, key);
                Self(Uuid::new_v5(&IMPORT_NAMESPACE, name.as_bytes()))
            }

            /// The underlying UUID.
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }
    };
}

typed_id!(
    /// A person the shop deals with: customer, lead, or a company's representative.
    ContactId, "contact"
);
typed_id!(
    /// An organization that buys from the shop.
    CompanyId, "company"
);
typed_id!(
    /// A sales opportunity in a pipeline.
    DealId, "deal"
);
typed_id!(
    /// A sales funnel: ordered stages a deal moves through.
    PipelineId, "pipeline"
);
typed_id!(
    /// One stage of a pipeline. Stable across renames and reorders.
    StageId, "stage"
);
typed_id!(
    /// A piece of work on someone's list: a call to make, an invoice to send.
    TaskId, "task"
);
typed_id!(
    /// A customer order.
    OrderId, "order"
);
typed_id!(
    /// One conversation with a customer: a call, an email, a chat. Derived from the source
    /// message's id when there is one, so logging the same message twice logs it once.
    InteractionId, "interaction"
);
typed_id!(
    /// A marketing campaign that brings in leads.
    CampaignId, "campaign"
);
typed_id!(
    /// One piece of customer feedback: a review, an NPS or CES answer.
    FeedbackId, "feedback"
);
typed_id!(
    /// A document attached by reference (invoice, quote, contract).
    DocumentId, "document"
);
typed_id!(
    /// A user of the CRM: a manager who owns customers and handles interactions.
    UserId, "user"
);
typed_id!(
    /// One recorded event. Chosen by the writer, so that a retried append is recognized.
    EventId, "event"
);
typed_id!(
    /// Ties together every event caused by one request, across streams.
    CorrelationId, "correlation"
);

/// The name of one event stream: one stream per aggregate instance, `contact-<uuid>`.
///
/// Stream ids are plain strings so that stores can key on them directly; the typed
/// constructors (`StreamId::from(contact_id)`) keep the naming scheme in one place.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StreamId(String);

impl StreamId {
    /// A stream id from its textual form. Any non-empty string is a valid stream id.
    pub fn new(name: impl Into<String>) -> Result<Self, InvalidStreamId> {
        let name = name.into();
        if name.is_empty() || name.chars().any(char::is_control) {
            return Err(InvalidStreamId(name));
        }
        Ok(Self(name))
    }

    /// The textual form, as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the first `-`: the aggregate kind (`contact`, `company`, ...).
    pub fn category(&self) -> &str {
        self.0.split_once('-').map_or(self.0.as_str(), |(c, _)| c)
    }
}

/// A stream name that is empty or contains control characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid stream id {0:?}: must be non-empty and free of control characters")]
pub struct InvalidStreamId(pub String);

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StreamId({})", self.0)
    }
}

macro_rules! stream_of {
    ($($id:ident => $category:literal),* $(,)?) => {$(
        impl From<$id> for StreamId {
            fn from(id: $id) -> Self {
                Self(format!(concat!($category, "-{}"), id))
            }
        }
    )*};
}

stream_of! {
    ContactId => "contact",
    CompanyId => "company",
    PipelineId => "pipeline",
    DealId => "deal",
    TaskId => "task",
    OrderId => "order",
    InteractionId => "interaction",
    CampaignId => "campaign",
    FeedbackId => "feedback",
}

/// A customer: either a person or an organization. Cards and search results are keyed by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerId {
    /// A person.
    Contact(ContactId),
    /// An organization.
    Company(CompanyId),
}

impl From<ContactId> for CustomerId {
    fn from(id: ContactId) -> Self {
        Self::Contact(id)
    }
}

impl From<CompanyId> for CustomerId {
    fn from(id: CompanyId) -> Self {
        Self::Company(id)
    }
}

impl fmt::Display for CustomerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Contact(id) => write!(f, "contact {id}"),
            Self::Company(id) => write!(f, "company {id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_and_distinct_per_kind() {
        let a = ContactId::derived("olist", "42");
        assert_eq!(a, ContactId::derived("olist", "42"));
        assert_ne!(a.as_uuid(), CompanyId::derived("olist", "42").as_uuid());
        assert_ne!(a, ContactId::derived("olist", "43"));
    }

    #[test]
    fn stream_ids_name_their_aggregate() {
        let id = ContactId::from_uuid(Uuid::nil());
        let stream = StreamId::from(id);
        assert_eq!(
            stream.as_str(),
            "contact-00000000-0000-0000-0000-000000000000"
        );
        assert_eq!(stream.category(), "contact");
    }

    #[test]
    fn empty_stream_ids_are_rejected() {
        assert!(StreamId::new("").is_err());
        assert!(StreamId::new("a\nb").is_err());
    }

    #[test]
    fn ids_round_trip_through_json_as_plain_uuids() {
        let id = ContactId::new();
        let json = serde_json::to_string(&id).unwrap_or_default();
        assert_eq!(json, format!("\"{id}\""));
        let back: ContactId = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, id);
    }
}
