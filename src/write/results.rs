//! The sled results store: the latest [`ResultRecord`] per ticket, across runs.
//!
//! One sled database at the `[[write]] kind = "sled"` path with a `results` tree keyed
//! by ticket id ([`ResultKey`], so iteration is in id order). Writing a ticket that is
//! already stored replaces its analysis and merges its view ids, so a ticket seen in
//! two views, or on two nights, is one record. Reports and exports read it back.

use std::path::{Path, PathBuf};

use super::{Sink, WriteError};
use crate::cache::{wedge, ResultKey};
use crate::model::ResultRecord;

pub struct ResultsStore {
    path: PathBuf,
    db: sled::Db,
    results: sled::Tree,
}

impl ResultsStore {
    /// Opens (creating) the store at `path`.
    pub fn open(path: &Path) -> Result<ResultsStore, WriteError> {
        let err = |source: sled::Error| {
            if source.to_string().contains("could not acquire lock") {
                WriteError::Locked {
                    path: path.display().to_string(),
                }
            } else {
                WriteError::Sled {
                    path: path.display().to_string(),
                    source,
                }
            }
        };
        let db = sled::Config::new()
            .path(path)
            // Results are written once and rarely read back: a small page cache
            // keeps a large backfill's memory bounded.
            .cache_capacity(16 * 1024 * 1024)
            .mode(sled::Mode::LowSpace)
            .open()
            .map_err(err)?;
        let results = db.open_tree("results").map_err(err)?;
        Ok(ResultsStore {
            path: path.to_path_buf(),
            db,
            results,
        })
    }

    fn err(&self) -> impl Fn(sled::Error) -> WriteError + '_ {
        move |source| WriteError::Sled {
            path: self.path.display().to_string(),
            source: wedge::note(source),
        }
    }

    pub fn len(&self) -> usize {
        self.results.len()
    }

    pub fn is_empty(&self) -> bool {
        self.results.is_empty()
    }

    /// Every stored record, in ticket id order. Unreadable entries are skipped.
    pub fn iter(&self) -> impl Iterator<Item = ResultRecord> + '_ {
        self.results
            .iter()
            .filter_map(|kv| kv.ok().and_then(|(_, v)| serde_json::from_slice(&v).ok()))
    }

    /// Inserts or replaces one record, keeping the view ids it had.
    /// A failed analysis never replaces a good one: reports keep the last analysis.
    /// A ticket reported deleted keeps the analysis it had, flagged `deleted`.
    pub fn upsert(&self, record: &ResultRecord) -> Result<(), WriteError> {
        let key = ResultKey(record.ticket_id).encode();
        let mut merged = record.clone();
        if let Some(old) = self.results.get(key).map_err(self.err())? {
            if let Ok(old) = serde_json::from_slice::<ResultRecord>(&old) {
                if (record.analysis.is_none() || record.deleted) && old.analysis.is_some() {
                    merged = ResultRecord {
                        view_ids: record.view_ids.clone(),
                        ..old.clone()
                    };
                }
                if record.deleted {
                    merged.deleted = true;
                    merged.status.clone_from(&record.status);
                    merged.updated_at.clone_from(&record.updated_at);
                }
                let mut views = old.view_ids;
                for v in &record.view_ids {
                    if !views.contains(v) {
                        views.push(*v);
                    }
                }
                merged.view_ids = views;
                if merged.requester_name.is_none() {
                    merged.requester_name = old.requester_name;
                }
                if merged.organization_name.is_none() {
                    merged.organization_name = old.organization_name;
                }
            }
        }
        let bytes = serde_json::to_vec(&merged).expect("records serialize");
        self.results.insert(key, bytes).map_err(self.err())?;
        Ok(())
    }

    pub fn flush(&self) -> Result<(), WriteError> {
        self.db.flush().map_err(self.err())?;
        Ok(())
    }
}

impl Drop for ResultsStore {
    fn drop(&mut self) {
        wedge::release(&self.db);
    }
}

impl Sink for ResultsStore {
    fn write(&mut self, records: &[ResultRecord]) -> Result<(), WriteError> {
        records.iter().try_for_each(|r| self.upsert(r))
    }

    fn add_views(&mut self, memberships: &[(u64, u64)]) -> Result<(), WriteError> {
        for &(ticket, view) in memberships {
            let key = ResultKey(ticket).encode();
            let Some(old) = self.results.get(key).map_err(self.err())? else {
                continue;
            };
            let Ok(mut record) = serde_json::from_slice::<ResultRecord>(&old) else {
                continue;
            };
            if !record.view_ids.contains(&view) {
                record.view_ids.push(view);
                let bytes = serde_json::to_vec(&record).expect("records serialize");
                self.results.insert(key, bytes).map_err(self.err())?;
            }
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<Option<u64>, WriteError> {
        self.flush()?;
        Ok(None)
    }

    fn finish(self: Box<Self>) -> Result<(), WriteError> {
        self.flush()
    }

    fn abort(self: Box<Self>) {
        // What was upserted is complete per ticket; keep it (unless a write failed,
        // when sled's flush may never return).
        if !wedge::failed() {
            let _ = self.flush();
        }
    }
}
