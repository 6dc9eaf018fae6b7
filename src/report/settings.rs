//! What the report stage is told by the pipeline file (`[report]`): the reports to
//! write at the end of a run, and their title.

use std::path::PathBuf;

use super::Format;

#[derive(Debug, Clone, Default)]
pub struct ReportSettings {
    /// Each report wanted and where it goes, in the order text, markdown, html, json.
    pub outputs: Vec<(Format, PathBuf)>,
    pub title: Option<String>,
    /// Dimensions every report breaks the analyzed tickets down by (`by`).
    pub by: Vec<String>,
}
