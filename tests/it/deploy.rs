//! The schedulers in deploy/: the systemd unit and timer, the crontab and the
//! Kubernetes CronJob. Each command line they run must parse as a zdpipe command,
//! the pipeline they share must load, and whatever it writes must be writable under
//! the unit's sandbox. `systemd-analyze verify` checks the units where it exists.

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Parser;
use serde::Deserialize;
use zdpipe::cli::{Cli, Command as ZdCommand};

fn deploy_file(rel: &str) -> (PathBuf, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
    (path, text)
}

/// Parses a scheduler's argv (program first) as zdpipe's command line; returns the
/// pipeline file of the `run` it must be.
fn run_pipeline_of(argv: &[String], origin: &str) -> PathBuf {
    assert!(
        argv[0].ends_with("/zdpipe"),
        "{origin} runs zdpipe: {argv:?}"
    );
    let cli = Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("{origin}: {e}"));
    match cli.command {
        ZdCommand::Run(args) => args.pipeline,
        other => panic!("{origin} runs `zdpipe run`, not {other:?}"),
    }
}

/// Every `key=value` of a unit file for `key`, in order.
fn unit_values(text: &str, key: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix(key)?.strip_prefix('='))
        .map(str::to_string)
        .collect()
}

/// The paths the deploy pipeline writes: the cache and every output.
fn pipeline_write_paths() -> Vec<String> {
    let (_, text) = deploy_file("nightly.toml");
    let table: toml::Table = toml::from_str(&text).unwrap();
    let mut paths = vec![table["cache"]["path"].as_str().unwrap().to_string()];
    for w in table["write"].as_array().unwrap() {
        paths.push(w["path"].as_str().unwrap().to_string());
    }
    for (_, v) in table["report"].as_table().unwrap() {
        paths.push(v.as_str().unwrap().to_string());
    }
    paths
}

#[test]
fn the_deploy_pipeline_loads_with_the_account_from_the_environment() {
    let (path, _) = deploy_file("nightly.toml");
    let env = zdpipe::config::Env {
        zendesk_subdomain: Some("acme".into()),
        ..Default::default()
    };
    let pipeline = zdpipe::config::Pipeline::load(&path, &env).expect("valid pipeline");
    assert_eq!(pipeline.name, "nightly");
    for p in pipeline_write_paths() {
        assert!(p.starts_with("/var/lib/zdpipe/"), "{p} is absolute");
    }
}

#[test]
fn the_systemd_unit_runs_a_valid_command_inside_its_writable_paths() {
    let (_, unit) = deploy_file("systemd/zdpipe-nightly.service");
    let exec = unit_values(&unit, "ExecStart");
    assert_eq!(exec.len(), 1, "one ExecStart");
    // "%%" is systemd's escape for a literal percent sign.
    let argv: Vec<String> = exec[0]
        .split_whitespace()
        .map(|a| a.replace("%%", "%"))
        .collect();
    let pipeline = run_pipeline_of(&argv, "ExecStart");
    assert_eq!(pipeline, Path::new("/etc/zdpipe/nightly.toml"));
    assert_eq!(unit_values(&unit, "Type"), ["oneshot"]);
    assert_eq!(unit_values(&unit, "SuccessExitStatus"), ["3"]);
    assert_eq!(unit_values(&unit, "ProtectSystem"), ["strict"]);
    let writable = unit_values(&unit, "ReadWritePaths").join(" ");
    let writable: Vec<&str> = writable.split_whitespace().collect();
    let summary = argv.iter().skip_while(|a| *a != "--summary-json").nth(1);
    for p in pipeline_write_paths().iter().chain(summary) {
        assert!(
            writable.iter().any(|w| p.starts_with(&format!("{w}/"))),
            "{p} is under ReadWritePaths {writable:?}"
        );
    }
    let (_, timer) = deploy_file("systemd/zdpipe-nightly.timer");
    assert_eq!(unit_values(&timer, "Persistent"), ["true"]);
    assert_eq!(unit_values(&timer, "RandomizedDelaySec").len(), 1);
}

