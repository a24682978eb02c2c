//! The fake's HTTP server: the job API on `POST /`, and the test-only
//! admin routes.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::protocol::{self, JobReport, TARGET_PREFIX, aws_response};
use super::recording::{Fault, Inner, RecordedCall, Shared, fault_answer};

pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", post(handle))
        .route("/_reports", get(admin_reports))
        .route("/_calls", get(admin_calls))
        .route("/_reset", post(admin_reset))
        .with_state(shared)
}

async fn admin_reports(State(shared): State<Arc<Shared>>) -> Response {
    let reports: Vec<Value> = shared
        .lock()
        .reports
        .iter()
        .map(JobReport::to_json)
        .collect();
    axum::Json(reports).into_response()
}

async fn admin_calls(State(shared): State<Arc<Shared>>) -> Response {
    let calls: Vec<Value> = shared
        .lock()
        .calls
        .iter()
        .map(|c| {
            json!({
                "operation": c.operation,
                "body": c.body,
                "response_status": c.response_status,
                "response_body": c.response_body,
                "fault": c.fault.as_ref().map(|f| format!("{f:?}")),
            })
        })
        .collect();
    axum::Json(calls).into_response()
}

async fn admin_reset(State(shared): State<Arc<Shared>>) -> StatusCode {
    *shared.lock() = Inner::default();
    StatusCode::NO_CONTENT
}

/// `POST /`: one call of the job API, recorded whatever its fate.
async fn handle(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let received_at = Instant::now();
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let operation = target
        .strip_prefix(TARGET_PREFIX)
        .map(str::to_string)
        .unwrap_or_else(|| target.clone());
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    let recorded_body = parsed
        .clone()
        .unwrap_or_else(|| Value::String(String::from_utf8_lossy(&body).into_owned()));
    let fault = shared.lock().take_fault(&operation);

    let finish = |status: u16, response_body: Value, report: Option<JobReport>| {
        shared.record(
            RecordedCall {
                operation: operation.clone(),
                body: recorded_body.clone(),
                response_status: status,
                response_body: response_body.clone(),
                fault: fault.clone(),
                received_at,
            },
            report,
        );
        aws_response(status, &response_body)
    };

    match &fault {
        Some(Fault::Hang) => {
            shared.record(
                RecordedCall {
                    operation: operation.clone(),
                    body: recorded_body.clone(),
                    response_status: 0,
                    response_body: Value::Null,
                    fault: fault.clone(),
                    received_at,
                },
                None,
            );
            std::future::pending::<()>().await;
            unreachable!("a pending future never completes")
        }
        Some(Fault::Delay(delay)) => tokio::time::sleep(*delay).await,
        Some(other) => {
            let (status, body) = fault_answer(other).expect("status faults have an answer");
            return finish(status, body, None);
        }
        None => {}
    }

    let report = match protocol::read_report(&target, parsed.as_ref()) {
        Ok(report) => report,
        Err(error) => return finish(400, error, None),
    };
    // Checked and moved on under one lock, so two racing reports for one
    // job cannot both be accepted.
    let completed = shared.lock().complete(&report);
    match completed {
        Ok(()) => finish(200, json!({}), Some(report)),
        Err(error) => finish(400, error, None),
    }
}
