//! `zdpipe bench`: check the flags, run the chosen tests (see [`crate::bench`]), print
//! their figures as text or JSON.

use super::{Exit, Result, UsageError};
use crate::bench;
use crate::cli::{BenchArgs, BenchTest};

pub fn bench(args: BenchArgs) -> Result<Exit> {
    let opts = &args.options;
    if opts.tickets == 0 || opts.max_workers == 0 || opts.batch_size == 0 {
        return Err(UsageError(
            "bench: --tickets, --max-workers and --batch-size must be at least 1".into(),
        )
        .into());
    }
    if opts.repeat == 0 {
        return Err(UsageError("bench: --repeat must be at least 1".into()).into());
    }
    if args.test == BenchTest::Export {
        let result = bench::export_test(opts)?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&result)?);
        } else {
            print!("{}", result.render());
        }
        return Ok(Exit::Ok);
    }
    if args.test == BenchTest::Pipeline {
        let result = bench::pipeline_test(opts)?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&result)?);
        } else {
            print!("{}", result.render());
        }
        return Ok(Exit::Ok);
    }
    let mut results = Vec::new();
    if matches!(args.test, BenchTest::Cache | BenchTest::All) {
        results.push(bench::cache_test(opts)?);
    }
    if matches!(args.test, BenchTest::Batch | BenchTest::All) {
        results.push(bench::batch_test(opts)?);
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        for r in &results {
            print!("{}", r.render());
        }
    }
    Ok(Exit::Ok)
}
