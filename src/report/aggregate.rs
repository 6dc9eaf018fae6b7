//! Streaming aggregation: one pass over the records, fixed-size counters per section,
//! label counts per distinct label, and bounded heaps for the ticket lists.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::languages::LanguageAcc;
use super::types::{
    Average, Averages, Bucket, CountShare, Filters, HybridShare, LabelCounts, Report, Section,
    Summary, TicketList, TicketRef, TrendDay, ViewSection,
};
use super::ReportOptions;
use crate::model::{Analysis, ResultRecord, Sentiment};

/// How many days the trend covers, today included.
pub(super) const TREND_DAYS: usize = 30;
/// How many labels the component and category lists show before folding into "other".
const TOP_LABELS: usize = 12;
const DAY: i64 = 86_400;

/// Urgency levels 1..=5 as a reader would say them.
pub(super) const URGENCY_LEVELS: [&str; 5] = [
    "Can wait",
    "Low",
    "Normal",
    "High — today",
    "Critical — act now",
];
/// Frustration levels 1..=5.
pub(super) const FRUSTRATION_LEVELS: [&str; 5] = [
    "Calm",
    "Mildly annoyed",
    "Frustrated",
    "Very frustrated",
    "Furious",
];
const EXPERTISE_LEVELS: [&str; 5] = ["Novice", "Basic", "Intermediate", "Advanced", "Expert"];
/// Age buckets: key, label, upper bound in days (exclusive).
const AGE_BUCKETS: [(&str, &str, i64); 5] = [
    ("lt_1d", "< 1 day", 1),
    ("1_7d", "1-7 days", 7),
    ("1_4w", "1-4 weeks", 28),
    ("1_3m", "1-3 months", 90),
    ("gt_3m", "> 3 months", i64::MAX),
];

/// Seconds since the Unix epoch of an RFC 3339 timestamp. Zendesk writes UTC (`Z`),
/// but other tools may write an offset such as `+02:00`, which humantime rejects, so
/// the offset is applied here.
pub(super) fn parse_ts(s: &str) -> Option<i64> {
    let s = s.trim();
    let split = s.len().checked_sub(6).filter(|&i| s.is_char_boundary(i));
    let (base, offset) = match split.map(|i| s.split_at(i)) {
        Some((base, tz)) if tz.starts_with(['+', '-']) && tz.as_bytes()[3] == b':' => {
            let hours: i64 = tz[1..3].parse().ok()?;
            let minutes: i64 = tz[4..].parse().ok()?;
            let sign = if tz.starts_with('-') { -1 } else { 1 };
            (base, sign * (hours * 3600 + minutes * 60))
        }
        _ => (s, 0),
    };
    let t = humantime::parse_rfc3339_weak(base).ok()?;
    Some(t.duration_since(UNIX_EPOCH).ok()?.as_secs() as i64 - offset)
}

fn secs_of(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(_) => 0,
    }
}

/// `YYYY-MM-DD` of a day number (days since 1970-01-01, UTC).
fn day_date(day: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_secs((day.max(0) * DAY) as u64);
    humantime::format_rfc3339_seconds(t).to_string()[..10].to_string()
}

/// Percent of `total`, 1 decimal; 0 when `total` is 0.
pub(super) fn share(count: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        (count as f64 * 1000.0 / total as f64).round() / 10.0
    }
}

