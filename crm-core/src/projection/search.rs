//! Finding customers: by name (case- and accent-insensitive word prefixes), email, phone and
//! tax id, all normalized; and spotting likely duplicates.

mod keys;
mod postings;

use super::merges::Merges;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use keys::{Keys, Kind};
use postings::{Ordered, Postings};

use foldhash::HashMap;

use serde::{Deserialize, Serialize};

use super::id_set::IdSet;
use super::Projection;
use crate::domain::details::PersonalData;
use crate::domain::withdrawal::Withdrawn;
use crate::event::{Event, RecordedEvent};
use crate::ids::{ContactId, CustomerId};
use crate::normalize::{self, Country};

/// What two records were found to share.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum MatchKey {
    /// The same email, lowercased.
    Email(String),
    /// The same phone digits.
    Phone(String),
    /// The same tax id, letters and digits uppercased.
    TaxId(String),
}

impl std::fmt::Display for MatchKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Email(e) => write!(f, "email {e}"),
            Self::Phone(p) => write!(f, "phone {p}"),
            Self::TaxId(t) => write!(f, "tax id {t}"),
        }
    }
}

/// Contacts that look like one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateGroup {
    /// The contacts, in id order.
    pub contacts: Vec<ContactId>,
    /// What they share.
    pub reasons: Vec<MatchKey>,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    /// The customer found (the survivor, if the match was a merged contact).
    pub customer: CustomerId,
    /// Its display name.
    pub name: String,
}

/// What the index knows of one customer: their keys, and the name hits show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Customer {
    keys: Keys,
    name: String,
}

type KeyKind = fn(String) -> MatchKey;

/// The search index over every customer.
///
/// The customers' own keys are the index's truth; the postings and the word order are
/// derived from them, rebuilt when a snapshot is read rather than stored.
#[derive(Debug, Clone, Default)]
pub struct SearchIndex {
    words: Postings,
    ordered: Ordered,
    emails: Postings,
    phones: Postings,
    tax_ids: Postings,
    /// Boxed: a hash table keeps up to twice as many slots as entries.
    customers: HashMap<CustomerId, Box<Customer>>,
    merges: Merges,
    /// The country assumed for national-format phone queries.
    default_country: Option<Country>,
}

/// A snapshot's form of the index: what the rest is derived from.
#[derive(Serialize)]
struct WireRef<'a> {
    customers: &'a HashMap<CustomerId, Box<Customer>>,
    merges: &'a Merges,
    default_country: Option<Country>,
}

#[derive(Deserialize)]
struct Wire {
    customers: HashMap<CustomerId, Box<Customer>>,
    merges: Merges,
    default_country: Option<Country>,
}

impl Serialize for SearchIndex {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        WireRef {
            customers: &self.customers,
            merges: &self.merges,
            default_country: self.default_country,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for SearchIndex {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = Wire::deserialize(deserializer)?;
        let mut index = Self {
            merges: wire.merges,
            default_country: wire.default_country,
            ..Self::default()
        };
        for (id, customer) in &wire.customers {
            for (kind, hash, _) in customer.keys.iter() {
                index.postings_mut(kind).add(hash, *id);
            }
        }
        index.ordered = Ordered::from_words(
            wire.customers
                .values()
                .flat_map(|c| c.keys.of_kind(Kind::Word).map(|(_, word)| word)),
        );
        index.customers = wire.customers;
        Ok(index)
    }
}

/// Equal when they index the same customers the same way: the postings follow from that.
impl PartialEq for SearchIndex {
    fn eq(&self, other: &Self) -> bool {
        self.customers == other.customers
            && self.merges == other.merges
            && self.default_country == other.default_country
    }
}

impl SearchIndex {
    /// The country national phone numbers are read in, if any.
    pub fn default_country(&self) -> Option<Country> {
        self.default_country
    }

