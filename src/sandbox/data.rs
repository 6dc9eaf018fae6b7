//! The sandbox's data set: tickets, users, organizations and comments generated on
//! demand from `(seed, id)`, plus the few tickets that tests have touched.
//!
//! Nothing is materialised: a 200,000-ticket account costs the same few hundred bytes
//! as a 10-ticket one. Each ticket first gets cheap *traits* (topic, status, priority,
//! requester...), which views filter on without generating any text; its prose is only
//! composed when the ticket is actually sent.
//!
//! Time runs with the id: ticket `N` was updated last (at `epoch - 120 s`) and ticket 1
//! about 30 days before it, so the incremental export can binary-search its start and
//! then walk ids in order. A touched ticket leaves that order and joins the end of the
//! stream with a fresh timestamp.
//!
//! The first [`Dataset::with_archived`] tickets are *archived*: closed, and updated
//! more than 120 days ago ([`ARCHIVED_AGE_SECS`] before the rest), as Zendesk
//! archives them. Views never list them; the incremental export and the search
//! export do.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::ops::Bound;
use std::sync::{OnceLock, RwLock};

use super::corpus::{Group, Topic, TOPICS};
use super::encode::{rfc3339, unix_now};
use super::lookups::group_id;
use super::people::organization_name;
use super::prng::{hash3, stream, Rng};
use super::records::{CustomField, Empty, FieldValue, Satisfaction, TicketRecord, Via, ViaSource};
use super::text::{self, Mood, Plan};
use super::views::VIEWS;
use crate::model::Ticket;

/// How far back the tickets' update times reach.
const SPAN_SECS: i64 = 30 * 86_400;
/// The newest ticket's age at `epoch`: old enough for an export started "now".
const NEWEST_AGE_SECS: i64 = 120;
/// How much older than the rest archived tickets are: beyond Zendesk's 120 days.
pub const ARCHIVED_AGE_SECS: i64 = 150 * 86_400;
/// Number of organizations; the first few are VIP accounts.
pub const ORGANIZATIONS: u64 = 50;
pub const VIP_ORGANIZATIONS: u64 = 5;
/// Agents get ids far above any customer's, like real Zendesk ids.
pub const AGENT_ID_BASE: u64 = 1_000_000_000_000;
/// The admin agent `users/me` answers with.
pub const ADMIN_ID: u64 = AGENT_ID_BASE + 1;

/// What decides a ticket's membership in views and the shape of its text.
#[derive(Debug, Clone, Copy)]
pub struct Traits {
    pub topic: &'static Topic,
    pub mood: Mood,
    pub status: &'static str,
    pub priority: Option<&'static str>,
    pub outage: bool,
    pub shouting: bool,
    pub log: bool,
    pub repeat: bool,
    pub deleted: bool,
    pub requester: u64,
    pub organization: Option<u64>,
    pub assignee: Option<u64>,
    pub comments: u32,
}

impl Traits {
    pub fn group(&self) -> Group {
        self.topic.group
    }

    pub fn vip(&self) -> bool {
        self.organization.is_some_and(|o| o <= VIP_ORGANIZATIONS)
    }

    /// The group's and topic's tags, then what sets the ticket apart.
    pub(super) fn tags(&self) -> Vec<&'static str> {
        let mut tags = vec![self.group().tag(), self.topic.tag];
        for (on, tag) in [
            (self.vip(), "vip"),
            (self.outage, "outage"),
            (self.repeat, "repeat_contact"),
            (
                self.mood == Mood::Angry && self.priority == Some("urgent"),
                "escalated",
            ),
        ] {
            if on {
                tags.push(tag);
            }
        }
        tags
    }

    /// The ticket type: mostly set, after the group and whether it is an outage.
    fn ticket_type(&self, rng: &mut Rng) -> Option<&'static str> {
        match self.group() {
            _ if rng.percent(10) => None,
            _ if self.outage => Some("incident"),
            Group::Hardware | Group::Software => Some(if rng.percent(70) {
                "problem"
            } else {
                "incident"
            }),
            Group::Feature => Some("task"),
            _ => Some("question"),
        }
    }

    /// Model, serial number, region and a flag: each set on some tickets only.
    fn custom_fields(&self, rng: &mut Rng) -> [CustomField; 4] {
        let model = rng.pick(self.topic.models).to_string();
        let serial = format!("SN{}", rng.range(10_000_000, 99_999_999));
        let region = rng.pick(&["eu", "us", "apac"]).to_string();
        let mut text_field = |value: String| rng.percent(60).then_some(FieldValue::Text(value));
        [
            CustomField {
                id: 360_000_001,
                value: text_field(model),
            },
            CustomField {
                id: 360_000_002,
                value: text_field(serial),
            },
            CustomField {
                id: 360_000_003,
                value: text_field(region),
            },
            CustomField {
                id: 360_000_004,
                value: rng.percent(80).then(|| FieldValue::Flag(rng.percent(70))),
            },
        ]
    }

    /// The satisfaction rating: offered once the ticket is finished, and then good
    /// or bad after the customer's mood.
    fn satisfaction(&self) -> Satisfaction {
        let finished = matches!(self.status, "solved" | "closed");
        let score = match (finished, self.mood) {
            (false, _) => "unoffered",
            (true, Mood::Angry) => "bad",
            (true, Mood::Happy) => "good",
            (true, Mood::Neutral) => "offered",
        };
        Satisfaction {
            score,
            comment: match score {
                "bad" => Some("Took far too long to get an answer."),
                "good" => Some("Quick and helpful, thanks!"),
                _ => None,
            },
        }
    }
}

