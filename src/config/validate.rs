//! Turns a [`RawPipeline`] into a validated [`Pipeline`], or one precise error.
//!
//! Every error names the file and the line, then the key: `FILE:LINE: [section] key:
//! message`. TOML syntax and type errors carry the parser's span; the key is found by
//! walking the parsed document to the value at that span. Semantic errors
//! (`workers = 0`) use the span the raw types recorded for the value, or the header
//! of its table when the key is missing, so a mistake in the second `[[write]]` table
//! names that table's line. Stage by stage validation lives in `fetch.rs` and
//! `analyze.rs`; the cache, writers and reports are checked here.

use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::raw::{RawCache, RawPipeline, RawReport, RawWrite, WriteKind};
use super::{ConfigError, Env, Pipeline};
use crate::cache::{CacheSettings, Ttls};
use crate::fetch::{ColumnRequest, FieldRef, Source, StandardColumn};
use crate::report::{Format, ReportSettings};
use crate::write::{dated, WriteSettings};

/// Byte offsets of a value (or a table header) in the pipeline text.
pub(super) type Span = Range<usize>;

/// A key's value, or a key that may be absent: where an error about it points.
pub(super) trait At {
    fn at(&self) -> Option<Span>;
}

impl<T> At for Spanned<T> {
    fn at(&self) -> Option<Span> {
        Some(self.span())
    }
}

impl<T> At for Option<Spanned<T>> {
    fn at(&self) -> Option<Span> {
        self.as_ref().map(Spanned::span)
    }
}

impl At for Span {
    fn at(&self) -> Option<Span> {
        Some(self.clone())
    }
}

/// The value of an optional key, without its position.
pub(super) fn value<T: Clone>(key: &Option<Spanned<T>>) -> Option<T> {
    key.as_ref().map(|k| k.get_ref().clone())
}

/// Parses `90s`, `15m`, `2h`, `7d`, `1h30m` (humantime syntax).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim())
        .map_err(|_| format!("{s:?} is not a duration (use e.g. \"90s\", \"15m\", \"2h\", \"7d\")"))
}

/// The file being validated: its name and folder, and the text spans point into.
pub(super) struct Ctx<'a> {
    file: &'a Path,
    text: &'a str,
    dir: PathBuf,
}

impl<'a> Ctx<'a> {
    /// `file:line` of a span, or the file alone.
    fn location(&self, span: Option<Span>) -> String {
        match span {
            Some(s) => {
                let line = self.text[..s.start.min(self.text.len())]
                    .matches('\n')
                    .count()
                    + 1;
                format!("{}:{line}", self.file.display())
            }
            None => self.file.display().to_string(),
        }
    }

    /// A table of the file (`""` = the top level) whose header is at `header`.
    pub(super) fn table(&'a self, name: &'a str, header: Option<Span>) -> Table<'a> {
        Table {
            ctx: self,
            name,
            header,
        }
    }

    /// Resolves `p` against the pipeline's folder, folding `..` lexically so messages
    /// show `out/demo.csv`, not `pipelines/../out/demo.csv`.
    pub(super) fn path(&self, p: &str) -> PathBuf {
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
}

/// `name`, `[fetch]` or `[fetch] mode`: how messages name a key.
fn key_name(section: &str, key: &str) -> String {
    match (section, key) {
        ("", k) => k.to_string(),
        (s, "") => format!("[{s}]"),
        (s, k) => format!("[{s}] {k}"),
    }
}

/// One table of the file being validated: its name for messages, and its header's
/// position, where problems with keys it lacks are reported.
pub(super) struct Table<'a> {
    pub(super) ctx: &'a Ctx<'a>,
    name: &'a str,
    header: Option<Span>,
}

