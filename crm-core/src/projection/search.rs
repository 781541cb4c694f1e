//! Finding customers: by name (case- and accent-insensitive word prefixes), email, phone and
//! tax id, all normalized; and spotting likely duplicates.

use super::merges::Merges;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use foldhash::HashMap;

use serde::{Deserialize, Serialize};

use super::id_set::IdSet;
use super::Projection;
use crate::domain::details::{CompanyDetails, PersonalData, Phone};
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

/// One customer's search keys; each list sorted and without repeats. Vectors rather than
/// sets: a replay builds one of these per event, and small vectors allocate far less.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Keys {
    words: Vec<String>,
    emails: Vec<String>,
    phones: Vec<String>,
    tax_ids: Vec<String>,
}

fn distinct(mut keys: Vec<String>) -> Vec<String> {
    keys.sort_unstable();
    keys.dedup();
    keys
}

impl Keys {
    /// A person's keys; `full_name` is `p.name.full()`, which the caller keeps too.
    fn of_person(p: &PersonalData, full_name: &str) -> Self {
        Self::build(full_name, &p.emails, &p.phones, p.tax_id.as_deref())
    }

    fn of_company(d: &CompanyDetails) -> Self {
        let names = format!("{} {}", d.name, d.legal_name.as_deref().unwrap_or(""));
        Self::build(&names, &d.emails, &d.phones, d.tax_id.as_deref())
    }

    fn build(name: &str, emails: &[String], phones: &[Phone], tax_id: Option<&str>) -> Self {
        Self {
            words: distinct(normalize::words(name)),
            emails: distinct(emails.iter().map(|e| normalize::email(e)).collect()),
            phones: distinct(
                phones
                    .iter()
                    .filter_map(|p| normalize::phone(&p.number, p.country))
                    .flat_map(|k| k.international.into_iter().chain(k.national))
                    .collect(),
            ),
            tax_ids: tax_id
                .map(normalize::tax_id)
                .filter(|t| !t.is_empty())
                .into_iter()
                .collect(),
        }
    }
}

/// What the index knows of one customer: their keys, and the name hits show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Customer {
    keys: Keys,
    name: String,
}

/// Exact keys to the customers that have them: hashing beats ordering there.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Postings(HashMap<String, IdSet>);

impl Postings {
    /// Files `id` under `key`; returns whether the key is new.
    fn add(&mut self, key: &str, id: CustomerId) -> bool {
        // Most keys (common first names, shared domains) already exist: no copy for them.
        match self.0.get_mut(key) {
            Some(ids) => {
                ids.insert(id);
                false
            }
            None => {
                self.0.insert(key.to_owned(), IdSet::One(id));
                true
            }
        }
    }

    /// Takes `id` from under `key`; returns whether the key is gone.
    fn remove(&mut self, key: &str, id: CustomerId) -> bool {
        let emptied = self.0.get_mut(key).is_some_and(|ids| ids.remove(id));
        if emptied {
            self.0.remove(key);
        }
        emptied
    }

    fn get(&self, key: &str) -> Option<&IdSet> {
        self.0.get(key)
    }
}

/// Name words: found exactly through the postings, and by prefix through the words in order.
/// The order changes only when a word first appears or last goes, which a replay meets far
/// less often than a customer with a common first name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Words {
    postings: Postings,
    ordered: BTreeSet<String>,
}

impl Words {
    /// The customers with a word that starts with `prefix`, a word at a time.
    fn starting_with<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = CustomerId> + 'a {
        self.ordered
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(move |word| word.starts_with(prefix))
            .filter_map(|word| self.postings.get(word))
            .flat_map(IdSet::iter)
    }
}

type KeyKind = fn(String) -> MatchKey;

/// The search index over every customer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchIndex {
    words: Words,
    emails: Postings,
    phones: Postings,
    tax_ids: Postings,
    /// Boxed: a hash table keeps up to twice as many slots as entries.
    customers: HashMap<CustomerId, Box<Customer>>,
    merges: Merges,
    /// The country assumed for national-format phone queries.
    default_country: Option<Country>,
}

