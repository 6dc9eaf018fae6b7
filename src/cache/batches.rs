//! The `batches` tree: provider batches a run submitted and has not collected yet.
//!
//! A batch run stores each batch here (keyed by the provider's batch id,
//! [`CacheKey::Batch`]) right after the provider accepted it and before it waits, and
//! flushes it to disk: a run that is killed or stops waiting leaves the record, and
//! the next run collects that batch instead of submitting its tickets again. The
//! record is removed once every ticket's answer is stored as an analysis (or has
//! become an error row). There is no TTL: a provider keeps results for days. (A
//! batch the provider no longer knows, 404, stops the run with that message; it is
//! not yet dropped and resubmitted on its own: `zdpipe cache clear` forgets it.)

use serde::{Deserialize, Serialize};

use super::{Cache, CacheError, CacheKey, Tree};

/// One request of a stored batch: which ticket version it analyzes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchTicket {
    pub custom_id: String,
    pub ticket_id: u64,
    pub updated_at: Option<String>,
}

/// A submitted batch: enough to collect its answers in a later run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredBatch {
    /// The provider's batch id.
    pub id: String,
    /// `openai` or `anthropic`.
    pub provider: String,
    /// The analyzer fingerprint its requests were made with: another model or prompt
    /// does not collect it.
    pub fingerprint: String,
    /// When it was submitted (RFC 3339).
    pub submitted_at: String,
    /// Whether it already replaces an expired batch (which is resubmitted only once).
    pub resubmission: bool,
    pub tickets: Vec<BatchTicket>,
}

impl Cache {
    /// Stores `batch` durably (flushed before returning): the run is about to wait.
    pub fn put_batch(&self, batch: &StoredBatch) -> Result<(), CacheError> {
        let payload = serde_json::to_vec(batch).map_err(|e| CacheError::Decode {
            what: format!("batch {}", batch.id),
            detail: e.to_string(),
        })?;
        self.put(&CacheKey::Batch(batch.id.clone()), &payload)?;
        self.sled_tree(Tree::Batches).flush()?;
        Ok(())
    }

    /// Every stored batch; a record that does not parse (an older layout) is skipped.
    pub fn stored_batches(&self) -> Result<Vec<StoredBatch>, CacheError> {
        let mut out = Vec::new();
        for item in self.sled_tree(Tree::Batches).iter() {
            let (key, value) = item?;
            match serde_json::from_slice::<StoredBatch>(&value) {
                Ok(batch) => out.push(batch),
                Err(e) => tracing::warn!(
                    "cache: cannot read stored batch {}: {e}",
                    String::from_utf8_lossy(&key)
                ),
            }
        }
        Ok(out)
    }

    /// Forgets a batch whose answers are all stored, durably.
    pub fn remove_batch(&self, id: &str) -> Result<(), CacheError> {
        self.remove(&CacheKey::Batch(id.to_string()))?;
        self.sled_tree(Tree::Batches).flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_batch_survives_a_reopen_until_removed() {
        let dir = tempfile::tempdir().unwrap();
        let batch = StoredBatch {
            id: "batch_1".into(),
            provider: "openai".into(),
            fingerprint: "fp".into(),
            submitted_at: "2026-01-01T00:00:00Z".into(),
            resubmission: false,
            tickets: vec![BatchTicket {
                custom_id: "ticket-7".into(),
                ticket_id: 7,
                updated_at: Some("2026-01-01T00:00:00Z".into()),
            }],
        };
        {
            let cache = super::super::open_for_test(&dir);
            cache.put_batch(&batch).unwrap();
        }
        let cache = super::super::open_for_test(&dir);
        assert_eq!(cache.stored_batches().unwrap(), vec![batch]);
        cache.remove_batch("batch_1").unwrap();
        assert!(cache.stored_batches().unwrap().is_empty());
    }
}
