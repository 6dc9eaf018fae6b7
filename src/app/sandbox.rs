//! `zdpipe sandbox`: serve the simulated Zendesk (and LLM) API in the foreground.

use super::{Exit, Result, UsageError};
use crate::cli::SandboxArgs;
use crate::sandbox::{serve_forever, SandboxConfig};

/// Serves until the process is stopped (Ctrl-C ends it: there is nothing to flush).
pub fn serve(args: SandboxArgs) -> Result<Exit> {
    if !(0.0..=1.0).contains(&args.fault_rate) {
        return Err(UsageError(format!(
            "--fault-rate: {} is not between 0 and 1",
            args.fault_rate
        ))
        .into());
    }
    let cfg = SandboxConfig {
        port: args.port,
        tickets: args.tickets,
        seed: args.seed,
        latency_ms: args.latency_ms,
        fault_rate: args.fault_rate,
        rate_limit_per_minute: args.rate_limit_per_minute,
        llm_latency_ms: args.llm_latency_ms,
        ..SandboxConfig::default()
    };
    let tickets = args.tickets;
    serve_forever(cfg, |url| {
        println!("sandbox: {tickets} tickets at {url} (Zendesk API under /api/v2, LLM under /v1, knobs under /_sandbox)");
        println!("  e.g. [fetch] source = \"zendesk\"  base_url = \"{url}\"  views = [1]  (any ZENDESK_EMAIL/ZENDESK_API_TOKEN)");
        println!("Ctrl-C to stop");
    })
    .map_err(|e| anyhow::anyhow!("sandbox on 127.0.0.1:{}: {e}", args.port))?;
    Ok(Exit::Ok)
}
