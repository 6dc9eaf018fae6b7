//! Test harness: a scripted fake provider on 127.0.0.1 and canned replies.
//!
//! A [`Fake`] serves a small axum app that answers every request with the next
//! scripted response (418 once the script runs out, so surplus requests show up as
//! failures) and records each request, so tests can assert on exactly what the
//! analyzer sent.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};
use tokio::runtime::Runtime;

use super::{LlmAnalyzer, LlmConfig, Provider};
use crate::analyze::AnalysisInput;

pub const KEY: &str = "sk-test-SECRET-0123456789";

/// One scripted response.
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(&'static str, &'static str)>,
    pub body: Value,
    /// How long the server stalls before answering (to provoke client timeouts).
    pub delay: Duration,
}

/// One captured request.
pub struct Captured {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Value,
}

#[derive(Default)]
pub struct Script {
    pub responses: Mutex<VecDeque<Canned>>,
    pub captured: Mutex<Vec<Captured>>,
}

pub struct Fake {
    pub rt: Runtime,
    pub url: String,
    pub script: Arc<Script>,
}

impl Fake {
    pub fn start(responses: Vec<Canned>) -> Fake {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let script = Arc::new(Script {
            responses: Mutex::new(responses.into()),
            captured: Mutex::default(),
        });
        let app = Router::new().fallback(serve).with_state(script.clone());
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        rt.spawn(async move { axum::serve(listener, app).await });
        Fake { rt, url, script }
    }

    pub fn analyzer(&self, provider: Provider, edit: impl FnOnce(&mut LlmConfig)) -> LlmAnalyzer {
        let mut cfg = LlmConfig::new(provider, &self.url, "test-model");
        cfg.api_key = Some(KEY.to_string());
        edit(&mut cfg);
        LlmAnalyzer::new(cfg, self.rt.handle().clone()).expect("analyzer")
    }

    pub fn requests(&self) -> usize {
        self.script.captured.lock().unwrap().len()
    }

    pub fn body(&self, i: usize) -> Value {
        self.script.captured.lock().unwrap()[i].body.clone()
    }
}

async fn serve(
    State(script): State<Arc<Script>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    script.captured.lock().unwrap().push(Captured {
        path: uri.path().to_string(),
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    let next = script.responses.lock().unwrap().pop_front();
    let Some(canned) = next else {
        return (StatusCode::IM_A_TEAPOT, "script exhausted").into_response();
    };
    tokio::time::sleep(canned.delay).await;
    let mut response = (
        StatusCode::from_u16(canned.status).unwrap(),
        axum::Json(canned.body),
    )
        .into_response();
    for (name, value) in canned.headers {
        response.headers_mut().insert(name, value.parse().unwrap());
    }
    response
}

pub fn valid() -> Value {
    json!({
        "sentiment": "negative", "sentiment_score": -0.6, "urgency": 4, "frustration": 3,
        "technical_expertise": 2, "business_impact": true, "category": "technical_issue",
        "component": "gpu", "key_phrases": ["gpu fell off the bus"], "emotions": ["anxiety"],
        "confidence": 0.8,
    })
}

pub fn openai_with(content: &str, finish: &str) -> Canned {
    Canned {
        status: 200,
        headers: vec![],
        body: json!({
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": null}, "finish_reason": finish}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20},
        }),
        delay: Duration::ZERO,
    }
}

pub fn openai_ok(reply: &Value) -> Canned {
    openai_with(&reply.to_string(), "stop")
}

pub fn anthropic_with(input: Value, stop: &str) -> Canned {
    Canned {
        status: 200,
        headers: vec![],
        body: json!({
            "type": "message", "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "ticket_analysis", "input": input}],
            "stop_reason": stop, "usage": {"input_tokens": 200, "output_tokens": 40},
        }),
        delay: Duration::ZERO,
    }
}

pub fn error(status: u16, headers: Vec<(&'static str, &'static str)>, body: Value) -> Canned {
    Canned {
        status,
        headers,
        body,
        delay: Duration::ZERO,
    }
}

pub fn ticket<'a>(subject: &'a str, body: &'a str) -> AnalysisInput<'a> {
    AnalysisInput {
        ticket_id: 7,
        subject,
        body,
        tags: &[],
    }
}

pub fn user_content(body: &Value) -> String {
    let messages = body["messages"].as_array().unwrap();
    let user = messages.iter().find(|m| m["role"] == "user").unwrap();
    user["content"].as_str().unwrap().to_string()
}
