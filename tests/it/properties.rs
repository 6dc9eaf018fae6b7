//! Property tests: input nobody planned for parses or fails with a message, never a
//! panic, and the CSV gives back any text byte for byte.
//!
//! Fixed seeds (failures reproduce, no persistence files) and case counts chosen for
//! CI: 256 cases for the cheap properties, 64 where each case writes files or builds
//! an analyzer; all of them together take a few seconds of a release build. They run
//! the library in-process (the config loader, the export reader, the row and the CSV
//! sink), not the binary per case.

use std::path::Path;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use serde_json::Value;
use zdpipe::config::{parse_duration, parse_since_flag, Env, Pipeline};
use zdpipe::fetch::{read_export, IncrementalPage, OnBadRecord};
use zdpipe::model::{ResultRecord, Ticket, User, View};
use zdpipe::pipeline::MaxFailures;
use zdpipe::write::{CsvSink, Sink};

fn seeded(seed: u64, cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A pipeline that loads, one `key = value` per line, for mutations to break.
const VALID: &str = r#"name = "prop"
[fetch]
source = "sandbox"
mode = "view"
views = [1, 2]
rate_limit_per_minute = 700
max_retries = 3
timeout = "30s"
since = "7d"
[fetch.sandbox]
tickets = 10
[cache]
path = "cache"
ttl = { views = "15m", tickets = "5m" }
[analyze]
analyzer = "builtin"
workers = 2
batch_size = 10
max_input_chars = 8000
[[analyze.category]]
name = "outage"
keywords = ["down", "outage"]
[[analyze.component]]
name = "gpu"
[[write]]
kind = "csv"
path = "out/prop.csv"
"#;

/// Values that have broken parsers before: empty, huge, negative, wrong types,
/// overflowing durations, odd unicode.
fn weird_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("\"\"".into()),
        Just("-1".into()),
        Just("0".into()),
        Just("18446744073709551616".into()),
        Just("1e309".into()),
        Just("nan".into()),
        Just("[]".into()),
        Just("{}".into()),
        Just("[[[[[[[[[[]]]]]]]]]]".into()),
        Just("\"99999999999999999999d\"".into()),
        Just("\"18446744073709551615s\"".into()),
        Just("\"0s\"".into()),
        Just("\"-5m\"".into()),
        Just("\"\u{202e}🦀\u{0}\"".into()),
        Just("\"\\ud800\"".into()),
        "[a-z0-9\"\\[\\]{}=,.-]{0,12}",
        "\"[^\"\\\\]{0,40}\"",
    ]
}

/// `VALID` with the values of some lines replaced.
fn mutated_pipeline() -> impl Strategy<Value = String> {
    vec((any::<prop::sample::Index>(), weird_value()), 1..4).prop_map(|edits| {
        let mut lines: Vec<String> = VALID.lines().map(String::from).collect();
        for (at, value) in edits {
            let i = at.index(lines.len());
            if let Some((key, _)) = lines[i].split_once(" = ") {
                lines[i] = format!("{key} = {value}");
            }
        }
        lines.join("\n")
    })
}

/// Loads `bytes` as a pipeline file: valid, or a configuration error (exit 2) with
/// a message.
fn load_or_usage_error(dir: &Path, bytes: &[u8]) -> Result<(), TestCaseError> {
    let path = dir.join("p.toml");
    std::fs::write(&path, bytes).unwrap();
    if let Err(e) = Pipeline::load(&path, &Env::default()) {
        prop_assert!(!e.to_string().trim().is_empty());
        let exit = zdpipe::app::Error::from(e).exit();
        prop_assert_eq!(exit, zdpipe::app::Exit::Usage);
    }
    Ok(())
}

