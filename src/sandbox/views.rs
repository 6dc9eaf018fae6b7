//! The sandbox's views (saved ticket filters) and the cursor walk over id-ordered
//! lists that views, view tickets and comments share.
//!
//! A view lists its tickets by id ascending. Listing a filtered view walks ids from the
//! cursor and keeps the matching ones until the page is full, so a page costs a few
//! hundred trait checks, never a scan of the account. Counts do scan the account, once
//! per view, and are then kept.

use super::corpus::Group;
use super::data::{Dataset, Traits};
use super::encode::rfc3339;
use super::records::{Condition, Conditions, ViewRecord};
use crate::model::View;

/// One view: what Zendesk shows of it, and the predicate it stands for.
pub struct ViewDef {
    pub id: u64,
    pub title: &'static str,
    pub active: bool,
    pub description: &'static str,
    /// `(field, operator, value)`, informational.
    conditions: &'static [(&'static str, &'static str, &'static str)],
    filter: fn(&Traits) -> bool,
}

/// View 1 lists every live ticket; examples and benchmarks rely on that.
pub const VIEWS: &[ViewDef] = &[
    ViewDef {
        id: 1,
        title: "All tickets",
        active: true,
        description: "Every ticket, oldest first",
        conditions: &[("status", "less_than", "deleted")],
        filter: |_| true,
    },
    ViewDef {
        id: 2,
        title: "Open urgent",
        active: true,
        description: "New or open tickets with urgent or high priority",
        conditions: &[
            ("status", "less_than", "pending"),
            ("priority", "greater_than", "normal"),
        ],
        filter: |t| {
            matches!(t.status, "new" | "open") && matches!(t.priority, Some("urgent" | "high"))
        },
    },
    ViewDef {
        id: 3,
        title: "Hardware",
        active: true,
        description: "Tickets tagged hardware",
        conditions: &[("current_tags", "includes", "hardware")],
        filter: |t| t.group() == Group::Hardware,
    },
    ViewDef {
        id: 4,
        title: "Billing & refunds",
        active: true,
        description: "Tickets tagged billing",
        conditions: &[("current_tags", "includes", "billing")],
        filter: |t| t.group() == Group::Billing,
    },
    ViewDef {
        id: 5,
        title: "Pending",
        active: true,
        description: "Tickets waiting for the customer",
        conditions: &[("status", "is", "pending")],
        filter: |t| t.status == "pending",
    },
    ViewDef {
        id: 6,
        title: "VIP customers",
        active: true,
        description: "Unsolved tickets from VIP organizations",
        conditions: &[
            ("current_tags", "includes", "vip"),
            ("status", "less_than", "solved"),
        ],
        filter: |t| t.vip() && !matches!(t.status, "solved" | "closed"),
    },
    ViewDef {
        id: 7,
        title: "Shipping (archived)",
        active: false,
        description: "Old shipping queue, kept for reference",
        conditions: &[("current_tags", "includes", "shipping")],
        filter: |t| t.group() == Group::Shipping,
    },
];

/// Where a page starts, from `page[after]` / `page[before]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    Start,
    /// Keys strictly greater than this one.
    After(u64),
    /// Keys strictly smaller than this one (walking backwards).
    Before(u64),
}

/// One page of keys, ascending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPage {
    pub keys: Vec<u64>,
    /// More keys exist in the walking direction.
    pub has_more: bool,
}

/// Pages through the keys `1..=last` that `keep` accepts.
pub fn page_keys(last: u64, size: usize, from: Position, keep: impl Fn(u64) -> bool) -> KeyPage {
    let mut keys = Vec::with_capacity(size + 1);
    // One key beyond the page tells whether there is more.
    let mut take = |k: u64| {
        if keep(k) {
            keys.push(k);
        }
        keys.len() > size
    };
    match from {
        Position::Start => {
            let _ = (1..=last).any(&mut take);
        }
        Position::After(k) => {
            let _ = (k.saturating_add(1)..=last).any(&mut take);
        }
        Position::Before(k) => {
            let _ = (1..k.min(last + 1)).rev().any(&mut take);
        }
    }
    let has_more = keys.len() > size;
    keys.truncate(size);
    if matches!(from, Position::Before(_)) {
        keys.reverse();
    }
    KeyPage { keys, has_more }
}

