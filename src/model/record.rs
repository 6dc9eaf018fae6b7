//! What the sled results store keeps per ticket: the latest analysis plus what
//! reports need about the ticket (views, timestamps, requester and organization names).

use serde::{Deserialize, Serialize};

use super::{Analysis, OutputRow, Ticket};

/// The latest analysis of one ticket, as stored in the results store and read by reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultRecord {
    pub ticket_id: u64,
    /// Every view the ticket was seen in, first one first.
    #[serde(default)]
    pub view_ids: Vec<u64>,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub priority: Option<String>,
    #[serde(default)]
    pub requester_id: Option<u64>,
    #[serde(default)]
    pub requester_name: Option<String>,
    #[serde(default)]
    pub organization_id: Option<u64>,
    #[serde(default)]
    pub organization_name: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// RFC 3339 UTC.
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Link an agent can open, e.g. `https://acme.zendesk.com/agent/tickets/42`.
    #[serde(default)]
    pub link: Option<String>,
    /// `None` when the ticket failed; `error` then says why.
    #[serde(default)]
    pub analysis: Option<Analysis>,
    #[serde(default)]
    pub analyzer: String,
    /// RFC 3339 UTC.
    #[serde(default)]
    pub analyzed_at: String,
    #[serde(default)]
    pub error: Option<String>,
    /// Set when the incremental export reported the ticket deleted; reports leave it out.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    /// Extra columns asked for by `[[write]] fields` and `columns`: (column name, value), in the order written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<(String, String)>,
}

impl ResultRecord {
    /// A record with no names, link or views yet; `deleted` when the ticket's status
    /// says so (the incremental export's soft-deleted tickets).
    pub fn from_parts(
        ticket: &Ticket,
        analysis: Option<Analysis>,
        analyzer: &str,
        analyzed_at: &str,
        error: Option<String>,
    ) -> Self {
        ResultRecord {
            ticket_id: ticket.id,
            view_ids: Vec::new(),
            subject: ticket.subject_text().to_string(),
            status: ticket.status.clone(),
            priority: ticket.priority.clone(),
            requester_id: ticket.requester_id,
            requester_name: None,
            organization_id: ticket.organization_id,
            organization_name: None,
            tags: ticket.tags.clone(),
            created_at: ticket.created_at.clone(),
            updated_at: ticket.updated_at.clone(),
            link: None,
            analysis,
            analyzer: analyzer.to_string(),
            analyzed_at: analyzed_at.to_string(),
            error,
            deleted: ticket.status.as_deref() == Some("deleted"),
            columns: Vec::new(),
        }
    }

    /// The ticket fields reports and exports need, rebuilt as a [`Ticket`].
    pub fn ticket(&self) -> Ticket {
        Ticket {
            id: self.ticket_id,
            subject: Some(self.subject.clone()),
            status: self.status.clone(),
            priority: self.priority.clone(),
            tags: self.tags.clone(),
            requester_id: self.requester_id,
            organization_id: self.organization_id,
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
            ..Ticket::default()
        }
    }

    /// The CSV row for this record (first view in `view_id`).
    pub fn to_row(&self) -> OutputRow {
        OutputRow::new(
            &self.ticket(),
            self.view_ids.first().copied(),
            self.analysis.as_ref(),
            &self.analyzer,
            &self.analyzed_at,
            self.error.as_deref(),
        )
    }
}
