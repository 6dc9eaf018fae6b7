//! Measures the built-in analyzer the way a user would: a pipeline file with a
//! `file` source runs through the real `zdpipe run`, and `zdpipe eval --json` scores
//! the CSV it wrote. The metrics come from `zdpipe eval` only (one source of truth);
//! these tests hold them to the published figures and print them:
//! `cargo test --release analyzer -- --nocapture`.
//!
//! The shared evaluation sets live at `../shared/eval` next to the crate (or where
//! `ZDPIPE_EVAL_DIR` says); when that folder is absent, the tests that need it print
//! why and pass. The hand-labelled
//! support sentences (`tests/data/support_sentences.csv`), the realistic support
//! tickets (`tests/data/support_tickets.csv`) and the labeled support messages
//! (`tests/data/support_messages`) are always measured.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::helpers::{zdpipe, Workspace};

/// The shared evaluation folder `name`: under `$ZDPIPE_EVAL_DIR` when that is set
/// (a worktree whose `../shared` is not the shared folder), else `../shared/eval`.
fn eval_dir(name: &str) -> Option<PathBuf> {
    let root = std::env::var_os("ZDPIPE_EVAL_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/eval"),
        PathBuf::from,
    );
    let dir = root.join(name);
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: evaluation folder {} is absent", dir.display());
        None
    }
}

/// A TOML string holding `path`.
fn toml_path(path: &Path) -> String {
    toml::Value::String(path.display().to_string()).to_string()
}

/// Runs `zdpipe run` over the Zendesk NDJSON export `input` with the built-in
/// analyzer (`support_layer` as given) and returns the CSV it wrote.
fn run(ws: &Workspace, name: &str, input: &Path, support_layer: bool) -> PathBuf {
    let out = ws.path(&format!("out/{name}.csv"));
    let pipeline = ws.file(
        &format!("{name}.toml"),
        &format!(
            r#"name = "{name}"
[fetch]
source = "file"
path = {input}
[cache]
path = {cache}
[analyze]
analyzer = "builtin"
[analyze.builtin]
support_layer = {support_layer}
[[write]]
kind = "csv"
path = {out}
"#,
            input = toml_path(input),
            cache = toml_path(&ws.path(&format!("cache-{name}"))),
            out = toml_path(&out),
        ),
    );
    zdpipe()
        .current_dir(ws.dir.path())
        .arg("run")
        .arg(&pipeline)
        .arg("--no-progress")
        .assert()
        .success();
    assert!(out.is_file(), "zdpipe run wrote no {}", out.display());
    out
}

/// `zdpipe eval <output> --labels <labels> --json`, parsed.
fn eval(output: &Path, labels: &Path) -> Value {
    let assert = zdpipe()
        .arg("eval")
        .arg(output)
        .arg("--labels")
        .arg(labels)
        .arg("--json")
        .assert()
        .success();
    let report: Value = serde_json::from_slice(&assert.get_output().stdout)
        .expect("zdpipe eval --json prints JSON");
    assert_eq!(report["missing"], 0, "tickets missing from the output");
    assert_eq!(report["errors"], 0, "tickets that failed in the output");
    report
}

fn num(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {v}"))
}

/// Prints the headline figures and the per-class scores of one field.
fn print_field(title: &str, field: &Value) {
    let r = field["pearson"]["r"]
        .as_f64()
        .map_or(String::new(), |r| format!(", Pearson r {r:.4}"));
    println!(
        "{title}: n {}, accuracy {:.4}, weighted F1 {:.4}, macro F1 {:.4}{r}",
        field["n"],
        num(field, "accuracy"),
        num(field, "weighted_f1"),
        num(field, "macro_f1"),
    );
    for c in field["classes"].as_array().expect("classes") {
        println!(
            "  {:<18} precision {:.3}  recall {:.3}  f1 {:.3}  support {}",
            c["label"].as_str().unwrap_or("?"),
            num(c, "precision"),
            num(c, "recall"),
            num(c, "f1"),
            c["support"],
        );
    }
}

/// Column `col` of a CSV file, keyed by its `ticket_id` column.
fn column(path: &Path, col: &str) -> HashMap<String, String> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let find = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{} has no column {name}", path.display()))
    };
    let (id, idx) = (find("ticket_id"), find(col));
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            (r[id].to_string(), r[idx].to_string())
        })
        .collect()
}