impl Dataset {
    pub(super) fn view_def(&self, view_id: u64) -> Option<&'static ViewDef> {
        VIEWS.iter().find(|v| v.id == view_id)
    }

    pub fn view_record(&self, view_id: u64) -> Option<ViewRecord> {
        let v = self.view_def(view_id)?;
        let all = v
            .conditions
            .iter()
            .map(|&(field, operator, value)| Condition {
                field,
                operator,
                value,
            })
            .collect();
        Some(ViewRecord {
            url: format!("{}/api/v2/views/{}.json", self.origin(), v.id),
            id: v.id,
            title: v.title,
            active: v.active,
            position: v.id,
            default: v.id == 1,
            description: v.description,
            conditions: Conditions {
                all,
                any: Vec::new(),
            },
            restriction: None,
            created_at: rfc3339(self.epoch() - 365 * 86_400 + v.id as i64 * 60),
            updated_at: rfc3339(self.epoch() - 30 * 86_400 + v.id as i64 * 60),
        })
    }

    /// Every view, active or not, by id.
    pub fn views(&self) -> Vec<View> {
        VIEWS
            .iter()
            .filter_map(|v| self.view_record(v.id))
            .map(|r| View::from(&r))
            .collect()
    }

    /// Whether ticket `id` is listed by `view` (deleted and archived tickets never are).
    pub(super) fn in_view(&self, view: &ViewDef, id: u64) -> bool {
        !self.is_deleted(id)
            && !self.is_archived(id)
            && self.traits(id).is_some_and(|t| (view.filter)(&t))
    }

    /// One page of a view's ticket ids; `None` for an unknown view.
    pub fn view_page(&self, view_id: u64, from: Position, size: usize) -> Option<KeyPage> {
        let view = self.view_def(view_id)?;
        Some(page_keys(self.ticket_count(), size, from, |id| {
            self.in_view(view, id)
        }))
    }

    /// All ticket ids of a view in listing order (walks the whole account).
    pub fn view_ticket_ids(&self, view_id: u64) -> impl Iterator<Item = u64> + '_ {
        let view = self.view_def(view_id);
        (1..=self.ticket_count()).filter(move |&id| view.is_some_and(|v| self.in_view(v, id)))
    }

    /// The exact number of tickets in a view, computed once and then cached.
    pub fn view_count(&self, view_id: u64) -> Option<u64> {
        let index = VIEWS.iter().position(|v| v.id == view_id)?;
        Some(*self.view_counts[index].get_or_init(|| self.view_ticket_ids(view_id).count() as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_keys_walks_both_ways() {
        let even = |k: u64| k.is_multiple_of(2);
        let first = page_keys(10, 2, Position::Start, even);
        assert_eq!(
            first,
            KeyPage {
                keys: vec![2, 4],
                has_more: true
            }
        );
        let last = page_keys(10, 3, Position::After(4), even);
        assert_eq!(
            last,
            KeyPage {
                keys: vec![6, 8, 10],
                has_more: false
            }
        );
        let back = page_keys(10, 2, Position::Before(8), even);
        assert_eq!(
            back,
            KeyPage {
                keys: vec![4, 6],
                has_more: true
            }
        );
        assert!(page_keys(10, 2, Position::After(u64::MAX), even)
            .keys
            .is_empty());
    }

    #[test]
    fn filtered_views_are_subsets_and_counts_match() {
        let d = Dataset::new(2_000, 7, 1_795_860_000);
        let all: Vec<u64> = d.view_ticket_ids(1).collect();
        assert!(all.len() > 1_900 && all.len() < 2_000, "{}", all.len());
        for v in VIEWS {
            let ids: Vec<u64> = d.view_ticket_ids(v.id).collect();
            assert_eq!(d.view_count(v.id), Some(ids.len() as u64));
            assert!(!ids.is_empty(), "view {} is empty", v.id);
            assert!(ids.iter().all(|id| !d.is_deleted(*id)));
        }
        assert_eq!(d.view_count(99), None);
    }
}
