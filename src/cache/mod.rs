//! The persistent cache: one sled database per cache path, opened once per process.
//!
//! Trees (see the design's cache contract):
//! - `views`, `tickets`, `users`, `view_listings`: [`TtlStore`]s of Zendesk responses,
//!   each value wrapped in a versioned envelope with an expiry time;
//! - `analyses`: finished analyses keyed by ticket id, valid only for the same
//!   `updated_at` and analyzer fingerprint (no TTL);
//! - `checkpoints`: resume points of nightly and backfill runs;
//! - `stats`: hit and miss counts summed over all runs.
//!
//! sled takes an exclusive file lock on open; a second zdpipe on the same path gets
//! [`CacheError::Locked`] naming the pid written by the first. A database sled
//! reports as corrupt is moved aside and replaced by an empty one. Files are owner-only.

mod analyses;
mod settings;
mod stats;
mod store;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

pub use analyses::StoredAnalysis;
pub use settings::{CacheSettings, Ttls};
pub use stats::{CacheStats, StoreStats};
pub use store::{ReadPolicy, TreeCounts, TtlStore};

const PID_FILE: &str = "zdpipe.pid";

/// Key of a record stored under a one-byte kind prefix: `v` view, `n` view count,
/// `u` user, `o` organization, `c` ticket comments. Tickets and listings use the
/// bare big-endian id.
pub fn prefixed_key(prefix: u8, id: u64) -> [u8; 9] {
    let mut k = [prefix; 9];
    k[1..].copy_from_slice(&id.to_be_bytes());
    k
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cache {path} is in use by another zdpipe run (pid {pid})")]
    Locked { path: String, pid: String },
    #[error("cache {path}: {source}")]
    Open { path: String, source: sled::Error },
    #[error("cache: {0}")]
    Sled(#[from] sled::Error),
    #[error("cache {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("cache: stored {what} is unreadable: {detail}")]
    Decode { what: String, detail: String },
}

/// The open cache. Share it across threads by reference or `Arc`.
pub struct Cache {
    path: PathBuf,
    db: sled::Db,
    pub views: TtlStore,
    pub tickets: TtlStore,
    pub users: TtlStore,
    pub view_listings: TtlStore,
    analyses: sled::Tree,
    checkpoints: sled::Tree,
    stats: sled::Tree,
    analysis_hits: AtomicU64,
    analysis_misses: AtomicU64,
    /// What a warning said when the cache had to be rebuilt, for the run summary.
    pub recovered_from: Option<PathBuf>,
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> CacheError + '_ {
    move |source| CacheError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn open_db(path: &Path, capacity: u64) -> sled::Result<sled::Db> {
    sled::Config::new()
        .path(path)
        .cache_capacity(capacity)
        .mode(sled::Mode::LowSpace)
        .open()
}

#[cfg(unix)]
fn restrict(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    let mode = if meta.is_dir() { 0o700 } else { 0o600 };
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
    if meta.is_dir() {
        if let Ok(entries) = std::fs::read_dir(path) {
            for e in entries.flatten() {
                restrict(&e.path());
            }
        }
    }
}

#[cfg(not(unix))]
fn restrict(_path: &Path) {}

impl Cache {
    /// Opens (creating if needed) the cache at `settings.path`.
    pub fn open(settings: &CacheSettings) -> Result<Cache, CacheError> {
        let path = settings.path.clone();
        std::fs::create_dir_all(&path).map_err(io_err(&path))?;
        restrict(&path);
        let mut recovered_from = None;
        let db = match open_db(&path, settings.capacity_bytes) {
            Ok(db) => db,
            Err(sled::Error::Io(e)) if e.to_string().contains("could not acquire lock") => {
                let pid = std::fs::read_to_string(path.join(PID_FILE))
                    .map(|s| s.trim().to_string())
                    .unwrap_or_else(|_| "unknown".into());
                return Err(CacheError::Locked {
                    path: path.display().to_string(),
                    pid,
                });
            }
            Err(sled::Error::Corruption { .. } | sled::Error::Unsupported(_)) => {
                let stamp = humantime::format_rfc3339_seconds(std::time::SystemTime::now())
                    .to_string()
                    .replace(':', "-");
                let aside = PathBuf::from(format!("{}.corrupt-{stamp}", path.display()));
                std::fs::rename(&path, &aside).map_err(io_err(&path))?;
                tracing::warn!(
                    "cache {} was corrupt: moved it to {} and started an empty cache",
                    path.display(),
                    aside.display()
                );
                std::fs::create_dir_all(&path).map_err(io_err(&path))?;
                restrict(&path);
                recovered_from = Some(aside);
                open_db(&path, settings.capacity_bytes).map_err(|source| CacheError::Open {
                    path: path.display().to_string(),
                    source,
                })?
            }
            Err(source) => {
                return Err(CacheError::Open {
                    path: path.display().to_string(),
                    source,
                })
            }
        };
        std::fs::write(path.join(PID_FILE), std::process::id().to_string())
            .map_err(io_err(&path))?;
        restrict(&path);
        let ttl = settings.ttl;
        Ok(Cache {
            views: TtlStore::new("views", db.open_tree("views")?, ttl.views),
            tickets: TtlStore::new("tickets", db.open_tree("tickets")?, ttl.tickets),
            users: TtlStore::new("users", db.open_tree("users")?, ttl.users),
            view_listings: TtlStore::new(
                "view_listings",
                db.open_tree("view_listings")?,
                ttl.view_listings,
            ),
            analyses: db.open_tree("analyses")?,
            checkpoints: db.open_tree("checkpoints")?,
            stats: db.open_tree("stats")?,
            analysis_hits: AtomicU64::new(0),
            analysis_misses: AtomicU64::new(0),
            recovered_from,
            path,
            db,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The four TTL stores, in display order.
    pub fn stores(&self) -> [&TtlStore; 4] {
        [&self.views, &self.view_listings, &self.tickets, &self.users]
    }

    /// Writes everything to disk. Called at the end of a run, also on Ctrl-C.
    pub fn flush(&self) -> Result<(), CacheError> {
        self.db.flush()?;
        restrict(&self.path);
        Ok(())
    }

    /// The resume point stored under `key`.
    pub fn checkpoint(&self, key: &str) -> Result<Option<String>, CacheError> {
        Ok(self
            .checkpoints
            .get(key.as_bytes())?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    pub fn set_checkpoint(&self, key: &str, value: &str) -> Result<(), CacheError> {
        self.checkpoints.insert(key.as_bytes(), value.as_bytes())?;
        self.checkpoints.flush()?;
        Ok(())
    }

    pub fn clear_checkpoint(&self, key: &str) -> Result<bool, CacheError> {
        let existed = self.checkpoints.remove(key.as_bytes())?.is_some();
        self.checkpoints.flush()?;
        Ok(existed)
    }

    /// Removes every checkpoint whose key starts with `prefix`; returns how many.
    pub fn clear_checkpoints(&self, prefix: &str) -> Result<u64, CacheError> {
        let mut n = 0;
        for item in self.checkpoints.scan_prefix(prefix.as_bytes()) {
            let (k, _) = item?;
            self.checkpoints.remove(k)?;
            n += 1;
        }
        self.checkpoints.flush()?;
        Ok(n)
    }

    /// Empties every tree but `stats`.
    pub fn clear(&self) -> Result<(), CacheError> {
        for s in self.stores() {
            s.tree.clear()?;
        }
        self.analyses.clear()?;
        self.checkpoints.clear()?;
        self.flush()
    }

    /// Drops expired entries from the TTL stores; returns how many per store.
    pub fn purge(&self) -> Result<Vec<(&'static str, u64)>, CacheError> {
        let mut out = Vec::new();
        for s in self.stores() {
            out.push((s.name, store::purge_tree(&s.tree)?));
        }
        self.flush()?;
        Ok(out)
    }

    fn count_analysis(&self, hit: bool) {
        let c = if hit {
            &self.analysis_hits
        } else {
            &self.analysis_misses
        };
        c.fetch_add(1, Ordering::Relaxed);
    }
}
