//! What an event is on the wire and in the log: the [`Event`] enum, its versioned JSON form,
//! and the envelope ([`RecordedEvent`]) every store returns.
//!
//! The wire form of an event is `{"type":"ContactCreated","v":1,"data":{...}}`. Type names
//! and the payload of each `(type, v)` pair are stable public API: a changed payload gets a
//! new `v` and an upcaster (see [`crate::upcast`]) from the old one, so old logs load forever.

use std::fmt;

mod actor_de;

use chrono::{DateTime, Utc};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

use crate::domain::automation::{
    AutomationRuleDefined, AutomationRuleDisabled, AutomationRuleEnabled,
};
use crate::domain::campaign::CampaignCreated;
use crate::domain::company::events::*;
use crate::domain::contact::events::*;
use crate::domain::deal::events::*;
use crate::domain::feedback::FeedbackGiven;
use crate::domain::interaction::InteractionLogged;
use crate::domain::message::{
    MessageBounced, MessageFailed, MessageQueued, MessageScheduled, MessageSent, MessageSkipped,
};
use crate::domain::order::events::*;
use crate::domain::pipeline::events::*;
use crate::domain::task::events::*;
use crate::domain::template::TemplateSaved;
use crate::domain::user::events::*;
use crate::domain::withdrawal::RecordWithdrawn;
use crate::ids::{CorrelationId, EventId, StreamId, UserId};

