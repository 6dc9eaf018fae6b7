//! `zdpipe cache`: stats, invalidate, clear and purge on a pipeline's cache.

use std::io::Write;

use super::{load, Exit, Result, UsageError};
use crate::cache::{Cache, CheckpointId, Target};
use crate::cli::{CacheCommand, InvalidateArgs};

pub fn cache(cmd: CacheCommand) -> Result<Exit> {
    match cmd {
        CacheCommand::Stats { pipeline, json } => {
            let (p, _) = load(&pipeline)?;
            let cache = Cache::open(&p.cache)?;
            let stats = cache.stats()?;
            let mut out = std::io::stdout().lock();
            if json {
                serde_json::to_writer_pretty(&mut out, &stats)?;
                writeln!(out)?;
            } else {
                writeln!(out, "cache {}", stats.path)?;
                let account = stats.account.as_deref().unwrap_or("(not recorded yet)");
                writeln!(out, "account: {account}")?;
                writeln!(
                    out,
                    "{:<14} {:>9} {:>9} {:>12} {:>10} {:>10} {:>9}",
                    "store", "entries", "expired", "bytes", "hits", "misses", "hit rate"
                )?;
                for s in &stats.stores {
                    let rate = s
                        .hit_rate
                        .map_or("-".to_string(), |r| format!("{:.1}%", r * 100.0));
                    writeln!(
                        out,
                        "{:<14} {:>9} {:>9} {:>12} {:>10} {:>10} {:>9}",
                        s.store,
                        s.counts.entries,
                        s.counts.expired,
                        s.counts.bytes,
                        s.hits,
                        s.misses,
                        rate
                    )?;
                }
                writeln!(out, "checkpoints: {}", stats.checkpoints)?;
                writeln!(
                    out,
                    "(hits and misses are summed over every run; analyses have no TTL)"
                )?;
            }
            Ok(Exit::Ok)
        }
        CacheCommand::Invalidate(args) => invalidate(args),
        CacheCommand::Clear { pipeline } => {
            let (p, _) = load(&pipeline)?;
            let cache = Cache::open(&p.cache)?;
            cache.clear()?;
            println!("cleared cache {}", p.cache.path.display());
            Ok(Exit::Ok)
        }
        CacheCommand::Purge { pipeline } => {
            let (p, _) = load(&pipeline)?;
            let cache = Cache::open(&p.cache)?;
            let purged = cache.purge()?;
            let total: u64 = purged.iter().map(|(_, n)| n).sum();
            let parts: Vec<String> = purged.iter().map(|(s, n)| format!("{s} {n}")).collect();
            println!("purged {total} expired entries ({})", parts.join(", "));
            Ok(Exit::Ok)
        }
    }
}

/// The targets the flags name, in the order they are reported.
fn targets(a: &InvalidateArgs, checkpoint: CheckpointId) -> Vec<Target> {
    let mut out: Vec<Target> = a.ticket.iter().map(|&id| Target::Ticket(id)).collect();
    out.extend(a.tickets.then_some(Target::AllTickets));
    out.extend(a.view.iter().map(|&id| Target::View(id)));
    out.extend(a.views.then_some(Target::AllViews));
    out.extend(a.user.iter().map(|&id| Target::User(id)));
    out.extend(a.users.then_some(Target::AllUsers));
    out.extend(a.analyses.then_some(Target::AllAnalyses));
    out.extend(a.checkpoint.then_some(Target::Checkpoint(checkpoint)));
    out
}

/// "ticket 42 (3 entries)", "12 views and view listings", ...
fn describe(target: &Target, removed: u64) -> String {
    match target {
        Target::Ticket(id) => format!("ticket {id} ({removed} entries)"),
        Target::AllTickets => format!("{removed} tickets"),
        Target::View(id) => format!("view {id} ({removed} entries)"),
        Target::AllViews => format!("{removed} views and view listings"),
        Target::User(id) => format!("user {id} ({removed} entries)"),
        Target::AllUsers => format!("{removed} users and organizations"),
        Target::AllAnalyses => format!("{removed} analyses"),
        Target::Checkpoint(id) => format!(
            "checkpoint {id} ({})",
            if removed > 0 {
                "removed"
            } else {
                "there was none"
            }
        ),
    }
}

fn invalidate(a: InvalidateArgs) -> Result<Exit> {
    let nothing = a.ticket.is_empty()
        && a.view.is_empty()
        && a.user.is_empty()
        && !(a.tickets || a.views || a.users || a.analyses || a.checkpoint);
    if nothing {
        return Err(UsageError(
            "cache invalidate: say what to drop: --ticket ID, --tickets, --view ID, --views, --user ID, --users, --analyses or --checkpoint".into(),
        )
        .into());
    }
    let (p, _) = load(&a.pipeline)?;
    let cache = Cache::open(&p.cache)?;
    let mut done = Vec::new();
    for target in targets(&a, CheckpointId::new(&p.account(), &p.name)) {
        let removed = cache.invalidate(&target)?;
        done.push(describe(&target, removed));
    }
    cache.flush()?;
    println!("invalidated: {}", done.join(", "));
    Ok(Exit::Ok)
}
