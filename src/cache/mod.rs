//! The persistent cache: one sled database per cache path, opened once per process.
//!
//! Trees (see the design's cache contract):
//! - `views`, `tickets`, `users`, `view_listings`: [`TtlStore`]s of Zendesk responses,
//!   each value wrapped in a versioned envelope with an expiry time;
//! - `analyses`: finished analyses keyed by ticket id, valid only for the same
//!   `updated_at` and analyzer fingerprint (no TTL);
//! - `checkpoints`: resume points of incremental runs;
//! - `stats`: hit and miss counts summed over all runs;
//! - `meta`: the account the cache was filled from (see [`account`]);
//! - `batches`: provider batches a run submitted and has not collected yet, with the
//!   ticket of each request (see [`batches`]).
//!
//! What each tree holds, and how its keys are laid out, is [`CacheKey`]'s to know
//! (the table is in [`key`]'s doc):
//! - `views`: the account's view list (`all`), views (`v` + id) and view counts (`n` + id);
//! - `view_listings`: complete listings (the view id) and the pages of a listing still
//!   being paged (`p` + view id + page number);
//! - `tickets`: tickets (in buckets of 32 ids, `b` + id / 32) and their comments (`c` + id);
//! - `users`: users (`u` + id) and organizations (`o` + id);
//! - `analyses`: buckets of 32 ids like tickets; `checkpoints`: `incremental:{account}:{pipeline}`;
//!   `stats`: the store's name.
//!
//! Ids are big-endian `u64`. Reads and writes go through [`Cache::get`],
//! [`Cache::put`] and [`Cache::remove`], which find the tree from the key, and
//! [`Cache::invalidate`] drops everything that belongs to a view, ticket or user.
//!
//! sled takes an exclusive file lock on open; a second zdpipe on the same path gets
//! [`CacheError::Locked`] naming the pid written by the first. A database sled
//! reports as corrupt is moved aside and replaced by an empty one. A cache written
//! before tickets and analyses were kept in buckets (format 1, see [`key`]) loses
//! its stored tickets and analyses on open, with a one-line notice; the rest stays.
//! Files are owner-only. After a failed write the database is not flushed on drop
//! (see [`wedge`]).

mod account;
mod analyses;
pub mod batches;
mod bucket;
mod compact;
mod invalidate;
pub mod key;
mod settings;
mod stats;
mod store;
pub mod wedge;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

pub use account::Claim;
pub use analyses::{encode_analysis, StoredAnalysis, StoredAnalysisRef};
pub use batches::{BatchTicket, StoredBatch};
pub use invalidate::Target;
use key::Slot;
pub use key::{CacheKey, CheckpointId, LookupList, ResultKey, Tree};
pub use settings::{CacheSettings, Ttls};
pub use stats::{CacheStats, StoreStats};
pub use store::{ReadPolicy, TreeCounts, TtlStore};

const PID_FILE: &str = "zdpipe.pid";

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cache {path} is in use by another zdpipe run (pid {pid})")]
    Locked { path: String, pid: String },
    #[error("cache {path}: {source}")]
    Open { path: String, source: sled::Error },
    #[error("cache: {0}")]
    Sled(#[source] sled::Error),
    #[error("cache {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("cache: stored {what} is unreadable: {detail}")]
    Decode { what: String, detail: String },
    #[error("cache {path} holds data of {holds}; this pipeline reads {reads} (use another [cache] path, or run with --new-cache to start this cache over)")]
    OtherAccount {
        path: String,
        holds: String,
        reads: String,
    },
}

impl From<sled::Error> for CacheError {
    fn from(e: sled::Error) -> Self {
        CacheError::Sled(wedge::note(e))
    }
}

