//! The write stage: sinks that receive finished [`ResultRecord`]s in fetch order.
//!
//! - [`CsvSink`]: the design's CSV columns, written to `<path>.partial` and renamed
//!   into place when the run completes, so a failed run never leaves half a file
//!   where the last good one was;
//! - [`ResultsStore`]: a sled database keeping the latest analysis per ticket, which
//!   reports and `zdpipe results export` read.
//!
//! Paths may be templated ([`dated`]): `Outputs::open` expands them with the run's
//! stamp and keeps the `latest` links to move once the run completes.

mod csv;
pub mod dated;
mod results;
mod settings;

pub use self::csv::CsvSink;
pub use results::ResultsStore;
pub use settings::WriteSettings;

use std::path::PathBuf;

use crate::model::ResultRecord;
use dated::RunStamp;

/// The write stage's runtime part: the open sinks of a run, in `[[write]]` order, and
/// the names the run summary shows for them.
pub struct Outputs {
    pub sinks: Vec<Box<dyn Sink>>,
    pub names: Vec<String>,
    /// `(configured path, this run's path)` of each templated output: its `latest`
    /// link moves to this run's path once the run completes.
    pub latest: Vec<(PathBuf, PathBuf)>,
}

impl Outputs {
    /// Opens every sink at its path expanded with `stamp`; `resume_csv` is the length
    /// of a partial CSV to continue, `extra_columns` the CSV's headers after `error`;
    /// with `exclude_deleted` the CSVs skip deleted tickets (results stores keep them).
    pub fn open(
        writes: &[WriteSettings],
        resume_csv: Option<u64>,
        stamp: &RunStamp,
        extra_columns: &[String],
        exclude_deleted: bool,
    ) -> Result<Outputs, WriteError> {
        let mut out = Outputs {
            sinks: Vec::new(),
            names: Vec::new(),
            latest: Vec::new(),
        };
        for w in writes {
            let path = w.path_for(stamp);
            if dated::is_templated(w.path()) {
                out.latest.push((w.path().to_path_buf(), path.clone()));
            }
            match w {
                WriteSettings::Csv { .. } => {
                    let sink = CsvSink::with_columns(&path, resume_csv, extra_columns)?;
                    out.sinks
                        .push(Box::new(sink.skipping_deleted(exclude_deleted)));
                    out.names.push(path.display().to_string());
                }
                WriteSettings::Sled { .. } => {
                    out.sinks.push(Box::new(ResultsStore::open(&path)?));
                    out.names
                        .push(format!("{} (results store)", path.display()));
                }
            }
        }
        Ok(out)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Csv { path: String, source: ::csv::Error },
    #[error("results store {path}: {source}")]
    Sled { path: String, source: sled::Error },
    #[error(
        "{path} was written with other columns (by another zdpipe version) and cannot be \
         continued; delete it to start the file over"
    )]
    OtherColumns { path: String },
    #[error("results store {path} is in use by another zdpipe run")]
    Locked { path: String },
    /// Another run (another pipeline with the same output path) is writing it.
    #[error("{path} is being written by another zdpipe run; wait for it to finish or give this pipeline another output path")]
    InUse { path: String },
}

/// A destination for records.
pub trait Sink: Send {
    /// Appends records (in order).
    fn write(&mut self, records: &[ResultRecord]) -> Result<(), WriteError>;
    /// Records that already-written tickets are also in other views, as
    /// `(ticket id, view id)`. The CSV keeps one row per ticket and ignores this.
    fn add_views(&mut self, _memberships: &[(u64, u64)]) -> Result<(), WriteError> {
        Ok(())
    }
    /// Makes everything written so far durable; returns the CSV's committed length
    /// where that applies (resume point of an interrupted run).
    fn commit(&mut self) -> Result<Option<u64>, WriteError>;
    /// Completes the output (rename into place, final flush).
    fn finish(self: Box<Self>) -> Result<(), WriteError>;
    /// Gives up: removes partial output and leaves the previous output as it was.
    fn abort(self: Box<Self>);
}
