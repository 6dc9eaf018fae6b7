//! Search backfills (`mode = "search"`) and deleted tickets in nightly runs, through
//! the real binary against the sandbox: what a query selects (archived tickets
//! included, which views never list), every ticket once across a SIGKILL, and a
//! ticket deleted between two nightly runs flagged in the results store and left out
//! of the next report.

use std::path::PathBuf;

use serde_json::Value;

use crate::helpers::*;

fn start(cfg: SandboxSettings) -> SandboxHandle {
    SandboxHandle::start(SandboxSettings {
        auth: Some(Credentials {
            email: EMAIL.into(),
            token: TOKEN.into(),
        }),
        ..cfg
    })
    .unwrap()
}

/// A search backfill of `query` against `base_url`, into a CSV.
fn search_pipeline(ws: &Workspace, base_url: &str, query: &str) -> PathBuf {
    ws.file(
        "search.toml",
        &format!(
            "name = \"search\"\n[fetch]\nsource = \"zendesk\"\nbase_url = \"{base_url}\"\nmode = \"search\"\nquery = \"{query}\"\nrate_limit_per_minute = 100000\n[cache]\npath = \"cache\"\n[[write]]\nkind = \"csv\"\npath = \"out/search.csv\"\n"
        ),
    )
}

fn search_pages(sb: &SandboxHandle) -> usize {
    sb.request_log()
        .iter()
        .filter(|r| r.path_and_query.contains("/search/export"))
        .count()
}

#[test]
fn a_search_backfill_writes_what_the_query_selects_archived_included_once_across_a_kill() {
    let sb = start(SandboxSettings {
        tickets: 6_000,
        archived: 400,
        latency_ms: 3,
        ..SandboxSettings::default()
    });
    let ws = Workspace::new();
    let p = search_pipeline(&ws, &sb.base_url(), "type:ticket status:closed -tags:vip");
    // What the query selects, read off the tickets themselves: closed, not VIP, not
    // deleted (a deleted ticket's status says so), in id order.
    let expected: Vec<u64> = (1..=6_000)
        .filter(|&id| {
            let t = sb.dataset().ticket(id).unwrap();
            t.status.as_deref() == Some("closed") && !t.tags.iter().any(|tag| tag == "vip")
        })
        .collect();
    let archived: Vec<u64> = expected.iter().copied().filter(|&id| id <= 400).collect();
    assert!(
        archived.len() > 100 && expected.len() > 1_000,
        "{}",
        expected.len()
    );
    let in_views: std::collections::HashSet<u64> = sb.dataset().view_ticket_ids(1).collect();
    assert!(
        archived.iter().all(|id| !in_views.contains(id)),
        "views hide archived tickets"
    );

    let mut child = spawn_run(&p, false);
    kill_when(&mut child, || search_pages(&sb) >= 10);
    let listed_before = search_pages(&sb);
    sb.reset_counters();
    let out = ws.run_with_summary(&p, "s.json");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        csv_ids(&ws.path("out/search.csv")),
        expected,
        "exactly the selected tickets, archived ones included, each once, in order"
    );
    // The resumed run continued the listing the killed one kept instead of paging
    // the search again from its first page.
    // (sled makes the kept pages durable within about half a second, so the last few
    // pages a SIGKILL interrupts may be listed again, never the whole search.)
    let pages = expected.len().div_ceil(100);
    let again = search_pages(&sb);
    assert!(
        again < pages && again + listed_before >= pages,
        "the resumed run listed {again} of {pages} pages after {listed_before} before the kill"
    );
    assert!(column(&ws.path("out/search.csv"), "view_id")
        .iter()
        .all(String::is_empty));
}

#[test]
fn a_search_pipeline_needs_a_ticket_query() {
    let ws = Workspace::new();
    let bad = [
        ("", "mode = \"search\" needs a query"),
        ("query = \"  \"\n", "needs a query"),
        ("query = \"type:user role:agent\"\n", "type:user"),
    ];
    for (extra, says) in bad {
        let p = ws.file(
            "bad.toml",
            &format!("name = \"bad\"\n[fetch]\nsource = \"sandbox\"\nmode = \"search\"\n{extra}[cache]\npath = \"cache\"\n[[write]]\nkind = \"csv\"\npath = \"out.csv\"\n"),
        );
        let out = zdpipe().arg("run").arg(&p).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{extra}");
        assert!(stderr(&out).contains(says), "{extra}: {}", stderr(&out));
        assert!(!ws.path("out.csv").exists());
    }
    let p = ws.file(
        "misplaced.toml",
        "name = \"m\"\n[fetch]\nsource = \"sandbox\"\nmode = \"view\"\nviews = [1]\nquery = \"tags:vip\"\n[cache]\npath = \"cache\"\n[[write]]\nkind = \"csv\"\npath = \"out.csv\"\n",
    );
    let out = zdpipe().arg("run").arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("only applies to mode = \"search\""),
        "{}",
        stderr(&out)
    );
}

/// `zdpipe report --format json` of the pipeline (with `extra` flags).
fn report(p: &std::path::Path, extra: &[&str]) -> Value {
    let out = zdpipe()
        .arg("report")
        .arg(p)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The results store's record of ticket `id`, through `zdpipe results export`.
fn stored(p: &std::path::Path, id: u64) -> Value {
    let out = zdpipe()
        .args(["results", "export", "--format", "jsonl"])
        .arg(p)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|r| r["ticket_id"] == id)
        .unwrap_or_else(|| panic!("ticket {id} not in the results store"))
}

