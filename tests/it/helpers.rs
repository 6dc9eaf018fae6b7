//! Shared test helpers: the binary, temp pipelines, the sandbox, CSV reading.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
pub use zdpipe::sandbox::{Credentials, SandboxHandle, SandboxSettings};

/// The zdpipe binary with a clean environment (no stray credentials or RUST_LOG, and
/// none of this machine's CA bundle or proxy variables: tests/it/tls.rs sets them).
pub fn zdpipe() -> Command {
    let mut c = Command::cargo_bin("zdpipe").expect("binary built");
    for var in [
        "ZENDESK_SUBDOMAIN",
        "ZENDESK_EMAIL",
        "ZENDESK_API_TOKEN",
        "ZENDESK_OAUTH_TOKEN",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_BASE_URL",
        "RUST_LOG",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        c.env_remove(var);
    }
    c
}

/// A temp dir with a pipeline file in it.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Self {
        Workspace {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes `name` with `text`; returns its path.
    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(&p, text).unwrap();
        p
    }

    /// `zdpipe run PIPELINE --summary-json SUMMARY` (with credentials) in this
    /// workspace, so `summary` is a path inside it.
    pub fn run_with_summary(&self, pipeline: &Path, summary: &str) -> std::process::Output {
        zdpipe_auth()
            .arg("run")
            .arg(pipeline)
            .args(["--summary-json", summary])
            .current_dir(self.path(""))
            .output()
            .unwrap()
    }

    /// A pipeline against a Zendesk-compatible server at `base_url`, view mode.
    pub fn view_pipeline(&self, name: &str, base_url: &str, views: &[u64], extra: &str) -> PathBuf {
        let views: Vec<String> = views.iter().map(u64::to_string).collect();
        self.file(
            &format!("{name}.toml"),
            &format!(
                r#"name = "{name}"
[fetch]
source = "zendesk"
base_url = "{base_url}"
auth = "api_token"
mode = "view"
views = [{}]
rate_limit_per_minute = 100000
{extra}
[cache]
path = "cache"
[[write]]
kind = "csv"
path = "out/{name}.csv"
"#,
                views.join(", ")
            ),
        )
    }
}

/// Starts the sandbox with `tickets` tickets and credentials required.
pub fn sandbox(tickets: u64) -> SandboxHandle {
    SandboxHandle::start(SandboxSettings {
        port: 0,
        tickets,
        auth: Some(Credentials {
            email: EMAIL.into(),
            token: TOKEN.into(),
        }),
        ..SandboxSettings::default()
    })
    .expect("sandbox starts")
}

pub const EMAIL: &str = "agent@example.com";
pub const TOKEN: &str = "s3cr3t-t0k3n-value";

/// `zdpipe` with the sandbox credentials set.
pub fn zdpipe_auth() -> Command {
    let mut c = zdpipe();
    c.env("ZENDESK_EMAIL", EMAIL)
        .env("ZENDESK_API_TOKEN", TOKEN);
    c
}

/// Reads a CSV: header and rows.
pub fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// The ticket ids (first column) of a CSV.
pub fn csv_ids(path: &Path) -> Vec<u64> {
    read_csv(path)
        .1
        .iter()
        .map(|r| r[0].parse().unwrap())
        .collect()
}

/// The value of column `name` in every row.
pub fn column(path: &Path, name: &str) -> Vec<String> {
    let (h, rows) = read_csv(path);
    let i = h
        .iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    rows.into_iter().map(|r| r[i].clone()).collect()
}

/// stderr of an assert_cmd output, as text.
pub fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Reads a JSON file (a run summary, a report).
pub fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `zdpipe run PIPELINE` as a child process with the sandbox credentials, for tests
/// that signal or kill it; stderr is discarded unless `capture` is set.
pub fn spawn_run(pipeline: &Path, capture: bool) -> std::process::Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("zdpipe"))
        .arg("run")
        .arg(pipeline)
        .arg("--no-progress")
        .env("ZENDESK_EMAIL", EMAIL)
        .env("ZENDESK_API_TOKEN", TOKEN)
        .stderr(if capture {
            std::process::Stdio::piped()
        } else {
            std::process::Stdio::null()
        })
        .spawn()
        .expect("zdpipe starts")
}

/// Waits until `ready` holds, then kills the run (SIGKILL) and reaps it.
pub fn kill_when(child: &mut std::process::Child, ready: impl Fn() -> bool) {
    let t = std::time::Instant::now();
    while !ready() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before the kill"
        );
        assert!(
            t.elapsed() < std::time::Duration::from_secs(60),
            "the run never got there"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}

/// The environment a library-level run needs for the sandbox's credentials.
pub fn credentials_env() -> zdpipe::config::Env {
    zdpipe::config::Env {
        zendesk_email: Some(EMAIL.into()),
        zendesk_api_token: Some(zdpipe::config::Secret::new(TOKEN)),
        ..Default::default()
    }
}

/// Runs a pipeline file in this process with `analyzer` (tests that need an analyzer
/// that fails, panics or records what it saw).
pub fn run_with(
    pipeline: &Path,
    analyzer: std::sync::Arc<dyn zdpipe::analyze::Analyzer>,
) -> Result<(zdpipe::pipeline::RunSummary, zdpipe::pipeline::Outcome), zdpipe::pipeline::RunError> {
    let env = credentials_env();
    let pipeline = zdpipe::config::Pipeline::load(pipeline, &env).expect("valid pipeline");
    zdpipe::pipeline::run(
        &pipeline,
        &env,
        &Default::default(),
        Some(analyzer),
        std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)),
    )
}

/// The built-in analyzer (built once) behind a test hook that sees every input first
/// and may answer instead (to fail, stop the run, or record what was read).
pub struct Hooked<F> {
    builtin: zdpipe::analyze::builtin::BuiltinAnalyzer,
    fingerprint: &'static str,
    hook: F,
}

type Answer = Result<zdpipe::model::Analysis, zdpipe::analyze::AnalyzeError>;

impl<F> Hooked<F>
where
    F: Fn(&zdpipe::analyze::AnalysisInput<'_>) -> Option<Answer> + Send + Sync,
{
    pub fn new(fingerprint: &'static str, hook: F) -> Self {
        Hooked {
            builtin: zdpipe::analyze::builtin::BuiltinAnalyzer::new(Default::default())
                .expect("builtin analyzer"),
            fingerprint,
            hook,
        }
    }
}

impl<F> zdpipe::analyze::Analyzer for Hooked<F>
where
    F: Fn(&zdpipe::analyze::AnalysisInput<'_>) -> Option<Answer> + Send + Sync,
{
    fn name(&self) -> String {
        "builtin".into()
    }
    fn fingerprint(&self) -> String {
        self.fingerprint.into()
    }
    fn analyze(&self, input: &zdpipe::analyze::AnalysisInput<'_>) -> Answer {
        (self.hook)(input).unwrap_or_else(|| self.builtin.analyze(input))
    }
}

/// Asserts that `csv` holds every ticket of the sandbox's view 1 exactly once, in the
/// view's order; `why` says what that proves.
pub fn assert_view_written_once(sb: &SandboxHandle, csv: &Path, why: &str) {
    let expected: Vec<u64> = sb.dataset().view_ticket_ids(1).collect();
    assert_eq!(csv_ids(csv), expected, "{why}");
}
