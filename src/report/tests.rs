//! Aggregation tests over twelve hand-made records whose every figure was worked out
//! by hand (the arithmetic is in the comments). The fixture is shared with the
//! rendering tests.

use std::time::{Duration, SystemTime};

use super::*;
use crate::model::{Analysis, Sentiment};

/// 2024-06-15T12:00:00Z, the fixture's "now".
pub(super) fn now() -> SystemTime {
    humantime::parse_rfc3339("2024-06-15T12:00:00Z").unwrap()
}

/// (sentiment, score, urgency, frustration, expertise, business impact, category,
/// component, priority score)
type A = (
    Sentiment,
    f64,
    u8,
    u8,
    u8,
    bool,
    &'static str,
    &'static str,
    u8,
);

fn rec(
    id: u64,
    views: &[u64],
    a: Option<A>,
    created: Option<&str>,
    updated: Option<&str>,
) -> ResultRecord {
    ResultRecord {
        ticket_id: id,
        view_ids: views.to_vec(),
        subject: format!("Subject {id}"),
        status: Some("open".into()),
        priority: None,
        requester_id: Some(1000 + id),
        requester_name: Some(format!("Requester {id}")),
        organization_id: Some(7),
        organization_name: Some("Acme".into()),
        tags: vec![],
        created_at: created.map(String::from),
        updated_at: updated.map(String::from),
        link: Some(format!("https://acme.zendesk.com/agent/tickets/{id}")),
        error: a.is_none().then(|| "analyzer timed out".to_string()),
        analysis: a.map(|(s, score, u, f, e, bi, cat, comp, p)| Analysis {
            sentiment: s,
            sentiment_score: score,
            urgency: u,
            frustration: f,
            technical_expertise: e,
            business_impact: bi,
            category: cat.into(),
            component: comp.into(),
            priority_score: p,
            confidence: 0.8,
            key_phrases: vec![],
            emotions: vec![],
            language: fixture_language(id).into(),
        }),
        analyzer: "builtin".into(),
        analyzed_at: "2024-06-15T11:00:00Z".into(),
        deleted: false,
        columns: Vec::new(),
    }
}

/// Tickets 3 and 7 are German, 11 French, 12 undetected, the rest English.
fn fixture_language(id: u64) -> &'static str {
    match id {
        3 | 7 => "de",
        11 => "fr",
        12 => "",
        _ => "en",
    }
}

/// One fixture ticket: id, views, analysis (`None`: it failed), created_at, updated_at.
type Row = (
    u64,
    &'static [u64],
    Option<A>,
    Option<&'static str>,
    Option<&'static str>,
);