/// A nightly pipeline into a CSV and a results store; `extra` goes under `[fetch]`.
fn nightly_pipeline(ws: &Workspace, base_url: &str, extra: &str) -> PathBuf {
    ws.file(
        "nightly.toml",
        &format!("name = \"nightly\"\n[fetch]\nsource = \"zendesk\"\nbase_url = \"{base_url}\"\nmode = \"incremental\"\nsince = \"60d\"\nrate_limit_per_minute = 100000\nhigh_volume = true\nrate_window = \"1s\"\n{extra}[cache]\npath = \"cache\"\n[[write]]\nkind = \"csv\"\npath = \"out/nightly.csv\"\n[[write]]\nkind = \"sled\"\npath = \"out/results\"\n"),
    )
}

#[test]
fn a_ticket_deleted_between_nightly_runs_is_flagged_and_left_out_of_the_next_report() {
    let sb = start(SandboxSettings {
        tickets: 400,
        ..SandboxSettings::default()
    });
    let ws = Workspace::new();
    let p = nightly_pipeline(&ws, &sb.base_url(), "");
    zdpipe_auth().arg("run").arg(&p).assert().success();
    let before = report(&p, &[]);
    let total = before["overall"]["total"].as_u64().unwrap();
    let live = (1..=400).filter(|&id| !sb.dataset().is_deleted(id)).count() as u64;
    assert_eq!(
        total, live,
        "tickets deleted before the first run are not counted"
    );
    let id = (1..=400).find(|&id| !sb.dataset().is_deleted(id)).unwrap();
    let analysis = stored(&p, id)["analysis"].clone();
    assert!(analysis.is_object() && stored(&p, id).get("deleted").is_none());

    sb.dataset().delete_ticket(id).unwrap();
    zdpipe_auth().arg("run").arg(&p).assert().success();
    let csv = ws.path("out/nightly.csv");
    assert_eq!(
        csv_ids(&csv),
        vec![id],
        "the next run reads only the deletion"
    );
    assert_eq!(column(&csv, "status"), vec!["deleted"]);
    let record = stored(&p, id);
    assert_eq!(record["deleted"], true);
    assert_eq!(record["status"], "deleted");
    assert_eq!(record["analysis"], analysis, "its analysis is kept");
    assert_eq!(report(&p, &[])["overall"]["total"], total - 1);
    assert_eq!(
        report(&p, &["--include-deleted"])["overall"]["total"],
        400,
        "every ticket, deleted ones too"
    );
}

#[test]
fn with_exclude_deleted_a_deletion_skips_the_csv_but_still_leaves_the_report() {
    let sb = start(SandboxSettings {
        tickets: 400,
        ..SandboxSettings::default()
    });
    let ws = Workspace::new();
    let p = nightly_pipeline(&ws, &sb.base_url(), "exclude_deleted = true\n");
    let csv = ws.path("out/nightly.csv");
    zdpipe_auth().arg("run").arg(&p).assert().success();
    let live: Vec<u64> = (1..=400)
        .filter(|&id| !sb.dataset().is_deleted(id))
        .collect();
    assert!(live.len() < 400, "the sandbox has deleted tickets");
    let mut first = csv_ids(&csv);
    first.sort();
    assert_eq!(first, live, "deleted tickets get no row");
    let total = report(&p, &[])["overall"]["total"].as_u64().unwrap();
    assert_eq!(total, live.len() as u64);

    let id = live[0];
    let analysis = stored(&p, id)["analysis"].clone();
    sb.dataset().delete_ticket(id).unwrap();
    zdpipe_auth().arg("run").arg(&p).assert().success();
    assert_eq!(csv_ids(&csv), Vec::<u64>::new(), "no row for the deletion");
    let record = stored(&p, id);
    assert_eq!(record["deleted"], true, "the results store learned of it");
    assert_eq!(record["analysis"], analysis, "its analysis is kept");
    assert_eq!(
        report(&p, &[])["overall"]["total"],
        total - 1,
        "the report no longer counts it"
    );
}

#[test]
fn report_by_status_and_category_breaks_down_every_analyzed_ticket_and_refuses_an_unknown_dimension(
) {
    let sb = start(SandboxSettings {
        tickets: 300,
        ..SandboxSettings::default()
    });
    let ws = Workspace::new();
    let p = ws.view_pipeline(
        "by",
        &sb.base_url(),
        &[1],
        "[[write]]\nkind = \"sled\"\npath = \"out/results\"\n",
    );
    zdpipe_auth().arg("run").arg(&p).assert().success();
    let json = report(&p, &["--by", "status", "--by", "category"]);
    let total = json["overall"]["analyzed"].as_u64().unwrap();
    let statuses = column(&ws.path("out/by.csv"), "status");
    for (i, dim) in ["status", "category"].into_iter().enumerate() {
        let b = &json["breakdowns"][i];
        assert_eq!(b["dimension"], dim);
        let rows = b["rows"].as_array().unwrap();
        let tickets: Vec<u64> = rows
            .iter()
            .map(|r| r["tickets"].as_u64().unwrap())
            .collect();
        assert_eq!(
            tickets.iter().sum::<u64>(),
            total,
            "{dim}: every analyzed ticket once"
        );
        assert!(tickets.windows(2).all(|w| w[0] >= w[1]), "{dim}: by volume");
    }
    for row in json["breakdowns"][0]["rows"].as_array().unwrap() {
        let value = row["value"].as_str().unwrap();
        let in_csv = statuses.iter().filter(|s| *s == value).count() as u64;
        assert_eq!(row["tickets"].as_u64().unwrap(), in_csv, "status {value}");
    }
    let out = zdpipe()
        .arg("report")
        .arg(&p)
        .args(["--by", "Region"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("\"Region\"") && err.contains("available: status"),
        "{err}"
    );
    assert!(stdout(&out).is_empty(), "no partial output");
}
