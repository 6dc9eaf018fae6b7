//! The terminal rendering of an [`EvalReport`] (the JSON is its serde form).

use std::fmt::Write;

use super::{Calibration, EvalReport, FieldEval};

/// A terminal-friendly summary of an [`EvalReport`].
pub fn render_text(r: &EvalReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Evaluation of {}\nagainst {}", r.output, r.labels);
    let _ = writeln!(
        out,
        "gold rows {}, output rows {}, missing from output {}, failed in output {}",
        r.gold_rows, r.output_rows, r.missing, r.errors
    );
    for f in [&r.sentiment, &r.category, &r.complaint]
        .into_iter()
        .flatten()
    {
        render_field(&mut out, f);
    }
    out
}

fn render_field(out: &mut String, f: &FieldEval) {
    let _ = writeln!(out, "\n== {} (n = {}) ==", f.field, f.n);
    if f.field == "complaint" {
        let _ = writeln!(out, "(gold 1/0 against predicted negative sentiment)");
    }
    let _ = writeln!(
        out,
        "accuracy            {:.3}  ({} correct)",
        f.accuracy, f.correct
    );
    let _ = writeln!(out, "weighted precision  {:.3}", f.weighted_precision);
    let _ = writeln!(out, "weighted recall     {:.3}", f.weighted_recall);
    let _ = writeln!(out, "weighted F1         {:.3}", f.weighted_f1);
    let _ = writeln!(out, "macro F1            {:.3}", f.macro_f1);
    let _ = writeln!(out, "macro recall        {:.3}", f.macro_recall);
    if let Some(p) = &f.pearson {
        let r = p.r.map_or_else(|| "n/a".to_string(), |r| format!("{r:.3}"));
        let _ = writeln!(out, "Pearson r (score vs rating)  {r}  over {} rows", p.n);
    }
    render_classes(out, f);
    if let Some(c) = &f.calibration {
        render_calibration(out, c);
    }
}

fn render_classes(out: &mut String, f: &FieldEval) {
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

fn render_calibration(out: &mut String, c: &Calibration) {
    let _ = writeln!(
        out,
        "\ncalibration of confidence (n = {}): ECE {:.3}",
        c.n, c.ece
    );
    let _ = writeln!(
        out,
        "{:<9}  {:>6}  {:>8}  {:>15}",
        "band", "count", "accuracy", "mean confidence"
    );
    for b in &c.bands {
        let band = format!("{:.1}-{:.1}", b.low, b.high);
        if b.n == 0 {
            let _ = writeln!(out, "{band:<9}  {:>6}  {:>8}  {:>15}", 0, "-", "-");
        } else {
            let _ = writeln!(
                out,
                "{band:<9}  {:>6}  {:>8.3}  {:>15.3}",
                b.n, b.accuracy, b.mean_confidence
            );
        }
    }
    let _ = writeln!(
        out,
        "confidence >= 0.8: {} tickets ({:.1}%), accuracy {:.3}",
        c.trusted_n,
        100.0 * c.trusted_share,
        c.trusted_accuracy
    );
}