/// The twelve tickets, one a line so that the figures below can be checked by eye.
#[rustfmt::skip]
const FIXTURE: [Row; 12] = {
    use Sentiment::*;
    [
        (1, &[100], Some((Negative, -0.80, 5, 5, 2, true, "technical_issue", "gpu", 10)), Some("2024-06-15T06:00:00Z"), Some("2024-06-15T08:00:00Z")),
        (2, &[100], Some((Negative, -0.60, 4, 4, 3, true, "hardware_issue", "gpu", 9)), Some("2024-06-12T12:00:00Z"), Some("2024-06-14T10:00:00Z")),
        // In both views: once in the overall figures, once in each view section.
        (3, &[100, 200], Some((Negative, -0.30, 4, 3, 3, false, "technical_issue", "drive", 7)), Some("2024-06-01T12:00:00Z"), Some("2024-06-14T11:00:00Z")),
        (4, &[100], Some((Neutral, 0.00, 3, 3, 3, false, "billing", "none", 5)), Some("2024-05-01T12:00:00Z"), Some("2024-06-13T09:00:00Z")),
        (5, &[200], Some((Positive, 0.60, 2, 1, 4, false, "general_inquiry", "none", 3)), Some("2024-01-01T00:00:00Z"), Some("2024-06-13T10:00:00Z")),
        (6, &[200], Some((Positive, 0.90, 1, 1, 5, false, "feature_request", "network", 2)), Some("2024-06-14T13:00:00Z"), Some("2024-06-15T09:00:00Z")),
        // Exactly 7 days old: 1-4 weeks, not 1-7 days.
        (7, &[200], Some((Neutral, 0.02, 3, 2, 3, false, "billing", "memory", 4)), Some("2024-06-08T12:00:00Z"), Some("2024-06-10T12:00:00Z")),
        (8, &[100], Some((Negative, -0.50, 5, 4, 1, false, "account_access", "none", 8)), Some("2024-06-10T12:00:00Z"), Some("2024-06-12T12:00:00Z")),
        // Updated outside the 30-day trend window.
        (9, &[200], Some((Positive, 0.30, 2, 2, 4, true, "billing", "gpu", 7)), Some("2024-03-01T00:00:00Z"), Some("2024-04-01T00:00:00Z")),
        (10, &[100], None, Some("2024-06-14T00:00:00Z"), Some("2024-06-14T12:00:00Z")),
        (11, &[200], Some((Negative, -0.10, 3, 4, 2, false, "technical_issue", "drive", 6)), None, Some("2024-06-15T10:00:00Z")),
        (12, &[100], Some((Neutral, 0.04, 1, 2, 3, false, "shipping_delivery", "none", 3)), Some("2024-06-15T11:00:00Z"), None),
    ]
};

pub(super) fn fixture() -> Vec<ResultRecord> {
    FIXTURE
        .iter()
        .map(|&(id, views, analysis, created, updated)| rec(id, views, analysis, created, updated))
        .collect()
}

pub(super) fn opts() -> ReportOptions {
    ReportOptions {
        now: now(),
        top_n: 4,
        title: "Weekly support report".into(),
        view_titles: [(100, "Urgent queue".to_string())].into(),
        ..ReportOptions::default()
    }
}

/// (key, count, share) of each bucket, for compact comparisons.
fn kcs(buckets: &[Bucket]) -> Vec<(&str, u64, f64)> {
    buckets
        .iter()
        .map(|b| (b.key.as_str(), b.count, b.share))
        .collect()
}

pub(super) fn cs(count: u64, share: f64) -> CountShare {
    CountShare { count, share }
}

/// The overall section of the fixture's report. Its shares are of the 11 analyzed
/// tickets: 1/11 = 9.1, 2/11 = 18.2, 3/11 = 27.3, 4/11 = 36.4, 5/11 = 45.5; the failed
/// share is of all 12: 1/12 = 8.3.
fn overall() -> Section {
    build(fixture(), &opts()).overall
}

#[test]
fn overall_summary_matches_hand_computation() {
    let r = build(fixture(), &opts());
    let s = &r.overall;
    assert!(!r.empty);
    assert_eq!(r.generated_at, "2024-06-15T12:00:00Z");
    assert_eq!((s.total, s.analyzed, s.failed, r.excluded), (12, 11, 1, 0));
    let m = &s.summary;
    assert_eq!(m.business_impact, cs(3, 27.3)); // 1, 2, 9
    assert_eq!(m.high_priority, cs(3, 27.3)); // 3 (7), 8 (8), 9 (7)
    assert_eq!(m.critical_priority, cs(2, 18.2)); // 1 (10), 2 (9)
    assert_eq!(m.high_urgency, cs(4, 36.4)); // 1, 2, 3, 8
    assert_eq!(m.high_frustration, cs(4, 36.4)); // 1, 2, 8, 11
    assert_eq!(m.failed, cs(1, 8.3));
}