macro_rules! event_types {
    ($( $(#[$doc:meta])* $variant:ident = $v:literal ),* $(,)?) => {
        /// Every domain event. Each variant's payload struct has the same name.
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum Event {
            $( $(#[$doc])* $variant($variant), )*
        }

        impl Event {
            /// Every event type with its current schema version, in declaration order.
            pub const TYPES: &'static [(&'static str, u32)] = &[$( (stringify!($variant), $v), )*];

            /// The stable type name used on the wire.
            pub fn type_name(&self) -> &'static str {
                match self { $( Self::$variant(_) => stringify!($variant), )* }
            }

            /// The schema version this release writes for this event type.
            pub fn schema_version(&self) -> u32 {
                match self { $( Self::$variant(_) => $v, )* }
            }

            fn serialize_data<S: SerializeStruct>(&self, s: &mut S) -> Result<(), S::Error> {
                match self { $( Self::$variant(data) => s.serialize_field("data", data), )* }
            }

            /// The payload alone: the `data` of the wire form, for a store that keeps the
            /// type and schema version in columns of their own.
            pub fn data_to_json(&self) -> serde_json::Result<String> {
                match self { $( Self::$variant(data) => serde_json::to_string(data), )* }
            }

            fn current_version(type_name: &str) -> Option<u32> {
                match type_name { $( stringify!($variant) => Some($v), )* _ => None }
            }

            fn decode_current<'de, D: Deserializer<'de>>(
                type_name: &str,
                data: D,
            ) -> Result<Self, D::Error> {
                match type_name {
                    $( stringify!($variant) => $variant::deserialize(data).map(Self::$variant), )*
                    other => Err(de::Error::custom(format_args!("unknown event type {other:?}"))),
                }
            }
        }

        $(
            impl From<$variant> for Event {
                fn from(e: $variant) -> Self { Self::$variant(e) }
            }
        )*
    };
}

event_types! {
    /// A person was added to the CRM.
    ContactCreated = 1,
    /// A contact's personal data (name, emails, phones, addresses, birthday, tax id) changed.
    ContactPersonalDataChanged = 1,
    /// Tags were added to or removed from a contact.
    ContactTagsChanged = 1,
    /// Custom fields of a contact were set or removed.
    ContactCustomFieldsChanged = 1,
    /// The manager who owns a contact changed.
    ContactOwnerAssigned = 1,
    /// A contact now represents a company in a role.
    ContactLinkedToCompany = 1,
    /// A contact no longer represents a company.
    ContactUnlinkedFromCompany = 1,
    /// A lead was converted into a company and a deal.
    LeadConverted = 1,
    /// A contact gave marketing consent on a channel.
    MarketingConsentGranted = 1,
    /// A contact withdrew marketing consent on a channel.
    MarketingConsentWithdrawn = 1,
    /// A duplicate contact was merged into a surviving one.
    ContactMerged = 1,
    /// A document was attached to a contact or company by reference.
    DocumentAttached = 1,
    /// An organization was added to the CRM.
    CompanyCreated = 1,
    /// A company's details changed.
    CompanyDetailsChanged = 1,
    /// Tags were added to or removed from a company.
    CompanyTagsChanged = 1,
    /// The manager who owns a company changed.
    CompanyOwnerAssigned = 1,
    /// A sales pipeline was defined with its stages and lost reasons.
    PipelineDefined = 1,
    /// A stage was added to a pipeline.
    PipelineStageAdded = 1,
    /// A pipeline's stage was renamed.
    PipelineStageRenamed = 1,
    /// A pipeline's active stages were reordered.
    PipelineStagesReordered = 1,
    /// A pipeline's stage was retired.
    PipelineStageRetired = 1,
    /// A deal was opened.
    DealOpened = 1,
    /// A deal moved to another stage.
    DealStageChanged = 1,
    /// A deal's amount changed.
    DealAmountChanged = 1,
    /// A deal got another owner.
    DealOwnerChanged = 1,
    /// A deal's expected close date changed.
    DealExpectedCloseChanged = 1,
    /// A deal was won.
    DealWon = 1,
    /// A deal was lost.
    DealLost = 1,
    /// A closed deal was reopened.
    DealReopened = 1,
    /// A task was scheduled.
    TaskScheduled = 1,
    /// A task was given to someone else.
    TaskReassigned = 1,
    /// A task's due time moved.
    TaskRescheduled = 1,
    /// A task was done.
    TaskCompleted = 1,
    /// A task was called off.
    TaskCancelled = 1,
    /// An order was placed.
    OrderPlaced = 1,
    /// Money was received for an order.
    PaymentReceived = 1,
    /// Money was paid back on an order.
    RefundIssued = 1,
    /// One of an order's checks passed.
    OrderCheckPassed = 1,
    /// An order is being prepared.
    OrderPreparationStarted = 1,
    /// An order was handed to a carrier.
    OrderShipped = 1,
    /// An order reached the customer.
    OrderDelivered = 1,
    /// An order was cancelled.
    OrderCancelled = 2,
    /// Delivered goods came back.
    OrderReturned = 1,
    /// A conversation with a customer was logged.
    InteractionLogged = 1,
    /// A customer gave feedback.
    FeedbackGiven = 1,
    /// A marketing campaign was set up.
    CampaignCreated = 1,
    /// A contact's first-touch source (and campaign) was recorded.
    ContactSourceRecorded = 1,
    /// A person was forgotten: their data key destroyed, their personal data unreadable.
    ContactErased = 1,
    /// A person or a program got an account in the CRM.
    UserAdded = 1,
    /// A user's name changed.
    UserRenamed = 1,
    /// A user was given another role.
    UserRoleChanged = 1,
    /// A user moved to another team.
    UserMovedToTeam = 1,
    /// A user can no longer act.
    UserDeactivated = 1,
    /// A deactivated user may act again.
    UserReactivated = 1,
    /// A team was formed.
    TeamCreated = 1,
    /// A team was renamed.
    TeamRenamed = 1,
    /// An automation rule was defined, or its definition replaced.
    AutomationRuleDefined = 1,
    /// An automation rule was switched on.
    AutomationRuleEnabled = 1,
    /// An automation rule was switched off.
    AutomationRuleDisabled = 1,
    /// An automation decided a message is due.
    MessageScheduled = 1,
    /// A due message was put in the outbox.
    MessageQueued = 1,
    /// A due message will not be sent.
    MessageSkipped = 1,
    /// A queued message was handed over.
    MessageSent = 1,
    /// A try to send a queued message failed.
    MessageFailed = 1,
    /// A sent message bounced.
    MessageBounced = 1,
    /// A message template was saved.
    TemplateSaved = 1,
    /// A record an import created was taken back when the import was reverted.
    RecordWithdrawn = 1,
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Event", 3)?;
        s.serialize_field("type", self.type_name())?;
        s.serialize_field("v", &self.schema_version())?;
        self.serialize_data(&mut s)?;
        s.end()
    }
}

