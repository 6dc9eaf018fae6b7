//! `zdpipe eval`: scores an output CSV against a file of gold labels.
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

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Serialize;

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
    /// Sorted by label.
    pub classes: Vec<ClassScores>,
    pub confusion: Confusion,
    /// Sentiment only, when the labels file has a `rating` column.
    pub pearson: Option<Pearson>,
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

/// What the output says about one ticket.
struct Predicted {
    sentiment: Option<String>,
    score: Option<f64>,
    category: Option<String>,
    failed: bool,
}

/// One gold row.
struct Gold {
    id: String,
    sentiment: Option<String>,
    rating: Option<f64>,
    category: Option<String>,
}

/// Scores `output_csv` (zdpipe's per-ticket CSV) against `labels_csv`.
pub fn evaluate(output_csv: &Path, labels_csv: &Path) -> Result<EvalReport> {
    let (gold, has) = read_gold(labels_csv)?;
    let predicted = read_output(output_csv, has.sentiment, has.category)?;
    let mut missing = 0;
    let mut errors = 0;
    for g in &gold {
        match predicted.get(&g.id) {
            None => missing += 1,
            Some(p) if p.failed => errors += 1,
            Some(_) => {}
        }
    }
    let predicted_label = |g: &Gold, pick: fn(&Predicted) -> Option<&String>| -> String {
        match predicted.get(&g.id) {
            None => MISSING.to_string(),
            Some(p) if p.failed => ERROR.to_string(),
            Some(p) => pick(p).map_or_else(|| MISSING.to_string(), |s| norm(s)),
        }
    };
    let sentiment = has.sentiment.then(|| {
        let pairs: Vec<(String, String)> = gold
            .iter()
            .filter_map(|g| {
                let label = g.sentiment.as_ref()?;
                Some((label.clone(), predicted_label(g, |p| p.sentiment.as_ref())))
            })
            .collect();
        let mut eval = score("sentiment", &pairs);
        if has.rating {
            let xy: Vec<(f64, f64)> = gold
                .iter()
                .filter_map(|g| {
                    let p = predicted.get(&g.id).filter(|p| !p.failed)?;
                    Some((p.score?, g.rating?))
                })
                .collect();
            eval.pearson = Some(Pearson {
                r: pearson(&xy),
                n: xy.len() as u64,
            });
        }
        eval
    });
    let category = has.category.then(|| {
        let pairs: Vec<(String, String)> = gold
            .iter()
            .filter_map(|g| {
                let label = g.category.as_ref()?;
                Some((label.clone(), predicted_label(g, |p| p.category.as_ref())))
            })
            .collect();
        score("category", &pairs)
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
    })
}

fn norm(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Which gold columns the labels file has.
struct GoldColumns {
    sentiment: bool,
    rating: bool,
    category: bool,
}

fn open(path: &Path, what: &str) -> Result<(csv::Reader<std::fs::File>, csv::StringRecord)> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .with_context(|| format!("cannot open {what} file {}", path.display()))?;
    let headers = reader
        .headers()
        .with_context(|| format!("{what} file {}: cannot read the header", path.display()))?
        .clone();
    Ok((reader, headers))
}

fn column(headers: &csv::StringRecord, name: &str) -> Option<usize> {
    headers
        .iter()
        .position(|h| h.trim().trim_start_matches('\u{feff}') == name)
}

