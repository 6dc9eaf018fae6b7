//! Extra columns a `[[write]]` table asks for: custom fields by title or id
//! (`fields`) and standard columns (`columns`), resolved once per run.
//!
//! [`ColumnPlan::resolve`] fetches the lookup lists the request needs, each whole and
//! once (`ticket_fields`, `groups`, `brands`, `ticket_forms`; cached with the users'
//! TTL), and matches each field reference to one custom field: a title that matches
//! none, or two, is an error listing the closest titles. [`ColumnPlan::values`] then
//! gives a ticket's cells from the ticket itself, its sideloaded metric set and the
//! users known for its page (assignees come with the page's `include=users`), so no
//! column costs a request per ticket.
//!
//! Cells: a dropdown (`tagger`) is its option's name, a multiselect the names of its
//! options joined with `; ` (like every list in the CSV), a checkbox `true`/`false`, a
//! date `YYYY-MM-DD`, a number as written; a value no option names is written as it is.

use std::collections::HashMap;

use serde_json::Value;

use super::api::Api;
use super::FetchError;
use crate::cache::LookupList;
use crate::model::{Minutes, Named, Ticket, TicketField, User};

/// A standard column (`[[write]] columns`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StandardColumn {
    Channel,
    Group,
    Assignee,
    Brand,
    Form,
    Type,
    Satisfaction,
    SatisfactionComment,
    Reopens,
    Replies,
    FirstReplyMinutes,
    FullResolutionMinutes,
    AgentWaitMinutes,
    RequesterWaitMinutes,
}

impl StandardColumn {
    pub const ALL: [StandardColumn; 14] = [
        StandardColumn::Channel,
        StandardColumn::Group,
        StandardColumn::Assignee,
        StandardColumn::Brand,
        StandardColumn::Form,
        StandardColumn::Type,
        StandardColumn::Satisfaction,
        StandardColumn::SatisfactionComment,
        StandardColumn::Reopens,
        StandardColumn::Replies,
        StandardColumn::FirstReplyMinutes,
        StandardColumn::FullResolutionMinutes,
        StandardColumn::AgentWaitMinutes,
        StandardColumn::RequesterWaitMinutes,
    ];

    /// The name in the pipeline file, which is also the CSV header.
    pub fn name(self) -> &'static str {
        match self {
            StandardColumn::Channel => "channel",
            StandardColumn::Group => "group",
            StandardColumn::Assignee => "assignee",
            StandardColumn::Brand => "brand",
            StandardColumn::Form => "form",
            StandardColumn::Type => "type",
            StandardColumn::Satisfaction => "satisfaction",
            StandardColumn::SatisfactionComment => "satisfaction_comment",
            StandardColumn::Reopens => "reopens",
            StandardColumn::Replies => "replies",
            StandardColumn::FirstReplyMinutes => "first_reply_minutes",
            StandardColumn::FullResolutionMinutes => "full_resolution_minutes",
            StandardColumn::AgentWaitMinutes => "agent_wait_minutes",
            StandardColumn::RequesterWaitMinutes => "requester_wait_minutes",
        }
    }

    pub fn parse(name: &str) -> Option<StandardColumn> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The valid names, for error messages.
    pub fn valid_names() -> String {
        Self::ALL.map(|c| c.name()).join(", ")
    }

    /// The list the column names things from, if any.
    fn list(self) -> Option<LookupList> {
        match self {
            StandardColumn::Group => Some(LookupList::Groups),
            StandardColumn::Brand => Some(LookupList::Brands),
            StandardColumn::Form => Some(LookupList::TicketForms),
            _ => None,
        }
    }

    fn is_metric(self) -> bool {
        matches!(
            self,
            StandardColumn::Reopens
                | StandardColumn::Replies
                | StandardColumn::FirstReplyMinutes
                | StandardColumn::FullResolutionMinutes
                | StandardColumn::AgentWaitMinutes
                | StandardColumn::RequesterWaitMinutes
        )
    }
}

