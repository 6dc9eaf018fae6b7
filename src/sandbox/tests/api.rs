//! Views, view tickets, counts, show_many, comments, users/me, auth and admin routes.

use std::collections::HashSet;

use reqwest::StatusCode;

use super::{client, get_json, ids, start, start_with, walk_pages};
use crate::model::{Comment, Ticket, User, View};
use crate::sandbox::{Credentials, SandboxSettings};

#[tokio::test]
async fn view_one_pages_cover_every_live_ticket_exactly_once() {
    let sb = start_with(1_050);
    let c = client();
    let base = sb.base_url();
    let pages = walk_pages(&c, &format!("{base}/api/v2/views/1/tickets.json")).await;
    let got: Vec<u64> = pages.iter().flat_map(|p| ids(&p["tickets"])).collect();
    let expected: Vec<u64> = sb.dataset().view_ticket_ids(1).collect();
    assert_eq!(got, expected);
    assert_eq!(got.iter().collect::<HashSet<_>>().len(), got.len());
    assert!(
        got.len() > 1_000 && got.len() < 1_050,
        "about 1% are deleted: {}",
        got.len()
    );
    assert_eq!(pages.len(), got.len().div_ceil(100));
    assert!(pages
        .iter()
        .take(pages.len() - 1)
        .all(|p| p["tickets"].as_array().unwrap().len() == 100));
    let first_next = pages[0]["links"]["next"].as_str().unwrap();
    assert!(
        first_next.starts_with(&format!("{base}/api/v2/views/1/tickets.json?")),
        "{first_next}"
    );
    assert!(first_next.contains("page%5Bafter%5D="), "{first_next}");
    let last = pages.last().unwrap();
    assert_eq!(last["meta"]["has_more"], false);
    assert!(last["links"]["next"].is_null());

    // What a client parses is what the data set says.
    let parsed: Vec<Ticket> = serde_json::from_value(pages[0]["tickets"].clone()).unwrap();
    assert_eq!(parsed[3], sb.dataset().ticket(parsed[3].id).unwrap());
    assert!(sb.requests() >= pages.len() as u64);
}

#[tokio::test]
async fn filtered_views_page_forwards_and_backwards_and_count_exactly() {
    let sb = start_with(3_000);
    let c = client();
    let base = sb.base_url();
    for view in [2, 3, 4, 5, 6, 7] {
        let url = format!("{base}/api/v2/views/{view}/tickets?page[size]=37");
        let pages = walk_pages(&c, &url).await;
        let got: Vec<u64> = pages.iter().flat_map(|p| ids(&p["tickets"])).collect();
        let expected: Vec<u64> = sb.dataset().view_ticket_ids(view).collect();
        assert_eq!(got, expected, "view {view}");
        let (status, _, count) =
            get_json(&c, &format!("{base}/api/v2/views/{view}/count.json")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            count["view_count"]["value"],
            expected.len() as u64,
            "view {view}"
        );
        assert_eq!(count["view_count"]["fresh"], true);
        assert_eq!(count["view_count"]["view_id"], view);
    }
    // links.prev of the second page leads back to the first page.
    let url = format!("{base}/api/v2/views/3/tickets?page[size]=10");
    let (_, _, first) = get_json(&c, &url).await;
    let (_, _, second) = get_json(&c, first["links"]["next"].as_str().unwrap()).await;
    let (_, _, back) = get_json(&c, second["links"]["prev"].as_str().unwrap()).await;
    assert_eq!(ids(&back["tickets"]), ids(&first["tickets"]));
    assert!(first["links"]["prev"].is_null());
}