/// Rounds to 2 decimals, without ever producing `-0.00`.
pub(super) fn round2(x: f64) -> f64 {
    let r = (x * 100.0).round() / 100.0;
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

fn count_share(count: u64, total: u64) -> CountShare {
    CountShare {
        count,
        share: share(count, total),
    }
}

/// The label of an analysis, falling back to the score when the analyzer said "unknown".
fn sentiment_of(a: &Analysis) -> Sentiment {
    match a.sentiment {
        Sentiment::Unknown => Sentiment::from_score(a.sentiment_score),
        s => s,
    }
}

/// Counters for one set of tickets.
#[derive(Default)]
struct SectionAcc {
    analyzed: u64,
    failed: u64,
    /// positive, neutral, negative.
    sentiment: [u64; 3],
    scores: [u64; 10],
    urgency: [u64; 5],
    frustration: [u64; 5],
    business_impact: u64,
    sentiment_sum: f64,
    urgency_sum: u64,
    frustration_sum: u64,
    priority_sum: u64,
    expertise_sum: u64,
    components: HashMap<String, u64>,
    no_component: u64,
    categories: HashMap<String, u64>,
    /// AGE_BUCKETS then unknown.
    age: [u64; 6],
    languages: LanguageAcc,
}

impl SectionAcc {
    fn add(&mut self, analysis: Option<&Analysis>, age_days: Option<i64>) {
        let Some(a) = analysis else {
            self.failed += 1;
            return;
        };
        self.analyzed += 1;
        let idx = match sentiment_of(a) {
            Sentiment::Positive => 0,
            Sentiment::Neutral => 1,
            _ => 2,
        };
        self.sentiment[idx] += 1;
        // Clamp out-of-range values (a misbehaving LLM) into the scale instead of
        // dropping the ticket, so the counts still add up to `analyzed`.
        let score = a.priority_score.clamp(1, 10);
        let urgency = a.urgency.clamp(1, 5);
        let frustration = a.frustration.clamp(1, 5);
        let expertise = a.technical_expertise.clamp(1, 5);
        self.scores[usize::from(score - 1)] += 1;
        self.urgency[usize::from(urgency - 1)] += 1;
        self.frustration[usize::from(frustration - 1)] += 1;
        self.business_impact += u64::from(a.business_impact);
        self.sentiment_sum += a.sentiment_score.clamp(-1.0, 1.0);
        self.urgency_sum += u64::from(urgency);
        self.frustration_sum += u64::from(frustration);
        self.priority_sum += u64::from(score);
        self.expertise_sum += u64::from(expertise);
        let component = a.component.trim();
        if component.is_empty() || component.eq_ignore_ascii_case("none") {
            self.no_component += 1;
        } else {
            bump(&mut self.components, component);
        }
        let category = a.category.trim();
        bump(
            &mut self.categories,
            if category.is_empty() {
                "(none)"
            } else {
                category
            },
        );
        let age_idx = match age_days {
            Some(d) => AGE_BUCKETS.iter().position(|b| d < b.2).unwrap_or(4),
            None => 5,
        };
        self.age[age_idx] += 1;
        self.languages.add(a);
    }

    fn finish(self) -> Section {
        let n = self.analyzed;
        let total = n + self.failed;
        let level_counts = self.priority_level_counts();
        let summary = self.summary(&level_counts);
        let averages = self.averages();
        let age = self.age_buckets();
        Section {
            total,
            analyzed: n,
            failed: self.failed,
            summary,
            sentiment: buckets(
                &self.sentiment,
                &strings(&["positive", "neutral", "negative"]),
                &strings(&["Positive", "Neutral", "Negative"]),
                n,
            ),
            priority_levels: buckets(
                &level_counts,
                &strings(&["low", "medium", "high", "critical"]),
                &strings(&["Low (1-3)", "Medium (4-6)", "High (7-8)", "Critical (9-10)"]),
                n,
            ),
            priority_scores: buckets(&self.scores, &one_to(10), &one_to(10), n),
            urgency: buckets(&self.urgency, &one_to(5), &numbered(&URGENCY_LEVELS), n),
            frustration: buckets(
                &self.frustration,
                &one_to(5),
                &numbered(&FRUSTRATION_LEVELS),
                n,
            ),
            components: label_counts(self.components, n),
            no_component: count_share(self.no_component, n),
            categories: label_counts(self.categories, n),
            averages,
            age,
            languages: self.languages.finish(n),
        }
    }

    /// Tickets per priority level: low 1-3, medium 4-6, high 7-8, critical 9-10.
    fn priority_level_counts(&self) -> [u64; 4] {
        [
            self.scores[..3].iter().sum::<u64>(),
            self.scores[3..6].iter().sum(),
            self.scores[6..8].iter().sum(),
            self.scores[8..].iter().sum(),
        ]
    }

    fn summary(&self, level_counts: &[u64; 4]) -> Summary {
        let n = self.analyzed;
        let urgent = self.urgency[3] + self.urgency[4];
        let frustrated = self.frustration[3] + self.frustration[4];
        Summary {
            business_impact: count_share(self.business_impact, n),
            high_priority: count_share(level_counts[2], n),
            critical_priority: count_share(level_counts[3], n),
            high_urgency: count_share(urgent, n),
            high_frustration: count_share(frustrated, n),
            failed: count_share(self.failed, n + self.failed),
        }
    }

    /// The age buckets, and an "unknown" one only when some ticket has no readable
    /// `created_at`.
    fn age_buckets(&self) -> Vec<Bucket> {
        let n = self.analyzed;
        let mut age = buckets(
            &self.age[..5],
            &strings(&AGE_BUCKETS.map(|b| b.0)),
            &strings(&AGE_BUCKETS.map(|b| b.1)),
            n,
        );
        if self.age[5] > 0 {
            age.push(Bucket {
                key: "unknown".into(),
                label: "unknown".into(),
                count: self.age[5],
                share: share(self.age[5], n),
            });
        }
        age
    }

    /// The averages with what they mean in words; `None` when no ticket is analyzed.
    fn averages(&self) -> Option<Averages> {
        let n = self.analyzed;
        if n == 0 {
            return None;
        }
        let mean = |sum: u64| round2(sum as f64 / n as f64);
        let sentiment = round2(self.sentiment_sum / n as f64);
        let urgency = mean(self.urgency_sum);
        let frustration = mean(self.frustration_sum);
        let priority = mean(self.priority_sum);
        let expertise = mean(self.expertise_sum);
        Some(Averages {
            sentiment_score: Average {
                value: sentiment,
                meaning: sentiment_meaning(sentiment).into(),
            },
            urgency: Average {
                value: urgency,
                meaning: level_meaning(urgency, &URGENCY_LEVELS),
            },
            frustration: Average {
                value: frustration,
                meaning: level_meaning(frustration, &FRUSTRATION_LEVELS),
            },
            priority_score: Average {
                value: priority,
                meaning: priority_meaning(priority).into(),
            },
            technical_expertise: Average {
                value: expertise,
                meaning: level_meaning(expertise, &EXPERTISE_LEVELS),
            },
        })
    }
}

/// One bucket per count, with its key, label and share of `n`.
fn buckets(counts: &[u64], keys: &[String], labels: &[String], n: u64) -> Vec<Bucket> {
    counts
        .iter()
        .zip(keys.iter().zip(labels))
        .map(|(&count, (key, label))| Bucket {
            key: key.clone(),
            label: label.clone(),
            count,
            share: share(count, n),
        })
        .collect()
}

fn strings(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

/// Level descriptions numbered from 1: "1 — Calm".
fn numbered(levels: &[&str]) -> Vec<String> {
    levels
        .iter()
        .enumerate()
        .map(|(i, l)| format!("{} — {l}", i + 1))
        .collect()
}

/// "1" to `k`.
fn one_to(k: usize) -> Vec<String> {
    (1..=k).map(|i| i.to_string()).collect()
}

fn bump(map: &mut HashMap<String, u64>, key: &str) {
    match map.get_mut(key) {
        Some(c) => *c += 1,
        None => {
            map.insert(key.to_string(), 1);
        }
    }
}

fn label_counts(map: HashMap<String, u64>, n: u64) -> LabelCounts {
    let distinct = map.len() as u64;
    let mut all: Vec<(String, u64)> = map.into_iter().collect();
    all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let other: u64 = all.iter().skip(TOP_LABELS).map(|(_, c)| c).sum();
    all.truncate(TOP_LABELS);
    LabelCounts {
        top: all
            .into_iter()
            .map(|(label, count)| Bucket {
                key: label.clone(),
                label,
                count,
                share: share(count, n),
            })
            .collect(),
        other: count_share(other, n),
        distinct,
    }
}

fn sentiment_meaning(avg: f64) -> &'static str {
    match avg {
        a if a <= -0.5 => "Strongly negative: many customers are unhappy",
        a if a <= -0.05 => "Leaning negative: more complaints than praise",
        a if a < 0.05 => "Neutral: mostly matter-of-fact requests",
        a if a < 0.5 => "Leaning positive: customers are mostly satisfied",
        _ => "Strongly positive: customers are happy",
    }
}

fn priority_meaning(avg: f64) -> &'static str {
    match avg {
        a if a < 3.5 => "Low: the queue is mostly routine",
        a if a < 6.5 => "Medium: a normal working queue",
        a if a < 8.5 => "High: much of the queue needs attention soon",
        _ => "Critical: the queue is dominated by emergencies",
    }
}