impl CacheError {
    /// sled's I/O errors name no file: makes one a [`CacheError::Io`] naming the
    /// cache, with the OS error as the OS words it ("File too large (os error 27)").
    pub fn name_path(&mut self, path: &Path) {
        if let CacheError::Sled(sled::Error::Io(io)) = self {
            let source = plain_os_error(io);
            *self = CacheError::Io {
                path: path.display().to_string(),
                source,
            };
        }
    }
}

/// sled hands a stored I/O error back as a new one whose text is the original's
/// `Debug` (`Os { code: 27, kind: FileTooLarge, .. }`): the OS error again, by its code.
fn plain_os_error(e: &std::io::Error) -> std::io::Error {
    let text = e.to_string();
    let code = e.raw_os_error().or_else(|| {
        text.strip_prefix("Os { code: ")?
            .split(',')
            .next()?
            .parse()
            .ok()
    });
    match code {
        Some(code) => std::io::Error::from_raw_os_error(code),
        None => std::io::Error::new(e.kind(), text),
    }
}

/// A record on its way into a bucket: its id and its stored bytes.
type BucketEntry = (u64, Vec<u8>);

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
    meta: sled::Tree,
    batches: sled::Tree,
    analysis_hits: AtomicU64,
    analysis_misses: AtomicU64,
    /// What a warning said when the cache had to be rebuilt, for the run summary.
    pub recovered_from: Option<PathBuf>,
}

