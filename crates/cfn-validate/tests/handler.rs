//! `Validator::validate` in process, on every decision path: the rules and
//! the artifacts are in memory (`support::in_memory`), so each case states
//! exactly what the handler read, decided and wrote, with no emulator.

mod support;

use artifacts::ArtifactError;
use cfn_validate::{FLAGGED_COPY, REPORT_FILE, VALID_COPY};
use harness::events::JobEvent;
use harness::workspace_root;
use rules_table::{MemoryRules, TableError};
use serde_json::{Value, json};
use support::in_memory::*;
use support::{APP_TEMPLATE, OUTPUT_KEY, SOURCE_KEY, fixture};
use template_rules::{CLOUDFORMATION_MAX_TEMPLATE_BYTES, RuleItem};

fn calculator_template() -> Vec<u8> {
    std::fs::read(workspace_root().join("calculator").join(APP_TEMPLATE)).unwrap()
}

fn item(id: &str, ruletype: &str, ruledata: &str, active: &str) -> RuleItem {
    serde_json::from_value(json!({
        "rule": id, "category": "SecurityGroup", "ruletype": ruletype,
        "ruledata": ruledata, "riskvalue": 100, "active": active
    }))
    .unwrap()
}

// --- Verdicts, and what each leaves behind -----------------------------------

#[tokio::test]
async fn a_passing_template_succeeds_and_its_outputs_hold_it_unchanged_with_the_report() {
    let stage = InMemory::new();
    let template = calculator_template();
    stage.source(&[(APP_TEMPLATE, &template), ("service.js", b"// app")]);
    let event = stage.event(&InMemory::app_parameters());

    let (summary, variables) = passed(stage.validate(&event).await);
    // The default rules only: the template's suppressions of the standard
    // pack's rules are warned about, not applied.
    assert_eq!(
        summary.lines().next(),
        Some("no risk found in cloudformation/application.json")
    );
    assert!(
        summary.contains("suppresses ElbDeletionProtection, which is not a rule in this rule set"),
        "{summary}"
    );
    let variables: Vec<(&str, &str)> = variables
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        variables,
        [
            ("existing", "0"),
            ("findings", "0"),
            ("new", "0"),
            ("risk", "0"),
            ("suppressed", "0"),
            ("unresolved", "0"),
            ("verdict", "pass")
        ]
    );

    let output = stage.output().expect("the output artifact is written");
    assert_eq!(
        output.keys().collect::<Vec<_>>(),
        [APP_TEMPLATE, REPORT_FILE]
    );
    assert_eq!(output[APP_TEMPLATE], template, "the template, unchanged");
    let report: Value = serde_json::from_slice(&output[REPORT_FILE]).unwrap();
    assert_eq!(report["templates"][0]["path"], APP_TEMPLATE);
    assert_eq!(report["templates"][0]["verdict"], "pass");
    assert_eq!(report["templates"][0]["risk"], 0);

    let copy = stage
        .copy(VALID_COPY)
        .expect("the copy in the output bucket");
    assert_eq!(copy["application.json"], template);
    assert_eq!(copy[REPORT_FILE], output[REPORT_FILE]);
    assert!(stage.copy(FLAGGED_COPY).is_none());

    // The job's artifacts were reached with the job's credentials, the copy
    // with the function's own (the store was used as it is, for no job).
    assert_eq!(
        stage.artifacts.job_key_ids(),
        [event.credentials.access_key_id.as_str()]
    );
    assert!(stage.own.job_key_ids().is_empty());
    assert_eq!(stage.own.locations().len(), 1);
}

#[tokio::test]
async fn a_flagged_template_succeeds_asks_for_approval_and_goes_on() {
    let stage = InMemory::new();
    stage.source(&[("templates/old-ami.yaml", &fixture("old-ami.yaml"))]);
    let event = stage.event(&InMemory::parameters("templates/old-ami.yaml"));

    let (summary, variables) = passed(stage.validate_with(all_active_rules(), &event).await);
    assert_eq!(
        summary,
        "manual approval needed: templates/old-ami.yaml has risk 10 (flagged from 5, fails from 50)\nForbiddenAMIs on Legacy (line 3): ImageId ami-7a11e211 is a forbidden AMI [risk 10]"
    );
    assert_eq!(variables["verdict"], "flagged");
    assert_eq!(variables["risk"], "10");
    assert_eq!(variables["findings"], "1");

    let copy = stage.copy(FLAGGED_COPY).expect("flagged copy");
    assert_eq!(copy["old-ami.yaml"], fixture("old-ami.yaml"));
    assert!(stage.copy(VALID_COPY).is_none());
    let output = stage.output().expect("a flagged template goes on");
    let report: Value = serde_json::from_slice(&output[REPORT_FILE]).unwrap();
    assert_eq!(report["templates"][0]["verdict"], "flagged");
}

