//! Which contact a merged contact lives on as: the one rule every projection follows.
//!
//! Merges chain — A into B, later B into C — and every card, search hit, segment and report
//! must then put A's history on C. Each projection that cares keeps a [`Merges`] and asks
//! it, so they cannot disagree.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

use foldhash::HashMap;

use crate::ids::{ContactId, CustomerId};

/// Merges form chains, never cycles (a merged contact cannot be merged into), but a damaged or
/// hand-written log could hold one: following stops after this many steps.
const MAX_CHAIN: usize = 64;

/// Every merge seen, both ways.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Merges {
    into: HashMap<ContactId, ContactId>,
    from: HashMap<ContactId, BTreeSet<ContactId>>,
}

impl Merges {
    /// Records that `merged` was merged into `survivor`.
    pub fn record(&mut self, merged: ContactId, survivor: ContactId) {
        self.into.insert(merged, survivor);
        self.from.entry(survivor).or_default().insert(merged);
    }

    /// The contact `contact` was merged into directly, if any.
    pub fn merged_into(&self, contact: ContactId) -> Option<ContactId> {
        self.into.get(&contact).copied()
    }

    /// Whether `contact` was merged into another.
    pub fn is_merged(&self, contact: ContactId) -> bool {
        self.into.contains_key(&contact)
    }

    /// The contact that lives on for `contact`: the end of its chain of merges, or itself.
    pub fn survivor(&self, contact: ContactId) -> ContactId {
        let mut at = contact;
        for _ in 0..MAX_CHAIN {
            match self.into.get(&at) {
                Some(next) if *next != contact => at = *next,
                _ => break,
            }
        }
        at
    }

    /// [`Merges::survivor`] for any customer: a company is never merged.
    pub fn resolve(&self, customer: CustomerId) -> CustomerId {
        match customer {
            CustomerId::Contact(id) => CustomerId::Contact(self.survivor(id)),
            company => company,
        }
    }

    /// Every contact that lives on as `contact`, directly or through a chain, in id order.
    pub fn absorbed(&self, contact: ContactId) -> Vec<ContactId> {
        let mut found = BTreeSet::new();
        let mut frontier = vec![contact];
        while let Some(at) = frontier.pop() {
            for merged in self.from.get(&at).into_iter().flatten() {
                if *merged != contact && found.len() < self.into.len() && found.insert(*merged) {
                    frontier.push(*merged);
                }
            }
        }
        found.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(n: u128) -> ContactId {
        ContactId::from_uuid(uuid::Uuid::from_u128(n))
    }

    #[test]
    fn a_chain_resolves_to_its_end_both_ways() {
        let mut merges = Merges::default();
        merges.record(c(1), c(2));
        merges.record(c(2), c(3));
        merges.record(c(4), c(3));
        assert_eq!(merges.survivor(c(1)), c(3));
        assert_eq!(merges.survivor(c(3)), c(3));
        assert_eq!(merges.absorbed(c(3)), vec![c(1), c(2), c(4)]);
        assert_eq!(merges.absorbed(c(2)), vec![c(1)]);
    }

    #[test]
    fn a_cycle_in_a_damaged_log_ends() {
        let mut merges = Merges::default();
        merges.record(c(1), c(2));
        merges.record(c(2), c(1));
        merges.survivor(c(1));
        assert_eq!(merges.absorbed(c(1)), vec![c(2)]);
    }
}