    /// An index that reads national-format phone queries as numbers of `country`.
    pub fn with_default_country(country: Country) -> Self {
        Self {
            default_country: Some(country),
            ..Self::default()
        }
    }

    fn reindex_person(&mut self, id: CustomerId, personal: &PersonalData) {
        let name = personal.name.full();
        let keys = Keys::of_person(personal, &name);
        self.reindex(id, name, keys);
    }

    fn reindex(&mut self, id: CustomerId, name: String, keys: Keys) {
        let mut customer = self.customers.remove(&id).unwrap_or_else(|| {
            Box::new(Customer {
                keys: Keys::default(),
                name: String::new(),
            })
        });
        if customer.keys != keys {
            // Only the keys that changed move: a new email leaves the name's words in place.
            self.move_keys(id, &customer.keys, &keys);
            customer.keys = keys;
        }
        customer.name = name;
        self.customers.insert(id, customer);
    }

    fn postings_mut(&mut self, kind: Kind) -> &mut Postings {
        match kind {
            Kind::Word => &mut self.words,
            Kind::Email => &mut self.emails,
            Kind::Phone => &mut self.phones,
            Kind::TaxId => &mut self.tax_ids,
        }
    }

    fn postings(&self, kind: Kind) -> &Postings {
        match kind {
            Kind::Word => &self.words,
            Kind::Email => &self.emails,
            Kind::Phone => &self.phones,
            Kind::TaxId => &self.tax_ids,
        }
    }

    /// Moves `id` from the entries of `old`'s keys to those of `new`'s, touching only the
    /// entries of one and not the other: a new email leaves the name's words in place. Both
    /// are in canonical order, so one walk over the two finds them.
    fn move_keys(&mut self, id: CustomerId, old: &Keys, new: &Keys) {
        let mut old_keys = old.iter().peekable();
        let mut new_keys = new.iter().peekable();
        loop {
            let order = match (old_keys.peek(), new_keys.peek()) {
                (None, None) => return,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(o), Some(n)) => (o.0, o.1).cmp(&(n.0, n.1)),
            };
            match order {
                Ordering::Less => {
                    if let Some((kind, hash, key)) = old_keys.next() {
                        // Another of the new keys may share the hash: the entry stays.
                        if !new.has_hash(kind, hash) {
                            self.take_key(kind, hash, key, id);
                        }
                    }
                }
                Ordering::Greater => {
                    if let Some((kind, hash, key)) = new_keys.next() {
                        self.file_key(kind, hash, key, id);
                    }
                }
                Ordering::Equal => {
                    if let (Some((kind, _, was)), Some((_, _, key))) =
                        (old_keys.next(), new_keys.next())
                    {
                        // The same hash for another word: it may be new to the word order.
                        if kind == Kind::Word && was != key {
                            self.ordered.insert(key);
                        }
                    }
                }
            }
        }
    }

    fn file_key(&mut self, kind: Kind, hash: u64, key: &str, id: CustomerId) {
        if kind != Kind::Word {
            self.postings_mut(kind).add(hash, id);
            return;
        }
        let Self {
            words,
            ordered,
            customers,
            ..
        } = self;
        // Most words (common first names) are there already: asking one customer who has
        // the hash whether it is this very word spares a walk down the word order.
        match words.add(hash, id) {
            None => ordered.insert_new(key),
            Some(ids) => {
                let known = ids
                    .iter()
                    .find(|other| *other != id)
                    .and_then(|other| customers.get(&other))
                    .is_some_and(|other| other.keys.contains(Kind::Word, key));
                if !known {
                    ordered.insert(key);
                }
            }
        }
    }

    fn take_key(&mut self, kind: Kind, hash: u64, key: &str, id: CustomerId) {
        if self.postings_mut(kind).remove(hash, id) && kind == Kind::Word {
            self.ordered.remove(key);
        }
    }