/// A custom field as the pipeline file names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldRef {
    /// Matched case-insensitively against the fields' titles.
    Title(String),
    Id(u64),
}

/// What the `[[write]]` tables ask for, in order: custom fields, then standard columns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnRequest {
    pub fields: Vec<FieldRef>,
    pub standard: Vec<StandardColumn>,
}

impl ColumnRequest {
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.standard.is_empty()
    }
}

/// One resolved column.
#[derive(Debug, Clone)]
enum Column {
    Field(ResolvedField),
    Standard(StandardColumn),
}

/// A custom field and its options' names by tag.
#[derive(Debug, Clone)]
struct ResolvedField {
    id: u64,
    title: String,
    kind: String,
    names: HashMap<String, String>,
}

/// The run's extra columns, resolved: what each is and the names it needs.
#[derive(Debug, Clone, Default)]
pub struct ColumnPlan {
    columns: Vec<Column>,
    /// Names by id, per lookup list.
    names: HashMap<LookupList, HashMap<u64, String>>,
}

impl ColumnPlan {
    /// Fetches the lists `request` needs and resolves its fields (an unknown or
    /// ambiguous title is [`FetchError::Columns`]).
    pub async fn resolve(api: &Api, request: &ColumnRequest) -> Result<ColumnPlan, FetchError> {
        let mut plan = ColumnPlan::default();
        if !request.fields.is_empty() {
            let fields = ticket_fields(api).await?;
            for r in &request.fields {
                plan.columns.push(Column::Field(resolve_field(&fields, r)?));
            }
        }
        for &c in &request.standard {
            if let Some(list) = c.list().filter(|l| !plan.names.contains_key(l)) {
                let named = lookup::<Named>(api, list).await?;
                plan.names
                    .insert(list, named.into_iter().map(|n| (n.id, n.name)).collect());
            }
            plan.columns.push(Column::Standard(c));
        }
        Ok(plan)
    }

    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// The CSV headers of the columns, in order: a field's title, a standard column's name.
    pub fn headers(&self) -> Vec<String> {
        self.columns
            .iter()
            .map(|c| match c {
                Column::Field(f) => f.title.clone(),
                Column::Standard(s) => s.name().to_string(),
            })
            .collect()
    }

    /// Whether the `assignee` column needs the tickets' assignees among the users.
    pub fn needs_assignees(&self) -> bool {
        self.has(StandardColumn::Assignee)
    }

    /// Whether ticket pages must sideload `metric_sets`.
    pub fn needs_metric_sets(&self) -> bool {
        self.columns
            .iter()
            .any(|c| matches!(c, Column::Standard(s) if s.is_metric()))
    }

    fn has(&self, column: StandardColumn) -> bool {
        self.columns
            .iter()
            .any(|c| matches!(c, Column::Standard(s) if *s == column))
    }

    /// The ticket's cells, `(header, value)` in column order (empty for none).
    pub fn values(&self, ticket: &Ticket, users: &HashMap<u64, User>) -> Vec<(String, String)> {
        self.columns
            .iter()
            .map(|c| match c {
                Column::Field(f) => (f.title.clone(), field_cell(f, ticket)),
                Column::Standard(s) => {
                    (s.name().to_string(), self.standard_cell(*s, ticket, users))
                }
            })
            .collect()
    }

    fn name_of(&self, list: LookupList, id: Option<u64>) -> String {
        id.and_then(|id| self.names.get(&list)?.get(&id).cloned())
            .unwrap_or_default()
    }

