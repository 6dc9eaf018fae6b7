//! Validation of `[fetch]` (and `[fetch.sandbox]`): the source, the mode, and the
//! client's limits. Keys that do not apply to the chosen source or mode are errors.

use std::time::Duration;

use toml::Spanned;

use super::raw::{ModeKind, RawFetch, SourceKind};
use super::validate::{check_base_url, value, At, Ctx, Span, Table};
use super::{ConfigError, Env};
use crate::fetch::{FetchSettings, Mode, RateLimit, Since, Source, ZendeskTarget};
use crate::sandbox::SandboxSettings;

/// `[fetch]`, checked concern by concern.
pub(super) fn fetch(
    ctx: &Ctx,
    raw: Spanned<RawFetch>,
    env: &Env,
) -> Result<FetchSettings, ConfigError> {
    let t = ctx.table("fetch", raw.at());
    let raw = raw.into_inner();
    let kind = value(&raw.source).unwrap_or_default();
    reject_keys_that_do_not_apply(&t, &raw, kind)?;
    let source = match kind {
        SourceKind::Zendesk => Source::Zendesk(zendesk(&t, &raw, env)?),
        SourceKind::Sandbox => {
            sandbox_built_in(&t, &raw)?;
            Source::Sandbox(sandbox(ctx, raw.sandbox.as_ref())?)
        }
        SourceKind::File => file(&t, &raw)?,
    };
    let mode = match kind {
        SourceKind::File => Mode::File,
        _ => mode(&t, &raw)?,
    };
    Ok(FetchSettings {
        rate_limit: rate_limit(&t, &raw)?,
        api_share: api_share(&t, &raw)?,
        rate_window: rate_window(&t, &raw)?,
        high_volume: value(&raw.high_volume).unwrap_or(false),
        max_retries: value(&raw.max_retries).unwrap_or(5),
        retry_after_default: t.duration(
            "retry_after_default",
            &raw.retry_after_default,
            Duration::from_secs(60),
        )?,
        timeout: t.positive_duration("timeout", &raw.timeout, Duration::from_secs(30))?,
        connect_timeout: t.positive_duration(
            "connect_timeout",
            &raw.connect_timeout,
            Duration::from_secs(10),
        )?,
        include_comments: value(&raw.include_comments).unwrap_or(false),
        exclude_deleted: value(&raw.exclude_deleted).unwrap_or(false),
        ca_file: ca_file(&t, &raw.ca_file)?,
        source,
        mode,
    })
}

/// Keys that do not apply are errors, not silently ignored settings.
fn reject_keys_that_do_not_apply(
    t: &Table,
    raw: &RawFetch,
    kind: SourceKind,
) -> Result<(), ConfigError> {
    const ONLY_FILE: &str = "only applies to source = \"file\"";
    const ONLY_ZENDESK: &str = "only applies to source = \"zendesk\"";
    const ONLY_INCREMENTAL: &str = "only applies to mode = \"incremental\"";
    let is_file = kind == SourceKind::File;
    let is_zendesk = kind == SourceKind::Zendesk;
    let incremental = value(&raw.mode) == Some(ModeKind::Incremental);
    let search = value(&raw.mode) == Some(ModeKind::Search);
    let misplaced: [(&str, Option<Span>, bool, &str); 11] = [
        ("path", raw.path.at(), !is_file, ONLY_FILE),
        ("on_bad_record", raw.on_bad_record.at(), !is_file, ONLY_FILE),
        ("subdomain", raw.subdomain.at(), !is_zendesk, ONLY_ZENDESK),
        ("base_url", raw.base_url.at(), !is_zendesk, ONLY_ZENDESK),
        ("auth", raw.auth.at(), !is_zendesk, ONLY_ZENDESK),
        ("ca_file", raw.ca_file.at(), !is_zendesk, ONLY_ZENDESK),
        (
            "mode",
            raw.mode.at(),
            is_file,
            "does not apply to source = \"file\" (it reads the whole file)",
        ),
        (
            "views",
            raw.views.at(),
            incremental || search || is_file,
            "only applies to mode = \"view\" (the incremental export covers the whole account, a search its query)",
        ),
        (
            "query",
            raw.query.at(),
            !search || is_file,
            "only applies to mode = \"search\"",
        ),
        ("since", raw.since.at(), !incremental, ONLY_INCREMENTAL),
        (
            "high_volume",
            raw.high_volume.at(),
            !incremental,
            ONLY_INCREMENTAL,
        ),
    ];
    for (key, at, wrong, why) in misplaced {
        if let (Some(at), true) = (at, wrong) {
            return Err(t.err(key, &at, why));
        }
    }
    if kind != SourceKind::Sandbox {
        if let Some(sandbox) = &raw.sandbox {
            let table = t.ctx.table("fetch.sandbox", sandbox.at());
            return Err(table.table_err("only applies to source = \"sandbox\""));
        }
    }
    Ok(())
}

