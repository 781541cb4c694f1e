//! One customer's search keys, in one buffer.
//!
//! Replay builds one of these per contact event; a key per `String` cost an allocation each
//! (a name's words, an email, a phone's two forms), and then the postings copied every new
//! key again. Here a customer's keys share one `String`, the name's words are slices of the
//! folded name where it was written, and each key carries the hash the postings are keyed by,
//! computed once.

use std::hash::BuildHasher;

use serde::{Deserialize, Serialize, Serializer};

use crate::domain::details::{CompanyDetails, PersonalData, Phone};
use crate::normalize;

/// The index a key belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Kind {
    Word,
    Email,
    Phone,
    TaxId,
}

/// The hash the postings file `key` under. Never stored: the postings are rebuilt from the
/// customers' keys when a snapshot is read, so a change of hasher cannot misfile them.
pub(super) fn hash(key: &str) -> u64 {
    foldhash::fast::FixedState::with_seed(0x5eed_c0de_0f5e_a2c4).hash_one(key)
}

#[derive(Debug, Clone, Copy)]
struct Key {
    kind: Kind,
    hash: u64,
    start: u32,
    end: u32,
}

/// A customer's keys: distinct within each kind, ordered by kind, hash and text — a
/// canonical order, so two sets of keys compare equal however they were written.
#[derive(Debug, Clone, Default)]
pub(super) struct Keys {
    text: String,
    keys: Vec<Key>,
}

impl Keys {
    /// A person's keys; `full_name` is `p.name.full()`, which the caller keeps too.
    pub(super) fn of_person(p: &PersonalData, full_name: &str) -> Self {
        Self::build(full_name, &p.emails, &p.phones, p.tax_id.as_deref())
    }

    pub(super) fn of_company(d: &CompanyDetails) -> Self {
        let mut keys = Self::default();
        keys.push_words(&d.name);
        keys.push_words(d.legal_name.as_deref().unwrap_or(""));
        keys.push_contact(&d.emails, &d.phones, d.tax_id.as_deref());
        keys.finish()
    }

    fn build(name: &str, emails: &[String], phones: &[Phone], tax_id: Option<&str>) -> Self {
        // Room for every key at once: growing the buffer a push at a time cost more than
        // the allocations it replaced.
        let room = name.len()
            + emails.iter().map(String::len).sum::<usize>()
            + phones.len() * 2 * 15
            + tax_id.map_or(0, str::len);
        let mut keys = Self {
            text: String::with_capacity(room),
            keys: Vec::with_capacity(8),
        };
        keys.push_words(name);
        keys.push_contact(emails, phones, tax_id);
        keys.finish()
    }

    /// The folded words of `name`, each a slice of the folded name as written here.
    fn push_words(&mut self, name: &str) {
        let start = self.text.len();
        normalize::fold_into(name, &mut self.text);
        let mut word_start = None;
        let folded = &self.text[start..];
        for (at, c) in folded.char_indices().chain([(folded.len(), ' ')]) {
            match (word_start, c.is_alphanumeric()) {
                (None, true) => word_start = Some(at),
                (Some(from), false) => {
                    let word = &folded[from..at];
                    self.keys.push(Key {
                        kind: Kind::Word,
                        hash: hash(word),
                        start: offset(start + from),
                        end: offset(start + at),
                    });
                    word_start = None;
                }
                _ => {}
            }
        }
    }

    fn push_contact(&mut self, emails: &[String], phones: &[Phone], tax_id: Option<&str>) {
        for email in emails {
            let start = self.text.len();
            normalize::email_into(email, &mut self.text);
            self.close(Kind::Email, start);
        }
        for phone in phones {
            let mut digits = normalize::PhoneDigits::default();
            let Some(parts) = normalize::phone_parts(&phone.number, phone.country, &mut digits)
            else {
                continue;
            };
            for pieces in parts.keys() {
                let start = self.text.len();
                pieces.iter().for_each(|piece| self.text.push_str(piece));
                self.close(Kind::Phone, start);
            }
        }
        if let Some(tax_id) = tax_id.map(normalize::tax_id).filter(|t| !t.is_empty()) {
            let start = self.text.len();
            self.text.push_str(&tax_id);
            self.close(Kind::TaxId, start);
        }
    }

