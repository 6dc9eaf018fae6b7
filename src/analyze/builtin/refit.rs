//! Refits the confidence model ([`super::confidence`]) and prints its check.
//!
//! `cargo test --release --lib refit_confidence -- --nocapture` reads the
//! shared sentiment sets (`ZDPIPE_EVAL_DIR`, else `../shared/eval`) and the team's
//! support set, analyzes every ticket the way a run does (the description cleaned
//! by [`analysis_body`], then the built-in analyzer), fits one model per label and
//! prints the weights as Rust constants (and fails when the committed ones differ),
//! then the cross-half check table of the module doc. The fit is L2-regularized logistic regression (penalty `|w|^2 / 2`,
//! intercept free) solved by Newton's method: 19 parameters, a few thousand
//! tickets, so a small dense solver of our own is all it takes, and no maintainer
//! needs another toolchain to refit.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::confidence::{self, Model};
use super::{text_of, topic, BuiltinAnalyzer, BuiltinOptions, Doc};
use crate::analyze::{analysis_body, language, AnalysisInput, TextMode, DEFAULT_MAX_INPUT_CHARS};
use crate::model::Sentiment;

/// One analyzed ticket of a labeled set.
struct Example {
    id: u64,
    set: &'static str,
    label: Sentiment,
    right: bool,
    x: [f64; 18],
    weight: f64,
}

const LABELS: [Sentiment; 3] = [Sentiment::Negative, Sentiment::Neutral, Sentiment::Positive];

/// `(ticket_id -> column value)` of a labels CSV, for the rows `keep` accepts.
fn gold(path: &Path, column: &str) -> Vec<(u64, String, csv::StringRecord)> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let at = |name: &str| headers.iter().position(|h| h == name);
    let (id, col) = (at("ticket_id").unwrap(), at(column).unwrap());
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[id].parse().unwrap(), r[col].to_string(), r)
        })
        .collect()
}

/// The analyzed tickets of one set whose gold `keep` accepts.
fn examples(
    set: &'static str,
    ndjson: &Path,
    labels: &Path,
    weight: f64,
    keep: impl Fn(&csv::StringRecord) -> bool,
) -> Vec<Example> {
    let analyzer = BuiltinAnalyzer::new(BuiltinOptions::default()).unwrap();
    let tickets: std::collections::HashMap<u64, Value> = std::fs::read_to_string(ndjson)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|t| (t["id"].as_u64().unwrap(), t))
        .collect();
    let mut out = Vec::new();
    for (id, sentiment, record) in gold(labels, "sentiment") {
        let Some(t) = tickets.get(&id).filter(|_| keep(&record)) else {
            continue;
        };
        let description = t["description"].as_str().unwrap_or_default();
        let body = analysis_body(
            description,
            None,
            TextMode::Requester,
            DEFAULT_MAX_INPUT_CHARS,
        );
        let input = AnalysisInput {
            ticket_id: id,
            subject: t["subject"].as_str().unwrap_or_default(),
            body: &body,
            tags: &[],
        };
        let text = text_of(&input);
        let lang = language::detect(&text);
        if language::is_foreign(lang) {
            continue;
        }
        let doc = Doc::new(&text);
        let topic = topic(
            &analyzer.categories.choose(&doc, &[]),
            &analyzer.components.choose(&doc, &[]),
        );
        let reading = analyzer.read_sentiment(&text, &doc, lang, topic);
        out.push(Example {
            id,
            set,
            label: reading.sentiment,
            right: reading.sentiment.as_str() == sentiment,
            x: reading.signals.vector(),
            weight,
        });
    }
    out
}

/// Newton's method for `min |w|^2 / 2 + sum weight * logloss` (intercept free).
fn fit(data: &[&Example]) -> Model {
    let mut beta = [0.0; 19];
    for _ in 0..50 {
        let mut grad = [0.0; 19];
        let mut hess = [[0.0; 19]; 19];
        for (j, b) in beta.iter().enumerate().skip(1) {
            grad[j] += b;
            hess[j][j] += 1.0;
        }
        for e in data {
            let row: Vec<f64> = std::iter::once(1.0).chain(e.x).collect();
            let z: f64 = row.iter().zip(&beta).map(|(x, b)| x * b).sum();
            let p = 1.0 / (1.0 + (-z).exp());
            let y = if e.right { 1.0 } else { 0.0 };
            for j in 0..19 {
                grad[j] += e.weight * (p - y) * row[j];
                for k in 0..19 {
                    hess[j][k] += e.weight * p * (1.0 - p) * row[j] * row[k];
                }
            }
        }
        let step = solve(hess, grad);
        beta.iter_mut().zip(step).for_each(|(b, s)| *b -= s);
    }
    Model {
        intercept: beta[0],
        weights: beta[1..].try_into().unwrap(),
    }
}

