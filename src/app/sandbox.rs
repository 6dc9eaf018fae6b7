//! `zdpipe sandbox`: serve the simulated Zendesk (and LLM) API in the foreground.

use super::{Exit, Result, UsageError};
use crate::sandbox::{serve_forever, SandboxSettings};

/// Serves until the process is stopped (Ctrl-C ends it: there is nothing to flush).
pub fn serve(settings: SandboxSettings) -> Result<Exit> {
    settings
        .check()
        .map_err(|e| UsageError(format!("--{}: {}", e.key.replace('_', "-"), e.problem)))?;
    let (tickets, port) = (settings.tickets, settings.port);
    serve_forever(settings, |url| {
        println!("sandbox: {tickets} tickets at {url} (Zendesk API under /api/v2, LLM under /v1, knobs under /_sandbox)");
        println!("  e.g. [fetch] source = \"zendesk\"  base_url = \"{url}\"  views = [1]  (any ZENDESK_EMAIL/ZENDESK_API_TOKEN)");
        println!("Ctrl-C to stop");
    })
    .map_err(|e| anyhow::anyhow!("sandbox on 127.0.0.1:{port}: {e}"))?;
    Ok(Exit::Ok)
}
