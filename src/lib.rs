//! zdpipe: Zendesk tickets in, analyzed CSV, results store and reports out.
//!
//! The job is a staged pipeline, **fetch → cache → analyze → write**:
//!
//! - [`fetch`] talks to the Zendesk REST API (views, tickets, users, the incremental
//!   export) with rate limiting and retries, or reads an export file;
//! - [`cache`] is the sled-backed TTL cache in front of every Zendesk call, plus the
//!   store of finished analyses and the nightly checkpoints;
//! - [`analyze`] scores each ticket: the built-in offline analyzer or an LLM;
//! - [`write`] streams rows to CSV and the sled results store; [`report`] reads the
//!   store back for humans and dashboards.
//!
//! Around the stages:
//!
//! - [`pipeline`] wires the stages together on their own threads and summarizes a run;
//! - [`config`] loads and validates pipeline files and hands each stage its settings;
//! - [`model`] holds the records that flow between stages (tickets, users, views,
//!   analyses, the CSV row);
//! - [`cli`] declares the command line and [`app`] holds one thin operation per
//!   subcommand;
//! - [`http`] is the HTTP layer the Zendesk and LLM clients share: base URLs,
//!   retries with backoff, `Retry-After`, request pauses, errors without secrets;
//! - [`eval`] scores an output CSV against gold labels (`zdpipe eval`);
//! - `bench` is the benchmark harness behind `zdpipe bench` (with the `sandbox`
//!   feature);
//! - [`sandbox`] is the simulated Zendesk (and LLM) used by the demo, the benchmarks
//!   and the tests. The server is behind the default-on Cargo feature `sandbox`; a
//!   binary built with `--no-default-features` keeps only its settings and refuses
//!   `source = "sandbox"` with a clear message.

pub mod analyze;
pub mod app;
#[cfg(feature = "sandbox")]
pub mod bench;
pub mod cache;
pub mod cli;
pub mod config;
pub mod eval;
pub mod fetch;
pub mod http;
pub mod model;
pub mod pipeline;
pub mod report;
pub mod sandbox;
pub mod write;
