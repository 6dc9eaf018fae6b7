//! [`IdSet`]: the set of ticket ids a run has already seen, kept compact so a
//! million-ticket backfill does not pay a hash-set entry per ticket.
//!
//! Zendesk ticket ids are handed out in sequence per account, so the ids of a view
//! cluster: the set stores one 64-bit word per run of 64 ids, about 0.3 bytes per id
//! when ids are dense (a `HashSet<u64>` takes 9-18 bytes per id plus a copy while it
//! grows). Scattered ids cost one word each, about twice a hash set's entry.

use std::collections::HashMap;

/// A set of `u64` ids stored as a bitmap of 64-id words.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct IdSet {
    words: HashMap<u64, u64>,
    len: usize,
}

impl IdSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `id`; true if it was not in the set yet.
    pub fn insert(&mut self, id: u64) -> bool {
        let bit = 1u64 << (id % 64);
        let word = self.words.entry(id / 64).or_insert(0);
        let first = *word & bit == 0;
        *word |= bit;
        self.len += usize::from(first);
        first
    }

    /// True if `id` is in the set.
    pub fn contains(&self, id: u64) -> bool {
        self.words
            .get(&(id / 64))
            .is_some_and(|w| w & (1u64 << (id % 64)) != 0)
    }

    /// How many ids the set holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if the set holds no id.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Extend<u64> for IdSet {
    fn extend<I: IntoIterator<Item = u64>>(&mut self, ids: I) {
        for id in ids {
            self.insert(id);
        }
    }
}

impl FromIterator<u64> for IdSet {
    fn from_iter<I: IntoIterator<Item = u64>>(ids: I) -> Self {
        let mut set = IdSet::new();
        set.extend(ids);
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_id_is_new_once_including_word_edges_and_the_largest_id() {
        let mut set = IdSet::new();
        for id in [0, 63, 64, 127, 1_000_000, u64::MAX] {
            assert!(set.insert(id), "{id} is new");
            assert!(!set.insert(id), "{id} is seen");
            assert!(set.contains(id));
        }
        assert_eq!(set.len(), 6);
        assert!(!set.contains(1) && !set.contains(65) && !set.contains(u64::MAX - 1));
    }

    #[test]
    fn a_dense_million_ids_take_one_word_per_64() {
        let set: IdSet = (1..=1_000_000).collect();
        assert_eq!(set.len(), 1_000_000);
        assert_eq!(set.words.len(), 1_000_000 / 64 + 1);
        assert!(set.contains(1) && set.contains(1_000_000) && !set.contains(0));
    }
}
