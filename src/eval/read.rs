//! Reading the two files: gold labels (one row per ticket, ids unique) and zdpipe's
//! output CSV (the last row of a repeated ticket wins).

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use super::{norm, CsvFile, EvalError};

/// What the output says about one ticket.
pub(super) struct Predicted {
    pub sentiment: Option<String>,
    pub score: Option<f64>,
    /// The analyzer's `confidence`, when the output has that column.
    pub confidence: Option<f64>,
    pub category: Option<String>,
    pub failed: bool,
}

/// One gold row.
pub(super) struct Gold {
    pub id: String,
    pub sentiment: Option<String>,
    pub rating: Option<f64>,
    pub category: Option<String>,
    /// `1` (a complaint) or `0`, normalized from `1`/`0`, `yes`/`no`, `true`/`false`.
    pub complaint: Option<String>,
}

/// Which gold columns the labels file has.
pub(super) struct GoldColumns {
    pub sentiment: bool,
    pub rating: bool,
    pub category: bool,
    pub complaint: bool,
}

type Reader = csv::Reader<std::fs::File>;

fn open(file: &CsvFile) -> Result<(Reader, csv::StringRecord), EvalError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(&file.path)
        .map_err(|e| EvalError::Open(file.clone(), e))?;
    let headers = reader
        .headers()
        .map_err(|e| EvalError::Header(file.clone(), e))?
        .clone();
    Ok((reader, headers))
}

fn column(headers: &csv::StringRecord, name: &str) -> Option<usize> {
    headers
        .iter()
        .position(|h| h.trim().trim_start_matches('\u{feff}') == name)
}

/// A complaint label as `1` or `0`, or an error naming the cell.
fn complaint(file: &CsvFile, value: &str, line: u64) -> Result<String, EvalError> {
    match value {
        "1" | "yes" | "true" => Ok("1".to_string()),
        "0" | "no" | "false" => Ok("0".to_string()),
        _ => Err(EvalError::BadComplaint {
            file: file.clone(),
            value: value.to_string(),
            line,
        }),
    }
}

/// A finite number, or an error naming the cell.
fn number(file: &CsvFile, value: &str, column: &'static str, line: u64) -> Result<f64, EvalError> {
    value
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| EvalError::BadNumber {
            file: file.clone(),
            value: value.to_string(),
            column,
            line,
        })
}

pub(super) fn read_gold(path: &Path) -> Result<(Vec<Gold>, GoldColumns), EvalError> {
    let file = CsvFile {
        role: "labels",
        path: path.to_path_buf(),
    };
    let (mut reader, headers) = open(&file)?;
    let Some(id_col) = column(&headers, "ticket_id") else {
        return Err(EvalError::MissingColumn(file, "ticket_id"));
    };
    let (s_col, r_col, c_col, k_col) = (
        column(&headers, "sentiment"),
        column(&headers, "rating"),
        column(&headers, "category"),
        column(&headers, "complaint"),
    );
    if s_col.is_none() && c_col.is_none() && k_col.is_none() {
        return Err(EvalError::NoGoldColumns(file));
    }
    let mut gold = Vec::new();
    let mut seen = BTreeSet::new();
    for row in reader.records() {
        let row = row.map_err(|e| EvalError::Row(file.clone(), e))?;
        let line = row.position().map_or(0, |p| p.line());
        let id = row.get(id_col).unwrap_or("").trim().to_string();
        if id.is_empty() {
            return Err(EvalError::EmptyTicketId(file, line));
        }
        if !seen.insert(id.clone()) {
            return Err(EvalError::DuplicateTicketId { file, id, line });
        }
        let text = |col: Option<usize>| {
            col.and_then(|c| row.get(c))
                .map(norm)
                .filter(|s| !s.is_empty())
        };
        let rating = match text(r_col) {
            Some(v) => Some(number(&file, &v, "rating", line)?),
            None => None,
        };
        let complaint = match text(k_col) {
            Some(v) => Some(complaint(&file, &v, line)?),
            None => None,
        };
        gold.push(Gold {
            id,
            sentiment: text(s_col),
            rating,
            category: text(c_col),
            complaint,
        });
    }
    let has = GoldColumns {
        sentiment: s_col.is_some(),
        rating: s_col.is_some() && r_col.is_some(),
        category: c_col.is_some(),
        complaint: k_col.is_some(),
    };
    Ok((gold, has))
}

pub(super) fn read_output(
    path: &Path,
    sentiment: bool,
    category: bool,
) -> Result<HashMap<String, Predicted>, EvalError> {
    let file = CsvFile {
        role: "output",
        path: path.to_path_buf(),
    };
    let (mut reader, headers) = open(&file)?;
    let required = |name: &'static str, needed: bool| match column(&headers, name) {
        None if needed => Err(EvalError::MissingColumn(file.clone(), name)),
        col => Ok(col),
    };
    let id_col = required("ticket_id", true)?;
    let s_col = required("sentiment", sentiment)?;
    let c_col = required("category", category)?;
    let score_col = column(&headers, "sentiment_score");
    let confidence_col = column(&headers, "confidence");
    let err_col = column(&headers, "error");
    let mut out = HashMap::new();
    for row in reader.records() {
        let row = row.map_err(|e| EvalError::Row(file.clone(), e))?;
        let line = row.position().map_or(0, |p| p.line());
        let cell = |col: Option<usize>| col.and_then(|c| row.get(c)).map(str::trim).unwrap_or("");
        let score = match cell(score_col) {
            "" => None,
            v => Some(number(&file, v, "sentiment_score", line)?),
        };
        let confidence = match cell(confidence_col) {
            "" => None,
            v => Some(number(&file, v, "confidence", line)?),
        };
        let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_string());
        out.insert(
            cell(id_col).to_string(),
            Predicted {
                sentiment: nonempty(cell(s_col)),
                score,
                confidence,
                category: nonempty(cell(c_col)),
                failed: !cell(err_col).is_empty(),
            },
        );
    }
    Ok(out)
}