#[test]
fn systemd_analyze_verifies_the_unit_and_the_timer() {
    if which("systemd-analyze").is_none() {
        println!("skipped: systemd-analyze is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // verify checks that ExecStart's program exists: point it at the built binary.
    let (_, unit) = deploy_file("systemd/zdpipe-nightly.service");
    let unit = unit.replace("/usr/local/bin/zdpipe", env!("CARGO_BIN_EXE_zdpipe"));
    std::fs::write(dir.path().join("zdpipe-nightly.service"), unit).unwrap();
    let (_, timer) = deploy_file("systemd/zdpipe-nightly.timer");
    std::fs::write(dir.path().join("zdpipe-nightly.timer"), timer).unwrap();
    let mut verify = Command::new("systemd-analyze");
    verify.current_dir(dir.path()).arg("verify");
    // Documentation=man:zdpipe-run(1) is checked against the pages `zdpipe man` writes.
    if which("man").is_some() {
        let man1 = dir.path().join("man/man1");
        let out = crate::helpers::zdpipe()
            .args(["man", "--dir"])
            .arg(&man1)
            .output()
            .unwrap();
        assert!(out.status.success());
        verify.env("MANPATH", dir.path().join("man"));
    } else {
        verify.arg("--man=no");
    }
    let out = verify
        .args(["zdpipe-nightly.service", "zdpipe-nightly.timer"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "systemd-analyze verify: {stderr}");
    // Unknown keys and bad values are only warnings: there must be none about our files.
    assert!(!stderr.contains("zdpipe-nightly"), "warnings: {stderr}");
}

#[test]
fn the_crontab_line_runs_a_valid_command_without_flock_and_logs_to_a_file() {
    let (_, text) = deploy_file("cron/zdpipe.crontab");
    let entries: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty() && !l.contains('='))
        .collect();
    assert_eq!(entries.len(), 1, "one entry: {entries:?}");
    let fields: Vec<&str> = entries[0].splitn(6, ' ').collect();
    let schedule = &fields[..5];
    assert!(
        schedule.iter().all(|f| !f.is_empty()),
        "five time fields: {schedule:?}"
    );
    let command = fields[5];
    assert!(
        !command.replace("\\%", "").contains('%'),
        "cron reads a bare % as a newline"
    );
    assert!(
        !command.contains("flock"),
        "zdpipe's own lock (exit 75) is enough"
    );
    assert!(
        command.contains(">> log/"),
        "appends to a log file: {command}"
    );
    // The zdpipe part: from the program to the redirection, cron's "\%" unescaped.
    let start = command.find("/usr/local/bin/zdpipe").expect("runs zdpipe");
    let end = command.find(">>").unwrap();
    let argv: Vec<String> = command[start..end]
        .split_whitespace()
        .map(|a| a.replace("\\%", "%"))
        .collect();
    assert_eq!(
        run_pipeline_of(&argv, "the crontab"),
        Path::new("/etc/zdpipe/nightly.toml")
    );
}

/// The YAML documents of the CronJob file, by kind.
fn kubernetes_documents() -> Vec<serde_json::Value> {
    let (_, text) = deploy_file("kubernetes/cronjob.yaml");
    serde_norway::Deserializer::from_str(&text)
        .map(|doc| serde_json::Value::deserialize(doc).expect("valid YAML"))
        .collect()
}

fn of_kind<'a>(docs: &'a [serde_json::Value], kind: &str) -> &'a serde_json::Value {
    docs.iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("a {kind}"))
}

/// The parts of the CronJob file the tests look at.
struct CronJobFile {
    docs: Vec<serde_json::Value>,
}

impl CronJobFile {
    fn load() -> Self {
        CronJobFile {
            docs: kubernetes_documents(),
        }
    }

    fn pod(&self) -> &serde_json::Value {
        &of_kind(&self.docs, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    }

    fn container(&self) -> &serde_json::Value {
        &self.pod()["containers"][0]
    }

    /// The pod volume `name`.
    fn volume(&self, name: &str) -> &serde_json::Value {
        named(&self.pod()["volumes"], name)
    }

    /// Where the volume `name` is mounted in the container.
    fn mount_of(&self, name: &str) -> PathBuf {
        let mount = named(&self.container()["volumeMounts"], name);
        PathBuf::from(mount["mountPath"].as_str().unwrap())
    }

    /// The container's command line: command, then args.
    fn argv(&self) -> Vec<String> {
        let strings = |v: &serde_json::Value| -> Vec<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect()
        };
        let c = self.container();
        [strings(&c["command"]), strings(&c["args"])].concat()
    }
}

fn named<'a>(list: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no {name:?} in {list}"))
}

#[test]
fn the_cronjob_runs_a_valid_command_never_two_at_once() {
    let file = CronJobFile::load();
    let cronjob = of_kind(&file.docs, "CronJob");
    assert_eq!(cronjob["spec"]["concurrencyPolicy"], "Forbid");
    assert!(cronjob["spec"]["jobTemplate"]["spec"]["backoffLimit"].is_u64());
    assert_eq!(
        file.pod()["restartPolicy"],
        "Never",
        "podFailurePolicy needs Never"
    );
    run_pipeline_of(&file.argv(), "the CronJob");
}

#[test]
fn the_cronjob_reads_its_pipeline_from_the_configmap_and_writes_to_the_claim() {
    let file = CronJobFile::load();
    let pipeline = run_pipeline_of(&file.argv(), "the CronJob");
    let configmap = of_kind(&file.docs, "ConfigMap");
    assert_eq!(
        file.volume("pipeline")["configMap"]["name"],
        configmap["metadata"]["name"]
    );
    let key = pipeline.strip_prefix(file.mount_of("pipeline")).unwrap();
    let (_, nightly) = deploy_file("nightly.toml");
    assert_eq!(
        configmap["data"][key.to_str().unwrap()].as_str(),
        Some(nightly.as_str()),
        "the ConfigMap holds deploy/nightly.toml as it is"
    );
    let claim = of_kind(&file.docs, "PersistentVolumeClaim");
    assert_eq!(
        file.volume("data")["persistentVolumeClaim"]["claimName"],
        claim["metadata"]["name"]
    );
    for p in pipeline_write_paths() {
        let on_claim = Path::new(&p).starts_with(file.mount_of("data"));
        assert!(on_claim, "{p} is on the claim");
    }
}

#[test]
fn the_cronjob_takes_the_token_from_the_secret_by_reference() {
    let file = CronJobFile::load();
    let secret = of_kind(&file.docs, "Secret");
    let token = named(&file.container()["env"], "ZENDESK_API_TOKEN");
    assert!(token.get("value").is_none(), "never inline");
    let reference = &token["valueFrom"]["secretKeyRef"];
    assert_eq!(reference["name"], secret["metadata"]["name"]);
    let key = reference["key"].as_str().unwrap();
    assert!(
        secret["stringData"][key].is_string(),
        "the Secret has {key}"
    );
}

fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}
