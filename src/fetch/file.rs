//! Reads a Zendesk JSON export from disk: NDJSON (one ticket per line), a JSON array
//! of tickets, or an object `{"tickets": [...]}`.
//!
//! NDJSON is streamed line by line so a large export needs little memory; the other
//! two shapes are parsed whole. A record that is not a ticket is reported with its
//! line number and either skipped (`on_bad_record = "skip"`) or fatal (`"fail"`).
//!
//! One NDJSON line is held in memory up to [`MAX_RECORD_BYTES`]: a longer one is read
//! past, not kept, and becomes an error row naming its size (its id is taken from its
//! first bytes; without one it is a bad record). Bytes that are not UTF-8 are read as
//! U+FFFD, so one bad byte in a description does not cost the ticket.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::source::{item_from_value, WorkItem};
use super::{FetchError, OnBadRecord};

/// The longest NDJSON line read: a ticket with a 5 MB description and its fields
/// fits many times over; anything longer is an error row.
pub const MAX_RECORD_BYTES: usize = 16 * 1024 * 1024;

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
    let mut line = Vec::new();
    let mut length = None;
    while line.trim_ascii().is_empty() {
        length = read_capped(&mut reader, &mut line).map_err(|e| file_err(path, e))?;
        if length.is_none() {
            break;
        }
    }
    let first = line.iter().copied().find(|b| !b.is_ascii_whitespace());
    // A first line too long to parse is NDJSON unless it opens a wrapper object.
    let first_line_complete = match length {
        Some(n) if n > MAX_RECORD_BYTES as u64 => {
            let after_brace = line.trim_ascii().get(1..).unwrap_or_default();
            !after_brace.trim_ascii_start().starts_with(b"\"tickets\"")
        }
        _ => serde_json::from_str::<Value>(&String::from_utf8_lossy(&line))
            .is_ok_and(|v| v.get("tickets").is_none()),
    };
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
                    let mut line = Vec::new();
                    *line_no += 1;
                    let Some(length) =
                        read_capped(reader, &mut line).map_err(|e| file_err(&self.path, e))?
                    else {
                        break;
                    };
                    if length > MAX_RECORD_BYTES as u64 {
                        (Some(*line_no), oversized(&line, length))
                    } else {
                        let text = String::from_utf8_lossy(&line);
                        if text.trim().is_empty() {
                            continue;
                        }
                        let parsed = serde_json::from_str::<Value>(&text)
                            .map_err(|e| format!("not valid JSON: {e}"));
                        (Some(*line_no), parsed.and_then(item_from_value))
                    }
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

/// Reads one line into `line`, keeping at most [`MAX_RECORD_BYTES`] + 1 bytes of it;
/// returns its whole length, or `None` at the end of the file.
fn read_capped(reader: &mut impl BufRead, line: &mut Vec<u8>) -> std::io::Result<Option<u64>> {
    line.clear();
    let mut length = 0u64;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok((length > 0).then_some(length));
        }
        let (taken, ends) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        let room = (MAX_RECORD_BYTES + 1).saturating_sub(line.len());
        line.extend_from_slice(&buf[..taken.min(room)]);
        length += taken as u64;
        reader.consume(taken);
        if ends {
            return Ok(Some(length));
        }
    }
}

/// A line over [`MAX_RECORD_BYTES`]: an error row when its first bytes name the
/// ticket, a bad record otherwise.
fn oversized(head: &[u8], length: u64) -> Result<WorkItem, String> {
    let reason = format!(
        "a record of {length} bytes, over the {} MiB limit of one record; not read",
        MAX_RECORD_BYTES / (1024 * 1024)
    );
    match leading_id(head) {
        Some(id) => Ok(WorkItem {
            ticket: crate::model::Ticket {
                id,
                ..Default::default()
            },
            error: Some(reason),
            ..WorkItem::default()
        }),
        None => Err(format!("{reason} (no ticket id in its first bytes)")),
    }
}

/// The top-level `"id"` of a JSON object, from its first bytes only: strings are
/// skipped whole (escapes included) and nesting is counted, so an `"id"` inside a
/// nested object or a string value is not taken for the ticket's.
fn leading_id(head: &[u8]) -> Option<u64> {
    let mut depth = 0usize;
    let mut i = 0;
    while i < head.len() {
        match head[i] {
            b'"' => {
                let end = string_end(head, i + 1)?;
                let rest = head[end + 1..].trim_ascii_start();
                if depth == 1 && &head[i + 1..end] == b"id" && rest.first() == Some(&b':') {
                    let value = rest[1..].trim_ascii_start();
                    let digits = value.iter().take_while(|b| b.is_ascii_digit()).count();
                    return std::str::from_utf8(&value[..digits]).ok()?.parse().ok();
                }
                i = end;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The index of the quote that closes a JSON string whose text starts at `from`.
fn string_end(s: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i < s.len() {
        match s[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_leading_id_is_the_top_level_one() {
        assert_eq!(
            leading_id(br#"{"url": "x", "id": 42, "subject": "y"#),
            Some(42)
        );
        assert_eq!(
            leading_id(br#"{"via": {"id": 7}, "subject": "id", "note": "\"id\": 9", "id" : 8"#),
            Some(8)
        );
        assert_eq!(leading_id(br#"{"subject": "no id yet"#), None);
        assert_eq!(leading_id(br#"{"id": "12"}"#), None);
    }

    #[test]
    fn a_long_line_is_measured_but_not_kept() {
        let text = format!("{}\nnext\n", "x".repeat(MAX_RECORD_BYTES + 100));
        let mut reader = std::io::BufReader::new(text.as_bytes());
        let mut line = Vec::new();
        let length = read_capped(&mut reader, &mut line).unwrap();
        assert_eq!(length, Some(MAX_RECORD_BYTES as u64 + 101));
        assert_eq!(line.len(), MAX_RECORD_BYTES + 1);
        assert_eq!(read_capped(&mut reader, &mut line).unwrap(), Some(5));
        assert_eq!(line, b"next\n");
        assert_eq!(read_capped(&mut reader, &mut line).unwrap(), None);
    }
}
