//! Evaluation: scores an output CSV against a file of gold labels (`zdpipe eval`).
//!
//! The files are joined on `ticket_id`; every gold row is scored. A gold ticket that is
//! missing from the output is predicted `<missing>`, one whose output `error` is not
//! empty is predicted `<error>`; both count as wrong and show as confusion-matrix
//! columns. Metrics follow scikit-learn's `classification_report` with
//! `labels = gold ∪ predicted` and `zero_division = 0`, except that the two
//! pseudo-labels are not classes: they lower the recall of the gold class they stand
//! in for but get no per-class row and no weight in macro averages.
//!
//! An output row with an empty label cell (and no error) is also predicted `<missing>`.
//! Labels are compared trimmed and lowercased. Gold rows with an empty label are not
//! scored for that field. If the output repeats a ticket, its last row wins (appended
//! runs); a repeated ticket in the gold file is an error.
//!
//! **Complaint.** When the labels file has a `complaint` column (`1`/`0`), the
//! output's sentiment is scored as a complaint detector: predicted `1` when the
//! sentiment is `negative`, else `0`; it is reported like the other fields.
//!
//! **Calibration.** When the output has a `confidence` column, the sentiment field
//! gets a calibration table ([`calibrate`]): accuracy and count per confidence band
//! of 0.1, the expected calibration error (ECE), and the share and accuracy of the
//! tickets with `confidence >= 0.8`.
//!
//! `read.rs` reads both files, `score.rs` computes the metrics, `calibrate.rs` the
//! calibration, `render.rs` prints them.

mod calibrate;
mod read;
mod render;
mod score;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use calibrate::{Band, Calibration};
pub use render::render_text;

use calibrate::calibrate;
use read::{read_gold, read_output, Gold, Predicted};
use score::{pearson, score};

const MISSING: &str = "<missing>";
const ERROR: &str = "<error>";

/// The scores of one output file against one labels file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    pub output: String,
    pub labels: String,
    /// Rows in the labels file.
    pub gold_rows: u64,
    /// Distinct tickets in the output file.
    pub output_rows: u64,
    /// Gold tickets absent from the output.
    pub missing: u64,
    /// Gold tickets whose output row has an error.
    pub errors: u64,
    pub sentiment: Option<FieldEval>,
    pub category: Option<FieldEval>,
    /// When the labels file has a `complaint` column: gold `1`/`0` against
    /// predicted negative sentiment.
    pub complaint: Option<FieldEval>,
}

/// Classification scores for one gold column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldEval {
    pub field: String,
    /// Gold rows with a label for this field.
    pub n: u64,
    pub correct: u64,
    pub accuracy: f64,
    pub weighted_precision: f64,
    pub weighted_recall: f64,
    pub weighted_f1: f64,
    pub macro_f1: f64,
    /// Mean recall over the classes the gold labels hold (TweetEval's metric).
    pub macro_recall: f64,
    /// Sorted by label.
    pub classes: Vec<ClassScores>,
    pub confusion: Confusion,
    /// Sentiment only, when the labels file has a `rating` column.
    pub pearson: Option<Pearson>,
    /// Sentiment only, when the output has a `confidence` column.
    pub calibration: Option<Calibration>,
}

/// Precision, recall and F1 of one class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassScores {
    pub label: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Gold rows of this class.
    pub support: u64,
    /// Rows predicted as this class.
    pub predicted: u64,
}

/// Gold labels as rows, predicted labels (pseudo-labels last) as columns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Confusion {
    pub gold: Vec<String>,
    pub predicted: Vec<String>,
    pub counts: Vec<Vec<u64>>,
}

/// Pearson correlation of output `sentiment_score` with gold `rating`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pearson {
    /// `None` with fewer than two pairs or no variance.
    pub r: Option<f64>,
    /// Rows with both a score and a rating.
    pub n: u64,
}

