//! The CloudFormation Lambda Hook as a function: a thin shell that wires
//! the rules table and the payload client from the environment to
//! [`cfn_hook::Hook`], under [`cfn_hook::runner::HookRunner`].

use cfn_hook::runner::HookRunner;
use cfn_hook::{Hook, HookSettings};
use lambda_runtime::Error;
use pipeline_job::{aws, logging};

fn main() -> Result<(), Error> {
    // Before anything else: started as a Guard worker (the Hook runs Guard
    // in children of this binary, bounded), serve it and exit.
    guard_worker::serve_if_worker();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve())
}

async fn serve() -> Result<(), Error> {
    logging::init(env!("CARGO_CRATE_NAME"));
    let sdk = aws::load_from_env().await;
    // Settings that cannot be used fail every invocation, saying so.
    let hook = HookSettings::from_env()
        .map_err(|e| e.to_string())
        .and_then(|settings| Hook::from_sdk(&sdk, settings).map_err(|e| e.to_string()));
    HookRunner::new()
        .serve(hook, |hook, event, invocation| async move {
            hook.answer(event, invocation).await
        })
        .await
}