impl Event {
    /// Decodes `data` written as `(type_name, v)`, upcasting older versions to the current one.
    fn decode<'de, D: Deserializer<'de>>(
        type_name: &str,
        v: u32,
        data: D,
    ) -> Result<Self, D::Error> {
        let current = Self::current_version(type_name)
            .ok_or_else(|| de::Error::custom(format_args!("unknown event type {type_name:?}")))?;
        if v == current {
            return Self::decode_current(type_name, data);
        }
        if v > current {
            return Err(de::Error::custom(format_args!(
                "{type_name} v{v} was written by a newer release (this one reads up to v{current})"
            )));
        }
        let old = serde_json::Value::deserialize(data)?;
        let upgraded =
            crate::upcast::upcast(type_name, v, current, old).map_err(de::Error::custom)?;
        Self::decode_current(type_name, upgraded).map_err(de::Error::custom)
    }
}

impl Event {
    /// Decodes a payload stored apart from its type name and schema version (the inverse of
    /// [`Event::data_to_json`]), upcasting an older version as the wire form does.
    pub fn from_data_json(type_name: &str, v: u32, data: &str) -> serde_json::Result<Self> {
        let mut decoder = serde_json::Deserializer::from_str(data);
        let event = Self::decode(type_name, v, &mut decoder)?;
        decoder.end()?;
        Ok(event)
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_struct("Event", &["type", "v", "data"], EventVisitor)
    }
}

struct EventVisitor;

/// Decodes `data` in place once `type` and `v` are known: the fast path for logs we wrote.
struct DataSeed<'a> {
    type_name: &'a str,
    v: u32,
}

impl<'de> DeserializeSeed<'de> for DataSeed<'_> {
    type Value = Event;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Event, D::Error> {
        Event::decode(self.type_name, self.v, d)
    }
}

impl<'de> Visitor<'de> for EventVisitor {
    type Value = Event;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"an event object {"type":..,"v":..,"data":..}"#)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Event, A::Error> {
        let mut type_name: Option<String> = None;
        let mut v: Option<u32> = None;
        let mut decoded: Option<Event> = None;
        // Only needed when a writer put `data` before `type` or `v`.
        let mut buffered: Option<serde_json::Value> = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "type" => type_name = Some(map.next_value()?),
                "v" => v = Some(map.next_value()?),
                "data" => match (&type_name, v) {
                    (Some(t), Some(v)) => {
                        decoded = Some(map.next_value_seed(DataSeed { type_name: t, v })?);
                    }
                    _ => buffered = Some(map.next_value()?),
                },
                _ => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        if let Some(event) = decoded {
            return Ok(event);
        }
        let type_name = type_name.ok_or_else(|| de::Error::missing_field("type"))?;
        let v = v.ok_or_else(|| de::Error::missing_field("v"))?;
        let data = buffered.ok_or_else(|| de::Error::missing_field("data"))?;
        Event::decode(&type_name, v, data).map_err(de::Error::custom)
    }
}

/// Who or what caused a change: a person, or a source such as an import or an automation.
/// Read by hand (see `actor_de.rs`), in the form this derive writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Actor {
    /// A person using the CRM.
    User {
        /// Which user.
        user_id: UserId,
    },
    /// A bulk import; `source` names it ("olist export of 3 May").
    Import {
        /// What was imported.
        source: String,
    },
    /// A program calling the API.
    Api {
        /// The client's name.
        client: String,
    },
    /// An automation policy reacting to events.
    Automation {
        /// The policy's name.
        policy: String,
    },
    /// The CRM itself (migrations, maintenance).
    System,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::User { user_id } => write!(f, "user {user_id}"),
            Self::Import { source } => write!(f, "the import of {source}"),
            Self::Api { client } => write!(f, "API client {client}"),
            Self::Automation { policy } => write!(f, "automation {policy}"),
            Self::System => f.write_str("the system"),
        }
    }
}