proptest! {
    #![proptest_config(seeded(0x1601, 256))]

    #[test]
    fn any_bytes_as_a_pipeline_file_load_or_are_a_usage_error(
        bytes in vec(any::<u8>(), 0..400),
        mutated in mutated_pipeline(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        load_or_usage_error(dir.path(), &bytes)?;
        load_or_usage_error(dir.path(), mutated.as_bytes())?;
    }

    #[test]
    fn durations_and_failure_limits_parse_or_say_why(
        text in prop_oneof!["[0-9]{0,25}[a-zµ% .]{0,4}", ".{0,12}"],
    ) {
        for outcome in [
            parse_duration(&text).map(|_| ()),
            parse_since_flag(&text).map(|_| ()),
            text.parse::<MaxFailures>().map(|_| ()),
        ] {
            if let Err(why) = outcome {
                prop_assert!(!why.trim().is_empty());
            }
        }
    }
}

/// Any JSON value: nulls, wrong types, huge and negative numbers, deep nesting.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,30}".prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            vec(("[a-z_]{1,12}", inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// The text of a field's value: a JSON value, or text serde_json must refuse or
/// struggle with (lone surrogates, nesting past its limit, a 1 MB string).
fn field_text() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => json_value().prop_map(|v| v.to_string()),
        1 => Just("\"\\ud800 lone\"".to_string()),
        1 => Just("\"\\udc00\\ud800\"".to_string()),
        1 => Just(format!("{}{}", "[".repeat(300), "]".repeat(300))),
        1 => Just(format!("\"{}\"", "é".repeat(512 * 1024))),
        1 => Just("18446744073709551616123".to_string()),
    ]
}

const TICKET_FIELDS: &[&str] = &[
    "id",
    "subject",
    "description",
    "status",
    "priority",
    "type",
    "tags",
    "requester_id",
    "organization_id",
    "created_at",
    "updated_at",
    "custom_fields",
    "via",
    "satisfaction_rating",
];
const OTHER_FIELDS: &[&str] = &[
    "id",
    "name",
    "title",
    "active",
    "email",
    "tickets",
    "users",
    "organizations",
    "after_cursor",
    "end_of_stream",
];

/// A ticket line: a real id, then fields with any value (the id itself included).
fn ticket_line() -> impl Strategy<Value = String> {
    (
        any::<u32>(),
        vec((prop::sample::select(TICKET_FIELDS), field_text()), 0..5),
    )
        .prop_map(|(id, fields)| {
            let rest: String = fields
                .iter()
                .map(|(k, v)| format!(", \"{k}\": {v}"))
                .collect();
            format!("{{\"id\": {id}{rest}}}")
        })
}

proptest! {
    #![proptest_config(seeded(0x1602, 64))]

    #[test]
    fn any_json_in_ticket_fields_becomes_a_row_or_an_error_row(
        lines in vec(ticket_line(), 1..6),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.ndjson");
        // A plain first line makes it NDJSON (the first line decides the shape).
        std::fs::write(&path, format!("{{\"id\": 0}}\n{}", lines.join("\n"))).unwrap();
        let mut reader = read_export(&path, OnBadRecord::Skip).unwrap();
        let items = reader.next_items(100).unwrap();
        prop_assert_eq!(items.len() as u64 + reader.skipped, lines.len() as u64 + 1);
        // Every line that is JSON with a numeric id is a row, with an error if need be.
        let ids: Vec<u64> = std::iter::once(0)
            .chain(lines.iter().filter_map(|l| serde_json::from_str::<Value>(l).ok()?["id"].as_u64()))
            .collect();
        prop_assert_eq!(items.iter().map(|it| it.ticket.id).collect::<Vec<_>>(), ids);
        for item in &items {
            let row = ResultRecord::from_parts(&item.ticket, None, "builtin", "2026-01-01T00:00:00Z", item.error.clone());
            let row = row.to_row();
            let cells = row.cells();
            prop_assert_eq!(&cells[0], &item.ticket.id.to_string());
        }
    }

    #[test]
    fn any_json_in_user_view_and_page_fields_parses_or_is_refused(
        fields in vec((prop::sample::select(OTHER_FIELDS), field_text()), 0..5),
    ) {
        let body: Vec<String> = fields.iter().map(|(k, v)| format!("\"{k}\": {v}")).collect();
        let text = format!("{{{}}}", body.join(", "));
        let _ = serde_json::from_str::<User>(&text);
        let _ = serde_json::from_str::<View>(&text);
        let _ = serde_json::from_str::<Ticket>(&text);
        let _ = serde_json::from_str::<IncrementalPage>(&text);
    }
}