#[test]
fn vader_parity_and_reference_figures_with_support_layer_off() {
    let Some(dir) = eval_dir("vader_tweets") else {
        return;
    };
    let ws = Workspace::new();
    let out = run(&ws, "tweets-plain", &dir.join("tweets.ndjson"), false);

    // Label parity with vaderSentiment 3.3.2, straight from the CSV.
    let reference = column(&dir.join("tweets.vader-3.3.2.csv"), "sentiment");
    let ours = column(&out, "sentiment");
    assert!(reference.len() >= 4000, "reference has {}", reference.len());
    let mut same = 0;
    for (id, want) in &reference {
        match ours.get(id) {
            Some(got) if got == want => same += 1,
            got => println!("parity mismatch, ticket {id}: got {got:?}, reference {want}"),
        }
    }
    let parity = same as f64 / reference.len() as f64;
    println!(
        "VADER parity (support layer off): {same}/{} labels agree with vaderSentiment 3.3.2 = {:.2}%",
        reference.len(),
        100.0 * parity
    );

    let report = eval(&out, &dir.join("tweets.labels.csv"));
    let s = &report["sentiment"];
    print_field("tweets, support layer off", s);
    let (wf1, r) = (num(s, "weighted_f1"), num(&s["pearson"], "r"));
    assert!(parity >= 0.995, "label parity {parity:.4} < 0.995");
    assert!(
        (wf1 - 0.948).abs() <= 0.005,
        "weighted F1 {wf1:.4} is not within 0.005 of the reference 0.948"
    );
    assert!(
        (r - 0.872).abs() <= 0.005,
        "Pearson r {r:.4} is not within 0.005 of the reference 0.872"
    );
}

#[test]
fn tweets_with_support_layer_on() {
    let Some(dir) = eval_dir("vader_tweets") else {
        return;
    };
    let ws = Workspace::new();
    let out = run(&ws, "tweets-support", &dir.join("tweets.ndjson"), true);
    let report = eval(&out, &dir.join("tweets.labels.csv"));
    let s = &report["sentiment"];
    print_field("tweets, support layer on", s);
    let (_, trusted, share) = print_calibration("tweets, support layer on", s);
    let wf1 = num(s, "weighted_f1");
    assert!(wf1 >= 0.94, "weighted F1 {wf1:.4} < 0.94");
    assert!(
        trusted >= 0.9,
        "accuracy at confidence >= 0.8: {trusted:.4} < 0.9"
    );
    assert!(
        share >= 0.1,
        "only {share:.3} of tickets at confidence >= 0.8"
    );
}

#[test]
fn banking77_categories() {
    let Some(dir) = eval_dir("banking77_train") else {
        return;
    };
    let ws = Workspace::new();
    let out = run(&ws, "banking77", &dir.join("banking77_train.ndjson"), true);
    let report = eval(&out, &dir.join("banking77_train.labels.csv"));
    let c = &report["category"];
    print_field("Banking77 categories", c);
    let (acc, mf1) = (num(c, "accuracy"), num(c, "macro_f1"));
    assert!(c["n"].as_u64() >= Some(10_000), "n = {}", c["n"]);
    assert!(acc >= 0.78, "accuracy {acc:.4} < 0.78");
    assert!(mf1 >= 0.65, "macro F1 {mf1:.4} < 0.65");
}

#[test]
fn support_sentences() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/support_sentences.csv");
    let ws = Workspace::new();
    // The labelled sentences as a Zendesk NDJSON export plus a labels file.
    let mut rdr = csv::Reader::from_path(&path).unwrap();
    let mut ndjson = String::new();
    let mut labels = csv::Writer::from_writer(Vec::new());
    labels.write_record(["ticket_id", "sentiment"]).unwrap();
    let mut texts = HashMap::new();
    for (i, r) in rdr.records().enumerate() {
        let r = r.unwrap();
        let (id, text, sentiment) = (i + 1, &r[0], &r[1]);
        let ticket = serde_json::json!({
            "id": id, "subject": "", "description": text, "status": "open",
            "priority": null, "tags": [], "requester_id": id,
            "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
        });
        ndjson.push_str(&ticket.to_string());
        ndjson.push('\n');
        labels
            .write_record([id.to_string().as_str(), sentiment])
            .unwrap();
        texts.insert(id.to_string(), (text.to_string(), sentiment.to_string()));
    }
    assert!(texts.len() >= 200, "only {} support sentences", texts.len());
    let input = ws.file("support.ndjson", &ndjson);
    let gold = ws.file(
        "support.labels.csv",
        &String::from_utf8(labels.into_inner().unwrap()).unwrap(),
    );

    let out = run(&ws, "support", &input, true);
    let got = column(&out, "sentiment");
    let mut misses: Vec<_> = texts
        .iter()
        .filter(|(id, (_, want))| got.get(*id) != Some(want))
        .collect();
    misses.sort_by_key(|(id, _)| id.parse::<u64>().unwrap_or(0));
    for (id, (text, want)) in misses {
        println!("miss {id}: want {want}, got {:?}: {text}", got.get(id));
    }
    let report = eval(&out, &gold);
    let s = &report["sentiment"];
    print_field("support sentences, support layer on", s);
    let acc = num(s, "accuracy");
    assert!(acc >= 0.90, "accuracy {acc:.4} < 0.90");
}

