//! The `analyses` tree: finished analyses, reused while the ticket and analyzer are the same.
//!
//! Keyed by ticket id ([`CacheKey::Analysis`]). A stored
//! analysis is reused only when both the ticket's `updated_at` and the analyzer's
//! fingerprint match: an edited ticket, another model, prompt or taxonomy all mean a
//! fresh analysis. There is no TTL.

use serde::{Deserialize, Serialize};

use super::{Cache, CacheError, CacheKey, ReadPolicy};
use crate::model::Analysis;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredAnalysis {
    pub updated_at: Option<String>,
    pub fingerprint: String,
    pub analyzer: String,
    /// When the analysis was made (RFC 3339), so a rerun writes the same row.
    pub analyzed_at: String,
    pub analysis: Analysis,
}

impl Cache {
    /// The stored analysis of ticket `id`, if it was made for this `updated_at` and
    /// `fingerprint`. Counts a hit or a miss.
    pub fn analysis(
        &self,
        id: u64,
        updated_at: Option<&str>,
        fingerprint: &str,
    ) -> Result<Option<StoredAnalysis>, CacheError> {
        let found = match self.get(&CacheKey::Analysis(id), ReadPolicy::AnyAge)? {
            Some(v) => serde_json::from_slice::<StoredAnalysis>(&v)
                .ok()
                .filter(|s| s.fingerprint == fingerprint && s.updated_at.as_deref() == updated_at),
            None => None,
        };
        self.count_analysis(found.is_some());
        Ok(found)
    }

    /// Stores a batch's analyses with one sled write.
    pub fn put_analyses(&self, analyses: &[(u64, StoredAnalysis)]) -> Result<(), CacheError> {
        let entries = analyses
            .iter()
            .map(|(id, stored)| Ok((CacheKey::Analysis(*id), encode_analysis(*id, stored)?)))
            .collect::<Result<Vec<_>, CacheError>>()?;
        self.put_many(&entries)
    }
}

fn encode_analysis(id: u64, stored: &StoredAnalysis) -> Result<Vec<u8>, CacheError> {
    serde_json::to_vec(stored).map_err(|e| CacheError::Decode {
        what: format!("analysis of ticket {id}"),
        detail: e.to_string(),
    })
}
