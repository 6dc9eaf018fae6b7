//! Extra columns: custom fields by title (option names, not tags), standard columns
//! named through whole lookup lists (never a request per ticket), `zdpipe fields`,
//! and the exit-2 errors for a title or column that does not exist.

use std::collections::HashMap;

use crate::helpers::*;

const STANDARD: &str =
    r#"columns = ["channel", "group", "assignee", "satisfaction", "first_reply_minutes"]"#;

/// The sandbox's groups, as its `groups` list names them.
fn group_names() -> HashMap<u64, &'static str> {
    HashMap::from([
        (20_000, "Hardware support"),
        (20_001, "Billing"),
        (20_002, "Accounts"),
        (20_003, "Shipping"),
        (20_004, "Software support"),
        (20_005, "Product feedback"),
        (20_006, "General questions"),
    ])
}

/// A view-1 pipeline writing the CSV and the results store, `extra` in the CSV table.
fn pipeline(ws: &Workspace, name: &str, base_url: &str, extra: &str) -> std::path::PathBuf {
    ws.file(
        &format!("{name}.toml"),
        &format!(
            r#"name = "{name}"
[fetch]
source = "zendesk"
base_url = "{base_url}"
auth = "api_token"
mode = "view"
views = [1]
rate_limit_per_minute = 100000
[cache]
path = "cache-{name}"
[[write]]
kind = "csv"
path = "out/{name}.csv"
{extra}
[[write]]
kind = "sled"
path = "results-{name}"
"#
        ),
    )
}

fn http_requests(ws: &Workspace, summary: &str) -> u64 {
    read_json(&ws.path(summary))["http_requests"]
        .as_u64()
        .expect("http_requests in the summary")
}

#[test]
fn fields_and_standard_columns_cost_one_request_per_list_not_per_ticket() {
    let sb = sandbox(250);
    let ws = Workspace::new();
    let plain = pipeline(&ws, "plain", &sb.base_url(), "");
    let out = ws.run_with_summary(&plain, "plain.json");
    assert!(out.status.success(), "{}", stderr(&out));
    let without = http_requests(&ws, "plain.json");

    sb.reset_counters();
    let extra = format!("fields = [\"Product\", \"region\"]\n{STANDARD}");
    let wide = pipeline(&ws, "wide", &sb.base_url(), &extra);
    let out = ws.run_with_summary(&wide, "wide.json");
    assert!(out.status.success(), "{}", stderr(&out));
    let log: Vec<String> = sb
        .request_log()
        .into_iter()
        .map(|r| r.path_and_query)
        .collect();
    let pages = log
        .iter()
        .filter(|p| p.contains("/views/1/tickets"))
        .count();
    assert_eq!(pages, 3, "250 tickets are three pages: {log:?}");
    for list in ["ticket_fields", "groups"] {
        let asked = log
            .iter()
            .filter(|p| p.contains(&format!("/{list}")))
            .count();
        assert_eq!(asked, 1, "{list} is fetched once: {log:?}");
    }
    assert!(
        !log.iter()
            .any(|p| p.contains("show_many") || p.contains("/tickets/")),
        "no request per ticket (assignees come with the pages): {log:?}"
    );
    let with = http_requests(&ws, "wide.json");
    assert_eq!(with, log.len() as u64, "the summary counts every request");
    assert_eq!(
        with,
        without + 2,
        "the pages, plus one request per lookup list (ticket fields, groups)"
    );

    let csv = ws.path("out/wide.csv");
    let (header, _) = read_csv(&csv);
    let tail: Vec<&str> = header
        .iter()
        .skip_while(|h| *h != "error")
        .skip(1)
        .map(String::as_str)
        .collect();
    assert_eq!(
        tail,
        [
            "Product",
            "Region",
            "channel",
            "group",
            "assignee",
            "satisfaction",
            "first_reply_minutes"
        ]
    );
    let ids = csv_ids(&csv);
    let products = column(&csv, "Product");
    let regions = column(&csv, "Region");
    let groups = column(&csv, "group");
    let assignees = column(&csv, "assignee");
    let channels = column(&csv, "channel");
    let replies = column(&csv, "first_reply_minutes");
    let names = group_names();
    for (i, id) in ids.iter().enumerate() {
        let ticket = sb.dataset().ticket(*id).unwrap();
        assert!(
            ["Devices", "Cloud console", "Billing portal", "Mobile app"]
                .contains(&products[i].as_str()),
            "ticket {id}: the option's name, not its tag: {:?}",
            products[i]
        );
        assert!(["", "Europe", "North America", "Asia Pacific"].contains(&regions[i].as_str()));
        assert_eq!(groups[i], names[&ticket.group_id.unwrap()], "ticket {id}");
        let assignee = ticket
            .assignee_id
            .and_then(|a| sb.dataset().user(a))
            .map(|u| u.name);
        assert_eq!(assignees[i], assignee.unwrap_or_default(), "ticket {id}");
        assert_eq!(Some(channels[i].clone()), ticket.via.unwrap().channel);
        let metrics = sb.dataset().metric_set(*id).unwrap();
        let reply = &metrics["reply_time_in_minutes"]["calendar"];
        assert_eq!(
            replies[i],
            reply.as_u64().map(|m| m.to_string()).unwrap_or_default()
        );
    }
    assert!(regions.iter().any(|r| r == "Europe") && assignees.iter().any(|a| !a.is_empty()));

    // The results store keeps the columns, and `results export` writes them.
    let out = zdpipe()
        .args(["results", "export"])
        .arg(&wide)
        .args(["--output", "export.csv"])
        .current_dir(ws.path(""))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let exported = ws.path("export.csv");
    assert_eq!(read_csv(&exported).0, header);
    assert_eq!(column(&exported, "group"), groups);
    assert_eq!(column(&exported, "Product"), products);
}

