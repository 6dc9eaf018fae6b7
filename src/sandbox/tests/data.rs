//! The generated data: determinism, laziness at scale, realism, generation speed.

use std::time::Instant;

use super::{client, get_json, start, EPOCH};
use crate::sandbox::{Dataset, SandboxSettings};

fn config(seed: u64) -> SandboxSettings {
    SandboxSettings {
        tickets: 400,
        seed,
        epoch: Some(EPOCH),
        ..SandboxSettings::default()
    }
}

#[tokio::test]
async fn the_same_seed_gives_the_same_json() {
    let (a, b, other) = (start(config(9)), start(config(9)), start(config(10)));
    let c = client();
    let body = |sb: &crate::sandbox::SandboxHandle, path: &str| {
        let url = format!("{}{path}", sb.base_url());
        let base = sb.base_url();
        let c = c.clone();
        async move {
            let (_, _, json) = get_json(&c, &url).await;
            // Only the port differs between two instances.
            json.to_string().replace(&base, "BASE")
        }
    };
    for path in [
        "/api/v2/views/1/tickets?page[size]=50",
        "/api/v2/views/2/tickets",
        "/api/v2/incremental/tickets/cursor?start_time=0&per_page=100",
        "/api/v2/users/show_many?ids=1,2,3,4",
        "/api/v2/tickets/5/comments",
    ] {
        assert_eq!(body(&a, path).await, body(&b, path).await, "{path}");
        assert_ne!(body(&a, path).await, body(&other, path).await, "{path}");
    }
}

#[test]
fn a_huge_account_costs_no_memory_and_stays_fast() {
    let small = Dataset::new(10, 1, EPOCH);
    let huge = Dataset::new(50_000_000, 1, EPOCH);
    assert_eq!(std::mem::size_of_val(&small), std::mem::size_of_val(&huge));
    assert!(std::mem::size_of::<Dataset>() < 1_024);

    let started = Instant::now();
    let last = huge.ticket(50_000_000).unwrap();
    assert_eq!(last.id, 50_000_000);
    let near_end = huge.generated_timestamp(49_999_000).unwrap();
    let page = huge.export_page((near_end, 49_999_000), 1_000);
    assert_eq!(page.tickets.len(), 1_000);
    assert!(page.end_of_stream);
    assert_eq!(page.tickets[0].0, 49_999_001);
    let view = huge
        .view_page(1, crate::sandbox::Position::After(49_000_000), 100)
        .unwrap();
    assert_eq!(view.keys.len(), 100);
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
}

#[test]
fn text_is_varied_and_within_bounds() {
    let d = Dataset::new(3_000, 42, EPOCH);
    let tickets: Vec<_> = (1..=3_000).filter_map(|id| d.ticket_record(id)).collect();
    for t in &tickets {
        let len = t.description.len();
        assert!(
            (200..=1_200).contains(&len),
            "ticket {} has {len} chars:\n{}",
            t.id,
            t.description
        );
        assert!(!t.subject.is_empty());
        assert!(t.updated_at > t.created_at, "ticket {}", t.id);
    }
    let share = |pred: &dyn Fn(&crate::sandbox::TicketRecord) -> bool| {
        tickets.iter().filter(|t| pred(t)).count() * 1_000 / tickets.len()
    };
    assert!(share(&|t| t.description.contains("!!!")) > 20);
    assert!(share(&|t| t.description.contains("production")) > 10);
    assert!(share(&|t| t.description.contains("third time")) > 5);
    assert!(
        share(&|t| t.description.contains("Traceback") || t.description.contains("kernel:")) > 10
    );
    assert!(share(&|t| t.tags.contains(&"vip")) > 20);
    assert!(share(&|t| t.priority.is_none()) > 50);
    assert!(share(&|t| t.custom_fields.iter().any(|f| f.value.is_none())) > 300);
    for status in [
        "new", "open", "pending", "hold", "solved", "closed", "deleted",
    ] {
        assert!(share(&|t| t.status == status) > 5, "{status}");
    }
    let distinct: std::collections::HashSet<&str> =
        tickets.iter().map(|t| t.description.as_str()).collect();
    assert!(
        distinct.len() > 2_900,
        "descriptions repeat: {}",
        distinct.len()
    );
    // Timestamps grow with the id and end two minutes before the epoch.
    assert_eq!(d.generated_timestamp(3_000), Some(EPOCH - 120));
    assert!(d.generated_timestamp(1).unwrap() < EPOCH - 29 * 86_400);
}

/// Generation cost per ticket (text + JSON). Prints the figure; run it in release for
/// meaningful numbers: `cargo test --release generation_speed -- --nocapture`.
#[test]
fn generation_speed() {
    let n = if cfg!(debug_assertions) {
        5_000
    } else {
        100_000
    };
    let d = Dataset::new(n, 42, EPOCH);
    let started = Instant::now();
    let mut bytes = 0;
    for id in 1..=n {
        bytes += d.ticket_record(id).unwrap().description.len();
    }
    let generate = started.elapsed();
    let started = Instant::now();
    for id in 1..=n {
        bytes += serde_json::to_vec(&d.ticket_record(id).unwrap())
            .unwrap()
            .len();
    }
    let with_json = started.elapsed();
    let per = |t: std::time::Duration| t.as_secs_f64() * 1e6 / n as f64;
    println!(
        "{n} tickets: generate {:.2} us/ticket, generate+serialize {:.2} us/ticket ({bytes} bytes)",
        per(generate),
        per(with_json)
    );
    assert!(per(with_json) < 500.0);
}
