//! The audit trail of a card: who changed which field, when, from what to what, and through
//! what (a person, an import, the API, a policy) — read from the events of the card's own
//! stream and of the records it lists, so it can never disagree with them.
//!
//! **What a card's trail covers.** A contact's: their own stream, those of the contacts
//! merged into them, and the streams of their deals, tasks (theirs, and their deals') and
//! orders. A company's: its stream, its deals, tasks and orders, and the links of its current
//! representatives (not the representatives' own edits, which are on their cards). Entries
//! name users as the directory names them now.
//!
//! **Edits in a row are one entry.** Edits of one field of one record by one actor within ten
//! minutes of the first of them (a manager correcting a typo twice) are shown as one entry:
//! from the value before the first edit, to the value after the last, with how many edits it
//! stands for. An edit by someone else, or of another field, in between ends the run; so does
//! the ten-minute window, measured from the run's first edit in store time, so a run never
//! hides a change made much later. (Twenty CRM merges a user's edits within ten minutes too;
//! measuring from the first edit rather than the last is what keeps a busy afternoon of
//! small edits from folding into one.)

mod fields;
mod records;

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};

use crate::event::{Actor, Event, RecordedEvent};
use crate::ids::{CompanyId, ContactId, CustomerId, PipelineId, StageId, StreamId, UserId};
use crate::projection::Views;
use crate::store::{EventStore, StoreError};
use fields::CardFields;
use records::{DealFields, OrderFields, TaskFields};

/// How long a run of one actor's edits of one field may last and still be one entry.
pub const MERGE_WINDOW: TimeDelta = TimeDelta::minutes(10);

/// One change of one field of a card or of a record it lists.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    /// The position of the (last) event behind it.
    pub position: u64,
    /// When the store recorded it (the run's last edit).
    pub recorded_at: DateTime<Utc>,
    /// When the run's first edit was recorded (equal to `recorded_at` for one edit).
    pub first_at: DateTime<Utc>,
    /// Who or what made it.
    pub actor: Actor,
    /// The actor as people read it: a user's name, "the import of …", "automation …".
    pub by: String,
    /// The listed record it changed (`deal “Sofa”`, `task “Call back”`, `order …1f2e3d4c`, an order id's last digits);
    /// `None` for the card's own fields.
    pub record: Option<String>,
    /// Which field: "name", "emails", "tags", "custom field plan", "owner", "stage", …
    pub field: String,
    /// The value before; `None` when the field was empty.
    pub from: Option<String>,
    /// The value after; `None` when the field was emptied.
    pub to: Option<String>,
    /// How many edits this entry stands for (see the module docs).
    pub edits: u32,
}

impl fmt::Display for AuditEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".to_owned());
        let what = match &self.record {
            Some(record) => format!("{record}: {}", self.field),
            None => self.field.clone(),
        };
        write!(
            f,
            "{}  {:<18} {} → {}  by {}",
            self.recorded_at.format("%Y-%m-%d %H:%M"),
            what,
            shown(&self.from),
            shown(&self.to),
            self.by
        )?;
        if self.edits > 1 {
            write!(f, " ({} edits)", self.edits)?;
        }
        Ok(())
    }
}

/// A card's trail, newest first.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditTrail {
    /// Whose card.
    pub customer: CustomerId,
    /// Every entry, newest first.
    pub entries: Vec<AuditEntry>,
}

impl AuditTrail {
    /// A page of entries, newest first: `skip` entries in, at most `limit` of them.
    pub fn page(&self, skip: usize, limit: usize) -> &[AuditEntry] {
        let start = skip.min(self.entries.len());
        let end = start.saturating_add(limit).min(self.entries.len());
        &self.entries[start..end]
    }
}

/// What one event changed on one field.
pub(crate) struct Change {
    field: String,
    from: Option<String>,
    to: Option<String>,
}

impl Change {
    fn new(field: impl Into<String>, from: Option<String>, to: Option<String>) -> Self {
        Self {
            field: field.into(),
            from,
            to,
        }
    }
}

/// Names of users, customers and stages as the views hold them now.
pub(crate) struct Names<'a> {
    views: &'a Views,
}

impl Names<'_> {
    fn user(&self, id: UserId) -> String {
        match self.views.directory.user(id) {
            Some(profile) => profile.name.clone(),
            None => format!("user {id}"),
        }
    }

    fn actor(&self, actor: &Actor) -> String {
        match actor {
            Actor::User { user_id } => self.user(*user_id),
            other => other.to_string(),
        }
    }

    fn contact(&self, id: ContactId) -> String {
        self.views
            .cards
            .name(CustomerId::Contact(id))
            .unwrap_or_else(|| format!("contact {id}"))
    }

    fn company(&self, id: CompanyId) -> String {
        self.views
            .cards
            .name(CustomerId::Company(id))
            .unwrap_or_else(|| format!("company {id}"))
    }

    fn stage(&self, pipeline: PipelineId, stage: StageId) -> String {
        match self.views.deals.pipeline(pipeline) {
            Some(view) => view.stage_name(stage),
            None => stage.to_string(),
        }
    }
}

/// How one stream's events are read into changes.
enum Fold {
    Card(Box<CardFields>),
    Deal(DealFields),
    Task(TaskFields),
    Order(OrderFields),
}

impl Fold {
    fn apply(&mut self, event: &Event, names: &Names<'_>) -> Vec<Change> {
        match self {
            Self::Card(fields) => fields.apply(event, names),
            Self::Deal(fields) => fields.apply(event, names),
            Self::Task(fields) => fields.apply(event, names),
            Self::Order(fields) => fields.apply(event),
        }
    }
}

