//! The export test (`zdpipe bench --test export`): the incremental export and a view
//! export (requester and organization names included) of `tickets` tickets, fetched,
//! analyzed by the built-in analyzer and written to a CSV, at 0 ms and at
//! `api_latency_ms` per request.
//!
//! The server is a `zdpipe sandbox` child process and each run a `zdpipe run` child
//! speaking to it as `source = "zendesk"` with the request budgets lifted, so a run's
//! CPU time (the children's user + system time in `/proc/self/stat`) is the client's
//! alone. Every run starts from an empty cache. With `against` the same runs are made
//! with another zdpipe binary too, interleaved with this one's, so both see the same
//! machine load; each figure is the median of `repeat` runs.
//!
//! The floor of a run is its sequential pages times the latency: the incremental
//! export is one cursor of 1000-ticket pages, a view one cursor of 100-ticket pages.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::Serialize;

use super::BenchOptions;

/// The exports measured: name, the `[fetch]` keys that select it, tickets per page.
const SCENARIOS: [(&str, &str, u64); 2] = [
    (
        "incremental",
        "mode = \"incremental\"\nsince = \"3650d\"\n",
        1000,
    ),
    ("view", "views = [1]\n", 100),
];

/// The kernel's clock ticks per second in `/proc` (`USER_HZ`, 100 on Linux).
const USER_HZ: f64 = 100.0;

/// One scenario, latency and binary: medians of the runs.
#[derive(Debug, Serialize)]
pub struct ExportFigures {
    pub scenario: &'static str,
    pub latency_ms: u64,
    /// The zdpipe binary that ran it: `this build`, or the `--against` path.
    pub binary: String,
    pub tickets: u64,
    pub wall_s: f64,
    pub cpu_us_per_ticket: f64,
    pub requests: u64,
    /// Sequential pages times the latency.
    pub floor_s: f64,
    /// Wall time over max(floor, CPU time).
    pub ratio_to_limit: f64,
    pub peak_rss_mb: Option<f64>,
}

/// The export test's figures.
#[derive(Debug, Serialize)]
pub struct ExportBench {
    pub tickets: u64,
    pub repeat: usize,
    pub rows: Vec<ExportFigures>,
}

impl ExportBench {
    /// The human-readable lines `zdpipe bench` prints.
    pub fn render(&self) -> String {
        let mut s = format!(
            "export test, {} tickets -> builtin -> CSV, zdpipe sandbox and zdpipe run as child processes, median of {}\n",
            self.tickets, self.repeat
        );
        s.push_str("  scenario     latency  wall s  CPU us/ticket  requests  floor s  wall/max(floor,CPU)  peak RSS  binary\n");
        for r in &self.rows {
            s.push_str(&format!(
                "  {:<12} {:>4} ms {:>7.2} {:>14.1} {:>9} {:>8.2} {:>20.2} {:>9}  {}\n",
                r.scenario,
                r.latency_ms,
                r.wall_s,
                r.cpu_us_per_ticket,
                r.requests,
                r.floor_s,
                r.ratio_to_limit,
                r.peak_rss_mb.map_or("?".into(), |m| format!("{m:.0} MB")),
                r.binary,
            ));
        }
        s
    }
}

