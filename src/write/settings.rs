//! What the write stage is told by the pipeline file: one entry per `[[write]]` table.
//! A path may hold `{date}`, `{time}` and `{run_id}` (see [`super::dated`]).

use std::path::{Path, PathBuf};

use super::dated::{self, RunStamp};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteSettings {
    /// The CSV of the design's columns, replaced atomically when the run completes.
    Csv { path: PathBuf },
    /// The results store that reports and `zdpipe results export` read.
    Sled { path: PathBuf },
}

impl WriteSettings {
    /// The configured path (placeholders unexpanded).
    pub fn path(&self) -> &Path {
        match self {
            WriteSettings::Csv { path } | WriteSettings::Sled { path } => path,
        }
    }

    /// The path of this output in the run stamped `stamp`.
    pub fn path_for(&self, stamp: &RunStamp) -> PathBuf {
        dated::expand(self.path(), stamp)
    }
}
