//! sled 0.34 after a failed write: what keeps a failing disk from hanging the process.
//!
//! Once one of sled's log writes failed (a full disk, `EFBIG` past a file size limit),
//! its `flush` can wait forever for a log position that will never reach the disk, and
//! so can dropping a database: the last handle of each `sled::Tree` flushes in its
//! `Drop`. Seen as a run that printed its error line and never exited.
//!
//! So every sled error that reaches zdpipe after a database opened is noted here
//! ([`note`]), and a database dropped after one ([`release`]) is leaked instead: its
//! files are closed by the process's exit, which follows. What reached sled's log
//! before the failure is as safe as after a crash, which sled is built to recover
//! from. One flag for the process (not per database) because sled's errors do not say
//! which database they came from, and a process that saw a write fail is on its way
//! out with an error. Ours because it is a workaround for one sled version's flush.

use std::sync::atomic::{AtomicBool, Ordering};

static FAILED: AtomicBool = AtomicBool::new(false);

/// Notes `error` as a sled failure of this process; returns it for chaining.
pub fn note(error: sled::Error) -> sled::Error {
    if !matches!(error, sled::Error::CollectionNotFound(_)) {
        FAILED.store(true, Ordering::Relaxed);
    }
    error
}

/// Whether a sled operation of this process failed.
pub fn failed() -> bool {
    FAILED.load(Ordering::Relaxed)
}

/// Called as `db`'s owner drops it: after a failure, keeps one handle of `db` (and so
/// every tree it holds) alive to the process's end, so that nothing flushes.
pub fn release(db: &sled::Db) {
    if failed() {
        std::mem::forget(db.clone());
    }
}
