//! The OpenAI-compatible dialect: `POST /v1/chat/completions`, as served by OpenAI,
//! Ollama, vLLM and the llama.cpp server.
//!
//! The answer is requested as structured output (`response_format` of type
//! `json_schema`, strict) or, for servers without schema support, plain JSON mode
//! (`json_object`); either way it arrives as a JSON string in
//! `choices[0].message.content` and is validated locally.
//!
//! The output cap goes to api.openai.com as `max_completion_tokens` (`max_tokens` is
//! deprecated there and refused by its reasoning models) and to every other server
//! as `max_tokens`, the name Ollama, vLLM and llama.cpp have always read.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use reqwest::StatusCode;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::{json, Value};

use super::prompt::{self, SCHEMA_NAME};
use super::rate::{Limits, Window};
use super::transport::ErrorInfo;
use super::{Answer, LlmConfig, LlmError, Reply};
use crate::analyze::JsonMode;

/// `Authorization: Bearer` only when a key is set: local servers need none.
pub(super) fn headers(api_key: Option<&str>) -> Result<HeaderMap, LlmError> {
    let mut headers = HeaderMap::new();
    if let Some(key) = api_key {
        let mut value = HeaderValue::from_str(&format!("Bearer {key}"))
            .map_err(|_| LlmError::Config("the API key contains invalid characters".into()))?;
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
    Ok(headers)
}

/// The public API wants `max_completion_tokens`: `max_tokens` is deprecated there and
/// rejected by its reasoning models. Compatible servers (Ollama, vLLM, llama.cpp)
/// have long read `max_tokens` but not all know the new name, so they get that.
pub(super) fn max_tokens_field(base_url: &str) -> &'static str {
    let public = reqwest::Url::parse(base_url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| h.eq_ignore_ascii_case("api.openai.com"))
        })
        .unwrap_or(false);
    if public {
        "max_completion_tokens"
    } else {
        "max_tokens"
    }
}

/// The request's fixed parts, built once per analyzer: everything but the turns.
pub(super) struct Template {
    model: String,
    temperature: Option<f64>,
    max_tokens_field: &'static str,
    max_tokens: u32,
    system: String,
    response_format: Value,
}

impl Template {
    pub fn new(cfg: &LlmConfig, system: &str, schema: &Value) -> Self {
        let response_format = match cfg.settings.json_mode {
            JsonMode::JsonSchema => json!({
                "type": "json_schema",
                "json_schema": {"name": SCHEMA_NAME, "strict": true, "schema": schema},
            }),
            JsonMode::JsonObject => json!({"type": "json_object"}),
        };
        Template {
            model: cfg.settings.model.clone(),
            temperature: cfg.settings.temperature,
            max_tokens_field: max_tokens_field(&cfg.base_url),
            max_tokens: cfg.settings.max_output_tokens,
            system: system.to_string(),
            response_format,
        }
    }

    /// The serialized request body. Borrows the fixed parts instead of copying the
    /// schema into a fresh `Value` for every ticket.
    pub fn body(&self, turns: &[Value]) -> Vec<u8> {
        let body = Body {
            model: &self.model,
            temperature: self.temperature,
            max_tokens: (self.max_tokens_field, self.max_tokens),
            messages: Messages {
                system: &self.system,
                turns,
            },
            response_format: &self.response_format,
        };
        serde_json::to_vec(&body).expect("a request body always serializes")
    }
}

struct Body<'a> {
    model: &'a str,
    temperature: Option<f64>,
    max_tokens: (&'static str, u32),
    messages: Messages<'a>,
    response_format: &'a Value,
}

impl Serialize for Body<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("model", self.model)?;
        if let Some(t) = self.temperature {
            m.serialize_entry("temperature", &t)?;
        }
        m.serialize_entry(self.max_tokens.0, &self.max_tokens.1)?;
        m.serialize_entry("messages", &self.messages)?;
        m.serialize_entry("response_format", self.response_format)?;
        m.end()
    }
}

/// The system message followed by the conversation turns.
struct Messages<'a> {
    system: &'a str,
    turns: &'a [Value],
}

impl Serialize for Messages<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.turns.len() + 1))?;
        seq.serialize_element(&SystemMessage {
            role: "system",
            content: self.system,
        })?;
        for turn in self.turns {
            seq.serialize_element(turn)?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct SystemMessage<'a> {
    role: &'static str,
    content: &'a str,
}

