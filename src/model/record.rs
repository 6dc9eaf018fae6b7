//! What the sled results store keeps per ticket: the latest analysis plus what
//! reports need about the ticket (views, timestamps, requester and organization names).

use serde::{Deserialize, Serialize};

use super::{neutralize_cell, Analysis, OutputRow, Ticket};

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
        let mut shown = Ticket {
            id: ticket.id,
            subject: Some(ticket.subject_text().to_string()),
            status: ticket.status.clone(),
            priority: ticket.priority.clone(),
            requester_id: ticket.requester_id,
            organization_id: ticket.organization_id,
            tags: ticket.tags.clone(),
            created_at: ticket.created_at.clone(),
            updated_at: ticket.updated_at.clone(),
            ..Ticket::default()
        };
        Self::taking(&mut shown, analysis, analyzer, analyzed_at, error)
    }

    /// [`from_parts`](Self::from_parts), moving the ticket's fields the record shows
    /// out of it instead of copying them (they are left empty): a ticket that is done
    /// with once its record is made costs no copies.
    pub fn taking(
        ticket: &mut Ticket,
        analysis: Option<Analysis>,
        analyzer: &str,
        analyzed_at: &str,
        error: Option<String>,
    ) -> Self {
        let subject = (ticket.subject.take())
            .or_else(|| ticket.raw_subject.take())
            .unwrap_or_default();
        ResultRecord {
            ticket_id: ticket.id,
            view_ids: Vec::new(),
            subject,
            deleted: ticket.status.as_deref() == Some("deleted"),
            status: ticket.status.take(),
            priority: ticket.priority.take(),
            requester_id: ticket.requester_id,
            requester_name: None,
            organization_id: ticket.organization_id,
            organization_name: None,
            tags: std::mem::take(&mut ticket.tags),
            created_at: ticket.created_at.take(),
            updated_at: ticket.updated_at.take(),
            link: None,
            analysis,
            analyzer: analyzer.to_string(),
            analyzed_at: analyzed_at.to_string(),
            error,
            columns: Vec::new(),
        }
    }

    /// The CSV row for this record (first view in `view_id`).
    pub fn to_row(&self) -> OutputRow {
        OutputRow::new(self)
    }

    /// Writes this record's CSV row and then its cells of the `extra` columns (empty
    /// where it has none), each neutralized, without copying a cell that is safe.
    pub fn write_csv<W: std::io::Write>(
        &self,
        w: &mut csv::Writer<W>,
        extra: &[String],
    ) -> csv::Result<()> {
        super::row::record_cells(self, |cell| w.write_field(neutralize_cell(cell).as_bytes()))?;
        for name in extra {
            let value = self.columns.iter().find(|(n, _)| n == name);
            w.write_field(neutralize_cell(value.map_or("", |(_, v)| v.as_str())).as_bytes())?;
        }
        w.write_record(None::<&[u8]>)
    }
}