/// A ticket changed by [`Dataset::touch_ticket`].
#[derive(Debug, Clone, Copy)]
struct Touch {
    timestamp: i64,
    revision: u32,
}

#[derive(Debug, Default)]
struct Touches {
    by_id: HashMap<u64, Touch>,
    /// `(generated_timestamp, id)` of touched tickets: the tail of the export stream.
    stream: BTreeSet<(i64, u64)>,
    last_timestamp: i64,
    /// Tickets deleted by [`Dataset::delete_ticket`].
    deleted: HashSet<u64>,
}

/// One page of the incremental export.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportPage {
    /// `(id, generated_timestamp)` in stream order.
    pub tickets: Vec<(u64, i64)>,
    /// Where the next page starts; the last position when the stream is exhausted.
    pub after: (i64, u64),
    pub end_of_stream: bool,
}

/// The simulated account. Cheap to share (`Arc`) and safe to use from any thread.
#[derive(Debug)]
pub struct Dataset {
    tickets: u64,
    /// Tickets `1..=archived` are archived.
    archived: u64,
    seed: u64,
    epoch: i64,
    origin: OnceLock<String>,
    touches: RwLock<Touches>,
    /// Subjects set with [`Dataset::set_subject`], in place of the generated ones.
    subjects: RwLock<HashMap<u64, String>>,
    /// Comment bodies set with [`Dataset::set_comment_body`], by `(ticket, position)`.
    pub(super) comment_bodies: RwLock<HashMap<(u64, u32), String>>,
    pub(super) view_counts: [OnceLock<u64>; VIEWS.len()],
}

impl Dataset {
    /// An account with tickets `1..=tickets`, all updated before `epoch` (Unix secs).
    pub fn new(tickets: u64, seed: u64, epoch: i64) -> Dataset {
        Dataset {
            tickets,
            archived: 0,
            seed,
            epoch,
            origin: OnceLock::new(),
            touches: RwLock::new(Touches::default()),
            subjects: RwLock::default(),
            comment_bodies: RwLock::default(),
            view_counts: Default::default(),
        }
    }

    /// The same account with its first `n` tickets archived (see the module doc).
    pub fn with_archived(mut self, n: u64) -> Dataset {
        self.archived = n.min(self.tickets);
        self
    }

    /// Archived tickets are closed, old, and in no view.
    pub fn is_archived(&self, id: u64) -> bool {
        id >= 1 && id <= self.archived
    }

