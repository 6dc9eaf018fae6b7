//! `zdpipe report` and `zdpipe results export`: read the results store back.
//!
//! The store knows every view each ticket was seen in (a run over several views
//! records the later views of a ticket it wrote under the first). View titles for the
//! per-view sections come from the cache, where every view-mode run leaves its
//! views; a report never sends a request. Without them the sections say "View <id>".

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::SystemTime;

use super::{load, Exit, Result, UsageError};
use crate::cache::{Cache, CacheKey, ReadPolicy};
use crate::cli::{ExportFormat, ReportArgs, ResultsCommand};
use crate::config::Pipeline;
use crate::fetch::Mode;
use crate::model::{ResultRecord, View};
use crate::report::{self, ReportOptions};
use crate::write::dated::RunStamp;
use crate::write::{dated, ResultsStore};

/// The results store, or `None` when the pipeline has never written one (reading must
/// not create an empty store as a side effect).
fn store(pipeline: &Pipeline) -> Result<Option<ResultsStore>> {
    let path = pipeline.results_path().ok_or_else(|| {
        UsageError(format!(
            "{}: reports read the results store; add [[write]] kind = \"sled\" path = \"...\" and run the pipeline",
            pipeline.file.display()
        ))
    })?;
    // A dated store is read through its `latest` link, the newest complete one.
    let path = dated::current(path);
    if !path.exists() {
        return Ok(None);
    }
    Ok(Some(ResultsStore::open(&path)?))
}

fn records(store: &Option<ResultsStore>) -> impl Iterator<Item = ResultRecord> + '_ {
    store.iter().flat_map(ResultsStore::iter)
}

/// The records a report counts: deleted tickets only when asked for.
fn reported(
    store: &Option<ResultsStore>,
    include_deleted: bool,
) -> impl Iterator<Item = ResultRecord> + '_ {
    records(store).filter(move |r| include_deleted || !r.deleted)
}

/// Titles of the views in the cache (the account's list, then single views). A cache
/// held by a running job just means no titles.
fn view_titles(pipeline: &Pipeline) -> BTreeMap<u64, String> {
    if !pipeline.cache.path.exists() {
        return BTreeMap::new();
    }
    let cache = match Cache::open(&pipeline.cache) {
        Ok(c) => c,
        Err(e) => {
            tracing::info!("view titles unavailable: {e}");
            return BTreeMap::new();
        }
    };
    let read = |key: CacheKey| cache.get(&key, ReadPolicy::AnyAge).ok().flatten();
    let mut titles: BTreeMap<u64, String> = read(CacheKey::ViewList)
        .and_then(|b| serde_json::from_slice::<Vec<View>>(&b).ok())
        .map(|vs| vs.into_iter().map(|v| (v.id, v.title)).collect())
        .unwrap_or_default();
    if let Mode::Views(ids) = &pipeline.fetch.mode {
        for &id in ids {
            if let Some(v) =
                read(CacheKey::View(id)).and_then(|b| serde_json::from_slice::<View>(&b).ok())
            {
                titles.entry(id).or_insert(v.title);
            }
        }
    }
    titles
}

fn options(
    pipeline: &Pipeline,
    views: Vec<u64>,
    since: Option<std::time::Duration>,
    by: Vec<String>,
) -> ReportOptions {
    ReportOptions {
        by,
        views,
        since,
        now: SystemTime::now(),
        view_titles: view_titles(pipeline),
        top_n: 25,
        title: pipeline
            .report
            .title
            .clone()
            .unwrap_or_else(|| format!("zdpipe report: {}", pipeline.name)),
    }
}

fn emit(output: Option<&Path>, text: &str) -> Result<()> {
    match output {
        Some(path) => super::run::write_atomic(path, text)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()).into()),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
            Ok(())
        }
    }
}

pub fn report(args: ReportArgs) -> Result<Exit> {
    let (pipeline, _) = load(&args.pipeline)?;
    let since = args
        .since
        .as_deref()
        .map(crate::config::parse_duration)
        .transpose()
        .map_err(|m| UsageError(format!("--since: {m}")))?;
    let store = store(&pipeline)?;
    let by = if args.by.is_empty() {
        pipeline.report.by.clone()
    } else {
        args.by
    };
    let opts = options(&pipeline, args.views, since, by);
    let built = report::build(reported(&store, args.include_deleted), &opts);
    refuse_missing(&built, "--by")?;
    emit(args.output.as_deref(), &report::render(&built, args.format))?;
    if let Some(p) = &args.output {
        eprintln!("wrote {}", p.display());
    }
    Ok(Exit::Ok)
}

