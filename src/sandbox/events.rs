//! The ticket events export's data: every comment of the data set as a ticket update
//! at the comment's time, in time order, as `incremental/ticket_events` pages it.
//!
//! A comment's time is the one [`Dataset::comment_records`] gives it (between the
//! ticket's creation and its last update), so the events agree with the tickets'
//! comments endpoint. Tickets are opened at most two weeks before their last update
//! and update times grow with the id, so only the tickets updated at or after a
//! page's start can have comments there: a binary search finds the first, and only
//! their comment times (no text) are computed before the page is cut.

use super::data::Dataset;
use super::records::CommentRecord;

/// One page of ticket events.
#[derive(Debug, Clone, PartialEq)]
pub struct EventsPage {
    /// `(ticket id, Unix time, comment)` in time order.
    pub comments: Vec<(u64, i64, CommentRecord)>,
    /// The time of the page's last event (the start when the page is empty): where
    /// the next page starts.
    pub end_time: i64,
    pub end_of_stream: bool,
}

impl Dataset {
    /// The comments written at or after `start`, at most `limit` of them.
    pub fn events_page(&self, start: i64, limit: usize) -> EventsPage {
        let (mut lo, mut hi) = (1, self.ticket_count() + 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.base_timestamp(mid) >= start {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        // (time, ticket, position in its conversation), from the first candidate on.
        let mut due: Vec<(i64, u64, u32)> = (lo..=self.ticket_count())
            .flat_map(|id| {
                self.comment_times(id)
                    .into_iter()
                    .enumerate()
                    .filter(|&(_, at)| at >= start)
                    .map(move |(k, at)| (at, id, k as u32))
            })
            .collect();
        due.sort_unstable();
        let end_of_stream = due.len() <= limit;
        due.truncate(limit);
        let end_time = due.last().map_or(start, |&(at, _, _)| at);
        let mut conversations = std::collections::HashMap::new();
        let comments = due
            .into_iter()
            .filter_map(|(at, id, k)| {
                let all = conversations
                    .entry(id)
                    .or_insert_with(|| self.comment_records(id).unwrap_or_default());
                Some((id, at, all.get(k as usize)?.clone()))
            })
            .collect();
        EventsPage {
            comments,
            end_time,
            end_of_stream,
        }
    }

    /// The Unix time of each of a ticket's comments, as [`Dataset::comment_records`]
    /// dates them.
    pub(super) fn comment_times(&self, id: u64) -> Vec<i64> {
        let Some(traits) = self.traits(id) else {
            return Vec::new();
        };
        let (created, updated) = (self.created_timestamp(id), self.base_timestamp(id));
        let count = traits.comments;
        (1..=count)
            .map(|k| created + (updated - created) * i64::from(k - 1) / i64::from(count.max(2) - 1))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn the_pages_hold_every_comment_in_time_order() {
        let d = Dataset::new(300, 7, 1_700_000_000);
        let mut seen = BTreeSet::new();
        let (mut start, mut pages) = (0, 0);
        loop {
            let page = d.events_page(start, 100);
            let times: Vec<i64> = page.comments.iter().map(|&(_, at, _)| at).collect();
            assert!(times.windows(2).all(|w| w[0] <= w[1]), "in time order");
            assert!(times.iter().all(|&at| at >= start));
            seen.extend(page.comments.iter().map(|(id, _, c)| (*id, c.id)));
            pages += 1;
            if page.end_of_stream {
                break;
            }
            start = page.end_time;
        }
        let all: BTreeSet<(u64, u64)> = (1..=300)
            .flat_map(|id| {
                d.comment_records(id)
                    .unwrap()
                    .into_iter()
                    .map(move |c| (id, c.id))
            })
            .collect();
        assert_eq!(seen, all);
        assert!(pages > 3, "{pages} pages");
    }
}
