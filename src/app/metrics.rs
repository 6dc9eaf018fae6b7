//! `run --metrics-file`: the run's metrics in the Prometheus text exposition format, for
//! node_exporter's textfile collector.
//!
//! Every sample carries `pipeline="<name>"`. The file is rewritten after every run, so
//! `zdpipe_last_success_timestamp_seconds` is carried over from the previous file when
//! this run did not succeed: `time() - zdpipe_last_success_timestamp_seconds` then says
//! how stale the output is, whatever happened in between.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::Exit;
use crate::pipeline::RunSummary;

const LAST_SUCCESS: &str = "zdpipe_last_success_timestamp_seconds";

/// What one run leaves for the metrics file besides its summary.
pub struct RunEnd {
    pub exit: Exit,
    /// Wall-clock time of the whole `run` command.
    pub duration: Duration,
    /// When the run ended, in seconds since the Unix epoch.
    pub finished_at: f64,
}

impl RunEnd {
    pub fn now(exit: Exit, duration: Duration) -> Self {
        let finished_at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        RunEnd {
            exit,
            duration,
            finished_at,
        }
    }
}

/// Writes the metrics of the run to `path` atomically, keeping the last success
/// timestamp of the file it replaces when this run did not succeed.
pub fn write_file(path: &Path, summary: &RunSummary, end: &RunEnd) -> std::io::Result<()> {
    let previous = std::fs::read_to_string(path)
        .ok()
        .and_then(|text| previous_success(&text, &summary.pipeline));
    super::run::write_atomic(path, &render(summary, end, previous))
}

/// The last success timestamp recorded in an earlier metrics file for `pipeline`.
pub fn previous_success(text: &str, pipeline: &str) -> Option<f64> {
    let series = format!("{LAST_SUCCESS}{{pipeline=\"{}\"}}", escape(pipeline));
    text.lines()
        .find_map(|line| line.strip_prefix(&series))
        .and_then(|value| value.trim().parse().ok())
}

/// The exposition text. A run that did not exit 0 keeps `previous` (0 if never).
pub fn render(summary: &RunSummary, end: &RunEnd, previous: Option<f64>) -> String {
    let last_success = if end.exit == Exit::Ok {
        end.finished_at
    } else {
        previous.unwrap_or(0.0)
    };
    let s = summary;
    let mut out = Family::new(&s.pipeline);
    out.gauge(
        "zdpipe_last_run_timestamp_seconds",
        "When the last run ended (Unix seconds).",
    )
    .sample("", end.finished_at);
    out.gauge(
        LAST_SUCCESS,
        "When the last run that exited 0 ended (Unix seconds; 0 if none yet).",
    )
    .sample("", last_success);
    out.gauge(
        "zdpipe_run_duration_seconds",
        "Wall-clock seconds of the last run.",
    )
    .sample("", end.duration.as_secs_f64());
    out.gauge(
        "zdpipe_stage_busy_seconds",
        "Busy seconds per stage in the last run, summed over the stage's threads.",
    )
    .sample("stage=\"fetch\"", s.stage_seconds.fetch_s)
    .sample("stage=\"analyze\"", s.stage_seconds.analyze_s)
    .sample("stage=\"write\"", s.stage_seconds.write_s);
    let tickets = out.gauge(
        "zdpipe_tickets",
        "Tickets in the last run, by what happened to them.",
    );
    for (state, n) in [
        ("fetched", s.fetched),
        ("from_cache", s.from_cache),
        ("analyzed", s.analyzed),
        ("reused", s.reused),
        ("failed", s.failed),
        ("written", s.written),
    ] {
        tickets.sample(&format!("state=\"{state}\""), n as f64);
    }
    out.counter(
        "zdpipe_http_requests_total",
        "HTTP requests to Zendesk in the last run.",
    )
    .sample("", s.http_requests as f64);
    out.counter("zdpipe_http_retries_total", "HTTP retries in the last run.")
        .sample("", s.http_retries as f64);
    out.counter(
        "zdpipe_http_rate_limited_total",
        "HTTP 429 answers in the last run.",
    )
    .sample("", s.rate_limited as f64);
    rate(&mut out, s);
    llm(&mut out, s);
    out.gauge("zdpipe_exit_code", "Exit code of the last run (0 ok, 1 failed, 2 usage, 3 some tickets failed, 75 locked, 130 interrupted).")
        .sample("", f64::from(end.exit as u8));
    out.text
}

/// The rate budget: the account's limit learned (only once a header said it), the
/// client's budget and its busiest minute; nothing for a run without a client.
fn rate(out: &mut Family, s: &RunSummary) {
    let Some(r) = &s.rate else {
        return;
    };
    if let Some(limit) = r.account_limit {
        out.gauge(
            "zdpipe_rate_account_limit",
            "The account's requests a minute as X-Rate-Limit said in the last run.",
        )
        .sample("", limit as f64);
    }
    out.gauge(
        "zdpipe_rate_budget",
        "The client's own request budget a minute at the end of the last run.",
    )
    .sample("budget=\"api\"", r.budget as f64)
    .sample("budget=\"export\"", r.export_budget as f64);
    out.gauge(
        "zdpipe_rate_busiest_minute",
        "The most requests the client had in one minute of the last run.",
    )
    .sample("budget=\"api\"", r.busiest_minute as f64)
    .sample("budget=\"export\"", r.export_busiest_minute as f64);
}

