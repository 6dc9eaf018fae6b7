//! `analyzer = "hybrid"` through the real binary against the sandbox and its
//! simulated model: which tickets reach the model, what the rows say, and what the
//! summary reports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::helpers::*;

const TICKETS: u64 = 200;

/// `[analyze]` of a hybrid pipeline whose model is the sandbox's OpenAI endpoint.
fn hybrid_analyze(base_url: &str) -> String {
    format!(
        "[analyze]\nanalyzer = \"hybrid\"\nmodel = \"gpt-4o-mini\"\nbase_url = \"{base_url}\"\n\
         [analyze.hybrid]\nllm = \"openai\"\nbelow_confidence = 0.6\nlanguages = [\"en\"]\n"
    )
}

/// Rows by ticket id, each as column name -> cell.
fn rows(csv: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let (header, rows) = read_csv(csv);
    rows.into_iter()
        .map(|r| {
            let row: BTreeMap<String, String> = header.iter().cloned().zip(r).collect();
            (row["ticket_id"].clone(), row)
        })
        .collect()
}

#[test]
fn only_unsure_tickets_reach_the_model_and_the_rest_match_a_builtin_run() {
    let sb = sandbox(TICKETS);
    let (plain, mixed) = (Workspace::new(), Workspace::new());
    let p = plain.view_pipeline(
        "plain",
        &sb.base_url(),
        &[1],
        "[analyze]\nanalyzer = \"builtin\"\n",
    );
    let out = plain.run_with_summary(&p, "summary.json");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let builtin = rows(&plain.path("out/plain.csv"));
    let unsure: BTreeSet<String> = builtin
        .iter()
        .filter(|(_, r)| {
            let confidence: f64 = r["confidence"].parse().unwrap();
            confidence < 0.6 || !matches!(r["language"].as_str(), "" | "en")
        })
        .map(|(id, _)| id.clone())
        .collect();
    assert!(
        !unsure.is_empty() && unsure.len() < builtin.len(),
        "{}",
        unsure.len()
    );
    assert_eq!(sb.state().llm().requests(), 0);

    let store = "[[write]]\nkind = \"sled\"\npath = \"out/results\"\n";
    let analyze = format!("{}{store}", hybrid_analyze(&sb.base_url()));
    let h = mixed.view_pipeline("mixed", &sb.base_url(), &[1], &analyze);
    let out = mixed.run_with_summary(&h, "summary.json");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        sb.state().llm().requests(),
        unsure.len() as u64,
        "one request per unsure ticket"
    );
    let hybrid = rows(&mixed.path("out/mixed.csv"));
    assert_eq!(hybrid.len(), builtin.len());
    let to_model: BTreeSet<String> = hybrid
        .iter()
        .filter(|(_, r)| r["analyzer"] == "hybrid:openai:gpt-4o-mini")
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(
        to_model, unsure,
        "the model decided exactly the unsure tickets"
    );
    for (id, row) in &hybrid {
        if unsure.contains(id) {
            continue;
        }
        assert_eq!(row["analyzer"], "hybrid:builtin", "ticket {id}");
        let mut mine = row.clone();
        let mut theirs = builtin[id].clone();
        for cell in ["analyzer", "analyzed_at"] {
            mine.remove(cell);
            theirs.remove(cell);
        }
        assert_eq!(mine, theirs, "ticket {id}: the built-in row differs");
    }

    let s = read_json(&mixed.path("summary.json"));
    let (sent, kept) = (
        unsure.len() as u64,
        builtin.len() as u64 - unsure.len() as u64,
    );
    assert_eq!(s["hybrid"]["to_model"], sent);
    assert_eq!(s["hybrid"]["by_builtin"], kept);
    let share = s["hybrid"]["model_share"].as_f64().unwrap();
    assert!(
        (share - sent as f64 / builtin.len() as f64).abs() < 1e-9,
        "{share}"
    );
    // gpt-4o-mini is in the price table: $0.15 in, $0.60 out per million tokens.
    let llm = &s["llm"];
    let (input, output) = (
        llm["input_tokens"].as_f64().unwrap(),
        llm["output_tokens"].as_f64().unwrap(),
    );
    let cost = llm["cost_usd"].as_f64().expect("a price from the table");
    assert!(
        (cost - (input * 0.15 + output * 0.60) / 1e6).abs() < 1e-12,
        "{cost}"
    );
    let all_llm = s["hybrid"]["all_llm_cost_usd"].as_f64().unwrap();
    assert!(
        all_llm > 2.0 * cost,
        "an all-LLM run costs more: {all_llm} vs {cost}"
    );
    assert!(
        stderr(&out).contains(&format!("sent to the model ({sent} of {})", builtin.len())),
        "{}",
        stderr(&out)
    );

    // A rerun reuses every analysis with the cell of the part that made it.
    let out = mixed.run_with_summary(&h, "summary.json");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        sb.state().llm().requests(),
        sent,
        "the rerun called the model"
    );
    assert_eq!(rows(&mixed.path("out/mixed.csv")), hybrid);

    // The report counts who decided from the stored rows.
    let report = |format: &str| {
        let out = zdpipe()
            .arg("report")
            .arg(&h)
            .args(["--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out)
    };
    let json: serde_json::Value = serde_json::from_str(&report("json")).unwrap();
    assert_eq!(json["hybrid"]["by_model"], sent);
    assert_eq!(json["hybrid"]["by_builtin"], kept);
    let line = format!("decided by the model ({sent} of {})", builtin.len());
    assert!(report("text").contains(&line), "{}", report("text"));
}

#[test]
fn a_hybrid_pipeline_without_its_table_or_llm_is_refused() {
    let ws = Workspace::new();
    let bad = [
        ("[analyze]\nanalyzer = \"hybrid\"\n", "[analyze.hybrid]"),
        ("[analyze]\nanalyzer = \"hybrid\"\n[analyze.hybrid]\nbelow_confidence = 0.5\n", "llm"),
        ("[analyze]\nanalyzer = \"hybrid\"\n[analyze.hybrid]\nllm = \"openai\"\nbelow_confidence = 1.5\n", "below_confidence"),
        ("[analyze]\nanalyzer = \"hybrid\"\n[analyze.hybrid]\nllm = \"openai\"\nlanguages = [\"english\"]\n", "ISO 639-1"),
        ("[analyze]\nanalyzer = \"builtin\"\n[analyze.hybrid]\nllm = \"openai\"\n", "only applies to analyzer = \"hybrid\""),
    ];
    for (analyze, says) in bad {
        let p = ws.view_pipeline("bad", "http://127.0.0.1:9", &[1], analyze);
        let out = zdpipe().arg("check").arg(&p).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{analyze}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{analyze}: {}", stderr(&out));
    }
}

/// `zdpipe plan PIPELINE --json`, which must succeed.
fn plan(ws: &Workspace, pipeline: &Path) -> serde_json::Value {
    let out = zdpipe_auth()
        .arg("plan")
        .arg(pipeline)
        .arg("--json")
        .current_dir(ws.path(""))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("plan --json prints JSON")
}

#[test]
fn plan_counts_tickets_tokens_and_cost_without_calling_the_model() {
    let sb = sandbox(TICKETS);
    let ws = Workspace::new();
    let h = ws.view_pipeline(
        "mixed",
        &sb.base_url(),
        &[1],
        &hybrid_analyze(&sb.base_url()),
    );
    let listed = sb.dataset().view_ticket_ids(1).count() as u64;

    // An empty cache: the view's count from Zendesk, no text to estimate from.
    let p = plan(&ws, &h);
    assert_eq!(p["tickets"], listed);
    assert_eq!(p["cached"], 0);
    assert_eq!(p["to_analyze"], listed);

    // After a builtin run on the same cache the text is there: the built-in pass
    // tells which tickets would go to the model, and the estimate is the request the
    // run then sends (the sandbox counts its bytes the same way).
    let b = ws.view_pipeline(
        "plain",
        &sb.base_url(),
        &[1],
        "[analyze]\nanalyzer = \"builtin\"\n",
    );
    assert_eq!(
        ws.run_with_summary(&b, "builtin.json").status.code(),
        Some(0)
    );
    let first_run = read_json(&ws.path("builtin.json"));
    assert_eq!(
        p["zendesk_requests"], first_run["http_requests"],
        "the requests of a first run"
    );
    let p = plan(&ws, &h);
    assert_eq!(p["cached"], listed);
    assert_eq!(p["to_reuse"], 0);
    let llm = &p["llm"];
    assert_eq!(sb.state().llm().requests(), 0, "plan called the model");

    let out = ws.run_with_summary(&h, "summary.json");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let s = read_json(&ws.path("summary.json"));
    assert_eq!(
        llm["to_model"].as_f64().unwrap(),
        s["hybrid"]["to_model"].as_f64().unwrap()
    );
    assert_eq!(llm["input_tokens"], s["llm"]["input_tokens"]);
    let share = llm["model_share"].as_f64().unwrap();
    assert!((share - s["hybrid"]["model_share"].as_f64().unwrap()).abs() < 1e-9);
    let (input, output) = (
        llm["input_tokens"].as_f64().unwrap(),
        llm["output_tokens"].as_f64().unwrap(),
    );
    let cost = llm["cost_usd"].as_f64().unwrap();
    assert!(
        (cost - (input * 0.15 + output * 0.60) / 1e6).abs() < 1e-12,
        "{cost}"
    );
    assert!((llm["batch_cost_usd"].as_f64().unwrap() - cost / 2.0).abs() < 1e-12);

    // Everything is stored now: nothing to analyze, nothing for the model.
    let p = plan(&ws, &h);
    assert_eq!(p["to_reuse"], listed);
    assert_eq!(p["to_analyze"], 0);
    assert_eq!(p["llm"]["to_model"].as_f64().unwrap(), 0.0);
}

#[test]
fn plan_of_an_llm_pipeline_sends_every_new_ticket_to_the_model_and_calls_none() {
    let sb = sandbox(TICKETS);
    let ws = Workspace::new();
    let b = ws.view_pipeline(
        "plain",
        &sb.base_url(),
        &[1],
        "[analyze]\nanalyzer = \"builtin\"\n",
    );
    assert_eq!(
        ws.run_with_summary(&b, "builtin.json").status.code(),
        Some(0)
    );
    let analyze = format!(
        "[analyze]\nanalyzer = \"anthropic\"\nmodel = \"claude-it\"\nbase_url = \"{}\"\n",
        sb.base_url()
    );
    let l = ws.view_pipeline("llm", &sb.base_url(), &[1], &analyze);
    let p = plan(&ws, &l);
    let listed = sb.dataset().view_ticket_ids(1).count() as f64;
    assert_eq!(p["llm"]["to_model"].as_f64().unwrap(), listed);
    assert!(p["llm"]["input_tokens"].as_u64().unwrap() > 0);
    assert!(p["llm"]["cost_usd"].is_null(), "claude-it has no price");
    // The text form says how to get a cost.
    let out = zdpipe_auth()
        .arg("plan")
        .arg(&l)
        .current_dir(ws.path(""))
        .output()
        .unwrap();
    assert!(
        stdout(&out).contains("cost unknown: set [analyze] price"),
        "{}",
        stdout(&out)
    );
    assert_eq!(sb.state().llm().requests(), 0, "plan called the model");
}
