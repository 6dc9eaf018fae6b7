//! Test helper: opens an HTML report in headless Chromium and records what happened,
//! so an integration test can assert the page is self-contained and renders.
//!
//! The page is served by a tiny HTTP server on 127.0.0.1 that logs every request line
//! (one server per Chromium run), because a request log is the only reliable way to
//! prove the page fetched nothing else: no fonts, scripts, images, not even
//! `/favicon.ico`. Chromium runs twice, as two separate processes with fresh profiles:
//! `--dump-dom` to get the DOM after layout, and `--screenshot` to see it rendered.
//! A screenshot of a blank page taken the same way gives the baseline PNG size that a
//! non-blank page must clearly exceed (decoding the PNG would need an inflate crate).
//!
//! Chromium prints page console messages to stderr with `--enable-logging=stderr` as
//! `[pid:tid:time:INFO:CONSOLE:<line>] "<message>", source: <url> (<line>)` (older
//! versions: `INFO:CONSOLE(<line>)`); every level is logged as INFO, so any such line
//! counts. CSP violations show up there too.
//!
//! Needs the dev-dependency `tempfile`. Use [`chromium`] to find the browser and skip
//! when it is absent:
//!
//! ```ignore
//! let Some(browser) = browser_check::chromium() else { return eprintln!("skipped: no chromium") };
//! let run = browser_check::check_html(&browser, &html_path).unwrap();
//! run.assert_self_contained();
//! assert_eq!(run.bars("sentiment"), 3);
//! assert!(run.screenshot_is_not_blank());
//! ```

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// A Chromium run that takes longer than this is killed and reported as an error.
const RUN_TIMEOUT: Duration = Duration::from_secs(90);
/// The path the page is served at.
const PAGE_PATH: &str = "/report.html";
/// A screenshot of the page must be at least this many times larger than a blank one.
const NOT_BLANK_FACTOR: u64 = 2;

/// What Chromium did with one HTML file.
#[derive(Debug)]
pub struct BrowserRun {
    /// Request lines the server saw during the `--dump-dom` run, e.g. `GET /report.html HTTP/1.1`.
    pub dom_requests: Vec<String>,
    /// Request lines the server saw during the `--screenshot` run.
    pub screenshot_requests: Vec<String>,
    /// Console lines from Chromium's stderr, from both runs.
    pub console: Vec<String>,
    /// The serialized DOM after load.
    pub dom: String,
    /// Size in bytes and (width, height) of the page's screenshot.
    pub screenshot_bytes: u64,
    pub screenshot_size: (u32, u32),
    /// Size in bytes of a blank page's screenshot taken the same way.
    pub blank_screenshot_bytes: u64,
    /// Wall time of the DOM run, the screenshot run and the blank run.
    pub elapsed: [Duration; 3],
}

impl BrowserRun {
    /// Panics unless each run fetched exactly the page and the console stayed silent.
    pub fn assert_self_contained(&self) {
        let page = format!("GET {PAGE_PATH} HTTP/1.1");
        assert_eq!(
            self.dom_requests,
            [page.as_str()],
            "requests during --dump-dom"
        );
        assert_eq!(
            self.screenshot_requests,
            [page.as_str()],
            "requests during --screenshot"
        );
        assert!(
            self.console.is_empty(),
            "console messages: {:#?}",
            self.console
        );
    }

    /// How many `<rect class="bar"` the `<svg data-chart="{chart}">` of the DOM holds.
    pub fn bars(&self, chart: &str) -> usize {
        let marker = format!("data-chart=\"{chart}\"");
        let Some(start) = self.dom.find(&marker) else {
            return 0;
        };
        let end = self.dom[start..]
            .find("</svg>")
            .map_or(self.dom.len(), |e| start + e);
        self.dom[start..end].matches("<rect class=\"bar\"").count()
    }