/// Reads a 2xx response. Refusals, truncation and content filtering are final for
/// the ticket: asking again would get the same answer.
pub(super) fn read_reply(body: &Value, max_tokens: u32) -> Reply {
    let usage = &body["usage"];
    let choice = &body["choices"][0];
    let message = &choice["message"];
    let finish = choice["finish_reason"].as_str().unwrap_or_default();
    let outcome = if let Some(refusal) = message["refusal"].as_str().filter(|r| !r.is_empty()) {
        Err(format!("openai: the model refused: {refusal}"))
    } else if finish == "length" {
        Err(format!(
            "openai: the answer was cut off at max_tokens ({max_tokens}); raise max_output_tokens"
        ))
    } else if finish == "content_filter" {
        Err("openai: the answer was blocked by the provider's content filter".into())
    } else if choice.is_null() {
        Err("openai: the response has no choices".into())
    } else {
        let content = content_text(&message["content"]);
        Ok(Answer {
            json: match &content {
                Some(text) => prompt::parse_json_text(text),
                None => Err("the reply has no content".into()),
            },
            assistant: json!({"role": "assistant", "content": content.unwrap_or_default()}),
            tool_use_id: None,
        })
    };
    Reply {
        input_tokens: usage["prompt_tokens"].as_u64().unwrap_or(0),
        output_tokens: usage["completion_tokens"].as_u64().unwrap_or(0),
        outcome,
    }
}

/// The content as text: normally a string, but some compatible servers send an
/// array of `{type: "text", text}` parts.
fn content_text(content: &Value) -> Option<String> {
    match content {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => Some(parts.iter().filter_map(|p| p["text"].as_str()).collect()),
        _ => None,
    }
}

/// The turns that carry a repair request: the rejected answer, then the complaint.
pub(super) fn repair_turns(answer: &Answer, error: &str) -> Vec<Value> {
    vec![
        answer.assistant.clone(),
        json!({"role": "user", "content": prompt::repair_instruction(error)}),
    ]
}

/// OpenAI answers an exhausted account with 429 `insufficient_quota`: retrying
/// cannot help, unlike an ordinary rate limit.
pub(super) fn is_quota_error(status: StatusCode, info: &ErrorInfo) -> bool {
    (status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::PAYMENT_REQUIRED)
        && (info.code == "insufficient_quota" || info.kind == "insufficient_quota")
}

/// The windows an answer tells of: `x-ratelimit-remaining-requests` and
/// `-tokens`, each with its `x-ratelimit-reset-*` duration. A header that is missing
/// or unreadable (some proxies send `-1`) leaves its window unknown.
pub(super) fn rate_limits(headers: &HeaderMap) -> Limits {
    let text = |name: &str| headers.get(name)?.to_str().ok().map(str::trim);
    let window = |kind: &str| {
        Some(Window {
            remaining: text(&format!("x-ratelimit-remaining-{kind}"))?
                .parse()
                .ok()?,
            reset: go_duration(text(&format!("x-ratelimit-reset-{kind}"))?)?,
        })
    };
    Limits {
        requests: window("requests"),
        tokens: window("tokens"),
    }
}

/// Parses Go-style durations as OpenAI sends them: `1s`, `20ms`, `6m0s`, `1.5s`.
fn go_duration(text: &str) -> Option<Duration> {
    let mut total = 0.0;
    let mut rest = text;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let value: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += value * seconds;
        rest = &rest[unit_len..];
    }
    Duration::try_from_secs_f64(total).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_durations() {
        assert_eq!(go_duration("1s"), Some(Duration::from_secs(1)));
        assert_eq!(go_duration("20ms"), Some(Duration::from_millis(20)));
        assert_eq!(go_duration("6m0s"), Some(Duration::from_secs(360)));
        assert_eq!(go_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(go_duration("soon"), None);
    }

    #[test]
    fn reads_both_windows_and_skips_unreadable_ones() {
        let mut h = HeaderMap::new();
        let mut set = |name: &'static str, value: &'static str| {
            h.insert(name, HeaderValue::from_static(value));
        };
        set("x-ratelimit-remaining-requests", "0");
        set("x-ratelimit-reset-requests", "6m0s");
        set("x-ratelimit-remaining-tokens", "-1");
        set("x-ratelimit-reset-tokens", "20ms");
        let limits = rate_limits(&h);
        let requests = Window {
            remaining: 0,
            reset: Duration::from_secs(360),
        };
        assert_eq!(limits.requests, Some(requests));
        assert_eq!(limits.tokens, None);
    }

    #[test]
    fn json_object_mode_sends_no_schema() {
        let mut cfg = LlmConfig::new(super::super::Provider::OpenAi, "http://x", "m");
        cfg.settings.json_mode = JsonMode::JsonObject;
        let body = Template::new(&cfg, "sys", &json!({})).body(&[]);
        let body: Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(body["response_format"], json!({"type": "json_object"}));
        assert_eq!(body["messages"][0]["role"], "system");
        assert_eq!(body["messages"][0]["content"], "sys");
    }

    #[test]
    fn the_public_api_gets_max_completion_tokens() {
        let body = |url: &str| {
            let cfg = LlmConfig::new(super::super::Provider::OpenAi, url, "m");
            let body = Template::new(&cfg, "sys", &json!({})).body(&[]);
            serde_json::from_slice::<Value>(&body).expect("JSON")
        };
        let public = body("https://api.openai.com");
        assert_eq!(public["max_completion_tokens"], 1024);
        assert!(public.get("max_tokens").is_none());
        let local = body("http://localhost:11434");
        assert_eq!(local["max_tokens"], 1024);
        assert!(local.get("max_completion_tokens").is_none());
    }
}
