//! The set of customers behind one search key, sized for the common case of exactly one.
//!
//! Most keys (an email, a phone, a tax id) belong to a single customer; a `BTreeSet` would
//! allocate a whole node for it. Replay builds millions of these, so the one-element case is
//! stored inline.

use std::collections::BTreeSet;

use crate::ids::CustomerId;

/// A non-empty set of customers. Canonical: one element is always `One`, so equal sets
/// compare equal whatever order they were built in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IdSet {
    One(CustomerId),
    Many(BTreeSet<CustomerId>),
}

impl IdSet {
    pub(crate) fn insert(&mut self, id: CustomerId) {
        match self {
            Self::One(existing) if *existing == id => {}
            Self::One(existing) => *self = Self::Many(BTreeSet::from([*existing, id])),
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
                    if let Some(last) = ids.first().copied() {
                        *self = Self::One(last);
                    }
                }
                ids_is_empty(self)
            }
        }
    }

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