    /// The customers filed under `key` of `kind` whose own keys hold it: a collision of
    /// hashes never makes a hit.
    fn holding<'a>(&'a self, kind: Kind, key: &'a str) -> impl Iterator<Item = CustomerId> + 'a {
        self.postings(kind)
            .get(keys::hash(key))
            .into_iter()
            .flat_map(IdSet::iter)
            .filter(move |id| {
                self.customers
                    .get(id)
                    .is_some_and(|c| c.keys.contains(kind, key))
            })
    }

    /// Forgets every customer `keep` says no to (a read handle's copy).
    pub(crate) fn retain(&mut self, keep: &dyn Fn(CustomerId) -> bool) {
        let dropped: Vec<CustomerId> = self
            .customers
            .keys()
            .copied()
            .filter(|id| !keep(*id))
            .collect();
        for id in dropped {
            self.forget(id);
        }
    }

    /// Drops every key and the name of `id`.
    fn forget(&mut self, id: CustomerId) {
        if let Some(old) = self.customers.remove(&id) {
            self.move_keys(id, &old.keys, &Keys::default());
        }
    }

    fn hits(&self, ids: impl IntoIterator<Item = CustomerId>) -> Vec<SearchHit> {
        let resolved: BTreeSet<CustomerId> =
            ids.into_iter().map(|id| self.merges.resolve(id)).collect();
        let mut hits: Vec<SearchHit> = resolved
            .into_iter()
            .map(|customer| SearchHit {
                customer,
                name: self
                    .customers
                    .get(&customer)
                    .map(|c| c.name.clone())
                    .unwrap_or_default(),
            })
            .collect();
        hits.sort_by(|a, b| (&a.name, a.customer).cmp(&(&b.name, b.customer)));
        hits
    }

    /// Customers whose name has, for every word of `query`, a word starting with it:
    /// "jo gar" finds "José García".
    pub fn by_name(&self, query: &str) -> Vec<SearchHit> {
        let mut result: Option<BTreeSet<CustomerId>> = None;
        for word in normalize::words(query) {
            let matching: BTreeSet<CustomerId> = self
                .ordered
                .starting_with(&word)
                .flat_map(|found| self.holding(Kind::Word, found))
                .collect();
            result = Some(match result {
                Some(so_far) => so_far.intersection(&matching).copied().collect(),
                None => matching,
            });
        }
        self.hits(result.unwrap_or_default())
    }

    /// Customers with this email, in any letter case.
    pub fn by_email(&self, email: &str) -> Vec<SearchHit> {
        let key = normalize::email(email);
        let ids: Vec<CustomerId> = self.holding(Kind::Email, &key).collect();
        self.hits(ids)
    }

    /// Customers with this phone, however it is written. A number without international
    /// prefix is read in the index's default country, and also matches by national digits.
    pub fn by_phone(&self, phone: &str) -> Vec<SearchHit> {
        let Some(keys) = normalize::phone(phone, self.default_country) else {
            return Vec::new();
        };
        let ids: Vec<CustomerId> = keys
            .keys()
            .flat_map(|key| self.holding(Kind::Phone, key))
            .collect();
        self.hits(ids)
    }

    /// Customers with this tax id, ignoring case, spaces and punctuation.
    pub fn by_tax_id(&self, tax_id: &str) -> Vec<SearchHit> {
        let key = normalize::tax_id(tax_id);
        let ids: Vec<CustomerId> = self.holding(Kind::TaxId, &key).collect();
        self.hits(ids)
    }

    /// One box for everything: an email if it has `@`, otherwise name, tax id and (if it is
    /// mostly digits) phone matches together.
    pub fn find(&self, query: &str) -> Vec<SearchHit> {
        if query.contains('@') {
            return self.by_email(query);
        }
        let mut ids: Vec<CustomerId> = self
            .by_name(query)
            .into_iter()
            .map(|h| h.customer)
            .collect();
        ids.extend(self.by_tax_id(query).into_iter().map(|h| h.customer));
        let looks_like_phone = query
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
        if looks_like_phone {
            ids.extend(self.by_phone(query).into_iter().map(|h| h.customer));
        }
        self.hits(ids)
    }

