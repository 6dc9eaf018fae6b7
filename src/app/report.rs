//! `zdpipe report` and `zdpipe results export`: read the results store back.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::SystemTime;

use super::{load, Exit, Result, UsageError};
use crate::cache::Cache;
use crate::cli::{ExportFormat, ReportArgs, ReportFormatArg, ResultsCommand};
use crate::config::{Pipeline, ReportFormat};
use crate::model::ResultRecord;
use crate::report::{self, Format, ReportOptions};
use crate::write::ResultsStore;

fn store(pipeline: &Pipeline) -> Result<ResultsStore> {
    let path = pipeline.results_path().ok_or_else(|| {
        UsageError(format!(
            "{}: reports read the results store; add [[write]] kind = \"sled\" path = \"...\" and run the pipeline",
            pipeline.file.display()
        ))
    })?;
    Ok(ResultsStore::open(path)?)
}

/// View titles from the cache, when it holds them (the report works without).
fn view_titles(pipeline: &Pipeline) -> BTreeMap<u64, String> {
    let Ok(cache) = Cache::open(&pipeline.cache) else {
        return BTreeMap::new();
    };
    let Some(bytes) = cache
        .views
        .get(b"all", crate::cache::ReadPolicy::AnyAge)
        .ok()
        .flatten()
    else {
        return BTreeMap::new();
    };
    serde_json::from_slice::<Vec<crate::model::View>>(&bytes)
        .map(|vs| vs.into_iter().map(|v| (v.id, v.title)).collect())
        .unwrap_or_default()
}

fn options(
    pipeline: &Pipeline,
    views: Vec<u64>,
    since: Option<std::time::Duration>,
) -> ReportOptions {
    ReportOptions {
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

fn format_of(f: ReportFormat) -> Format {
    match f {
        ReportFormat::Text => Format::Text,
        ReportFormat::Markdown => Format::Markdown,
        ReportFormat::Html => Format::Html,
        ReportFormat::Json => Format::Json,
    }
}

fn emit(output: Option<&Path>, text: &str) -> Result<()> {
    match output {
        Some(path) => super::run::write_atomic(path, text)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display())),
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
    let opts = options(&pipeline, args.views, since);
    let built = report::build(store.iter(), &opts);
    let format = match args.format {
        ReportFormatArg::Text => Format::Text,
        ReportFormatArg::Markdown => Format::Markdown,
        ReportFormatArg::Html => Format::Html,
        ReportFormatArg::Json => Format::Json,
    };
    emit(args.output.as_deref(), &report::render(&built, format))?;
    if let Some(p) = &args.output {
        eprintln!("wrote {}", p.display());
    }
    Ok(Exit::Ok)
}

/// Writes the reports a pipeline's `[report]` asks for (at the end of `run`).
pub fn write_configured(pipeline: &Pipeline) -> Result<()> {
    let store = store(pipeline)?;
    let built = report::build(store.iter(), &options(pipeline, Vec::new(), None));
    for (format, path) in &pipeline.report.outputs {
        emit(Some(path), &report::render(&built, format_of(*format)))?;
        eprintln!("  wrote report {}", path.display());
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
    let sink: Box<dyn Write> = match &output {
        Some(p) => {
            if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            Box::new(std::fs::File::create(partial(p))?)
        }
        None => Box::new(std::io::stdout().lock()),
    };
    let mut sink = std::io::BufWriter::new(sink);
    let mut n = 0u64;
    match format {
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(&mut sink);
            w.write_record(crate::model::CSV_COLUMNS)?;
            for r in store.iter().filter(keep) {
                w.write_record(r.to_row().cells())?;
                n += 1;
            }
            w.flush()?;
        }
        ExportFormat::Jsonl => {
            for r in store.iter().filter(keep) {
                serde_json::to_writer(&mut sink, &r)?;
                sink.write_all(b"\n")?;
                n += 1;
            }
        }
    }
    sink.flush()?;
    drop(sink);
    if let Some(p) = &output {
        std::fs::rename(partial(p), p)?;
        eprintln!("exported {n} results to {}", p.display());
    }
    Ok(Exit::Ok)
}

fn partial(p: &Path) -> std::path::PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(".partial");
    s.into()
}