/// LLM tokens and cost: zero without an LLM analyzer; no cost sample when its price is unknown.
fn llm(out: &mut Family, s: &RunSummary) {
    let usage = s.llm.clone().unwrap_or_default();
    out.gauge("zdpipe_llm_tokens", "LLM tokens used in the last run.")
        .sample("kind=\"input\"", usage.input_tokens as f64)
        .sample("kind=\"output\"", usage.output_tokens as f64);
    let cost = if s.llm.is_none() {
        Some(0.0)
    } else {
        usage.cost_usd
    };
    if let Some(cost) = cost {
        out.gauge(
            "zdpipe_llm_cost_usd",
            "Estimated LLM cost of the last run in US dollars.",
        )
        .sample("", cost);
    }
}

/// The text being built: one `# HELP`/`# TYPE` block per metric, then its samples.
struct Family {
    pipeline: String,
    name: &'static str,
    text: String,
}

impl Family {
    fn new(pipeline: &str) -> Self {
        Family {
            pipeline: escape(pipeline),
            name: "",
            text: String::new(),
        }
    }

    fn gauge(&mut self, name: &'static str, help: &str) -> &mut Self {
        self.header(name, help, "gauge")
    }

    fn counter(&mut self, name: &'static str, help: &str) -> &mut Self {
        self.header(name, help, "counter")
    }

    fn header(&mut self, name: &'static str, help: &str, kind: &str) -> &mut Self {
        self.name = name;
        let _ = writeln!(self.text, "# HELP {name} {help}\n# TYPE {name} {kind}");
        self
    }

    /// One sample of the current metric; `labels` are extra `key="value"` pairs.
    fn sample(&mut self, labels: &str, value: f64) -> &mut Self {
        let sep = if labels.is_empty() { "" } else { "," };
        let _ = writeln!(
            self.text,
            "{}{{pipeline=\"{}\"{sep}{labels}}} {value}",
            self.name, self.pipeline
        );
        self
    }
}

/// A label value as the text format wants it: backslash, quote and newline escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end(exit: Exit) -> RunEnd {
        RunEnd {
            exit,
            duration: Duration::from_millis(1500),
            finished_at: 1_700_000_000.5,
        }
    }

    fn summary() -> RunSummary {
        RunSummary {
            pipeline: "night\"ly".into(),
            fetched: 12,
            written: 11,
            failed: 1,
            http_requests: 4,
            ..RunSummary::default()
        }
    }

    #[test]
    fn every_metric_has_help_type_and_the_pipeline_label() {
        let text = render(&summary(), &end(Exit::SomeTicketsFailed), None);
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split('{').next().unwrap();
            assert!(text.contains(&format!("# HELP {name} ")), "{name}");
            assert!(text.contains(&format!("# TYPE {name} ")), "{name}");
            assert!(line.contains("{pipeline=\"night\\\"ly\""), "{line}");
        }
        assert!(text.contains("zdpipe_tickets{pipeline=\"night\\\"ly\",state=\"fetched\"} 12\n"));
        assert!(text.contains("zdpipe_http_requests_total{pipeline=\"night\\\"ly\"} 4\n"));
        assert!(text.contains("zdpipe_run_duration_seconds{pipeline=\"night\\\"ly\"} 1.5\n"));
        assert!(text.contains("zdpipe_exit_code{pipeline=\"night\\\"ly\"} 3\n"));
        assert!(text.contains("zdpipe_llm_cost_usd{pipeline=\"night\\\"ly\"} 0\n"));
    }

    #[test]
    fn only_a_successful_run_moves_the_last_success_timestamp() {
        let ok = render(&summary(), &end(Exit::Ok), Some(5.0));
        assert_eq!(previous_success(&ok, "night\"ly"), Some(1_700_000_000.5));
        let failed = render(&summary(), &end(Exit::Failed), Some(5.0));
        assert_eq!(previous_success(&failed, "night\"ly"), Some(5.0));
        let never = render(&summary(), &end(Exit::Interrupted), None);
        assert_eq!(previous_success(&never, "night\"ly"), Some(0.0));
        assert_eq!(previous_success(&ok, "other"), None);
    }

    #[test]
    fn an_unknown_llm_price_leaves_out_the_cost_sample() {
        let mut s = summary();
        s.llm = Some(crate::pipeline::TokenUsage {
            input_tokens: 7,
            ..Default::default()
        });
        let text = render(&s, &end(Exit::Ok), None);
        assert!(text.contains("kind=\"input\"} 7\n"));
        assert!(!text.contains("zdpipe_llm_cost_usd"));
    }
}
