//! `zdpipe check`: validate the pipeline file, then make one cheap call per thing
//! the run needs (the account, each view, the export file, the LLM key) and say
//! plainly what is wrong.

use std::path::Path;

use super::{load, Exit, Result};
use crate::cache::ReadPolicy;
use crate::config::{AnalyzerKind, Mode, Source};
use crate::pipeline::connect;

pub fn check(path: &Path) -> Result<Exit> {
    let (pipeline, env) = load(path)?;
    println!("{}: pipeline {:?} is valid", path.display(), pipeline.name);
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
            let (api, _sandbox, _) = connect(&pipeline, &env, None, ReadPolicy::Bypass, false)?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let me = api.me().await?;
                let name = me
                    .pointer("/user/name")
                    .and_then(|v| v.as_str())
                    .unwrap_or("?");
                let role = me
                    .pointer("/user/role")
                    .and_then(|v| v.as_str())
                    .unwrap_or("?");
                println!("connected to {} as {name} (role {role})", api.client.host());
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
    match pipeline.analyze.analyzer {
        AnalyzerKind::Builtin => println!("analyzer: builtin (offline)"),
        AnalyzerKind::OpenAi if env.openai_api_key.is_none() => {
            println!(
                "analyzer: openai, model {} (no OPENAI_API_KEY: fine for local servers)",
                pipeline.analyze.llm.model
            )
        }
        AnalyzerKind::Anthropic
            if env.anthropic_api_key.is_none()
                && !matches!(pipeline.fetch.source, Source::Sandbox(_)) =>
        {
            return Err(super::UsageError(
                "analyzer = \"anthropic\" needs ANTHROPIC_API_KEY in the environment".into(),
            )
            .into())
        }
        kind => println!(
            "analyzer: {}, model {}",
            kind.as_str(),
            pipeline.analyze.llm.model
        ),
    }
    println!("ok");
    Ok(Exit::Ok)
}
