//! The incremental cursor export: walking to the end, resuming, and touched tickets.

use reqwest::StatusCode;
use serde_json::Value;

use super::{client, get_json, ids, start_with};
use crate::sandbox::encode::unix_now;

/// Follows `after_url` until `end_of_stream`; returns the pages.
async fn walk_export(c: &reqwest::Client, url: &str) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut url = url.to_string();
    loop {
        let (status, _, body) = get_json(c, &url).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let end = body["end_of_stream"].as_bool().expect("end_of_stream");
        url = body["after_url"].as_str().expect("after_url").to_string();
        assert!(body["after_cursor"].is_string());
        pages.push(body);
        if end {
            return pages;
        }
        assert!(pages.len() < 1_000, "the export never ends");
    }
}

#[tokio::test]
async fn export_walks_to_the_end_then_sees_only_touched_tickets() {
    let sb = start_with(2_500);
    let c = client();
    let base = sb.base_url();
    let url = format!("{base}/api/v2/incremental/tickets/cursor.json?start_time=0");
    let pages = walk_export(&c, &url).await;
    assert_eq!(pages.len(), 3, "1000 per page by default");
    let tickets: Vec<&Value> = pages
        .iter()
        .flat_map(|p| p["tickets"].as_array().unwrap())
        .collect();
    let got: Vec<u64> = tickets.iter().map(|t| t["id"].as_u64().unwrap()).collect();
    assert_eq!(
        got,
        (1..=2_500).collect::<Vec<u64>>(),
        "every ticket once, in order"
    );
    let stamps: Vec<i64> = tickets
        .iter()
        .map(|t| t["generated_timestamp"].as_i64().unwrap())
        .collect();
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]));
    assert!(stamps[stamps.len() - 1] < unix_now());
    let deleted = tickets.iter().filter(|t| t["status"] == "deleted").count();
    assert!((5..=60).contains(&deleted), "about 1% deleted: {deleted}");

    // Nothing changed: the saved cursor yields nothing, and says so.
    let cursor = pages.last().unwrap()["after_cursor"]
        .as_str()
        .unwrap()
        .to_string();
    let resume = format!("{base}/api/v2/incremental/tickets/cursor.json?cursor={cursor}");
    let (_, _, body) = get_json(&c, &resume).await;
    assert_eq!(body["tickets"].as_array().unwrap().len(), 0);
    assert_eq!(body["end_of_stream"], true);
    assert_eq!(body["after_cursor"], cursor.as_str());

    // One agent update: exactly that ticket comes back, newer than everything.
    let before = sb.dataset().ticket(1_234).unwrap();
    sb.touch_ticket(1_234);
    let (_, _, body) = get_json(&c, &resume).await;
    assert_eq!(ids(&body["tickets"]), vec![1_234]);
    assert_eq!(body["end_of_stream"], true);
    let touched = &body["tickets"][0];
    assert!(touched["generated_timestamp"].as_i64().unwrap() > stamps[stamps.len() - 1]);
    assert_ne!(touched["subject"], before.subject.unwrap().as_str());
    assert!(touched["description"]
        .as_str()
        .unwrap()
        .starts_with(&before.description.unwrap()));
    let (_, _, again) = get_json(&c, body["after_url"].as_str().unwrap()).await;
    assert_eq!(ids(&again["tickets"]), Vec::<u64>::new());

    // A fresh full export lists the touched ticket last, once.
    let pages = walk_export(&c, &format!("{url}&per_page=700")).await;
    let got: Vec<u64> = pages.iter().flat_map(|p| ids(&p["tickets"])).collect();
    assert_eq!(got.len(), 2_500);
    assert_eq!(got.last(), Some(&1_234));
    assert_eq!(pages.len(), 4);
}

#[tokio::test]
async fn export_filters_on_start_time_and_validates_it() {
    let sb = start_with(1_000);
    let c = client();
    let base = sb.base_url();
    let d = sb.dataset();
    let start = d.generated_timestamp(900).unwrap();
    let url = format!("{base}/api/v2/incremental/tickets/cursor?start_time={start}&per_page=50");
    let (_, _, first) = get_json(&c, &url).await;
    let got = ids(&first["tickets"]);
    let expected: Vec<u64> = (1..=1_000)
        .filter(|&id| d.generated_timestamp(id).unwrap() >= start)
        .take(50)
        .collect();
    assert_eq!(got, expected);
    assert_eq!(first["end_of_stream"], false);
    assert!(first["after_url"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{base}/api/v2/incremental/tickets/cursor?")));

    let too_recent = unix_now() - 10;
    let bad = [
        format!("{base}/api/v2/incremental/tickets/cursor.json?start_time={too_recent}"),
        format!("{base}/api/v2/incremental/tickets/cursor.json"),
        format!("{base}/api/v2/incremental/tickets/cursor.json?cursor=nonsense"),
    ];
    for url in bad {
        let (status, _, body) = get_json(&c, &url).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}");
        assert_eq!(body["error"], "InvalidValue");
        assert!(body["description"].is_string());
    }
}
