//! The CSV sink: one row per ticket in the design's column order.
//!
//! Rows go to `<path>.partial` beside the target (same folder, so the final rename is
//! atomic). `commit` flushes and fsyncs and reports the length written, which a
//! resumable run records with its checkpoint; a run resumed later truncates the
//! partial file to that length and appends. `finish` renames it over the target.
//!
//! A ticket can reach the writer twice in one run only when Zendesk's incremental
//! export returns a newer version while the run is going; the sink then rewrites
//! the file once at the end keeping the latest row of each ticket.
//!
//! The partial file is locked (`flock`) from before it is touched until the sink is
//! dropped: a second run writing the same path is refused at the start
//! ([`WriteError::InUse`]) instead of truncating or interleaving the first one's rows.
//!
//! Extra columns (`[[write]] fields` and `columns`) follow `error`, in the order the
//! run resolved them; each row's cells are the record's `columns`, by header.
//!
//! A partial file is continued only when its header is this run's columns:
//! [`CsvSink::can_continue`] lets a resuming run start over instead, and
//! [`CsvSink::create`] refuses to append to it ([`WriteError::OtherColumns`]).
//!
//! Reading a partial file back (the ticket ids on resume, the rows to keep) goes
//! through the `csv` reader one record at a time, so quoted cells with commas,
//! quotes and line breaks read as one cell, and memory holds ids, never the file.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::{Sink, WriteError};
use crate::model::{IdSet, ResultRecord, CSV_COLUMNS};

pub struct CsvSink {
    path: PathBuf,
    partial: PathBuf,
    out: ::csv::Writer<BufWriter<File>>,
    seen: IdSet,
    duplicates: bool,
    /// The headers after `error`.
    extra: Vec<String>,
    /// `exclude_deleted`: tickets reported deleted get no row (the results store
    /// still flags them, so reports drop them).
    skip_deleted: bool,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.display().to_string(),
        source,
    }
}

impl CsvSink {
    /// The partial file used while writing `path`.
    pub fn partial_path(path: &Path) -> PathBuf {
        let mut p = path.as_os_str().to_owned();
        p.push(".partial");
        PathBuf::from(p)
    }

    /// Whether the partial file of `path`, if there is one, can be continued by this
    /// version: it has the current columns. A run resuming a killed one asks first
    /// and starts over when not, instead of failing in [`CsvSink::create`].
    pub fn can_continue(path: &Path, extra: &[String]) -> bool {
        match File::open(Self::partial_path(path)) {
            Ok(file) => has_current_columns(&mut partial_reader(file), extra),
            Err(_) => true,
        }
    }

    /// Starts a new file, or continues a partial one from `resume_len` bytes (the
    /// length committed with the checkpoint being resumed), with no extra columns.
    pub fn create(path: &Path, resume_len: Option<u64>) -> Result<CsvSink, WriteError> {
        Self::with_columns(path, resume_len, &[])
    }

    /// [`CsvSink::create`] with `extra` columns after `error`.
    pub fn with_columns(
        path: &Path,
        resume_len: Option<u64>,
        extra: &[String],
    ) -> Result<CsvSink, WriteError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        let partial = Self::partial_path(path);
        let resumable = resume_len
            .filter(|len| std::fs::metadata(&partial).is_ok_and(|m| m.len() >= *len) && *len > 0);
        let (file, seen) = match resumable {
            Some(len) => resume(path, &partial, len, extra)?,
            None => (fresh(path, &partial)?, IdSet::new()),
        };
        let mut out = ::csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(BufWriter::with_capacity(256 * 1024, file));
        if resumable.is_none() {
            out.write_record(header(extra))
                .map_err(|source| WriteError::Csv {
                    path: partial.display().to_string(),
                    source,
                })?;
        }
        Ok(CsvSink {
            path: path.to_path_buf(),
            partial,
            out,
            seen,
            duplicates: false,
            extra: extra.to_vec(),
            skip_deleted: false,
        })
    }

    /// Writes no row for tickets reported deleted (`exclude_deleted = true`).
    pub fn skipping_deleted(mut self, skip: bool) -> CsvSink {
        self.skip_deleted = skip;
        self
    }

    fn csv_err(&self) -> impl Fn(::csv::Error) -> WriteError + '_ {
        move |source| WriteError::Csv {
            path: self.partial.display().to_string(),
            source,
        }
    }

    /// Rewrites the partial file keeping only the last row of each ticket: one pass
    /// finds each ticket's last row, a second copies those rows to a new file, which
    /// then replaces the partial one.
    fn keep_latest(&self) -> Result<(), WriteError> {
        let err = self.csv_err();
        let mut last: HashMap<u64, u64> = HashMap::new();
        let mut reader = partial_reader(File::open(&self.partial).map_err(io(&self.partial))?);
        let mut row = ::csv::ByteRecord::new();
        let mut index = 0;
        while reader.read_byte_record(&mut row).map_err(&err)? {
            if let Some(id) = ticket_id(&row) {
                last.insert(id, index);
            }
            index += 1;
        }
        let tmp = Self::partial_path(&self.partial);
        let mut reader = partial_reader(File::open(&self.partial).map_err(io(&self.partial))?);
        let mut out = ::csv::WriterBuilder::new()
            .has_headers(false)
            .from_path(&tmp)
            .map_err(&err)?;
        out.write_byte_record(reader.byte_headers().map_err(&err)?)
            .map_err(&err)?;
        let mut index = 0;
        while reader.read_byte_record(&mut row).map_err(&err)? {
            if ticket_id(&row).is_none_or(|id| last.get(&id) == Some(&index)) {
                out.write_byte_record(&row).map_err(&err)?;
            }
            index += 1;
        }
        out.flush().map_err(io(&tmp))?;
        drop(out);
        std::fs::rename(&tmp, &self.partial).map_err(io(&self.partial))
    }
}

