//! `zdpipe cache`: stats, invalidate, clear and purge on a pipeline's cache.

use std::io::Write;

use super::{load, Exit, Result, UsageError};
use crate::cache::{prefixed_key, Cache};
use crate::cli::{CacheCommand, InvalidateArgs};
use crate::pipeline::Checkpoint;

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
    for id in &a.ticket {
        let mut n = u64::from(cache.tickets.remove(&id.to_be_bytes())?);
        n += u64::from(cache.tickets.remove(&prefixed_key(b'c', *id))?);
        n += u64::from(cache.remove_analysis(*id)?);
        done.push(format!("ticket {id} ({n} entries)"));
    }
    if a.tickets {
        done.push(format!("{} tickets", cache.tickets.clear()?));
    }
    for id in &a.view {
        let mut n = 0;
        for k in [prefixed_key(b'v', *id), prefixed_key(b'n', *id)] {
            n += u64::from(cache.views.remove(&k)?);
        }
        n += u64::from(cache.view_listings.remove(&id.to_be_bytes())?);
        done.push(format!("view {id} ({n} entries)"));
    }
    if a.views {
        let n = cache.views.clear()? + cache.view_listings.clear()?;
        done.push(format!("{n} views and view listings"));
    }
    for id in &a.user {
        let n = u64::from(cache.users.remove(&prefixed_key(b'u', *id))?);
        done.push(format!("user {id} ({n} entries)"));
    }
    if a.users {
        done.push(format!("{} users and organizations", cache.users.clear()?));
    }
    if a.analyses {
        done.push(format!("{} analyses", cache.clear_analyses()?));
    }
    if a.checkpoint {
        let key = Checkpoint::key(&p.account(), &p.name);
        let existed = cache.clear_checkpoint(&key)?;
        done.push(format!(
            "checkpoint {key} ({})",
            if existed { "removed" } else { "there was none" }
        ));
    }
    cache.flush()?;
    println!("invalidated: {}", done.join(", "));
    Ok(Exit::Ok)
}
