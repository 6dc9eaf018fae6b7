//! The Anthropic dialect: `POST /v1/messages`.
//!
//! Claude gets the analysis schema as the `input_schema` of a single tool and is
//! forced to call it (`tool_choice: {type: "tool"}`), so the answer arrives as the
//! `input` object of a `tool_use` content block, already parsed. A repair is sent as
//! an error `tool_result` for that block, which is how the Messages API expects a
//! failed tool call to be answered.

use std::time::SystemTime;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::StatusCode;
use serde::Serialize;
use serde_json::{json, Value};

use super::prompt::{self, SCHEMA_NAME};
use super::rate::{Limits, Window};
use super::transport::ErrorInfo;
use super::{Answer, LlmConfig, LlmError, Reply};

/// The API version this dialect is written against.
const API_VERSION: &str = "2023-06-01";

pub(super) fn headers(api_key: Option<&str>) -> Result<HeaderMap, LlmError> {
    let mut headers = HeaderMap::new();
    headers.insert("anthropic-version", HeaderValue::from_static(API_VERSION));
    if let Some(key) = api_key {
        let mut value = HeaderValue::from_str(key)
            .map_err(|_| LlmError::Config("the API key contains invalid characters".into()))?;
        value.set_sensitive(true);
        headers.insert("x-api-key", value);
    }
    Ok(headers)
}

/// The request's fixed parts, built once per analyzer: everything but the turns.
pub(super) struct Template {
    model: String,
    max_tokens: u32,
    temperature: Option<f64>,
    system: String,
    tools: Value,
    tool_choice: Value,
}

impl Template {
    pub fn new(cfg: &LlmConfig, system: &str, schema: &Value) -> Self {
        Template {
            model: cfg.settings.model.clone(),
            max_tokens: cfg.settings.max_output_tokens,
            temperature: cfg.settings.temperature,
            system: system.to_string(),
            tools: json!([{
                "name": SCHEMA_NAME,
                "description": "Record the analysis of one support ticket.",
                "input_schema": schema,
            }]),
            tool_choice: json!({"type": "tool", "name": SCHEMA_NAME}),
        }
    }

    /// The serialized request body; borrows the fixed parts.
    pub fn body(&self, turns: &[Value]) -> Vec<u8> {
        let body = Body {
            model: &self.model,
            max_tokens: self.max_tokens,
            temperature: self.temperature,
            system: &self.system,
            messages: turns,
            tools: &self.tools,
            tool_choice: &self.tool_choice,
        };
        serde_json::to_vec(&body).expect("a request body always serializes")
    }
}

#[derive(Serialize)]
struct Body<'a> {
    model: &'a str,
    max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    system: &'a str,
    messages: &'a [Value],
    tools: &'a Value,
    tool_choice: &'a Value,
}

