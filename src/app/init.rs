//! `zdpipe init`: collect the account, auth and mode (from flags, or by asking when
//! stdin is a terminal), write a commented pipeline file, then validate it like
//! `zdpipe check` does. Missing credentials are reported, not fatal: the file is
//! what init makes, and the secrets go in the environment later.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use super::init_template::{pipeline_text, Account, Fetching, InitAnswers};
use super::{check, load, Exit, Result, UsageError};
use crate::cli::{InitArgs, InitAuth, InitMode};
use crate::config::{check_base_url, Env};

pub fn init(args: InitArgs) -> Result<Exit> {
    // Refuse before asking anything: answers typed for nothing are a poor welcome.
    refuse_to_overwrite(&args.output, args.force)?;
    let answers = if std::io::stdin().is_terminal() {
        let mut input = std::io::stdin().lock();
        let mut prompts = std::io::stderr();
        collect(&args, Some(&mut Prompter::new(&mut input, &mut prompts)))?
    } else {
        collect(&args, None)?
    };
    write_pipeline(&args, &answers)?;
    println!("wrote {}", args.output.display());
    validate(&args.output, &answers)
}

fn refuse_to_overwrite(path: &Path, force: bool) -> Result<()> {
    if !force && path.exists() {
        return Err(UsageError(format!(
            "{} already exists; pass --force to overwrite it",
            path.display()
        ))
        .into());
    }
    Ok(())
}

fn write_pipeline(args: &InitArgs, answers: &InitAnswers) -> Result<()> {
    let path = &args.output;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let text = pipeline_text(answers, &path.display().to_string());
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if args.force {
        options.create(true).truncate(true);
    } else {
        // create_new closes the gap between the check above and this write.
        options.create_new(true);
    }
    let mut file = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => super::Error::from(UsageError(format!(
            "{} already exists; pass --force to overwrite it",
            path.display()
        ))),
        _ => anyhow::Error::new(e)
            .context(format!("cannot write {}", path.display()))
            .into(),
    })?;
    file.write_all(text.as_bytes())?;
    Ok(())
}

/// Loads the file as every command does (a bad file is a config error, exit 2); with
/// credentials in the environment, goes on with the whole of `zdpipe check`.
fn validate(path: &Path, answers: &InitAnswers) -> Result<Exit> {
    let (pipeline, env) = load(path)?;
    let missing = missing_credentials(answers.auth, &env);
    if missing.is_empty() {
        return check::check(path);
    }
    println!("{}: pipeline {:?} is valid", path.display(), pipeline.name);
    println!(
        "credentials: set {} in the environment, then run `zdpipe check {}`",
        missing.join(" and "),
        path.display()
    );
    Ok(Exit::Ok)
}

fn missing_credentials(auth: InitAuth, env: &Env) -> Vec<&'static str> {
    let vars = match auth {
        InitAuth::ApiToken => vec![
            ("ZENDESK_EMAIL", env.zendesk_email.is_some()),
            ("ZENDESK_API_TOKEN", env.zendesk_api_token.is_some()),
        ],
        InitAuth::Oauth => vec![("ZENDESK_OAUTH_TOKEN", env.zendesk_oauth_token.is_some())],
    };
    vars.into_iter()
        .filter(|(_, set)| !set)
        .map(|(name, _)| name)
        .collect()
}

