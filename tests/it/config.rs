//! Pipeline files: each malformed file exits 2 with one line naming the key.

use crate::helpers::*;

const GOOD_FETCH: &str = "[fetch]\nsource = \"sandbox\"\nviews = [1]\n";
const GOOD_WRITE: &str = "[[write]]\nkind = \"csv\"\npath = \"out.csv\"\n";

fn check_bad(text: &str, must_mention: &[&str]) {
    let ws = Workspace::new();
    let p = ws.file("bad.toml", text);
    let out = zdpipe().arg("check").arg(&p).output().unwrap();
    let err = stderr(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "exit code for:\n{text}\nstderr: {err}"
    );
    let first = err.lines().next().unwrap_or("");
    assert_eq!(err.trim().lines().count(), 1, "one-line error, got: {err}");
    assert!(first.contains("bad.toml"), "names the file: {first}");
    for m in must_mention {
        assert!(first.contains(m), "error should mention {m:?}: {first}");
    }
    assert!(!ws.path("out.csv").exists());
}

#[test]
fn unknown_key_is_named_with_its_line() {
    check_bad(
        &format!("{GOOD_FETCH}[analyze]\nwokers = 4\n{GOOD_WRITE}"),
        &["wokers", "bad.toml:5", "workers"],
    );
}

#[test]
fn wrong_type_names_the_key() {
    check_bad(
        &format!("{GOOD_FETCH}[analyze]\nworkers = \"many\"\n{GOOD_WRITE}"),
        &["workers"],
    );
}

#[test]
fn bad_duration_says_what_is_valid() {
    check_bad(
        &format!("{GOOD_FETCH}[cache]\nttl = {{ tickets = \"5 fortnights\" }}\n{GOOD_WRITE}"),
        &["ttl", "15m"],
    );
}

#[test]
fn missing_fetch_section() {
    check_bad(GOOD_WRITE, &["[fetch]", "missing"]);
}

#[test]
fn missing_write_section() {
    check_bad(GOOD_FETCH, &["[write]", "missing"]);
}

#[test]
fn zero_workers() {
    check_bad(
        &format!("{GOOD_FETCH}[analyze]\nworkers = 0\n{GOOD_WRITE}"),
        &["workers", "bad.toml:5", "between 1 and 1024"],
    );
}

#[test]
fn http_base_url_to_a_remote_host() {
    check_bad(
        &format!("[fetch]\nsource = \"zendesk\"\nbase_url = \"http://support.example.com\"\nviews = [1]\n{GOOD_WRITE}"),
        &["base_url", "loopback", "https://support.example.com"],
    );
}

#[test]
fn unknown_source() {
    check_bad(
        &format!("[fetch]\nsource = \"zendsk\"\n{GOOD_WRITE}"),
        &["source", "\"zendesk\""],
    );
}

#[test]
fn view_mode_without_views() {
    check_bad(
        &format!("[fetch]\nsource = \"sandbox\"\nmode = \"view\"\n{GOOD_WRITE}"),
        &["views"],
    );
}

#[test]
fn unknown_write_kind() {
    check_bad(
        &format!("{GOOD_FETCH}[[write]]\nkind = \"parquet\"\npath = \"x\"\n"),
        &["kind", "\"csv\""],
    );
}

#[test]
fn an_error_in_the_second_write_table_names_that_table() {
    // Line 7 is the second `[[write]]`, which lacks its path.
    check_bad(
        &format!("{GOOD_FETCH}{GOOD_WRITE}[[write]]\nkind = \"sled\"\n"),
        &["bad.toml:7:", "[write] path", "kind = \"sled\" needs path"],
    );
    // A bad value there names its own line, not the first table's.
    check_bad(
        &format!("{GOOD_FETCH}{GOOD_WRITE}[[write]]\nkind = \"csv\"\npath = \"b.csv\"\n"),
        &["bad.toml:8:", "[write] kind", "only one"],
    );
}

#[test]
fn an_unknown_enum_value_lists_the_valid_ones() {
    check_bad(
        &format!("[fetch]\nsource = \"sandbox\"\nmode = \"nightly\"\n{GOOD_WRITE}"),
        &[
            "bad.toml:3: [fetch] mode: unknown variant \"nightly\"",
            "\"view\"",
            "\"incremental\"",
        ],
    );
    check_bad(
        &format!("{GOOD_FETCH}[analyze]\nanalyzer = \"gpt\"\n{GOOD_WRITE}"),
        &[
            "bad.toml:5: [analyze] analyzer:",
            "\"builtin\", \"openai\", \"anthropic\"",
        ],
    );
    check_bad(
        &format!("{GOOD_FETCH}[analyze]\nanalyzer = \"openai\"\njson_mode = \"xml\"\n{GOOD_WRITE}"),
        &[
            "bad.toml:6: [analyze] json_mode:",
            "\"json_schema\"",
            "\"json_object\"",
        ],
    );
}

