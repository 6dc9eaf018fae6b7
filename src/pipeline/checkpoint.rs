//! Checkpoints of incremental runs, kept in the cache's `checkpoints` tree.
//!
//! The key is the pipeline's [`CheckpointId`] (account and name). The value is JSON: the export
//! cursor to continue from and, while a run is under way, the length of its partial
//! CSV at that cursor. A run killed mid-way leaves both; the next run truncates the
//! partial CSV to that length and continues from the cursor, so no ticket is lost or
//! written twice. A completed run stores the cursor alone.
//!
//! With the partial length goes the run it belongs to ([`PartialRun`]): its stamp and
//! the CSV path expanded with it. A resumed run takes that stamp, so a templated path
//! (`out/nightly-{date}.csv`) expands to the same file the killed run started, even
//! on another day; if the pipeline's CSV path now expands elsewhere the run starts
//! over instead of continuing into another file.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::cache::{Cache, CheckpointId};
use crate::fetch::ResumePoint;
use crate::write::dated::RunStamp;

/// The run a partial CSV belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartialRun {
    pub stamp: RunStamp,
    /// The CSV path expanded with `stamp` (none without a CSV output).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csv: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointState {
    pub cursor: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csv_len: Option<u64>,
    /// The run `csv_len` measures (absent in checkpoints of older versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<PartialRun>,
}

pub struct Checkpoint {
    cache: Arc<Cache>,
    id: CheckpointId,
    last: std::sync::Mutex<Option<CheckpointState>>,
    /// This run, stored with every partial length it commits.
    run: std::sync::Mutex<Option<PartialRun>>,
}

impl Checkpoint {
    pub fn new(cache: Arc<Cache>, account: &str, pipeline: &str) -> Self {
        Checkpoint {
            cache,
            id: CheckpointId::new(account, pipeline),
            last: std::sync::Mutex::new(None),
            run: std::sync::Mutex::new(None),
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

    /// Names the run whose partial CSV later commits measure.
    pub fn set_run(&self, run: PartialRun) {
        *self.run.lock().expect("checkpoint lock") = Some(run);
    }

    /// Records that everything up to `resume` is durably written.
    pub fn commit(&self, resume: &ResumePoint, csv_len: Option<u64>) {
        let ResumePoint::Cursor(cursor) = resume;
        let run = csv_len.and(self.run.lock().expect("checkpoint lock").clone());
        let state = CheckpointState {
            cursor: cursor.clone(),
            csv_len,
            run,
        };
        self.save(&state);
    }

    /// Drops the partial-CSV length of the stored state (a run that does not resume).
    pub fn forget_partial(&self) {
        let last = self.last.lock().expect("checkpoint lock").clone();
        if let Some(mut s) = last.filter(|s| s.csv_len.is_some()) {
            (s.csv_len, s.run) = (None, None);
            self.save(&s);
        }
    }

    /// Marks the run complete: keep the cursor, forget the partial file.
    pub fn complete(&self) {
        let last = self.last.lock().expect("checkpoint lock").clone();
        if let Some(mut s) = last {
            (s.csv_len, s.run) = (None, None);
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
