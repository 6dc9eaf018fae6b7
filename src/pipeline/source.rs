//! Picks where a run's tickets come from: the export file, the views, a search, or the
//! incremental export continued from its checkpoint (with the partial CSV of a run
//! that was killed mid-way, so that run is continued rather than repeated), and the
//! run's stamp for dated output paths: a fresh one, or the killed run's when resuming.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use super::checkpoint::{CheckpointState, PartialRun};
use super::{Checkpoint, RunError, RunOptions};
use crate::cache::Cache;
use crate::config::{ConfigError, Pipeline};
use crate::fetch::{read_export, Api, ColumnPlan, SourceOptions, TicketSource};
use crate::fetch::{Mode, Since, Source};
use crate::write::dated::RunStamp;
use crate::write::{CsvSink, WriteSettings};

/// A run's ticket source and how it resumes.
pub struct Started {
    pub source: TicketSource,
    /// The nightly checkpoint (incremental mode only).
    pub checkpoint: Option<Checkpoint>,
    /// Bytes of the partial CSV to keep when this run continues a killed one.
    pub resume_csv: Option<u64>,
    /// The values of `{date}`, `{time}` and `{run_id}` in this run's output paths.
    pub stamp: RunStamp,
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Builds the source the pipeline names; `api` is `None` only for a file source.
/// `columns` are the run's extra columns, resolved.
pub fn start(
    pipeline: &Pipeline,
    opts: &RunOptions,
    cache: &Arc<Cache>,
    api: Option<&Arc<Api>>,
    columns: Option<Arc<ColumnPlan>>,
) -> Result<Started, RunError> {
    let source_opts = SourceOptions {
        include_comments: pipeline.fetch.include_comments,
        columns,
    };
    let plain = |source| Started {
        source,
        checkpoint: None,
        resume_csv: None,
        stamp: RunStamp::now(),
    };
    match (&pipeline.fetch.source, &pipeline.fetch.mode, api) {
        (
            Source::File {
                path,
                on_bad_record,
            },
            _,
            _,
        ) => Ok(plain(TicketSource::file(read_export(
            path,
            *on_bad_record,
        )?))),
        (_, Mode::Views(views), Some(api)) => Ok(plain(TicketSource::views(
            api.clone(),
            views.clone(),
            source_opts,
        ))),
        (_, Mode::Search { query }, Some(api)) => Ok(plain(TicketSource::search(
            api.clone(),
            query.clone(),
            source_opts,
        ))),
        (_, Mode::Incremental { since }, Some(api)) => {
            let cp = Checkpoint::new(cache.clone(), &pipeline.account(), &pipeline.name);
            let since = opts.since.unwrap_or(*since);
            Ok(incremental(
                cp,
                since,
                &pipeline.writes,
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
    writes: &[WriteSettings],
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
    let stored = checkpoint.load().filter(|_| opts.since.is_none());
    let headers = source_opts
        .columns
        .as_ref()
        .map(|c| c.headers())
        .unwrap_or_default();
    let (cursor, resume_csv, stamp) = match stored.map(|s| resumable(s, writes, &headers)) {
        Some(Some(resume)) => resume,
        _ => {
            // Not resuming: a partial CSV of an earlier run must not be continued
            // later with this run's file.
            checkpoint.forget_partial();
            (None, None, RunStamp::now())
        }
    };
    let csv = csv_path(writes).map(|w| w.path_for(&stamp).display().to_string());
    checkpoint.set_run(PartialRun {
        stamp: stamp.clone(),
        csv,
    });
    Started {
        source: TicketSource::incremental(api.clone(), start_time, cursor, source_opts),
        checkpoint: Some(checkpoint),
        resume_csv,
        stamp,
    }
}

fn csv_path(writes: &[WriteSettings]) -> Option<&WriteSettings> {
    writes
        .iter()
        .find(|w| matches!(w, WriteSettings::Csv { .. }))
}

/// How a run continues from `stored`: cursor, partial CSV length and stamp. A killed
/// run's partial CSV is continued with that run's stamp, so a templated path names
/// the same file. When the CSV path no longer expands to the file the killed run
/// wrote (the template changed, or an older checkpoint without its run under a
/// templated path), or its partial file has the columns of another zdpipe version,
/// the run starts over (`None`): continuing the cursor into another file would lose
/// the tickets already in the partial one.
fn resumable(
    stored: CheckpointState,
    writes: &[WriteSettings],
    extra_columns: &[String],
) -> Option<(Option<String>, Option<u64>, RunStamp)> {
    let Some(len) = stored.csv_len else {
        return Some((Some(stored.cursor), None, RunStamp::now()));
    };
    let (stamp, csv) = match stored.run {
        Some(run) => (run.stamp, run.csv),
        None => (RunStamp::now(), None),
    };
    let same_file = match (csv_path(writes), &csv) {
        (None, _) => true,
        (Some(w), Some(csv)) => w.path_for(&stamp).display().to_string() == *csv,
        (Some(w), None) => !crate::write::dated::is_templated(w.path()),
    };
    // A partial CSV of an older version or other extra columns cannot take this
    // run's rows: start over rather than write a file whose columns shift halfway down.
    let columns =
        csv_path(writes).is_none_or(|w| CsvSink::can_continue(&w.path_for(&stamp), extra_columns));
    if same_file && !columns {
        tracing::warn!(
            "the partial CSV of the interrupted run has the columns of another zdpipe \
             version; starting the run over"
        );
    }
    (same_file && columns).then_some((Some(stored.cursor), Some(len), stamp))
}
