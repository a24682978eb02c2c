//! `UserParameters.baseline`: the job's template compared with the one a
//! deployed stack was last deployed with, so that Static_Check fails only
//! on what the commit adds. In process, the stacks in memory
//! (`MemoryStacks`); CloudFormation's answers moto does not give (denied,
//! throttled) through `aws-smithy-mocks`; the real SDK against moto in
//! `end_to_end.rs`.

mod support;

use aws_sdk_cloudformation::error::ErrorMetadata;
use aws_sdk_cloudformation::operation::get_template::{GetTemplateError, GetTemplateOutput};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use cfn_validate::{CloudFormationTemplates, DeployedTemplates, MemoryStacks, REPORT_FILE};
use pipeline_job::{FailureKind, JobError, Outcome};
use serde_json::{Value, json};
use support::in_memory::*;
use support::{DEPLOYED, ONE_MORE_PORT};

const STACK: &str = "calculator-prod";

fn parameters() -> String {
    json!({"input": "SourceArtifact", "file": support::APP_TEMPLATE, "output": COPIES,
           "baseline": {"stack": STACK}})
    .to_string()
}

async fn validate(template: &str, stacks: MemoryStacks) -> Result<Outcome, JobError> {
    validate_with(template, stacks, &parameters()).await
}

async fn validate_with(
    template: &str,
    stacks: impl DeployedTemplates,
    parameters: &str,
) -> Result<Outcome, JobError> {
    let stage = InMemory::with_app_template(template.as_bytes());
    stage
        .validator(default_rules())
        .with_deployed(stacks)
        .validate(job(&stage.event(parameters)), invocation())
        .await
}

#[tokio::test]
async fn a_template_that_opens_one_more_port_fails_on_exactly_that_finding() {
    let stacks = MemoryStacks::new().with(STACK, DEPLOYED);
    let (kind, message) = failed(validate(ONE_MORE_PORT, stacks).await);
    assert_eq!(kind, "JobFailed");
    assert_eq!(
        message,
        "cloudformation/application.json has risk 100 (fails from 50); 1 new, 1 existing in stack calculator-prod (not counted):\n\
         IngressOpenToWorld on AdminSg (line 2): SecurityGroupIngress[1] admits tcp 8443 from 0.0.0.0/0 [risk 100]\n\
         existing (in the baseline already; not counted):\n\
         IngressOpenToWorld on WebSg (line 9): SecurityGroupIngress[0] admits tcp 80 from 0.0.0.0/0 [risk 100, existing]"
    );
}

#[tokio::test]
async fn the_same_open_port_already_deployed_passes_and_says_what_exists() {
    let stacks = MemoryStacks::new().with(STACK, ONE_MORE_PORT);
    let stage = InMemory::with_app_template(ONE_MORE_PORT.as_bytes());
    let result = stage
        .validator(default_rules())
        .with_deployed(stacks)
        .validate(job(&stage.event(&parameters())), invocation())
        .await;
    let (summary, variables) = passed(result);
    assert_eq!(
        summary,
        "no new risk found in cloudformation/application.json; 0 new, 2 existing in stack calculator-prod (not counted)\n\
         existing (in the baseline already; not counted):\n\
         IngressOpenToWorld on AdminSg (line 2): SecurityGroupIngress[1] admits tcp 8443 from 0.0.0.0/0 [risk 100, existing]\n\
         IngressOpenToWorld on WebSg (line 9): SecurityGroupIngress[0] admits tcp 80 from 0.0.0.0/0 [risk 100, existing]"
    );
    assert_eq!(variables["verdict"], "pass");
    assert_eq!(variables["findings"], "0");
    assert_eq!(variables["new"], "0");
    assert_eq!(variables["existing"], "2");
    // The report in the output artifact says it too, finding by finding.
    let report: Value = serde_json::from_slice(&stage.output().unwrap()[REPORT_FILE]).unwrap();
    let template = &report["templates"][0];
    assert_eq!(template["baseline"]["against"], "stack calculator-prod");
    assert_eq!(template["baseline"]["existing"], 2);
    assert_eq!(template["findings"][0]["baseline"], "existing");
    assert!(
        template["findings"][0]["fingerprint"]
            .as_str()
            .unwrap()
            .starts_with("v1:")
    );
}

#[tokio::test]
async fn a_stack_not_created_yet_makes_every_finding_new() {
    let (kind, message) = failed(validate(ONE_MORE_PORT, MemoryStacks::new()).await);
    assert_eq!(kind, "JobFailed");
    assert!(
        message.starts_with(
            "cloudformation/application.json has risk 200 (fails from 50); 2 new, 0 existing in stack calculator-prod, which does not exist yet (not counted):\n"
        ),
        "{message}"
    );
}

#[tokio::test]
async fn a_baseline_that_cannot_be_read_is_never_everything_existing() {
    for (error, kind) in [
        (JobError::permission("not allowed"), "PermissionError"),
        (JobError::failed("throttled"), "JobFailed"),
        (JobError::configuration("bad name"), "ConfigurationError"),
    ] {
        let stacks = MemoryStacks::new().failing(STACK, error.clone());
        let (got, message) = failed(validate(DEPLOYED, stacks).await);
        assert_eq!((got.as_str(), message), (kind, error.message));
    }
    // A template CloudFormation holds but the check cannot read.
    let stacks = MemoryStacks::new().with(STACK, "Resources: [not, a, mapping");
    let (kind, message) = failed(validate(DEPLOYED, stacks).await);
    assert_eq!(kind, "ConfigurationError");
    assert!(
        message.starts_with("the template of stack calculator-prod (UserParameters.baseline) cannot be read as a CloudFormation template: "),
        "{message}"
    );
}

