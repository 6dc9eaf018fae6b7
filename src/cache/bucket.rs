//! Buckets: the records of neighbouring ticket ids under one sled key.
//!
//! sled splits a leaf page at 16 keys whatever their size, and keeps a little memory
//! for every page on disk, paged out or not: one key per ticket made that memory grow
//! with the cache (about 150 bytes per ticket). Tickets and analyses are therefore
//! stored [`IDS_PER_BUCKET`] ids to a key ([`CacheKey::slot`](super::CacheKey::slot)
//! says which), so sled has that many times fewer keys and pages.
//!
//! A bucket's value is its entries in id order, each `[id: u64][len: u32][value]`
//! (big-endian); the value is what a key of its own would hold (a TTL envelope in
//! `tickets`, the plain analysis in `analyses`). A read finds its entry by walking
//! the headers; a write replaces or adds entries with one compare-and-swap of the
//! bucket, so concurrent writers to one bucket never lose each other's entries.

use std::collections::BTreeMap;

use super::CacheError;

/// How many consecutive ids share a bucket. Zendesk's ids are dense, so a bucket is
/// about a third of a listing page.
pub(super) const IDS_PER_BUCKET: u64 = 32;

const ENTRY_HEADER: usize = 8 + 4;

/// The entries of a bucket, in id order. A truncated tail (never written by zdpipe)
/// ends the walk.
pub(super) fn entries(bucket: &[u8]) -> impl Iterator<Item = (u64, &[u8])> {
    let mut rest = bucket;
    std::iter::from_fn(move || {
        if rest.len() < ENTRY_HEADER {
            return None;
        }
        let id = u64::from_be_bytes(rest[..8].try_into().ok()?);
        let len = u32::from_be_bytes(rest[8..ENTRY_HEADER].try_into().ok()?) as usize;
        let value = rest.get(ENTRY_HEADER..ENTRY_HEADER + len)?;
        rest = &rest[ENTRY_HEADER + len..];
        Some((id, value))
    })
}

/// Entry `id` of a bucket.
pub(super) fn find(bucket: &[u8], id: u64) -> Option<&[u8]> {
    entries(bucket).find(|(i, _)| *i == id).map(|(_, v)| v)
}

fn encode(entries: &BTreeMap<u64, &[u8]>) -> Vec<u8> {
    let len = entries.values().map(|v| ENTRY_HEADER + v.len()).sum();
    let mut out = Vec::with_capacity(len);
    for (id, value) in entries {
        out.extend_from_slice(&id.to_be_bytes());
        out.extend_from_slice(&(value.len() as u32).to_be_bytes());
        out.extend_from_slice(value);
    }
    out
}

/// `old` with `new`'s entries added or replacing those of the same id, and without
/// the entries `keep` refuses; `None` when nothing is left (the key is removed).
fn rewrite(
    old: Option<&[u8]>,
    new: &[(u64, &[u8])],
    keep: &dyn Fn(u64, &[u8]) -> bool,
) -> Option<Vec<u8>> {
    let mut all: BTreeMap<u64, &[u8]> = old.map(|b| entries(b).collect()).unwrap_or_default();
    all.extend(new.iter().copied());
    all.retain(|id, v| keep(*id, v));
    (!all.is_empty()).then(|| encode(&all))
}

/// Adds or replaces `new`'s entries in the bucket under `key`, atomically.
pub(super) fn put(tree: &sled::Tree, key: &[u8], new: &[(u64, &[u8])]) -> Result<(), CacheError> {
    tree.fetch_and_update(key, |old| rewrite(old, new, &|_, _| true))?;
    Ok(())
}

/// Removes entry `id` from the bucket under `key`; whether it was there.
pub(super) fn remove(tree: &sled::Tree, key: &[u8], id: u64) -> Result<bool, CacheError> {
    let before = tree.fetch_and_update(key, |old| rewrite(old, &[], &|i, _| i != id))?;
    Ok(before.is_some_and(|b| find(&b, id).is_some()))
}

/// Removes the entries `drop` picks from the bucket under `key`; how many went.
pub(super) fn remove_where(
    tree: &sled::Tree,
    key: &[u8],
    drop: &dyn Fn(&[u8]) -> bool,
) -> Result<u64, CacheError> {
    let before = tree.fetch_and_update(key, |old| rewrite(old, &[], &|_, v| !drop(v)))?;
    Ok(before.map_or(0, |b| entries(&b).filter(|(_, v)| drop(v)).count() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_found_replaced_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::open(dir.path()).unwrap();
        let tree = db.open_tree("t").unwrap();
        put(&tree, b"k", &[(7, b"seven"), (3, b"three")]).unwrap();
        put(&tree, b"k", &[(7, b"SEVEN"), (5, b"")]).unwrap();
        let bucket = tree.get(b"k").unwrap().unwrap();
        let all: Vec<(u64, &[u8])> = entries(&bucket).collect();
        assert_eq!(all, [(3, &b"three"[..]), (5, &b""[..]), (7, &b"SEVEN"[..])]);
        assert_eq!(find(&bucket, 4), None);
        assert!(remove(&tree, b"k", 3).unwrap());
        assert!(!remove(&tree, b"k", 3).unwrap());
        assert_eq!(remove_where(&tree, b"k", &|v| v.is_empty()).unwrap(), 1);
        assert!(remove(&tree, b"k", 7).unwrap());
        assert_eq!(tree.get(b"k").unwrap(), None, "an empty bucket is no key");
    }
}