#[test]
fn a_key_inside_an_inline_table_is_named_exactly() {
    check_bad(
        &format!(
            "{GOOD_FETCH}[cache]\npath = \"c\"\nttl = {{ users = \"forever\" }}\n{GOOD_WRITE}"
        ),
        &["bad.toml:6: [cache] ttl.users:", "\"forever\""],
    );
    check_bad(
        &format!("{GOOD_FETCH}[analyze]\nanalyzer = \"openai\"\nprice = {{ input_per_mtok = 1.0 }}\n{GOOD_WRITE}"),
        &["bad.toml:6: [analyze] price:", "output_per_mtok"],
    );
}

#[test]
fn toml_syntax_error_has_a_line() {
    check_bad(
        &format!("{GOOD_FETCH}[analyze\nworkers = 2\n{GOOD_WRITE}"),
        &["bad.toml:4"],
    );
}

#[test]
fn zendesk_source_needs_an_account() {
    check_bad(
        &format!("[fetch]\nsource = \"zendesk\"\nviews = [1]\n{GOOD_WRITE}"),
        &["subdomain", "base_url"],
    );
}

#[test]
fn missing_pipeline_file() {
    let out = zdpipe()
        .args(["run", "/nonexistent/p.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/nonexistent/p.toml"));
}

#[test]
fn relative_paths_resolve_against_the_pipeline_folder() {
    let ws = Workspace::new();
    let p = ws.file(
        "sub/demo.toml",
        "[fetch]\nsource = \"sandbox\"\nviews = [1]\n[fetch.sandbox]\ntickets = 30\n[cache]\npath = \"c\"\n[[write]]\nkind = \"csv\"\npath = \"out/x.csv\"\n",
    );
    zdpipe()
        .arg("run")
        .arg(&p)
        .current_dir(std::env::temp_dir())
        .assert()
        .success();
    assert!(ws.path("sub/out/x.csv").exists());
    assert!(ws.path("sub/c").is_dir());
}

#[test]
fn every_example_pipeline_is_valid() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
    let env = zdpipe::config::Env {
        zendesk_subdomain: Some("acme".into()),
        ..Default::default()
    };
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "toml") {
            zdpipe::config::Pipeline::load(&p, &env).unwrap_or_else(|e| panic!("{e}"));
            n += 1;
        }
    }
    assert!(n >= 7, "{n} example pipelines");
}

#[test]
fn the_export_example_runs_offline() {
    let ws = Workspace::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("pipelines/export.toml")).unwrap();
    std::fs::create_dir_all(ws.path("data")).unwrap();
    std::fs::copy(
        root.join("data/sample_tickets.ndjson"),
        ws.path("data/sample_tickets.ndjson"),
    )
    .unwrap();
    let p = ws.file("pipelines/export.toml", &text);
    let out = zdpipe().arg("run").arg(&p).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("sample_tickets.ndjson:7"),
        "the bad line is reported"
    );
    let csv = ws.path("out/export.csv");
    assert_eq!(csv_ids(&csv), vec![101, 102, 103, 104, 105, 106, 107, 108]);
    let categories = column(&csv, "category");
    assert_eq!(categories[0], "outage", "the custom category with keywords");
}

#[test]
fn keys_that_do_not_apply_are_errors() {
    check_bad(
        &format!(
            "[fetch]\nsource = \"sandbox\"\nmode = \"incremental\"\nviews = [1]\n{GOOD_WRITE}"
        ),
        &["views", "mode = \"view\""],
    );
    check_bad(
        &format!("{GOOD_FETCH}[report]\nhtml = \"r.html\"\n{GOOD_WRITE}"),
        &["[report]", "kind = \"sled\""],
    );
    check_bad(
        &format!("[fetch]\nsource = \"zendesk\"\nbase_url = \"https://me:pw@support.example.com\"\nviews = [1]\n{GOOD_WRITE}"),
        &["base_url", "password"],
    );
}

