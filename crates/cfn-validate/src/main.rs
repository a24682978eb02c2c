//! The Static_Check stage as a Lambda function: a thin shell that wires AWS
//! clients from the environment to [`cfn_validate::Validator`].

use cfn_validate::{Settings, Validator};
use lambda_runtime::Error;
use pipeline_job::{JobReporter, Runner, aws, logging};

#[tokio::main]
async fn main() -> Result<(), Error> {
    logging::init();
    let sdk = aws::load_from_env().await;
    let runner = Runner::new(JobReporter::new(aws::codepipeline_client(&sdk)));
    let validator = Validator::new(&sdk, Settings::from_env());
    runner
        .serve(validator, |validator, job, invocation| async move {
            validator.validate(job, invocation).await
        })
        .await
}