    fn standard_cell(&self, c: StandardColumn, t: &Ticket, users: &HashMap<u64, User>) -> String {
        let metrics = t.metric_set.as_ref();
        let minutes = |m: fn(&crate::model::MetricSet) -> &Option<Minutes>| {
            text(metrics.and_then(|s| m(s).as_ref()?.calendar))
        };
        let rating = t.satisfaction_rating.as_ref();
        match c {
            StandardColumn::Channel => text(t.via.as_ref().and_then(|v| v.channel.clone())),
            StandardColumn::Group => self.name_of(LookupList::Groups, t.group_id),
            StandardColumn::Brand => self.name_of(LookupList::Brands, t.brand_id),
            StandardColumn::Form => self.name_of(LookupList::TicketForms, t.ticket_form_id),
            StandardColumn::Assignee => text(
                t.assignee_id
                    .and_then(|id| users.get(&id))
                    .map(|u| u.name.clone()),
            ),
            StandardColumn::Type => text(t.ticket_type.clone()),
            StandardColumn::Satisfaction => text(rating.and_then(|r| r.score.clone())),
            StandardColumn::SatisfactionComment => text(rating.and_then(|r| r.comment.clone())),
            StandardColumn::Reopens => text(metrics.and_then(|m| m.reopens)),
            StandardColumn::Replies => text(metrics.and_then(|m| m.replies)),
            StandardColumn::FirstReplyMinutes => minutes(|m| &m.reply_time_in_minutes),
            StandardColumn::FullResolutionMinutes => {
                minutes(|m| &m.full_resolution_time_in_minutes)
            }
            StandardColumn::AgentWaitMinutes => minutes(|m| &m.agent_wait_time_in_minutes),
            StandardColumn::RequesterWaitMinutes => minutes(|m| &m.requester_wait_time_in_minutes),
        }
    }
}

fn text<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// The account's ticket fields (`zdpipe fields` lists them; `fields = [...]` names them).
pub async fn ticket_fields(api: &Api) -> Result<Vec<TicketField>, FetchError> {
    lookup(api, LookupList::TicketFields).await
}

/// A lookup list's records; one that does not parse is skipped with a warning.
async fn lookup<T: serde::de::DeserializeOwned>(
    api: &Api,
    list: LookupList,
) -> Result<Vec<T>, FetchError> {
    let raw = api.lookup_list(list).await?;
    Ok(raw
        .into_iter()
        .filter_map(|v| match serde_json::from_value::<T>(v) {
            Ok(r) => Some(r),
            Err(e) => {
                tracing::warn!(
                    "skipping a record of {} that could not be read: {e}",
                    list.name()
                );
                None
            }
        })
        .collect())
}