impl Table<'_> {
    /// `key` is wrong: the error points at its value, or at this table's header when
    /// the key is absent.
    pub(super) fn err(
        &self,
        key: &str,
        value: &impl At,
        message: impl Into<String>,
    ) -> ConfigError {
        self.error_at(value.at().or_else(|| self.header.clone()), key, message)
    }

    /// `key` is wrong but has no position of its own (a value from the environment,
    /// a key of a table read without spans): the error points at this table's header.
    pub(super) fn header_err(&self, key: &str, message: impl Into<String>) -> ConfigError {
        self.error_at(self.header.clone(), key, message)
    }

    fn error_at(&self, at: Option<Span>, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError {
            location: self.ctx.location(at),
            message: format!("{}: {}", key_name(self.name, key), message.into()),
        }
    }

    /// The table as a whole is wrong (a key it needs is missing, or it does not apply).
    pub(super) fn table_err(&self, message: impl Into<String>) -> ConfigError {
        self.header_err("", message)
    }

    /// A duration key, or `default` when it is absent.
    pub(super) fn duration(
        &self,
        key: &str,
        value: &Option<Spanned<String>>,
        default: Duration,
    ) -> Result<Duration, ConfigError> {
        match value {
            None => Ok(default),
            Some(v) => parse_duration(v.get_ref()).map_err(|m| self.err(key, v, m)),
        }
    }

    /// A duration key that must be more than zero.
    pub(super) fn positive_duration(
        &self,
        key: &str,
        value: &Option<Spanned<String>>,
        default: Duration,
    ) -> Result<Duration, ConfigError> {
        match self.duration(key, value, default)? {
            d if d.is_zero() => Err(self.err(key, value, "must be more than 0s")),
            d => Ok(d),
        }
    }
}

/// A TOML syntax or type error as one line naming the key.
fn toml_error(ctx: &Ctx, e: &toml::de::Error) -> ConfigError {
    let span = e.span();
    let keys = span
        .as_ref()
        .and_then(|s| {
            DeTable::parse(ctx.text)
                .ok()
                .and_then(|doc| keys_at(doc.get_ref(), s.start))
        })
        .unwrap_or_default();
    let message = readable(e.message());
    ConfigError {
        location: ctx.location(span),
        message: match keys.split_last() {
            None => message,
            Some((key, section)) => format!("{}: {message}", key_name(&section.join("."), key)),
        },
    }
}

/// The keys leading to the key or value at byte `at`, e.g. `["fetch", "mode"]`.
/// Array indexes are left out: `[[write]]` tables are all named `[write]`.
fn keys_at(table: &DeTable, at: usize) -> Option<Vec<String>> {
    table.iter().find_map(|(key, value)| {
        let deeper = match value.get_ref() {
            DeValue::Table(t) => keys_at(t, at),
            DeValue::Array(items) => items.iter().find_map(|item| match item.get_ref() {
                DeValue::Table(t) => keys_at(t, at),
                _ => None,
            }),
            _ => None,
        };
        let here = key.span().contains(&at) || value.span().contains(&at);
        match deeper {
            Some(mut keys) => {
                keys.insert(0, key.get_ref().to_string());
                Some(keys)
            }
            None if here => Some(vec![key.get_ref().to_string()]),
            None => None,
        }
    })
}

/// toml's and serde's message on one line, with names in quotes as the file has them:
/// `unknown variant "nightly", expected "view" or "incremental"`.
fn readable(message: &str) -> String {
    let line = message.trim().replace('\n', " ");
    // `invalid type: integer `3`` shows a value, not a name: drop its backticks.
    let line = if line.starts_with("invalid ") {
        line.replace('`', "")
    } else {
        line.replace('`', "\"")
    };
    // Type errors on a table name the Rust type (`expected struct RawFetch`).
    match line.split_once(", expected struct ") {
        Some((head, _)) => format!("{head}, expected a table"),
        None => line,
    }
}