#[test]
fn overall_scales_match_hand_computation() {
    let s = overall();
    assert_eq!(
        kcs(&s.sentiment),
        [
            ("positive", 3, 27.3),
            ("neutral", 3, 27.3),
            ("negative", 5, 45.5)
        ]
    );
    assert_eq!(
        kcs(&s.priority_levels),
        [
            ("low", 3, 27.3),
            ("medium", 3, 27.3),
            ("high", 3, 27.3),
            ("critical", 2, 18.2)
        ]
    );
    let scores: Vec<u64> = s.priority_scores.iter().map(|b| b.count).collect();
    assert_eq!(scores, [0, 1, 2, 1, 1, 1, 2, 1, 1, 1]);
    assert_eq!(s.priority_scores[2].share, 18.2);
    assert_eq!(s.priority_scores[0].share, 0.0);
    assert_eq!(
        kcs(&s.urgency),
        [
            ("1", 2, 18.2),
            ("2", 2, 18.2),
            ("3", 3, 27.3),
            ("4", 2, 18.2),
            ("5", 2, 18.2)
        ]
    );
    assert_eq!(s.urgency[0].label, "1 — Can wait");
    assert_eq!(s.urgency[4].label, "5 — Critical — act now");
    assert_eq!(
        kcs(&s.frustration),
        [
            ("1", 2, 18.2),
            ("2", 3, 27.3),
            ("3", 2, 18.2),
            ("4", 3, 27.3),
            ("5", 1, 9.1)
        ]
    );
    assert_eq!(s.frustration[0].label, "1 — Calm");
    assert_eq!(s.frustration[4].label, "5 — Furious");
}

#[test]
fn overall_labels_match_hand_computation() {
    let s = overall();
    // `none` (4, 5, 8, 12) is counted but not listed; ties are sorted by name.
    assert_eq!(
        kcs(&s.components.top),
        [
            ("gpu", 3, 27.3),
            ("drive", 2, 18.2),
            ("memory", 1, 9.1),
            ("network", 1, 9.1)
        ]
    );
    assert_eq!(s.no_component, cs(4, 36.4));
    assert_eq!((s.components.other, s.components.distinct), (cs(0, 0.0), 4));
    assert_eq!(
        kcs(&s.categories.top),
        [
            ("billing", 3, 27.3),
            ("technical_issue", 3, 27.3),
            ("account_access", 1, 9.1),
            ("feature_request", 1, 9.1),
            ("general_inquiry", 1, 9.1),
            ("hardware_issue", 1, 9.1),
            ("shipping_delivery", 1, 9.1),
        ]
    );
}

#[test]
fn overall_ages_and_averages_match_hand_computation() {
    let s = overall();
    // Ages at 2024-06-15T12:00Z: 1, 6, 12 < 1 day; 2 (3 d), 8 (5 d); 3 (14 d), 7 (7 d);
    // 4 (45 d); 5 (166 d), 9 (106 d); 11 has no created_at.
    assert_eq!(
        kcs(&s.age),
        [
            ("lt_1d", 3, 27.3),
            ("1_7d", 2, 18.2),
            ("1_4w", 2, 18.2),
            ("1_3m", 1, 9.1),
            ("gt_3m", 2, 18.2),
            ("unknown", 1, 9.1)
        ]
    );
    let a = s.averages.as_ref().unwrap();
    // Sentiment: -0.44 / 11 = -0.04; urgency 33 / 11; frustration 31 / 11 = 2.818;
    // priority 64 / 11 = 5.818; expertise 33 / 11.
    assert_eq!(a.sentiment_score.value, -0.04);
    assert!(a.sentiment_score.meaning.starts_with("Neutral"));
    assert_eq!(a.urgency.value, 3.0);
    assert_eq!(a.urgency.meaning, "Typically normal");
    assert_eq!(a.frustration.value, 2.82);
    assert_eq!(a.frustration.meaning, "Typically frustrated");
    assert_eq!(a.priority_score.value, 5.82);
    assert!(a.priority_score.meaning.starts_with("Medium"));
    assert_eq!(a.technical_expertise.value, 3.0);
    assert_eq!(a.technical_expertise.meaning, "Typically intermediate");
}

