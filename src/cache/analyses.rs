//! The `analyses` tree: finished analyses, reused while the ticket and analyzer are the same.
//!
//! Keyed by ticket id ([`CacheKey::Analysis`]). A stored
//! analysis is reused only when both the ticket's `updated_at` and the analyzer's
//! fingerprint match: an edited ticket, another model, prompt or taxonomy all mean a
//! fresh analysis. There is no TTL. Values are written in the compact form of
//! [`compact`] (about 160 bytes); the JSON of earlier versions is still read.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::key::Slot;
use super::{bucket, compact, Cache, CacheError, CacheKey, Tree};
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

/// A [`StoredAnalysis`] borrowed for writing: encoded without copying the analysis
/// and its stamps first (a fresh analysis is encoded where it is made).
#[derive(Debug)]
pub struct StoredAnalysisRef<'a> {
    pub updated_at: Option<&'a str>,
    pub fingerprint: &'a str,
    pub analyzer: &'a str,
    pub analyzed_at: &'a str,
    pub analysis: &'a Analysis,
}

impl StoredAnalysis {
    pub(super) fn borrowed(&self) -> StoredAnalysisRef<'_> {
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
                .and_then(|v| decode_analysis(v, fingerprint))
                .filter(|s| s.updated_at.as_deref() == updated_at);
            self.count_analysis(found.is_some());
            out.push(found);
        }
        Ok(out)
    }

    /// Stores a batch's analyses with one sled write.
    pub fn put_analyses(&self, analyses: &[(u64, StoredAnalysis)]) -> Result<(), CacheError> {
        let encoded = analyses
            .iter()
            .map(|(id, stored)| (*id, encode_analysis(&stored.borrowed())))
            .collect();
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

/// The stored form of an analysis ([`compact`]).
pub fn encode_analysis(stored: &StoredAnalysisRef<'_>) -> Vec<u8> {
    compact::encode(stored)
}

/// A stored analysis, compact or (written by an earlier zdpipe) JSON, if it was made
/// with `fingerprint`.
fn decode_analysis(bytes: &[u8], fingerprint: &str) -> Option<StoredAnalysis> {
    if bytes.first() == Some(&compact::TAG) {
        return compact::decode(bytes, fingerprint);
    }
    serde_json::from_slice::<StoredAnalysis>(bytes)
        .ok()
        .filter(|s| s.fingerprint == fingerprint)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Sentiment;

    fn stored(fingerprint: &str, updated_at: &str) -> StoredAnalysis {
        StoredAnalysis {
            updated_at: Some(updated_at.into()),
            fingerprint: fingerprint.into(),
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
        }
    }

    /// Analyses stored by this version and, as JSON, by an earlier one are both
    /// reused, each only for its ticket version and analyzer.
    #[test]
    fn both_stored_forms_are_read_for_their_ticket_version_and_analyzer() {
        let dir = tempfile::tempdir().unwrap();
        let cache = super::super::open_for_test(&dir);
        let (fp, at) = ("builtin:x", "2024-06-03T10:15:02Z");
        let (new, old) = (stored(fp, at), stored(fp, at));
        cache.put_analyses(&[(7, new.clone())]).unwrap();
        let json = serde_json::to_vec(&old).unwrap();
        cache.put_many([(CacheKey::Analysis(8), json)]).unwrap();
        let stored_bytes = |id| {
            let Slot::Bucket { key, id } = CacheKey::Analysis(id).slot() else {
                unreachable!("analyses are kept in buckets")
            };
            let bucket = cache.sled_tree(Tree::Analyses).get(key).unwrap().unwrap();
            bucket::find(&bucket, id).unwrap().to_vec()
        };
        assert_eq!(stored_bytes(7)[0], compact::TAG);
        assert_eq!(stored_bytes(8)[0], b'{');

        let ask = |fp, at| cache.analyses(&[(7, Some(at)), (8, Some(at)), (9, Some(at))], fp);
        assert_eq!(ask(fp, at).unwrap(), [Some(new), Some(old), None]);
        assert_eq!(ask("builtin:y", at).unwrap(), [None, None, None]);
        assert_eq!(ask(fp, "2024-06-05T00:00:00Z").unwrap(), [None, None, None]);
    }
}
