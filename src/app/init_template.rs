//! The pipeline file `zdpipe init` writes, built from the answers it collected.
//!
//! Every key the file sets comes with a comment above it saying what it does and what
//! else it could be, so the file doubles as a first read of pipelines/README.md.

use crate::cli::InitAuth;

/// Which account the pipeline talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Account {
    /// "acme" for https://acme.zendesk.com.
    Subdomain(String),
    /// A custom host or a proxy, already checked by `config::check_base_url`.
    BaseUrl(String),
}

/// What a run fetches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetching {
    /// The incremental export from the last checkpoint (first run: the last 7 days).
    Nightly,
    /// Every ticket of these views.
    Backfill(Vec<u64>),
}

/// Everything the file depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitAnswers {
    pub account: Account,
    pub auth: InitAuth,
    pub fetching: Fetching,
}

impl InitAnswers {
    /// The pipeline's `name`: also its cache folder and output file names.
    pub fn name(&self) -> &'static str {
        match self.fetching {
            Fetching::Nightly => "nightly",
            Fetching::Backfill(_) => "backfill",
        }
    }

    /// The environment variables the chosen auth reads.
    pub fn credential_vars(&self) -> &'static [&'static str] {
        match self.auth {
            InitAuth::ApiToken => &["ZENDESK_EMAIL", "ZENDESK_API_TOKEN"],
            InitAuth::Oauth => &["ZENDESK_OAUTH_TOKEN"],
        }
    }

    fn account_url(&self) -> String {
        match &self.account {
            Account::Subdomain(s) => format!("https://{s}.zendesk.com"),
            Account::BaseUrl(u) => u.clone(),
        }
    }
}

/// A TOML file under construction: comment lines, then `key = value` lines.
struct Doc(String);

impl Doc {
    fn comment(&mut self, text: &str) {
        for line in text.lines() {
            self.0.push_str(if line.is_empty() { "#" } else { "# " });
            self.0.push_str(line);
            self.0.push('\n');
        }
    }

    /// A key with the comment that explains it.
    fn key(&mut self, comment: &str, key: &str, value: &str) {
        self.comment(comment);
        self.0.push_str(&format!("{key} = {value}\n"));
    }

    fn section(&mut self, header: &str) {
        self.0.push_str(&format!("\n{header}\n"));
    }
}

/// A TOML string literal, escaped.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The file's text, given the file name it is written under (for the usage lines).
pub fn pipeline_text(answers: &InitAnswers, file_name: &str) -> String {
    let mut doc = Doc(String::new());
    header(&mut doc, answers, file_name);
    fetch_section(&mut doc, answers);
    cache_section(&mut doc, answers);
    analyze_and_write_sections(&mut doc, answers.name());
    doc.0
}

fn header(doc: &mut Doc, answers: &InitAnswers, file_name: &str) {
    let vars = answers.credential_vars().join(" and ");
    doc.comment(&format!(
        "Pipeline {:?} for {}, written by `zdpipe init`.\n\n  \
         zdpipe check {file_name}     validate it, then test the credentials and the account\n  \
         zdpipe run {file_name}       fetch, analyze, write\n\n\
         Secrets never go in this file: set {vars} in the environment.\n\
         Relative paths resolve against this file's folder. Every key, including the ones\n\
         left at their defaults here (rate limit, retries, TTLs, workers, LLM settings),\n\
         is described in zdpipe's pipelines/README.md.",
        answers.name(),
        answers.account_url()
    ));
    doc.0.push('\n');
    doc.key(
        "Names the run in summaries, the default cache path and the nightly checkpoint.",
        "name",
        &quoted(answers.name()),
    );
}

fn fetch_section(doc: &mut Doc, answers: &InitAnswers) {
    doc.section("[fetch]");
    doc.key(
        "Where tickets come from: \"zendesk\" (a real account). The alternatives are \"sandbox\"\n\
         (the built-in simulated Zendesk, no credentials) and \"file\" (a JSON export on disk).",
        "source",
        &quoted("zendesk"),
    );
    match &answers.account {
        Account::Subdomain(s) => doc.key(
            &format!(
                "The account, https://{s}.zendesk.com. Instead of subdomain, base_url =\n\
                 \"https://support.acme.com\" reaches a custom host or a proxy (one of the two)."
            ),
            "subdomain",
            &quoted(s),
        ),
        Account::BaseUrl(u) => doc.key(
            "Every request goes here (a custom host or a proxy). Instead of base_url,\n\
             subdomain = \"acme\" means https://acme.zendesk.com (one of the two).",
            "base_url",
            &quoted(u),
        ),
    }
    let auth = match answers.auth {
        InitAuth::ApiToken => "api_token",
        InitAuth::Oauth => "oauth",
    };
    doc.key(
        "How zdpipe signs in: \"api_token\" sends ZENDESK_EMAIL/token:ZENDESK_API_TOKEN (HTTP\n\
         Basic); \"oauth\" sends ZENDESK_OAUTH_TOKEN as a Bearer token.",
        "auth",
        &quoted(auth),
    );
    match &answers.fetching {
        Fetching::Nightly => nightly_keys(doc),
        Fetching::Backfill(views) => backfill_keys(doc, views),
    }
}