    /// How many data rows (`<tr data-key=`) the `<table data-table="{table}">` of the
    /// DOM holds.
    pub fn table_rows(&self, table: &str) -> usize {
        let marker = format!("data-table=\"{table}\"");
        let Some(start) = self.dom.find(&marker) else {
            return 0;
        };
        let end = self.dom[start..]
            .find("</table>")
            .map_or(self.dom.len(), |e| start + e);
        self.dom[start..end].matches("<tr data-key=").count()
    }

    /// True when the screenshot is clearly larger than a blank page's.
    pub fn screenshot_is_not_blank(&self) -> bool {
        self.screenshot_bytes > NOT_BLANK_FACTOR * self.blank_screenshot_bytes
    }
}

/// The Chromium binary: `$CHROMIUM` if set, else the first of the usual names on disk.
pub fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

/// Serves `html_file`, loads it in Chromium twice (DOM and screenshot), and takes a
/// baseline screenshot of a blank page.
pub fn check_html(browser: &Path, html_file: &Path) -> std::io::Result<BrowserRun> {
    let body = std::fs::read(html_file)?;
    let scratch = tempfile::tempdir()?;

    let server = PageServer::start(body.clone())?;
    let started = Instant::now();
    let (dom, dom_err) = run_chromium(browser, scratch.path(), &["--dump-dom"], &server.url())?;
    let dom_time = started.elapsed();
    let dom_requests = server.stop();

    let shot = scratch.path().join("page.png");
    let server = PageServer::start(body)?;
    let started = Instant::now();
    let (_, shot_err) = run_chromium(
        browser,
        scratch.path(),
        &screenshot_args(&shot),
        &server.url(),
    )?;
    let shot_time = started.elapsed();
    let screenshot_requests = server.stop();

    let blank = scratch.path().join("blank.png");
    let started = Instant::now();
    run_chromium(
        browser,
        scratch.path(),
        &screenshot_args(&blank),
        "data:text/html,<html><body></body></html>",
    )?;
    let blank_time = started.elapsed();

    let png = std::fs::read(&shot)?;
    Ok(BrowserRun {
        dom_requests,
        screenshot_requests,
        console: console_lines(&dom_err)
            .chain(console_lines(&shot_err))
            .collect(),
        dom,
        screenshot_bytes: png.len() as u64,
        screenshot_size: png_size(&png),
        blank_screenshot_bytes: std::fs::metadata(&blank)?.len(),
        elapsed: [dom_time, shot_time, blank_time],
    })
}

/// A window tall enough for a whole report, so everything on it is in the screenshot.
const WHOLE_PAGE: &str = "--window-size=1200,12000";

/// For each CSS selector, whether what it matches is painted on the page: hiding it
/// (`visibility: hidden`, injected as a style) changes a screenshot of the whole page.
/// An element that is absent, `display: none`, empty or off the page changes nothing.
pub fn painted(browser: &Path, html_file: &Path, selectors: &[&str]) -> std::io::Result<Vec<bool>> {
    let page = std::fs::read_to_string(html_file)?;
    let scratch = tempfile::tempdir()?;
    let shot = |name: &str, body: String| -> std::io::Result<Vec<u8>> {
        let png = scratch.path().join(format!("{name}.png"));
        let server = PageServer::start(body.into_bytes())?;
        let args = [format!("--screenshot={}", png.display()), WHOLE_PAGE.into()];
        run_chromium(browser, scratch.path(), &args, &server.url())?;
        server.stop();
        std::fs::read(&png)
    };
    let shown = shot("shown", page.clone())?;
    let mut out = Vec::new();
    for (i, selector) in selectors.iter().enumerate() {
        let style = format!("<style>{selector}{{visibility:hidden!important}}</style></head>");
        let hidden = shot(&format!("hidden-{i}"), page.replacen("</head>", &style, 1))?;
        out.push(hidden != shown);
    }
    Ok(out)
}

fn screenshot_args(png: &Path) -> [String; 2] {
    [
        format!("--screenshot={}", png.display()),
        "--window-size=1200,2000".to_string(),
    ]
}

