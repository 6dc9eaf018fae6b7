//! End-to-end tests of the sandbox over real HTTP on 127.0.0.1, plus checks of the
//! generated data itself. Shared helpers live here; the tests are grouped by area.

mod api;
mod data;
mod export;
mod faults;

use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::Value;

use super::{SandboxHandle, SandboxSettings};

/// A fixed epoch (2026-11-28T00:00:00Z) where tests compare data across instances.
pub const EPOCH: i64 = 1_795_824_000;

pub fn start(cfg: SandboxSettings) -> SandboxHandle {
    SandboxHandle::start(cfg).expect("sandbox starts")
}

pub fn start_with(tickets: u64) -> SandboxHandle {
    start(SandboxSettings {
        tickets,
        ..SandboxSettings::default()
    })
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .unwrap()
}

/// GETs `url` and parses the body as JSON (panics on transport or JSON errors).
pub async fn get_json(client: &reqwest::Client, url: &str) -> (StatusCode, HeaderMap, Value) {
    let resp = client
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {url}: {e}: {text}"));
    (status, headers, body)
}

/// Follows `links.next` from `url`, returning every page.
pub async fn walk_pages(client: &reqwest::Client, url: &str) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut next = Some(url.to_string());
    while let Some(url) = next {
        let (status, _, body) = get_json(client, &url).await;
        assert_eq!(status, StatusCode::OK, "{url}: {body}");
        next = body["links"]["next"].as_str().map(str::to_string);
        assert_eq!(next.is_some(), body["meta"]["has_more"] == true, "{body}");
        pages.push(body);
        assert!(pages.len() < 10_000, "pagination does not end");
    }
    pages
}

pub fn ids(items: &Value) -> Vec<u64> {
    items
        .as_array()
        .expect("a list")
        .iter()
        .map(|t| t["id"].as_u64().expect("an id"))
        .collect()
}
