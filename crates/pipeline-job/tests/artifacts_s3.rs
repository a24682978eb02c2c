//! Artifacts in S3: moto for the real protocol, an in-process mock for what
//! moto cannot produce (denied access).

use harness::moto::MotoServer;
use harness::zip::{make_zip, read_zip};
use harness::{events::JobEvent, unique_name};
use pipeline_job::artifacts::{ArtifactError, ArtifactStore};
use pipeline_job::event::S3Location;
use pipeline_job::{FailureKind, Job, JobError, aws};

fn location(bucket: &str, key: &str) -> S3Location {
    serde_json::from_value(serde_json::json!({"bucketName": bucket, "objectKey": key})).unwrap()
}

/// A store using the job's artifact credentials, against moto through an
/// endpoint override (as the functions see it in tests and the demo).
fn store(moto: &MotoServer, job: &Job) -> ArtifactStore {
    let credentials = job.data.artifact_credentials.as_ref().unwrap();
    ArtifactStore::new(aws::artifact_s3_client(&moto.sdk_config(), credentials))
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
        .download(&location(&bucket, "pipe/Source/in.zip"), 1024 * 1024)
        .await
        .unwrap();
    assert_eq!(downloaded, zip);

    let out = pipeline_job::artifacts::write_zip(&[("report.json", b"{\"ok\": true}")]).unwrap();
    store
        .upload(&location(&bucket, "pipe/Out/out.zip"), out, None)
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
        .download(&location(&bucket, "nope.zip"), 1024)
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
        .download(&location("no-such-bucket-here", "x.zip"), 1024)
        .await
        .unwrap_err();
    assert!(
        matches!(no_bucket, ArtifactError::NotFound { .. }),
        "{no_bucket}"
    );

    let big = store
        .download(&location(&bucket, "big.zip"), 1000)
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
async fn endpoint_overrides_are_seen_in_the_config() {
    let moto = MotoServer::shared();
    assert!(aws::endpoint_overridden(&moto.sdk_config(), "S3"));
    let plain = aws_config::SdkConfig::builder().build();
    assert!(!aws::endpoint_overridden(&plain, "S3"));
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
    let error = ArtifactStore::new(s3)
        .download(&location("b", "k.zip"), 1024)
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