fn nightly_keys(doc: &mut Doc) {
    doc.key(
        "\"incremental\": every ticket changed since the last run, through the cursor export\n\
         (its cursor is the checkpoint; admins only). \"view\" fetches the tickets of views instead.",
        "mode",
        &quoted("incremental"),
    );
    doc.key(
        "First run only: how far back to start (\"30d\", or an RFC 3339 date). Later runs\n\
         continue from the checkpoint; `zdpipe run --since` overrides it once.",
        "since",
        &quoted("7d"),
    );
}

fn backfill_keys(doc: &mut Doc, views: &[u64]) {
    doc.key(
        "\"view\": every ticket of the views below, in order. \"incremental\" fetches what\n\
         changed since the last run instead (the nightly export).",
        "mode",
        &quoted("view"),
    );
    let ids: Vec<String> = views.iter().map(u64::to_string).collect();
    doc.key(
        "The view ids (`zdpipe views FILE` lists the account's views). A ticket in several\n\
         views is written once.",
        "views",
        &format!("[{}]", ids.join(", ")),
    );
}

fn cache_section(doc: &mut Doc, answers: &InitAnswers) {
    doc.section("[cache]");
    doc.key(
        "The sled cache of API responses and analyses (default \".zdpipe/<name>\"). One run\n\
         at a time holds its lock; a second one exits 75.",
        "path",
        &quoted(&format!(".zdpipe/{}", answers.name())),
    );
    if let Fetching::Backfill(_) = answers.fetching {
        doc.key(
            "How long each kind of response is served from the cache (defaults: views 15m,\n\
             tickets 5m, users 30m). Long TTLs make a resumed backfill cheap.",
            "ttl",
            "{ views = \"1h\", tickets = \"1h\", users = \"1h\" }",
        );
    }
}

fn analyze_and_write_sections(doc: &mut Doc, name: &str) {
    doc.section("[analyze]");
    doc.key(
        "\"builtin\" analyzes offline (sentiment, category, component). \"openai\" (any\n\
         OpenAI-compatible server) or \"anthropic\" send each ticket to a model instead.",
        "analyzer",
        &quoted("builtin"),
    );
    let outputs = [
        (
            "csv",
            "One row per ticket, written to <path>.partial and renamed when the run completes.",
            format!("out/{name}.csv"),
        ),
        (
            "sled",
            "The results store (latest analysis per ticket), read by `zdpipe report` and\n\
             `zdpipe results export`.",
            format!("out/{name}-results"),
        ),
    ];
    for (kind, what, path) in outputs {
        doc.section("[[write]]");
        doc.key(
            "An output: \"csv\" or \"sled\" (at most one of each).",
            "kind",
            &quoted(kind),
        );
        doc.key(what, "path", &quoted(&path));
    }
    doc.section("[report]");
    doc.key(
        "The HTML report written after each run; text, markdown and json take a path too.",
        "html",
        &quoted(&format!("out/{name}-report.html")),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(fetching: Fetching) -> InitAnswers {
        InitAnswers {
            account: Account::Subdomain("acme".into()),
            auth: InitAuth::ApiToken,
            fetching,
        }
    }

    #[test]
    fn every_key_line_follows_a_comment() {
        for fetching in [Fetching::Nightly, Fetching::Backfill(vec![1, 2])] {
            let text = pipeline_text(&answers(fetching), "p.toml");
            let lines: Vec<&str> = text.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                if line.contains(" = ") && !line.starts_with('#') {
                    assert!(lines[i - 1].starts_with('#'), "{line} has a comment");
                }
            }
            toml::from_str::<toml::Table>(&text).expect("valid TOML");
        }
    }

    #[test]
    fn nightly_is_the_incremental_export_and_backfill_the_views() {
        let nightly: toml::Table =
            toml::from_str(&pipeline_text(&answers(Fetching::Nightly), "p.toml")).unwrap();
        assert_eq!(nightly["fetch"]["mode"].as_str(), Some("incremental"));
        assert_eq!(nightly["fetch"]["since"].as_str(), Some("7d"));
        let backfill: toml::Table = toml::from_str(&pipeline_text(
            &answers(Fetching::Backfill(vec![7, 9])),
            "p.toml",
        ))
        .unwrap();
        assert_eq!(backfill["fetch"]["mode"].as_str(), Some("view"));
        assert_eq!(
            backfill["fetch"]["views"].as_array().unwrap().len(),
            2,
            "both views"
        );
    }

    #[test]
    fn a_base_url_is_written_as_an_escaped_string() {
        let mut a = answers(Fetching::Nightly);
        a.account = Account::BaseUrl("https://support.acme.com/\"x".into());
        let t: toml::Table = toml::from_str(&pipeline_text(&a, "p.toml")).unwrap();
        assert_eq!(
            t["fetch"]["base_url"].as_str(),
            Some("https://support.acme.com/\"x")
        );
    }
}