/// Realistic multi-sentence tickets (`tests/data/support_tickets.csv`: outages,
/// billing disputes, delays, RMAs, polite questions, thanks, sarcasm), labelled
/// before the rules were tuned: sentiment and category through `zdpipe eval`, and
/// a floor for urgency where one is obvious.
#[test]
fn support_tickets() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/support_tickets.csv");
    let ws = Workspace::new();
    let mut rdr = csv::Reader::from_path(&path).unwrap();
    let mut ndjson = String::new();
    let mut labels = csv::Writer::from_writer(Vec::new());
    labels
        .write_record(["ticket_id", "sentiment", "category"])
        .unwrap();
    let mut rows = HashMap::new();
    for (i, r) in rdr.records().enumerate() {
        let r = r.unwrap();
        let (id, text) = (i + 1, &r[0]);
        let ticket = serde_json::json!({
            "id": id, "subject": "", "description": text, "status": "open",
            "priority": null, "tags": [], "requester_id": id,
            "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
        });
        ndjson.push_str(&ticket.to_string());
        ndjson.push('\n');
        labels
            .write_record([id.to_string().as_str(), &r[1], &r[3]])
            .unwrap();
        let urgency_min: Option<u8> = (!r[2].is_empty()).then(|| r[2].parse().unwrap());
        rows.insert(
            id.to_string(),
            (
                text.to_string(),
                r[1].to_string(),
                r[3].to_string(),
                urgency_min,
            ),
        );
    }
    assert!(rows.len() >= 60, "only {} support tickets", rows.len());
    let input = ws.file("tickets.ndjson", &ndjson);
    let gold = ws.file(
        "tickets.labels.csv",
        &String::from_utf8(labels.into_inner().unwrap()).unwrap(),
    );

    let out = run(&ws, "tickets", &input, true);
    let (sentiment, category, urgency) = (
        column(&out, "sentiment"),
        column(&out, "category"),
        column(&out, "urgency"),
    );
    let mut ids: Vec<_> = rows.keys().cloned().collect();
    ids.sort_by_key(|id| id.parse::<u64>().unwrap_or(0));
    let mut low_urgency = Vec::new();
    for id in &ids {
        let (text, want_s, want_c, urgency_min) = &rows[id];
        let short: String = text.chars().take(90).collect();
        if sentiment.get(id) != Some(want_s) {
            println!(
                "sentiment miss {id}: want {want_s}, got {:?}: {short}",
                sentiment.get(id)
            );
        }
        if category.get(id) != Some(want_c) {
            println!(
                "category miss {id}: want {want_c}, got {:?}: {short}",
                category.get(id)
            );
        }
        if let Some(min) = urgency_min {
            let got: u8 = urgency[id].parse().unwrap();
            if got < *min {
                low_urgency.push(format!("{id}: urgency {got} < {min}: {short}"));
            }
        }
    }
    let report = eval(&out, &gold);
    let (s, c) = (&report["sentiment"], &report["category"]);
    print_field("support tickets, sentiment", s);
    print_field("support tickets, category", c);
    let with_min = rows.values().filter(|r| r.3.is_some()).count();
    println!(
        "support tickets, urgency: {}/{with_min} at or above their floor",
        with_min - low_urgency.len()
    );
    let (sa, ca) = (num(s, "accuracy"), num(c, "accuracy"));
    assert!(sa >= 0.85, "sentiment accuracy {sa:.4} < 0.85");
    assert!(ca >= 0.80, "category accuracy {ca:.4} < 0.80");
    assert!(
        low_urgency.is_empty(),
        "urgency below floor:\n{}",
        low_urgency.join("\n")
    );
}

/// Prints the calibration of a sentiment field and returns (ECE, accuracy at
/// `confidence >= 0.8`, share of tickets there).
fn print_calibration(title: &str, field: &Value) -> (f64, f64, f64) {
    let c = &field["calibration"];
    let (ece, acc, share) = (
        num(c, "ece"),
        num(c, "trusted_accuracy"),
        num(c, "trusted_share"),
    );
    println!(
        "{title}: macro recall {:.4}, ECE {ece:.4}, confidence >= 0.8: {:.1}% of tickets, \
         accuracy {acc:.4}",
        num(field, "macro_recall"),
        100.0 * share
    );
    (ece, acc, share)
}

