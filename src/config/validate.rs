//! Turns a [`RawPipeline`] into a validated [`Pipeline`], or one precise error.
//!
//! Errors point at the line of the offending key. TOML syntax and type errors carry a
//! span from the parser; for semantic errors (`workers = 0`) the key's line is found
//! by scanning the text for the key under its section header, which is exact for the
//! flat files pipelines are.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::raw::{RawCache, RawFetch, RawPipeline, RawReport, RawWrite};
use super::*;

/// Parses `90s`, `15m`, `2h`, `7d`, `1h30m` (humantime syntax).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim())
        .map_err(|_| format!("{s:?} is not a duration (use e.g. \"90s\", \"15m\", \"2h\", \"7d\")"))
}

pub(super) struct Ctx<'a> {
    file: &'a Path,
    text: &'a str,
    dir: PathBuf,
}

impl Ctx<'_> {
    /// The 1-based line of `key` inside `[section]` (`""` = top level), if found.
    fn line_of(&self, section: &str, key: &str) -> Option<usize> {
        let mut current = String::new();
        for (i, line) in self.text.lines().enumerate() {
            let t = line.trim();
            if let Some(h) = t.strip_prefix('[') {
                current = h.trim_matches(|c| c == '[' || c == ']').trim().to_string();
                if key.is_empty() && current == section {
                    return Some(i + 1);
                }
                continue;
            }
            if current == section && !key.is_empty() {
                if let Some((k, _)) = t.split_once('=') {
                    if k.trim() == key {
                        return Some(i + 1);
                    }
                }
            }
        }
        None
    }

    pub(super) fn err(&self, section: &str, key: &str, message: impl Into<String>) -> ConfigError {
        let location = match self.line_of(section, key) {
            Some(line) => format!("{}:{line}", self.file.display()),
            None => self.file.display().to_string(),
        };
        let name = match (section, key) {
            ("", k) => k.to_string(),
            (s, "") => format!("[{s}]"),
            (s, k) => format!("[{s}] {k}"),
        };
        ConfigError {
            location,
            message: format!("{name}: {}", message.into()),
        }
    }

    /// Resolves `p` against the pipeline's folder, folding `..` lexically so messages
    /// show `out/demo.csv`, not `pipelines/../out/demo.csv`.
    pub(super) fn path(&self, p: &str) -> PathBuf {
        use std::path::Component;
        let joined = if Path::new(p).is_absolute() {
            PathBuf::from(p)
        } else {
            self.dir.join(p)
        };
        let mut out = PathBuf::new();
        for c in joined.components() {
            match c {
                Component::CurDir => {}
                Component::ParentDir
                    if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
                {
                    out.pop();
                }
                other => out.push(other),
            }
        }
        if out.as_os_str().is_empty() {
            out.push(".");
        }
        out
    }

    pub(super) fn duration(
        &self,
        section: &str,
        key: &str,
        v: Option<&String>,
        default: Duration,
    ) -> Result<Duration, ConfigError> {
        match v {
            None => Ok(default),
            Some(s) => parse_duration(s).map_err(|m| self.err(section, key, m)),
        }
    }

    pub(super) fn one_of<'v>(
        &self,
        section: &str,
        key: &str,
        v: &'v str,
        valid: &[&str],
    ) -> Result<&'v str, ConfigError> {
        if valid.contains(&v) {
            Ok(v)
        } else {
            let list = valid
                .iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(", ");
            Err(self.err(
                section,
                key,
                format!("{v:?} is not valid (use one of {list})"),
            ))
        }
    }
}

/// The section header in force at 1-based `line`, for syntax errors.
fn section_at(text: &str, line: usize) -> Option<String> {
    text.lines()
        .take(line)
        .filter_map(|l| l.trim().strip_prefix('['))
        .last()
        .map(|h| h.trim_matches(|c| c == '[' || c == ']').trim().to_string())
}