/// Runs the export test in a scratch folder, removed afterwards.
pub fn export_test(opts: &BenchOptions) -> Result<ExportBench> {
    let dir = super::tempdir()?;
    let result = measure_all(opts, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn measure_all(opts: &BenchOptions, dir: &Path) -> Result<ExportBench> {
    let mut binaries = vec![std::env::current_exe()?];
    binaries.extend(opts.against.iter().cloned());
    let mut latencies = vec![0, opts.api_latency_ms];
    latencies.dedup();
    let mut rows = Vec::new();
    for latency in latencies {
        let server = Sandbox::start(opts.tickets, latency)?;
        for scenario in SCENARIOS {
            let mut runs = vec![Vec::new(); binaries.len()];
            for round in 0..opts.repeat {
                for (i, bin) in binaries.iter().enumerate() {
                    let run_dir = dir.join(format!("{}-{latency}-{i}-{round}", scenario.0));
                    runs[i].push(run_once(bin, &run_dir, &server, scenario.1)?);
                }
            }
            for (i, runs) in runs.into_iter().enumerate() {
                let label = match i {
                    0 => "this build".to_string(),
                    _ => binaries[i].display().to_string(),
                };
                rows.push(figures(scenario, latency, label, runs));
            }
        }
    }
    Ok(ExportBench {
        tickets: opts.tickets,
        repeat: opts.repeat,
        rows,
    })
}

/// One child run's measurements.
#[derive(Debug, Clone)]
struct Run {
    wall_s: f64,
    cpu_s: f64,
    written: u64,
    requests: u64,
    peak_rss_mb: Option<f64>,
}

/// The medians of a scenario's runs, against the floor of its sequential pages.
fn figures(
    (scenario, _, page_size): (&'static str, &str, u64),
    latency_ms: u64,
    binary: String,
    runs: Vec<Run>,
) -> ExportFigures {
    let median = |f: fn(&Run) -> f64| {
        let mut v: Vec<f64> = runs.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (wall_s, cpu_s) = (median(|r| r.wall_s), median(|r| r.cpu_s));
    let written = runs[0].written;
    let floor_s = written.div_ceil(page_size) as f64 * latency_ms as f64 / 1000.0;
    ExportFigures {
        scenario,
        latency_ms,
        binary,
        tickets: written,
        wall_s,
        cpu_us_per_ticket: cpu_s * 1e6 / written.max(1) as f64,
        requests: median(|r| r.requests as f64) as u64,
        floor_s,
        ratio_to_limit: wall_s / floor_s.max(cpu_s),
        peak_rss_mb: runs.iter().filter_map(|r| r.peak_rss_mb).reduce(f64::max),
    }
}

/// One `zdpipe run` of `fetch_keys` against `server`, from an empty cache.
fn run_once(bin: &Path, dir: &Path, server: &Sandbox, fetch_keys: &str) -> Result<Run> {
    std::fs::create_dir_all(dir)?;
    let pipeline = dir.join("export.toml");
    std::fs::write(
        &pipeline,
        format!(
            "name = \"bench-export\"\n[fetch]\nbase_url = \"{}\"\n{fetch_keys}rate_limit_per_minute = 1000000\nrate_window = \"1ms\"\n[cache]\npath = \"cache\"\n[[write]]\nkind = \"csv\"\npath = \"out.csv\"\n",
            server.base_url
        ),
    )?;
    let summary = dir.join("summary.json");
    let cpu_before = children_cpu_s()?;
    let t = Instant::now();
    let status = Command::new(bin)
        .arg("run")
        .arg(&pipeline)
        .args(["--no-progress", "-q", "--summary-json"])
        .arg(&summary)
        .env("ZENDESK_EMAIL", "bench@example.com")
        .env("ZENDESK_API_TOKEN", "bench")
        .status()
        .with_context(|| format!("cannot start {}", bin.display()))?;
    let wall_s = t.elapsed().as_secs_f64();
    let cpu_s = children_cpu_s()? - cpu_before;
    anyhow::ensure!(status.success(), "{} run failed ({status})", bin.display());
    let s: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&summary)?)?;
    let _ = std::fs::remove_dir_all(dir.join("cache"));
    Ok(Run {
        wall_s,
        cpu_s,
        written: s["written"].as_u64().unwrap_or(0),
        requests: s["http_requests"].as_u64().unwrap_or(0),
        peak_rss_mb: s["peak_rss_mb"].as_f64(),
    })
}

/// User + system time of this process's waited-for children, in seconds.
fn children_cpu_s() -> Result<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // Fields after the command name (which may hold spaces) start at field 3;
    // cutime and cstime are fields 16 and 17.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| -> Result<f64> {
        Ok(fields
            .get(i)
            .context("unexpected /proc/self/stat")?
            .parse::<f64>()?)
    };
    Ok((ticks(13)? + ticks(14)?) / USER_HZ)
}

/// A `zdpipe sandbox` child process, killed when dropped.
struct Sandbox {
    child: Child,
    base_url: String,
}

impl Sandbox {
    fn start(tickets: u64, latency_ms: u64) -> Result<Sandbox> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(std::env::current_exe()?)
            .args(["sandbox", "--port", &port.to_string()])
            .args(["--tickets", &tickets.to_string()])
            .args(["--latency-ms", &latency_ms.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let server = Sandbox {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            anyhow::ensure!(Instant::now() < deadline, "the sandbox did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(server)
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
