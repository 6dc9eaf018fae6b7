//! Tickets' conversations (`include_comments = true`): where the comments come from
//! and whose words each one is.
//!
//! **Views** ask for each ticket's comments (`tickets/{id}/comments`, cached with the
//! ticket's `updated_at`): one call per ticket, or none on a warm rerun.
//!
//! **Nightly (incremental) runs** read the time-based ticket events export
//! (`incremental/ticket_events?include=comment_events`) instead: one request per
//! page of up to 1000 events, whatever the number of tickets. [`EventsFeed`] follows
//! the ticket export: before a page of tickets is handed out it reads events up to
//! that page's newest `generated_timestamp` (a ticket's comments are never newer),
//! keeps each ticket's comments until the ticket comes by, and drops them then.
//! The feed starts at the run's `start_time`, or, when the run continues from a
//! stored cursor, at the oldest ticket of its first page (at most a minute ago, the
//! newest start the export accepts): a nightly run reads the
//! messages written since the previous run, and each ticket's first message (its
//! description) is always part of its conversation. A ticket whose comment arrives
//! while the run is already past the end of the events stream (or less than a
//! minute before its page is read) is analyzed without that comment, and a later
//! run reads it only if the ticket changes again (a new comment does change it).
//! Time-based pages overlap at their edges, so comments are told apart by id.
//! The ticket export is listed ahead of the feed: each page's completion takes its
//! turn at the feed ([`FeedRelay`]), in listing order, so the events requests never
//! wait in line with the ticket export's cursor.
//!
//! Either way each comment author's role is looked up (the page's sideloaded users,
//! the users cache, then `users/show_many`), so `[analyze] text = "requester"` can
//! keep the requester's and other end users' messages and leave the agents' out.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinSet;

use super::api::Api;
use super::source::WorkItem;
use super::FetchError;
use crate::analyze::Message;
use crate::model::{Comment, Ticket, User};

/// The ticket events export, read alongside the ticket export of a nightly run.
#[derive(Debug, Default)]
pub struct EventsFeed {
    /// Where the next page starts; `None` until the first page of tickets when the
    /// run continues from a cursor.
    next_start: Option<i64>,
    /// Set once the export said it reached the present.
    finished: bool,
    /// Comments read but not handed out yet, by ticket, oldest first.
    waiting: HashMap<u64, Vec<Comment>>,
}

impl EventsFeed {
    /// A feed from `start_time`, or (`None`) from the first page of tickets.
    pub fn new(start_time: Option<i64>) -> Self {
        EventsFeed {
            next_start: start_time,
            ..EventsFeed::default()
        }
    }

    /// The conversations of `items` (the readable ones), after reading the events up
    /// to the newest of them.
    async fn conversations(
        &mut self,
        api: &Api,
        items: &[WorkItem],
    ) -> Result<HashMap<u64, Vec<Comment>>, FetchError> {
        // The export refuses a start time less than a minute old (a ticket updated
        // just now has no comments there yet).
        let exportable = unix_now() - 61;
        let stamps = items.iter().filter_map(|it| it.ticket.generated_timestamp);
        if let Some(newest) = stamps.clone().max() {
            let oldest = stamps.min().unwrap_or(newest);
            let start = *self.next_start.get_or_insert(oldest.min(exportable));
            self.read_until(api, start, newest.min(exportable)).await?;
        }
        Ok(items
            .iter()
            .filter(|it| readable(it))
            .map(|it| {
                let events = self.waiting.remove(&it.ticket.id).unwrap_or_default();
                (it.ticket.id, opened_with_description(&it.ticket, events))
            })
            .collect())
    }

    /// Reads pages from `start` while they begin at or before `until`.
    async fn read_until(
        &mut self,
        api: &Api,
        mut start: i64,
        until: i64,
    ) -> Result<(), FetchError> {
        while !self.finished && start <= until {
            let page = api.ticket_events(start).await?;
            let count = page.ticket_events.len();
            for event in page.ticket_events {
                self.take_in(event);
            }
            let end = page.end_time.unwrap_or(start);
            if page.end_of_stream {
                self.finished = true;
            } else if end <= start {
                return Err(FetchError::Protocol(format!(
                    "the ticket events export did not move past {start} ({count} events, not the end of the stream); stopping instead of looping"
                )));
            }
            start = end.max(start);
            self.next_start = Some(start);
        }
        Ok(())
    }

