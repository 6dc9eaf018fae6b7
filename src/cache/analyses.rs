//! The `analyses` tree: finished analyses, reused while the ticket and analyzer are the same.
//!
//! Keyed by ticket id ([`CacheKey::Analysis`]). A stored
//! analysis is reused only when both the ticket's `updated_at` and the analyzer's
//! fingerprint match: an edited ticket, another model, prompt or taxonomy all mean a
//! fresh analysis. There is no TTL.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::key::Slot;
use super::{bucket, Cache, CacheError, CacheKey, Tree};
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

/// A [`StoredAnalysis`] borrowed for writing: the same JSON, made without copying
/// the analysis and its stamps first (a fresh analysis is encoded where it is made).
#[derive(Debug, Serialize)]
pub struct StoredAnalysisRef<'a> {
    pub updated_at: Option<&'a str>,
    pub fingerprint: &'a str,
    pub analyzer: &'a str,
    pub analyzed_at: &'a str,
    pub analysis: &'a Analysis,
}

impl StoredAnalysis {
    fn borrowed(&self) -> StoredAnalysisRef<'_> {
        StoredAnalysisRef {
            updated_at: self.updated_at.as_deref(),
            fingerprint: &self.fingerprint,
            analyzer: &self.analyzer,
            analyzed_at: &self.analyzed_at,
            analysis: &self.analysis,
        }
    }
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
        Ok(self
            .analyses(&[(id, updated_at)], fingerprint)?
            .pop()
            .flatten())
    }

    /// [`analysis`](Self::analysis) of many tickets (id and `updated_at`), in their
    /// order: the tickets of one bucket cost one read, so a batch of neighbouring
    /// ids costs a few reads instead of one each.
    pub fn analyses(
        &self,
        tickets: &[(u64, Option<&str>)],
        fingerprint: &str,
    ) -> Result<Vec<Option<StoredAnalysis>>, CacheError> {
        let tree = self.sled_tree(Tree::Analyses);
        let mut read: HashMap<Vec<u8>, Option<sled::IVec>> = HashMap::new();
        let mut out = Vec::with_capacity(tickets.len());
        for &(id, updated_at) in tickets {
            let (key, entry) = match CacheKey::Analysis(id).slot() {
                Slot::Own(key) => (key, None),
                Slot::Bucket { key, id } => (key, Some(id)),
            };
            let value = match read.entry(key) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => {
                    let value = tree.get(e.key())?;
                    e.insert(value)
                }
            };
            let found = value
                .as_deref()
                .and_then(|v| entry.map_or(Some(v), |id| bucket::find(v, id)))
                .and_then(|v| serde_json::from_slice::<StoredAnalysis>(v).ok())
                .filter(|s| s.fingerprint == fingerprint && s.updated_at.as_deref() == updated_at);
            self.count_analysis(found.is_some());
            out.push(found);
        }
        Ok(out)
    }

    /// Stores a batch's analyses with one sled write.
    pub fn put_analyses(&self, analyses: &[(u64, StoredAnalysis)]) -> Result<(), CacheError> {
        let encoded = analyses
            .iter()
            .map(|(id, stored)| Ok((*id, encode_analysis(*id, &stored.borrowed())?)))
            .collect::<Result<Vec<_>, CacheError>>()?;
        self.put_encoded_analyses(encoded)
    }

    /// Stores analyses already encoded by [`encode_analysis`], with one sled write.
    pub fn put_encoded_analyses(&self, encoded: Vec<(u64, Vec<u8>)>) -> Result<(), CacheError> {
        self.put_many(
            encoded
                .into_iter()
                .map(|(id, bytes)| (CacheKey::Analysis(id), bytes)),
        )
    }
}

/// The stored form of ticket `id`'s analysis.
pub fn encode_analysis(id: u64, stored: &StoredAnalysisRef<'_>) -> Result<Vec<u8>, CacheError> {
    // Sized for most analyses (about 540 bytes), so the buffer is not grown as it fills.
    let mut out = Vec::with_capacity(768);
    serde_json::to_writer(&mut out, stored).map_err(|e| CacheError::Decode {
        what: format!("analysis of ticket {id}"),
        detail: e.to_string(),
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Sentiment;

    /// The borrowed form writes exactly what the owned one would, so a field added
    /// to [`StoredAnalysis`] and not to [`StoredAnalysisRef`] fails here.
    #[test]
    fn the_borrowed_form_encodes_as_the_stored_one() {
        let stored = StoredAnalysis {
            updated_at: Some("2024-06-03T10:15:02Z".into()),
            fingerprint: "builtin:x".into(),
            analyzer: "builtin".into(),
            analyzed_at: "2024-06-04T00:00:00Z".into(),
            analysis: Analysis {
                sentiment: Sentiment::Negative,
                sentiment_score: -0.4215,
                urgency: 4,
                frustration: 3,
                technical_expertise: 2,
                business_impact: true,
                category: "billing".into(),
                component: "none".into(),
                priority_score: 7,
                confidence: 0.83,
                key_phrases: vec!["charged twice".into()],
                emotions: vec!["frustration".into()],
                language: "en".into(),
            },
        };
        let encoded = encode_analysis(7, &stored.borrowed()).unwrap();
        assert_eq!(encoded, serde_json::to_vec(&stored).unwrap());
        let back: StoredAnalysis = serde_json::from_slice(&encoded).unwrap();
        assert_eq!(back, stored);
    }
}
