//! Eval tests: a small hand-scored example, error messages, and the VADER reference
//! figures on the shared tweet set.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::*;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const LABELS: &str = "\
ticket_id,sentiment,rating,category
1,positive,2.0,billing
2,positive,1.0,billing
3,negative,-2.0,technical_issue
4,negative,-1.0,technical_issue
5,neutral,0.0,billing
6,positive,3.0,account_access
7,negative,-3.0,technical_issue
";

// Ticket 6 is missing, 7 failed, 8 is not labelled.
const OUTPUT: &str = "\
ticket_id,sentiment,sentiment_score,category,error
1,positive,0.8000,billing,
2,Neutral,0.0000,billing,
3,negative,-0.6000,billing,
4,negative,-0.4000,technical_issue,
5,positive,0.3000,billing,
7,unknown,,,analyzer timed out
8,positive,0.5000,billing,
";

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn hand_scored_example() {
    let dir = tempfile::tempdir().unwrap();
    let r = evaluate(
        &write(dir.path(), "out.csv", OUTPUT),
        &write(dir.path(), "labels.csv", LABELS),
    )
    .unwrap();
    assert_eq!(
        (r.gold_rows, r.output_rows, r.missing, r.errors),
        (7, 7, 1, 1)
    );

    // Pairs: pos/pos, pos/neu, neg/neg, neg/neg, neu/pos, pos/<missing>, neg/<error>.
    let s = r.sentiment.as_ref().unwrap();
    assert_eq!((s.n, s.correct), (7, 3));
    // negative P 2/2 R 2/3 F1 0.8; neutral 0/0/0; positive P 1/2 R 1/3 F1 0.4.
    let per: Vec<(&str, f64, f64, f64, u64, u64)> = s
        .classes
        .iter()
        .map(|c| {
            (
                c.label.as_str(),
                c.precision,
                c.recall,
                c.f1,
                c.support,
                c.predicted,
            )
        })
        .collect();
    assert_eq!(per[1], ("neutral", 0.0, 0.0, 0.0, 1, 1));
    assert_eq!((per[0].0, per[0].4, per[0].5), ("negative", 3, 2));
    assert!(close(per[0].1, 1.0) && close(per[0].2, 2.0 / 3.0) && close(per[0].3, 0.8));
    assert_eq!((per[2].0, per[2].4, per[2].5), ("positive", 3, 2));
    assert!(close(per[2].1, 0.5) && close(per[2].2, 1.0 / 3.0) && close(per[2].3, 0.4));
    assert!(close(s.accuracy, 3.0 / 7.0));
    assert!(close(s.weighted_recall, 3.0 / 7.0));
    assert!(close(s.weighted_precision, 4.5 / 7.0));
    assert!(close(s.weighted_f1, 3.6 / 7.0));
    assert!(close(s.macro_f1, 0.4));
    // Recall: negative 2/3, neutral 0, positive 1/3.
    assert!(close(s.macro_recall, 1.0 / 3.0));
    // The output has no confidence column, the labels no complaint column.
    assert!(s.calibration.is_none() && r.complaint.is_none());
    assert_eq!(s.confusion.gold, ["negative", "neutral", "positive"]);
    assert_eq!(
        s.confusion.predicted,
        ["negative", "neutral", "positive", "<error>", "<missing>"]
    );
    assert_eq!(
        s.confusion.counts,
        [[2, 0, 0, 1, 0], [0, 0, 1, 0, 0], [0, 1, 1, 0, 1]]
    );
    // Scores (0.8, 0, -0.6, -0.4, 0.3) vs ratings (2, 1, -2, -1, 0):
    // sxy 3.2, sxx 1.248, syy 10 -> r = 3.2 / sqrt(12.48).
    let p = s.pearson.as_ref().unwrap();
    assert_eq!(p.n, 5);
    assert!(close(p.r.unwrap(), 3.2 / 12.48f64.sqrt()));

    // Pairs: billing x3 right, tech/billing, tech/tech, access/<missing>, tech/<error>.
    let c = r.category.as_ref().unwrap();
    assert_eq!((c.n, c.correct), (7, 4));
    assert!(close(c.accuracy, 4.0 / 7.0));
    // access 0/0/0 (support 1); billing P 3/4 R 1 F1 6/7; technical P 1 R 1/3 F1 1/2.
    assert!(close(c.weighted_precision, 5.25 / 7.0));
    assert!(close(c.weighted_f1, (3.0 * 6.0 / 7.0 + 1.5) / 7.0));
    assert!(close(c.macro_f1, (6.0 / 7.0 + 0.5) / 3.0));
    assert!(c.pearson.is_none());

    let text = render_text(&r);
    for needle in [
        "accuracy            0.429",
        "macro F1            0.400",
        "<missing>",
    ] {
        assert!(text.contains(needle), "{needle:?} not in\n{text}");
    }
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["sentiment"]["confusion"]["counts"][2][4], 1);
}

