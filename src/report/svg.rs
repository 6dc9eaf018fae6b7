//! Hand-written inline SVG charts for the HTML report.
//!
//! Every bar is a `<rect class="bar" ...>` with a `data-key`, and every chart is an
//! `<svg data-chart="...">`, so tests (and the browser check) can count bars per chart
//! and CSS can colour bars by key without extra classes. Charts use a `viewBox` and
//! scale to the container width, which keeps them readable on a phone.

use std::fmt::Write;

use super::fmt_num::{avg, pct};
use super::html::esc;
use super::types::{Bucket, TrendDay};

// Bar charts sit in half-width cards, so their coordinate space is small enough that
// 13px text stays legible once scaled down; the full-width trend chart is wider.
const WIDTH: f64 = 480.0;
const TREND_WIDTH: f64 = 900.0;
const ROW: f64 = 26.0;
const LABEL_W: f64 = 185.0;
const BAR_MAX: f64 = 215.0;
/// Labels longer than this are cut in the chart; the full label is in the tooltip.
const LABEL_CHARS: usize = 24;

/// A horizontal bar chart, one bar per bucket (zero-count buckets get a zero-width bar
/// so the number of bars always equals the number of buckets).
pub(super) fn bar_chart(chart: &str, title: &str, buckets: &[Bucket]) -> String {
    let height = ROW * buckets.len() as f64 + 8.0;
    let max = buckets.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg data-chart="{chart}" class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        esc(title)
    );
    for (i, b) in buckets.iter().enumerate() {
        let y = 4.0 + ROW * i as f64;
        let w = (b.count as f64 / max as f64 * BAR_MAX).round();
        let tip = format!("{}: {} ({})", b.label, b.count, pct(b.share));
        let _ = write!(
            s,
            r#"<text class="label" x="{}" y="{}" text-anchor="end">{}</text>"#,
            LABEL_W - 8.0,
            y + 17.0,
            esc(&shorten(&b.label))
        );
        let _ = write!(
            s,
            r#"<rect class="bar" data-key="{}" x="{LABEL_W}" y="{}" width="{w}" height="{}" rx="2"><title>{}</title></rect>"#,
            esc(&b.key),
            y + 3.0,
            ROW - 6.0,
            esc(&tip)
        );
        let _ = write!(
            s,
            r#"<text class="value" x="{}" y="{}">{} · {}</text>"#,
            LABEL_W + w + 6.0,
            y + 17.0,
            b.count,
            pct(b.share)
        );
    }
    s.push_str("</svg>");
    s
}

/// The daily trend: a bar per day for the ticket count and a line for the average
/// sentiment (its own scale, -1 at the bottom to +1 at the top).
pub(super) fn trend_chart(days: &[TrendDay]) -> String {
    let (top, plot_h, left) = (16.0, 180.0, 40.0);
    let height = top + plot_h + 42.0;
    let step = (TREND_WIDTH - left - 40.0) / days.len().max(1) as f64;
    let max = days.iter().map(|d| d.tickets).max().unwrap_or(0).max(1);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg data-chart="trend" class="chart" viewBox="0 0 {TREND_WIDTH} {height}" role="img" aria-label="Tickets and average sentiment per day" xmlns="http://www.w3.org/2000/svg">"#
    );
    let base = top + plot_h;
    let _ = write!(
        s,
        r#"<line class="axis" x1="{left}" y1="{base}" x2="{}" y2="{base}"/><text class="label" x="{}" y="{}" text-anchor="end">{max}</text><text class="label" x="{}" y="{}" text-anchor="end">0</text>"#,
        TREND_WIDTH - 40.0,
        left - 4.0,
        top + 10.0,
        left - 4.0,
        base
    );
    let mut points = Vec::new();
    for (i, d) in days.iter().enumerate() {
        let x = left + step * i as f64;
        let h = (d.tickets as f64 / max as f64 * plot_h).round();
        let sentiment = d.avg_sentiment.map(avg).unwrap_or_else(|| "none".into());
        let _ = write!(
            s,
            r#"<rect class="bar" data-key="{}" x="{:.1}" y="{}" width="{:.1}" height="{h}"><title>{}: {} tickets, sentiment {sentiment}</title></rect>"#,
            d.date,
            x + 1.0,
            base - h,
            (step - 2.0).max(1.0),
            d.date,
            d.tickets
        );
        if let Some(v) = d.avg_sentiment {
            points.push((x + step / 2.0, top + (1.0 - v) / 2.0 * plot_h));
        }
        // Weekly date labels, counted back from today so the last day is always labelled.
        if (days.len() - 1 - i).is_multiple_of(7) {
            let _ = write!(
                s,
                r#"<text class="label" x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
                x + step / 2.0,
                base + 16.0,
                &d.date[5..]
            );
        }
    }
    if points.len() > 1 {
        let coords: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = write!(
            s,
            r#"<polyline class="line" points="{}"/>"#,
            coords.join(" ")
        );
    }
    for (x, y) in &points {
        let _ = write!(
            s,
            r#"<circle class="dot" cx="{x:.1}" cy="{y:.1}" r="2.5"/>"#
        );
    }
    let _ = write!(
        s,
        r#"<text class="label" x="{}" y="{}">+1</text><text class="label" x="{}" y="{}">-1</text><text class="legend" x="{left}" y="{}">bars: tickets · line: average sentiment (right scale)</text>"#,
        TREND_WIDTH - 36.0,
        top + 10.0,
        TREND_WIDTH - 36.0,
        base,
        base + 32.0
    );
    s.push_str("</svg>");
    s
}

fn shorten(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        label.to_string()
    } else {
        let mut t: String = label.chars().take(LABEL_CHARS - 1).collect();
        t.push('…');
        t
    }
}