/// Reads a 2xx response. A truncated answer or a refusal is final for the ticket.
pub(super) fn read_reply(body: &Value, max_tokens: u32) -> Reply {
    let usage = &body["usage"];
    let stop = body["stop_reason"].as_str().unwrap_or_default();
    let blocks = body["content"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let outcome = match stop {
        "max_tokens" => Err(format!(
            "anthropic: the answer was cut off at max_tokens ({max_tokens}); raise max_output_tokens"
        )),
        "model_context_window_exceeded" => {
            Err("anthropic: the ticket does not fit the model's context window".into())
        }
        "refusal" => Err("anthropic: the model refused to analyze the ticket".into()),
        _ => Ok(answer(blocks)),
    };
    Reply {
        input_tokens: usage["input_tokens"].as_u64().unwrap_or(0),
        output_tokens: usage["output_tokens"].as_u64().unwrap_or(0),
        outcome,
    }
}

fn answer(blocks: &[Value]) -> Answer {
    let assistant = json!({"role": "assistant", "content": blocks});
    let tool_use = blocks.iter().find(|b| b["type"] == "tool_use");
    match tool_use {
        Some(block) => Answer {
            json: Ok(block["input"].clone()),
            assistant,
            tool_use_id: block["id"].as_str().map(str::to_string),
        },
        // Forced tool use makes this rare; a model that wrote the JSON as text
        // instead still gets a chance.
        None => {
            let text: String = blocks.iter().filter_map(|b| b["text"].as_str()).collect();
            let json = if text.trim().is_empty() {
                Err(format!("the reply has no `{SCHEMA_NAME}` tool call"))
            } else {
                prompt::parse_json_text(&text)
            };
            Answer {
                json,
                assistant,
                tool_use_id: None,
            }
        }
    }
}

/// The turns that carry a repair request. Every `tool_use` block must be answered
/// by a `tool_result` in the next user turn, so the complaint goes there.
pub(super) fn repair_turns(answer: &Answer, error: &str) -> Vec<Value> {
    let instruction = prompt::repair_instruction(error);
    let content = match &answer.tool_use_id {
        Some(id) => json!([{
            "type": "tool_result",
            "tool_use_id": id,
            "is_error": true,
            "content": instruction,
        }]),
        None => json!(instruction),
    };
    vec![
        answer.assistant.clone(),
        json!({"role": "user", "content": content}),
    ]
}

/// An empty credit balance or a reached spend limit: no retry can fix either.
/// Anthropic reports them as 402 `billing_error`, or as a 400 whose message says so.
pub(super) fn is_billing_error(status: StatusCode, info: &ErrorInfo) -> bool {
    let message = info.message.to_ascii_lowercase();
    status == StatusCode::PAYMENT_REQUIRED
        || info.kind == "billing_error"
        || (status == StatusCode::BAD_REQUEST
            && ["credit balance", "spend limit", "usage limits"]
                .iter()
                .any(|m| message.contains(m)))
}

/// The windows an answer tells of: `anthropic-ratelimit-requests-remaining`, and
/// for tokens the tightest of `-tokens-`, `-input-tokens-` and
/// `-output-tokens-remaining`; each `*-reset` is an RFC 3339 instant.
pub(super) fn rate_limits(headers: &HeaderMap) -> Limits {
    let text = |name: &str| headers.get(name)?.to_str().ok().map(str::trim);
    let window = |kind: &str| {
        let reset = text(&format!("anthropic-ratelimit-{kind}-reset"))?;
        let reset = humantime::parse_rfc3339_weak(reset).ok()?;
        Some(Window {
            remaining: text(&format!("anthropic-ratelimit-{kind}-remaining"))?
                .parse()
                .ok()?,
            reset: reset.duration_since(SystemTime::now()).unwrap_or_default(),
        })
    };
    Limits {
        requests: window("requests"),
        tokens: ["tokens", "input-tokens", "output-tokens"]
            .into_iter()
            .filter_map(window)
            .min_by_key(|w| w.remaining),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_reset_in_the_past_means_no_wait_and_the_tightest_tokens_count() {
        let mut h = HeaderMap::new();
        let mut set = |name: &'static str, value: &'static str| {
            h.insert(name, HeaderValue::from_static(value));
        };
        set("anthropic-ratelimit-requests-remaining", "0");
        set("anthropic-ratelimit-requests-reset", "2020-01-01T00:00:00Z");
        set("anthropic-ratelimit-tokens-remaining", "9000");
        set("anthropic-ratelimit-tokens-reset", "2020-01-01T00:00:00Z");
        set("anthropic-ratelimit-output-tokens-remaining", "40");
        set(
            "anthropic-ratelimit-output-tokens-reset",
            "2020-01-01T00:00:00Z",
        );
        let limits = rate_limits(&h);
        let window = |remaining| {
            Some(Window {
                remaining,
                reset: Duration::ZERO,
            })
        };
        assert_eq!(limits.requests, window(0));
        assert_eq!(limits.tokens, window(40));
    }

    #[test]
    fn billing_errors_are_recognised() {
        let info = |kind: &str, message: &str| ErrorInfo {
            kind: kind.into(),
            code: String::new(),
            message: message.into(),
        };
        let low = info(
            "invalid_request_error",
            "Your credit balance is too low to access the API",
        );
        assert!(is_billing_error(StatusCode::BAD_REQUEST, &low));
        assert!(is_billing_error(
            StatusCode::PAYMENT_REQUIRED,
            &info("billing_error", "")
        ));
        let other = info("invalid_request_error", "max_tokens: field required");
        assert!(!is_billing_error(StatusCode::BAD_REQUEST, &other));
    }

    #[test]
    fn repair_answers_the_tool_call() {
        let reply = read_reply(
            &json!({
                "content": [{"type": "tool_use", "id": "toolu_1", "name": SCHEMA_NAME, "input": {"urgency": 9}}],
                "stop_reason": "tool_use",
                "usage": {"input_tokens": 10, "output_tokens": 5},
            }),
            100,
        );
        let answer = reply.outcome.expect("an answer");
        let turns = repair_turns(&answer, "urgency is 9");
        assert_eq!(turns[0]["role"], "assistant");
        assert_eq!(turns[1]["content"][0]["type"], "tool_result");
        assert_eq!(turns[1]["content"][0]["tool_use_id"], "toolu_1");
        assert_eq!(reply.input_tokens, 10);
    }
}
