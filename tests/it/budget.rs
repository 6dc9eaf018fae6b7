//! `[analyze] max_cost` through the real binary against the sandbox's simulated
//! model: the run stops sending at the limit, exits 3 and says so, and the next run
//! analyzes the rest.

use crate::helpers::*;

const TICKETS: u64 = 120;

/// An OpenAI pipeline on view 1 at a price that makes each ticket cost about $1.
fn budget_pipeline(ws: &Workspace, base_url: &str, max_cost: f64) -> std::path::PathBuf {
    let analyze = format!(
        "[analyze]\nanalyzer = \"openai\"\nmodel = \"gpt-4o-mini\"\nbase_url = \"{base_url}\"\n\
         workers = 4\nmax_cost = {max_cost:?}\n\
         price = {{ input_per_mtok = 1000.0, output_per_mtok = 1000.0 }}\n"
    );
    ws.view_pipeline("budget", base_url, &[1], &analyze)
}

#[test]
fn max_cost_stops_sending_at_the_limit_and_the_next_run_analyzes_the_rest() {
    let sb = sandbox(TICKETS);
    let ws = Workspace::new();
    let p = budget_pipeline(&ws, &sb.base_url(), 20.0);
    let out = ws.run_with_summary(&p, "first.json");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("budget: max_cost $20 reached")
            && err.contains("tickets left for the next run"),
        "{err}"
    );
    let first = read_json(&ws.path("first.json"));
    assert_eq!(first["outcome"], "stopped_budget");
    let spent = first["llm"]["cost_usd"].as_f64().unwrap();
    let sent = sb.state().llm().requests();
    assert!(spent <= 20.0, "spent ${spent} of a $20 budget");
    assert!(
        spent > 20.0 - 4.0 * 2.0,
        "stopped near the limit, not long before it: ${spent}"
    );
    assert!(sent > 0 && sent < TICKETS / 2, "{sent} requests");
    assert_eq!(first["llm"]["requests"].as_u64(), Some(sent));
    assert!(
        !ws.path("out/budget.csv").exists(),
        "a stopped view run leaves no output, as after Ctrl-C"
    );

    let p = budget_pipeline(&ws, &sb.base_url(), 10_000.0);
    let out = ws.run_with_summary(&p, "second.json");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_view_written_once(&sb, &ws.path("out/budget.csv"), "every ticket once");
    let second = read_json(&ws.path("second.json"));
    assert_eq!(
        second["reused"].as_u64(),
        Some(sent),
        "what was paid for is reused"
    );
    assert_eq!(
        sb.state().llm().requests(),
        TICKETS,
        "each ticket reached the model once across both runs"
    );
}

#[test]
fn max_cost_needs_a_priced_llm_model() {
    let ws = Workspace::new();
    let unpriced = "[analyze]\nanalyzer = \"openai\"\nmodel = \"my-local-model\"\nmax_cost = 5.0\n";
    let p = ws.view_pipeline("unpriced", "http://127.0.0.1:9", &[1], unpriced);
    let out = zdpipe().arg("check").arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("max_cost") && err.contains("price"), "{err}");

    let builtin = "[analyze]\nanalyzer = \"builtin\"\nmax_cost = 5.0\n";
    let p = ws.view_pipeline("builtin", "http://127.0.0.1:9", &[1], builtin);
    let out = zdpipe().arg("check").arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("max_cost"), "{}", stderr(&out));

    let negative = "[analyze]\nanalyzer = \"openai\"\nmax_cost = -1.0\n";
    let p = ws.view_pipeline("negative", "http://127.0.0.1:9", &[1], negative);
    let out = zdpipe().arg("check").arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("positive"), "{}", stderr(&out));
}

/// A nightly (incremental) OpenAI pipeline at about $0.001 a ticket.
fn nightly_budget(ws: &Workspace, base_url: &str, max_cost: f64) -> std::path::PathBuf {
    ws.file(
        "nightly.toml",
        &format!(
            "name = \"nightly\"\n[fetch]\nsource = \"zendesk\"\nbase_url = \"{base_url}\"\n\
             auth = \"api_token\"\nmode = \"incremental\"\nsince = \"60d\"\n\
             rate_limit_per_minute = 100000\n\
             [analyze]\nanalyzer = \"openai\"\nmodel = \"gpt-4o-mini\"\nbase_url = \"{base_url}\"\n\
             workers = 16\nmax_cost = {max_cost:?}\n\
             price = {{ input_per_mtok = 1.0, output_per_mtok = 1.0 }}\n\
             [cache]\npath = \"cache\"\n[[write]]\nkind = \"csv\"\npath = \"out/nightly.csv\"\n"
        ),
    )
}

#[test]
fn a_nightly_run_stopped_by_its_budget_keeps_its_checkpoint_and_the_next_continues() {
    let sb = sandbox(3000);
    let ws = Workspace::new();
    let p = nightly_budget(&ws, &sb.base_url(), 2.0);
    let out = ws.run_with_summary(&p, "first.json");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let first = read_json(&ws.path("first.json"));
    assert_eq!(first["outcome"], "stopped_budget");
    assert!(first["llm"]["cost_usd"].as_f64().unwrap() <= 2.0);
    let partial = ws.path("out/nightly.csv.partial");
    assert!(partial.exists(), "the partial CSV is kept for the next run");
    assert!(
        !csv_ids(&partial).is_empty(),
        "rows before the stop were written"
    );
    let sent = sb.state().llm().requests();
    assert!(sent > 0 && sent < 3000, "{sent} requests");

    let p = nightly_budget(&ws, &sb.base_url(), 10_000.0);
    let out = ws.run_with_summary(&p, "second.json");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let ids = csv_ids(&ws.path("out/nightly.csv"));
    let unique: std::collections::HashSet<u64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "no ticket twice");
    assert_eq!(unique, (1..=3000).collect(), "no ticket lost");
    assert_eq!(
        sb.state().llm().requests(),
        3000,
        "each ticket reached the model once across both runs"
    );
}
