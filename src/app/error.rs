//! The one error type of the command layer, and the one place that turns an error
//! into an exit code.
//!
//! Stages keep their own `thiserror` enums; they arrive here unchanged (through
//! `?` and `From`), so [`Error::exit`] decides from the kind, never from a message.
//! Anything else that can go wrong in a command (a report file that cannot be
//! written, a failed benchmark) is an [`Error::Other`] and exits 1.

use super::Exit;
use crate::analyze::AnalyzerSetupError;
use crate::cache::CacheError;
use crate::config::ConfigError;
use crate::fetch::{ConnectError, FetchError};
use crate::pipeline::{Fatal, RunError};
use crate::sandbox::StartError;
use crate::write::WriteError;

/// A usage mistake found after parsing (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Every way a command can fail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Usage(#[from] UsageError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    AnalyzerSetup(#[from] AnalyzerSetupError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
}

impl Error {
    /// The documented exit code for this error.
    pub fn exit(&self) -> Exit {
        use Error as E;
        match self {
            E::Usage(_) | E::Config(_) | E::AnalyzerSetup(_) => Exit::Usage,
            E::Cache(CacheError::Locked { .. })
            | E::Write(WriteError::Locked { .. } | WriteError::InUse { .. }) => Exit::Locked,
            E::Run(RunError::Cache(CacheError::Locked { .. }))
            | E::Run(RunError::Write(WriteError::Locked { .. } | WriteError::InUse { .. })) => {
                Exit::Locked
            }
            E::Cache(CacheError::OtherAccount { .. })
            | E::Run(RunError::Cache(CacheError::OtherAccount { .. })) => Exit::Usage,
            E::Fetch(e)
            | E::Connect(ConnectError::Fetch(e))
            | E::Run(RunError::Fetch(e) | RunError::Connect(ConnectError::Fetch(e)))
            | E::Run(RunError::Halted {
                cause: Fatal::Fetch(e),
                ..
            }) if e.is_config() => Exit::Usage,
            E::Connect(ConnectError::NotAnApi | ConnectError::Sandbox(StartError::NotBuiltIn))
            | E::Run(RunError::Connect(ConnectError::Sandbox(StartError::NotBuiltIn)))
            | E::Run(RunError::Analyzer(_) | RunError::Config(_)) => Exit::Usage,
            E::Io(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Exit::Ok,
            _ => Exit::Failed,
        }
    }
}
