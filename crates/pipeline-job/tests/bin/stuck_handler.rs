//! A Lambda function whose handler starts work that never checks its stop
//! flag (it sleeps for ten minutes): what `tests/stopping.rs` runs under
//! the local Runtime API to see the runner end the process once the
//! stopped invocation is reported and answered. A test fixture, not a
//! stage: it is configured like the stages, through the standard AWS
//! environment.

use std::time::Duration;

use lambda_runtime::Error;
use pipeline_job::{Outcome, Runner, aws, logging};

#[tokio::main]
async fn main() -> Result<(), Error> {
    logging::init(env!("CARGO_CRATE_NAME"));
    let sdk = aws::load_from_env().await;
    let runner = Runner::from_sdk(&sdk);
    runner
        .serve(Ok::<(), String>(()), |_, _job, invocation| async move {
            invocation
                .spawn_blocking(|| std::thread::sleep(Duration::from_secs(600)))
                .await;
            Ok(Outcome::success("the work ended"))
        })
        .await
}