/// The level nearest to an average on a 1..=5 scale, e.g. 3.6 -> level 4.
fn level_meaning(avg: f64, levels: &[&str; 5]) -> String {
    let idx = (avg.round().clamp(1.0, 5.0) as usize) - 1;
    format!("Typically {}", levels[idx].to_lowercase())
}

/// A ticket in a bounded "top" list, ordered so the heap's maximum is the entry to
/// drop first: lowest priority score, then highest id.
struct Ranked(TicketRef);

impl Ranked {
    fn key(&self) -> (Reverse<u8>, u64) {
        (Reverse(self.0.priority_score), self.0.id)
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

/// Keeps the best `cap` tickets seen so far and counts all of them.
struct TopTickets {
    cap: usize,
    total: u64,
    heap: BinaryHeap<Ranked>,
}

impl TopTickets {
    fn new(cap: usize) -> Self {
        TopTickets {
            cap,
            total: 0,
            heap: BinaryHeap::with_capacity(cap + 1),
        }
    }

    fn offer(&mut self, record: &ResultRecord, score: u8) {
        self.total += 1;
        if self.cap == 0 {
            return;
        }
        let candidate = (Reverse(score), record.ticket_id);
        if self.heap.len() == self.cap && self.heap.peek().is_some_and(|w| candidate >= w.key()) {
            return; // not better than the worst kept: skip building the entry
        }
        self.heap.push(Ranked(TicketRef {
            id: record.ticket_id,
            subject: record.subject.clone(),
            priority_score: score,
            requester_name: record.requester_name.clone(),
            organization_name: record.organization_name.clone(),
            link: record.link.clone(),
        }));
        if self.heap.len() > self.cap {
            self.heap.pop();
        }
    }

    fn finish(self) -> TicketList {
        TicketList {
            total: self.total,
            shown: self
                .heap
                .into_sorted_vec()
                .into_iter()
                .map(|r| r.0)
                .collect(),
        }
    }
}

/// Folds records into a [`Report`].
pub(super) struct ReportBuilder<'a> {
    opts: &'a ReportOptions,
    now: i64,
    cutoff: Option<i64>,
    today: i64,
    excluded: u64,
    overall: SectionAcc,
    views: BTreeMap<u64, SectionAcc>,
    /// Per trend day (oldest first): ticket count and sentiment sum.
    trend: [(u64, f64); TREND_DAYS],
    high: TopTickets,
    impact: TopTickets,
    breakdowns: super::breakdown::BreakdownAcc,
    /// Hybrid analyses decided by the built-in part and by the model.
    hybrid: (u64, u64),
}

impl<'a> ReportBuilder<'a> {
    pub(super) fn new(opts: &'a ReportOptions) -> Self {
        let now = secs_of(opts.now);
        ReportBuilder {
            opts,
            now,
            cutoff: opts.since.map(|d| now - d.as_secs() as i64),
            today: now.div_euclid(DAY),
            excluded: 0,
            overall: SectionAcc::default(),
            views: BTreeMap::new(),
            trend: [(0, 0.0); TREND_DAYS],
            high: TopTickets::new(opts.top_n),
            impact: TopTickets::new(opts.top_n),
            breakdowns: super::breakdown::BreakdownAcc::new(&opts.by),
            hybrid: (0, 0),
        }
    }

