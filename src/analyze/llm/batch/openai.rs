//! OpenAI's Batch API: the JSONL upload (`POST /v1/files`, multipart with
//! `purpose=batch`), `POST /v1/batches`, `GET /v1/batches/{id}` and the output and
//! error files' lines.
//!
//! A batch's `status` is `validating`, `in_progress`, `finalizing` or `cancelling`
//! while it runs, then `completed`, `expired`, `cancelled` or `failed` (its input was
//! refused as a whole; `errors.data` says why). Each line of the output file is
//! `{custom_id, response: {status_code, body}, error}`; the error file holds the
//! requests that failed, and, for an expired batch, those never run
//! (`error.code = "batch_expired"`).

use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::Method;
use serde_json::{json, Value};

use super::{BatchClient, BatchError, BatchState, BatchStatus, Body, LineResult};

const ENDPOINT: &str = "/v1/chat/completions";

/// One line of the input file.
pub(super) fn line(custom_id: &str, body: Value) -> Value {
    json!({"custom_id": custom_id, "method": "POST", "url": ENDPOINT, "body": body})
}

/// Uploads the lines as a file and creates the batch on it.
pub(super) async fn submit(client: &BatchClient, lines: &[Vec<u8>]) -> Result<String, String> {
    let file = client
        .json(Method::POST, "v1/files", Some(upload(lines)))
        .await?;
    let file_id = file["id"]
        .as_str()
        .ok_or("openai: POST /v1/files answered without a file id")?;
    let create = json!({
        "input_file_id": file_id,
        "endpoint": ENDPOINT,
        "completion_window": "24h",
    });
    let batch = client
        .json(Method::POST, "v1/batches", Some(Body::json(&create)))
        .await?;
    batch["id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| "openai: POST /v1/batches answered without a batch id".to_string())
}

/// The multipart body of the upload: `purpose=batch` and the JSONL as `file`.
fn upload(lines: &[Vec<u8>]) -> Body {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    // JSON lines never hold a raw CR LF, so the boundary cannot occur inside the file.
    let boundary = format!("zdpipe-batch-{nanos:x}");
    let mut bytes = Vec::new();
    bytes.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; \
             filename=\"zdpipe-batch.jsonl\"\r\nContent-Type: application/jsonl\r\n\r\n"
        )
        .as_bytes(),
    );
    for line in lines {
        bytes.extend_from_slice(line);
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Body {
        content_type: format!("multipart/form-data; boundary={boundary}"),
        bytes,
    }
}

/// `GET /v1/batches/{id}`.
pub(super) async fn status(client: &BatchClient, id: &str) -> Result<BatchStatus, BatchError> {
    let b = client
        .json(Method::GET, &format!("v1/batches/{id}"), None)
        .await?;
    let status = b["status"].as_str().unwrap_or_default();
    let state = match status {
        "completed" | "expired" | "cancelled" => BatchState::Ended,
        "failed" => BatchState::Failed(format!(
            "openai: batch {id} failed: {}",
            b["errors"]["data"][0]["message"]
                .as_str()
                .unwrap_or("no reason given")
        )),
        _ => BatchState::Running,
    };
    let counts = &b["request_counts"];
    let count = |k: &str| counts[k].as_u64().unwrap_or(0);
    let results = ["output_file_id", "error_file_id"]
        .iter()
        .filter_map(|k| b[k].as_str().map(str::to_string))
        .collect();
    Ok(BatchStatus {
        state,
        done: count("completed"),
        failed: count("failed"),
        total: count("total"),
        results,
        expired: status == "expired",
    })
}

/// One line of the output or error file.
pub(super) fn line_result(v: &Value) -> LineResult {
    let error = &v["error"];
    if !error.is_null() {
        if error["code"] == "batch_expired" {
            return LineResult::Expired;
        }
        let message = error["message"].as_str().unwrap_or("no message");
        return LineResult::Failed(format!("openai: batch request failed: {message}"));
    }
    let response = &v["response"];
    let code = response["status_code"].as_u64().unwrap_or(0);
    if (200..300).contains(&code) {
        return LineResult::Answer(response["body"].clone());
    }
    let message = response["body"]["error"]["message"]
        .as_str()
        .unwrap_or("no message");
    LineResult::Failed(format!("openai: HTTP {code}: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_and_error_lines_are_told_apart() {
        let ok = json!({"custom_id": "ticket-1", "response": {"status_code": 200, "body": {"id": "x"}}, "error": null});
        assert_eq!(line_result(&ok), LineResult::Answer(json!({"id": "x"})));
        let refused = json!({"custom_id": "ticket-2", "response": {"status_code": 400, "body": {"error": {"message": "too long"}}}, "error": null});
        assert_eq!(
            line_result(&refused),
            LineResult::Failed("openai: HTTP 400: too long".into())
        );
        let expired = json!({"custom_id": "ticket-3", "response": null, "error": {"code": "batch_expired", "message": "late"}});
        assert_eq!(line_result(&expired), LineResult::Expired);
    }

    #[test]
    fn the_upload_is_multipart_with_purpose_batch() {
        let body = upload(&[b"{\"a\":1}".to_vec(), b"{\"b\":2}".to_vec()]);
        let boundary = body.content_type.split("boundary=").nth(1).unwrap();
        let text = String::from_utf8(body.bytes).unwrap();
        assert!(text.starts_with(&format!("--{boundary}\r\n")));
        assert!(text.contains("name=\"purpose\"\r\n\r\nbatch\r\n"));
        assert!(text.contains("\r\n\r\n{\"a\":1}\n{\"b\":2}\n\r\n"));
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
    }
}
