//! The set of customers behind one search key, sized for the common case of exactly one.
//!
//! Most keys (an email, a phone, a tax id) belong to a single customer; a set would allocate a
//! table for it. Replay builds millions of these, so the one-element case is stored inline.
//! The many-element case is hashed, not ordered: a common first name is shared by thousands
//! of customers, and inserting a random id into an ordered set of thousands is a dozen
//! comparisons on cold nodes. Whoever needs an order (search hits, duplicate groups) sorts
//! what it collected.

use foldhash::{HashSet, HashSetExt};
use serde::{Deserialize, Serialize};

use crate::ids::CustomerId;

/// A non-empty set of customers. Canonical: one element is always `One`, so equal sets
/// compare equal whatever order they were built in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum IdSet {
    One(CustomerId),
    Many(HashSet<CustomerId>),
}

impl IdSet {
    pub(crate) fn insert(&mut self, id: CustomerId) {
        match self {
            Self::One(existing) if *existing == id => {}
            Self::One(existing) => {
                let mut ids = HashSet::with_capacity(2);
                ids.insert(*existing);
                ids.insert(id);
                *self = Self::Many(ids);
            }
            Self::Many(ids) => {
                ids.insert(id);
            }
        }
    }

    /// Removes `id`; returns whether the set is now empty (and should be dropped).
    pub(crate) fn remove(&mut self, id: CustomerId) -> bool {
        match self {
            Self::One(existing) => *existing == id,
            Self::Many(ids) => {
                ids.remove(&id);
                if ids.len() == 1 {
                    if let Some(last) = ids.iter().next().copied() {
                        *self = Self::One(last);
                    }
                }
                ids_is_empty(self)
            }
        }
    }

    /// The customers, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = CustomerId> + '_ {
        let (one, many) = match self {
            Self::One(id) => (Some(*id), None),
            Self::Many(ids) => (None, Some(ids.iter().copied())),
        };
        one.into_iter().chain(many.into_iter().flatten())
    }
}

fn ids_is_empty(set: &IdSet) -> bool {
    matches!(set, IdSet::Many(ids) if ids.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ContactId;

    fn id(n: u128) -> CustomerId {
        ContactId::from_uuid(uuid::Uuid::from_u128(n)).into()
    }

    #[test]
    fn grows_and_shrinks_back_to_canonical_form() {
        let mut set = IdSet::One(id(1));
        set.insert(id(1));
        assert_eq!(set, IdSet::One(id(1)));
        set.insert(id(2));
        set.insert(id(3));
        assert_eq!(set.iter().count(), 3);
        assert!(!set.remove(id(2)));
        assert!(!set.remove(id(3)));
        assert_eq!(set, IdSet::One(id(1)));
        assert!(set.remove(id(1)));
    }
}
