//! Zendesk records as the REST API returns them, parsed leniently.

use serde::{Deserialize, Deserializer, Serialize};

use super::lenient::text_members;

/// Deserializes `null` (or a missing field, with `#[serde(default)]`) as `T::default()`.
fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// `via`, leniently (see [`super::lenient`]).
pub(crate) fn via<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Via>, D::Error> {
    Ok(text_members(d, &["channel"])?.map(|[channel]| Via { channel }))
}

/// `satisfaction_rating`, leniently (see [`super::lenient`]).
pub(crate) fn rating<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<SatisfactionRating>, D::Error> {
    Ok(text_members(d, &["score", "comment"])?
        .map(|[score, comment]| SatisfactionRating { score, comment }))
}

/// A support ticket: the fields zdpipe reads, named as in the Zendesk Tickets API
/// (the others, `url` among them, are skipped while parsing).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: u64,
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
    /// `[{id, value}]`: a dropdown's value is its option's tag, a multiselect's a
    /// list of tags (`fetch/columns.rs` turns them into the options' names).
    #[serde(default, skip_serializing_if = "CustomFields::is_absent")]
    pub custom_fields: CustomFields,
    #[serde(
        default,
        deserialize_with = "via",
        skip_serializing_if = "Option::is_none"
    )]
    pub via: Option<Via>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_form_id: Option<u64>,
    #[serde(
        default,
        deserialize_with = "rating",
        skip_serializing_if = "Option::is_none"
    )]
    pub satisfaction_rating: Option<SatisfactionRating>,
    /// Not part of Zendesk's ticket: its metric set, sideloaded with the page
    /// (`include=metric_sets`) and kept with the cached ticket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_set: Option<MetricSet>,
}

/// A ticket's `custom_fields`, kept as the JSON text the page had and parsed into
/// [`CustomFieldValue`]s the first time a column reads them. Most runs export no
/// custom field column, and building each value (strings, lists of tags) for every
/// ticket, to drop it unread, was about a third of parsing and dropping a page
/// (3.5 -> 2.4 ms for 1,000 sandbox tickets). Leniency is as before: a list of
/// another shape reads as no custom fields.
#[derive(Clone, Default)]
pub struct CustomFields {
    raw: Option<Box<serde_json::value::RawValue>>,
    parsed: std::sync::OnceLock<Vec<CustomFieldValue>>,
}

impl CustomFields {
    /// The entries, parsed on first use.
    pub fn list(&self) -> &[CustomFieldValue] {
        self.parsed.get_or_init(|| {
            self.raw
                .as_ref()
                .and_then(|raw| serde_json::from_str(raw.get()).ok())
                .unwrap_or_default()
        })
    }

    pub fn is_empty(&self) -> bool {
        self.list().is_empty()
    }

    /// Whether there is nothing to write back: no text from a page and no entries.
    /// Unlike [`CustomFields::is_empty`] it does not parse the text.
    fn is_absent(&self) -> bool {
        self.raw.is_none() && self.parsed.get().is_none_or(Vec::is_empty)
    }
}

impl From<Vec<CustomFieldValue>> for CustomFields {
    fn from(list: Vec<CustomFieldValue>) -> Self {
        CustomFields {
            raw: None,
            parsed: list.into(),
        }
    }
}

impl<'de> Deserialize<'de> for CustomFields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(CustomFields {
            raw: Some(Box::<serde_json::value::RawValue>::deserialize(d)?),
            parsed: std::sync::OnceLock::new(),
        })
    }
}

/// Written back as the text it was read from (a ticket a view listed is cached
/// this way), so storing a ticket does not parse its custom fields either.
impl Serialize for CustomFields {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.raw {
            Some(raw) => raw.serialize(s),
            None => self.list().serialize(s),
        }
    }
}

impl PartialEq for CustomFields {
    fn eq(&self, other: &Self) -> bool {
        self.list() == other.list()
    }
}

impl std::fmt::Debug for CustomFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.list().fmt(f)
    }
}

/// One entry of a ticket's `custom_fields`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomFieldValue {
    pub id: u64,
    #[serde(default)]
    pub value: serde_json::Value,
}

/// How the ticket came in (`via.channel`: `email`, `web`, `api`...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Via {
    #[serde(default)]
    pub channel: Option<String>,
}

