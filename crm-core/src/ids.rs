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
    /// A team of users led by a head of sales.
    TeamId, "team"
);
typed_id!(
    /// An automation rule: a trigger, a delay and an action.
    RuleId, "rule"
);
typed_id!(
    /// A message an automation sends: derived from its rule and its cause.
    MessageId, "message"
);
typed_id!(
    /// A message template, by name.
    TemplateId, "template"
);
typed_id!(
    /// One run of a CSV import: every event it caused carries it, with the source row.
    ImportId, "import"
);
typed_id!(
    /// One recorded event. Chosen by the writer, so that a retried append is recognized.
    EventId, "event"
);
typed_id!(
    /// Ties together every event caused by one request, across streams.
    CorrelationId, "correlation"
);
typed_id!(
    /// A command's idempotency key, chosen by the caller: the ids of the events a command
    /// writes derive from it, so the same command sent twice (a retry after a timeout or a
    /// lost connection) is recognized and carried out once.
    CommandId, "command"
);

impl CommandId {
    /// The id of the `index`th event this command writes: UUID v5 of the index under the
    /// command id. Derived rather than time-ordered, so that a retry writes the same ids.
    pub fn event_id(&self, index: usize) -> EventId {
        let index = u64::try_from(index).unwrap_or(u64::MAX);
        EventId(Uuid::new_v5(&self.0, &index.to_be_bytes()))
    }

    /// The id the same command runs under once the record its first run created was
    /// withdrawn (its import reverted): derived, so the run after a revert is as repeatable
    /// as the first.
    pub fn after_withdrawal(&self) -> Self {
        Self(Uuid::new_v5(&self.0, b"after withdrawal"))
    }

    /// The command a policy issues as its `index`th reaction to `event`: the same on every
    /// run, so reacting twice to one event writes once.
    pub fn reaction(policy: &str, event: EventId, index: usize) -> Self {
        Self(Uuid::new_v5(
            &event.0,
            format!("{policy}/{index}").as_bytes(),
        ))
    }
}

/// The kind of aggregate a stream holds: the part of a stream id before the UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Category {
    /// `contact-<uuid>`.
    Contact,
    /// `company-<uuid>`.
    Company,
    /// `pipeline-<uuid>`.
    Pipeline,
    /// `deal-<uuid>`.
    Deal,
    /// `task-<uuid>`.
    Task,
    /// `order-<uuid>`.
    Order,
    /// `interaction-<uuid>`.
    Interaction,
    /// `campaign-<uuid>`.
    Campaign,
    /// `feedback-<uuid>`.
    Feedback,
    /// `user-<uuid>`.
    User,
    /// `team-<uuid>`.
    Team,
    /// `automation-<uuid>`.
    Automation,
    /// `message-<uuid>`.
    Message,
    /// `template-<uuid>`.
    Template,
}

impl Category {
    /// Every category, in declaration order.
    pub const ALL: [Category; 14] = [
        Self::Contact,
        Self::Company,
        Self::Pipeline,
        Self::Deal,
        Self::Task,
        Self::Order,
        Self::Interaction,
        Self::Campaign,
        Self::Feedback,
        Self::User,
        Self::Team,
        Self::Automation,
        Self::Message,
        Self::Template,
    ];

    /// The name as it appears in stream ids.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Contact => "contact",
            Self::Company => "company",
            Self::Pipeline => "pipeline",
            Self::Deal => "deal",
            Self::Task => "task",
            Self::Order => "order",
            Self::Interaction => "interaction",
            Self::Campaign => "campaign",
            Self::Feedback => "feedback",
            Self::User => "user",
            Self::Team => "team",
            Self::Automation => "automation",
            Self::Message => "message",
            Self::Template => "template",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name of one event stream: one stream per aggregate instance, `contact-<uuid>`.
///
/// A stream id is always `<category>-<uuid>`: a known [`Category`] and a UUID in its canonical
/// lowercase hyphenated form, so one aggregate has exactly one stream name and no stored name
/// can hold a control character, a newline or a megabyte of text. Every way in checks this
/// — [`StreamId::new`], deserialization, the typed conversions — so a store can never be
/// handed a name it could not read back.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StreamId(String);

/// The longest stream id: the longest category, a dash and a UUID.
pub const MAX_STREAM_ID_LEN: usize = 48;

impl StreamId {
    /// A stream id from its textual form, `<category>-<uuid>`.
    pub fn new(name: impl Into<String>) -> Result<Self, InvalidStreamId> {
        let name = name.into();
        match Self::check(&name) {
            Ok(()) => Ok(Self(name)),
            Err(reason) => Err(InvalidStreamId {
                name: shorten(&name),
                reason,
            }),
        }
    }

    /// The stream of aggregate `id` in `category`.
    pub fn of(category: Category, id: Uuid) -> Self {
        // Built by hand rather than with `format!`: every command names its stream a few
        // times, and the formatting machinery cost more than the rest of the naming.
        let mut buffer = Uuid::encode_buffer();
        let uuid = id.hyphenated().encode_lower(&mut buffer);
        let category = category.as_str();
        let mut name = String::with_capacity(category.len() + 1 + uuid.len());
        name.push_str(category);
        name.push('-');
        name.push_str(uuid);
        Self(name)
    }