    /// Groups of active contacts that share an email, phone or tax id.
    pub fn duplicates(&self) -> Vec<DuplicateGroup> {
        let mut groups: BTreeMap<Vec<ContactId>, BTreeSet<MatchKey>> = BTreeMap::new();
        let sources: [(Kind, KeyKind); 3] = [
            (Kind::Email, MatchKey::Email),
            (Kind::Phone, MatchKey::Phone),
            (Kind::TaxId, MatchKey::TaxId),
        ];
        for (kind, reason) in sources {
            for (hash, ids) in self.postings(kind).shared() {
                // One entry may hold two keys whose hashes collide: group by the key itself.
                let mut by_key: BTreeMap<&str, Vec<ContactId>> = BTreeMap::new();
                for id in ids.iter() {
                    let CustomerId::Contact(contact) = id else {
                        continue;
                    };
                    if self.merges.is_merged(contact) {
                        continue;
                    }
                    let Some(customer) = self.customers.get(&id) else {
                        continue;
                    };
                    for (_, key) in customer.keys.of_kind(kind).filter(|(h, _)| *h == hash) {
                        by_key.entry(key).or_default().push(contact);
                    }
                }
                for (key, mut contacts) in by_key {
                    contacts.sort_unstable();
                    if contacts.len() > 1 {
                        groups
                            .entry(contacts)
                            .or_default()
                            .insert(reason(key.to_owned()));
                    }
                }
            }
        }
        groups
            .into_iter()
            .map(|(contacts, reasons)| DuplicateGroup {
                contacts,
                reasons: without_national_echoes(reasons),
            })
            .collect()
    }
}

/// Drops a national phone key when the same group also matched on the international number
/// it ends with: one phone, reported once.
fn without_national_echoes(reasons: BTreeSet<MatchKey>) -> Vec<MatchKey> {
    let international: Vec<String> = reasons
        .iter()
        .filter_map(|r| match r {
            MatchKey::Phone(p) => Some(p.clone()),
            _ => None,
        })
        .collect();
    reasons
        .into_iter()
        .filter(|r| match r {
            MatchKey::Phone(p) => !international
                .iter()
                .any(|i| i.len() > p.len() && i.ends_with(p.as_str())),
            _ => true,
        })
        .collect()
}

impl Projection for SearchIndex {
    fn apply(&mut self, recorded: &RecordedEvent) {
        match &recorded.event {
            Event::ContactCreated(e) => {
                let id = CustomerId::Contact(e.contact_id);
                if let Some(personal) = e.personal.get() {
                    self.reindex_person(id, personal);
                }
            }
            Event::ContactPersonalDataChanged(e) => {
                let id = CustomerId::Contact(e.contact_id);
                if let Some(personal) = e.personal.get() {
                    self.reindex_person(id, personal);
                }
            }
            Event::ContactMerged(e) => {
                self.merges.record(e.contact_id, e.survivor);
            }
            Event::ContactErased(e) => self.forget(CustomerId::Contact(e.contact_id)),
            Event::CompanyCreated(e) => {
                let id = CustomerId::Company(e.company_id);
                self.reindex(id, e.details.name.clone(), Keys::of_company(&e.details));
            }
            Event::CompanyDetailsChanged(e) => {
                let id = CustomerId::Company(e.company_id);
                self.reindex(id, e.details.name.clone(), Keys::of_company(&e.details));
            }
            Event::RecordWithdrawn(e) => match e.record() {
                Some(Withdrawn::Contact(id)) => self.forget(CustomerId::Contact(id)),
                Some(Withdrawn::Company(id)) => self.forget(CustomerId::Company(id)),
                _ => {}
            },
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
