//! Anthropic's Message Batches API: `POST /v1/messages/batches`,
//! `GET /v1/messages/batches/{id}` and the JSONL at its `results_url`.
//!
//! `processing_status` is `in_progress` or `canceling` while it runs and `ended`
//! once every request has succeeded, errored, been canceled or expired;
//! `request_counts` holds `processing`, `succeeded`, `errored`, `canceled` and
//! `expired`. Each result line is `{custom_id, result: {type, ...}}`: `succeeded`
//! carries the `message` (the synchronous endpoint's response), `errored` an
//! `error`.

use reqwest::Method;
use serde_json::{json, value::RawValue, Value};

use super::{BatchClient, BatchError, BatchState, BatchStatus, Body, LineResult};

/// One request of the batch: the synchronous body as `params`.
pub(super) fn line(custom_id: &str, body: Value) -> Value {
    json!({"custom_id": custom_id, "params": body})
}

/// Creates the batch with the lines as its `requests`.
pub(super) async fn submit(client: &BatchClient, lines: &[Vec<u8>]) -> Result<String, String> {
    let mut requests = Vec::with_capacity(lines.len());
    for line in lines {
        let raw = std::str::from_utf8(line).map_err(|e| e.to_string())?;
        requests.push(RawValue::from_string(raw.to_string()).map_err(|e| e.to_string())?);
    }
    let body = Body {
        content_type: "application/json".into(),
        bytes: serde_json::to_vec(&json!({ "requests": requests })).map_err(|e| e.to_string())?,
    };
    let batch = client
        .json(Method::POST, "v1/messages/batches", Some(body))
        .await?;
    batch["id"].as_str().map(str::to_string).ok_or_else(|| {
        "anthropic: POST /v1/messages/batches answered without a batch id".to_string()
    })
}

/// `GET /v1/messages/batches/{id}`.
pub(super) async fn status(client: &BatchClient, id: &str) -> Result<BatchStatus, BatchError> {
    let b = client
        .json(Method::GET, &format!("v1/messages/batches/{id}"), None)
        .await?;
    let ended = b["processing_status"] == "ended";
    let counts = &b["request_counts"];
    let count = |k: &str| counts[k].as_u64().unwrap_or(0);
    let done = count("succeeded");
    let failed = count("errored") + count("canceled") + count("expired");
    let state = match (ended, b["results_url"].as_str()) {
        (false, _) => BatchState::Running,
        (true, Some(_)) => BatchState::Ended,
        (true, None) => {
            BatchState::Failed(format!("anthropic: batch {id} ended without a results_url"))
        }
    };
    Ok(BatchStatus {
        state,
        done,
        failed,
        total: done + failed + count("processing"),
        results: b["results_url"]
            .as_str()
            .map(str::to_string)
            .into_iter()
            .collect(),
        expired: count("expired") > 0,
    })
}

/// One line of the results.
pub(super) fn line_result(v: &Value) -> LineResult {
    let result = &v["result"];
    match result["type"].as_str().unwrap_or_default() {
        "succeeded" => LineResult::Answer(result["message"].clone()),
        "expired" => LineResult::Expired,
        "canceled" => LineResult::Failed("anthropic: the batch request was canceled".into()),
        _ => {
            let e = &result["error"]["error"];
            let message = e["message"]
                .as_str()
                .or(result["error"]["message"].as_str())
                .unwrap_or("no message");
            LineResult::Failed(format!("anthropic: batch request errored: {message}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_result_type_is_read() {
        let line = |result: Value| json!({"custom_id": "ticket-1", "result": result});
        let message = json!({"type": "message", "content": []});
        assert_eq!(
            line_result(&line(json!({"type": "succeeded", "message": message}))),
            LineResult::Answer(message)
        );
        assert_eq!(
            line_result(&line(json!({"type": "expired"}))),
            LineResult::Expired
        );
        let errored = json!({"type": "errored", "error": {"type": "error", "error": {"type": "invalid_request_error", "message": "bad params"}}});
        assert_eq!(
            line_result(&line(errored)),
            LineResult::Failed("anthropic: batch request errored: bad params".into())
        );
        assert!(matches!(
            line_result(&line(json!({"type": "canceled"}))),
            LineResult::Failed(_)
        ));
    }
}