fn console_lines(stderr: &str) -> impl Iterator<Item = String> + '_ {
    stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
}

/// Width and height from the PNG header (the IHDR chunk always comes first).
fn png_size(png: &[u8]) -> (u32, u32) {
    if png.len() < 24 || &png[12..16] != b"IHDR" {
        return (0, 0);
    }
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&png[16..20]), be(&png[20..24]))
}

/// Runs Chromium once with a fresh profile; returns its stdout and stderr.
fn run_chromium<S: AsRef<str>>(
    browser: &Path,
    scratch: &Path,
    extra: &[S],
    url: &str,
) -> std::io::Result<(String, String)> {
    let profile = tempfile::tempdir_in(scratch)?;
    let out_path = scratch.join("stdout.txt");
    let err_path = scratch.join("stderr.txt");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=2000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra.iter().map(AsRef::as_ref))
        .arg(url)
        .stdin(Stdio::null())
        // Files, not pipes: Chromium's helper processes inherit the handles, and a pipe
        // would keep a reader waiting until the last of them exits.
        .stdout(std::fs::File::create(&out_path)?)
        .stderr(std::fs::File::create(&err_path)?)
        .spawn()?;
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            if !status.success() {
                let err = std::fs::read_to_string(&err_path).unwrap_or_default();
                return Err(std::io::Error::other(format!(
                    "chromium exited with {status}:\n{err}"
                )));
            }
            break;
        }
        if started.elapsed() > RUN_TIMEOUT {
            child.kill()?;
            child.wait()?;
            return Err(std::io::Error::other(format!(
                "chromium took over {RUN_TIMEOUT:?}"
            )));
        }
        thread::sleep(Duration::from_millis(20));
    }
    Ok((
        std::fs::read_to_string(out_path)?,
        std::fs::read_to_string(err_path)?,
    ))
}

/// A one-page HTTP server on an ephemeral loopback port that logs every request line.
struct PageServer {
    port: u16,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Vec<String>>>,
    thread: JoinHandle<()>,
}

impl PageServer {
    fn start(body: Vec<u8>) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        // Non-blocking accept, polled, so `stop` can end the loop without a wake-up connection.
        listener.set_nonblocking(true)?;
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (stop2, log2, body) = (stop.clone(), log.clone(), Arc::new(body));
        let thread = thread::spawn(move || {
            let mut handlers = Vec::new();
            while !stop2.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (log, body) = (log2.clone(), body.clone());
                        // One thread per connection: a speculative preconnect that never
                        // sends a request must not hold up the real one.
                        handlers.push(thread::spawn(move || serve(stream, &log, &body)));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
            for h in handlers {
                let _ = h.join();
            }
        });
        Ok(PageServer {
            port,
            stop,
            log,
            thread,
        })
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}{PAGE_PATH}", self.port)
    }

    /// Stops the server and returns the request lines it saw, in order.
    fn stop(self) -> Vec<String> {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.thread.join();
        let log = self.log.lock().unwrap();
        log.clone()
    }
}

fn serve(stream: TcpStream, log: &Mutex<Vec<String>>, body: &[u8]) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut reader = BufReader::new(&stream);
    let mut request = String::new();
    if reader.read_line(&mut request).unwrap_or(0) == 0 {
        return;
    }
    let request = request.trim_end().to_string();
    // Skip the headers; the request line is all the test needs.
    let mut line = String::new();
    while reader.read_line(&mut line).unwrap_or(0) > 2 {
        line.clear();
    }
    log.lock().unwrap().push(request.clone());
    let found = request.split(' ').nth(1) == Some(PAGE_PATH);
    let (status, content): (&str, &[u8]) = if found {
        ("200 OK", body)
    } else {
        ("404 Not Found", b"not found")
    };
    let mut out = &stream;
    let _ = write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        content.len()
    );
    let _ = out.write_all(content);
    let _ = out.flush();
}