    pub(super) fn add(&mut self, record: &ResultRecord) {
        let selected = |v: &u64| self.opts.views.is_empty() || self.opts.views.contains(v);
        let in_views = self.opts.views.is_empty() || record.view_ids.iter().any(selected);
        let updated = record.updated_at.as_deref().and_then(parse_ts);
        let recent = match (self.cutoff, updated) {
            (None, _) => true,
            (Some(cutoff), Some(t)) => t >= cutoff,
            (Some(_), None) => false,
        };
        if !in_views || !recent {
            self.excluded += 1;
            return;
        }
        let analysis = record.analysis.as_ref();
        if analysis.is_some() {
            self.count_hybrid(&record.analyzer);
        }
        let age_days = record
            .created_at
            .as_deref()
            .and_then(parse_ts)
            .map(|c| (self.now - c).max(0) / DAY);
        self.overall.add(analysis, age_days);
        // A ticket listed twice in view_ids still counts once per view.
        let mut seen: Vec<u64> = Vec::with_capacity(record.view_ids.len());
        for &v in record.view_ids.iter().filter(|v| selected(v)) {
            if !seen.contains(&v) {
                seen.push(v);
                self.views.entry(v).or_default().add(analysis, age_days);
            }
        }
        let Some(a) = analysis else { return };
        self.breakdowns.add(record, a);
        let score = a.priority_score.clamp(1, 10);
        if score >= 7 {
            self.high.offer(record, score);
        }
        if a.business_impact {
            self.impact.offer(record, score);
        }
        if let Some(day) = updated.map(|t| t.div_euclid(DAY)) {
            let back = self.today - day;
            if (0..TREND_DAYS as i64).contains(&back) {
                let slot = &mut self.trend[TREND_DAYS - 1 - back as usize];
                slot.0 += 1;
                slot.1 += a.sentiment_score.clamp(-1.0, 1.0);
            }
        }
    }