/// Text a CSV cell can hold: any unicode, dense with quotes, commas, CR/LF and
/// the characters a spreadsheet runs as a formula.
fn awkward_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        "[=+@\\-\t\r\n\",; a-zé🦀]{0,40}",
        "[=+@\\-\t\r][a-z\",\r\n]{0,10}",
    ]
}

fn record(id: u64, subject: &str, tags: &[String]) -> ResultRecord {
    let ticket = Ticket {
        id,
        subject: Some(subject.to_string()),
        tags: tags.to_vec(),
        ..Ticket::default()
    };
    ResultRecord::from_parts(&ticket, None, "builtin", "2026-01-02T03:04:05Z", None)
}

fn read_cells(path: &Path) -> Vec<Vec<String>> {
    csv::Reader::from_path(path)
        .unwrap()
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

proptest! {
    #![proptest_config(seeded(0x1603, 64))]

    #[test]
    fn the_csv_and_its_resume_give_back_any_text_byte_for_byte(
        subjects in vec((awkward_text(), vec(awkward_text(), 0..3)), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let records: Vec<ResultRecord> = subjects
            .iter()
            .enumerate()
            .map(|(i, (s, tags))| record(i as u64 + 1, s, tags))
            .collect();
        let whole = dir.path().join("whole.csv");
        let mut sink = Box::new(CsvSink::create(&whole, None).unwrap());
        sink.write(&records).unwrap();
        sink.finish().unwrap();
        let expected: Vec<Vec<String>> =
            records.iter().map(|r| r.to_row().cells().map(String::from).to_vec()).collect();
        prop_assert_eq!(read_cells(&whole), expected);

        // Killed after `k` rows were committed (and more written), then resumed.
        let k = cut.index(records.len() + 1);
        let resumed = dir.path().join("resumed.csv");
        let mut sink = CsvSink::create(&resumed, None).unwrap();
        sink.write(&records[..k]).unwrap();
        let committed = sink.commit().unwrap();
        sink.write(&records[k..]).unwrap();
        sink.commit().unwrap();
        drop(sink);
        let mut sink = Box::new(CsvSink::create(&resumed, committed).unwrap());
        sink.write(&records[k..]).unwrap();
        sink.finish().unwrap();
        prop_assert_eq!(std::fs::read(&resumed).unwrap(), std::fs::read(&whole).unwrap());
    }

    #[test]
    fn a_user_lexicon_loads_or_names_its_file(
        lines in vec(
            (
                prop_oneof!["[a-z]{1,8}( [a-z]{1,8})?", ".{0,10}"],
                prop_oneof!["-?[0-9]{1,2}(\\.[0-9]{1,3})?", ".{0,6}", Just("1e400".to_string()), Just("NaN".to_string())],
                prop_oneof![Just("\t"), Just(" "), Just("\t\t"), Just("")],
            ),
            0..6,
        ),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lexicon.tsv");
        let text: String = lines.iter().map(|(t, v, sep)| format!("{t}{sep}{v}\n")).collect();
        std::fs::write(&path, &text).unwrap();
        let opts = zdpipe::analyze::builtin::BuiltinOptions {
            lexicon: Some(path.clone()),
            ..Default::default()
        };
        match zdpipe::analyze::builtin::BuiltinAnalyzer::new(opts) {
            Ok(analyzer) => {
                analyzer.polarity_scores(&text);
            }
            Err(e) => prop_assert!(e.to_string().contains("lexicon.tsv"), "{}", e),
        }
    }
}