/// `source = "zendesk"`: the account's URL and how to authenticate.
fn zendesk(t: &Table, raw: &RawFetch, env: &Env) -> Result<ZendeskTarget, ConfigError> {
    const NO_ACCOUNT: &str = "source = \"zendesk\" needs subdomain = \"acme\" (or ZENDESK_SUBDOMAIN) or base_url = \"https://...\"";
    let base_url = match (&raw.base_url, &raw.subdomain, &env.zendesk_subdomain) {
        (Some(url), Some(_), _) => {
            return Err(t.err(
                "base_url",
                url,
                "set either subdomain or base_url, not both",
            ))
        }
        (Some(url), None, _) => {
            check_base_url(url.get_ref()).map_err(|m| t.err("base_url", url, m))?
        }
        (None, Some(sub), _) => {
            subdomain_url(sub.get_ref()).map_err(|m| t.err("subdomain", sub, m))?
        }
        (None, None, Some(sub)) => subdomain_url(sub)
            .map_err(|m| t.header_err("subdomain", format!("{m} (from ZENDESK_SUBDOMAIN)")))?,
        (None, None, None) => return Err(t.table_err(NO_ACCOUNT)),
    };
    Ok(ZendeskTarget {
        base_url,
        auth: value(&raw.auth).unwrap_or_default(),
    })
}

/// `ca_file` (of `[fetch]` or `[analyze]`): a path relative to the pipeline file. It
/// is read when the client is built, where a missing or broken file is an error
/// naming the key.
pub(super) fn ca_file(
    t: &Table,
    raw: &Option<Spanned<String>>,
) -> Result<Option<std::path::PathBuf>, ConfigError> {
    match raw {
        Some(p) if p.get_ref().trim().is_empty() => Err(t.err(
            "ca_file",
            p,
            "must not be empty (a PEM file of CA certificates, e.g. \"corp-ca.pem\")",
        )),
        Some(p) => Ok(Some(t.ctx.path(p.get_ref().trim()))),
        None => Ok(None),
    }
}

/// `https://acme.zendesk.com` for `acme`.
fn subdomain_url(sub: &str) -> Result<String, String> {
    let sub = sub.trim();
    if sub.is_empty() || !sub.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(format!(
            "{sub:?} is not a subdomain (the \"acme\" of acme.zendesk.com)"
        ));
    }
    Ok(format!("https://{sub}.zendesk.com"))
}

/// A binary built with `--no-default-features` has no simulated Zendesk: say so at
/// the `source` key, before anything (the cache, say) is touched.
fn sandbox_built_in(t: &Table, raw: &RawFetch) -> Result<(), ConfigError> {
    match &raw.source {
        Some(source) if !cfg!(feature = "sandbox") => {
            Err(t.err("source", source, crate::sandbox::NOT_BUILT_IN))
        }
        _ => Ok(()),
    }
}

/// `source = "sandbox"`: the simulated account's knobs, read as the sandbox's own
/// settings type and checked by it.
fn sandbox(
    ctx: &Ctx,
    raw: Option<&Spanned<SandboxSettings>>,
) -> Result<SandboxSettings, ConfigError> {
    let Some(sb) = raw else {
        return Ok(SandboxSettings::default());
    };
    let table = ctx.table("fetch.sandbox", sb.at());
    sb.get_ref()
        .check()
        .map_err(|e| table.header_err(e.key, e.problem))?;
    Ok(sb.get_ref().clone())
}

/// `source = "file"`: the export and what a bad line does.
fn file(t: &Table, raw: &RawFetch) -> Result<Source, ConfigError> {
    let path = raw
        .path
        .as_ref()
        .ok_or_else(|| t.table_err("source = \"file\" needs path = \"export.ndjson\""))?;
    Ok(Source::File {
        path: t.ctx.path(path.get_ref()),
        on_bad_record: value(&raw.on_bad_record).unwrap_or_default(),
    })
}

