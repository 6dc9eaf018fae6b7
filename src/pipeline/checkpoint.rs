//! Checkpoints of incremental runs, kept in the cache's `checkpoints` tree.
//!
//! The key is the pipeline's [`CheckpointId`] (account and name). The value is JSON: the export
//! cursor to continue from and, while a run is under way, the length of its partial
//! CSV at that cursor. A run killed mid-way leaves both; the next run truncates the
//! partial CSV to that length and continues from the cursor, so no ticket is lost or
//! written twice. A completed run stores the cursor alone.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::cache::{Cache, CheckpointId};
use crate::fetch::ResumePoint;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointState {
    pub cursor: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csv_len: Option<u64>,
}

pub struct Checkpoint {
    cache: Arc<Cache>,
    id: CheckpointId,
    last: std::sync::Mutex<Option<CheckpointState>>,
}

impl Checkpoint {
    pub fn new(cache: Arc<Cache>, account: &str, pipeline: &str) -> Self {
        Checkpoint {
            cache,
            id: CheckpointId::new(account, pipeline),
            last: std::sync::Mutex::new(None),
        }
    }

    /// The stored state, if any.
    pub fn load(&self) -> Option<CheckpointState> {
        let s = self.cache.checkpoint(&self.id).ok().flatten()?;
        let state: Option<CheckpointState> = serde_json::from_str(&s).ok();
        *self.last.lock().expect("checkpoint lock") = state.clone();
        state
    }

    /// Whether the stored state points into a partial CSV.
    pub fn has_partial(&self) -> bool {
        self.last
            .lock()
            .expect("checkpoint lock")
            .as_ref()
            .is_some_and(|s| s.csv_len.is_some())
    }

    /// Records that everything up to `resume` is durably written.
    pub fn commit(&self, resume: &ResumePoint, csv_len: Option<u64>) {
        let ResumePoint::Cursor(cursor) = resume;
        let state = CheckpointState {
            cursor: cursor.clone(),
            csv_len,
        };
        self.save(&state);
    }

    /// Drops the partial-CSV length of the stored state (a run that does not resume).
    pub fn forget_partial(&self) {
        let last = self.last.lock().expect("checkpoint lock").clone();
        if let Some(mut s) = last.filter(|s| s.csv_len.is_some()) {
            s.csv_len = None;
            self.save(&s);
        }
    }

    /// Marks the run complete: keep the cursor, forget the partial file.
    pub fn complete(&self) {
        let last = self.last.lock().expect("checkpoint lock").clone();
        if let Some(mut s) = last {
            s.csv_len = None;
            self.save(&s);
        }
    }

    fn save(&self, state: &CheckpointState) {
        let json = serde_json::to_string(state).expect("checkpoint serializes");
        match self.cache.set_checkpoint(&self.id, &json) {
            Ok(()) => *self.last.lock().expect("checkpoint lock") = Some(state.clone()),
            Err(e) => tracing::warn!("cannot store the checkpoint: {e}"),
        }
    }
}