/// Turns the flags into answers, asking for what is missing when it can.
fn collect(args: &InitArgs, mut prompter: Option<&mut Prompter<'_>>) -> Result<InitAnswers> {
    let account = match (&args.subdomain, &args.base_url, prompter.as_deref_mut()) {
        (Some(s), _, _) => Account::Subdomain(parse_subdomain(s).map_err(UsageError)?),
        (None, Some(u), _) => Account::BaseUrl(check_base_url(u).map_err(UsageError)?),
        (None, None, Some(p)) => p.ask(
            "Zendesk subdomain (the \"acme\" of acme.zendesk.com) or the account's https:// URL",
            None,
            parse_account,
        )?,
        (None, None, None) => return Err(cannot_ask("--subdomain (or --base-url)")),
    };
    let auth = match (args.auth, prompter.as_deref_mut()) {
        (Some(auth), _) => auth,
        (None, Some(p)) => p.ask(
            "Sign in with (api_token, oauth)",
            Some("api_token"),
            parse_choice::<InitAuth>,
        )?,
        (None, None) => InitAuth::ApiToken,
    };
    let mode = match (args.mode, prompter.as_deref_mut()) {
        (Some(mode), _) => mode,
        (None, _) if !args.views.is_empty() => InitMode::Backfill,
        (None, Some(p)) => p.ask(
            "Mode: nightly (what changed since the last run) or backfill (every ticket of views)",
            Some("nightly"),
            parse_choice::<InitMode>,
        )?,
        (None, None) => InitMode::Nightly,
    };
    let fetching = match (mode, args.views.is_empty(), prompter) {
        (InitMode::Nightly, true, _) => Fetching::Nightly,
        (InitMode::Nightly, false, _) => {
            return Err(UsageError("--views only applies to --mode backfill".into()).into())
        }
        (InitMode::Backfill, false, _) => Fetching::Backfill(args.views.clone()),
        (InitMode::Backfill, true, Some(p)) => Fetching::Backfill(p.ask(
            "View ids, comma-separated (`zdpipe views FILE` lists them)",
            None,
            parse_views,
        )?),
        (InitMode::Backfill, true, None) => return Err(cannot_ask("--views")),
    };
    Ok(InitAnswers {
        account,
        auth,
        fetching,
    })
}

fn cannot_ask(flag: &str) -> super::Error {
    UsageError(format!(
        "missing {flag}: stdin is not a terminal, so zdpipe init cannot ask for it"
    ))
    .into()
}

fn parse_subdomain(s: &str) -> std::result::Result<String, String> {
    let s = s.trim();
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(format!(
            "{s:?} is not a subdomain (the \"acme\" of acme.zendesk.com; for another host use --base-url)"
        ));
    }
    Ok(s.to_string())
}

fn parse_account(s: &str) -> std::result::Result<Account, String> {
    if s.contains("://") {
        check_base_url(s).map(Account::BaseUrl)
    } else {
        parse_subdomain(s).map(Account::Subdomain)
    }
}

fn parse_choice<T: clap::ValueEnum>(s: &str) -> std::result::Result<T, String> {
    T::from_str(s.trim(), true).map_err(|_| {
        let names: Vec<String> = T::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value())
            .map(|v| v.get_name().to_string())
            .collect();
        format!("{s:?} is not one of {}", names.join(", "))
    })
}

fn parse_views(s: &str) -> std::result::Result<Vec<u64>, String> {
    let ids: std::result::Result<Vec<u64>, _> = s
        .split([',', ' '])
        .filter(|part| !part.is_empty())
        .map(str::parse::<u64>)
        .collect();
    match ids {
        Ok(ids) if !ids.is_empty() => Ok(ids),
        _ => Err(format!(
            "{s:?} is not a list of view ids like 360001,360002"
        )),
    }
}

/// Plain questions: the prompt on one stream, the answer read as a line from another.
pub struct Prompter<'a> {
    input: &'a mut dyn BufRead,
    output: &'a mut dyn Write,
}

impl<'a> Prompter<'a> {
    pub fn new(input: &'a mut dyn BufRead, output: &'a mut dyn Write) -> Self {
        Prompter { input, output }
    }