/// A dimension that no stored record has is a usage error naming it and the
/// dimensions there are (nothing is written). An empty store has none to check.
fn refuse_missing(built: &report::Report, what: &str) -> Result<()> {
    match built.missing.dimensions.first() {
        Some(dim) if !built.empty => Err(UsageError(format!(
            "{what}: no stored result has {dim:?}; available: {}",
            built.missing.available.join(", ")
        ))
        .into()),
        _ => Ok(()),
    }
}

/// Writes the reports a pipeline's `[report]` asks for (at the end of `run`).
pub fn write_configured(pipeline: &Pipeline, stamp: &RunStamp, quiet: bool) -> Result<()> {
    let store = store(pipeline)?;
    let opts = options(pipeline, Vec::new(), None, pipeline.report.by.clone());
    let built = report::build(reported(&store, false), &opts);
    refuse_missing(&built, "[report] by")?;
    for (format, template) in &pipeline.report.outputs {
        let path = dated::expand(template, stamp);
        emit(Some(&path), &report::render(&built, *format))?;
        if let Err(e) = dated::point_latest(template, &path) {
            tracing::warn!(
                "cannot point the latest link of {} at it: {e}",
                path.display()
            );
        }
        if !quiet {
            eprintln!("  wrote report {}", path.display());
        }
    }
    Ok(())
}

pub fn results(cmd: ResultsCommand) -> Result<Exit> {
    let ResultsCommand::Export {
        pipeline,
        format,
        output,
        views,
    } = cmd;
    let (pipeline, _) = load(&pipeline)?;
    let store = store(&pipeline)?;
    let keep = |r: &ResultRecord| views.is_empty() || r.view_ids.iter().any(|v| views.contains(v));
    let Some(p) = &output else {
        // Write errors stay io::Errors, so a closed pipe (`| head`) ends quietly.
        export(&store, format, &keep, std::io::stdout().lock())?;
        return Ok(Exit::Ok);
    };
    // Written beside the target and renamed: a failed export leaves the previous one.
    let written = create_partial(p)
        .and_then(|file| export(&store, format, &keep, file))
        .and_then(|n| std::fs::rename(partial(p), p).map(|()| n));
    match written {
        Ok(n) => {
            eprintln!("exported {n} results to {}", p.display());
            Ok(Exit::Ok)
        }
        Err(e) => {
            let _ = std::fs::remove_file(partial(p));
            Err(anyhow::anyhow!("cannot write {}: {e}", p.display()).into())
        }
    }
}

fn create_partial(p: &Path) -> std::io::Result<std::fs::File> {
    if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::File::create(partial(p))
}

/// Writes the kept records in `format`; how many.
fn export(
    store: &Option<ResultsStore>,
    format: ExportFormat,
    keep: &dyn Fn(&ResultRecord) -> bool,
    sink: impl Write,
) -> std::io::Result<u64> {
    let mut sink = std::io::BufWriter::new(sink);
    let mut n = 0u64;
    match format {
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(&mut sink);
            let extra = extra_columns(store, keep);
            let header = crate::model::CSV_COLUMNS.iter().copied();
            w.write_record(header.chain(extra.iter().map(String::as_str)))
                .map_err(csv_err)?;
            for r in records(store).filter(|r| keep(r)) {
                r.write_csv(&mut w, &extra).map_err(csv_err)?;
                n += 1;
            }
            w.flush()?;
        }
        ExportFormat::Jsonl => {
            for r in records(store).filter(|r| keep(r)) {
                serde_json::to_writer(&mut sink, &r).map_err(std::io::Error::from)?;
                sink.write_all(b"\n")?;
                n += 1;
            }
        }
    }
    sink.flush()?;
    Ok(n)
}

/// The extra columns (`[[write]] fields` and `columns`) the kept records have, in
/// the order first seen: one pass that holds the names only.
fn extra_columns(
    store: &Option<ResultsStore>,
    keep: &dyn Fn(&ResultRecord) -> bool,
) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for r in records(store).filter(|r| keep(r)) {
        for (name, _) in r.columns {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

/// csv keeps an I/O error inside its own error type, with no `source`; take it out
/// so that main recognizes a closed pipe.
fn csv_err(e: csv::Error) -> std::io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => std::io::Error::other(format!("{other:?}")),
    }
}

fn partial(p: &Path) -> std::path::PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(".partial");
    s.into()
}