/// Who caused an event and what it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    /// Who or what made the change.
    pub actor: Actor,
    /// Shared by every event one request caused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<CorrelationId>,
    /// The event that caused this one, when an automation reacted to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causation_id: Option<EventId>,
    /// The import and the source row the event came from, for a CSV import's events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<ImportRow>,
}

/// Where an imported event came from: the import run and the row of its file (as a
/// spreadsheet numbers it: the header is row 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportRow {
    /// The import run.
    pub import_id: crate::ids::ImportId,
    /// The row.
    pub row: u64,
}

impl Metadata {
    /// Metadata naming only the actor.
    pub fn by(actor: Actor) -> Self {
        Self {
            actor,
            correlation_id: None,
            causation_id: None,
            import: None,
        }
    }
}

/// An event on its way into a store: the writer chooses its id, so a retry is recognized.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// Unique across the whole log.
    pub id: EventId,
    /// Business time: when it happened in the world, which reports bucket by.
    pub occurred_at: DateTime<Utc>,
    /// Who caused it.
    pub metadata: Metadata,
    /// What happened.
    pub event: Event,
}

/// An event as the log holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedEvent {
    /// Unique across the whole log; chosen by the writer.
    pub id: EventId,
    /// The stream (aggregate instance) it belongs to.
    pub stream: StreamId,
    /// Its place in the stream: 1, 2, 3, ... without gaps.
    pub version: u64,
    /// Its place in the whole log: strictly increasing, never reused (gaps are allowed).
    pub position: u64,
    /// Business time.
    pub occurred_at: DateTime<Utc>,
    /// When the store accepted it.
    pub recorded_at: DateTime<Utc>,
    /// Who caused it.
    pub metadata: Metadata,
    /// What happened.
    pub event: Event,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ContactId;

    fn sample() -> Event {
        Event::ContactOwnerAssigned(ContactOwnerAssigned {
            contact_id: ContactId::from_uuid(uuid::Uuid::nil()),
            owner: None,
        })
    }

    #[test]
    fn wire_form_is_type_version_data() {
        let json = serde_json::to_string(&sample()).unwrap();
        assert_eq!(
            json,
            r#"{"type":"ContactOwnerAssigned","v":1,"data":{"contact_id":"00000000-0000-0000-0000-000000000000","owner":null}}"#
        );
    }

    #[test]
    fn a_payload_stored_apart_from_its_type_decodes_back() {
        let data = sample().data_to_json().unwrap();
        let back = Event::from_data_json("ContactOwnerAssigned", 1, &data).unwrap();
        assert_eq!(back, sample());
        assert!(Event::from_data_json("ContactOwnerAssigned", 1, &format!("{data} x")).is_err());
        assert!(Event::from_data_json("Nope", 1, &data).is_err());
    }

    #[test]
    fn data_before_type_still_decodes() {
        let json = r#"{"data":{"contact_id":"00000000-0000-0000-0000-000000000000","owner":null},"v":1,"type":"ContactOwnerAssigned"}"#;
        assert_eq!(serde_json::from_str::<Event>(json).unwrap(), sample());
    }

    #[test]
    fn unknown_types_and_future_versions_are_named_in_the_error() {
        let err = serde_json::from_str::<Event>(r#"{"type":"Nope","v":1,"data":{}}"#).unwrap_err();
        assert!(
            err.to_string().contains("unknown event type \"Nope\""),
            "{err}"
        );
        let err = serde_json::from_str::<Event>(r#"{"type":"CompanyTagsChanged","v":9,"data":{}}"#)
            .unwrap_err();
        assert!(err.to_string().contains("newer release"), "{err}");
    }

    #[test]
    fn every_type_is_listed_once() {
        let mut names: Vec<_> = Event::TYPES.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Event::TYPES.len());
    }
}