#[test]
fn an_unknown_field_title_exits_2_naming_the_closest_titles() {
    let sb = sandbox(20);
    let ws = Workspace::new();
    let p = pipeline(&ws, "typo", &sb.base_url(), r#"fields = ["Prodcut"]"#);
    let out = ws.run_with_summary(&p, "typo.json");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("\"Prodcut\"") && err.contains("\"Product\" (360000005)"),
        "{err}"
    );
    assert!(!ws.path("out/typo.csv").exists(), "no partial output");

    let p = pipeline(&ws, "col", &sb.base_url(), r#"columns = ["grup"]"#);
    let out = ws.run_with_summary(&p, "col.json");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("unknown column \"grup\"") && err.contains("requester_wait_minutes"),
        "{err}"
    );
}

#[test]
fn fields_lists_titles_types_and_option_names() {
    let sb = sandbox(20);
    let ws = Workspace::new();
    let p = pipeline(&ws, "list", &sb.base_url(), "");
    let out = zdpipe_auth()
        .arg("fields")
        .arg(&p)
        .current_dir(ws.path(""))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("360000005  tagger        Product"), "{text}");
    assert!(
        text.contains("options: Devices (product_devices), Cloud console (product_console)"),
        "{text}"
    );
    assert!(text.contains("status (system)"), "{text}");
    let out = zdpipe_auth()
        .args(["fields", "--json"])
        .arg(&p)
        .current_dir(ws.path(""))
        .output()
        .unwrap();
    let fields: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let platforms = fields
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["title"] == "Platforms")
        .expect("the multiselect is listed");
    assert_eq!(platforms["type"], "multiselect");
    assert_eq!(platforms["custom_field_options"][2]["name"], "Linux");
}

#[test]
fn the_incremental_export_sideloads_metric_sets_only_when_a_metric_column_asks() {
    let sb = sandbox(1500);
    let ws = Workspace::new();
    let p = ws.file(
        "nightly.toml",
        &format!(
            r#"name = "nightly"
[fetch]
source = "zendesk"
base_url = "{}"
mode = "incremental"
since = "60d"
rate_limit_per_minute = 100000
high_volume = true
[cache]
path = "cache"
[[write]]
kind = "csv"
path = "out/nightly.csv"
columns = ["assignee", "full_resolution_minutes", "replies"]
"#,
            sb.base_url()
        ),
    );
    let out = ws.run_with_summary(&p, "nightly.json");
    assert!(out.status.success(), "{}", stderr(&out));
    let log: Vec<String> = sb
        .request_log()
        .into_iter()
        .map(|r| r.path_and_query)
        .collect();
    assert!(
        log.iter()
            .all(|p| p.contains("incremental/tickets") && p.contains("metric_sets")),
        "only export pages, each with its metric sets (no list is needed): {log:?}"
    );
    let csv = ws.path("out/nightly.csv");
    let ids = csv_ids(&csv);
    assert_eq!(ids.len(), 1500);
    let resolution = column(&csv, "full_resolution_minutes");
    let replies = column(&csv, "replies");
    let assignees = column(&csv, "assignee");
    for (i, id) in ids.iter().enumerate() {
        let metrics = sb.dataset().metric_set(*id).unwrap();
        let full = &metrics["full_resolution_time_in_minutes"]["calendar"];
        assert_eq!(
            resolution[i],
            full.as_u64().map(|m| m.to_string()).unwrap_or_default()
        );
        assert_eq!(replies[i], metrics["replies"].to_string(), "ticket {id}");
        let ticket = sb.dataset().ticket(*id).unwrap();
        let name = ticket
            .assignee_id
            .and_then(|a| sb.dataset().user(a))
            .map(|u| u.name);
        assert_eq!(assignees[i], name.unwrap_or_default(), "ticket {id}");
    }
    assert!(resolution.iter().any(|r| !r.is_empty()) && resolution.iter().any(String::is_empty));
}

