//! Keys to the customers that have them, filed by the key's hash.
//!
//! Filing by a hash instead of the key's text means a new key costs a table slot, not a copy
//! of its text, and a lookup hashes the key once. Two keys whose hashes collide share an
//! entry, so a query keeps only the customers whose own keys hold the very text asked for
//! (`SearchIndex::holding`): a collision can cost a lookup a few extra checks, never a wrong
//! answer.

use std::collections::BTreeSet;
use std::ops::Bound;

use foldhash::HashMap;

use super::super::id_set::IdSet;
use crate::ids::CustomerId;

/// The customers with a key of each hash.
#[derive(Debug, Clone, Default)]
pub(super) struct Postings(HashMap<u64, IdSet>);

impl Postings {
    /// Files `id` under `hash`; returns the customers already there, if any.
    pub(super) fn add(&mut self, hash: u64, id: CustomerId) -> Option<&IdSet> {
        match self.0.entry(hash) {
            std::collections::hash_map::Entry::Occupied(entry) => {
                let ids = entry.into_mut();
                ids.insert(id);
                Some(ids)
            }
            std::collections::hash_map::Entry::Vacant(entry) => {
                entry.insert(IdSet::One(id));
                None
            }
        }
    }

    /// Takes `id` from under `hash`; returns whether no one is left there.
    pub(super) fn remove(&mut self, hash: u64, id: CustomerId) -> bool {
        let emptied = self.0.get_mut(&hash).is_some_and(|ids| ids.remove(id));
        if emptied {
            self.0.remove(&hash);
        }
        emptied
    }

    pub(super) fn get(&self, hash: u64) -> Option<&IdSet> {
        self.0.get(&hash)
    }

    /// Every entry shared by more than one customer.
    pub(super) fn shared(&self) -> impl Iterator<Item = (u64, &IdSet)> {
        self.0
            .iter()
            .filter(|(_, ids)| matches!(ids, IdSet::Many(_)))
            .map(|(hash, ids)| (*hash, ids))
    }
}

/// The distinct name words in order, for prefix search. A word is added when a customer
/// brings it and may not be there yet, and taken out when no customer has a word of its hash
/// any more; a word left behind by a collision is harmless, since every hit is checked
/// against the customer's own words.
#[derive(Debug, Clone, Default)]
pub(super) struct Ordered(BTreeSet<String>);

impl Ordered {
    /// Adds `word`, which may be there already.
    pub(super) fn insert(&mut self, word: &str) {
        if !self.0.contains(word) {
            self.0.insert(word.to_owned());
        }
    }

    /// Adds `word`, which is almost surely new: one walk down the tree instead of two.
    pub(super) fn insert_new(&mut self, word: &str) {
        self.0.insert(word.to_owned());
    }

    pub(super) fn remove(&mut self, word: &str) {
        self.0.remove(word);
    }

    /// The words that start with `prefix`, in order.
    pub(super) fn starting_with<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> {
        self.0
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .map(String::as_str)
            .take_while(move |word| word.starts_with(prefix))
    }

    /// Built from every word at once (a snapshot read back): one sort, no tree walks.
    pub(super) fn from_words<'a>(words: impl Iterator<Item = &'a str>) -> Self {
        let mut all: Vec<&str> = words.collect();
        all.sort_unstable();
        all.dedup();
        Self(all.into_iter().map(str::to_owned).collect())
    }
}