/// Scores `output_csv` (zdpipe's per-ticket CSV) against `labels_csv`.
pub fn evaluate(output_csv: &Path, labels_csv: &Path) -> Result<EvalReport, EvalError> {
    let (gold, has) = read_gold(labels_csv)?;
    let predicted = read_output(output_csv, has.sentiment || has.complaint, has.category)?;
    let mut missing = 0;
    let mut errors = 0;
    for g in &gold {
        match predicted.get(&g.id) {
            None => missing += 1,
            Some(p) if p.failed => errors += 1,
            Some(_) => {}
        }
    }
    let join = Join {
        gold: &gold,
        predicted: &predicted,
    };
    let sentiment = has.sentiment.then(|| {
        let pairs = join.pairs(|g| g.sentiment.as_ref(), |p| p.sentiment.clone());
        let mut eval = score("sentiment", &pairs);
        if has.rating {
            eval.pearson = Some(join.pearson());
        }
        eval.calibration = calibrate(&join.confidences());
        eval
    });
    let category = has.category.then(|| {
        score(
            "category",
            &join.pairs(|g| g.category.as_ref(), |p| p.category.clone()),
        )
    });
    let complaint = has.complaint.then(|| {
        let negative = |p: &Predicted| {
            let label = norm(p.sentiment.as_deref()?);
            Some(if label == "negative" { "1" } else { "0" }.to_string())
        };
        score("complaint", &join.pairs(|g| g.complaint.as_ref(), negative))
    });
    Ok(EvalReport {
        output: output_csv.display().to_string(),
        labels: labels_csv.display().to_string(),
        gold_rows: gold.len() as u64,
        output_rows: predicted.len() as u64,
        missing,
        errors,
        sentiment,
        category,
        complaint,
    })
}

/// The gold rows next to the output's rows, joined on `ticket_id`.
struct Join<'a> {
    gold: &'a [Gold],
    predicted: &'a HashMap<String, Predicted>,
}

impl Join<'_> {
    /// (gold, predicted) label pairs of the gold rows that have a `label`; the
    /// prediction is `<missing>` or `<error>` where the output has none.
    fn pairs(
        &self,
        label: fn(&Gold) -> Option<&String>,
        pick: impl Fn(&Predicted) -> Option<String>,
    ) -> Vec<(String, String)> {
        self.gold
            .iter()
            .filter_map(|g| {
                let gold = label(g)?.clone();
                let predicted = match self.predicted.get(&g.id) {
                    None => MISSING.to_string(),
                    Some(p) if p.failed => ERROR.to_string(),
                    Some(p) => pick(p).map_or_else(|| MISSING.to_string(), |s| norm(&s)),
                };
                Some((gold, predicted))
            })
            .collect()
    }

    /// Pearson's r of the output's `sentiment_score` and the gold `rating`.
    fn pearson(&self) -> Pearson {
        let xy: Vec<(f64, f64)> = self
            .gold
            .iter()
            .filter_map(|g| {
                let p = self.predicted.get(&g.id).filter(|p| !p.failed)?;
                Some((p.score?, g.rating?))
            })
            .collect();
        Pearson {
            r: pearson(&xy),
            n: xy.len() as u64,
        }
    }

    /// (confidence, sentiment was right) of the labeled tickets that have both.
    fn confidences(&self) -> Vec<(f64, bool)> {
        self.gold
            .iter()
            .filter_map(|g| {
                let gold = g.sentiment.as_ref()?;
                let p = self.predicted.get(&g.id).filter(|p| !p.failed)?;
                let right = p.sentiment.as_deref().map(norm).as_ref() == Some(gold);
                Some((p.confidence?, right))
            })
            .collect()
    }
}

/// Labels are compared trimmed and lowercased.
fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

/// One of the two input files, as messages name it: `labels file gold.csv`.
#[derive(Debug, Clone)]
pub struct CsvFile {
    /// `labels` or `output`.
    pub role: &'static str,
    pub path: PathBuf,
}

impl fmt::Display for CsvFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} file {}", self.role, self.path.display())
    }
}

/// Why a pair of files could not be scored; every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("cannot open {0}: {1}")]
    Open(CsvFile, csv::Error),
    #[error("{0}: cannot read the header: {1}")]
    Header(CsvFile, csv::Error),
    #[error("{0}: unreadable row: {1}")]
    Row(CsvFile, csv::Error),
    #[error("{0}: missing {1} column")]
    MissingColumn(CsvFile, &'static str),
    #[error("{0}: no gold columns (expected sentiment, category and/or complaint)")]
    NoGoldColumns(CsvFile),
    #[error("{0}: empty ticket_id at line {1}")]
    EmptyTicketId(CsvFile, u64),
    #[error("{file}: duplicate ticket_id {id} at line {line}")]
    DuplicateTicketId {
        file: CsvFile,
        id: String,
        line: u64,
    },
    #[error("{file}: bad complaint label {value:?} at line {line} (expected 1 or 0)")]
    BadComplaint {
        file: CsvFile,
        value: String,
        line: u64,
    },
    #[error("{file}: bad number {value:?} in {column} at line {line}")]
    BadNumber {
        file: CsvFile,
        value: String,
        column: &'static str,
        line: u64,
    },
}