fn read_gold(path: &Path) -> Result<(Vec<Gold>, GoldColumns)> {
    let shown = path.display();
    let (mut reader, headers) = open(path, "labels")?;
    let Some(id_col) = column(&headers, "ticket_id") else {
        bail!("labels file {shown}: missing ticket_id column");
    };
    let (s_col, r_col, c_col) = (
        column(&headers, "sentiment"),
        column(&headers, "rating"),
        column(&headers, "category"),
    );
    if s_col.is_none() && c_col.is_none() {
        bail!("labels file {shown}: no gold columns (expected sentiment and/or category)");
    }
    let mut gold = Vec::new();
    let mut seen = BTreeSet::new();
    for row in reader.records() {
        let row = row.with_context(|| format!("labels file {shown}: unreadable row"))?;
        let line = row.position().map_or(0, |p| p.line());
        let id = row.get(id_col).unwrap_or("").trim().to_string();
        if id.is_empty() {
            bail!("labels file {shown}: empty ticket_id at line {line}");
        }
        if !seen.insert(id.clone()) {
            bail!("labels file {shown}: duplicate ticket_id {id} at line {line}");
        }
        let text = |col: Option<usize>| {
            col.and_then(|c| row.get(c))
                .map(norm)
                .filter(|s| !s.is_empty())
        };
        let rating = match text(r_col) {
            Some(v) => Some(
                v.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .with_context(|| {
                        format!("labels file {shown}: bad number {v:?} in rating at line {line}")
                    })?,
            ),
            None => None,
        };
        gold.push(Gold {
            id,
            sentiment: text(s_col),
            rating,
            category: text(c_col),
        });
    }
    let has = GoldColumns {
        sentiment: s_col.is_some(),
        rating: s_col.is_some() && r_col.is_some(),
        category: c_col.is_some(),
    };
    Ok((gold, has))
}

fn read_output(path: &Path, sentiment: bool, category: bool) -> Result<HashMap<String, Predicted>> {
    let shown = path.display();
    let (mut reader, headers) = open(path, "output")?;
    let Some(id_col) = column(&headers, "ticket_id") else {
        bail!("output file {shown}: missing ticket_id column");
    };
    let required = |name: &str, needed: bool| -> Result<Option<usize>> {
        match column(&headers, name) {
            None if needed => bail!("output file {shown}: missing {name} column"),
            col => Ok(col),
        }
    };
    let s_col = required("sentiment", sentiment)?;
    let c_col = required("category", category)?;
    let score_col = column(&headers, "sentiment_score");
    let err_col = column(&headers, "error");
    let mut out = HashMap::new();
    for row in reader.records() {
        let row = row.with_context(|| format!("output file {shown}: unreadable row"))?;
        let line = row.position().map_or(0, |p| p.line());
        let cell = |col: Option<usize>| col.and_then(|c| row.get(c)).map(str::trim).unwrap_or("");
        let score = match cell(score_col) {
            "" => None,
            v => Some(v.parse::<f64>().ok().filter(|x| x.is_finite()).with_context(|| {
                format!("output file {shown}: bad number {v:?} in sentiment_score at line {line}")
            })?),
        };
        let id = cell(Some(id_col)).to_string();
        let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_string());
        out.insert(
            id,
            Predicted {
                sentiment: nonempty(cell(s_col)),
                score,
                category: nonempty(cell(c_col)),
                failed: !cell(err_col).is_empty(),
            },
        );
    }
    Ok(out)
}

/// Scores (gold, predicted) label pairs.
fn score(field: &str, pairs: &[(String, String)]) -> FieldEval {
    let pseudo = |l: &str| l == MISSING || l == ERROR;
    let mut classes: BTreeSet<&str> = BTreeSet::new();
    let mut extra: BTreeSet<&str> = BTreeSet::new();
    let mut cells: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for (g, p) in pairs {
        classes.insert(g);
        if pseudo(p) {
            extra.insert(p);
        } else {
            classes.insert(p);
        }
        *cells.entry((g.as_str(), p.as_str())).or_default() += 1;
    }
    let n = pairs.len() as u64;
    let correct: u64 = pairs.iter().filter(|(g, p)| g == p).count() as u64;
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let scores: Vec<ClassScores> = classes
        .iter()
        .map(|&c| {
            let tp = cells.get(&(c, c)).copied().unwrap_or(0);
            let support: u64 = cells
                .iter()
                .filter(|((g, _), _)| *g == c)
                .map(|(_, v)| v)
                .sum();
            let predicted: u64 = cells
                .iter()
                .filter(|((_, p), _)| *p == c)
                .map(|(_, v)| v)
                .sum();
            let (precision, recall) = (ratio(tp, predicted), ratio(tp, support));
            let f1 = if precision + recall == 0.0 {
                0.0
            } else {
                2.0 * precision * recall / (precision + recall)
            };
            ClassScores {
                label: c.to_string(),
                precision,
                recall,
                f1,
                support,
                predicted,
            }
        })
        .collect();
    let weighted = |f: fn(&ClassScores) -> f64| {
        let total: u64 = scores.iter().map(|c| c.support).sum();
        if total == 0 {
            0.0
        } else {
            scores.iter().map(|c| f(c) * c.support as f64).sum::<f64>() / total as f64
        }
    };
    let macro_f1 = if scores.is_empty() {
        0.0
    } else {
        scores.iter().map(|c| c.f1).sum::<f64>() / scores.len() as f64
    };
    let gold: Vec<String> = classes.iter().map(|s| s.to_string()).collect();
    let predicted: Vec<String> = classes
        .iter()
        .chain(&extra)
        .map(|s| s.to_string())
        .collect();
    let counts = gold
        .iter()
        .map(|g| {
            predicted
                .iter()
                .map(|p| cells.get(&(g.as_str(), p.as_str())).copied().unwrap_or(0))
                .collect()
        })
        .collect();
    FieldEval {
        field: field.to_string(),
        n,
        correct,
        accuracy: ratio(correct, n),
        weighted_precision: weighted(|c| c.precision),
        weighted_recall: weighted(|c| c.recall),
        weighted_f1: weighted(|c| c.f1),
        macro_f1,
        classes: scores,
        confusion: Confusion {
            gold,
            predicted,
            counts,
        },
        pearson: None,
    }
}

