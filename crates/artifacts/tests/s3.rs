//! Artifacts in S3: moto for the real protocol, an in-process mock for what
//! moto cannot produce (denied access, throttling).

use artifacts::{ArtifactError, ArtifactStore, JobStores, S3Store, S3Stores, archive};
use aws_sdk_s3::types::ServerSideEncryption;
use codepipeline_types::{FailureKind, Job, JobError, S3Location};
use harness::moto::MotoServer;
use harness::zip::{make_zip, read_zip};
use harness::{events::JobEvent, unique_name};

fn location(bucket: &str, key: &str) -> S3Location {
    S3Location::new(bucket, key)
}

/// A store using the job's artifact credentials, against moto through an
/// endpoint override (as the functions see it in tests and the demo).
fn store(moto: &MotoServer, job: &Job) -> S3Store {
    let credentials = job.data.artifact_credentials.as_ref().unwrap();
    S3Stores::new(&moto.sdk_config()).for_job(credentials)
}

#[tokio::test]
async fn artifacts_download_and_upload_with_the_jobs_credentials() {
    let moto = MotoServer::shared();
    let bucket = unique_name("artifacts");
    moto.create_bucket(&bucket).await;
    let zip = make_zip(&[("cloudformation/app.json", b"{}")]);
    moto.put_object(&bucket, "pipe/Source/in.zip", &zip).await;
    let job = Job::decode(
        &JobEvent::new()
            .input_artifact("Source", &bucket, "pipe/Source/in.zip")
            .build(),
    )
    .unwrap();
    let store = store(moto, &job);

    let downloaded = store
        .get(&location(&bucket, "pipe/Source/in.zip"), 1024 * 1024)
        .await
        .unwrap();
    assert_eq!(downloaded, zip);

    let out = archive::write_zip(&[("report.json", b"{\"ok\": true}")]).unwrap();
    store
        .put(&location(&bucket, "pipe/Out/out.zip"), out, None)
        .await
        .unwrap();
    let written = moto.get_object(&bucket, "pipe/Out/out.zip").await.unwrap();
    assert_eq!(read_zip(&written)["report.json"], b"{\"ok\": true}");
}

#[tokio::test]
async fn missing_and_oversized_artifacts_are_refused() {
    let moto = MotoServer::shared();
    let bucket = unique_name("artifacts");
    moto.create_bucket(&bucket).await;
    moto.put_object(&bucket, "big.zip", vec![0u8; 4096]).await;
    let job = Job::decode(&JobEvent::new().build()).unwrap();
    let store = store(moto, &job);

    let missing = store
        .get(&location(&bucket, "nope.zip"), 1024)
        .await
        .unwrap_err();
    assert_eq!(
        missing,
        ArtifactError::NotFound {
            location: format!("s3://{bucket}/nope.zip")
        }
    );
    assert_eq!(
        JobError::from(missing).kind,
        FailureKind::ConfigurationError
    );

    let no_bucket = store
        .get(&location("no-such-bucket-here", "x.zip"), 1024)
        .await
        .unwrap_err();
    assert!(
        matches!(no_bucket, ArtifactError::NotFound { .. }),
        "{no_bucket}"
    );

    let big = store
        .get(&location(&bucket, "big.zip"), 1000)
        .await
        .unwrap_err();
    assert_eq!(
        big,
        ArtifactError::TooLarge {
            location: format!("s3://{bucket}/big.zip"),
            size: 4096,
            limit: 1000
        }
    );
    assert_eq!(JobError::from(big).kind, FailureKind::JobFailed);
}

#[tokio::test]
async fn denied_access_is_a_permission_error() {
    use aws_sdk_s3::operation::get_object::GetObjectError;
    use aws_smithy_mocks::{mock, mock_client};
    use aws_smithy_types::error::ErrorMetadata;

    let denied = mock!(aws_sdk_s3::Client::get_object).then_error(|| {
        GetObjectError::generic(
            ErrorMetadata::builder()
                .code("AccessDenied")
                .message("Access Denied")
                .build(),
        )
    });
    let s3 = mock_client!(aws_sdk_s3, [&denied]);
    let error = S3Store::new(s3)
        .get(&location("b", "k.zip"), 1024)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        ArtifactError::AccessDenied {
            location: "s3://b/k.zip".into(),
            message: "Access Denied".into()
        }
    );
    assert_eq!(JobError::from(error).kind, FailureKind::PermissionError);
}

#[tokio::test]
async fn written_artifacts_are_encrypted_with_the_kms_key_given() {
    let moto = MotoServer::shared();
    let bucket = unique_name("artifacts");
    moto.create_bucket(&bucket).await;
    let key = "arn:aws:kms:us-east-1:111111111111:key/0f1e2d3c-aaaa-bbbb-cccc-0123456789ab";
    let job = Job::decode(&JobEvent::new().build()).unwrap();
    let zip = archive::write_zip(&[("t.json", b"{}")]).unwrap();
    let store = store(moto, &job);
    store
        .put(&location(&bucket, "encrypted.zip"), zip.clone(), Some(key))
        .await
        .unwrap();
    store
        .put(&location(&bucket, "plain.zip"), zip, None)
        .await
        .unwrap();
    let head = |object: &'static str| moto.s3().head_object().bucket(&bucket).key(object).send();
    let encrypted = head("encrypted.zip").await.unwrap();
    assert_eq!(
        encrypted.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    assert_eq!(encrypted.ssekms_key_id(), Some(key));
    let plain = head("plain.zip").await.unwrap();
    assert_ne!(
        plain.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    assert_eq!(plain.content_type(), Some("application/zip"));
}

mod mocked {
    use aws_sdk_s3::operation::put_object::PutObjectError;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use aws_smithy_types::error::ErrorMetadata;
    use aws_smithy_types::retry::RetryConfig;

    use super::*;

    fn put_error(code: &'static str, message: &'static str) -> PutObjectError {
        PutObjectError::generic(ErrorMetadata::builder().code(code).message(message).build())
    }

    #[tokio::test]
    async fn a_denied_write_is_a_permission_error() {
        let denied = mock!(aws_sdk_s3::Client::put_object)
            .then_error(|| put_error("AccessDenied", "Access Denied"));
        let s3 = mock_client!(aws_sdk_s3, [&denied]);
        let error = S3Store::new(s3)
            .put(&location("b", "out.zip"), vec![1, 2, 3], None)
            .await
            .unwrap_err();
        assert_eq!(
            error,
            ArtifactError::AccessDenied {
                location: "s3://b/out.zip".into(),
                message: "Access Denied".into()
            }
        );
        assert_eq!(JobError::from(error).kind, FailureKind::PermissionError);
    }

    #[tokio::test]
    async fn slow_down_past_the_retries_is_throttling_and_fails_the_job() {
        let slow_down = mock!(aws_sdk_s3::Client::put_object)
            .sequence()
            .error(|| put_error("SlowDown", "Please reduce your request rate."))
            .times(3)
            .build();
        let s3 = mock_client!(aws_sdk_s3, RuleMode::Sequential, [&slow_down], |c| c
            .retry_config(RetryConfig::standard().with_max_attempts(3)));
        let error = S3Store::new(s3)
            .put(&location("b", "out.zip"), vec![1, 2, 3], None)
            .await
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "S3 kept throttling requests for the artifact s3://b/out.zip after retries: Please reduce your request rate."
        );
        assert_eq!(JobError::from(error).kind, FailureKind::JobFailed);
        assert_eq!(slow_down.num_calls(), 3);
    }
}
