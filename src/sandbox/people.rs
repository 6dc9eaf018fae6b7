//! The people around the tickets: customers (requesters), agents, organizations, and
//! the conversation (comments) between them, all generated from `(seed, id)`.
//!
//! Customers are ids `1..=tickets/3`; each belongs to one of 50 organizations (or to
//! none, for about 15%), and a ticket's organization is its requester's. Agents have
//! ids above [`AGENT_ID_BASE`] so they never collide with customers.

use super::corpus::{FIRST_NAMES, LAST_NAMES, ORG_PREFIXES, ORG_SUFFIXES};
use super::data::{Dataset, ADMIN_ID, AGENT_ID_BASE, ORGANIZATIONS, VIP_ORGANIZATIONS};
use super::encode::rfc3339;
use super::prng::{hash3, stream, Rng};
use super::records::{CommentRecord, OrganizationRecord, UserRecord};
use super::text;
use crate::model::{Comment, User};

impl Dataset {
    /// Sets the body of comment `position` (1-based; from 2, since the first is the
    /// description) of a ticket, in place of the generated one: for tests that need
    /// a conversation of their own. Authors stay as generated: odd positions are the
    /// requester's, even ones an agent's.
    pub fn set_comment_body(&self, ticket_id: u64, position: u32, body: &str) {
        self.comment_bodies
            .write()
            .unwrap()
            .insert((ticket_id, position), body.to_string());
    }

    /// The conversation; the first comment's body is the description.
    pub fn comment_records(&self, ticket_id: u64) -> Option<Vec<CommentRecord>> {
        let traits = self.traits(ticket_id)?;
        let ticket = self.ticket_record(ticket_id)?;
        let mut rng = Rng::new(self.seed(), ticket_id, stream::COMMENTS);
        let resolved = matches!(traits.status, "solved" | "closed");
        let agent = traits.assignee.unwrap_or(ADMIN_ID);
        let count = traits.comments;
        let times = self.comment_times(ticket_id);
        Some(
            (1..=count)
                .map(|k| {
                    let at = times[(k - 1) as usize];
                    let generated = if k == 1 {
                        ticket.description.clone()
                    } else {
                        text::follow_up(k, traits.mood, k == count, resolved, &mut rng)
                    };
                    let set = self
                        .comment_bodies
                        .read()
                        .unwrap()
                        .get(&(ticket_id, k))
                        .cloned();
                    let body = set.unwrap_or(generated);
                    let by_agent = k % 2 == 0;
                    CommentRecord {
                        id: ticket_id * 8 + u64::from(k),
                        kind: "Comment",
                        author_id: if by_agent { agent } else { traits.requester },
                        body,
                        // Agents sometimes leave internal notes.
                        public: !(by_agent && rng.percent(15)),
                        attachments: [],
                        created_at: rfc3339(at),
                    }
                })
                .collect(),
        )
    }

    pub fn comments(&self, ticket_id: u64) -> Option<Vec<Comment>> {
        Some(
            self.comment_records(ticket_id)?
                .iter()
                .map(Comment::from)
                .collect(),
        )
    }

    /// `(first, last)` name of a customer.
    pub(super) fn person(&self, user_id: u64) -> (&'static str, &'static str) {
        let mut rng = Rng::new(self.seed(), user_id, stream::USER);
        (rng.pick(FIRST_NAMES), rng.pick(LAST_NAMES))
    }

    pub(super) fn user_organization(&self, user_id: u64) -> Option<u64> {
        let h = hash3(self.seed(), user_id, stream::USER ^ 0xff);
        (h % 100 < 85).then_some(1 + (h >> 8) % ORGANIZATIONS)
    }

    pub fn user_record(&self, id: u64) -> Option<UserRecord> {
        let url = format!("{}/api/v2/users/{id}.json", self.origin());
        let created_at = rfc3339(self.epoch() - 400 * 86_400 + (id % 86_400) as i64);
        if id > AGENT_ID_BASE && id <= AGENT_ID_BASE + text::AGENT_COUNT as u64 {
            let name = text::agent_name((id - AGENT_ID_BASE - 1) as usize);
            return Some(UserRecord {
                url,
                id,
                email: format!("{}@support.sandbox.example", ascii_slug(name, '.')),
                name: name.to_string(),
                organization_id: None,
                role: if id == ADMIN_ID { "admin" } else { "agent" },
                active: true,
                verified: true,
                time_zone: "UTC",
                locale: "en-US",
                created_at,
            });
        }
        if id == 0 || id > self.user_count() {
            return None;
        }
        let (first, last) = self.person(id);
        let organization_id = self.user_organization(id);
        let domain =
            organization_id.map_or_else(|| "mail.example".to_string(), organization_domain);
        Some(UserRecord {
            url,
            id,
            name: format!("{first} {last}"),
            email: format!(
                "{}.{}{id}@{domain}",
                ascii_slug(first, '-'),
                ascii_slug(last, '-')
            ),
            organization_id,
            role: "end-user",
            active: true,
            verified: !id.is_multiple_of(7),
            time_zone: ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC"]
                [(id % 4) as usize],
            locale: "en-US",
            created_at,
        })
    }

    pub fn user(&self, id: u64) -> Option<User> {
        self.user_record(id).as_ref().map(User::from)
    }

    pub fn organization_record(&self, id: u64) -> Option<OrganizationRecord> {
        if id == 0 || id > ORGANIZATIONS {
            return None;
        }
        Some(OrganizationRecord {
            url: format!("{}/api/v2/organizations/{id}.json", self.origin()),
            id,
            name: organization_name(id),
            domain_names: vec![organization_domain(id)],
            tags: if id <= VIP_ORGANIZATIONS {
                vec!["vip"]
            } else {
                Vec::new()
            },
            created_at: rfc3339(self.epoch() - 700 * 86_400 + id as i64 * 3_600),
        })
    }
}

pub(super) fn organization_name(id: u64) -> String {
    let i = (id - 1) as usize;
    format!(
        "{} {}",
        ORG_PREFIXES[i % ORG_PREFIXES.len()],
        ORG_SUFFIXES[i / ORG_PREFIXES.len() % ORG_SUFFIXES.len()]
    )
}

fn organization_domain(id: u64) -> String {
    format!("{}.example", ascii_slug(&organization_name(id), '-'))
}

/// Lowercase ASCII letters only, words joined by `sep` ("O'Brien" -> "obrien").
fn ascii_slug(name: &str, sep: char) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            'ü' | 'Ü' => out.push('u'),
            ' ' => out.push(sep),
            c if c.is_ascii_alphanumeric() => out.push(c.to_ascii_lowercase()),
            _ => {}
        }
    }
    out
}
