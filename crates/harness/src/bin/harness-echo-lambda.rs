//! A tiny Lambda function built on the real `lambda_runtime` crate, used by
//! the harness's own tests to prove that `harness::runtime_api` speaks the
//! protocol the real runtime client expects.
//!
//! Event `{"fail": "msg"}` → an error; `{"sleep_ms": n}` → sleeps first;
//! anything else → `{"echo": <event>, "request_id", "deadline_ms",
//! "function_arn", "aws_env": [names of AWS_* variables]}`.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

async fn handle(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let (payload, context) = event.into_parts();
    println!("handling request {}", context.request_id);
    if let Some(message) = payload.get("fail").and_then(Value::as_str) {
        return Err(message.to_string().into());
    }
    if let Some(ms) = payload.get("sleep_ms").and_then(Value::as_u64) {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
    let mut aws_env: Vec<String> = std::env::vars()
        .map(|(k, _)| k)
        .filter(|k| k.starts_with("AWS_"))
        .collect();
    aws_env.sort();
    Ok(json!({
        "echo": payload,
        "request_id": context.request_id,
        "deadline_ms": context.deadline,
        "function_arn": context.invoked_function_arn,
        "aws_env": aws_env,
    }))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(handle)).await
}
