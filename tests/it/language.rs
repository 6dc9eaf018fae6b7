//! Languages through the real binary: the CSV's `language` column (right after
//! `emotions`), the built-in analyzer's restraint on tickets not in English, the
//! language table of the reports and `results export`, and the detection accuracy on
//! the team's labeled support messages.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::helpers::{read_csv, stderr, stdout, zdpipe, Workspace};

/// Tickets in five languages and one too short to tell: (id, subject, message,
/// expected language).
const TICKETS: [(u64, &str, &str, &str); 6] = [
    (
        1,
        "Order still missing",
        "My order 4411 still hasn't arrived and the tracking has not moved since Monday. \
         Can you tell me where it is?",
        "en",
    ),
    (
        2,
        "Festplatte defekt",
        "Die neue Festplatte ist schon wieder ausgefallen, das ist jetzt die zweite in \
         diesem Monat. Bitte schicken Sie uns schnell einen Ersatz :(",
        "de",
    ),
    (
        3,
        "Facture",
        "Bonjour, je n'ai toujours pas reçu la facture de ma commande du mois dernier. \
         Pouvez-vous me la renvoyer par e-mail ?",
        "fr",
    ),
    (
        4,
        "Pedido",
        "Hola, el pedido que hice hace dos semanas todavía no ha llegado y nadie contesta \
         a mis correos. ¿Qué pasa con mi pedido?",
        "es",
    ),
    (
        5,
        "Bestelling",
        "Hallo, mijn bestelling is nog steeds niet geleverd en ik heb geen bericht van \
         jullie gekregen. Kunnen jullie dit nakijken?",
        "nl",
    ),
    (6, "", "ok!", ""),
];

/// A pipeline over the export file `input`: built-in analyzer, CSV and results store.
fn pipeline(ws: &Workspace, input: &Path) -> PathBuf {
    let text = format!(
        "name = \"languages\"\n[fetch]\nsource = \"file\"\npath = {}\n[cache]\npath = \"cache\"\n\
         [[write]]\nkind = \"csv\"\npath = \"out/tickets.csv\"\n\
         [[write]]\nkind = \"sled\"\npath = \"out/results\"\n",
        toml::Value::String(input.display().to_string())
    );
    ws.file("languages.toml", &text)
}

fn run(ws: &Workspace, input: &Path) -> PathBuf {
    let pipeline = pipeline(ws, input);
    let out = zdpipe()
        .current_dir(ws.dir.path())
        .args(["run", "--no-progress"])
        .arg(&pipeline)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    pipeline
}

/// The CSV rows keyed by ticket id, as column name -> cell.
fn rows_by_id(path: &Path) -> (Vec<String>, HashMap<String, HashMap<String, String>>) {
    let (header, rows) = read_csv(path);
    let by_id = rows
        .into_iter()
        .map(|r| {
            let cells: HashMap<String, String> = header.iter().cloned().zip(r).collect();
            (cells["ticket_id"].clone(), cells)
        })
        .collect();
    (header, by_id)
}