#[tokio::test]
async fn a_failing_template_fails_naming_rules_and_resources_and_nothing_is_written() {
    let stage = InMemory::new();
    stage.source(&[("bastion.yaml", &fixture("bastion-ssh-open.yaml"))]);
    let event = stage.event(&InMemory::parameters("bastion.yaml"));

    let (kind, message) = failed(stage.validate(&event).await);
    assert_eq!(kind, "JobFailed");
    assert_eq!(
        message,
        "bastion.yaml has risk 200 (fails from 50):\n\
         IngressOpenToWorld on BastionSg (line 15): SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0 (default of parameter SshLocation); SecurityGroupIngress[1] admits tcp 22 from ::/0 [risk 100]\n\
         SSHOpenToWorld on BastionSg (line 15): SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0 (default of parameter SshLocation); SecurityGroupIngress[1] admits tcp 22 from ::/0 [risk 100]"
    );
    assert!(
        stage.output().is_none(),
        "nothing goes on from a failed check"
    );
    assert_eq!(stage.artifacts.locations().len(), 1, "only the source");
    assert!(stage.own.locations().is_empty());
}

#[tokio::test]
async fn output_artifacts_are_encrypted_with_the_pipelines_key_when_it_has_one() {
    let key = "arn:aws:kms:us-east-1:111111111111:key/0f1e2d3c-aaaa-bbbb-cccc-0123456789ab";
    let stage = InMemory::with_app_template(NO_RESOURCES);
    let event = stage.event(&InMemory::app_parameters()).encryption_key(key);
    passed(stage.validate(&event).await);
    let written = stage
        .artifacts
        .object(&pipeline_job::event::S3Location::new(BUCKET, OUTPUT_KEY))
        .unwrap();
    assert_eq!(written.kms_key_id.as_deref(), Some(key));
    // The copy is the function's own, in its own bucket: not the pipeline's key.
    let copy = stage
        .own
        .object(&pipeline_job::event::S3Location::new(COPIES, VALID_COPY))
        .unwrap();
    assert_eq!(copy.kms_key_id, None);

    let stage = InMemory::with_app_template(NO_RESOURCES);
    passed(stage.validate_app().await);
    let written = stage
        .artifacts
        .object(&pipeline_job::event::S3Location::new(BUCKET, OUTPUT_KEY))
        .unwrap();
    assert_eq!(written.kms_key_id, None, "no key, no SSE-KMS");
}

