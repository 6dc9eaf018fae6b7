//! Command-line definitions (clap derive): every subcommand, flag and env var.
//!
//! Raw arguments become validated options in `app/`; this file only declares them.
//! `sandbox` and `bench` exist only with the `sandbox` feature; their flags are the
//! settings types of those modules.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::report::Format;

const EXIT_CODES: &str = "\
Exit codes:
  0    success
  1    failed (runtime error: network, auth rejected, write error)
  2    usage or configuration error (bad flag, bad pipeline file, missing credentials)
  3    finished, but some tickets failed (their rows have `error` set)
  4    pending: provider batches (`batch = true`) still owe answers; run again later
  75   the cache is locked by another zdpipe run
  130  interrupted (Ctrl-C / SIGTERM); what was done is written

Environment:
  ZENDESK_SUBDOMAIN, ZENDESK_EMAIL, ZENDESK_API_TOKEN, ZENDESK_OAUTH_TOKEN,
  OPENAI_API_KEY, OPENAI_BASE_URL, ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, RUST_LOG";

#[derive(Debug, Parser)]
#[command(
    name = "zdpipe",
    version,
    about = "Fetch Zendesk tickets, cache every API response, analyze each ticket, write CSV and reports",
    after_help = EXIT_CODES,
    after_long_help = EXIT_CODES
)]
pub struct Cli {
    /// Print only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// More log output (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Log lines on stderr as text, or as one JSON object per line for log shippers
    /// (json also turns the end-of-run summary into a log event and defaults to info).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

/// How log lines are written (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line: timestamp (RFC 3339, UTC), level, message, fields.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a pipeline: fetch, analyze, write.
    #[command(
        after_help = "Example:\n  zdpipe run pipelines/demo.toml\n  zdpipe run pipelines/nightly.toml --no-progress --summary-json out/summary.json\n  zdpipe run pipelines/nightly.toml --log-format json --metrics-file /var/lib/node_exporter/textfile_collector/zdpipe.prom"
    )]
    Run(RunArgs),
    /// List the account's views (id, title, active).
    #[command(
        after_help = "Example:\n  ZENDESK_EMAIL=me@acme.com ZENDESK_API_TOKEN=... zdpipe views pipelines/nightly.toml"
    )]
    Views {
        /// Pipeline file naming the account.
        pipeline: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// List the account's ticket fields (id, type, title, dropdown options).
    #[command(
        after_help = "Example:\n  zdpipe fields pipelines/nightly.toml\n\nName custom fields in a [[write]] table by title or id: fields = [\"Product\", 360001234567]"
    )]
    Fields {
        /// Pipeline file naming the account.
        pipeline: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// What a run would fetch, analyze and reuse, its Zendesk requests and, for LLM
    /// and hybrid analyzers, its tokens and cost; no model is called.
    #[command(after_help = "Example:\n  zdpipe plan pipelines/hybrid.toml --json")]
    Plan {
        pipeline: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Validate a pipeline file, then check credentials and reachability.
    #[command(after_help = "Example:\n  zdpipe check pipelines/demo.toml")]
    Check { pipeline: PathBuf },
    /// Serve the simulated Zendesk (and LLM) API on 127.0.0.1.
    #[cfg(feature = "sandbox")]
    #[command(
        after_help = "Example:\n  zdpipe sandbox --port 8080 --tickets 5000 --seed 7\n  then point a pipeline at base_url = \"http://127.0.0.1:8080\""
    )]
    Sandbox(crate::sandbox::SandboxSettings),
    /// Inspect and manage the cache of a pipeline.
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Build a report from the results store.
    #[command(
        after_help = "Example:\n  zdpipe report pipelines/demo.toml --format html --output out/report.html"
    )]
    Report(ReportArgs),
    /// Work with the results store.
    #[command(subcommand)]
    Results(ResultsCommand),
    /// Score an output CSV against gold labels.
    #[command(
        after_help = "Example:\n  zdpipe eval out/tweets.csv --labels ../shared/eval/vader_tweets/tweets.labels.csv"
    )]
    Eval {
        /// The CSV a run wrote.
        output: PathBuf,
        /// Gold labels: ticket_id plus sentiment (and rating) and/or category.
        #[arg(long)]
        labels: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Measure the cache and the analyzer pool against the sandbox.
    #[cfg(feature = "sandbox")]
    #[command(
        after_help = "Examples:\n  zdpipe bench --test batch --tickets 200 --max-workers 16 --latency-ms 100\n  zdpipe bench --test cache --tickets 10000 --api-latency-ms 50\n  zdpipe bench --test pipeline --tickets 100000\n  zdpipe bench --test export --tickets 20000 --api-latency-ms 100 --repeat 3"
    )]
    Bench(BenchArgs),
    /// Write a commented pipeline file for an account, then check it.
    #[command(
        after_help = "Examples:\n  zdpipe init                      (asks for what is missing)\n  zdpipe init --subdomain acme --mode nightly --output pipelines/acme.toml\n  zdpipe init --base-url https://support.acme.com --auth oauth --mode backfill --views 360001,360002"
    )]
    Init(InitArgs),
    /// Print a shell completion script to stdout.
    #[command(
        after_help = "Examples:\n  zdpipe completions bash > ~/.local/share/bash-completion/completions/zdpipe\n  zdpipe completions zsh > ~/.zfunc/_zdpipe\n  zdpipe completions fish > ~/.config/fish/completions/zdpipe.fish\n  zdpipe completions powershell >> $PROFILE"
    )]
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write man pages: one per command and subcommand (zdpipe.1, zdpipe-run.1, ...).
    #[command(
        after_help = "Examples:\n  zdpipe man | man -l -\n  zdpipe man --dir /usr/local/share/man/man1"
    )]
    Man {
        /// Write every page into this folder (created if missing) instead of printing
        /// the top page to stdout.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Pipeline file (TOML), e.g. pipelines/demo.toml.
    pub pipeline: PathBuf,
    /// Do not draw progress bars (they are also hidden when stderr is not a terminal).
    #[arg(long)]
    pub no_progress: bool,
    /// Analyzer workers (overrides [analyze] workers).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Tickets per batch (overrides [analyze] batch_size).
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Serve only from the cache, ignoring TTLs; never touch the network.
    #[arg(long, conflicts_with = "refresh")]
    pub offline: bool,
    /// Skip cache reads and refill the cache.
    #[arg(long)]
    pub refresh: bool,
    /// Analyze every ticket again even when a stored analysis matches.
    #[arg(long)]
    pub reanalyze: bool,
    /// Empty the cache and record this pipeline's account in it, so a cache filled
    /// from another account (or sandbox data set) can be reused.
    #[arg(long, conflicts_with = "offline")]
    pub new_cache: bool,
    /// Incremental mode: start here instead of the checkpoint ("7d" or an RFC 3339 date).
    #[arg(long)]
    pub since: Option<String>,
    /// Stop with exit 1 once more tickets than this failed (a count, or a percent like 2%).
    #[arg(long)]
    pub max_failures: Option<String>,
    /// Also write the run summary as JSON here.
    #[arg(long)]
    pub summary_json: Option<PathBuf>,
    /// After the run, whatever its end, write its metrics here in the Prometheus text
    /// format, atomically (for node_exporter's textfile collector).
    #[arg(long)]
    pub metrics_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Entries, expired entries, bytes, hits, misses and hit rate per store.
    #[command(after_help = "Example:\n  zdpipe cache stats pipelines/demo.toml --json")]
    Stats {
        pipeline: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Drop selected entries so the next run fetches (or analyzes) them again.
    #[command(after_help = "Example:\n  zdpipe cache invalidate pipelines/demo.toml --ticket 42")]
    Invalidate(InvalidateArgs),
    /// Empty the cache (views, tickets, users, listings, analyses, checkpoints).
    Clear { pipeline: PathBuf },
    /// Drop expired entries and say how many.
    Purge { pipeline: PathBuf },
}

#[derive(Debug, Args)]
pub struct InvalidateArgs {
    pub pipeline: PathBuf,
    /// One ticket (its cached record, comments and analysis).
    #[arg(long)]
    pub ticket: Vec<u64>,
    /// Every cached ticket.
    #[arg(long)]
    pub tickets: bool,
    /// Every cached view and view listing.
    #[arg(long)]
    pub views: bool,
    /// One view: its settings, count, listing and the pages of an unfinished listing
    /// (the next run lists it again from the first page).
    #[arg(long)]
    pub view: Vec<u64>,
    /// Every cached user and organization.
    #[arg(long)]
    pub users: bool,
    /// One user.
    #[arg(long)]
    pub user: Vec<u64>,
    /// Every stored analysis.
    #[arg(long)]
    pub analyses: bool,
    /// The incremental checkpoint of this pipeline.
    #[arg(long)]
    pub checkpoint: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    pub pipeline: PathBuf,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Write here instead of stdout.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Only tickets seen in this view (repeatable).
    #[arg(long = "view")]
    pub views: Vec<u64>,
    /// Only tickets updated within this long (e.g. 7d).
    #[arg(long)]
    pub since: Option<String>,
    /// Break the analyzed tickets down by this column or field (repeatable), e.g.
    /// channel, group, status, category, or a custom field's title.
    #[arg(long = "by")]
    pub by: Vec<String>,
    /// Count tickets the incremental export reported deleted too (left out by default).
    #[arg(long)]
    pub include_deleted: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Jsonl,
}

#[derive(Debug, Subcommand)]
pub enum ResultsCommand {
    /// Write the stored results as CSV (the run's columns) or JSON lines.
    #[command(
        after_help = "Example:\n  zdpipe results export pipelines/demo.toml --format jsonl --output out/results.jsonl"
    )]
    Export {
        pipeline: PathBuf,
        #[arg(long, value_enum, default_value = "csv")]
        format: ExportFormat,
        #[arg(long)]
        output: Option<PathBuf>,
        #[arg(long = "view")]
        views: Vec<u64>,
    },
}