#[test]
fn tickets_cached_without_metric_sets_are_fetched_again_for_a_metric_column() {
    let sb = sandbox(150);
    let ws = Workspace::new();
    let plain = pipeline(&ws, "first", &sb.base_url(), "");
    let out = ws.run_with_summary(&plain, "first.json");
    assert!(out.status.success(), "{}", stderr(&out));
    // The same cache (a complete listing, the tickets) with a metric column.
    let text = std::fs::read_to_string(&plain).unwrap();
    let text = text
        .replace("\"first\"", "\"second\"")
        .replace("out/first.csv", "out/second.csv");
    let second = ws.file(
        "second.toml",
        &format!("{text}\ncolumns = [\"replies\"]\n").replace(
            "[[write]]\nkind = \"sled\"\npath = \"results-first\"\n\ncolumns = [\"replies\"]\n",
            "[[write]]\nkind = \"sled\"\npath = \"results-first\"\ncolumns = [\"replies\"]\n",
        ),
    );
    sb.reset_counters();
    let out = ws.run_with_summary(&second, "second.json");
    assert!(out.status.success(), "{}", stderr(&out));
    let shown: Vec<String> = sb
        .request_log()
        .into_iter()
        .map(|r| r.path_and_query)
        .collect();
    assert!(
        shown
            .iter()
            .any(|p| p.contains("show_many") && p.contains("metric_sets")),
        "cached tickets without metric sets are fetched again with them: {shown:?}"
    );
    let csv = ws.path("out/second.csv");
    for (id, replies) in csv_ids(&csv).into_iter().zip(column(&csv, "replies")) {
        let metrics = sb.dataset().metric_set(id).unwrap();
        assert_eq!(replies, metrics["replies"].to_string(), "ticket {id}");
    }
}

/// CSV rows as maps from header to cell.
fn csv_rows(path: &std::path::Path) -> Vec<HashMap<String, String>> {
    let (header, rows) = read_csv(path);
    rows.into_iter()
        .map(|row| header.iter().cloned().zip(row).collect())
        .collect()
}

/// What a breakdown or agreement row must say for the CSV rows it covers.
fn assert_row_matches(row: &serde_json::Value, rows: &[&HashMap<String, String>], what: &str) {
    let count =
        |f: &dyn Fn(&HashMap<String, String>) -> bool| rows.iter().filter(|r| f(r)).count() as u64;
    assert_eq!(row["tickets"], rows.len() as u64, "{what}: tickets");
    for sentiment in ["positive", "neutral", "negative"] {
        let n = count(&|r| r["sentiment"] == sentiment);
        assert_eq!(row[sentiment], n, "{what}: {sentiment}");
    }
    let frustrated = count(&|r| r["frustration"].parse::<u8>().unwrap() >= 4);
    assert_eq!(
        row["frustration_4_5"], frustrated,
        "{what}: frustration 4-5"
    );
}

#[test]
fn a_report_by_channel_and_product_slices_the_written_columns_and_checks_ratings() {
    let sb = sandbox(300);
    let ws = Workspace::new();
    let extra = "fields = [\"Product\"]\ncolumns = [\"channel\", \"satisfaction\"]";
    let p = pipeline(&ws, "sliced", &sb.base_url(), extra);
    let out = ws.run_with_summary(&p, "sliced.json");
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = csv_rows(&ws.path("out/sliced.csv"));
    assert!(
        rows.iter().all(|r| r["error"].is_empty()),
        "every ticket analyzed"
    );

    let out = zdpipe()
        .arg("report")
        .arg(&p)
        .args(["--by", "channel", "--by", "Product", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for (i, dim) in ["channel", "Product"].into_iter().enumerate() {
        let b = &json["breakdowns"][i];
        assert_eq!(b["dimension"], dim);
        let table = b["rows"].as_array().unwrap();
        let mut values: Vec<&str> = rows
            .iter()
            .map(|r| match r[dim].as_str() {
                "" => "(none)",
                v => v,
            })
            .collect();
        values.sort();
        values.dedup();
        assert!(values.len() > 1, "{dim}: several values in the CSV");
        let mut reported: Vec<&str> = table.iter().map(|r| r["value"].as_str().unwrap()).collect();
        reported.sort();
        assert_eq!(reported, values, "{dim}: one row per value in the CSV");
        for row in table {
            let value = row["value"].as_str().unwrap();
            let cover: Vec<_> = rows
                .iter()
                .filter(|r| r[dim] == value || (r[dim].is_empty() && value == "(none)"))
                .collect();
            assert_row_matches(row, &cover, &format!("{dim} {value}"));
        }
    }
    let agreement = json["agreement"]["rows"]
        .as_array()
        .expect("the sandbox has satisfaction ratings");
    let ratings: Vec<&str> = agreement
        .iter()
        .map(|r| r["value"].as_str().unwrap())
        .collect();
    assert_eq!(ratings, ["good", "bad"]);
    for row in agreement {
        let rating = row["value"].as_str().unwrap();
        let cover: Vec<_> = rows
            .iter()
            .filter(|r| r["satisfaction"] == rating)
            .collect();
        assert!(!cover.is_empty(), "some tickets rated {rating}");
        assert_row_matches(row, &cover, &format!("rated {rating}"));
    }

    let out = zdpipe()
        .arg("report")
        .arg(&p)
        .args(["--by", "channel", "--by", "Product", "--format", "html"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let html = stdout(&out);
    for chart in ["by-channel", "by-Product", "agreement"] {
        assert!(html.contains(&format!("data-chart=\"{chart}\"")), "{chart}");
        assert!(html.contains(&format!("data-table=\"{chart}\"")), "{chart}");
    }
}