pub(super) fn parse(file: &Path, text: &str, env: &Env) -> Result<Pipeline, ConfigError> {
    let raw: RawPipeline = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        let mut message = e.message().trim().replace('\n', " ");
        // Type errors name no key: take it from the offending line.
        let key = line
            .and_then(|l| text.lines().nth(l - 1))
            .and_then(|l| l.split_once('='))
            .map(|(k, _)| k.trim().to_string())
            .filter(|k| !k.is_empty() && !message.contains(&format!("`{k}`")));
        if let Some(k) = key {
            message = format!("{k}: {message}");
        }
        if let Some(section) = line.and_then(|l| section_at(text, l)) {
            message = format!("in [{section}]: {message}");
        }
        ConfigError {
            location: match line {
                Some(l) => format!("{}:{l}", file.display()),
                None => file.display().to_string(),
            },
            message,
        }
    })?;
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let ctx = Ctx { file, text, dir };
    let name = raw.name.clone().unwrap_or_else(|| {
        file.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "pipeline".into())
    });
    if name.trim().is_empty() {
        return Err(ctx.err("", "name", "must not be empty"));
    }
    let raw_fetch = raw.fetch.ok_or_else(|| {
        ctx.err(
            "fetch",
            "",
            "missing section: add [fetch] with source = \"zendesk\", \"sandbox\" or \"file\"",
        )
    })?;
    let fetch = fetch(&ctx, raw_fetch, env)?;
    let cache = cache(&ctx, raw.cache, &name)?;
    let analyze = super::analyze::analyze(&ctx, raw.analyze)?;
    let writes = writes(&ctx, raw.write)?;
    let report = report(&ctx, raw.report);
    if !report.outputs.is_empty()
        && !writes
            .iter()
            .any(|w| matches!(w, WriteSettings::Sled { .. }))
    {
        return Err(ctx.err(
            "report",
            "",
            "reports are made from the results store: add [[write]] kind = \"sled\" path = \"...\"",
        ));
    }
    Ok(Pipeline {
        name,
        file: file.to_path_buf(),
        fetch,
        cache,
        analyze,
        writes,
        report,
    })
}

fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host == "::1"
        || host.split('.').next() == Some("127") && host.parse::<std::net::Ipv4Addr>().is_ok()
}

/// Checks a base URL: https anywhere, plain http only for loopback hosts.
pub fn check_base_url(url: &str) -> Result<String, String> {
    let url = url.trim().trim_end_matches('/');
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("{url:?} is not a URL (use e.g. \"https://support.acme.com\")"))?;
    let authority = rest.split('/').next().unwrap_or("");
    let host = match authority.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) && !h.ends_with(':') => h,
        _ => authority,
    };
    if host.is_empty() {
        return Err(format!("{url:?} has no host"));
    }
    if authority.contains('@') {
        return Err(
            "a user or password in the URL is not allowed (it would show in messages and links); credentials come from the environment".into(),
        );
    }
    match scheme {
        "https" => Ok(url.to_string()),
        "http" if is_loopback_host(host) => Ok(url.to_string()),
        "http" => Err(format!(
            "plain http is only allowed for loopback hosts (127.0.0.1, localhost, [::1]); use https://{authority}"
        )),
        other => Err(format!("scheme {other:?} is not supported (use https, or http for loopback hosts)")),
    }
}

