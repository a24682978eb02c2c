//! Reading jobs and their parameters: no network.

use codepipeline_types::DecodeError;
use codepipeline_types::{FailureKind, Job, Secret, params};
use harness::events::JobEvent;
use serde::Deserialize;
use serde_json::json;

#[test]
fn a_full_job_event_is_read() {
    let event = JobEvent::new()
        .user_parameters(r#"{"input": "SourceArtifact", "file": "t.json"}"#)
        .input_artifact("SourceArtifact", "artifacts", "pipe/Source/abc.zip")
        .output_artifact("Validated", "artifacts", "pipe/Valid/def.zip")
        .continuation_token("token-1")
        .encryption_key("arn:aws:kms:us-east-1:111111111111:key/1234");
    let job = Job::decode(&event.build()).unwrap();
    assert_eq!(job.id, event.job_id);
    assert_eq!(
        job.user_parameters(),
        Some(r#"{"input": "SourceArtifact", "file": "t.json"}"#)
    );
    assert_eq!(job.data.input_artifacts[0].name, "SourceArtifact");
    let location = job.data.input_artifacts[0].s3_location().unwrap();
    assert_eq!(location.to_string(), "s3://artifacts/pipe/Source/abc.zip");
    assert_eq!(job.data.output_artifacts[0].name, "Validated");
    assert_eq!(job.data.continuation_token.as_deref(), Some("token-1"));
    assert_eq!(job.data.encryption_key.as_ref().unwrap().kind, "KMS");
    let credentials = job.data.artifact_credentials.as_ref().unwrap();
    assert_eq!(
        credentials.secret_access_key.expose(),
        event.credentials.secret_access_key
    );
    assert!(credentials.expiration_time.is_some());
}

#[test]
fn debug_output_never_shows_the_secret_key_or_the_session_token() {
    let event = JobEvent::new().input_artifact("SourceArtifact", "b", "k");
    let job = Job::decode(&event.build()).unwrap();
    let shown = format!("{job:?} {job:#?} {:?}", job.data.artifact_credentials);
    for secret in event.credentials.secrets() {
        assert!(
            !shown.contains(secret),
            "Debug shows a credential: {secret}"
        );
    }
    assert!(shown.contains("secret_access_key: ***"));
}

#[test]
fn an_event_without_a_job_id_has_nobody_to_report_to() {
    for event in [
        json!("not an object"),
        json!({}),
        json!({"CodePipeline.job": {}}),
        json!({"CodePipeline.job": {"id": ""}}),
        json!({"CodePipeline.job": {"id": 7, "data": {}}}),
    ] {
        assert_eq!(
            Job::decode(&event).unwrap_err(),
            DecodeError::NoJobId,
            "{event}"
        );
    }
}

#[test]
fn a_malformed_job_names_the_field() {
    let id = "11111111-2222-3333-4444-555555555555";
    let no_data = Job::decode(&json!({"CodePipeline.job": {"id": id}})).unwrap_err();
    assert_eq!(
        no_data,
        DecodeError::Malformed {
            job_id: id.into(),
            message: "CodePipeline.job.data is missing".into()
        }
    );
    let bad_artifact =
        json!({"CodePipeline.job": {"id": id, "data": {"inputArtifacts": [{"name": "A"}]}}});
    let DecodeError::Malformed { message, .. } = Job::decode(&bad_artifact).unwrap_err() else {
        panic!("expected Malformed");
    };
    assert_eq!(
        message,
        "CodePipeline.job.data.inputArtifacts[0]: missing field `location`"
    );
    let bad_expiry = json!({"CodePipeline.job": {"id": id, "data": {"artifactCredentials": {
        "accessKeyId": "a", "secretAccessKey": "s", "sessionToken": "t", "expirationTime": "soon"}}}});
    let DecodeError::Malformed { message, .. } = Job::decode(&bad_expiry).unwrap_err() else {
        panic!("expected Malformed");
    };
    assert!(
        message.contains("expirationTime \"soon\" is not a number"),
        "{message}"
    );
    assert!(
        !message.contains("\"s\""),
        "the message must not echo the secret: {message}"
    );
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Example {
    input: String,
    file: String,
    #[serde(default)]
    output: Option<String>,
}

fn job_with(parameters: Option<&str>) -> Job {
    let mut event = JobEvent::new();
    if let Some(p) = parameters {
        event = event.user_parameters(p);
    }
    let mut value = event.build();
    if parameters.is_none() {
        value["CodePipeline.job"]["data"]["actionConfiguration"]["configuration"]
            .as_object_mut()
            .unwrap()
            .remove("UserParameters");
    }
    Job::decode(&value).unwrap()
}

fn parameter_error(parameters: Option<&str>) -> String {
    let job = job_with(parameters);
    let error = params::raw(&job)
        .and_then(params::json::<Example>)
        .expect_err("parameters must be rejected");
    assert_eq!(error.kind, FailureKind::ConfigurationError);
    error.message
}

#[test]
fn user_parameters_errors_say_which_field_is_wrong() {
    assert_eq!(parameter_error(None), "the action has no UserParameters");
    assert_eq!(
        parameter_error(Some("  ")),
        "the action's UserParameters are empty"
    );
    assert_eq!(
        parameter_error(Some(&format!("{{\"input\": \"{}\"}}", "x".repeat(1000)))),
        "UserParameters are 1013 characters long; CodePipeline allows at most 1000"
    );
    assert!(
        parameter_error(Some("input=Source"))
            .starts_with("UserParameters are not valid JSON: expected value")
    );
    assert_eq!(
        parameter_error(Some("[1]")),
        "UserParameters must be a JSON object, not an array"
    );
    assert_eq!(
        parameter_error(Some(r#"{"input": "A"}"#)),
        "UserParameters: missing field `file`"
    );
    assert_eq!(
        parameter_error(Some(r#"{"input": "A", "file": 3}"#)),
        "UserParameters.file: invalid type: integer `3`, expected a string"
    );
    let ok: Example =
        params::json(params::raw(&job_with(Some(r#"{"input": "A", "file": "f"}"#))).unwrap())
            .unwrap();
    assert_eq!(
        (ok.input.as_str(), ok.file.as_str(), ok.output),
        ("A", "f", None)
    );
}

#[test]
fn missing_artifacts_are_configuration_errors_that_list_what_is_there() {
    let job = Job::decode(
        &JobEvent::new()
            .input_artifact("SourceArtifact", "b", "k")
            .build(),
    )
    .unwrap();
    let error = job.data.input_artifact("BuildArtifact").unwrap_err();
    assert_eq!(error.kind, FailureKind::ConfigurationError);
    assert_eq!(
        error.message,
        "input artifact \"BuildArtifact\" not found; the action's input artifacts are SourceArtifact"
    );
    let error = job.data.output_artifact("Out").unwrap_err();
    assert_eq!(
        error.message,
        "output artifact \"Out\" not found; the action has no output artifacts"
    );
}

#[test]
fn an_artifact_not_in_s3_is_a_configuration_error() {
    let mut event = JobEvent::new()
        .input_artifact("SourceArtifact", "b", "k")
        .build();
    event["CodePipeline.job"]["data"]["inputArtifacts"][0]["location"] =
        json!({"type": "CodeCommit"});
    let job = Job::decode(&event).unwrap();
    let error = job.data.input_artifacts[0].s3_location().unwrap_err();
    assert_eq!(error.kind, FailureKind::ConfigurationError);
    assert_eq!(
        error.message,
        "artifact \"SourceArtifact\" is stored in CodeCommit, not S3"
    );
}

/// Found by `fuzz/run.sh job_event` (crash-0e0bc88a): the fuzzer copied the
/// secret key's text into `accountId`, a field shown on purpose. A check of
/// the form "Debug does not contain the secret" then fails without a leak;
/// the sound property is that Debug does not depend on the secrets at all.
#[test]
fn debug_output_does_not_depend_on_the_secrets_even_when_other_fields_hold_their_text() {
    let secret = "FREsecrztACCESSkeyNOTREAL0000000000024";
    let token = "IXTUREsessionTOKENnotxxxxxxxxxxxxxxxxxxxxx2";
    let event = json!({"CodePipeline.job": {
        "id": "3e1a7c3d-2b4f-4e68*-9a0c-1d2e3f4a5b02",
        "accountId": format!("111111 {secret} {token}"),
        "data": {
            "artifactCredentials": {
                "accessKeyId": "ASIAFAKEFIXTURE00012",
                "secretAccessKey": secret,
                "sessionToken": token,
                "expirationTime": 4_102_444_800_000_u64
            }
        }
    }});
    let job = Job::decode(&event).unwrap();
    let mut other = job.clone();
    let credentials = other.data.artifact_credentials.as_mut().unwrap();
    credentials.secret_access_key = Secret::new("another secret");
    credentials.session_token = Secret::new("another token");

    assert_eq!(format!("{job:?}"), format!("{other:?}"));
    assert!(format!("{job:?}").contains("secret_access_key: ***"));
}