#[test]
fn a_user_lexicon_changes_the_scores_and_a_bad_one_is_named() {
    let ws = Workspace::new();
    ws.file(
        "t.ndjson",
        "{\"id\": 1, \"subject\": \"\", \"description\": \"The flurbish is back.\"}\n",
    );
    let pipeline = |lexicon: &str| {
        format!("[fetch]\nsource = \"file\"\npath = \"t.ndjson\"\n[cache]\npath = \"cache\"\n[analyze]\n[analyze.builtin]\n{lexicon}\n[[write]]\nkind = \"csv\"\npath = \"out.csv\"\n")
    };
    let plain = ws.file("plain.toml", &pipeline(""));
    zdpipe().arg("run").arg(&plain).assert().success();
    assert_eq!(column(&ws.path("out.csv"), "sentiment"), vec!["neutral"]);

    ws.file("terms.tsv", "# our words\nflurbish\t-3.0\n");
    let with = ws.file("with.toml", &pipeline("lexicon = \"terms.tsv\""));
    zdpipe().arg("run").arg(&with).assert().success();
    assert_eq!(column(&ws.path("out.csv"), "sentiment"), vec!["negative"]);

    ws.file("bad.tsv", "flurbish\t-3.0\nglorp\tvery bad\n");
    let bad = ws.file("bad.toml", &pipeline("lexicon = \"bad.tsv\""));
    let out = zdpipe().arg("run").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("bad.tsv") && err.contains('2'),
        "names the file and line: {err}"
    );
}

#[test]
fn llm_keys_reach_the_analyze_settings_as_written() {
    use zdpipe::analyze::{AnalyzerKind, JsonMode, Price};
    let text = format!(
        "{GOOD_FETCH}[analyze]\nanalyzer = \"openai\"\njson_mode = \"json_object\"\nprice = {{ input_per_mtok = 0.15, output_per_mtok = 0.6 }}\n{GOOD_WRITE}"
    );
    let env = zdpipe::config::Env::default();
    let p = zdpipe::config::Pipeline::from_str(std::path::Path::new("p.toml"), &text, &env)
        .unwrap_or_else(|e| panic!("{e}"));
    let a = &p.analyze;
    assert_eq!(a.analyzer, AnalyzerKind::OpenAi);
    assert_eq!(a.llm.model, "gpt-4o-mini", "the provider's default model");
    assert_eq!(a.llm.json_mode, JsonMode::JsonObject);
    assert_eq!(
        a.llm.price,
        Some(Price {
            input_per_mtok: 0.15,
            output_per_mtok: 0.6
        })
    );
    assert_eq!((a.llm.max_output_tokens, a.llm.redact_pii), (1024, true));
}

#[test]
fn an_unknown_placeholder_in_an_output_path_is_named_with_the_valid_ones() {
    check_bad(
        &format!("{GOOD_FETCH}[[write]]\nkind = \"csv\"\npath = \"out/n-{{day}}.csv\"\n"),
        &["path", "{day}", "{date}", "{time}", "{run_id}"],
    );
    check_bad(
        &format!("{GOOD_FETCH}[report]\nhtml = \"r-{{dat}}.html\"\n[[write]]\nkind = \"sled\"\npath = \"r.sled\"\n"),
        &["html", "{dat}", "{run_id}"],
    );
    check_bad(
        &format!("{GOOD_FETCH}[[write]]\nkind = \"csv\"\npath = \"out/{{date}}/n.csv\"\n"),
        &["path", "file name"],
    );
}

#[test]
fn llm_output_cap_and_temperature_are_checked_and_named() {
    let llm = "[analyze]\nanalyzer = \"openai\"\n";
    for (key, v) in [("max_output_tokens", "0"), ("max_tokens", "0")] {
        check_bad(
            &format!("{GOOD_FETCH}{llm}{key} = {v}\n{GOOD_WRITE}"),
            &["max_output_tokens", "at least 1"],
        );
    }
    check_bad(
        &format!("{GOOD_FETCH}{llm}temperature = 3.0\n{GOOD_WRITE}"),
        &["temperature", "between 0 and 2"],
    );
}

#[test]
fn temperature_is_unset_by_default_and_max_tokens_is_still_read() {
    let env = zdpipe::config::Env::default();
    let read = |extra: &str| {
        let text = format!("{GOOD_FETCH}[analyze]\nanalyzer = \"anthropic\"\n{extra}{GOOD_WRITE}");
        zdpipe::config::Pipeline::from_str(std::path::Path::new("p.toml"), &text, &env)
            .unwrap_or_else(|e| panic!("{e}"))
            .analyze
            .llm
    };
    let defaults = read("");
    assert_eq!(
        (defaults.temperature, defaults.max_output_tokens),
        (None, 1024)
    );
    let set = read("temperature = 0.2\nmax_tokens = 300\n");
    assert_eq!((set.temperature, set.max_output_tokens), (Some(0.2), 300));
}