/// One stream of a card's trail: where to read, how to label it, how to fold it.
struct Source {
    stream: StreamId,
    record: Option<String>,
    fold: Fold,
}

/// The streams of `customer`'s trail, as `views` lists them; `None` if `views` has no card
/// for them (which, for a read handle's views, includes a card the reader may not see).
fn sources(views: &Views, customer: CustomerId) -> Option<Vec<Source>> {
    let names = Names { views };
    let mut sources = Vec::new();
    let mut customers = vec![customer];
    match customer {
        CustomerId::Contact(id) => {
            views.cards.contact(id)?;
            sources.push(Source {
                stream: id.into(),
                record: None,
                fold: Fold::Card(Box::default()),
            });
            for absorbed in views.cards.merged_from(id) {
                sources.push(Source {
                    stream: absorbed.into(),
                    record: Some(format!("merged contact {}", names.contact(absorbed))),
                    fold: Fold::Card(Box::default()),
                });
                customers.push(CustomerId::Contact(absorbed));
            }
        }
        CustomerId::Company(id) => {
            let card = views.cards.company(id)?;
            sources.push(Source {
                stream: id.into(),
                record: None,
                fold: Fold::Card(Box::default()),
            });
            for representative in card.representatives {
                sources.push(Source {
                    stream: representative.contact_id.into(),
                    record: None,
                    fold: Fold::Card(Box::new(CardFields::links_with(id))),
                });
            }
        }
    }
    let mut tasks = BTreeMap::new();
    for customer in customers {
        for deal in views.deals.for_customer(customer) {
            let deal_id = deal.terms.deal_id;
            sources.push(Source {
                stream: deal_id.into(),
                record: Some(format!("deal “{}”", deal.terms.title)),
                fold: Fold::Deal(DealFields::default()),
            });
            tasks.extend(
                views
                    .tasks
                    .for_deal(deal_id)
                    .into_iter()
                    .map(|t| (t.task_id, &t.title)),
            );
        }
        tasks.extend(
            views
                .tasks
                .for_customer(customer)
                .into_iter()
                .map(|t| (t.task_id, &t.title)),
        );
        for order_id in views.activity.of(customer).map_or(&[][..], |a| &a.orders) {
            // UUIDs v7 share their leading (time) digits; the last ones tell orders apart.
            let uuid = order_id.as_uuid().simple().to_string();
            sources.push(Source {
                stream: (*order_id).into(),
                record: Some(format!("order …{}", &uuid[uuid.len() - 8..])),
                fold: Fold::Order(OrderFields::default()),
            });
        }
    }
    for (task_id, title) in tasks {
        sources.push(Source {
            stream: task_id.into(),
            record: Some(format!("task “{title}”")),
            fold: Fold::Task(TaskFields::default()),
        });
    }
    Some(sources)
}

/// The audit trail of `customer`'s card, newest first, over the records `views` shows —
/// pass a [`Reader`](crate::Reader)'s views to get what that reader may see (see
/// [`Crm::audit_trail`](crate::Crm::audit_trail)). `None` if `views` has no such card.
pub async fn card_trail<S: EventStore + ?Sized>(
    store: &S,
    views: &Views,
    customer: CustomerId,
) -> Result<Option<AuditTrail>, StoreError> {
    let Some(sources) = sources(views, customer) else {
        return Ok(None);
    };
    let names = Names { views };
    let mut entries = Vec::new();
    for mut source in sources {
        let events = whole_stream(store, &source.stream).await?;
        entries.extend(stream_entries(&events, &mut source, &names));
    }
    // Stable: one event's changes keep their order before the whole is reversed.
    entries.sort_by_key(|e| e.position);
    entries.reverse();
    Ok(Some(AuditTrail { customer, entries }))
}

async fn whole_stream<S: EventStore + ?Sized>(
    store: &S,
    stream: &StreamId,
) -> Result<Vec<RecordedEvent>, StoreError> {
    const PAGE: usize = 1000;
    let mut events = Vec::new();
    loop {
        let from = events.last().map_or(1, |e: &RecordedEvent| e.version + 1);
        let page = store.read_stream(stream, from, PAGE).await?;
        let full = page.len() == PAGE;
        events.extend(page);
        if !full {
            return Ok(events);
        }
    }
}

/// One stream's entries, oldest first, runs merged.
fn stream_entries(
    events: &[RecordedEvent],
    source: &mut Source,
    names: &Names<'_>,
) -> Vec<AuditEntry> {
    let mut entries: Vec<AuditEntry> = Vec::new();
    for event in events {
        for change in source.fold.apply(&event.event, names) {
            let entry = AuditEntry {
                position: event.position,
                recorded_at: event.recorded_at,
                first_at: event.recorded_at,
                actor: event.metadata.actor.clone(),
                by: names.actor(&event.metadata.actor),
                record: source.record.clone(),
                field: change.field,
                from: change.from,
                to: change.to,
                edits: 1,
            };
            push_merged(&mut entries, entry);
        }
    }
    entries
}

/// Appends `entry`, or folds it into the last one when it continues that one's run.
fn push_merged(entries: &mut Vec<AuditEntry>, entry: AuditEntry) {
    if let Some(last) = entries.last_mut() {
        let same_run = last.field == entry.field && last.actor == entry.actor;
        if same_run && entry.recorded_at - last.first_at <= MERGE_WINDOW {
            last.to = entry.to;
            last.position = entry.position;
            last.recorded_at = entry.recorded_at;
            last.edits += 1;
            return;
        }
    }
    entries.push(entry);
}