/// `zdpipe eval` on a small labeled file: the calibration table, ECE, macro recall
/// and the complaint metric, as text and as JSON.
#[test]
fn eval_prints_calibration_macro_recall_and_complaint() {
    let ws = Workspace::new();
    let output = ws.file(
        "out.csv",
        "ticket_id,sentiment,confidence,category,error\n\
         1,negative,0.91,billing,\n\
         2,neutral,0.52,billing,\n\
         3,positive,0.95,billing,\n\
         4,negative,0.74,shipping_delivery,\n",
    );
    let labels = ws.file(
        "labels.csv",
        "ticket_id,sentiment,complaint,category\n\
         1,negative,1,billing\n\
         2,negative,1,billing\n\
         3,positive,0,billing\n\
         4,neutral,0,shipping_delivery\n",
    );
    let assert = zdpipe()
        .arg("eval")
        .arg(&output)
        .arg("--labels")
        .arg(&labels)
        .assert()
        .success();
    let text = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    // Tickets 1 and 3 right (0.91, 0.95), 2 and 4 wrong (0.52, 0.74).
    // Recall: negative 1/2, neutral 0/1, positive 1/1 -> macro recall 0.5.
    // ECE = 1/4 * (0.52 + 0.74 + 0.09 + 0.05) = 0.35.
    // Complaint: 1/1 right, 1/0 wrong, 0/0 right, 0/1 wrong -> accuracy 0.5.
    for needle in [
        "macro recall        0.500",
        "calibration of confidence (n = 4): ECE 0.350",
        "confidence >= 0.8: 2 tickets (50.0%), accuracy 1.000",
        "== complaint (n = 4) ==",
        "accuracy            0.500  (2 correct)",
    ] {
        assert!(text.contains(needle), "{needle:?} not in\n{text}");
    }
    let band = |low: &str| {
        text.lines()
            .find(|l| l.starts_with(low))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
    };
    assert_eq!(band("0.9-1.0").as_deref(), Some("0.9-1.0 2 1.000 0.930"));
    assert_eq!(band("0.7-0.8").as_deref(), Some("0.7-0.8 1 0.000 0.740"));
    assert_eq!(band("0.1-0.2").as_deref(), Some("0.1-0.2 0 - -"));

    let report = eval(&output, &labels);
    let c = &report["sentiment"]["calibration"];
    assert_eq!(c["bands"].as_array().map(Vec::len), Some(10));
    assert!((num(c, "ece") - 0.35).abs() < 1e-9, "{c}");
    assert_eq!(report["complaint"]["correct"], 2);
    assert!((num(&report["sentiment"], "macro_recall") - 0.5).abs() < 1e-9);
}

/// TweetEval's metric (macro recall) and how `confidence` fares on TweetEval alone.
/// The floors are today's figures, so they cannot regress: the issue's macro recall
/// target, 0.66, is not reached, and the confidence, calibrated on the pooled sets,
/// is too sure on TweetEval's topical tweets, whose annotators call many texts with
/// clear sentiment words neutral (`src/analyze/builtin/confidence.rs`).
#[test]
fn tweeteval_macro_recall_and_calibration() {
    let Some(dir) = eval_dir("tweeteval_val") else {
        return;
    };
    let ws = Workspace::new();
    let out = run(&ws, "tweeteval", &dir.join("tweeteval_val.ndjson"), true);
    let report = eval(&out, &dir.join("tweeteval_val.labels.csv"));
    let s = &report["sentiment"];
    print_field("TweetEval validation", s);
    let (_, trusted, share) = print_calibration("TweetEval validation", s);
    let recall = num(s, "macro_recall");
    assert!(recall >= 0.59, "macro recall {recall:.4} < 0.59");
    assert!(
        trusted >= 0.65,
        "accuracy at confidence >= 0.8: {trusted:.4} < 0.65"
    );
    assert!(
        share >= 0.3,
        "only {share:.3} of tickets at confidence >= 0.8"
    );
}

