//! Picks where a run's tickets come from: the export file, the views, or the
//! incremental export continued from its checkpoint (with the partial CSV of a run
//! that was killed mid-way, so that run is continued rather than repeated).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use super::{Checkpoint, RunError, RunOptions};
use crate::cache::Cache;
use crate::config::{ConfigError, Pipeline};
use crate::fetch::{read_export, Api, SourceOptions, TicketSource};
use crate::fetch::{Mode, Since, Source};

/// A run's ticket source and how it resumes.
pub struct Started {
    pub source: TicketSource,
    /// The nightly checkpoint (incremental mode only).
    pub checkpoint: Option<Checkpoint>,
    /// Bytes of the partial CSV to keep when this run continues a killed one.
    pub resume_csv: Option<u64>,
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Builds the source the pipeline names; `api` is `None` only for a file source.
pub fn start(
    pipeline: &Pipeline,
    opts: &RunOptions,
    cache: &Arc<Cache>,
    api: Option<&Arc<Api>>,
) -> Result<Started, RunError> {
    let source_opts = SourceOptions {
        include_comments: pipeline.fetch.include_comments,
        exclude_deleted: pipeline.fetch.exclude_deleted,
        max_input_chars: pipeline.analyze.max_input_chars,
    };
    let plain = |source| Started {
        source,
        checkpoint: None,
        resume_csv: None,
    };
    match (&pipeline.fetch.source, &pipeline.fetch.mode, api) {
        (
            Source::File {
                path,
                on_bad_record,
            },
            _,
            _,
        ) => Ok(plain(TicketSource::file(
            read_export(path, *on_bad_record)?,
            source_opts,
        ))),
        (_, Mode::Views(views), Some(api)) => Ok(plain(TicketSource::views(
            api.clone(),
            views.clone(),
            source_opts,
        ))),
        (_, Mode::Incremental { since }, Some(api)) => {
            let cp = Checkpoint::new(cache.clone(), &pipeline.account(), &pipeline.name);
            Ok(incremental(
                cp,
                opts.since.unwrap_or(*since),
                opts,
                api,
                source_opts,
            ))
        }
        _ => Err(RunError::Config(ConfigError {
            location: pipeline.file.display().to_string(),
            message: "[fetch] mode = \"file\" needs source = \"file\"".into(),
        })),
    }
}

fn incremental(
    checkpoint: Checkpoint,
    since: Since,
    opts: &RunOptions,
    api: &Arc<Api>,
    source_opts: SourceOptions,
) -> Started {
    let start_time = match since {
        Since::Ago(d) => now_secs() - d.as_secs() as i64,
        Since::At(t) => t,
    }
    // The export refuses a start time less than a minute old.
    .min(now_secs() - 61);
    let (cursor, resume_csv) = match (checkpoint.load(), opts.since) {
        (Some(stored), None) => (Some(stored.cursor), stored.csv_len),
        _ => {
            // Not resuming: a partial CSV of an earlier run must not be continued
            // later with this run's file.
            checkpoint.forget_partial();
            (None, None)
        }
    };
    Started {
        source: TicketSource::incremental(api.clone(), start_time, cursor, source_opts),
        checkpoint: Some(checkpoint),
        resume_csv,
    }
}
