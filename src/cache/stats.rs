//! Cache statistics: entries and bytes per store, and hit/miss counts of this run
//! and of all runs (kept in the `stats` tree, so `zdpipe cache stats` shows them later).

use std::sync::atomic::Ordering;

use serde::Serialize;

use super::store::{count_tree, TreeCounts};
use super::{Cache, CacheError, CacheKey, ReadPolicy, Tree};

/// One store's figures.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StoreStats {
    pub store: String,
    #[serde(flatten)]
    pub counts: TreeCounts,
    /// Hits and misses summed over every run that used this cache.
    pub hits: u64,
    pub misses: u64,
    pub hit_rate: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CacheStats {
    pub path: String,
    /// Whose data the cache holds; `None` for a cache filled by an older zdpipe.
    pub account: Option<String>,
    pub stores: Vec<StoreStats>,
    pub checkpoints: u64,
}

fn rate(hits: u64, misses: u64) -> Option<f64> {
    let total = hits + misses;
    (total > 0).then(|| hits as f64 / total as f64)
}

impl Cache {
    /// (store, hits, misses) of this run so far, including `analyses`.
    pub fn run_counts(&self) -> Vec<(&'static str, u64, u64)> {
        let mut v: Vec<_> = self
            .stores()
            .iter()
            .map(|s| (s.name(), s.hits(), s.misses()))
            .collect();
        v.push((
            Tree::Analyses.name(),
            self.analysis_hits.load(Ordering::Relaxed),
            self.analysis_misses.load(Ordering::Relaxed),
        ));
        v
    }

    fn persisted(&self, store: &str) -> Result<(u64, u64), CacheError> {
        let key = CacheKey::Stats(store.to_string());
        Ok(match self.get(&key, ReadPolicy::AnyAge)? {
            Some(v) if v.len() == 16 => (
                u64::from_be_bytes(v[..8].try_into().expect("8 bytes")),
                u64::from_be_bytes(v[8..].try_into().expect("8 bytes")),
            ),
            _ => (0, 0),
        })
    }

    /// Adds this run's hit and miss counts to the all-time totals. Call once per run.
    pub fn persist_run_counts(&self) -> Result<(), CacheError> {
        for (name, hits, misses) in self.run_counts() {
            let (h, m) = self.persisted(name)?;
            let mut v = Vec::with_capacity(16);
            v.extend_from_slice(&(h + hits).to_be_bytes());
            v.extend_from_slice(&(m + misses).to_be_bytes());
            self.put(&CacheKey::Stats(name.to_string()), &v)?;
        }
        Ok(())
    }

    /// Scans every tree: entries, expired entries, bytes, and all-time hit rates.
    pub fn stats(&self) -> Result<CacheStats, CacheError> {
        let mut stores = Vec::new();
        for s in self.stores() {
            let (hits, misses) = self.persisted(s.name())?;
            stores.push(StoreStats {
                store: s.name().to_string(),
                counts: count_tree(&s.tree, s.kind(), true)?,
                hits,
                misses,
                hit_rate: rate(hits, misses),
            });
        }
        let (hits, misses) = self.persisted(Tree::Analyses.name())?;
        stores.push(StoreStats {
            store: Tree::Analyses.name().to_string(),
            counts: count_tree(&self.analyses, Tree::Analyses, false)?,
            hits,
            misses,
            hit_rate: rate(hits, misses),
        });
        Ok(CacheStats {
            path: self.path.display().to_string(),
            account: self.account()?,
            stores,
            checkpoints: self.checkpoints.len() as u64,
        })
    }
}
