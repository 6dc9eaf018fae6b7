//! `zdpipe views`: list the account's views (from the cache when fresh).

use std::path::Path;

use std::sync::Arc;

use super::{load, Exit, Result};
use crate::cache::{Cache, ReadPolicy};
use crate::fetch::{connect, Access, Connection, Source};

/// Connects to the account of the pipeline at `path` for a quick listing of `what`
/// (`views`, `ticket fields`), with its cache when no run holds it.
pub(super) fn connect_account(path: &Path, what: &str) -> Result<(Connection, Option<Arc<Cache>>)> {
    let (pipeline, env) = load(path)?;
    if let Source::File { .. } = pipeline.fetch.source {
        return Err(super::UsageError(format!(
            "{}: source = \"file\" has no {what}; {what} come from a Zendesk account or the sandbox",
            path.display()
        ))
        .into());
    }
    // The cache is optional here: a run holding it must not block a quick listing.
    let cache = match Cache::open(&pipeline.cache) {
        Ok(c) => Some(Arc::new(c)),
        Err(e) => {
            tracing::debug!("listing {what} without the cache: {e}");
            None
        }
    };
    if let Some(c) = &cache {
        c.claim_account(&pipeline.fetch.account_identity(), false)?;
    }
    let access = Access {
        policy: ReadPolicy::Fresh,
        offline: false,
    };
    let conn = connect(&pipeline.fetch, &env, cache.clone(), access)?;
    Ok((conn, cache))
}

pub fn views(path: &Path, json: bool) -> Result<Exit> {
    let (conn, cache) = connect_account(path, "views")?;
    let api = &conn.api;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let views = rt.block_on(api.views())?;
    if let Some(c) = &cache {
        c.persist_run_counts()?;
        c.flush()?;
    }
    let mut out = std::io::stdout().lock();
    use std::io::Write;
    if json {
        serde_json::to_writer_pretty(&mut out, &views)?;
        writeln!(out)?;
    } else {
        writeln!(out, "{:>12}  {:<6}  title", "id", "active")?;
        for v in &views {
            writeln!(
                out,
                "{:>12}  {:<6}  {}",
                v.id,
                if v.active { "yes" } else { "no" },
                v.title
            )?;
        }
        writeln!(out, "{} views in {}", views.len(), api.client.host())?;
    }
    Ok(Exit::Ok)
}