/// `a^-1 b` by Gaussian elimination with partial pivoting.
fn solve(mut a: [[f64; 19]; 19], mut b: [f64; 19]) -> [f64; 19] {
    for col in 0..19 {
        let pivot = (col..19)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap();
        a.swap(col, pivot);
        b.swap(col, pivot);
        let pivot_row = a[col];
        for row in col + 1..19 {
            let f = a[row][col] / pivot_row[col];
            for (cell, p) in a[row][col..].iter_mut().zip(&pivot_row[col..]) {
                *cell -= f * p;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = [0.0; 19];
    for row in (0..19).rev() {
        let tail: f64 = (row + 1..19).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - tail) / a[row][row];
    }
    x
}

/// ECE over bands of 0.1, share and accuracy at `>= 0.8`, and AUC.
fn check(scored: &[(f64, bool)]) -> String {
    let n = scored.len() as f64;
    let mut ece = 0.0;
    for band in 0..10 {
        let inside: Vec<_> = scored
            .iter()
            .filter(|(c, _)| ((c * 10.0).floor() as usize).min(9) == band)
            .collect();
        if !inside.is_empty() {
            let k = inside.len() as f64;
            let acc = inside.iter().filter(|(_, r)| *r).count() as f64 / k;
            let conf = inside.iter().map(|(c, _)| c).sum::<f64>() / k;
            ece += k / n * (acc - conf).abs();
        }
    }
    let high: Vec<_> = scored.iter().filter(|(c, _)| *c >= 0.8).collect();
    let high_acc = high.iter().filter(|(_, r)| *r).count() as f64 / high.len().max(1) as f64;
    format!(
        "{ece:.3} | {:.1}%, {high_acc:.3} | {:.3}",
        100.0 * high.len() as f64 / n,
        auc(scored)
    )
}

/// The chance that a right label scores above a wrong one (ties count half).
fn auc(scored: &[(f64, bool)]) -> f64 {
    let (mut pairs, mut wins) = (0.0, 0.0);
    for (c_right, _) in scored.iter().filter(|(_, r)| *r) {
        for (c_wrong, _) in scored.iter().filter(|(_, r)| !*r) {
            pairs += 1.0;
            wins += match c_right.total_cmp(c_wrong) {
                std::cmp::Ordering::Greater => 1.0,
                std::cmp::Ordering::Equal => 0.5,
                std::cmp::Ordering::Less => 0.0,
            };
        }
    }
    wins / pairs
}

fn eval_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("ZDPIPE_EVAL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/eval"));
    dir.is_dir().then_some(dir)
}

fn print_model(label: Sentiment, m: &Model) {
    let name = label.as_str().to_uppercase();
    let weights: Vec<String> = m.weights.iter().map(|w| format!("{w:.4}")).collect();
    println!(
        "const {name}: Model = Model {{\n    intercept: {:.4},\n    weights: [{}],\n}};",
        m.intercept,
        weights.join(", ")
    );
}

/// Refits the model and checks the committed weights are what the data gives
/// (within 0.01), so a rule change cannot leave a stale model behind.
#[test]
fn refit_confidence() {
    let Some(dir) = eval_dir() else {
        println!("skipped: no shared eval sets (set ZDPIPE_EVAL_DIR)");
        return;
    };
    let own = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/support_messages");
    let mut data = examples(
        "VADER tweets",
        &dir.join("vader_tweets/tweets.ndjson"),
        &dir.join("vader_tweets/tweets.labels.csv"),
        1.0,
        |_| true,
    );
    let tweeteval = dir.join("tweeteval_val");
    data.extend(examples(
        "TweetEval",
        &tweeteval.join("tweeteval_val.ndjson"),
        &tweeteval.join("tweeteval_val.labels.csv"),
        1.0,
        |_| true,
    ));
    data.extend(examples(
        "own support set (English)",
        &own.join("messages.ndjson"),
        &own.join("labels.csv"),
        3.0,
        |r| r.get(4) == Some("en"),
    ));
    // The VADER tweets' gold is neutral only where ten raters' mean is exactly 0.
    let fits = |e: &Example, label| {
        e.label == label && !(e.set == "VADER tweets" && label == Sentiment::Neutral)
    };
    for label in LABELS {
        let train: Vec<&Example> = data.iter().filter(|e| fits(e, label)).collect();
        let refit = fit(&train);
        print_model(label, &refit);
        let committed = confidence::model(label).expect("a model per label");
        let drift = std::iter::once((committed.intercept, refit.intercept))
            .chain(committed.weights.into_iter().zip(refit.weights))
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(drift < 0.01, "{label:?}: committed weights differ from the refit by {drift:.4}; paste the printed ones");
    }
    let mut scored: Vec<(&Example, f64)> = Vec::new();
    for half in [0, 1] {
        for label in LABELS {
            let train: Vec<&Example> = data
                .iter()
                .filter(|e| e.id % 2 == half && fits(e, label))
                .collect();
            let model = fit(&train);
            for e in data.iter().filter(|e| e.id % 2 != half && e.label == label) {
                scored.push((e, confidence::probability(&model, &e.x)));
            }
        }
    }
    println!("\n| set | ECE | `>= 0.8` | AUC |\n|---|---|---|---|");
    let sets = ["VADER tweets", "TweetEval", "own support set (English)"];
    let pooled: Vec<(f64, bool)> = scored
        .iter()
        .filter(|(e, _)| e.set != sets[2])
        .map(|(e, c)| (*c, e.right))
        .collect();
    println!("| shared sets pooled | {} |", check(&pooled));
    for set in sets {
        let one: Vec<(f64, bool)> = scored
            .iter()
            .filter(|(e, _)| e.set == set)
            .map(|(e, c)| (*c, e.right))
            .collect();
        println!("| {set} | {} |", check(&one));
    }
}