/// `mode` of the Zendesk and sandbox sources: views in order, the incremental export,
/// or a search export query.
fn mode(t: &Table, raw: &RawFetch) -> Result<Mode, ConfigError> {
    match value(&raw.mode).unwrap_or_default() {
        ModeKind::Incremental => {
            let since = match &raw.since {
                None => Since::Ago(Duration::from_secs(7 * 86_400)),
                Some(v) => parse_since(v.get_ref()).map_err(|m| t.err("since", v, m))?,
            };
            Ok(Mode::Incremental { since })
        }
        ModeKind::View => {
            let views = value(&raw.views).unwrap_or_default();
            if views.is_empty() {
                const NO_VIEWS: &str = "mode = \"view\" needs at least one view id, e.g. views = [123] (list them with `zdpipe views`)";
                return Err(t.err("views", &raw.views, NO_VIEWS));
            }
            if views.contains(&0) {
                return Err(t.err("views", &raw.views, "view ids start at 1"));
            }
            Ok(Mode::Views(views))
        }
        ModeKind::Search => search_query(t, raw),
    }
}

/// `query` of `mode = "search"`: the search export is asked for tickets only, so the
/// query must not ask for another type.
fn search_query(t: &Table, raw: &RawFetch) -> Result<Mode, ConfigError> {
    const NO_QUERY: &str =
        "mode = \"search\" needs a query, e.g. query = \"type:ticket created>2024-01-01 tags:vip\"";
    let Some(q) = &raw.query else {
        return Err(t.err("mode", &raw.mode, NO_QUERY));
    };
    let query = q.get_ref().trim();
    if query.is_empty() {
        return Err(t.err("query", q, NO_QUERY));
    }
    let other_type = query
        .split_whitespace()
        .filter_map(|term| term.strip_prefix("type:"))
        .find(|ty| !ty.eq_ignore_ascii_case("ticket"));
    if let Some(ty) = other_type {
        return Err(t.err(
            "query",
            q,
            format!("asks for type:{ty}; a search backfill reads tickets only (type:ticket, or leave the type out)"),
        ));
    }
    Ok(Mode::Search {
        query: query.to_string(),
    })
}

/// `since`: a duration before now (`7d`) or an RFC 3339 instant.
pub fn parse_since(v: &str) -> Result<Since, String> {
    if let Ok(d) = humantime::parse_duration(v.trim()) {
        return Ok(Since::Ago(d));
    }
    humantime::parse_rfc3339_weak(v.trim())
        .map(|t| Since::At(t.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)))
        .map_err(|_| format!("{v:?} is neither a duration (\"7d\") nor an RFC 3339 date (\"2026-01-31T00:00:00Z\")"))
}

/// `rate_limit_per_minute`: `"auto"` (the default) follows the account's
/// `X-Rate-Limit` from the lowest plan's 200 up or down; a number is a fixed cap.
fn rate_limit(t: &Table, raw: &RawFetch) -> Result<RateLimit, ConfigError> {
    const VALID: &str = "must be \"auto\" (follow the account's X-Rate-Limit) or a number of requests a minute of at least 1 (plans: 200 Team, 400 Growth/Professional, 700 Enterprise, 2500 High Volume)";
    let Some(v) = &raw.rate_limit_per_minute else {
        return Ok(RateLimit::Auto);
    };
    match v.get_ref() {
        toml::Value::String(s) if s == "auto" => Ok(RateLimit::Auto),
        toml::Value::Integer(n) => match u32::try_from(*n) {
            Ok(n) if n >= 1 => Ok(RateLimit::Fixed(n)),
            _ => Err(t.err("rate_limit_per_minute", v, VALID)),
        },
        _ => Err(t.err("rate_limit_per_minute", v, VALID)),
    }
}

/// `api_share`: the part of the account's limit this client keeps to.
fn api_share(t: &Table, raw: &RawFetch) -> Result<f64, ConfigError> {
    match &raw.api_share {
        None => Ok(1.0),
        Some(v) if *v.get_ref() > 0.0 && *v.get_ref() <= 1.0 => Ok(*v.get_ref()),
        Some(v) => Err(t.err(
            "api_share",
            v,
            format!(
                "{} is not a share: must be more than 0 and at most 1 (0.5 leaves half of the account's limit to other integrations)",
                v.get_ref()
            ),
        )),
    }
}

fn rate_window(t: &Table, raw: &RawFetch) -> Result<Duration, ConfigError> {
    match t.duration("rate_window", &raw.rate_window, Duration::from_secs(60))? {
        w if w.is_zero() => Err(t.err(
            "rate_window",
            &raw.rate_window,
            "must be more than 0s (Zendesk counts per minute: \"60s\")",
        )),
        w => Ok(w),
    }
}