    /// Asks until `parse` accepts the answer; an empty answer takes `default`.
    fn ask<T>(
        &mut self,
        question: &str,
        default: Option<&str>,
        parse: impl Fn(&str) -> std::result::Result<T, String>,
    ) -> Result<T> {
        loop {
            match default {
                Some(d) => write!(self.output, "{question} [{d}]: ")?,
                None => write!(self.output, "{question}: ")?,
            }
            self.output.flush()?;
            let mut line = String::new();
            if self.input.read_line(&mut line)? == 0 {
                return Err(UsageError(format!("no answer to \"{question}\"")).into());
            }
            let answer = match (line.trim(), default) {
                ("", Some(d)) => d,
                (answer, _) => answer,
            };
            match parse(answer) {
                Ok(value) => return Ok(value),
                Err(reason) => writeln!(self.output, "  {reason}")?,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(flags: &[&str]) -> InitArgs {
        let argv = ["zdpipe", "init"].iter().chain(flags);
        match crate::cli::Cli::parse_from(argv).command {
            crate::cli::Command::Init(args) => args,
            other => panic!("parsed {other:?}"),
        }
    }

    fn ask(flags: &[&str], typed: &str) -> (Result<InitAnswers>, String) {
        let mut input = std::io::Cursor::new(typed.as_bytes().to_vec());
        let mut prompts = Vec::new();
        let answers = collect(
            &args(flags),
            Some(&mut Prompter::new(&mut input, &mut prompts)),
        );
        (answers, String::from_utf8(prompts).unwrap())
    }

    #[test]
    fn a_terminal_is_asked_only_for_what_the_flags_leave_out() {
        let (answers, prompts) = ask(&["--auth", "oauth"], "acme\n\n");
        let answers = answers.unwrap();
        assert_eq!(answers.account, Account::Subdomain("acme".into()));
        assert_eq!(answers.auth, InitAuth::Oauth);
        assert_eq!(
            answers.fetching,
            Fetching::Nightly,
            "Enter takes the default"
        );
        assert!(!prompts.contains("Sign in"), "auth was a flag: {prompts}");
        assert!(prompts.contains("Mode"), "{prompts}");
    }

    #[test]
    fn a_bad_answer_is_asked_again_with_the_reason() {
        let (answers, prompts) = ask(
            &[],
            "acme.zendesk.com\nhttp://support.acme.com\nhttps://support.acme.com\n\nbackfill\nx\n1, 2\n",
        );
        let answers = answers.unwrap();
        assert_eq!(
            answers.account,
            Account::BaseUrl("https://support.acme.com".into())
        );
        assert_eq!(answers.fetching, Fetching::Backfill(vec![1, 2]));
        assert!(prompts.contains("is not a subdomain"), "{prompts}");
        assert!(prompts.contains("plain http"), "{prompts}");
        assert!(prompts.contains("not a list of view ids"), "{prompts}");
    }

    #[test]
    fn end_of_input_is_a_usage_error() {
        let (answers, _) = ask(&[], "");
        let err = answers.unwrap_err();
        assert!(matches!(err, super::super::Error::Usage(_)), "{err}");
    }

    #[test]
    fn without_a_terminal_the_missing_flag_is_named() {
        let err = collect(&args(&[]), None).unwrap_err();
        assert!(format!("{err}").contains("--subdomain"), "{err}");
        let err = collect(&args(&["--subdomain", "acme", "--mode", "backfill"]), None).unwrap_err();
        assert!(format!("{err}").contains("--views"), "{err}");
        let views_imply_backfill = collect(&args(&["--subdomain", "a", "--views", "5,6"]), None);
        assert_eq!(
            views_imply_backfill.unwrap().fetching,
            Fetching::Backfill(vec![5, 6])
        );
    }

    #[test]
    fn only_unset_credentials_are_listed() {
        let env = Env {
            zendesk_email: Some("me@acme.com".into()),
            ..Env::default()
        };
        assert_eq!(
            missing_credentials(InitAuth::ApiToken, &env),
            ["ZENDESK_API_TOKEN"]
        );
        assert_eq!(
            missing_credentials(InitAuth::Oauth, &env),
            ["ZENDESK_OAUTH_TOKEN"]
        );
    }
}