/// Gold complaint and sentiment against an output with confidences.
const COMPLAINT_LABELS: &str = "\
ticket_id,sentiment,complaint
1,negative,1
2,negative,yes
3,neutral,0
4,positive,0
5,negative,1
6,neutral,0
";

// Ticket 5 failed, 6 is missing.
const CONFIDENT_OUTPUT: &str = "\
ticket_id,sentiment,confidence,error
1,negative,0.95,
2,neutral,0.55,
3,neutral,0.52,
4,negative,0.85,
5,unknown,,timeout
";

#[test]
fn complaint_and_calibration() {
    let dir = tempfile::tempdir().unwrap();
    let r = evaluate(
        &write(dir.path(), "out.csv", CONFIDENT_OUTPUT),
        &write(dir.path(), "labels.csv", COMPLAINT_LABELS),
    )
    .unwrap();
    // Complaint pairs: 1/1, 1/0, 0/0, 0/1, 1/<error>, 0/<missing>.
    let k = r.complaint.as_ref().unwrap();
    assert_eq!((k.n, k.correct), (6, 2));
    assert_eq!(k.confusion.gold, ["0", "1"]);
    assert_eq!(k.confusion.counts, [[1, 1, 0, 1], [1, 1, 1, 0]]);
    // Recall: "0" 1/3, "1" 1/3.
    assert!(close(k.macro_recall, 1.0 / 3.0));

    // Calibration over tickets 1-4 (5 failed, 6 missing): right, wrong, right, wrong.
    let c = r.sentiment.as_ref().unwrap().calibration.as_ref().unwrap();
    assert_eq!(c.n, 4);
    let band = |low: f64| c.bands.iter().find(|b| close(b.low, low)).unwrap();
    assert_eq!(
        (band(0.5).n, band(0.8).n, band(0.9).n, band(0.0).n),
        (2, 1, 1, 0)
    );
    assert!(close(band(0.5).accuracy, 0.5) && close(band(0.5).mean_confidence, 0.535));
    assert!(close(band(0.9).accuracy, 1.0) && close(band(0.8).accuracy, 0.0));
    // ECE = 2/4 * |0.5 - 0.535| + 1/4 * |0 - 0.85| + 1/4 * |1 - 0.95|.
    assert!(
        close(c.ece, 0.5 * 0.035 + 0.25 * 0.85 + 0.25 * 0.05),
        "{}",
        c.ece
    );
    assert_eq!(c.trusted_n, 2);
    assert!(close(c.trusted_share, 0.5) && close(c.trusted_accuracy, 0.5));

    let text = render_text(&r);
    for needle in [
        "== complaint (n = 6) ==",
        "macro recall        0.333",
        "ECE 0.24",
        "confidence >= 0.8: 2 tickets (50.0%), accuracy 0.500",
    ] {
        assert!(text.contains(needle), "{needle:?} not in\n{text}");
    }
    fn row(line: &str) -> Vec<&str> {
        line.split_whitespace().collect()
    }
    assert!(text
        .lines()
        .any(|l| row(l) == ["0.5-0.6", "2", "0.500", "0.535"]));
    assert!(text.lines().any(|l| row(l) == ["0.0-0.1", "0", "-", "-"]));
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["sentiment"]["calibration"]["trusted_n"], 2);
    assert!(json["complaint"]["accuracy"].is_number());
}

#[test]
fn a_bad_complaint_label_names_the_cell() {
    let dir = tempfile::tempdir().unwrap();
    let labels = write(dir.path(), "k.csv", "ticket_id,complaint\n1,1\n2,maybe\n");
    let err = evaluate(&write(dir.path(), "o.csv", CONFIDENT_OUTPUT), &labels)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("k.csv") && err.contains("\"maybe\"") && err.contains("line 3"),
        "{err}"
    );
}

