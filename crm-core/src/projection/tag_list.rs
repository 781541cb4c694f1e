//! A record's tags, sorted and without repeats, in one vector.
//!
//! Events carry tags as a `BTreeSet`, and cards show them as one; but a `BTreeSet` allocates a
//! whole node (about 280 bytes) for its first element, and a million cards with a tag or two
//! each would pay that a million times. A sorted vector pays for what it holds.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Tags, sorted and without repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TagList(Vec<String>);

impl TagList {
    pub(crate) fn of(tags: &BTreeSet<String>) -> Self {
        // A set iterates in order and without repeats: the vector is sorted as built.
        Self(tags.iter().cloned().collect())
    }

    /// Drops `removed`, then adds `added`.
    pub(crate) fn change(&mut self, added: &BTreeSet<String>, removed: &BTreeSet<String>) {
        self.0.retain(|t| !removed.contains(t));
        for tag in added {
            if let Err(at) = self.0.binary_search(tag) {
                self.0.insert(at, tag.clone());
            }
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &String> {
        self.0.iter()
    }

    pub(crate) fn to_set(&self) -> BTreeSet<String> {
        self.0.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(tags: &[&str]) -> BTreeSet<String> {
        tags.iter().map(|t| (*t).to_owned()).collect()
    }

    #[test]
    fn changes_as_a_set_would() {
        let mut tags = TagList::of(&set(&["vip", "newsletter"]));
        tags.change(&set(&["b2b", "vip"]), &set(&["newsletter", "absent"]));
        assert_eq!(tags.to_set(), set(&["b2b", "vip"]));
        assert_eq!(tags.iter().collect::<Vec<_>>(), ["b2b", "vip"]);
        // Removed and added at once: added wins, as `retain` then `extend` on a set did.
        tags.change(&set(&["x"]), &set(&["x"]));
        assert_eq!(tags.to_set(), set(&["b2b", "vip", "x"]));
    }
}