#[test]
fn ticket_lists_are_bounded_and_ordered() {
    let r = build(fixture(), &opts());
    // Score >= 7: 1 (10), 2 (9), 8 (8), 3 (7), 9 (7); top_n = 4 drops 9 (same score, higher id).
    let ids: Vec<u64> = r.high_priority.shown.iter().map(|t| t.id).collect();
    assert_eq!((r.high_priority.total, ids), (5, vec![1, 2, 8, 3]));
    let first = &r.high_priority.shown[0];
    assert_eq!(first.subject, "Subject 1");
    assert_eq!(first.priority_score, 10);
    assert_eq!(first.requester_name.as_deref(), Some("Requester 1"));
    assert_eq!(first.organization_name.as_deref(), Some("Acme"));
    assert_eq!(
        first.link.as_deref(),
        Some("https://acme.zendesk.com/agent/tickets/1")
    );
    let ids: Vec<u64> = r.business_impact.shown.iter().map(|t| t.id).collect();
    assert_eq!((r.business_impact.total, ids), (3, vec![1, 2, 9]));
}

#[test]
fn views_and_trend() {
    let r = build(fixture(), &opts());
    assert_eq!(r.views.len(), 2);
    let (v100, v200) = (&r.views[0], &r.views[1]);
    assert_eq!((v100.id, v100.title.as_str()), (100, "Urgent queue"));
    assert_eq!((v200.id, v200.title.as_str()), (200, "View 200"));
    // View 100: 1, 2, 3, 4, 8, 10 (failed), 12. View 200: 3, 5, 6, 7, 9, 11.
    let s = &v100.section;
    assert_eq!((s.total, s.analyzed, s.failed), (7, 6, 1));
    assert_eq!(
        kcs(&s.sentiment),
        [
            ("positive", 0, 0.0),
            ("neutral", 2, 33.3),
            ("negative", 4, 66.7)
        ]
    );
    assert_eq!(
        kcs(&s.priority_levels),
        [
            ("low", 1, 16.7),
            ("medium", 1, 16.7),
            ("high", 2, 33.3),
            ("critical", 2, 33.3)
        ]
    );
    assert_eq!(s.summary.business_impact, cs(2, 33.3));
    assert_eq!(s.summary.high_urgency, cs(4, 66.7));
    assert_eq!(s.summary.high_frustration, cs(3, 50.0));
    assert_eq!(s.summary.failed, cs(1, 14.3));
    let a = s.averages.as_ref().unwrap();
    // -2.16 / 6; 22 / 6; 21 / 6; 42 / 6; 15 / 6.
    assert_eq!(
        [
            a.sentiment_score.value,
            a.urgency.value,
            a.frustration.value
        ],
        [-0.36, 3.67, 3.5]
    );
    assert_eq!(
        [a.priority_score.value, a.technical_expertise.value],
        [7.0, 2.5]
    );
    let s = &v200.section;
    assert_eq!((s.total, s.analyzed, s.failed), (6, 6, 0));
    assert_eq!(
        kcs(&s.sentiment),
        [
            ("positive", 3, 50.0),
            ("neutral", 1, 16.7),
            ("negative", 2, 33.3)
        ]
    );
    assert_eq!(
        kcs(&s.priority_levels),
        [
            ("low", 2, 33.3),
            ("medium", 2, 33.3),
            ("high", 2, 33.3),
            ("critical", 0, 0.0)
        ]
    );
    // 1.42 / 6 = 0.2367.
    assert_eq!(s.averages.as_ref().unwrap().sentiment_score.value, 0.24);

    assert_eq!(r.trend.len(), 30);
    assert_eq!(r.trend[0].date, "2024-05-17");
    let last = &r.trend[29];
    // 06-15: 1 (-0.8), 6 (0.9), 11 (-0.1): the sum is 0, shown as 0.00 and never -0.00.
    assert_eq!(
        (last.date.as_str(), last.tickets, last.avg_sentiment),
        ("2024-06-15", 3, Some(0.0))
    );
    let day = |d: &str| r.trend.iter().find(|t| t.date == d).unwrap();
    assert_eq!(
        (day("2024-06-14").tickets, day("2024-06-14").avg_sentiment),
        (2, Some(-0.45))
    );
    assert_eq!(
        (day("2024-06-13").tickets, day("2024-06-13").avg_sentiment),
        (2, Some(0.3))
    );
    assert_eq!(
        (day("2024-06-12").tickets, day("2024-06-12").avg_sentiment),
        (1, Some(-0.5))
    );
    assert_eq!(
        (day("2024-06-10").tickets, day("2024-06-10").avg_sentiment),
        (1, Some(0.02))
    );
    assert_eq!(
        (day("2024-06-11").tickets, day("2024-06-11").avg_sentiment),
        (0, None)
    );
    assert_eq!(r.trend.iter().map(|d| d.tickets).sum::<u64>(), 9);
}

