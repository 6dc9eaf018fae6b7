//! Zendesk records as the REST API returns them, parsed leniently.

use serde::{Deserialize, Deserializer, Serialize};

/// Deserializes `null` (or a missing field, with `#[serde(default)]`) as `T::default()`.
fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A support ticket. Field names follow the Zendesk Tickets API.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: u64,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub raw_subject: Option<String>,
    /// The first comment of the ticket.
    #[serde(default)]
    pub description: Option<String>,
    /// new | open | pending | hold | solved | closed | deleted
    #[serde(default)]
    pub status: Option<String>,
    /// urgent | high | normal | low, or none.
    #[serde(default)]
    pub priority: Option<String>,
    #[serde(default, rename = "type")]
    pub ticket_type: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: Vec<String>,
    #[serde(default)]
    pub requester_id: Option<u64>,
    #[serde(default)]
    pub submitter_id: Option<u64>,
    #[serde(default)]
    pub assignee_id: Option<u64>,
    #[serde(default)]
    pub organization_id: Option<u64>,
    #[serde(default)]
    pub group_id: Option<u64>,
    /// RFC 3339 UTC, e.g. `2024-01-01T00:00:00Z`.
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Only in the incremental export: when the export last saw a change.
    #[serde(default)]
    pub generated_timestamp: Option<i64>,
}

impl Ticket {
    /// The subject as shown to agents: `subject`, else `raw_subject`, else empty.
    pub fn subject_text(&self) -> &str {
        self.subject
            .as_deref()
            .or(self.raw_subject.as_deref())
            .unwrap_or("")
    }

    /// The first message of the conversation, or empty.
    pub fn description_text(&self) -> &str {
        self.description.as_deref().unwrap_or("")
    }
}

/// A Zendesk user (requesters are what zdpipe needs).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: u64,
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub organization_id: Option<u64>,
    /// `end-user`, `agent` or `admin`: whose words a comment is (`[analyze] text`).
    #[serde(default)]
    pub role: Option<String>,
}

impl User {
    /// Whether the user is a customer rather than staff. A user whose role is not
    /// known (an older cache entry) counts as staff.
    pub fn is_end_user(&self) -> bool {
        self.role.as_deref() == Some("end-user")
    }
}

/// A ticket view (a saved filter).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct View {
    pub id: u64,
    #[serde(default, deserialize_with = "null_as_default")]
    pub title: String,
    #[serde(default)]
    pub active: bool,
}

/// One comment of a ticket's conversation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    #[serde(default)]
    pub id: u64,
    #[serde(default)]
    pub author_id: Option<u64>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub body: String,
    /// The comment as HTML, when Zendesk sends it: cleaned instead of `body`, since
    /// it still marks quoted parts (`<blockquote>`, Gmail's quote div).
    #[serde(default)]
    pub html_body: Option<String>,
    #[serde(default = "default_true")]
    pub public: bool,
    #[serde(default)]
    pub created_at: Option<String>,
}

fn default_true() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_parses_leniently() {
        let t: Ticket = serde_json::from_str(
            r#"{"id": 7, "tags": null, "subject": null, "priority": null,
                "custom_fields": [{"id": 1, "value": null}], "via": {"channel": "web"}}"#,
        )
        .unwrap();
        assert_eq!(t.id, 7);
        assert!(t.tags.is_empty());
        assert_eq!(t.subject_text(), "");
    }

    #[test]
    fn ticket_without_id_is_an_error() {
        assert!(serde_json::from_str::<Ticket>(r#"{"subject": "x"}"#).is_err());
    }
}
