//! Shell and docs through the binary: `zdpipe completions`, `zdpipe man` and
//! `zdpipe init` (its file validated by `zdpipe check`).

use std::path::Path;
use std::process::Command;

use clap::CommandFactory;

use crate::helpers::*;

fn has_program(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

#[test]
fn the_new_commands_show_an_example_in_their_help() {
    for cmd in ["init", "completions", "man"] {
        let out = zdpipe().args([cmd, "--help"]).output().unwrap();
        assert!(out.status.success());
        assert!(
            stdout(&out).contains("zdpipe "),
            "{cmd} help has an example"
        );
    }
}

#[test]
fn bash_completions_parse_and_register_zdpipe() {
    let ws = Workspace::new();
    let out = zdpipe().args(["completions", "bash"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let script = ws.file("zdpipe.bash", &stdout(&out));
    let syntax = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .unwrap();
    assert!(syntax.status.success(), "bash -n: {}", stderr(&syntax));
    let loaded = Command::new("bash")
        .arg("-c")
        .arg(r#"source "$1" && complete -p zdpipe"#)
        .arg("bash")
        .arg(&script)
        .output()
        .unwrap();
    assert!(loaded.status.success(), "{}", stderr(&loaded));
    assert!(stdout(&loaded).contains("zdpipe"), "{}", stdout(&loaded));
    // The subcommands are in it, the new ones included.
    for word in ["run", "check", "init", "completions"] {
        assert!(stdout(&out).contains(word), "completes {word}");
    }
}

#[test]
fn completions_exist_for_zsh_fish_and_powershell() {
    for (shell, marker) in [
        ("zsh", "#compdef zdpipe"),
        ("fish", "complete -c zdpipe"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = zdpipe().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        assert!(stdout(&out).contains(marker), "{shell} script");
    }
}

/// zdpipe.1, zdpipe-run.1, zdpipe-cache-stats.1, ...: one name per (sub)command.
fn page_names(cmd: &clap::Command, prefix: &str, names: &mut Vec<String>) {
    let name = match prefix {
        "" => cmd.get_name().to_string(),
        _ => format!("{prefix}-{}", cmd.get_name()),
    };
    for sub in cmd.get_subcommands() {
        page_names(sub, &name, names);
    }
    names.push(format!("{name}.1"));
}

#[test]
fn man_writes_a_page_per_command_and_man_renders_them() {
    let ws = Workspace::new();
    let dir = ws.path("man/man1");
    let out = zdpipe().args(["man", "--dir"]).arg(&dir).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let mut expected = Vec::new();
    page_names(&zdpipe::cli::Cli::command(), "", &mut expected);
    assert!(expected.len() > 15, "{expected:?}");
    for page in &expected {
        assert!(dir.join(page).is_file(), "{page} written");
    }
    let top = zdpipe().arg("man").output().unwrap();
    assert!(stdout(&top).contains(".TH zdpipe 1"), "roff on stdout");
    if !has_program("man") {
        println!("skipped rendering: `man` is not installed");
        return;
    }
    for page in ["zdpipe.1", "zdpipe-init.1"] {
        let rendered = Command::new("man")
            .arg("-l")
            .arg(dir.join(page))
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "100")
            .output()
            .unwrap();
        assert!(
            rendered.status.success(),
            "man -l {page}: {}",
            stderr(&rendered)
        );
        let text = stdout(&rendered);
        assert!(text.contains("SYNOPSIS"), "{page}: {text}");
        assert!(
            !stderr(&rendered).contains("warning"),
            "{}",
            stderr(&rendered)
        );
    }
    let top = Command::new("man")
        .arg("-l")
        .arg(dir.join("zdpipe.1"))
        .env("MANPAGER", "cat")
        .output()
        .unwrap();
    assert!(stdout(&top).contains("completions"), "subcommands listed");
}

fn init(ws: &Workspace, file: &str, flags: &[&str]) -> std::process::Output {
    zdpipe()
        .current_dir(ws.dir.path())
        .arg("init")
        .args(flags)
        .args(["--output", file])
        .output()
        .unwrap()
}

#[test]
fn init_writes_a_nightly_pipeline_that_check_validates_up_to_the_credentials() {
    let ws = Workspace::new();
    let out = init(
        &ws,
        "pipelines/acme.toml",
        &["--subdomain", "acme", "--mode", "nightly"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("set ZENDESK_EMAIL and ZENDESK_API_TOKEN"),
        "names the variables: {}",
        stdout(&out)
    );
    let file = ws.path("pipelines/acme.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("mode = \"incremental\"") && text.contains("since = \"7d\""));
    assert!(text.contains("subdomain = \"acme\""));

    let check = zdpipe().arg("check").arg(&file).output().unwrap();
    assert_eq!(check.status.code(), Some(2), "{}", stderr(&check));
    assert!(
        stdout(&check).contains("pipeline \"nightly\" is valid"),
        "the file itself passes: {}",
        stdout(&check)
    );
    assert!(
        stderr(&check).contains("needs ZENDESK_EMAIL and ZENDESK_API_TOKEN"),
        "fails on the credentials only: {}",
        stderr(&check)
    );
}

#[test]
fn init_refuses_to_overwrite_without_force() {
    let ws = Workspace::new();
    let existing = ws.file("zdpipe.toml", "# mine\n");
    let out = init(&ws, "zdpipe.toml", &["--subdomain", "acme"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("zdpipe.toml already exists"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "# mine\n");

    let forced = init(&ws, "zdpipe.toml", &["--subdomain", "acme", "--force"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert!(std::fs::read_to_string(&existing)
        .unwrap()
        .contains("[fetch]"));
}

#[test]
fn init_without_a_terminal_names_the_missing_flag_and_writes_nothing() {
    let ws = Workspace::new();
    let out = init(&ws, "p.toml", &["--mode", "nightly"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("missing --subdomain"),
        "{}",
        stderr(&out)
    );
    let out = init(
        &ws,
        "p.toml",
        &["--subdomain", "acme", "--mode", "backfill"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("missing --views"), "{}", stderr(&out));
    assert!(!Path::new(&ws.path("p.toml")).exists());
}

#[test]
fn init_with_credentials_runs_the_whole_check_against_the_account() {
    let sb = sandbox(50);
    let ws = Workspace::new();
    let out = zdpipe_auth()
        .current_dir(ws.dir.path())
        .args(["init", "--base-url", &sb.base_url(), "--views", "1"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("connected to"), "{text}");
    assert!(text.contains("view 1"), "{text}");
    assert!(text.trim_end().ends_with("ok"), "{text}");
    let file = std::fs::read_to_string(ws.path("zdpipe.toml")).unwrap();
    assert!(file.contains("mode = \"view\"") && file.contains("views = [1]"));
}
