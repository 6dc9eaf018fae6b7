//! `zdpipe fields`: list the account's ticket fields (id, type, title, and the
//! options of dropdowns and multiselects), the names `[[write]] fields` takes.

use std::io::Write;
use std::path::Path;

use super::views::connect_account;
use super::{Exit, Result};
use crate::fetch::ticket_fields;
use crate::model::TicketField;

pub fn fields(path: &Path, json: bool) -> Result<Exit> {
    let (conn, cache) = connect_account(path, "ticket fields")?;
    let api = &conn.api;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let fields = rt.block_on(ticket_fields(api))?;
    if let Some(c) = &cache {
        c.persist_run_counts()?;
        c.flush()?;
    }
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &fields)?;
        writeln!(out)?;
        return Ok(Exit::Ok);
    }
    writeln!(out, "{:>14}  {:<12}  title", "id", "type")?;
    for f in &fields {
        writeln!(out, "{:>14}  {:<12}  {}", f.id, kind(f), f.title)?;
        if !f.custom_field_options.is_empty() {
            let options: Vec<String> = f
                .custom_field_options
                .iter()
                .map(|o| format!("{} ({})", o.name, o.value))
                .collect();
            writeln!(
                out,
                "{:>14}  {:<12}  options: {}",
                "",
                "",
                options.join(", ")
            )?;
        }
    }
    let custom = fields.iter().filter(|f| f.removable).count();
    writeln!(
        out,
        "{} fields ({custom} custom, which `fields = [...]` can name) in {}",
        fields.len(),
        api.client.host()
    )?;
    Ok(Exit::Ok)
}

/// The field's type; system fields are marked, since only custom ones can be columns.
fn kind(f: &TicketField) -> String {
    if f.removable {
        f.kind.clone()
    } else {
        format!("{} (system)", f.kind)
    }
}
