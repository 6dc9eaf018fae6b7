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

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::{Sink, WriteError};
use crate::model::{ResultRecord, CSV_COLUMNS};

pub struct CsvSink {
    path: PathBuf,
    partial: PathBuf,
    out: ::csv::Writer<BufWriter<File>>,
    seen: HashSet<u64>,
    duplicates: bool,
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

    /// Starts a new file, or continues a partial one from `resume_len` bytes (the
    /// length committed with the checkpoint being resumed).
    pub fn create(path: &Path, resume_len: Option<u64>) -> Result<CsvSink, WriteError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        let partial = Self::partial_path(path);
        let mut seen = HashSet::new();
        let resumable = resume_len
            .filter(|len| std::fs::metadata(&partial).is_ok_and(|m| m.len() >= *len) && *len > 0);
        let file = match resumable {
            Some(len) => {
                let mut f = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(&partial)
                    .map_err(io(&partial))?;
                f.set_len(len).map_err(io(&partial))?;
                f.seek(SeekFrom::Start(0)).map_err(io(&partial))?;
                for line in BufReader::new(&f).lines().skip(1) {
                    let line = line.map_err(io(&partial))?;
                    if let Some(id) = line.split(',').next().and_then(|c| c.parse().ok()) {
                        seen.insert(id);
                    }
                }
                f.seek(SeekFrom::End(0)).map_err(io(&partial))?;
                f
            }
            None => File::create(&partial).map_err(io(&partial))?,
        };
        let mut out = ::csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(BufWriter::with_capacity(256 * 1024, file));
        if resumable.is_none() {
            out.write_record(CSV_COLUMNS)
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
        })
    }

    fn csv_err(&self) -> impl Fn(::csv::Error) -> WriteError + '_ {
        move |source| WriteError::Csv {
            path: self.partial.display().to_string(),
            source,
        }
    }

    /// Rewrites the partial file keeping only the last row of each ticket.
    fn keep_latest(&self) -> Result<(), WriteError> {
        let mut reader = ::csv::Reader::from_path(&self.partial).map_err(self.csv_err())?;
        let rows: Vec<::csv::StringRecord> = reader
            .records()
            .collect::<Result<_, _>>()
            .map_err(self.csv_err())?;
        let mut last = std::collections::HashMap::new();
        for (i, r) in rows.iter().enumerate() {
            last.insert(r.get(0).unwrap_or("").to_string(), i);
        }
        let tmp = Self::partial_path(&self.partial);
        let mut w = ::csv::Writer::from_path(&tmp).map_err(self.csv_err())?;
        w.write_record(CSV_COLUMNS).map_err(self.csv_err())?;
        for (i, r) in rows.iter().enumerate() {
            if last.get(r.get(0).unwrap_or("")) == Some(&i) {
                w.write_record(r).map_err(self.csv_err())?;
            }
        }
        w.flush().map_err(io(&tmp))?;
        std::fs::rename(&tmp, &self.partial).map_err(io(&self.partial))
    }
}

impl Sink for CsvSink {
    fn write(&mut self, records: &[ResultRecord]) -> Result<(), WriteError> {
        for r in records {
            if !self.seen.insert(r.ticket_id) {
                self.duplicates = true;
            }
            let cells = r.to_row().cells();
            self.out
                .write_record(&cells)
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