#[cfg(feature = "sandbox")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchTest {
    /// First vs second fetch of a view through the cache.
    Cache,
    /// Sequential LLM analysis vs the worker pool.
    Batch,
    /// cache and batch.
    All,
    /// Whole runs in child processes: cold and warm throughput, peak memory, and the
    /// built-in analyzer on 1 vs 2 workers.
    Pipeline,
    /// The incremental and view exports at 0 ms and --api-latency-ms: wall, CPU per
    /// ticket, requests, ratio to the latency floor (--against an earlier build).
    Export,
}

#[cfg(feature = "sandbox")]
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Which measurement to run.
    #[arg(long, value_enum, default_value = "all")]
    pub test: BenchTest,
    #[command(flatten)]
    pub options: crate::bench::BenchOptions,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InitAuth {
    /// ZENDESK_EMAIL and ZENDESK_API_TOKEN (HTTP Basic).
    #[value(name = "api_token")]
    ApiToken,
    /// ZENDESK_OAUTH_TOKEN (Bearer).
    Oauth,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InitMode {
    /// Every ticket changed since the last run (incremental export; the first run
    /// covers the last 7 days).
    Nightly,
    /// Every ticket of some views.
    Backfill,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The account's subdomain: "acme" for https://acme.zendesk.com.
    #[arg(long, conflicts_with = "base_url")]
    pub subdomain: Option<String>,
    /// Instead of --subdomain: the account's URL (a custom host or a proxy).
    #[arg(long)]
    pub base_url: Option<String>,
    /// How zdpipe signs in [default when not asked: api_token].
    #[arg(long, value_enum)]
    pub auth: Option<InitAuth>,
    /// What a run fetches [default when not asked: nightly; with --views: backfill].
    #[arg(long, value_enum)]
    pub mode: Option<InitMode>,
    /// View ids for --mode backfill, comma-separated (`zdpipe views` lists them).
    #[arg(long, value_delimiter = ',')]
    pub views: Vec<u64>,
    /// The pipeline file to write.
    #[arg(long, default_value = "zdpipe.toml")]
    pub output: PathBuf,
    /// Overwrite the file if it exists.
    #[arg(long)]
    pub force: bool,
}
