//! The data zdpipe moves between stages: Zendesk records ([`Ticket`], [`User`],
//! [`View`]), the per-ticket [`Analysis`], the CSV contract ([`OutputRow`]), and the
//! [`taxonomy`] analyzers choose labels from (shared by `config/` and `analyze/`).
//!
//! Zendesk payloads carry many more fields than these and plenty of nulls, so the
//! record types parse leniently: unknown fields are ignored and a `null` where a list
//! or string is expected becomes its empty value. Only `id` is required.

mod analysis;
mod id_set;
mod lenient;
mod record;
mod row;
pub mod taxonomy;
mod zendesk;

pub use analysis::{priority_score, Analysis, Sentiment};
pub use id_set::IdSet;
pub use record::ResultRecord;
pub use row::{neutralize_cell, OutputRow, CSV_COLUMNS};
pub use zendesk::{
    Comment, CustomFieldValue, CustomFields, FieldOption, MetricSet, Minutes, Named,
    SatisfactionRating, Ticket, TicketField, User, Via, View,
};