fn fetch(ctx: &Ctx, raw: RawFetch, env: &Env) -> Result<FetchSettings, ConfigError> {
    let s = "fetch";
    let source_name = raw.source.as_deref().unwrap_or("zendesk");
    let source_name = ctx.one_of(s, "source", source_name, &["zendesk", "sandbox", "file"])?;
    let source = match source_name {
        "zendesk" => {
            let base_url = match (&raw.base_url, &raw.subdomain, &env.zendesk_subdomain) {
                (Some(_), Some(_), _) => {
                    return Err(ctx.err(s, "base_url", "set either subdomain or base_url, not both"))
                }
                (Some(u), None, _) => check_base_url(u).map_err(|m| ctx.err(s, "base_url", m))?,
                (None, Some(sub), _) | (None, None, Some(sub)) => {
                    let sub = sub.trim();
                    if sub.is_empty() || !sub.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                        return Err(ctx.err(s, "subdomain", format!("{sub:?} is not a subdomain (the \"acme\" of acme.zendesk.com)")));
                    }
                    format!("https://{sub}.zendesk.com")
                }
                (None, None, None) => {
                    return Err(ctx.err(s, "", "source = \"zendesk\" needs subdomain = \"acme\" (or ZENDESK_SUBDOMAIN) or base_url = \"https://...\""))
                }
            };
            let auth = match ctx.one_of(
                s,
                "auth",
                raw.auth.as_deref().unwrap_or("api_token"),
                &["api_token", "oauth"],
            )? {
                "oauth" => AuthKind::OAuth,
                _ => AuthKind::ApiToken,
            };
            Source::Zendesk(ZendeskTarget { base_url, auth })
        }
        "sandbox" => {
            let settings = raw.sandbox.clone().unwrap_or_default();
            settings
                .check()
                .map_err(|e| ctx.err("fetch.sandbox", e.key, e.problem))?;
            Source::Sandbox(settings)
        }
        _ => {
            let path = raw.path.as_deref().ok_or_else(|| {
                ctx.err(s, "", "source = \"file\" needs path = \"export.ndjson\"")
            })?;
            let on_bad_record = match ctx.one_of(
                s,
                "on_bad_record",
                raw.on_bad_record.as_deref().unwrap_or("fail"),
                &["skip", "fail"],
            )? {
                "skip" => OnBadRecord::Skip,
                _ => OnBadRecord::Fail,
            };
            Source::File {
                path: ctx.path(path),
                on_bad_record,
            }
        }
    };
    // Keys that do not apply are errors, not silently ignored settings.
    let is_file = matches!(source, Source::File { .. });
    let is_zendesk = matches!(source, Source::Zendesk(_));
    let incremental = raw.mode.as_deref() == Some("incremental");
    let misplaced = [
        (
            "path",
            raw.path.is_some() && !is_file,
            "only applies to source = \"file\"",
        ),
        (
            "on_bad_record",
            raw.on_bad_record.is_some() && !is_file,
            "only applies to source = \"file\"",
        ),
        (
            "subdomain",
            raw.subdomain.is_some() && !is_zendesk,
            "only applies to source = \"zendesk\"",
        ),
        (
            "base_url",
            raw.base_url.is_some() && !is_zendesk,
            "only applies to source = \"zendesk\"",
        ),
        (
            "auth",
            raw.auth.is_some() && !is_zendesk,
            "only applies to source = \"zendesk\"",
        ),
        (
            "mode",
            raw.mode.is_some() && is_file,
            "does not apply to source = \"file\" (it reads the whole file)",
        ),
        (
            "views",
            raw.views.is_some() && (incremental || is_file),
            "only applies to mode = \"view\" (the incremental export covers the whole account)",
        ),
        (
            "since",
            raw.since.is_some() && !incremental,
            "only applies to mode = \"incremental\"",
        ),
        (
            "high_volume",
            raw.high_volume.is_some() && !incremental,
            "only applies to mode = \"incremental\"",
        ),
    ];
    for (key, wrong, why) in misplaced {
        if wrong {
            return Err(ctx.err(s, key, why));
        }
    }
    if raw.sandbox.is_some() && !matches!(source, Source::Sandbox(_)) {
        return Err(ctx.err("fetch.sandbox", "", "only applies to source = \"sandbox\""));
    }
    let mode = if matches!(source, Source::File { .. }) {
        Mode::File
    } else {
        match ctx.one_of(
            s,
            "mode",
            raw.mode.as_deref().unwrap_or("view"),
            &["view", "incremental"],
        )? {
            "incremental" => {
                let since = match raw.since.as_deref() {
                    None => Since::Ago(Duration::from_secs(7 * 86_400)),
                    Some(v) => parse_since(v).map_err(|m| ctx.err(s, "since", m))?,
                };
                Mode::Incremental { since }
            }
            _ => {
                let views = raw.views.clone().unwrap_or_default();
                if views.is_empty() {
                    return Err(ctx.err(s, "views", "mode = \"view\" needs at least one view id, e.g. views = [123] (list them with `zdpipe views`)"));
                }
                if views.contains(&0) {
                    return Err(ctx.err(s, "views", "view ids start at 1"));
                }
                Mode::Views(views)
            }
        }
    };
    // Zendesk's lowest paid plan allows 200 a minute; the sandbox has no limit unless
    // its own `[fetch.sandbox] rate_limit_per_minute` simulates one.
    let default_rate = if matches!(source, Source::Sandbox(_)) {
        1_000_000
    } else {
        200
    };
    let rate = raw.rate_limit_per_minute.unwrap_or(default_rate);
    if rate == 0 {
        return Err(ctx.err(s, "rate_limit_per_minute", "must be at least 1 (your plan's limit: 200 Team, 400 Growth/Professional, 700 Enterprise, 2500 High Volume)"));
    }
    let timeout = ctx.duration(s, "timeout", raw.timeout.as_ref(), Duration::from_secs(30))?;
    if timeout.is_zero() {
        return Err(ctx.err(s, "timeout", "must be more than 0s"));
    }
    Ok(FetchSettings {
        source,
        mode,
        rate_limit_per_minute: rate,
        rate_window: {
            let w = ctx.duration(
                s,
                "rate_window",
                raw.rate_window.as_ref(),
                Duration::from_secs(60),
            )?;
            if w.is_zero() {
                return Err(ctx.err(
                    s,
                    "rate_window",
                    "must be more than 0s (Zendesk counts per minute: \"60s\")",
                ));
            }
            w
        },
        high_volume: raw.high_volume.unwrap_or(false),
        max_retries: raw.max_retries.unwrap_or(5),
        retry_after_default: ctx.duration(
            s,
            "retry_after_default",
            raw.retry_after_default.as_ref(),
            Duration::from_secs(60),
        )?,
        timeout,
        connect_timeout: {
            let t = ctx.duration(
                s,
                "connect_timeout",
                raw.connect_timeout.as_ref(),
                Duration::from_secs(10),
            )?;
            if t.is_zero() {
                return Err(ctx.err(s, "connect_timeout", "must be more than 0s"));
            }
            t
        },
        include_comments: raw.include_comments.unwrap_or(false),
        exclude_deleted: raw.exclude_deleted.unwrap_or(false),
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

fn cache(ctx: &Ctx, raw: Option<RawCache>, name: &str) -> Result<CacheSettings, ConfigError> {
    let s = "cache";
    let raw = raw.unwrap_or(RawCache {
        path: None,
        ttl: None,
        capacity_mb: None,
    });
    let path = match raw.path.as_deref() {
        Some(p) if p.trim().is_empty() => return Err(ctx.err(s, "path", "must not be empty")),
        Some(p) => ctx.path(p),
        None => ctx.path(&format!(".zdpipe/{name}")),
    };
    let mut ttl = Ttls::default();
    let mut listings_set = false;
    if let Some(t) = raw.ttl {
        ttl.views = ctx.duration(s, "ttl", t.views.as_ref(), ttl.views)?;
        ttl.tickets = ctx.duration(s, "ttl", t.tickets.as_ref(), ttl.tickets)?;
        ttl.users = ctx.duration(s, "ttl", t.users.as_ref(), ttl.users)?;
        if let Some(l) = t.view_listings.as_ref() {
            ttl.view_listings = ctx.duration(s, "ttl", Some(l), ttl.view_listings)?;
            listings_set = true;
        }
    }
    if !listings_set {
        ttl.view_listings = ttl.views;
    }
    let capacity_mb = raw.capacity_mb.unwrap_or(64);
    if capacity_mb == 0 {
        return Err(ctx.err(s, "capacity_mb", "must be at least 1"));
    }
    Ok(CacheSettings {
        path,
        ttl,
        capacity_bytes: capacity_mb * 1024 * 1024,
    })
}

fn writes(ctx: &Ctx, raw: Option<Vec<RawWrite>>) -> Result<Vec<WriteSettings>, ConfigError> {
    let raw = raw.unwrap_or_default();
    if raw.is_empty() {
        return Err(ctx.err("write", "", "missing section: add at least one [[write]] with kind = \"csv\" or \"sled\" and a path"));
    }
    let mut out = Vec::new();
    for w in raw {
        let kind = w
            .kind
            .as_deref()
            .ok_or_else(|| ctx.err("write", "kind", "missing: use kind = \"csv\" or \"sled\""))?;
        let kind = ctx.one_of("write", "kind", kind, &["csv", "sled"])?;
        let path = match w.path.as_deref() {
            Some(p) if !p.trim().is_empty() => ctx.path(p),
            _ => {
                return Err(ctx.err(
                    "write",
                    "path",
                    format!("missing: kind = \"{kind}\" needs path = \"...\""),
                ))
            }
        };
        let sink = if kind == "csv" {
            WriteSettings::Csv { path }
        } else {
            WriteSettings::Sled { path }
        };
        if out
            .iter()
            .any(|o: &WriteSettings| std::mem::discriminant(o) == std::mem::discriminant(&sink))
        {
            return Err(ctx.err(
                "write",
                "kind",
                format!("only one [[write]] of kind = \"{kind}\" is supported"),
            ));
        }
        out.push(sink);
    }
    Ok(out)
}

fn report(ctx: &Ctx, raw: Option<RawReport>) -> ReportSettings {
    let Some(r) = raw else {
        return ReportSettings::default();
    };
    let outputs = [
        (ReportFormat::Text, r.text),
        (ReportFormat::Markdown, r.markdown),
        (ReportFormat::Html, r.html),
        (ReportFormat::Json, r.json),
    ]
    .into_iter()
    .filter_map(|(f, p)| p.map(|p| (f, ctx.path(&p))))
    .collect();
    ReportSettings {
        outputs,
        title: r.title,
    }
}
