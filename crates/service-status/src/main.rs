//! The Service_Status stage as a Lambda function: a thin shell that wires
//! the AWS clients (CloudFormation, ELBv2, CloudWatch) and the health
//! checker from the environment to [`service_status::ServiceStatus`].

use health_check::Checker;
use lambda_runtime::Error;
use pipeline_job::{Runner, aws, logging};
use release_signals::AwsSignals;
use service_status::ServiceStatus;

#[tokio::main]
async fn main() -> Result<(), Error> {
    logging::init(env!("CARGO_CRATE_NAME"));
    let sdk = aws::load_from_env().await;
    let runner = Runner::from_sdk(&sdk);
    let signals = AwsSignals::from_sdk(&sdk);
    // Settings that cannot be used fail every job, saying so (see Runner::serve).
    let service = Checker::from_env().map(|checker| ServiceStatus::new(signals, checker));
    runner
        .serve(service, |service, job, invocation| async move {
            service.check(job, invocation).await
        })
        .await
}