    /// Keeps the comments of one event (a ticket update), once each.
    fn take_in(&mut self, event: Value) {
        let Some(ticket) = event.get("ticket_id").and_then(Value::as_u64) else {
            return;
        };
        let Some(Value::Array(children)) = event.get("child_events") else {
            return;
        };
        for child in children {
            let kind = |k: &str| child.get(k).and_then(Value::as_str) == Some("Comment");
            if !(kind("event_type") || kind("type")) {
                continue;
            }
            let Ok(comment) = serde_json::from_value::<Comment>(child.clone()) else {
                continue;
            };
            let kept = self.waiting.entry(ticket).or_default();
            if !kept.iter().any(|c| c.id == comment.id) {
                kept.push(comment);
            }
        }
    }
}

/// Hands the [`EventsFeed`] from page to page of the ticket export in listing
/// order, whichever page's completion runs first.
pub struct FeedRelay {
    /// Where the next page's turn receives the feed.
    next: oneshot::Receiver<EventsFeed>,
}

impl FeedRelay {
    pub fn new(feed: EventsFeed) -> Self {
        let (first, next) = oneshot::channel();
        // The receiver is held in `next`, so this send cannot fail.
        let _ = first.send(feed);
        FeedRelay { next }
    }

    /// The turn of the page listed next: it takes the feed once the page listed
    /// before has read its events, and passes it on to the page after it.
    pub fn turn(&mut self) -> FeedTurn {
        let (pass, next) = oneshot::channel();
        FeedTurn {
            take: std::mem::replace(&mut self.next, next),
            pass,
        }
    }
}

/// One page's turn at the feed ([`FeedRelay::turn`]).
pub struct FeedTurn {
    take: oneshot::Receiver<EventsFeed>,
    pass: oneshot::Sender<EventsFeed>,
}

