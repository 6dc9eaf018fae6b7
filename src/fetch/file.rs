//! Reads a Zendesk JSON export from disk: NDJSON (one ticket per line), a JSON array
//! of tickets, or an object `{"tickets": [...]}`.
//!
//! NDJSON is streamed line by line so a large export needs little memory; the other
//! two shapes are parsed whole. A record that is not a ticket is reported with its
//! line number and either skipped (`on_bad_record = "skip"`) or fatal (`"fail"`).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::source::{item_from_value, WorkItem};
use super::{FetchError, OnBadRecord};

/// Where records come from: a line reader for NDJSON, or a parsed list.
enum Records {
    Lines {
        reader: BufReader<File>,
        line_no: usize,
    },
    List(std::vec::IntoIter<Value>),
}

/// An open export file.
pub struct ExportReader {
    path: PathBuf,
    records: Records,
    on_bad: OnBadRecord,
    /// Records skipped as unreadable.
    pub skipped: u64,
    /// Records read so far, to number records of a JSON array in messages.
    read: u64,
}

fn file_err(path: &Path, msg: impl std::fmt::Display) -> FetchError {
    FetchError::File(format!("{}: {msg}", path.display()))
}

/// Opens `path`, working out which of the three shapes it has.
pub fn read_export(path: &Path, on_bad: OnBadRecord) -> Result<ExportReader, FetchError> {
    let file = File::open(path).map_err(|e| file_err(path, format!("cannot open: {e}")))?;
    // The first non-blank line decides: a whole JSON object that is not a
    // `{"tickets": ...}` wrapper means NDJSON, however long the line is.
    let mut reader = BufReader::new(file);
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).map_err(|e| file_err(path, e))? == 0
            || !line.trim().is_empty()
        {
            break;
        }
    }
    let first = line.bytes().find(|b| !b.is_ascii_whitespace());
    let first_line_complete =
        serde_json::from_str::<Value>(&line).is_ok_and(|v| v.get("tickets").is_none());
    let reopen = || File::open(path).map_err(|e| file_err(path, format!("cannot open: {e}")));
    let records = match first {
        None => Records::List(Vec::new().into_iter()),
        Some(b'{') if first_line_complete => Records::Lines {
            reader: BufReader::new(reopen()?),
            line_no: 0,
        },
        Some(b'[' | b'{') => {
            let v: Value = serde_json::from_reader(BufReader::new(reopen()?))
                .map_err(|e| file_err(path, format!("line {}: not valid JSON: {e}", e.line())))?;
            let list = match v {
                Value::Array(a) => a,
                Value::Object(mut o) => match o.remove("tickets") {
                    Some(Value::Array(a)) => a,
                    _ => {
                        return Err(file_err(
                            path,
                            "a JSON object here must be {\"tickets\": [...]}",
                        ))
                    }
                },
                _ => unreachable!("starts with [ or {{"),
            };
            Records::List(list.into_iter())
        }
        Some(_) => return Err(file_err(
            path,
            "not a Zendesk export: expected NDJSON tickets, a JSON array or {\"tickets\": [...]}",
        )),
    };
    Ok(ExportReader {
        path: path.to_path_buf(),
        records,
        on_bad,
        skipped: 0,
        read: 0,
    })
}

impl ExportReader {
    /// Up to `n` more tickets; an empty vector means the end of the file. A record
    /// with an id but a field of the wrong type becomes an item with `error` set.
    pub fn next_items(&mut self, n: usize) -> Result<Vec<WorkItem>, FetchError> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            self.read += 1;
            let (line_no, parsed) = match &mut self.records {
                Records::Lines { reader, line_no } => {
                    let mut line = String::new();
                    *line_no += 1;
                    let read = reader
                        .read_line(&mut line)
                        .map_err(|e| file_err(&self.path, e))?;
                    if read == 0 {
                        break;
                    }
                    if line.trim().is_empty() {
                        continue;
                    }
                    let parsed = serde_json::from_str::<Value>(&line)
                        .map_err(|e| format!("not valid JSON: {e}"));
                    (Some(*line_no), parsed.and_then(item_from_value))
                }
                Records::List(iter) => match iter.next() {
                    Some(v) => (None, item_from_value(v)),
                    None => break,
                },
            };
            match parsed {
                Ok(item) => out.push(item),
                Err(e) => {
                    let place = match line_no {
                        Some(l) => format!("{}:{l}", self.path.display()),
                        None => format!("{} (record {})", self.path.display(), self.read),
                    };
                    match self.on_bad {
                        OnBadRecord::Fail => {
                            return Err(FetchError::File(format!(
                                "{place}: {e} (set on_bad_record = \"skip\" in [fetch] to skip such records)"
                            )))
                        }
                        OnBadRecord::Skip => {
                            tracing::warn!("{place}: skipping a bad record: {e}");
                            self.skipped += 1;
                        }
                    }
                }
            }
        }
        Ok(out)
    }
}
