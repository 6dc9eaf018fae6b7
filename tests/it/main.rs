//! The integration test binary: the real `zdpipe` binary (assert_cmd) against real
//! HTTP servers on 127.0.0.1 (the sandbox, or small axum servers), real sled
//! databases in temp dirs. One binary keeps link time and CI time down.

mod helpers;

mod analyzer;
mod batch;
mod bounded;
mod budget;
mod cache;
mod cli;
mod config;
mod conversation;
mod dated;
mod deploy;
mod fetch;
mod fields;
mod hostile;
mod hybrid;
mod language;
mod llm;
mod monitoring;
mod ops;
mod pipeline;
mod properties;
mod rate;
mod report;
mod resilience;
mod search;
mod style;
mod tls;
mod writes;
