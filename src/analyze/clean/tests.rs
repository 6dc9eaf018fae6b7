//! Tests of the whole cleaner: the message fixtures under `tests/data/clean/`
//! (`NN-name.in.txt` or `NN-name.in.html`, cleaned text in `NN-name.out.txt`,
//! asserted exactly) and the markers of a few messages.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{clean_message, Markers};

const MIN_FIXTURES: usize = 40;

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/clean")
}

/// The inputs, sorted by name, each with its expected-output path.
fn fixtures() -> Vec<(PathBuf, PathBuf)> {
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(fixture_dir())
        .expect("tests/data/clean exists")
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.ends_with(".in.txt") || name.ends_with(".in.html")
        })
        .collect();
    inputs.sort();
    inputs
        .into_iter()
        .map(|input| {
            let name = input.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let stem = name.split(".in.").next().unwrap_or(name);
            let expected = input.with_file_name(format!("{stem}.out.txt"));
            (input, expected)
        })
        .collect()
}

/// A line-by-line comparison: `-` expected, `+` actual, from the first difference.
fn describe_mismatch(expected: &str, actual: &str) -> String {
    let (exp, act): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let first = exp
        .iter()
        .zip(&act)
        .position(|(e, a)| e != a)
        .unwrap_or(exp.len().min(act.len()));
    let mut out = format!("  first difference at line {}\n", first + 1);
    for line in &exp[first..] {
        let _ = writeln!(out, "  - {line:?}");
    }
    for line in &act[first..] {
        let _ = writeln!(out, "  + {line:?}");
    }
    out
}

#[test]
fn fixtures_clean_exactly() {
    let fixtures = fixtures();
    assert!(
        fixtures.len() >= MIN_FIXTURES,
        "expected at least {MIN_FIXTURES} fixtures in {}, found {}",
        fixture_dir().display(),
        fixtures.len()
    );
    let mut failures = String::new();
    for (input, expected_path) in &fixtures {
        let text = std::fs::read_to_string(input).expect("readable fixture");
        let expected = std::fs::read_to_string(expected_path)
            .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
        let expected = expected.strip_suffix('\n').unwrap_or(&expected);
        let actual = clean_message(&text).text;
        if actual != expected {
            let name = input.file_name().and_then(|n| n.to_str()).unwrap_or("?");
            let _ = write!(
                failures,
                "{name}:\n{}",
                describe_mismatch(expected, &actual)
            );
        }
    }
    assert!(failures.is_empty(), "cleaned text differs:\n{failures}");
}

fn markers_of(fixture: &str) -> Markers {
    let path = fixture_dir().join(fixture);
    clean_message(&std::fs::read_to_string(&path).expect("readable fixture")).markers
}

#[test]
fn collapsed_parts_are_counted() {
    let java = markers_of("30-java-stack-trace.in.txt");
    assert_eq!((java.log_blocks, java.urls, java.emails), (1, 0, 0));
    assert!(java.log_lines >= 8, "{java:?}");
    let links = markers_of("34-urls-and-emails.in.txt");
    assert_eq!((links.urls, links.emails, links.log_blocks), (2, 1, 0));
    assert!(markers_of("40-plain-question.in.txt").is_empty());
}

#[test]
fn signature_and_quote_addresses_are_not_counted() {
    let markers = markers_of("01-outlook-en.in.txt");
    assert_eq!(markers, Markers::default());
}

#[test]
fn empty_and_blank_messages() {
    assert_eq!(clean_message("").text, "");
    assert_eq!(clean_message("\n \n\t\n").text, "");
    assert_eq!(clean_message("Sent from my iPhone\n\n> On Jun 3, 2024, at 10:15, Example Support <help@example.com> wrote:\n> Hi").text, "");
}

/// The hand-labeled support set (`tests/data/support_messages/`) is what analyzers are
/// measured on after cleaning: every message keeps words of the customer, and no
/// quoted thread, attribution or header block survives.
#[test]
fn support_set_cleans_to_customer_words() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/support_messages/messages.ndjson");
    let export = std::fs::read_to_string(&path).expect("readable support set");
    let mut failures = String::new();
    for line in export.lines() {
        let ticket: serde_json::Value =
            serde_json::from_str(line).expect("one JSON ticket per line");
        let description = ticket["description"].as_str().expect("a description");
        let cleaned = clean_message(description).text;
        let leftover = cleaned.lines().find(|l| {
            l.starts_with('>')
                || l.ends_with("wrote:")
                || l.starts_with("From: ")
                || l.starts_with("Sent from my")
        });
        if cleaned.trim().is_empty() || leftover.is_some() {
            let _ = writeln!(
                failures,
                "ticket {}: {:?}",
                ticket["id"],
                leftover.unwrap_or("(empty)")
            );
        }
    }
    assert!(
        failures.is_empty(),
        "support messages not cleaned:\n{failures}"
    );
}