impl Drop for Cache {
    fn drop(&mut self) {
        wedge::release(&self.db);
    }
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
        let cache = Cache {
            views: TtlStore::new(&db, Tree::Views, ttl.views)?,
            tickets: TtlStore::new(&db, Tree::Tickets, ttl.tickets)?,
            users: TtlStore::new(&db, Tree::Users, ttl.users)?,
            view_listings: TtlStore::new(&db, Tree::ViewListings, ttl.view_listings)?,
            analyses: db.open_tree(Tree::Analyses.name())?,
            checkpoints: db.open_tree(Tree::Checkpoints.name())?,
            stats: db.open_tree(Tree::Stats.name())?,
            meta: db.open_tree(Tree::Meta.name())?,
            batches: db.open_tree(Tree::Batches.name())?,
            analysis_hits: AtomicU64::new(0),
            analysis_misses: AtomicU64::new(0),
            recovered_from,
            path,
            db,
        };
        cache.settle_format()?;
        Ok(cache)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Makes the cache's layout this zdpipe's ([`key::FORMAT`]). A cache with stored
    /// tickets or analyses but another format (none: format 1, a key per ticket) holds
    /// records this version cannot read, so those two trees start over, with a notice;
    /// views, listings, users and checkpoints are kept.
    fn settle_format(&self) -> Result<(), CacheError> {
        let format = self.get(&CacheKey::Format, ReadPolicy::AnyAge)?;
        if format.as_deref() == Some(&[key::FORMAT]) {
            return Ok(());
        }
        if !(self.tickets.tree.is_empty() && self.analyses.is_empty()) {
            let dropped = self.clear_tree(Tree::Tickets)? + self.clear_tree(Tree::Analyses)?;
            tracing::warn!(
                "cache {} was written by an older zdpipe: dropped its {dropped} stored tickets, comments and analyses (they are fetched and analyzed again); the rest is kept",
                self.path.display()
            );
        }
        self.put(&CacheKey::Format, &[key::FORMAT])?;
        self.meta.flush()?;
        Ok(())
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

    /// The TTL store of `tree`; `None` for the trees without a TTL.
    fn ttl_store(&self, tree: Tree) -> Option<&TtlStore> {
        match tree {
            Tree::Views => Some(&self.views),
            Tree::ViewListings => Some(&self.view_listings),
            Tree::Tickets => Some(&self.tickets),
            Tree::Users => Some(&self.users),
            Tree::Analyses | Tree::Checkpoints | Tree::Stats | Tree::Meta | Tree::Batches => None,
        }
    }

    fn sled_tree(&self, tree: Tree) -> &sled::Tree {
        match tree {
            Tree::Views => &self.views.tree,
            Tree::ViewListings => &self.view_listings.tree,
            Tree::Tickets => &self.tickets.tree,
            Tree::Users => &self.users.tree,
            Tree::Analyses => &self.analyses,
            Tree::Checkpoints => &self.checkpoints,
            Tree::Stats => &self.stats,
            Tree::Meta => &self.meta,
            Tree::Batches => &self.batches,
        }
    }

    /// The payload stored under `key`. In a TTL store this reads per `policy` and
    /// counts a hit or a miss; the other trees hold plain values and ignore it.
    pub fn get(&self, key: &CacheKey, policy: ReadPolicy) -> Result<Option<Vec<u8>>, CacheError> {
        match self.ttl_store(key.tree()) {
            Some(store) => store.get(key, policy),
            None => {
                let tree = self.sled_tree(key.tree());
                Ok(match key.slot() {
                    Slot::Own(k) => tree.get(k)?.map(|v| v.to_vec()),
                    Slot::Bucket { key, id } => tree
                        .get(key)?
                        .and_then(|b| bucket::find(&b, id).map(<[u8]>::to_vec)),
                })
            }
        }
    }

    /// Stores `payload` under `key`: for a TTL store's TTL (nothing when the store is
    /// disabled), elsewhere as it is.
    pub fn put(&self, key: &CacheKey, payload: &[u8]) -> Result<(), CacheError> {
        match self.ttl_store(key.tree()) {
            Some(store) => store.put(key, payload),
            None => {
                let tree = self.sled_tree(key.tree());
                match key.slot() {
                    Slot::Own(k) => {
                        tree.insert(k, payload)?;
                    }
                    Slot::Bucket { key, id } => bucket::put(tree, &key, &[(id, payload)])?,
                }
                Ok(())
            }
        }
    }

    /// Stores many entries like [`put`](Self::put): the records of own keys with one
    /// sled batch per tree, those of one bucket with one update of it, so a page's
    /// tickets or a batch's analyses cost a few writes instead of one per record.
    /// A payload of a tree without a TTL is stored as it is, not copied.
    pub fn put_many(
        &self,
        entries: impl IntoIterator<Item = (CacheKey, Vec<u8>)>,
    ) -> Result<(), CacheError> {
        self.put_entries(entries, false)
    }

    /// [`put_many`](Self::put_many) for records fetched again and again, such as the
    /// people every page sideloads: a record of its own key in a TTL store that is
    /// stored already with the same payload and at least half its TTL to go is left
    /// as it is. Reading the entry costs less than half of writing it, and a run that
    /// meets the same people page after page writes each of them about once. (The
    /// incremental export also keeps a record in memory of what it stored, which saves
    /// the reads too: `Api::export_sideloads`. A view's pages do not: sled pages its
    /// cache out only as it is read and written, and with fewer reads the tickets a
    /// view caches stayed in memory longer.)
    pub fn put_changed(
        &self,
        entries: impl IntoIterator<Item = (CacheKey, Vec<u8>)>,
    ) -> Result<(), CacheError> {
        self.put_entries(entries, true)
    }

    fn put_entries(
        &self,
        entries: impl IntoIterator<Item = (CacheKey, Vec<u8>)>,
        skip_unchanged: bool,
    ) -> Result<(), CacheError> {
        let mut batches: Vec<(Tree, sled::Batch)> = Vec::new();
        let mut buckets: HashMap<(Tree, Vec<u8>), Vec<BucketEntry>> = HashMap::new();
        for (key, payload) in entries {
            let tree = key.tree();
            let value = match self.ttl_store(tree) {
                Some(store) if !store.enabled() => continue,
                Some(store) if skip_unchanged && store.holds(&key, &payload)? => continue,
                Some(store) => store::seal(&payload, store.ttl),
                None => payload,
            };
            match key.slot() {
                Slot::Own(k) => {
                    let at = match batches.iter().position(|(t, _)| *t == tree) {
                        Some(at) => at,
                        None => {
                            batches.push((tree, sled::Batch::default()));
                            batches.len() - 1
                        }
                    };
                    batches[at].1.insert(k, value);
                }
                Slot::Bucket { key, id } => {
                    buckets.entry((tree, key)).or_default().push((id, value))
                }
            }
        }
        for (tree, batch) in batches {
            self.sled_tree(tree).apply_batch(batch)?;
        }
        for ((tree, key), records) in buckets {
            let records: Vec<(u64, &[u8])> = records.iter().map(|(id, v)| (*id, &v[..])).collect();
            bucket::put(self.sled_tree(tree), &key, &records)?;
        }
        Ok(())
    }

    /// Removes `key`; whether it was there.
    pub fn remove(&self, key: &CacheKey) -> Result<bool, CacheError> {
        let tree = self.sled_tree(key.tree());
        match key.slot() {
            Slot::Own(k) => Ok(tree.remove(k)?.is_some()),
            Slot::Bucket { key, id } => bucket::remove(tree, &key, id),
        }
    }

    /// Removes every key of `tree` that starts with `prefix`; returns how many.
    fn remove_prefix(&self, tree: Tree, prefix: &[u8]) -> Result<u64, CacheError> {
        let tree = self.sled_tree(tree);
        let mut n = 0;
        for item in tree.scan_prefix(prefix) {
            let (k, _) = item?;
            tree.remove(k)?;
            n += 1;
        }
        Ok(n)
    }

    /// Drops every stored page of an unfinished listing of `view`; returns how many.
    pub fn remove_listing_pages(&self, view: u64) -> Result<u64, CacheError> {
        self.remove_prefix(Tree::ViewListings, &CacheKey::listing_pages_prefix(view))
    }

    /// Empties `tree`; returns how many entries it had.
    fn clear_tree(&self, tree: Tree) -> Result<u64, CacheError> {
        let tree = self.sled_tree(tree);
        let n = tree.len() as u64;
        tree.clear()?;
        Ok(n)
    }

    /// The resume point of pipeline `id`.
    pub fn checkpoint(&self, id: &CheckpointId) -> Result<Option<String>, CacheError> {
        Ok(self
            .get(&CacheKey::Checkpoint(id.clone()), ReadPolicy::AnyAge)?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Stores the resume point of pipeline `id`, durably before returning.
    pub fn set_checkpoint(&self, id: &CheckpointId, value: &str) -> Result<(), CacheError> {
        self.put(&CacheKey::Checkpoint(id.clone()), value.as_bytes())?;
        self.checkpoints.flush()?;
        Ok(())
    }

    /// Empties every tree but `stats`, the account record included: the next run
    /// records its own.
    pub fn clear(&self) -> Result<(), CacheError> {
        for s in self.stores() {
            s.tree.clear()?;
        }
        self.clear_tree(Tree::Analyses)?;
        self.clear_tree(Tree::Checkpoints)?;
        self.clear_tree(Tree::Meta)?;
        self.clear_tree(Tree::Batches)?;
        self.put(&CacheKey::Format, &[key::FORMAT])?;
        self.flush()
    }

    /// Drops expired entries from the TTL stores; returns how many per store.
    pub fn purge(&self) -> Result<Vec<(&'static str, u64)>, CacheError> {
        let mut out = Vec::new();
        for s in self.stores() {
            out.push((s.name(), store::purge_tree(&s.tree, s.kind())?));
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

/// A small cache in a temp dir, for this stage's unit tests.
#[cfg(test)]
pub(crate) fn open_for_test(dir: &tempfile::TempDir) -> Cache {
    Cache::open(&CacheSettings {
        path: dir.path().join("cache"),
        ttl: Ttls::default(),
        capacity_bytes: 8 << 20,
    })
    .unwrap()
}
