//! The Static_Check stage as a Lambda function: a thin shell that wires
//! DynamoDB and S3 from the environment to [`cfn_validate::Validator`].

use cfn_validate::{Settings, Validator};
use lambda_runtime::Error;
use pipeline_job::{Runner, aws, logging};

fn main() -> Result<(), Error> {
    // Before anything else: started as a Guard worker (the validator runs
    // Guard in children of this binary, bounded), serve it and exit.
    guard_worker::serve_if_worker();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve())
}

async fn serve() -> Result<(), Error> {
    logging::init(env!("CARGO_CRATE_NAME"));
    let sdk = aws::load_from_env().await;
    let runner = Runner::from_sdk(&sdk);
    // Settings that cannot be used fail every job, saying so (see Runner::serve).
    let validator = Settings::from_env().map(|settings| Validator::from_sdk(&sdk, settings));
    runner
        .serve(validator, |validator, job, invocation| async move {
            validator.validate(job, invocation).await
        })
        .await
}
