//! One TTL store: a sled tree whose values are `[version][expires_at][payload]`.
//!
//! The envelope is one version byte (so a future format can be told apart and
//! treated as a miss), then the expiry as big-endian unix milliseconds, then the
//! payload (JSON). An expired entry is a miss, except in offline mode, where anything
//! stored is better than nothing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::key::Slot;
use super::{bucket, CacheError, CacheKey, Tree};

pub(super) const ENVELOPE_VERSION: u8 = 1;
const HEADER: usize = 9;

/// How reads treat stored entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReadPolicy {
    /// Fresh entries are hits; expired ones are misses.
    #[default]
    Fresh,
    /// Any stored entry is a hit, however old (`--offline`).
    AnyAge,
    /// Every read is a miss; writes still refill the store (`--refresh`).
    Bypass,
}

pub(super) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Wraps `payload` with an expiry `ttl` from now.
pub(super) fn seal(payload: &[u8], ttl: Duration) -> Vec<u8> {
    let expires = now_ms().saturating_add(ttl.as_millis() as u64);
    let mut v = Vec::with_capacity(HEADER + payload.len());
    v.push(ENVELOPE_VERSION);
    v.extend_from_slice(&expires.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// Splits an envelope into (expires_at ms, payload); `None` for a foreign format.
pub(super) fn open(value: &[u8]) -> Option<(u64, &[u8])> {
    if value.len() < HEADER || value[0] != ENVELOPE_VERSION {
        return None;
    }
    let expires = u64::from_be_bytes(value[1..HEADER].try_into().ok()?);
    Some((expires, &value[HEADER..]))
}

/// A tree with a TTL and this run's hit/miss counters. Read and written through
/// [`Cache::get`](super::Cache::get) and [`Cache::put`](super::Cache::put), which
/// pick the store a key belongs to.
pub struct TtlStore {
    kind: Tree,
    pub(super) tree: sled::Tree,
    pub(super) ttl: Duration,
    pub(super) hits: AtomicU64,
    pub(super) misses: AtomicU64,
}

impl TtlStore {
    /// Opens the store `kind` of `db`.
    pub(super) fn new(db: &sled::Db, kind: Tree, ttl: Duration) -> Result<Self, CacheError> {
        Ok(TtlStore {
            kind,
            tree: db.open_tree(kind.name())?,
            ttl,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        })
    }

    pub fn name(&self) -> &'static str {
        self.kind.name()
    }

    pub(super) fn kind(&self) -> Tree {
        self.kind
    }

    /// A zero TTL disables the store: nothing is read or kept.
    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    /// The payload under `key`, counting a hit or a miss.
    pub(super) fn get(
        &self,
        key: &CacheKey,
        policy: ReadPolicy,
    ) -> Result<Option<Vec<u8>>, CacheError> {
        debug_assert_eq!(key.tree(), self.kind, "{key:?} read from the wrong store");
        let found =
            if policy == ReadPolicy::Bypass || (!self.enabled() && policy != ReadPolicy::AnyAge) {
                None
            } else {
                let fresh = |v: &[u8]| {
                    let (expires, payload) = open(v)?;
                    (policy == ReadPolicy::AnyAge || expires > now_ms()).then(|| payload.to_vec())
                };
                match key.slot() {
                    Slot::Own(k) => self.tree.get(k)?.and_then(|v| fresh(&v)),
                    Slot::Bucket { key, id } => self
                        .tree
                        .get(key)?
                        .and_then(|b| bucket::find(&b, id).and_then(fresh)),
                }
            };
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        Ok(found)
    }

    /// Stores `payload` under `key` for this store's TTL (nothing when disabled).
    pub(super) fn put(&self, key: &CacheKey, payload: &[u8]) -> Result<(), CacheError> {
        debug_assert_eq!(key.tree(), self.kind, "{key:?} written to the wrong store");
        if self.enabled() {
            let sealed = seal(payload, self.ttl);
            match key.slot() {
                Slot::Own(k) => {
                    self.tree.insert(k, sealed)?;
                }
                Slot::Bucket { key, id } => bucket::put(&self.tree, &key, &[(id, &sealed)])?,
            }
        }
        Ok(())
    }

    /// Whether `key` (of its own sled key) is stored with `payload` and at least
    /// half this store's TTL left: writing it again would change nothing that
    /// matters. A bucketed key is never taken as held.
    pub(super) fn holds(&self, key: &CacheKey, payload: &[u8]) -> Result<bool, CacheError> {
        let Slot::Own(k) = key.slot() else {
            return Ok(false);
        };
        let Some(stored) = self.tree.get(k)? else {
            return Ok(false);
        };
        let half_ttl = (self.ttl / 2).as_millis() as u64;
        Ok(open(&stored).is_some_and(|(expires, held)| {
            held == payload && expires >= now_ms().saturating_add(half_ttl)
        }))
    }

    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }
}