#[test]
fn only_the_gold_columns_present_are_scored() {
    let dir = tempfile::tempdir().unwrap();
    let labels = write(dir.path(), "l.csv", "ticket_id,category\n1,billing\n2,\n");
    let r = evaluate(&write(dir.path(), "o.csv", OUTPUT), &labels).unwrap();
    assert!(r.sentiment.is_none());
    let c = r.category.unwrap();
    // Ticket 2 has no gold category, so only ticket 1 is scored.
    assert_eq!((c.n, c.correct, c.accuracy, c.macro_f1), (1, 1, 1.0, 1.0));
}

#[test]
fn errors_name_the_file_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let out = write(dir.path(), "out.csv", OUTPUT);
    let labels = write(dir.path(), "labels.csv", LABELS);
    let err = |o: &Path, l: &Path| format!("{:#}", evaluate(o, l).unwrap_err());

    let no_id = write(dir.path(), "no_id.csv", "id,sentiment\n1,positive\n");
    let e = err(&out, &no_id);
    assert!(
        e.contains("no_id.csv") && e.contains("missing ticket_id column"),
        "{e}"
    );
    let no_gold = write(dir.path(), "no_gold.csv", "ticket_id,rating\n1,2\n");
    let e = err(&out, &no_gold);
    assert!(
        e.contains("no_gold.csv") && e.contains("no gold columns"),
        "{e}"
    );
    let bad = write(
        dir.path(),
        "bad.csv",
        "ticket_id,sentiment,rating\n1,positive,2\n2,negative,lots\n",
    );
    let e = err(&out, &bad);
    assert!(
        e.contains("bad.csv") && e.contains("bad number \"lots\"") && e.contains("line 3"),
        "{e}"
    );
    let dup = write(
        dir.path(),
        "dup.csv",
        "ticket_id,sentiment\n1,positive\n1,negative\n",
    );
    assert!(err(&out, &dup).contains("duplicate ticket_id 1 at line 3"));

    let out_no_id = write(dir.path(), "o1.csv", "id,sentiment\n1,positive\n");
    let e = err(&out_no_id, &labels);
    assert!(
        e.contains("o1.csv") && e.contains("missing ticket_id column"),
        "{e}"
    );
    let out_no_sent = write(dir.path(), "o2.csv", "ticket_id,category\n1,billing\n");
    assert!(err(&out_no_sent, &labels).contains("o2.csv: missing sentiment column"));
    let out_bad = write(dir.path(), "o3.csv", "ticket_id,sentiment,sentiment_score,category\n1,positive,0.5,billing\n2,positive,high,billing\n");
    let e = err(&out_bad, &labels);
    assert!(
        e.contains("o3.csv") && e.contains("sentiment_score at line 3"),
        "{e}"
    );
    let e = err(&dir.path().join("nope.csv"), &labels);
    assert!(
        e.contains("cannot open output file") && e.contains("nope.csv"),
        "{e}"
    );
}

/// The VADER reference scores on the tweet set reproduce the figures documented in
/// the data set's README.
#[test]
fn vader_reference_figures() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/eval/vader_tweets");
    if !shared.is_dir() {
        println!("skipped: {} is absent", shared.display());
        return;
    }
    let mut reader = csv::Reader::from_path(shared.join("tweets.vader-3.3.2.csv")).unwrap();
    let mut output = String::from("ticket_id,sentiment,sentiment_score,error\n");
    for row in reader.deserialize::<BTreeMap<String, String>>() {
        let row = row.unwrap();
        output.push_str(&format!(
            "{},{},{},\n",
            row["ticket_id"], row["sentiment"], row["compound"]
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let out = write(dir.path(), "vader.csv", &output);
    let r = evaluate(&out, &shared.join("tweets.labels.csv")).unwrap();
    let s = r.sentiment.as_ref().unwrap();
    println!("{}", render_text(&r));
    assert_eq!((s.n, r.missing, r.errors), (4200, 0, 0));
    let near = |got: f64, want: f64| (got - want).abs() <= 0.005;
    assert!(near(s.accuracy, 0.921), "accuracy {}", s.accuracy);
    assert!(
        near(s.weighted_precision, 0.978),
        "precision {}",
        s.weighted_precision
    );
    assert!(near(s.weighted_f1, 0.948), "f1 {}", s.weighted_f1);
    assert!(near(s.macro_f1, 0.640), "macro f1 {}", s.macro_f1);
    let r = s.pearson.as_ref().unwrap().r.unwrap();
    assert!(near(r, 0.872), "pearson {r}");
}