#[tokio::test]
async fn views_listing_and_lookup() {
    let sb = start_with(100);
    let c = client();
    let base = sb.base_url();
    let (_, _, all) = get_json(&c, &format!("{base}/api/v2/views.json")).await;
    let views: Vec<View> = serde_json::from_value(all["views"].clone()).unwrap();
    assert_eq!(views, sb.dataset().views());
    assert_eq!(views[0].title, "All tickets");
    assert!(views.iter().any(|v| !v.active));
    let (_, _, active) = get_json(&c, &format!("{base}/api/v2/views/active")).await;
    let active: Vec<View> = serde_json::from_value(active["views"].clone()).unwrap();
    assert!(active.iter().all(|v| v.active) && active.len() == views.len() - 1);
    let (_, _, small) = get_json(&c, &format!("{base}/api/v2/views?page[size]=2")).await;
    assert_eq!(small["meta"]["has_more"], true);
    let pages = walk_pages(&c, &format!("{base}/api/v2/views?page[size]=2")).await;
    assert_eq!(
        pages.iter().map(|p| ids(&p["views"]).len()).sum::<usize>(),
        views.len()
    );

    let (status, _, one) = get_json(&c, &format!("{base}/api/v2/views/4.json")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["view"]["title"], "Billing & refunds");
    for path in [
        "views/999",
        "views/999/tickets",
        "views/999/count",
        "views/abc",
    ] {
        let (status, _, body) = get_json(&c, &format!("{base}/api/v2/{path}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            body,
            serde_json::json!({"error": "RecordNotFound", "description": "Not found"})
        );
    }
    let (status, _, body) = get_json(&c, &format!("{base}/api/v2/nope")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "InvalidEndpoint");
    let (status, _, body) =
        get_json(&c, &format!("{base}/api/v2/views/1/tickets?page[after]=zz")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "InvalidPaginationParameter");
}

#[tokio::test]
async fn show_many_returns_known_records_and_caps_ids() {
    let sb = start_with(500);
    let c = client();
    let base = sb.base_url();
    let deleted = (1..=500)
        .find(|&id| sb.dataset().is_deleted(id))
        .expect("a deleted ticket");
    let url =
        format!("{base}/api/v2/tickets/show_many.json?ids=3,1,{deleted},9999,42&include=users");
    let (status, _, body) = get_json(&c, &url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&body["tickets"]), vec![3, 1, 42]);
    let tickets: Vec<Ticket> = serde_json::from_value(body["tickets"].clone()).unwrap();
    assert_eq!(tickets[2], sb.dataset().ticket(42).unwrap());
    let sideloaded = ids(&body["users"]);
    assert!(tickets
        .iter()
        .all(|t| sideloaded.contains(&t.requester_id.unwrap())));

    let many = (1..=101)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let (status, _, body) =
        get_json(&c, &format!("{base}/api/v2/tickets/show_many?ids={many}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "InvalidValue");

    let (_, _, users) = get_json(
        &c,
        &format!("{base}/api/v2/users/show_many?ids=1,2,0,100000"),
    )
    .await;
    let users: Vec<User> = serde_json::from_value(users["users"].clone()).unwrap();
    assert_eq!(
        users,
        vec![sb.dataset().user(1).unwrap(), sb.dataset().user(2).unwrap()]
    );
    assert!(users
        .iter()
        .all(|u| u.email.as_deref().unwrap().contains('@')));
    let (_, _, orgs) = get_json(
        &c,
        &format!("{base}/api/v2/organizations/show_many?ids=1,50,51"),
    )
    .await;
    assert_eq!(ids(&orgs["organizations"]), vec![1, 50]);
    assert!(orgs["organizations"][0]["name"].as_str().unwrap().len() > 3);
}

#[tokio::test]
async fn comments_start_with_the_description_and_paginate() {
    let sb = start_with(300);
    let c = client();
    let base = sb.base_url();
    let d = sb.dataset();
    let id = (1..=300)
        .find(|&id| !d.is_deleted(id) && d.comments(id).unwrap().len() >= 4)
        .expect("a long conversation");
    let pages = walk_pages(
        &c,
        &format!("{base}/api/v2/tickets/{id}/comments.json?page[size]=2"),
    )
    .await;
    let comments: Vec<Comment> = pages
        .iter()
        .flat_map(|p| serde_json::from_value::<Vec<Comment>>(p["comments"].clone()).unwrap())
        .collect();
    assert_eq!(comments, d.comments(id).unwrap());
    assert_eq!(comments[0].body, d.ticket(id).unwrap().description.unwrap());
    assert_ne!(
        comments[1].author_id, comments[0].author_id,
        "an agent answers"
    );
    let (status, _, _) = get_json(&c, &format!("{base}/api/v2/tickets/9999/comments")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn credentials_are_enforced_when_configured() {
    let sb = start(SandboxSettings {
        tickets: 10,
        auth: Some(Credentials {
            email: "ops@acme.example".into(),
            token: "t0ken".into(),
        }),
        ..SandboxSettings::default()
    });
    let c = client();
    let url = format!("{}/api/v2/users/me.json", sb.base_url());
    let send = |user: &str, token: &str| c.get(&url).basic_auth(user, Some(token)).send();
    let resp = send("ops@acme.example/token", "wrong").await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({"error": "Couldn't authenticate you"})
    );
    assert_eq!(
        c.get(&url).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let ok = send("ops@acme.example/token", "t0ken").await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let me: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(me["user"]["email"], "ops@acme.example");
    assert_eq!(me["user"]["role"], "admin");
    let bearer = c.get(&url).bearer_auth("t0ken").send().await.unwrap();
    assert_eq!(bearer.status(), StatusCode::OK);
    assert_eq!(sb.requests(), 4);
}

#[tokio::test]
async fn admin_routes_touch_and_report_without_being_counted() {
    let sb = start_with(50);
    let c = client();
    let base = sb.base_url();
    let (_, headers, _) = get_json(&c, &format!("{base}/api/v2/users/me")).await;
    assert!(headers.contains_key("x-rate-limit") && headers.contains_key("ratelimit-reset"));
    let before = sb.dataset().ticket(7).unwrap();
    let resp = c
        .post(format!("{base}/_sandbox/tickets/7/touch"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let after = sb.dataset().ticket(7).unwrap();
    assert_ne!(before.subject, after.subject);
    assert!(after.updated_at > before.updated_at);
    let resp = c
        .post(format!("{base}/_sandbox/tickets/999/touch"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let (_, _, stats) = get_json(&c, &format!("{base}/_sandbox/stats")).await;
    assert_eq!(stats["stats"]["requests"], 1);
    assert_eq!(stats["dataset"]["tickets"], 50);
    let log = sb.request_log();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (
            log[0].method.as_str(),
            log[0].path_and_query.as_str(),
            log[0].status
        ),
        ("GET", "/api/v2/users/me", 200)
    );
    sb.reset_counters();
    assert_eq!(sb.requests(), 0);
    assert!(sb.request_log().is_empty());

    // Knobs over HTTP, for scripts driving a standalone sandbox.
    let knobs =
        |body: serde_json::Value| c.post(format!("{base}/_sandbox/knobs")).json(&body).send();
    let resp = knobs(serde_json::json!({"rate_limit_per_minute": 1}))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let me = format!("{base}/api/v2/users/me");
    assert_eq!(c.get(&me).send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(
        c.get(&me).send().await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    knobs(serde_json::json!({"rate_limit_per_minute": 0, "latency_ms": 0}))
        .await
        .unwrap();
    assert_eq!(c.get(&me).send().await.unwrap().status(), StatusCode::OK);
    let bad = knobs(serde_json::json!({"fault_rat": 1})).await.unwrap();
    assert!(bad.status().is_client_error());
    let resp = c
        .post(format!("{base}/_sandbox/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(sb.requests(), 0);
}