/// Entry, expired and byte counts of a tree, read by scanning it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct TreeCounts {
    pub entries: u64,
    pub expired: u64,
    pub bytes: u64,
}

/// Counts the records of tree `kind`: a bucket's entries one by one, each with its id
/// as its key's bytes.
pub(super) fn count_tree(
    tree: &sled::Tree,
    kind: Tree,
    with_expiry: bool,
) -> Result<TreeCounts, CacheError> {
    let now = now_ms();
    let mut c = TreeCounts::default();
    let mut count = |key_len: usize, v: &[u8]| {
        c.entries += 1;
        c.bytes += (key_len + v.len()) as u64;
        if with_expiry && expired(v, now) {
            c.expired += 1;
        }
    };
    for item in tree.iter() {
        let (k, v) = item?;
        if CacheKey::is_bucket(kind, &k) {
            bucket::entries(&v).for_each(|(_, entry)| count(8, entry));
        } else {
            count(k.len(), &v);
        }
    }
    Ok(c)
}

fn expired(value: &[u8], now: u64) -> bool {
    open(value).is_none_or(|(exp, _)| exp <= now)
}

/// Removes expired (or foreign-format) records of tree `kind`; returns how many.
pub(super) fn purge_tree(tree: &sled::Tree, kind: Tree) -> Result<u64, CacheError> {
    let now = now_ms();
    let mut n = 0;
    for item in tree.iter() {
        let (k, v) = item?;
        if CacheKey::is_bucket(kind, &k) {
            n += bucket::remove_where(tree, &k, &|entry| expired(entry, now))?;
        } else if expired(&v, now) {
            tree.remove(k)?;
            n += 1;
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::{open_for_test, Cache};

    #[test]
    fn envelope_round_trip_and_expiry() {
        let v = seal(b"{}", Duration::from_secs(60));
        let (exp, payload) = open(&v).unwrap();
        assert_eq!(payload, b"{}");
        assert!(exp > now_ms());
        assert!(open(&[2, 0, 0]).is_none());
    }

    /// The stored envelope of `key` in the users' store: (expiry, payload).
    fn stored(cache: &Cache, key: &CacheKey) -> (u64, Vec<u8>) {
        let Slot::Own(k) = key.slot() else {
            panic!("{key:?} is bucketed")
        };
        let v = cache.users.tree.get(k).unwrap().expect("stored");
        let (expires, payload) = open(&v).unwrap();
        (expires, payload.to_vec())
    }

    #[test]
    fn put_changed_writes_a_record_only_when_new_changed_or_half_expired() {
        let dir = tempfile::tempdir().unwrap();
        let cache = open_for_test(&dir);
        let alice = CacheKey::User(1);
        let put = |payload: &[u8]| {
            cache
                .put_changed([(alice.clone(), payload.to_vec())])
                .unwrap()
        };
        put(br#"{"id":1,"name":"Alice"}"#);
        let (first, _) = stored(&cache, &alice);
        std::thread::sleep(Duration::from_millis(5));
        put(br#"{"id":1,"name":"Alice"}"#);
        assert_eq!(
            stored(&cache, &alice).0,
            first,
            "the same record is not written again"
        );
        put(br#"{"id":1,"name":"Alice B."}"#);
        let (second, payload) = stored(&cache, &alice);
        assert_eq!(payload, br#"{"id":1,"name":"Alice B."}"#);
        assert!(
            second > first,
            "a changed record is written with a new expiry"
        );
        // Less than half the TTL left: written again, though unchanged.
        let Slot::Own(k) = alice.slot() else {
            unreachable!()
        };
        let soon = now_ms() + 1_000;
        let mut envelope = vec![ENVELOPE_VERSION];
        envelope.extend_from_slice(&soon.to_be_bytes());
        envelope.extend_from_slice(&payload);
        cache.users.tree.insert(k, envelope).unwrap();
        put(&payload);
        assert!(
            stored(&cache, &alice).0 > soon + 60_000,
            "refreshed before it expires"
        );
    }
}