    /// `hybrid:builtin` or `hybrid:<provider>:<model>`: which part of a hybrid
    /// analyzer decided.
    fn count_hybrid(&mut self, analyzer: &str) {
        match analyzer.strip_prefix("hybrid:") {
            Some("builtin") => self.hybrid.0 += 1,
            Some(_) => self.hybrid.1 += 1,
            None => {}
        }
    }

    pub(super) fn finish(self) -> Report {
        let overall = self.overall.finish();
        let views = if self.views.len() > 1 {
            self.views
                .into_iter()
                .map(|(id, acc)| ViewSection {
                    id,
                    title: self
                        .opts
                        .view_titles
                        .get(&id)
                        .cloned()
                        .unwrap_or_else(|| format!("View {id}")),
                    section: acc.finish(),
                })
                .collect()
        } else {
            Vec::new()
        };
        let trend = if self.trend.iter().any(|d| d.0 > 0) {
            let first = self.today - TREND_DAYS as i64 + 1;
            self.trend
                .iter()
                .enumerate()
                .map(|(i, &(tickets, sum))| TrendDay {
                    date: day_date(first + i as i64),
                    tickets,
                    avg_sentiment: (tickets > 0).then(|| round2(sum / tickets as f64)),
                })
                .collect()
        } else {
            Vec::new()
        };
        let (breakdowns, agreement, missing) = self.breakdowns.finish();
        Report {
            title: self.opts.title.clone(),
            generated_at: humantime::format_rfc3339_seconds(self.opts.now).to_string(),
            empty: overall.analyzed == 0,
            filters: Filters {
                views: self.opts.views.clone(),
                since: self
                    .opts
                    .since
                    .map(|d| humantime::format_duration(d).to_string()),
            },
            excluded: self.excluded,
            overall,
            views,
            trend,
            high_priority: self.high.finish(),
            business_impact: self.impact.finish(),
            breakdowns,
            agreement,
            missing,
            hybrid: match self.hybrid {
                (0, 0) => None,
                (by_builtin, by_model) => Some(HybridShare {
                    by_builtin,
                    by_model,
                    model_share: share(by_model, by_builtin + by_model),
                }),
            },
        }
    }
}