#[tokio::test]
async fn without_an_output_bucket_no_copy_is_written() {
    let stage = InMemory::with_app_template(NO_RESOURCES);
    let event =
        stage.event(r#"{"input": "SourceArtifact", "file": "cloudformation/application.json"}"#);
    passed(stage.validate(&event).await);
    assert!(stage.output().is_some());
    assert!(stage.own.locations().is_empty());
}

#[tokio::test]
async fn a_copy_that_cannot_be_written_fails_the_job_saying_where() {
    let copy_at = format!("s3://{COPIES}/{VALID_COPY}");
    for (fault, expected_kind, expected) in [
        (
            ArtifactError::AccessDenied {
                location: copy_at.clone(),
                message: "Access Denied".into(),
            },
            "PermissionError",
            format!(
                "writing the copy to UserParameters.output: access to the artifact {copy_at} was denied: Access Denied"
            ),
        ),
        (
            ArtifactError::WriteFailed {
                location: copy_at.clone(),
                message: "NoSuchBucket".into(),
            },
            "JobFailed",
            format!(
                "writing the copy to UserParameters.output: could not write the artifact {copy_at}: NoSuchBucket"
            ),
        ),
    ] {
        let stage = InMemory::with_app_template(NO_RESOURCES);
        stage.own.fail_puts(fault);
        let (kind, message) = failed(stage.validate_app().await);
        assert_eq!((kind.as_str(), message), (expected_kind, expected));
    }
}

#[tokio::test]
async fn an_output_artifact_that_cannot_be_written_fails_the_job() {
    let stage = InMemory::with_app_template(NO_RESOURCES);
    let event = stage.event(&InMemory::app_parameters());
    // Reading still works; only the write is refused.
    let denied = ArtifactError::AccessDenied {
        location: format!("s3://{BUCKET}/{OUTPUT_KEY}"),
        message: "Access Denied".into(),
    };
    stage.artifacts.fail_puts(denied.clone());
    let (kind, message) = failed(stage.validate(&event).await);
    assert_eq!(
        (kind.as_str(), message),
        ("PermissionError", denied.to_string())
    );
    assert!(
        stage.own.locations().is_empty(),
        "no copy after a failed write"
    );
}

// --- Parameters and the event ------------------------------------------------

#[tokio::test]
async fn bad_user_parameters_are_configuration_errors_naming_the_field() {
    let stage = InMemory::with_app_template(NO_RESOURCES);
    for (parameters, expected) in [
        (
            r#"{"input": "SourceArtifact"}"#,
            "UserParameters: missing field `file`",
        ),
        (
            r#"{"input": "SourceArtifact", "file": "t.json", "ouput": "b"}"#,
            "UserParameters.ouput: unknown field `ouput`, expected one of `input`, `file`, `output`, `baseline`",
        ),
        (
            "SourceArtifact",
            "UserParameters are not valid JSON: expected value at line 1 column 1",
        ),
        (
            r#"{"input": "Nope", "file": "t.json"}"#,
            "input artifact \"Nope\" not found; the action's input artifacts are SourceArtifact",
        ),
        (
            r#"{"input": "SourceArtifact", "file": " "}"#,
            "UserParameters.file is empty",
        ),
        (
            r#"{"input": "SourceArtifact", "file": "t.json", "output": ""}"#,
            "UserParameters.output is empty (leave it out for no copy)",
        ),
    ] {
        let (kind, message) = failed(stage.validate(&stage.event(parameters)).await);
        assert_eq!(
            (kind.as_str(), message.as_str()),
            ("ConfigurationError", expected),
            "{parameters}"
        );
    }
    assert!(stage.output().is_none());
}

#[tokio::test]
async fn an_artifact_not_in_s3_is_a_configuration_error() {
    let stage = InMemory::with_app_template(NO_RESOURCES);
    for (list, name) in [
        ("inputArtifacts", "SourceArtifact"),
        ("outputArtifacts", "ValidatedTemplate"),
    ] {
        let mut event = stage.event(&InMemory::app_parameters()).build();
        event["CodePipeline.job"]["data"][list][0]["location"] = json!({"type": "CodeCommit"});
        let (kind, message) = failed(stage.validate_raw(&event).await);
        assert_eq!(kind, "ConfigurationError");
        assert_eq!(
            message,
            format!("artifact \"{name}\" is stored in CodeCommit, not S3")
        );
    }
}

// --- Artifacts ---------------------------------------------------------------

#[tokio::test]
async fn a_missing_artifact_object_is_a_configuration_error() {
    let stage = InMemory::new();
    let (kind, message) = failed(stage.validate_app().await);
    assert_eq!(kind, "ConfigurationError");
    assert_eq!(
        message,
        format!("the artifact s3://{BUCKET}/{SOURCE_KEY} does not exist")
    );
}

#[tokio::test]
async fn denied_access_to_the_artifact_is_a_permission_error() {
    let stage = InMemory::with_app_template(NO_RESOURCES);
    stage.artifacts.fail_gets(ArtifactError::AccessDenied {
        location: format!("s3://{BUCKET}/{SOURCE_KEY}"),
        message: "Access Denied".into(),
    });
    let (kind, message) = failed(stage.validate_app().await);
    assert_eq!(kind, "PermissionError");
    assert_eq!(
        message,
        format!("access to the artifact s3://{BUCKET}/{SOURCE_KEY} was denied: Access Denied")
    );
}

#[tokio::test]
async fn a_file_missing_from_the_artifact_is_a_configuration_error() {
    let stage = InMemory::new();
    stage.source(&[("README.md", b"# no template here")]);
    let (kind, message) = failed(stage.validate_app().await);
    assert_eq!(kind, "ConfigurationError");
    assert_eq!(
        message,
        "cloudformation/application.json is not in the artifact SourceArtifact"
    );
}

#[tokio::test]
async fn an_unreadable_template_fails_the_check_with_its_line() {
    let stage = InMemory::new();
    stage.source(&[(APP_TEMPLATE, &fixture("malformed.json"))]);
    let (kind, message) = failed(stage.validate_app().await);
    assert_eq!(kind, "JobFailed");
    assert_eq!(
        message,
        "cloudformation/application.json cannot be read as a CloudFormation template: line 4, column 3: invalid JSON: trailing comma"
    );
}

#[tokio::test]
async fn a_template_of_cloudformations_largest_size_is_read_and_one_byte_more_is_not() {
    let largest = |size: usize| {
        let frame = "{\"Resources\": {}, \"Description\": \"\"}".len();
        format!(
            "{{\"Resources\": {{}}, \"Description\": \"{}\"}}",
            "x".repeat(size - frame)
        )
    };
    let stage = InMemory::new();
    let at_limit = largest(CLOUDFORMATION_MAX_TEMPLATE_BYTES);
    assert_eq!(at_limit.len(), CLOUDFORMATION_MAX_TEMPLATE_BYTES);
    stage.source(&[(APP_TEMPLATE, at_limit.as_bytes())]);
    passed(stage.validate_app().await);

    let stage = InMemory::new();
    stage.source(&[(
        APP_TEMPLATE,
        largest(CLOUDFORMATION_MAX_TEMPLATE_BYTES + 1).as_bytes(),
    )]);
    let (kind, message) = failed(stage.validate_app().await);
    assert_eq!(kind, "JobFailed");
    assert_eq!(
        message,
        "cloudformation/application.json in the artifact SourceArtifact expands past 1048576 bytes"
    );
}

// --- Rules -------------------------------------------------------------------

#[tokio::test]
async fn a_missing_rules_table_is_a_configuration_error() {
    let stage = InMemory::with_app_template(NO_RESOURCES);
    let missing = MemoryRules::failing(
        "no-such-table",
        TableError::Missing {
            table: "no-such-table".into(),
        },
    );
    let (kind, message) = failed(stage.validate_app_with(missing).await);
    assert_eq!(
        (kind.as_str(), message.as_str()),
        (
            "ConfigurationError",
            "the rules table no-such-table does not exist"
        )
    );
}

#[tokio::test]
async fn denied_or_throttled_rules_fail_the_job_as_such() {
    for (error, expected_kind) in [
        (
            TableError::AccessDenied {
                table: TABLE.into(),
                message: "User is not authorized to perform: dynamodb:Scan".into(),
            },
            "PermissionError",
        ),
        (
            TableError::Throttled {
                table: TABLE.into(),
                message: "Rate of requests exceeds the allowed throughput".into(),
            },
            "JobFailed",
        ),
        (
            TableError::TooMany {
                table: TABLE.into(),
                limit: 10_000,
            },
            "JobFailed",
        ),
    ] {
        let stage = InMemory::with_app_template(NO_RESOURCES);
        let rules = MemoryRules::failing(TABLE, error.clone());
        let (kind, message) = failed(stage.validate_app_with(rules).await);
        assert_eq!((kind.as_str(), message), (expected_kind, error.to_string()));
        assert!(stage.output().is_none());
    }
}

#[tokio::test]
async fn an_active_rule_that_cannot_be_applied_stops_the_check() {
    let stage = InMemory::with_app_template(NO_RESOURCES);
    let rules = rules(vec![
        item("IngressOpenToWorld", "regex", "(unclosed", "Y"),
        item("Fine", "open-ingress", "all", "Y"),
    ]);
    let (kind, message) = failed(stage.validate_app_with(rules).await);
    assert_eq!(kind, "ConfigurationError");
    assert!(
        message.starts_with(&format!(
            "the rules table {TABLE} has active rules that cannot be applied:\nrule IngressOpenToWorld: ruledata is not a valid regex"
        )),
        "{message}"
    );
    assert!(stage.output().is_none());
}

#[tokio::test]
async fn an_inactive_rule_that_cannot_be_applied_does_not_stop_the_check() {
    let stage = InMemory::new();
    stage.source(&[("bastion.yaml", &fixture("bastion-ssh-open.yaml"))]);
    let rules = rules(vec![
        item("Broken", "regex", "(unclosed", "N"),
        item("IngressOpenToWorld", "open-ingress", "all", "Y"),
    ]);
    let (kind, message) = failed(
        stage
            .validate_with(rules, &stage.event(&InMemory::parameters("bastion.yaml")))
            .await,
    );
    assert_eq!(kind, "JobFailed", "the working rule was applied");
    assert!(
        message.starts_with(
            "bastion.yaml has risk 100 (fails from 50):\nIngressOpenToWorld on BastionSg"
        ),
        "{message}"
    );
}

#[tokio::test]
async fn the_rules_are_loaded_once_per_job() {
    let stage = InMemory::with_app_template(NO_RESOURCES);
    let rules = default_rules();
    let validator = stage.validator(rules.clone());
    for _ in 0..2 {
        let event: JobEvent = stage.event(&InMemory::app_parameters());
        passed(validator.validate(job(&event), invocation()).await);
    }
    assert_eq!(
        rules.loads(),
        2,
        "a change to the table counts from the next job"
    );
}