impl FeedTurn {
    /// The conversations of `items`, read once the pages before are served. A page
    /// whose events failed drops the feed: the pages after it fail too, but the
    /// run stops at the first failed page, which comes first.
    pub async fn conversations(
        self,
        api: &Api,
        items: &[WorkItem],
    ) -> Result<HashMap<u64, Vec<Comment>>, FetchError> {
        let mut feed = self.take.await.map_err(|_| {
            FetchError::Protocol("the ticket events feed stopped at an earlier page".into())
        })?;
        let conversations = feed.conversations(api, items).await?;
        // The next page's turn is gone only when listing stopped.
        let _ = self.pass.send(feed);
        Ok(conversations)
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Soft-deleted tickets and unreadable records have no readable comments.
fn readable(it: &WorkItem) -> bool {
    it.error.is_none() && it.ticket.status.as_deref() != Some("deleted")
}

/// A ticket's comments from the events, with its description in front unless the
/// events hold the ticket's first comment themselves (it was opened in the window).
fn opened_with_description(ticket: &Ticket, mut events: Vec<Comment>) -> Vec<Comment> {
    let description = ticket.description_text().trim();
    let has_opening = events.first().is_some_and(|c| c.body.trim() == description);
    if !has_opening && !description.is_empty() {
        let opening = Comment {
            author_id: ticket.submitter_id.or(ticket.requester_id),
            body: description.to_string(),
            public: true,
            created_at: ticket.created_at.clone(),
            ..Comment::default()
        };
        events.insert(0, opening);
    }
    events
}

/// Sets each readable ticket's public messages from `known` (the events of a
/// nightly run) or one comments call per ticket, with the authors' roles.
pub async fn add_conversations(
    api: &Arc<Api>,
    items: &mut [WorkItem],
    known: Option<HashMap<u64, Vec<Comment>>>,
    users: &mut HashMap<u64, User>,
) -> Result<(), FetchError> {
    let conversations = match known {
        Some(known) => known,
        None => comments_per_ticket(api, items).await?,
    };
    let mut seen = HashSet::new();
    let authors: Vec<u64> = conversations
        .values()
        .flatten()
        .filter_map(|c| c.author_id)
        .filter(|id| !users.contains_key(id) && seen.insert(*id))
        .collect();
    users.extend(api.users(&authors).await?);
    for it in items.iter_mut() {
        if let Some(comments) = conversations.get(&it.ticket.id) {
            it.messages = Some(messages(comments, it.ticket.requester_id, users));
        }
    }
    Ok(())
}

/// Each readable ticket's comments, one (cached) call per ticket, all at once.
async fn comments_per_ticket(
    api: &Arc<Api>,
    items: &[WorkItem],
) -> Result<HashMap<u64, Vec<Comment>>, FetchError> {
    let mut tasks = JoinSet::new();
    for it in items.iter().filter(|it| readable(it)) {
        let api = api.clone();
        let ticket = it.ticket.clone();
        tasks.spawn(async move { (ticket.id, api.comments(&ticket).await) });
    }
    let mut out = HashMap::new();
    while let Some(joined) = tasks.join_next().await {
        let (id, comments) =
            joined.map_err(|e| FetchError::Protocol(format!("comment fetch task failed: {e}")))?;
        match comments {
            Ok(c) => {
                out.insert(id, c);
            }
            // One ticket's comments gone (404) or hidden (403): it is analyzed from
            // its first message; the run goes on.
            Err(e @ (FetchError::NotFound { .. } | FetchError::Forbidden { .. })) => {
                tracing::warn!("ticket {id}: {e}; analyzing its first message only")
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// The public comments as messages; the requester's and other end users' are the
/// customer's.
fn messages(
    comments: &[Comment],
    requester: Option<u64>,
    users: &HashMap<u64, User>,
) -> Vec<Message> {
    comments
        .iter()
        .filter(|c| c.public)
        .map(|c| Message {
            body: c.body.clone(),
            html_body: c.html_body.clone(),
            from_customer: c.author_id.is_some_and(|a| {
                Some(a) == requester || users.get(&a).is_some_and(User::is_end_user)
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_keep_each_comment_once_and_skip_other_changes() {
        let mut feed = EventsFeed::new(Some(0));
        let event = json!({"ticket_id": 7, "child_events": [
            {"id": 1, "event_type": "Comment", "author_id": 3, "body": "Still broken", "public": true},
            {"id": 2, "event_type": "Change", "field_name": "status"},
        ]});
        feed.take_in(event.clone());
        feed.take_in(event);
        let kept = &feed.waiting[&7];
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].body, "Still broken");
    }

    #[test]
    fn the_description_opens_a_conversation_that_began_before_the_window() {
        let ticket = Ticket {
            id: 7,
            description: Some("Disk failed".into()),
            requester_id: Some(3),
            ..Ticket::default()
        };
        let later = Comment {
            id: 9,
            body: "Any news?".into(),
            public: true,
            ..Comment::default()
        };
        let c = opened_with_description(&ticket, vec![later.clone()]);
        assert_eq!(c.len(), 2);
        assert_eq!(
            (c[0].body.as_str(), c[0].author_id),
            ("Disk failed", Some(3))
        );
        let opened = Comment {
            body: "Disk failed".into(),
            ..later
        };
        assert_eq!(opened_with_description(&ticket, vec![opened]).len(), 1);
    }

    #[test]
    fn end_users_and_the_requester_are_the_customer() {
        let user = |id, role: &str| User {
            id,
            role: Some(role.into()),
            ..User::default()
        };
        let users: HashMap<u64, User> = [(2, user(2, "agent")), (4, user(4, "end-user"))].into();
        let comment = |author, public| Comment {
            author_id: Some(author),
            body: format!("by {author}"),
            public,
            ..Comment::default()
        };
        let m = messages(
            &[
                comment(1, true),
                comment(2, true),
                comment(4, true),
                comment(4, false),
            ],
            Some(1),
            &users,
        );
        let customer: Vec<bool> = m.iter().map(|m| m.from_customer).collect();
        assert_eq!(customer, [true, false, true]);
    }
}
