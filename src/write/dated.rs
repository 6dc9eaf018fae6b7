//! Dated output paths: `{date}`, `{time}` and `{run_id}` in the file name of a
//! `[[write]]` or `[report]` path, and the stable `latest` link beside them.
//!
//! A run takes one [`RunStamp`] when it starts and expands every output path with it,
//! so all outputs of a run share the same values. A resumed nightly run takes the
//! stamp of the killed run it continues (stored with the checkpoint), so it finishes
//! the very file that run started.
//!
//! The `latest` name replaces the templated part of the file name, from its first `{`
//! to its last `}`, with `latest`: `out/nightly-{date}-{run_id}.csv` has the link
//! `out/nightly-latest.csv`. Placeholders go in the file name only (not in folders),
//! so the link always sits next to the files it points at. The link is a relative
//! symlink replaced atomically (a temporary link renamed over it); where symlinks are
//! not available it is a copy, written to a temporary file and renamed likewise.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// The placeholders a path may hold.
pub const PLACEHOLDERS: [&str; 3] = ["{date}", "{time}", "{run_id}"];

/// The values of one run's placeholders (UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunStamp {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `HHMMSS`.
    pub time: String,
    /// `YYYYMMDDTHHMMSSZ-xxxx`: the start time and four hex digits mixed from the
    /// process id and the sub-second clock, so two runs in one second differ.
    pub run_id: String,
}

impl RunStamp {
    /// The stamp of a run starting now.
    pub fn now() -> RunStamp {
        let now = SystemTime::now();
        // "2026-12-02T01:15:17Z"
        let rfc = humantime::format_rfc3339_seconds(now).to_string();
        let date = rfc[..10].to_string();
        let time = rfc[11..19].replace(':', "");
        let nanos = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let suffix = (std::process::id() ^ nanos.rotate_left(16)) & 0xffff;
        let run_id = format!("{}T{time}Z-{suffix:04x}", date.replace('-', ""));
        RunStamp { date, time, run_id }
    }
}

impl Default for RunStamp {
    fn default() -> Self {
        RunStamp::now()
    }
}

/// Checks the placeholders of a configured path: only [`PLACEHOLDERS`], and only in
/// the file name. The message is the part after the key.
pub fn check_template(path: &str) -> Result<(), String> {
    let valid = PLACEHOLDERS.join(", ");
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(len) = rest[open..].find('}') else {
            return Err(format!(
                "unclosed '{{' in \"{path}\": placeholders are {valid}"
            ));
        };
        let name = &rest[open..open + len + 1];
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "unknown placeholder {name} in \"{path}\": valid are {valid}"
            ));
        }
        rest = &rest[open + len + 1..];
    }
    if path.contains('}') && !path.contains('{') {
        return Err(format!(
            "stray '}}' in \"{path}\": placeholders are {valid}"
        ));
    }
    let folder = Path::new(path).parent().map(Path::to_string_lossy);
    if folder.is_some_and(|f| f.contains('{')) {
        return Err(format!(
            "placeholders go in the file name, not in its folders: \"{path}\""
        ));
    }
    Ok(())
}

/// Whether the file name of `path` holds a placeholder.
pub fn is_templated(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().contains('{'))
}

/// `path` with its placeholders replaced by `stamp`'s values.
pub fn expand(path: &Path, stamp: &RunStamp) -> PathBuf {
    if !is_templated(path) {
        return path.to_path_buf();
    }
    let name = file_name(path)
        .replace("{date}", &stamp.date)
        .replace("{time}", &stamp.time)
        .replace("{run_id}", &stamp.run_id);
    path.with_file_name(name)
}

/// The stable `latest` link of a templated path; `None` for a plain path.
pub fn latest_path(path: &Path) -> Option<PathBuf> {
    if !is_templated(path) {
        return None;
    }
    let name = file_name(path);
    let (start, end) = (name.find('{')?, name.rfind('}')?);
    Some(path.with_file_name(format!("{}latest{}", &name[..start], &name[end + 1..])))
}

/// Where commands outside a run read a configured path: its `latest` link when it
/// is templated, else the path itself.
pub fn current(path: &Path) -> PathBuf {
    latest_path(path).unwrap_or_else(|| path.to_path_buf())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Points the `latest` link of `template` at `target` (the complete output of this
/// run, in the same folder); does nothing for a plain path.
pub fn point_latest(template: &Path, target: &Path) -> std::io::Result<()> {
    let Some(latest) = latest_path(template) else {
        return Ok(());
    };
    let mut tmp = latest.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let _ = std::fs::remove_file(&tmp);
    link_or_copy(target, &tmp)?;
    std::fs::rename(&tmp, &latest)
}

#[cfg(unix)]
fn link_or_copy(target: &Path, tmp: &Path) -> std::io::Result<()> {
    // Relative: the link and its target share a folder, so the pair can be moved.
    let name = target.file_name().unwrap_or(target.as_os_str());
    std::os::unix::fs::symlink(name, tmp)
}

#[cfg(not(unix))]
fn link_or_copy(target: &Path, tmp: &Path) -> std::io::Result<()> {
    std::fs::copy(target, tmp).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp() -> RunStamp {
        RunStamp {
            date: "2026-12-02".into(),
            time: "011517".into(),
            run_id: "20261202T011517Z-3f2a".into(),
        }
    }

    #[test]
    fn expands_and_names_latest() {
        let p = Path::new("out/nightly-{date}-{run_id}.csv");
        assert_eq!(
            expand(p, &stamp()),
            Path::new("out/nightly-2026-12-02-20261202T011517Z-3f2a.csv")
        );
        assert_eq!(latest_path(p).unwrap(), Path::new("out/nightly-latest.csv"));
        assert_eq!(latest_path(Path::new("out/a.csv")), None);
        assert_eq!(
            expand(Path::new("out/a.csv"), &stamp()),
            Path::new("out/a.csv")
        );
    }

    #[test]
    fn now_has_the_documented_shapes() {
        let s = RunStamp::now();
        assert_eq!((s.date.len(), s.time.len(), s.run_id.len()), (10, 6, 21));
        assert!(s.run_id.starts_with(&s.date.replace('-', "")));
    }

    #[test]
    fn checks_placeholders() {
        assert!(check_template("out/n-{date}T{time}.csv").is_ok());
        assert!(check_template("out/{date}/n.csv").is_err());
        let e = check_template("out/n-{day}.csv").unwrap_err();
        assert!(e.contains("{day}") && e.contains("{run_id}"), "{e}");
        assert!(check_template("out/n-{date.csv").is_err());
    }
}
