//! The Service_Status stage as a Lambda function: a thin shell that wires
//! the CloudFormation client and the health checker from the environment to
//! [`service_status::ServiceStatus`].

use health_check::Checker;
use lambda_runtime::Error;
use pipeline_job::{JobReporter, Runner, aws, logging};
use service_status::ServiceStatus;

#[tokio::main]
async fn main() -> Result<(), Error> {
    logging::init();
    let sdk = aws::load_from_env().await;
    let runner = Runner::new(JobReporter::new(aws::codepipeline_client(&sdk)));
    // Bad settings fail every job with a ConfigurationError that says so,
    // rather than the function failing to start.
    let checker = Checker::from_env().map_err(|e| e.to_string());
    if let Err(error) = &checker {
        tracing::error!(%error, "the health check cannot be set up; every job will fail");
    }
    let service = ServiceStatus::new(aws_sdk_cloudformation::Client::new(&sdk), checker);
    runner
        .serve(service, |service, job, invocation| async move {
            service.check(job, invocation).await
        })
        .await
}