/// A reader of the partial CSV: a header row, then one record per ticket (records
/// of another width are read as they are rather than refused).
fn partial_reader(file: File) -> ::csv::Reader<File> {
    ::csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(file)
}

/// The header row: [`CSV_COLUMNS`], then the extra columns.
fn header(extra: &[String]) -> impl Iterator<Item = &str> {
    CSV_COLUMNS
        .iter()
        .copied()
        .chain(extra.iter().map(String::as_str))
}

/// Whether the file's header is this run's: [`CSV_COLUMNS`] and `extra`. A partial file of an
/// older version (before the `language` column, say) is not: rows of the new width
/// appended under its header would shift every column after the new one.
fn has_current_columns(reader: &mut ::csv::Reader<File>, extra: &[String]) -> bool {
    reader
        .byte_headers()
        .is_ok_and(|h| h.iter().eq(header(extra).map(str::as_bytes)))
}

/// The ticket id in a row's first cell.
fn ticket_id(row: &::csv::ByteRecord) -> Option<u64> {
    std::str::from_utf8(row.get(0)?).ok()?.parse().ok()
}

/// Locks the partial file of `target` for this run; another run holding it means
/// two pipelines write the same path.
fn claim(file: &File, target: &Path, partial: &Path) -> Result<(), WriteError> {
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(std::fs::TryLockError::WouldBlock) => Err(WriteError::InUse {
            path: target.display().to_string(),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(io(partial)(e)),
    }
}

/// An empty partial file, locked before it is emptied.
fn fresh(target: &Path, partial: &Path) -> Result<File, WriteError> {
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(partial)
        .map_err(io(partial))?;
    claim(&file, target, partial)?;
    // Only a regular file can be emptied (a device or a pipe is written as it is).
    if file.metadata().is_ok_and(|m| m.is_file()) {
        file.set_len(0).map_err(io(partial))?;
    }
    Ok(file)
}

/// Opens the partial file of an interrupted run cut back to `len` (the length
/// committed with its checkpoint), positioned at the end for appending, with the
/// ids of the tickets already in it.
fn resume(
    target: &Path,
    partial: &Path,
    len: u64,
    extra: &[String],
) -> Result<(File, IdSet), WriteError> {
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(partial)
        .map_err(io(partial))?;
    claim(&file, target, partial)?;
    // The header is checked before anything is cut: a file of other columns is left
    // exactly as it was.
    if !has_current_columns(
        &mut partial_reader(file.try_clone().map_err(io(partial))?),
        extra,
    ) {
        return Err(WriteError::OtherColumns {
            path: partial.display().to_string(),
        });
    }
    file.set_len(len).map_err(io(partial))?;
    file.seek(SeekFrom::Start(0)).map_err(io(partial))?;
    let mut seen = IdSet::new();
    let mut reader = partial_reader(file.try_clone().map_err(io(partial))?);
    let mut row = ::csv::ByteRecord::new();
    while reader
        .read_byte_record(&mut row)
        .map_err(|source| WriteError::Csv {
            path: partial.display().to_string(),
            source,
        })?
    {
        seen.extend(ticket_id(&row));
    }
    file.seek(SeekFrom::End(0)).map_err(io(partial))?;
    Ok((file, seen))
}

impl Sink for CsvSink {
    fn write(&mut self, records: &[ResultRecord]) -> Result<(), WriteError> {
        for r in records.iter().filter(|r| !(self.skip_deleted && r.deleted)) {
            if !self.seen.insert(r.ticket_id) {
                self.duplicates = true;
            }
            r.write_csv(&mut self.out, &self.extra)
                .map_err(|source| WriteError::Csv {
                    path: self.partial.display().to_string(),
                    source,
                })?;
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<Option<u64>, WriteError> {
        self.out.flush().map_err(io(&self.partial))?;
        let file = self.out.get_ref().get_ref();
        file.sync_data().map_err(io(&self.partial))?;
        let len = file.metadata().map_err(io(&self.partial))?.len();
        Ok(Some(len))
    }

    fn finish(mut self: Box<Self>) -> Result<(), WriteError> {
        self.commit()?;
        if self.duplicates {
            self.keep_latest()?;
        }
        std::fs::rename(&self.partial, &self.path).map_err(io(&self.path))?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }

    fn abort(self: Box<Self>) {
        let partial = self.partial.clone();
        drop(self);
        let _ = std::fs::remove_file(partial);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Ticket;

    /// A subject that breaks any line-and-comma reading of the file: commas, quotes,
    /// CR/LF, and a continuation line that starts like a row of ticket 99.
    const AWKWARD: &str = "Disk, \"RAID\" failed\r\n99,\"again\" on host-3\nlast, line";

    fn record(id: u64, subject: &str) -> ResultRecord {
        let ticket = Ticket {
            id,
            subject: Some(subject.to_string()),
            ..Ticket::default()
        };
        ResultRecord::from_parts(&ticket, None, "builtin", "2026-01-02T03:04:05Z", None)
    }

    fn rows(range: std::ops::RangeInclusive<u64>) -> Vec<ResultRecord> {
        range
            .map(|id| record(id, if id % 3 == 0 { AWKWARD } else { "plain" }))
            .collect()
    }

    /// Writes `batches` in one go and returns the finished file's bytes.
    fn uninterrupted(dir: &Path, batches: &[Vec<ResultRecord>]) -> Vec<u8> {
        let path = dir.join("whole.csv");
        let mut sink = Box::new(CsvSink::create(&path, None).unwrap());
        for b in batches {
            sink.write(b).unwrap();
            sink.commit().unwrap();
        }
        sink.finish().unwrap();
        std::fs::read(&path).unwrap()
    }

    #[test]
    fn a_resumed_file_is_byte_for_byte_the_uninterrupted_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        let (first, lost, rest) = (rows(1..=10), rows(11..=15), rows(11..=20));
        // The run dies after committing `first` and writing `lost` uncommitted.
        let mut sink = CsvSink::create(&path, None).unwrap();
        sink.write(&first).unwrap();
        let committed = sink.commit().unwrap();
        sink.write(&lost).unwrap();
        sink.commit().unwrap();
        drop(sink);

        let mut sink = Box::new(CsvSink::create(&path, committed).unwrap());
        assert_eq!(sink.seen, (1..=10).collect(), "ids read back, one per row");
        sink.write(&rest).unwrap();
        sink.finish().unwrap();
        assert_eq!(
            std::fs::read(&path).unwrap(),
            uninterrupted(dir.path(), &[first, rest])
        );
    }

    #[test]
    fn a_partial_file_with_other_columns_is_not_continued() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        let partial = CsvSink::partial_path(&path);
        // What the version before the `language` column wrote.
        let old_header: Vec<&str> = CSV_COLUMNS
            .iter()
            .copied()
            .filter(|c| *c != "language")
            .collect();
        let old = format!("{}\n1,,plain\n", old_header.join(","));
        std::fs::write(&partial, &old).unwrap();
        assert!(!CsvSink::can_continue(&path, &[]));
        let err = CsvSink::create(&path, Some(old.len() as u64))
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("out.csv.partial") && err.contains("columns"),
            "{err}"
        );
        assert_eq!(
            std::fs::read_to_string(&partial).unwrap(),
            old,
            "left as it was"
        );

        let mut sink = CsvSink::create(&path, None).unwrap();
        sink.write(&rows(1..=2)).unwrap();
        sink.commit().unwrap();
        drop(sink);
        assert!(CsvSink::can_continue(&path, &[]));
        let group = ["group".to_string()];
        assert!(
            !CsvSink::can_continue(&path, &group),
            "a run with other extra columns starts over"
        );
        assert!(CsvSink::can_continue(&dir.path().join("none.csv"), &[]));
    }

    #[test]
    fn keep_latest_keeps_each_tickets_last_row_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        let newer = vec![record(3, "newer, \"3\"\r\nrow"), record(21, AWKWARD)];
        let mut sink = Box::new(CsvSink::create(&path, None).unwrap());
        sink.write(&rows(1..=20)).unwrap();
        sink.write(&newer).unwrap();
        sink.finish().unwrap();

        let mut expected = rows(1..=20);
        expected.remove(2);
        expected.extend(newer);
        assert_eq!(
            std::fs::read(&path).unwrap(),
            uninterrupted(dir.path(), &[expected])
        );
    }
}
