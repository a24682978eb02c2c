//! The Static_Check stage as a Lambda function: a thin shell that wires AWS
//! clients from the environment to [`cfn_validate::Validator`].

use std::sync::Arc;

use cfn_validate::{Settings, Validator};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use pipeline_job::{JobReporter, Runner, aws, logging};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    logging::init();
    let sdk = aws::load_from_env().await;
    let runner = Arc::new(Runner::new(JobReporter::new(aws::codepipeline_client(
        &sdk,
    ))));
    let validator = Arc::new(Validator::new(&sdk, Settings::from_env()));

    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let runner = Arc::clone(&runner);
        let validator = Arc::clone(&validator);
        async move {
            runner
                .run(event, move |job, invocation| async move {
                    validator.validate(job, invocation).await
                })
                .await
        }
    }))
    .await
}