fn pearson(xy: &[(f64, f64)]) -> Option<f64> {
    if xy.len() < 2 {
        return None;
    }
    let n = xy.len() as f64;
    let (mx, my) = xy
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in xy {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

/// A terminal-friendly summary of an [`EvalReport`].
pub fn render_text(r: &EvalReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Evaluation of {}\nagainst {}", r.output, r.labels);
    let _ = writeln!(
        out,
        "gold rows {}, output rows {}, missing from output {}, failed in output {}",
        r.gold_rows, r.output_rows, r.missing, r.errors
    );
    for f in [&r.sentiment, &r.category].into_iter().flatten() {
        let _ = writeln!(out, "\n== {} (n = {}) ==", f.field, f.n);
        let _ = writeln!(
            out,
            "accuracy            {:.3}  ({} correct)",
            f.accuracy, f.correct
        );
        let _ = writeln!(out, "weighted precision  {:.3}", f.weighted_precision);
        let _ = writeln!(out, "weighted recall     {:.3}", f.weighted_recall);
        let _ = writeln!(out, "weighted F1         {:.3}", f.weighted_f1);
        let _ = writeln!(out, "macro F1            {:.3}", f.macro_f1);
        if let Some(p) = &f.pearson {
            let r = p.r.map_or_else(|| "n/a".to_string(), |r| format!("{r:.3}"));
            let _ = writeln!(out, "Pearson r (score vs rating)  {r}  over {} rows", p.n);
        }
        let width = f
            .confusion
            .predicted
            .iter()
            .chain(&f.confusion.gold)
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(5)
            .max(9);
        let _ = writeln!(
            out,
            "\n{:<width$}  {:>9}  {:>9}  {:>9}  {:>7}  {:>9}",
            "class", "precision", "recall", "f1", "support", "predicted"
        );
        for c in &f.classes {
            let _ = writeln!(
                out,
                "{:<width$}  {:>9.3}  {:>9.3}  {:>9.3}  {:>7}  {:>9}",
                c.label, c.precision, c.recall, c.f1, c.support, c.predicted
            );
        }
        let _ = writeln!(out, "\nconfusion (rows gold, columns predicted):");
        let _ = write!(out, "{:<width$}", "");
        for p in &f.confusion.predicted {
            let _ = write!(out, "  {p:>width$}");
        }
        let _ = writeln!(out);
        for (g, row) in f.confusion.gold.iter().zip(&f.confusion.counts) {
            let _ = write!(out, "{g:<width$}");
            for c in row {
                let _ = write!(out, "  {c:>width$}");
            }
            let _ = writeln!(out);
        }
    }
    out
}

#[cfg(test)]
#[path = "eval_tests.rs"]
mod tests;