pub(super) fn parse(file: &Path, text: &str, env: &Env) -> Result<Pipeline, ConfigError> {
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let ctx = Ctx { file, text, dir };
    let raw: RawPipeline = toml::from_str(text).map_err(|e| toml_error(&ctx, &e))?;
    let top = ctx.table("", None);
    let name = value(&raw.name).unwrap_or_else(|| {
        file.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "pipeline".into())
    });
    if name.trim().is_empty() {
        return Err(top.err("name", &raw.name, "must not be empty"));
    }
    let raw_fetch = raw.fetch.ok_or_else(|| {
        ctx.table("fetch", None).table_err(
            "missing section: add [fetch] with source = \"zendesk\", \"sandbox\" or \"file\"",
        )
    })?;
    let fetch = super::fetch::fetch(&ctx, raw_fetch, env)?;
    let cache = cache(&ctx, raw.cache, &name)?;
    let analyze = super::analyze::analyze(&ctx, raw.analyze)?;
    let raw_writes = raw.write.unwrap_or_default();
    let columns = columns(&ctx, &raw_writes, &fetch.source)?;
    let writes = writes(&ctx, raw_writes)?;
    let report = report(&ctx, raw.report, &writes)?;
    Ok(Pipeline {
        name,
        file: file.to_path_buf(),
        fetch,
        cache,
        analyze,
        writes,
        columns,
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

fn cache(
    ctx: &Ctx,
    raw: Option<Spanned<RawCache>>,
    name: &str,
) -> Result<CacheSettings, ConfigError> {
    let t = ctx.table("cache", raw.at());
    let raw = raw.map(Spanned::into_inner).unwrap_or_default();
    let path = match &raw.path {
        Some(p) if p.get_ref().trim().is_empty() => {
            return Err(t.err("path", p, "must not be empty"))
        }
        Some(p) => ctx.path(p.get_ref()),
        None => ctx.path(&format!(".zdpipe/{name}")),
    };
    let mut ttl = Ttls::default();
    if let Some(raw_ttl) = raw.ttl.map(Spanned::into_inner) {
        ttl.views = t.duration("ttl.views", &raw_ttl.views, ttl.views)?;
        ttl.tickets = t.duration("ttl.tickets", &raw_ttl.tickets, ttl.tickets)?;
        ttl.users = t.duration("ttl.users", &raw_ttl.users, ttl.users)?;
        // A view's listing lives as long as the view unless said otherwise.
        ttl.view_listings = t.duration("ttl.view_listings", &raw_ttl.view_listings, ttl.views)?;
    }
    // sled fills its page cache up to this as the cache grows, so it is most of a
    // large run's memory. sled counts far less than the memory its cached pages take
    // (a warm rerun of a 200,000-ticket view: 74 MB peak RSS at 4 MB, 320 MB at 16 MB,
    // where all of it fitted the count), so the default is small.
    let capacity_mb = value(&raw.capacity_mb).unwrap_or(4);
    if capacity_mb == 0 {
        return Err(t.err("capacity_mb", &raw.capacity_mb, "must be at least 1"));
    }
    Ok(CacheSettings {
        path,
        ttl,
        capacity_bytes: capacity_mb * 1024 * 1024,
    })
}

fn writes(ctx: &Ctx, raw: Vec<Spanned<RawWrite>>) -> Result<Vec<WriteSettings>, ConfigError> {
    if raw.is_empty() {
        return Err(ctx.table("write", None).table_err(
            "missing section: add at least one [[write]] with kind = \"csv\" or \"sled\" and a path",
        ));
    }
    let mut out = Vec::new();
    for w in raw {
        let t = ctx.table("write", w.at());
        let w = w.into_inner();
        let Some(kind) = value(&w.kind) else {
            return Err(t.err("kind", &w.kind, "missing: use kind = \"csv\" or \"sled\""));
        };
        let kind_name = match kind {
            WriteKind::Csv => "csv",
            WriteKind::Sled => "sled",
        };
        let path = match &w.path {
            Some(p) if !p.get_ref().trim().is_empty() => {
                dated::check_template(p.get_ref()).map_err(|m| t.err("path", &w.path, m))?;
                ctx.path(p.get_ref())
            }
            _ => {
                let message = format!("missing: kind = \"{kind_name}\" needs path = \"...\"");
                return Err(t.err("path", &w.path, message));
            }
        };
        let sink = match kind {
            WriteKind::Csv => WriteSettings::Csv { path },
            WriteKind::Sled => WriteSettings::Sled { path },
        };
        if out
            .iter()
            .any(|o: &WriteSettings| std::mem::discriminant(o) == std::mem::discriminant(&sink))
        {
            let message = format!("only one [[write]] of kind = \"{kind_name}\" is supported");
            return Err(t.err("kind", &w.kind, message));
        }
        out.push(sink);
    }
    Ok(out)
}

/// The extra columns of every `[[write]]` table, in table order: custom fields by
/// title or id, standard columns by name. They need an account to name things from,
/// so an export file cannot have them.
fn columns(
    ctx: &Ctx,
    raw: &[Spanned<RawWrite>],
    source: &Source,
) -> Result<ColumnRequest, ConfigError> {
    let mut request = ColumnRequest::default();
    for w in raw {
        let t = ctx.table("write", w.at());
        let w = w.get_ref();
        for f in w.fields.iter().flat_map(|f| f.get_ref()) {
            let field = match f.get_ref() {
                toml::Value::String(title) if !title.trim().is_empty() => {
                    FieldRef::Title(title.clone())
                }
                toml::Value::Integer(id) if *id > 0 => FieldRef::Id(*id as u64),
                _ => {
                    let message = "each entry is a field's title (a string) or id (a number), e.g. fields = [\"Product\", 360001234567]";
                    return Err(t.err("fields", f, message));
                }
            };
            request.fields.push(field);
        }
        for c in w.columns.iter().flat_map(|c| c.get_ref()) {
            let Some(column) = StandardColumn::parse(c.get_ref()) else {
                let message = format!(
                    "unknown column \"{}\" (valid: {})",
                    c.get_ref(),
                    StandardColumn::valid_names()
                );
                return Err(t.err("columns", c, message));
            };
            if request.standard.contains(&column) {
                return Err(t.err(
                    "columns",
                    c,
                    format!("\"{}\" is asked for twice", c.get_ref()),
                ));
            }
            request.standard.push(column);
        }
        if matches!(source, Source::File { .. }) && (w.fields.is_some() || w.columns.is_some()) {
            let message = "source = \"file\" has no account to name fields and groups from: fields and columns need source = \"zendesk\" or \"sandbox\"";
            return Err(t.table_err(message));
        }
    }
    Ok(request)
}

fn report(
    ctx: &Ctx,
    raw: Option<Spanned<RawReport>>,
    writes: &[WriteSettings],
) -> Result<ReportSettings, ConfigError> {
    let Some(raw) = raw else {
        return Ok(ReportSettings::default());
    };
    let t = ctx.table("report", raw.at());
    let r = raw.into_inner();
    let mut outputs = Vec::new();
    for (key, format, raw_path) in [
        ("text", Format::Text, r.text),
        ("markdown", Format::Markdown, r.markdown),
        ("html", Format::Html, r.html),
        ("json", Format::Json, r.json),
    ] {
        if let Some(p) = &raw_path {
            dated::check_template(p.get_ref()).map_err(|m| t.err(key, &raw_path, m))?;
            outputs.push((format, ctx.path(p.get_ref())));
        }
    }
    let has_store = writes
        .iter()
        .any(|w| matches!(w, WriteSettings::Sled { .. }));
    if !outputs.is_empty() && !has_store {
        return Err(t.table_err(
            "reports are made from the results store: add [[write]] kind = \"sled\" path = \"...\"",
        ));
    }
    let by = value(&r.by).unwrap_or_default();
    if let Some(blank) =
        r.by.as_ref()
            .filter(|_| by.iter().any(|d| d.trim().is_empty()))
    {
        return Err(t.err(
            "by",
            blank,
            "names a blank dimension (use column or field names, e.g. [\"channel\", \"group\"])",
        ));
    }
    Ok(ReportSettings {
        outputs,
        title: value(&r.title),
        by,
    })
}