#[test]
fn csv_has_the_language_after_emotions_and_foreign_tickets_are_not_guessed() {
    let ws = Workspace::new();
    let export: String = TICKETS
        .iter()
        .map(|(id, subject, body, _)| {
            let t = json!({"id": id, "subject": subject, "description": body,
                "status": "open", "updated_at": "2025-03-01T10:00:00Z"});
            format!("{t}\n")
        })
        .collect();
    let input = ws.file("mixed.ndjson", &export);
    let pipeline = run(&ws, &input);

    let (header, rows) = rows_by_id(&ws.path("out/tickets.csv"));
    let emotions = header.iter().position(|c| c == "emotions").unwrap();
    assert_eq!(header[emotions + 1], "language", "{header:?}");
    assert_eq!(header.len(), zdpipe::model::CSV_COLUMNS.len());
    for (id, _, _, want) in TICKETS {
        let row = &rows[&id.to_string()];
        assert_eq!(row["language"], want, "ticket {id}");
        let confidence: f64 = row["confidence"].parse().unwrap();
        if !want.is_empty() && want != "en" {
            assert!(confidence <= 0.3, "ticket {id}: confidence {confidence}");
        }
    }
    // No emoji or shouting in French: no sentiment read. German ends with ":(".
    assert_eq!(rows["3"]["sentiment"], "unknown");
    assert_eq!(rows["3"]["confidence"], "0.00");
    assert_eq!(rows["2"]["sentiment"], "negative");

    let out = zdpipe()
        .current_dir(ws.dir.path())
        .args(["results", "export", "--format", "jsonl"])
        .arg(&pipeline)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let exported: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let german = exported.iter().find(|r| r["ticket_id"] == 2).unwrap();
    assert_eq!(german["analysis"]["language"], "de", "{german}");
    report_shows_the_language_table(&ws, &pipeline);
}

/// Every format of `zdpipe report` has the language table with the same rows.
fn report_shows_the_language_table(ws: &Workspace, pipeline: &Path) {
    let report = |format: &str| {
        let out = zdpipe()
            .current_dir(ws.dir.path())
            .args(["report", "--format", format])
            .arg(pipeline)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out)
    };
    let json: Value = serde_json::from_str(&report("json")).unwrap();
    let languages = json["overall"]["languages"].as_array().unwrap();
    let rows: Vec<(&str, u64, u64)> = languages
        .iter()
        .map(|l| {
            let (key, count) = (l["key"].as_str().unwrap(), l["count"].as_u64().unwrap());
            (key, count, l["unknown"].as_u64().unwrap())
        })
        .collect();
    // One ticket each, by code; undetected last. French, Spanish and Dutch have no
    // language-neutral signal, so their sentiment is unknown.
    assert_eq!(
        rows,
        [
            ("de", 1, 0),
            ("en", 1, 0),
            ("es", 1, 1),
            ("fr", 1, 1),
            ("nl", 1, 1),
            ("", 1, 0)
        ]
    );
    let text = report("text");
    assert!(text.contains("Languages\n---------"), "{text}");
    assert!(text.contains("German (de)") && text.contains("Not detected"));
    let md = report("markdown");
    assert!(md.contains("## Languages"), "{md}");
    assert!(
        md.contains("| French (fr) | 1 | 16.7% | 0 | 0 | 0 | 1 |"),
        "{md}"
    );
    let html = report("html");
    assert!(html.contains("<h2>Languages</h2>"));
    assert!(html.contains("<td>Spanish (es)</td>"), "{html}");
}

/// Detection accuracy on the team's hand-labeled support messages (257 English, 78
/// in German, French, Spanish, Dutch, Portuguese and Italian): at least 95%.
/// `cargo test --release --test it language -- --nocapture` prints it.
#[test]
fn detects_the_labeled_support_messages() {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/support_messages");
    let ws = Workspace::new();
    run(&ws, &data.join("messages.ndjson"));
    let (_, rows) = rows_by_id(&ws.path("out/tickets.csv"));
    let (gold_header, gold) = read_csv(&data.join("labels.csv"));
    let lang = gold_header.iter().position(|c| c == "language").unwrap();
    let mut wrong = Vec::new();
    for g in &gold {
        let got = &rows[&g[0]]["language"];
        if *got != g[lang] {
            wrong.push(format!("{}: {} -> {got:?}", g[0], g[lang]));
        }
    }
    let accuracy = 1.0 - wrong.len() as f64 / gold.len() as f64;
    println!(
        "language accuracy on tests/data/support_messages: {accuracy:.3} ({} of {}); wrong: {wrong:?}",
        gold.len() - wrong.len(),
        gold.len()
    );
    assert!(accuracy >= 0.95, "{accuracy}: {wrong:?}");
}