/// The one custom field `r` names, or an error listing the closest titles.
fn resolve_field(fields: &[TicketField], r: &FieldRef) -> Result<ResolvedField, FetchError> {
    let custom: Vec<&TicketField> = fields.iter().filter(|f| f.removable).collect();
    let matches: Vec<&&TicketField> = match r {
        FieldRef::Id(id) => custom.iter().filter(|f| f.id == *id).collect(),
        FieldRef::Title(t) => custom
            .iter()
            .filter(|f| f.title.trim().eq_ignore_ascii_case(t.trim()))
            .collect(),
    };
    let asked = match r {
        FieldRef::Id(id) => format!("id {id}"),
        FieldRef::Title(t) => format!("the title \"{t}\""),
    };
    match matches.as_slice() {
        [f] => Ok(ResolvedField {
            id: f.id,
            title: f.title.clone(),
            kind: f.kind.clone(),
            names: f
                .custom_field_options
                .iter()
                .map(|o| (o.value.clone(), o.name.clone()))
                .collect(),
        }),
        [] => Err(FetchError::Columns(format!(
            "[write] fields: no custom ticket field has {asked}; closest: {} (`zdpipe fields` lists them all)",
            closest(&custom, r)
        ))),
        many => Err(FetchError::Columns(format!(
            "[write] fields: {} custom ticket fields have {asked} (ids {}); name one by its id",
            many.len(),
            many.iter().map(|f| f.id.to_string()).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// The three titles nearest to what was asked (edit distance, ignoring case).
fn closest(fields: &[&TicketField], r: &FieldRef) -> String {
    let wanted = match r {
        FieldRef::Id(id) => id.to_string(),
        FieldRef::Title(t) => t.to_lowercase(),
    };
    let mut ranked: Vec<(usize, &TicketField)> = fields
        .iter()
        .map(|f| (edit_distance(&wanted, &f.title.to_lowercase()), *f))
        .collect();
    ranked.sort_by_key(|(d, f)| (*d, f.id));
    let shown: Vec<String> = ranked
        .iter()
        .take(3)
        .map(|(_, f)| format!("\"{}\" ({})", f.title, f.id))
        .collect();
    if shown.is_empty() {
        "none (the account has no custom ticket fields)".to_string()
    } else {
        shown.join(", ")
    }
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// A custom field's cell on `ticket` (see the module doc for each type).
fn field_cell(f: &ResolvedField, ticket: &Ticket) -> String {
    let Some(entry) = ticket.custom_fields.list().iter().find(|c| c.id == f.id) else {
        return String::new();
    };
    let name = |tag: &str| f.names.get(tag).cloned().unwrap_or_else(|| tag.to_string());
    match (&entry.value, f.kind.as_str()) {
        (Value::Null, _) => String::new(),
        (Value::String(tag), "tagger") => name(tag),
        (Value::Array(tags), _) => tags
            .iter()
            .map(|t| match t {
                Value::String(tag) => name(tag),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join("; "),
        (Value::String(d), "date") => d.chars().take(10).collect(),
        (Value::String(s), _) => s.clone(),
        (other, _) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CustomFieldValue, FieldOption};

    fn field(id: u64, title: &str, kind: &str) -> TicketField {
        TicketField {
            id,
            kind: kind.into(),
            title: title.into(),
            removable: true,
            custom_field_options: vec![
                FieldOption {
                    name: "Europe".into(),
                    value: "eu".into(),
                },
                FieldOption {
                    name: "Asia Pacific".into(),
                    value: "apac".into(),
                },
            ],
        }
    }

    #[test]
    fn titles_match_without_case_and_unknown_ones_name_the_closest() {
        let fields = vec![
            field(1, "Region", "tagger"),
            field(2, "Product", "tagger"),
            field(3, "Products", "text"),
            field(4, "Status", "status"),
        ];
        let found = resolve_field(&fields, &FieldRef::Title("region".into())).unwrap();
        assert_eq!((found.id, found.title.as_str()), (1, "Region"));
        let err = resolve_field(&fields, &FieldRef::Title("Prodcut".into())).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("\"Product\" (2)") && text.contains("\"Products\" (3)"),
            "{text}"
        );
        let mut twice = fields.clone();
        twice.push(field(5, "REGION", "text"));
        let err = resolve_field(&twice, &FieldRef::Title("Region".into())).unwrap_err();
        assert!(err.to_string().contains("ids 1, 5"), "{err}");
    }

    #[test]
    fn cells_use_option_names_and_plain_values() {
        let f = |kind: &str| resolve_field(&[field(9, "F", kind)], &FieldRef::Id(9)).unwrap();
        let ticket = |value: Value| Ticket {
            custom_fields: vec![CustomFieldValue { id: 9, value }].into(),
            ..Ticket::default()
        };
        assert_eq!(field_cell(&f("tagger"), &ticket("eu".into())), "Europe");
        assert_eq!(field_cell(&f("tagger"), &ticket("gone".into())), "gone");
        let both = Value::from(vec!["eu", "apac"]);
        assert_eq!(
            field_cell(&f("multiselect"), &ticket(both)),
            "Europe; Asia Pacific"
        );
        assert_eq!(field_cell(&f("checkbox"), &ticket(true.into())), "true");
        assert_eq!(field_cell(&f("integer"), &ticket(42.into())), "42");
        assert_eq!(field_cell(&f("decimal"), &ticket("4.5".into())), "4.5");
        assert_eq!(
            field_cell(&f("date"), &ticket("2026-03-01".into())),
            "2026-03-01"
        );
        assert_eq!(field_cell(&f("text"), &ticket(Value::Null)), "");
    }
}
