//! Rate limiting, latency and injected faults, as a client sees them.

use std::collections::HashSet;
use std::time::Instant;

use reqwest::StatusCode;

use super::{client, start, start_with};
use crate::sandbox::{Fault, SandboxSettings};

#[tokio::test]
async fn requests_beyond_the_rate_limit_get_429_with_retry_after() {
    let sb = start(SandboxSettings {
        tickets: 20,
        rate_limit_per_minute: Some(5),
        retry_after_secs: Some(7),
        ..SandboxSettings::default()
    });
    let c = client();
    let url = format!("{}/api/v2/views/1/tickets", sb.base_url());
    for remaining in (0..5).rev() {
        let resp = c.get(&url).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()["x-rate-limit"], "5");
        assert_eq!(
            resp.headers()["x-rate-limit-remaining"],
            remaining.to_string().as_str()
        );
    }
    let limited = c.get(&url).send().await.unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers()["retry-after"], "7");
    assert_eq!(limited.headers()["x-rate-limit-remaining"], "0");
    let reset: u64 = limited.headers()["ratelimit-reset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&reset));

    // Without Retry-After configured the header is absent; lifting the limit heals.
    sb.set_rate_limit(Some(1));
    assert_eq!(
        c.get(&url).send().await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    sb.set_rate_limit(None);
    assert_eq!(c.get(&url).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(sb.requests(), 8);
    assert_eq!(sb.state().stats().rate_limited, 2);

    let quiet = start(SandboxSettings {
        rate_limit_per_minute: Some(0),
        retry_after_secs: None,
        ..SandboxSettings::default()
    });
    let resp = c
        .get(format!("{}/api/v2/users/me", quiet.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(!resp.headers().contains_key("retry-after"));
}

/// How a client experienced one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Seen {
    Ok,
    Status(u16),
    Broken,
    BadJson,
}

async fn fetch(c: &reqwest::Client, url: &str) -> Seen {
    let Ok(resp) = c.get(url).send().await else {
        return Seen::Broken;
    };
    let status = resp.status();
    let Ok(text) = resp.text().await else {
        return Seen::Broken;
    };
    match (
        status.as_u16(),
        serde_json::from_str::<serde_json::Value>(&text),
    ) {
        (200, Ok(_)) => Seen::Ok,
        (200, Err(_)) => Seen::BadJson,
        (code, _) => Seen::Status(code),
    }
}

#[tokio::test]
async fn full_fault_rate_produces_every_kind_of_fault() {
    let sb = start(SandboxSettings {
        tickets: 200,
        fault_rate: 1.0,
        ..SandboxSettings::default()
    });
    let c = client();
    let url = format!("{}/api/v2/views/1/tickets?page[size]=20", sb.base_url());
    let mut seen = HashSet::new();
    for _ in 0..60 {
        let s = fetch(&c, &url).await;
        assert_ne!(s, Seen::Ok, "every request fails at rate 1.0");
        seen.insert(s);
    }
    for kind in [
        Seen::Status(500),
        Seen::Status(502),
        Seen::Status(503),
        Seen::Broken,
        Seen::BadJson,
    ] {
        assert!(seen.contains(&kind), "{kind:?} never seen: {seen:?}");
    }
    let log = sb.request_log();
    assert_eq!(log.len(), 60);
    assert!(log.iter().all(|r| r.fault.is_some()));
    let dropped = log
        .iter()
        .find(|r| r.fault == Some(Fault::DroppedConnection))
        .unwrap();
    assert_eq!(dropped.status, 0);
    let truncated = log
        .iter()
        .find(|r| r.fault == Some(Fault::TruncatedBody))
        .unwrap();
    assert_eq!(truncated.status, 200);

    // The knob works at run time, and the sandbox is healthy again afterwards.
    sb.set_fault_rate(0.0);
    for _ in 0..5 {
        assert_eq!(fetch(&c, &url).await, Seen::Ok);
    }
    sb.set_fault_rate(0.3);
    let results: Vec<Seen> =
        futures_util::future::join_all((0..100).map(|_| fetch(&c, &url))).await;
    let failed = results.iter().filter(|s| **s != Seen::Ok).count();
    assert!((10..=55).contains(&failed), "about 30% fail: {failed}");
}

#[tokio::test]
async fn latency_delays_answers_without_blocking_other_requests() {
    let sb = start_with(50);
    sb.set_latency_ms(300);
    let c = client();
    let url = format!("{}/api/v2/users/me", sb.base_url());
    let started = Instant::now();
    let results: Vec<Seen> = futures_util::future::join_all((0..8).map(|_| fetch(&c, &url))).await;
    let took = started.elapsed();
    assert!(results.iter().all(|s| *s == Seen::Ok));
    assert!(took.as_millis() >= 300, "{took:?}");
    assert!(took.as_millis() < 1_500, "sleeps are concurrent: {took:?}");
}