/// The customer's rating: `score` is `good`, `bad`, `offered` or `unoffered`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SatisfactionRating {
    #[serde(default)]
    pub score: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A ticket's metrics (`metric_sets`): counts, and times in minutes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricSet {
    #[serde(default)]
    pub ticket_id: u64,
    #[serde(default)]
    pub reopens: Option<u64>,
    #[serde(default)]
    pub replies: Option<u64>,
    #[serde(default)]
    pub reply_time_in_minutes: Option<Minutes>,
    #[serde(default)]
    pub full_resolution_time_in_minutes: Option<Minutes>,
    #[serde(default)]
    pub agent_wait_time_in_minutes: Option<Minutes>,
    #[serde(default)]
    pub requester_wait_time_in_minutes: Option<Minutes>,
}

/// A duration in calendar minutes and in business-hours minutes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Minutes {
    #[serde(default)]
    pub calendar: Option<u64>,
    #[serde(default)]
    pub business: Option<u64>,
}

/// A ticket field of the account (`GET /api/v2/ticket_fields`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TicketField {
    pub id: u64,
    /// `text`, `tagger` (dropdown), `multiselect`, `checkbox`, `date`, `integer`,
    /// `decimal`...; system fields have their own (`subject`, `status`, `group`...).
    #[serde(rename = "type", default, deserialize_with = "null_as_default")]
    pub kind: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub title: String,
    /// False for the system fields every ticket has; custom fields are removable.
    #[serde(default = "default_true")]
    pub removable: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    pub custom_field_options: Vec<FieldOption>,
}

/// A dropdown or multiselect option: `name` is what agents see, `value` the tag.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FieldOption {
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub value: String,
}

/// A group, brand or ticket form: what zdpipe needs of them is the name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Named {
    pub id: u64,
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
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
    fn odd_shapes_of_column_fields_leave_them_empty() {
        let t: Ticket = serde_json::from_str(
            r#"{"id": 8, "custom_fields": {"x": 1}, "via": "web", "satisfaction_rating": 3}"#,
        )
        .unwrap();
        assert!(t.custom_fields.is_empty() && t.via.is_none() && t.satisfaction_rating.is_none());
        let t: Ticket =
            serde_json::from_str(r#"{"id": 8, "custom_fields": [{"id": "x"}]}"#).unwrap();
        assert!(t.custom_fields.is_empty());
    }

    #[test]
    fn column_fields_parse_the_same_from_a_json_value() {
        let json = r#"{"id": 9, "custom_fields": [{"id": 1, "value": ["a", 2.5]}],
            "via": {"channel": "email"}, "satisfaction_rating": "good"}"#;
        let from_text: Ticket = serde_json::from_str(json).unwrap();
        let value: serde_json::Value = serde_json::from_str(json).unwrap();
        let from_value: Ticket = serde_json::from_value(value).unwrap();
        assert_eq!(from_text, from_value);
        assert_eq!(
            from_text.custom_fields.list()[0].value,
            serde_json::json!(["a", 2.5])
        );
        assert_eq!(from_text.via.unwrap().channel.as_deref(), Some("email"));
        assert!(from_text.satisfaction_rating.is_none());
    }

    #[test]
    fn a_stored_ticket_reads_back_with_its_custom_fields() {
        let json = r#"{"id": 5, "custom_fields": [{"id": 1, "value": ["a", "b"]}, {"id": 2, "value": null}]}"#;
        let read: Ticket = serde_json::from_str(json).unwrap();
        let stored = serde_json::to_string(&read).unwrap();
        // Written back as it was read, not parsed and written anew.
        assert!(stored.contains(r#"[{"id": 1, "value": ["a", "b"]}, {"id": 2, "value": null}]"#));
        let back: Ticket = serde_json::from_str(&stored).unwrap();
        assert_eq!(back, read);
        assert_eq!(
            back.custom_fields.list()[0].value,
            serde_json::json!(["a", "b"])
        );
        // Built in code, or absent: the entries, or nothing.
        let built = Ticket {
            id: 6,
            custom_fields: vec![CustomFieldValue {
                id: 3,
                value: 4.into(),
            }]
            .into(),
            ..Ticket::default()
        };
        let stored = serde_json::to_string(&built).unwrap();
        assert!(
            stored.contains(r#""custom_fields":[{"id":3,"value":4}]"#),
            "{stored}"
        );
        let none = serde_json::to_string(&Ticket::default()).unwrap();
        assert!(!none.contains("custom_fields"), "{none}");
    }

    #[test]
    fn ticket_without_id_is_an_error() {
        assert!(serde_json::from_str::<Ticket>(r#"{"subject": "x"}"#).is_err());
    }
}