    /// Files what was written to the buffer since `start` as one key of `kind`.
    fn close(&mut self, kind: Kind, start: usize) {
        let key = &self.text[start..];
        self.keys.push(Key {
            kind,
            hash: hash(key),
            start: offset(start),
            end: offset(self.text.len()),
        });
    }

    fn finish(mut self) -> Self {
        let text = &self.text;
        let slice = |k: &Key| &text[k.start as usize..k.end as usize];
        self.keys
            .sort_unstable_by(|a, b| (a.kind, a.hash, slice(a)).cmp(&(b.kind, b.hash, slice(b))));
        self.keys
            .dedup_by(|a, b| a.kind == b.kind && slice(a) == slice(b));
        self
    }

    fn text_of(&self, key: &Key) -> &str {
        &self.text[key.start as usize..key.end as usize]
    }

    /// Every key: its kind, hash and text, in the canonical order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (Kind, u64, &str)> + '_ {
        self.keys.iter().map(|k| (k.kind, k.hash, self.text_of(k)))
    }

    /// The keys of one kind, in the canonical order.
    pub(super) fn of_kind(&self, kind: Kind) -> impl Iterator<Item = (u64, &str)> + '_ {
        self.iter()
            .filter(move |(k, _, _)| *k == kind)
            .map(|(_, hash, text)| (hash, text))
    }

    /// Whether a key of `kind` with this hash is among these.
    pub(super) fn has_hash(&self, kind: Kind, hash: u64) -> bool {
        let from = self
            .keys
            .partition_point(|k| (k.kind, k.hash) < (kind, hash));
        self.keys
            .get(from)
            .is_some_and(|k| k.kind == kind && k.hash == hash)
    }

    /// Whether `key` of `kind` is among these.
    pub(super) fn contains(&self, kind: Kind, key: &str) -> bool {
        let hash = hash(key);
        let from = self
            .keys
            .partition_point(|k| (k.kind, k.hash) < (kind, hash));
        self.keys[from..]
            .iter()
            .take_while(|k| k.kind == kind && k.hash == hash)
            .any(|k| self.text_of(k) == key)
    }
}

/// Buffer offsets as stored: a customer's keys are a few hundred bytes, at most a few
/// megabytes for a pathological name, never 4 GB.
fn offset(at: usize) -> u32 {
    u32::try_from(at).unwrap_or(u32::MAX)
}

impl PartialEq for Keys {
    fn eq(&self, other: &Self) -> bool {
        self.iter()
            .map(|(kind, _, text)| (kind, text))
            .eq(other.iter().map(|(kind, _, text)| (kind, text)))
    }
}

/// The stored form: the four lists of keys, as the index held them before they shared a
/// buffer.
#[derive(Serialize)]
struct WireRef<'a> {
    words: KindList<'a>,
    emails: KindList<'a>,
    phones: KindList<'a>,
    tax_ids: KindList<'a>,
}

struct KindList<'a>(&'a Keys, Kind);

impl Serialize for KindList<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.of_kind(self.1).map(|(_, text)| text))
    }
}

#[derive(Deserialize)]
struct Wire {
    words: Vec<String>,
    emails: Vec<String>,
    phones: Vec<String>,
    tax_ids: Vec<String>,
}

impl Serialize for Keys {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        WireRef {
            words: KindList(self, Kind::Word),
            emails: KindList(self, Kind::Email),
            phones: KindList(self, Kind::Phone),
            tax_ids: KindList(self, Kind::TaxId),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Keys {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = Wire::deserialize(deserializer)?;
        let mut keys = Self::default();
        for (kind, list) in [
            (Kind::Word, &wire.words),
            (Kind::Email, &wire.emails),
            (Kind::Phone, &wire.phones),
            (Kind::TaxId, &wire.tax_ids),
        ] {
            for key in list {
                let start = keys.text.len();
                keys.text.push_str(key);
                keys.close(kind, start);
            }
        }
        Ok(keys.finish())
    }
}