/// The VADER tweets and the TweetEval validation tweets as one set (TweetEval's
/// ids moved up by 100,000): its export and its `ticket_id,sentiment` gold.
fn pooled_sentiment_sets(tweets: &Path, tweeteval: &Path) -> (String, String) {
    let mut ndjson = String::new();
    let mut labels = String::from("ticket_id,sentiment\n");
    for (dir, stem, offset) in [(tweets, "tweets", 0), (tweeteval, "tweeteval_val", 100_000)] {
        let export = std::fs::read_to_string(dir.join(format!("{stem}.ndjson"))).unwrap();
        for line in export.lines() {
            let mut ticket: Value = serde_json::from_str(line).unwrap();
            ticket["id"] = (ticket["id"].as_u64().unwrap() + offset).into();
            ndjson.push_str(&format!("{ticket}\n"));
        }
        let gold = dir.join(format!("{stem}.labels.csv"));
        for (id, sentiment) in column(&gold, "sentiment") {
            let id = id.parse::<u64>().unwrap() + offset;
            labels.push_str(&format!("{id},{sentiment}\n"));
        }
    }
    (ndjson, labels)
}

/// Calibration of `confidence` on the pool of the shared sentiment sets, data its
/// model was fitted on (`src/analyze/builtin/confidence.rs`): over every ticket, and
/// over the odd ids. The issue's targets: ECE <= 0.05 and labels at confidence >= 0.8
/// right at least 90% of the time.
#[test]
fn calibration_on_the_pooled_shared_sets() {
    let (Some(tweets), Some(tweeteval)) = (eval_dir("vader_tweets"), eval_dir("tweeteval_val"))
    else {
        return;
    };
    let ws = Workspace::new();
    let (ndjson, labels) = pooled_sentiment_sets(&tweets, &tweeteval);
    let out = run(&ws, "pooled", &ws.file("pooled.ndjson", &ndjson), true);
    let odd: String = labels
        .lines()
        .filter(|l| {
            l.starts_with("ticket_id")
                || l.split(',')
                    .next()
                    .is_some_and(|id| id.ends_with(['1', '3', '5', '7', '9']))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let all = eval(&out, &ws.file("pooled.labels.csv", &labels));
    let check = eval(&out, &ws.file("pooled.odd.labels.csv", &odd));
    let (ece_all, trusted_all, _) = print_calibration("shared sets pooled", &all["sentiment"]);
    let (ece, trusted, share) = print_calibration(
        "shared sets pooled, check half (odd ids)",
        &check["sentiment"],
    );
    assert!(ece_all <= 0.05, "pooled ECE {ece_all:.4} > 0.05");
    assert!(ece <= 0.05, "odd-id ECE {ece:.4} > 0.05");
    assert!(
        trusted_all >= 0.9 && trusted >= 0.9,
        "accuracy at >= 0.8: {trusted_all:.4} / {trusted:.4}"
    );
    assert!(
        share >= 0.5,
        "only {share:.3} of tickets at confidence >= 0.8"
    );
}

/// The team's hand-labeled support messages (`tests/data/support_messages`):
/// sentiment and complaint (1/0 against predicted negative). The targets (sentiment at
/// least 0.90, complaint at least 0.85) are scored on the tickets the analyzer reads for
/// sentiment, the English ones: by design a ticket in another language gets a
/// sentiment only from language-neutral signals (emoji, `!!!`, capitals) and is
/// mostly `unknown`, so it is printed separately, as is the figure over all.
#[test]
fn support_messages() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/support_messages");
    let ws = Workspace::new();
    let out = run(&ws, "messages", &dir.join("messages.ndjson"), true);
    let labels = dir.join("labels.csv");
    let gold = std::fs::read_to_string(&labels).unwrap();
    let subset = |name: &str, english: bool| {
        let rows: String = gold
            .lines()
            .filter(|l| l.starts_with("ticket_id") || l.ends_with(",en") == english)
            .map(|l| format!("{l}\n"))
            .collect();
        eval(&out, &ws.file(name, &rows))
    };
    let (en, other, all) = (
        subset("labels.en.csv", true),
        subset("labels.other.csv", false),
        eval(&out, &labels),
    );
    for (title, report) in [
        ("support messages, English (scored)", &en),
        (
            "support messages, not English (sentiment by design unknown)",
            &other,
        ),
        ("support messages, all languages", &all),
    ] {
        print_field(&format!("{title}, sentiment"), &report["sentiment"]);
        print_field(&format!("{title}, complaint"), &report["complaint"]);
        print_calibration(title, &report["sentiment"]);
    }
    let (sentiment, complaint) = (
        num(&en["sentiment"], "accuracy"),
        num(&en["complaint"], "accuracy"),
    );
    let (_, trusted, _) = print_calibration("support messages, English", &en["sentiment"]);
    assert!(
        trusted >= 0.9,
        "English accuracy at confidence >= 0.8: {trusted:.4} < 0.9"
    );
    assert!(
        sentiment >= 0.90,
        "English sentiment accuracy {sentiment:.4} < 0.90"
    );
    assert!(
        complaint >= 0.93,
        "English complaint accuracy {complaint:.4} < 0.93"
    );
}
