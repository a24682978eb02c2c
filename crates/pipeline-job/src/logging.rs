//! Structured logs: one JSON line per event in Lambda.
//!
//! Lambda sets `AWS_LAMBDA_LOG_FORMAT=JSON` when the function's log format is
//! JSON (cicd.yaml sets it); the level comes from `AWS_LAMBDA_LOG_LEVEL` or
//! `RUST_LOG`. Panics are logged through the same subscriber, so they too
//! are one JSON line instead of free text on stderr. The hook sees every
//! panic, in any thread (the runtime's, an SDK's, the handler's), so it
//! says where it happened and no more; the runner logs, and reports, the
//! ones that end a handler.

/// Sets up logging for a Lambda function. Call once, first thing in `main`.
pub fn init() {
    lambda_runtime::tracing::init_default_subscriber();
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let thread = std::thread::current();
        tracing::error!(
            panic = %panic_message(info.payload()),
            %location,
            thread = thread.name().unwrap_or("unnamed"),
            "panicked"
        );
    }));
}

/// The message a panic was raised with.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_string()
    }
}