    pub fn ticket_count(&self) -> u64 {
        self.tickets
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn epoch(&self) -> i64 {
        self.epoch
    }

    /// Customers are ids `1..=user_count()`; agents live above [`AGENT_ID_BASE`].
    pub fn user_count(&self) -> u64 {
        (self.tickets / 3).max(1)
    }

    /// The base of the records' `url` fields (set once the server is bound).
    pub fn origin(&self) -> &str {
        self.origin.get().map_or("http://127.0.0.1", String::as_str)
    }

    pub(super) fn set_origin(&self, origin: String) {
        // A data set serves one server; a second bind keeps the first origin.
        let _ = self.origin.set(origin);
    }

    /// Soft-deleted tickets (about 1%, and those [`Dataset::delete_ticket`] deleted)
    /// only show up in the incremental export.
    pub fn is_deleted(&self, id: u64) -> bool {
        hash3(self.seed, id, stream::DELETED).is_multiple_of(100)
            || self.touches.read().unwrap().deleted.contains(&id)
    }

    pub(super) fn base_timestamp(&self, id: u64) -> i64 {
        let behind = (self.tickets - id) as i128 * i128::from(SPAN_SECS) / self.tickets as i128;
        let archived = if self.is_archived(id) {
            ARCHIVED_AGE_SECS
        } else {
            0
        };
        self.epoch - NEWEST_AGE_SECS - behind as i64 - archived
    }

    /// Tickets were opened between ten minutes and two weeks before their last update.
    pub(super) fn created_timestamp(&self, id: u64) -> i64 {
        let age = 600 + hash3(self.seed, id, stream::TRAITS ^ 0x77) % (14 * 86_400);
        self.base_timestamp(id) - age as i64
    }

    /// The ticket's `generated_timestamp` (= its `updated_at`), `None` past the end.
    pub fn generated_timestamp(&self, id: u64) -> Option<i64> {
        if id == 0 || id > self.tickets {
            return None;
        }
        let touched = self.touches.read().unwrap().by_id.get(&id).copied();
        Some(touched.map_or_else(|| self.base_timestamp(id), |t| t.timestamp))
    }

    /// The cheap part of a ticket (no text); `None` past the end.
    pub(super) fn traits(&self, id: u64) -> Option<Traits> {
        if id == 0 || id > self.tickets {
            return None;
        }
        let mut rng = Rng::new(self.seed, id, stream::TRAITS);
        let topic = &TOPICS[rng.below(TOPICS.len() as u64) as usize];
        let mood = rng.weighted(&[(30, Mood::Angry), (50, Mood::Neutral), (20, Mood::Happy)]);
        let technical = matches!(topic.group, Group::Hardware | Group::Software);
        let outage = technical && rng.percent(9);
        // Older tickets are more likely to be finished.
        let age = (self.tickets - id) * 100 / self.tickets;
        let mut status = rng.weighted(&[
            (12 - age / 10, "new"),
            (35 - age / 5, "open"),
            (15, "pending"),
            (5, "hold"),
            (15 + age / 5, "solved"),
            (5 + age * 2 / 5, "closed"),
        ]);
        let priority = if outage {
            Some("urgent")
        } else {
            let (urgent, high, normal, low, none) = match mood {
                Mood::Angry => (15, 35, 30, 5, 15),
                Mood::Neutral => (4, 16, 45, 15, 20),
                Mood::Happy => (1, 5, 40, 30, 24),
            };
            rng.weighted(&[
                (urgent, Some("urgent")),
                (high, Some("high")),
                (normal, Some("normal")),
                (low, Some("low")),
                (none, None),
            ])
        };
        let requester = rng.range(1, self.user_count());
        let agents = text::AGENT_COUNT as u64;
        let assignee = (status != "new").then(|| AGENT_ID_BASE + 1 + rng.below(agents));
        let comments = if status == "new" || rng.percent(55) {
            1
        } else {
            rng.range(2, 6) as u32
        };
        if self.is_archived(id) {
            status = "closed";
        }
        Some(Traits {
            topic,
            mood,
            status,
            priority,
            outage,
            shouting: mood == Mood::Angry && rng.percent(30),
            log: technical && rng.percent(35),
            repeat: rng.percent(if mood == Mood::Angry { 40 } else { 8 }),
            deleted: self.is_deleted(id),
            requester,
            organization: self.user_organization(requester),
            assignee,
            comments,
        })
    }

    /// The ticket as the API sends it (without `generated_timestamp`).
    pub fn ticket_record(&self, id: u64) -> Option<TicketRecord> {
        let traits = self.traits(id)?;
        let touch = self.touches.read().unwrap().by_id.get(&id).copied();
        let updated = touch.map_or_else(|| self.base_timestamp(id), |t| t.timestamp);
        let mut rng = Rng::new(self.seed, id, stream::TEXT);
        let (mut subject, mut description) = self.compose(&traits, &mut rng);
        if let Some(set) = self.subjects.read().unwrap().get(&id) {
            subject.clone_from(set);
        }
        if let Some(t) = touch {
            let mut note_rng = Rng::new(self.seed ^ u64::from(t.revision), id, stream::TOUCH);
            subject.push_str(&format!(" (update {})", t.revision));
            description.push_str(&text::update_note(t.revision, &mut note_rng));
        }
        let group = traits.group();
        let channel = rng.weighted(&[
            (50, "email"),
            (30, "web"),
            (8, "api"),
            (7, "chat"),
            (5, "voice"),
        ]);
        let tags = traits.tags();
        let ticket_type = traits.ticket_type(&mut rng);
        let mut custom_fields = traits.custom_fields(&mut rng).to_vec();
        custom_fields.extend(self.more_custom_fields(id, &traits));
        let satisfaction_rating = Some(traits.satisfaction());
        Some(TicketRecord {
            url: format!("{}/api/v2/tickets/{id}.json", self.origin()),
            id,
            external_id: None,
            via: Via {
                channel,
                source: ViaSource {
                    from: Empty {},
                    to: Empty {},
                    rel: None,
                },
            },
            created_at: rfc3339(self.created_timestamp(id)),
            updated_at: rfc3339(updated),
            ticket_type,
            raw_subject: subject.clone(),
            subject,
            description,
            priority: traits.priority,
            status: if traits.deleted {
                "deleted"
            } else {
                traits.status
            },
            recipient: None,
            requester_id: traits.requester,
            submitter_id: if channel == "api" {
                ADMIN_ID
            } else {
                traits.requester
            },
            assignee_id: traits.assignee,
            organization_id: traits.organization,
            group_id: Some(group_id(group)),
            collaborator_ids: [],
            follower_ids: [],
            email_cc_ids: [],
            problem_id: None,
            has_incidents: false,
            is_public: true,
            due_at: None,
            tags,
            custom_fields,
            satisfaction_rating,
            brand_id: traits.brand(),
            ticket_form_id: Some(traits.form()),
            allow_channelback: false,
            allow_attachments: true,
            generated_timestamp: None,
        })
    }

    fn compose(&self, traits: &Traits, rng: &mut Rng) -> (String, String) {
        let requester = self.person(traits.requester);
        let company = traits
            .organization
            .filter(|_| rng.percent(40))
            .map(organization_name);
        let plan = Plan {
            topic: traits.topic,
            mood: traits.mood,
            shouting: traits.shouting,
            outage: traits.outage,
            log: traits.log,
            repeat: traits.repeat,
            first_name: requester.0,
            last_name: requester.1,
            company: company.as_deref(),
        };
        text::compose(&plan, rng)
    }

    /// The ticket as a client would parse it (`crate::model::Ticket`).
    pub fn ticket(&self, id: u64) -> Option<Ticket> {
        self.ticket_record(id).as_ref().map(Ticket::from)
    }

    /// Gives ticket `id` this subject instead of the generated one, for tests of
    /// awkward text. Not an update: the ticket keeps its place and timestamp.
    pub fn set_subject(&self, id: u64, subject: &str) {
        self.subjects
            .write()
            .unwrap()
            .insert(id, subject.to_string());
    }

    /// Simulates an agent update: the ticket gets a new `updated_at` later than every
    /// other ticket's and moves to the end of the export stream. Returns the new
    /// timestamp, or `None` for an unknown, deleted or archived ticket.
    pub fn touch_ticket(&self, id: u64) -> Option<i64> {
        if id == 0 || id > self.tickets || self.is_deleted(id) || self.is_archived(id) {
            return None;
        }
        let mut touches = self.touches.write().unwrap();
        let newest_base = self.epoch - NEWEST_AGE_SECS;
        let timestamp = unix_now()
            .max(touches.last_timestamp + 1)
            .max(newest_base + 1);
        touches.last_timestamp = timestamp;
        let revision = match touches.by_id.insert(
            id,
            Touch {
                timestamp,
                revision: 1,
            },
        ) {
            Some(old) => {
                touches.stream.remove(&(old.timestamp, id));
                old.revision + 1
            }
            None => 1,
        };
        touches.by_id.insert(
            id,
            Touch {
                timestamp,
                revision,
            },
        );
        touches.stream.insert((timestamp, id));
        Some(timestamp)
    }

    /// Simulates an agent deleting ticket `id`: like an update it moves to the end of
    /// the export stream, there with status `deleted`, and it leaves views, show_many
    /// and search. Returns the new timestamp, or `None` where an update is refused.
    pub fn delete_ticket(&self, id: u64) -> Option<i64> {
        let timestamp = self.touch_ticket(id)?;
        self.touches.write().unwrap().deleted.insert(id);
        Some(timestamp)
    }

    /// The export stream after position `after` = `(generated_timestamp, id)`, at most
    /// `limit` tickets (deleted ones included).
    pub fn export_page(&self, after: (i64, u64), limit: usize) -> ExportPage {
        let touches = self.touches.read().unwrap();
        let mut tickets = Vec::with_capacity(limit + 1);
        // Untouched tickets: (timestamp, id) grows with id, so binary-search the start.
        let (mut lo, mut hi) = (1, self.tickets + 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if (self.base_timestamp(mid), mid) > after {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        let mut id = lo;
        while id <= self.tickets && tickets.len() <= limit {
            if !touches.by_id.contains_key(&id) {
                tickets.push((id, self.base_timestamp(id)));
            }
            id += 1;
        }
        // Touched tickets are all newer than every untouched one.
        for &(ts, id) in touches
            .stream
            .range((Bound::Excluded(after), Bound::Unbounded))
        {
            if tickets.len() > limit {
                break;
            }
            tickets.push((id, ts));
        }
        let end_of_stream = tickets.len() <= limit;
        tickets.truncate(limit);
        let after = tickets.last().map_or(after, |&(id, ts)| (ts, id));
        ExportPage {
            tickets,
            after,
            end_of_stream,
        }
    }
}