#[test]
fn timestamps_with_offsets() {
    use super::aggregate::parse_ts;
    let utc = parse_ts("2024-06-15T12:00:00Z");
    assert_eq!(utc, Some(1_718_452_800));
    assert_eq!(parse_ts("2024-06-15T14:30:00+02:30"), utc);
    assert_eq!(parse_ts("2024-06-15T07:00:00-05:00"), utc);
    assert_eq!(parse_ts(" 2024-06-15T12:00:00.250Z "), utc);
    assert_eq!(parse_ts("yesterday"), None);
    assert_eq!(parse_ts(""), None);
    assert_eq!(parse_ts("2024-06-15T12:00:00ééé"), None);
}

#[test]
fn filters_by_view_and_since() {
    let only_200 = ReportOptions {
        views: vec![200],
        ..opts()
    };
    let r = build(fixture(), &only_200);
    assert_eq!((r.overall.total, r.excluded), (6, 6));
    // Ticket 3 is also in view 100, but only view 200 was asked for: no view sections.
    assert!(r.views.is_empty());
    // Since 2024-06-13T12:00Z: 1, 2, 3, 6, 10 (failed), 11; 12 has no updated_at.
    let recent = ReportOptions {
        since: Some(Duration::from_secs(2 * 86_400)),
        ..opts()
    };
    let r = build(fixture(), &recent);
    assert_eq!(
        (r.overall.analyzed, r.overall.failed, r.excluded),
        (5, 1, 6)
    );
    assert_eq!(r.filters.since.as_deref(), Some("2days"));
}

#[test]
fn languages_count_tickets_and_split_their_sentiment() {
    let mut records = fixture();
    // An analyzer that read no sentiment in French: `unknown`, kept apart.
    let french = records[10].analysis.as_mut().unwrap();
    french.sentiment = Sentiment::Unknown;
    let rows = build(records, &opts()).overall.languages;
    let got: Vec<(&str, &str, u64, f64, [u64; 4])> = rows
        .iter()
        .map(|l| {
            let split = [l.positive, l.neutral, l.negative, l.unknown];
            (l.key.as_str(), l.label.as_str(), l.count, l.share, split)
        })
        .collect();
    // Analyzed English: 1, 2, 8 negative; 4 neutral; 5, 6, 9 positive (7 of 11 =
    // 63.6%). German: 3 negative, 7 neutral. The failed ticket 10 is in no row.
    assert_eq!(
        got,
        [
            ("en", "English (en)", 7, 63.6, [3, 1, 3, 0]),
            ("de", "German (de)", 2, 18.2, [0, 1, 1, 0]),
            ("fr", "French (fr)", 1, 9.1, [0, 0, 0, 1]),
            ("", "Not detected", 1, 9.1, [0, 1, 0, 0]),
        ]
    );
}
