//! What the write stage is told by the pipeline file: one entry per `[[write]]` table.

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteSettings {
    /// The CSV of the design's columns, replaced atomically when the run completes.
    Csv { path: PathBuf },
    /// The results store that reports and `zdpipe results export` read.
    Sled { path: PathBuf },
}
