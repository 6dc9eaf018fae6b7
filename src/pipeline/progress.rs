//! Progress bars on stderr, one per stage (fetched / analyzed / written).
//!
//! Drawn only when stderr is a terminal and `--no-progress` is not given. Log lines
//! go through [`Progress::suspend_for_log`] (see `main.rs`) so they do not tear
//! the bars.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The three bars, or hidden ones.
#[derive(Clone)]
pub struct Progress {
    pub multi: MultiProgress,
    pub fetched: ProgressBar,
    pub analyzed: ProgressBar,
    pub written: ProgressBar,
}

impl Progress {
    pub fn new(visible: bool) -> Self {
        let multi = if visible {
            MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10))
        } else {
            MultiProgress::with_draw_target(ProgressDrawTarget::hidden())
        };
        let style = ProgressStyle::with_template(
            "{prefix:>9} [{bar:30}] {pos:>7}/{len:7} {rate:>9} eta {eta} {msg}",
        )
        .expect("valid template")
        .with_key(
            "rate",
            |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}/s", state.per_sec());
            },
        )
        .progress_chars("=> ");
        let bar = |name: &str| {
            let b = multi.add(ProgressBar::new(0));
            b.set_style(style.clone());
            b.set_prefix(name.to_string());
            b
        };
        let p = Progress {
            fetched: bar("fetched"),
            analyzed: bar("analyzed"),
            written: bar("written"),
            multi,
        };
        if visible {
            p.register();
        }
        p
    }

    /// Sets the expected total on every bar.
    pub fn set_total(&self, total: u64) {
        for b in [&self.fetched, &self.analyzed, &self.written] {
            b.set_length(total);
        }
    }

    /// Grows the bars' length when the total is unknown, so they show counts.
    pub fn grow_to(&self, fetched: u64) {
        for b in [&self.fetched, &self.analyzed, &self.written] {
            if b.length().unwrap_or(0) < fetched {
                b.set_length(fetched);
            }
        }
    }

    pub fn finish(&self) {
        for b in [&self.fetched, &self.analyzed, &self.written] {
            b.finish_and_clear();
        }
        Self::unregister();
    }
}

static ACTIVE: std::sync::Mutex<Option<MultiProgress>> = std::sync::Mutex::new(None);

impl Progress {
    /// Makes these bars the ones log lines must step around.
    pub fn register(&self) {
        *ACTIVE.lock().expect("progress lock") = Some(self.multi.clone());
    }

    /// Runs `f` (which prints a log line) with the active bars hidden for a moment.
    pub fn suspend_for_log<R>(f: impl FnOnce() -> R) -> R {
        let active = ACTIVE.lock().expect("progress lock").clone();
        match active {
            Some(m) => m.suspend(f),
            None => f(),
        }
    }

    /// Stops registering these bars for log output.
    pub fn unregister() {
        *ACTIVE.lock().expect("progress lock") = None;
    }
}