#[tokio::test]
async fn baseline_parameters_that_cannot_be_used_are_configuration_errors() {
    for (baseline, expected) in [
        (
            json!({"stack": " "}),
            "UserParameters.baseline.stack is empty (leave baseline out to count every finding)",
        ),
        (
            json!({"stack": STACK, "stage": "prod"}),
            "UserParameters.baseline.stage: unknown field `stage`",
        ),
        (
            json!("calculator-prod"),
            "UserParameters.baseline: invalid type",
        ),
    ] {
        let parameters =
            json!({"input": "SourceArtifact", "file": support::APP_TEMPLATE, "baseline": baseline})
                .to_string();
        let (kind, message) =
            failed(validate_with(DEPLOYED, MemoryStacks::new(), &parameters).await);
        assert_eq!(kind, "ConfigurationError");
        assert!(message.starts_with(expected), "{message}");
    }
    // A validator that reads no stacks says so.
    let stage = InMemory::with_app_template(DEPLOYED.as_bytes());
    let (kind, message) = failed(stage.validate(&stage.event(&parameters())).await);
    assert_eq!(kind, "ConfigurationError");
    assert_eq!(
        message,
        "UserParameters.baseline names stack calculator-prod, but this function reads no stacks"
    );
}

// --- CloudFormation's answers ---------------------------------------------------------

fn cfn_error(code: &str, message: &str) -> GetTemplateError {
    GetTemplateError::generic(ErrorMetadata::builder().code(code).message(message).build())
}

#[tokio::test]
async fn get_template_reads_the_original_template() {
    let answered = mock!(aws_sdk_cloudformation::Client::get_template)
        .match_requests(|r| {
            r.stack_name() == Some(STACK)
                && r.template_stage()
                    == Some(&aws_sdk_cloudformation::types::TemplateStage::Original)
        })
        .then_output(|| GetTemplateOutput::builder().template_body(DEPLOYED).build());
    let empty = mock!(aws_sdk_cloudformation::Client::get_template)
        .then_output(|| GetTemplateOutput::builder().build());
    let cfn = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::Sequential,
        [&answered, &empty]
    );
    let stacks = CloudFormationTemplates::new(cfn);
    assert_eq!(
        stacks.original_template(STACK).await.unwrap().as_deref(),
        Some(DEPLOYED)
    );
    let error = stacks.original_template(STACK).await.unwrap_err();
    assert_eq!(error.kind, FailureKind::ConfigurationError);
    assert_eq!(
        error.message,
        "CloudFormation returned no template for stack calculator-prod (UserParameters.baseline)"
    );
}

#[tokio::test]
async fn each_get_template_error_is_reported_as_what_it_means() {
    let missing = mock!(aws_sdk_cloudformation::Client::get_template).then_error(|| {
        cfn_error(
            "ValidationError",
            "Stack with id calculator-prod does not exist",
        )
    });
    let malformed = mock!(aws_sdk_cloudformation::Client::get_template).then_error(|| {
        cfn_error("ValidationError", "1 validation error detected: Value 'bad name!' at 'stackName' failed to satisfy constraint")
    });
    let denied = mock!(aws_sdk_cloudformation::Client::get_template).then_error(|| {
        cfn_error("AccessDenied", "User: arn:aws:sts::111111111111:assumed-role/cfn-validate/fn is not authorized to perform: cloudformation:GetTemplate")
    });
    let broken = mock!(aws_sdk_cloudformation::Client::get_template)
        .then_error(|| cfn_error("SomethingUnexpected", "it broke"));
    let cfn = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::Sequential,
        [&missing, &malformed, &denied, &broken]
    );
    let stacks = CloudFormationTemplates::new(cfn);
    assert_eq!(stacks.original_template(STACK).await, Ok(None));
    let error = stacks.original_template("bad name!").await.unwrap_err();
    assert_eq!(error.kind, FailureKind::ConfigurationError);
    assert_eq!(
        error.message,
        "cannot read the template of stack bad name! (UserParameters.baseline): 1 validation error detected: Value 'bad name!' at 'stackName' failed to satisfy constraint"
    );
    let error = stacks.original_template(STACK).await.unwrap_err();
    assert_eq!(error.kind, FailureKind::PermissionError);
    assert_eq!(
        error.message,
        "not allowed to read the template of stack calculator-prod (cloudformation:GetTemplate), the baseline: User: arn:aws:sts::111111111111:assumed-role/cfn-validate/fn is not authorized to perform: cloudformation:GetTemplate"
    );
    let error = stacks.original_template(STACK).await.unwrap_err();
    assert_eq!(error.kind, FailureKind::JobFailed);
    assert!(
        error
            .message
            .starts_with("could not read the template of stack calculator-prod (the baseline): "),
        "{}",
        error.message
    );
    assert!(error.message.contains("it broke"), "{}", error.message);
}

#[tokio::test]
async fn throttling_past_the_retries_fails_the_job_saying_so() {
    let throttled = mock!(aws_sdk_cloudformation::Client::get_template)
        .sequence()
        .error(|| cfn_error("Throttling", "Rate exceeded"))
        .times(3)
        .build();
    let cfn = mock_client!(
        aws_sdk_cloudformation,
        RuleMode::Sequential,
        [&throttled],
        |c| c.retry_config(
            aws_sdk_cloudformation::config::retry::RetryConfig::standard().with_max_attempts(3)
        )
    );
    let error = CloudFormationTemplates::new(cfn)
        .original_template(STACK)
        .await
        .unwrap_err();
    assert_eq!(error.kind, FailureKind::JobFailed);
    assert_eq!(
        error.message,
        "CloudFormation kept throttling GetTemplate for stack calculator-prod (the baseline) after retries: Rate exceeded"
    );
    assert_eq!(throttled.num_calls(), 3);
}