    fn check(name: &str) -> Result<(), &'static str> {
        if name.is_empty() {
            return Err("it is empty");
        }
        if name.len() > MAX_STREAM_ID_LEN {
            return Err("it is longer than any `<category>-<uuid>`");
        }
        if name.chars().any(char::is_control) {
            return Err("it contains a control character");
        }
        let (category, id) = name
            .split_once('-')
            .ok_or("it is not `<category>-<uuid>`")?;
        Category::parse(category).ok_or("its category is not one this release knows")?;
        let uuid = Uuid::try_parse(id).map_err(|_| "its id is not a UUID")?;
        let mut canonical = Uuid::encode_buffer();
        if &*uuid.hyphenated().encode_lower(&mut canonical) != id {
            return Err("its UUID is not in lowercase hyphenated form");
        }
        Ok(())
    }

    /// The textual form, as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The aggregate kind (`contact`, `company`, ...).
    pub fn category(&self) -> Category {
        self.0
            .split_once('-')
            .and_then(|(c, _)| Category::parse(c))
            // Checked on construction; never taken.
            .unwrap_or(Category::Contact)
    }

    /// The aggregate's id: the UUID after the category.
    pub fn uuid(&self) -> Uuid {
        self.0
            .split_once('-')
            .and_then(|(_, id)| Uuid::try_parse(id).ok())
            // Checked on construction; never taken.
            .unwrap_or_default()
    }
}

/// At most this much of a refused value is repeated in an error message.
const QUOTED: usize = 64;

/// `text` cut to 64 characters, marked when cut: a 100 KB bad value is not repeated in full in
/// an error message.
pub(crate) fn shorten(text: &str) -> String {
    shorten_to(text, QUOTED)
}

/// `text` cut to `max` characters, marked when cut.
pub(crate) fn shorten_to(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}… ({} bytes)", &text[..end], text.len()),
        None => text.to_owned(),
    }
}

/// A stream name that is not `<category>-<uuid>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid stream id {name:?}: {reason}; a stream id is `<category>-<uuid>`, such as `contact-0190c7a4-2f3e-7b4c-9d1a-3e5f6a7b8c9d`")]
pub struct InvalidStreamId {
    /// The refused name (shortened when long).
    pub name: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl TryFrom<String> for StreamId {
    type Error = InvalidStreamId;
    fn try_from(name: String) -> Result<Self, Self::Error> {
        Self::new(name)
    }
}

impl From<StreamId> for String {
    fn from(stream: StreamId) -> Self {
        stream.0
    }
}

impl FromStr for StreamId {
    type Err = InvalidStreamId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

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

/// An id that names an aggregate, and so its stream: `<CATEGORY>-<uuid>`.
pub trait AggregateId: Copy {
    /// The kind of aggregate the id names.
    const CATEGORY: Category;
    /// The id's UUID.
    fn uuid(self) -> Uuid;
}

macro_rules! stream_of {
    ($($id:ident => $category:ident),* $(,)?) => {$(
        impl AggregateId for $id {
            const CATEGORY: Category = Category::$category;
            fn uuid(self) -> Uuid {
                self.0
            }
        }

        impl From<$id> for StreamId {
            fn from(id: $id) -> Self {
                Self::of(Category::$category, id.0)
            }
        }
    )*};
}

stream_of! {
    ContactId => Contact,
    CompanyId => Company,
    PipelineId => Pipeline,
    DealId => Deal,
    TaskId => Task,
    OrderId => Order,
    InteractionId => Interaction,
    CampaignId => Campaign,
    FeedbackId => Feedback,
    UserId => User,
    TeamId => Team,
    RuleId => Automation,
    MessageId => Message,
    TemplateId => Template,
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
        assert_eq!(stream.category(), Category::Contact);
        assert_eq!(stream.uuid(), Uuid::nil());
    }

    #[test]
    fn only_category_dash_canonical_uuid_is_a_stream_id() {
        let good = "deal-0190c7a4-2f3e-7b4c-9d1a-3e5f6a7b8c9d";
        assert!(StreamId::new(good).is_ok());
        for bad in [
            "",
            "a\nb",
            "contact-0190c7a4-2f3e-7b4c-9d1a-3e5f6a7b8c9d\u{1}",
            "contact-0190c7a4-2f3e-7b4c-9d1a-3e5f6a7b8c9\0",
            "robot-0190c7a4-2f3e-7b4c-9d1a-3e5f6a7b8c9d",
            "contact-7",
            "contact-0190C7A4-2F3E-7B4C-9D1A-3E5F6A7B8C9D",
            "contact-0190c7a42f3e7b4c9d1a3e5f6a7b8c9d",
            "contact",
        ] {
            assert!(StreamId::new(bad).is_err(), "{bad:?} was accepted");
        }
        let long = "contact-".to_owned() + &"x".repeat(100_000);
        let err = StreamId::new(long).unwrap_err();
        assert!(err.to_string().len() < 400, "{err}");
    }

    #[test]
    fn stream_ids_are_checked_when_deserialized() {
        let ok: Result<StreamId, _> =
            serde_json::from_str("\"task-0190c7a4-2f3e-7b4c-9d1a-3e5f6a7b8c9d\"");
        assert!(ok.is_ok());
        let bad: Result<StreamId, _> =
            serde_json::from_str("\"contact-0190c7a4-2f3e-7b4c-9d1a-3e5f6a7b8c9d\\u0001\"");
        assert!(bad.is_err());
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
