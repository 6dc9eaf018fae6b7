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
//! [`pipeline`] wires the stages together on their own threads; [`app`] holds one thin
//! operation per subcommand; [`config`] loads and validates pipeline files; [`sandbox`]
//! is the simulated Zendesk used by the demo, the benchmarks and the tests.

pub mod analyze;
pub mod app;
pub mod bench;
pub mod cache;
pub mod cli;
pub mod config;
pub mod eval;
pub mod fetch;
pub mod model;
pub mod pipeline;
pub mod report;
pub mod sandbox;
pub mod write;
