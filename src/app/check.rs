//! `zdpipe check`: validate the pipeline file, then make one cheap call per thing
//! the run needs (the account, each view, the export file, the LLM key) and say
//! plainly what is wrong.

use std::path::Path;

use super::{load, Exit, Result};
use crate::cache::ReadPolicy;
use crate::fetch::{connect, Access, Mode, Source};

pub fn check(path: &Path) -> Result<Exit> {
    let (pipeline, env) = load(path)?;
    println!("{}: pipeline {:?} is valid", path.display(), pipeline.name);
    let mut sandbox_url = None;
    match &pipeline.fetch.source {
        Source::File {
            path,
            on_bad_record,
        } => {
            let mut reader = crate::fetch::read_export(path, *on_bad_record)?;
            let first = reader.next_items(1)?;
            println!(
                "export file {} is readable ({} first record)",
                path.display(),
                if first.is_empty() { "no" } else { "a valid" }
            );
        }
        _ => {
            let access = Access {
                policy: ReadPolicy::Bypass,
                offline: false,
            };
            let conn = connect(&pipeline.fetch, &env, None, access)?;
            sandbox_url = conn.sandbox_url();
            let api = &conn.api;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let me = api.me().await?;
                let field = |k: &str| {
                    me.pointer(&format!("/user/{k}"))
                        .and_then(|v| v.as_str())
                        .unwrap_or("?")
                        .to_string()
                };
                println!(
                    "connected to {} as {} (role {})",
                    api.client.host(),
                    field("name"),
                    field("role")
                );
                if let Mode::Views(ids) = &pipeline.fetch.mode {
                    for id in ids {
                        let view = api.view(*id).await?;
                        let count = api
                            .view_count(*id)
                            .await?
                            .map_or("unknown".to_string(), |n| n.to_string());
                        println!(
                            "view {id} {:?}: {count} tickets{}",
                            view.title,
                            if view.active { "" } else { " (inactive)" }
                        );
                    }
                }
                anyhow::Ok(())
            })?;
        }
    }
    // The same resolution of endpoint and key as a run; no request is sent.
    let built = crate::analyze::build(&pipeline.analyze, &env, sandbox_url.as_deref())?;
    println!("analyzer: {}", built.analyzer.name());
    println!("ok");
    Ok(Exit::Ok)
}