/// Keys to the customers that have them: the words or an exact index.
trait Index {
    fn add(&mut self, key: &str, id: CustomerId);
    fn remove(&mut self, key: &str, id: CustomerId);
}

impl Index for Postings {
    fn add(&mut self, key: &str, id: CustomerId) {
        Postings::add(self, key, id);
    }
    fn remove(&mut self, key: &str, id: CustomerId) {
        Postings::remove(self, key, id);
    }
}

impl Index for Words {
    fn add(&mut self, key: &str, id: CustomerId) {
        if self.postings.add(key, id) {
            self.ordered.insert(key.to_owned());
        }
    }
    fn remove(&mut self, key: &str, id: CustomerId) {
        if self.postings.remove(key, id) {
            self.ordered.remove(key);
        }
    }
}

/// Moves `id` from the keys of `old` to those of `new` (both sorted, without repeats),
/// touching only the keys in one and not the other.
fn update(index: &mut impl Index, old: &[String], new: &[String], id: CustomerId) {
    for key in old.iter().filter(|k| new.binary_search(k).is_err()) {
        index.remove(key, id);
    }
    for key in new.iter().filter(|k| old.binary_search(k).is_err()) {
        index.add(key, id);
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

    /// Moves `id` from the index entries of `old` to those of `new`.
    fn move_keys(&mut self, id: CustomerId, old: &Keys, new: &Keys) {
        update(&mut self.words, &old.words, &new.words, id);
        update(&mut self.emails, &old.emails, &new.emails, id);
        update(&mut self.phones, &old.phones, &new.phones, id);
        update(&mut self.tax_ids, &old.tax_ids, &new.tax_ids, id);
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
            let matching: BTreeSet<CustomerId> = self.words.starting_with(&word).collect();
            result = Some(match result {
                Some(so_far) => so_far.intersection(&matching).copied().collect(),
                None => matching,
            });
        }
        self.hits(result.unwrap_or_default())
    }

    /// Customers with this email, in any letter case.
    pub fn by_email(&self, email: &str) -> Vec<SearchHit> {
        self.hits(
            self.emails
                .get(&normalize::email(email))
                .into_iter()
                .flat_map(IdSet::iter),
        )
    }

    /// Customers with this phone, however it is written. A number without international
    /// prefix is read in the index's default country, and also matches by national digits.
    pub fn by_phone(&self, phone: &str) -> Vec<SearchHit> {
        let Some(keys) = normalize::phone(phone, self.default_country) else {
            return Vec::new();
        };
        let ids: Vec<CustomerId> = keys
            .keys()
            .filter_map(|k| self.phones.get(k))
            .flat_map(IdSet::iter)
            .collect();
        self.hits(ids)
    }

    /// Customers with this tax id, ignoring case, spaces and punctuation.
    pub fn by_tax_id(&self, tax_id: &str) -> Vec<SearchHit> {
        self.hits(
            self.tax_ids
                .get(&normalize::tax_id(tax_id))
                .into_iter()
                .flat_map(IdSet::iter),
        )
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
        let sources: [(&Postings, KeyKind); 3] = [
            (&self.emails, MatchKey::Email),
            (&self.phones, MatchKey::Phone),
            (&self.tax_ids, MatchKey::TaxId),
        ];
        for (postings, kind) in sources {
            for (key, ids) in &postings.0 {
                let mut contacts: Vec<ContactId> = ids
                    .iter()
                    .filter_map(|id| match id {
                        CustomerId::Contact(c) if !self.merges.is_merged(c) => Some(c),
                        _ => None,
                    })
                    .collect();
                contacts.sort_unstable();
                if contacts.len() > 1 {
                    groups
                        .entry(contacts)
                        .or_default()
                        .insert(kind(key.clone()));
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
