//! The JSON shapes the sandbox sends, as Zendesk's API spells them.
//!
//! These are richer than `crate::model` (which parses only what zdpipe needs): real
//! payloads carry `via`, `custom_fields` with nulls, empty id lists and so on, and a
//! client has to cope with them. Each record converts into its model type so tests can
//! compare what the client parsed with what the sandbox meant to send.

use serde::Serialize;

use crate::model::{Comment, CustomFieldValue, SatisfactionRating, Ticket, User, View};

/// A ticket as `GET /api/v2/tickets/...` returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketRecord {
    pub url: String,
    pub id: u64,
    pub external_id: Option<String>,
    pub via: Via,
    pub created_at: String,
    pub updated_at: String,
    #[serde(rename = "type")]
    pub ticket_type: Option<&'static str>,
    pub subject: String,
    pub raw_subject: String,
    pub description: String,
    pub priority: Option<&'static str>,
    pub status: &'static str,
    pub recipient: Option<String>,
    pub requester_id: u64,
    pub submitter_id: u64,
    pub assignee_id: Option<u64>,
    pub organization_id: Option<u64>,
    pub group_id: Option<u64>,
    pub collaborator_ids: [u64; 0],
    pub follower_ids: [u64; 0],
    pub email_cc_ids: [u64; 0],
    pub problem_id: Option<u64>,
    pub has_incidents: bool,
    pub is_public: bool,
    pub due_at: Option<String>,
    pub tags: Vec<&'static str>,
    pub custom_fields: Vec<CustomField>,
    pub satisfaction_rating: Option<Satisfaction>,
    pub brand_id: u64,
    pub ticket_form_id: Option<u64>,
    pub allow_channelback: bool,
    pub allow_attachments: bool,
    /// Only the incremental export carries it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated_timestamp: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Via {
    pub channel: &'static str,
    pub source: ViaSource,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ViaSource {
    pub from: Empty,
    pub to: Empty,
    pub rel: Option<&'static str>,
}

/// Serializes as `{}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Empty {}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomField {
    pub id: u64,
    pub value: Option<FieldValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum FieldValue {
    Text(String),
    Flag(bool),
    Number(u64),
    /// A multiselect's tags.
    Tags(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Satisfaction {
    pub score: &'static str,
    pub comment: Option<&'static str>,
}

impl From<&TicketRecord> for Ticket {
    fn from(r: &TicketRecord) -> Ticket {
        Ticket {
            id: r.id,
            subject: Some(r.subject.clone()),
            raw_subject: Some(r.raw_subject.clone()),
            description: Some(r.description.clone()),
            status: Some(r.status.to_string()),
            priority: r.priority.map(str::to_string),
            ticket_type: r.ticket_type.map(str::to_string),
            tags: r.tags.iter().map(|t| t.to_string()).collect(),
            requester_id: Some(r.requester_id),
            submitter_id: Some(r.submitter_id),
            assignee_id: r.assignee_id,
            organization_id: r.organization_id,
            group_id: r.group_id,
            created_at: Some(r.created_at.clone()),
            updated_at: Some(r.updated_at.clone()),
            generated_timestamp: r.generated_timestamp,
            custom_fields: r
                .custom_fields
                .iter()
                .map(|f| CustomFieldValue {
                    id: f.id,
                    value: serde_json::to_value(&f.value).expect("plain data serializes"),
                })
                .collect::<Vec<_>>()
                .into(),
            via: Some(crate::model::Via {
                channel: Some(r.via.channel.to_string()),
            }),
            brand_id: Some(r.brand_id),
            ticket_form_id: r.ticket_form_id,
            satisfaction_rating: r.satisfaction_rating.as_ref().map(|s| SatisfactionRating {
                score: Some(s.score.to_string()),
                comment: s.comment.map(str::to_string),
            }),
            metric_set: None,
        }
    }
}

/// A user (customer or agent).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserRecord {
    pub url: String,
    pub id: u64,
    pub name: String,
    pub email: String,
    pub organization_id: Option<u64>,
    pub role: &'static str,
    pub active: bool,
    pub verified: bool,
    pub time_zone: &'static str,
    pub locale: &'static str,
    pub created_at: String,
}

impl From<&UserRecord> for User {
    fn from(r: &UserRecord) -> User {
        User {
            id: r.id,
            name: r.name.clone(),
            email: Some(r.email.clone()),
            organization_id: r.organization_id,
            role: Some(r.role.to_string()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrganizationRecord {
    pub url: String,
    pub id: u64,
    pub name: String,
    pub domain_names: Vec<String>,
    pub tags: Vec<&'static str>,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommentRecord {
    pub id: u64,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub author_id: u64,
    pub body: String,
    pub public: bool,
    pub attachments: [u64; 0],
    pub created_at: String,
}

impl From<&CommentRecord> for Comment {
    fn from(r: &CommentRecord) -> Comment {
        Comment {
            id: r.id,
            author_id: Some(r.author_id),
            body: r.body.clone(),
            html_body: None,
            public: r.public,
            created_at: Some(r.created_at.clone()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ViewRecord {
    pub url: String,
    pub id: u64,
    pub title: &'static str,
    pub active: bool,
    pub position: u64,
    pub default: bool,
    pub description: &'static str,
    pub conditions: Conditions,
    pub restriction: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A view's filter, described the way Zendesk does (informational only).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conditions {
    pub all: Vec<Condition>,
    pub any: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Condition {
    pub field: &'static str,
    pub operator: &'static str,
    pub value: &'static str,
}

impl From<&ViewRecord> for View {
    fn from(r: &ViewRecord) -> View {
        View {
            id: r.id,
            title: r.title.to_string(),
            active: r.active,
        }
    }
}
