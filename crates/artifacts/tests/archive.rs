//! Reading a file out of an artifact's zip under a cap, and writing zips:
//! no network. The zips read here are made by the harness, not by
//! [`archive::write_zip`], so the two sides check each other.

use artifacts::{ArtifactError, archive};
use codepipeline_types::{FailureKind, JobError};
use harness::zip::make_zip;

#[test]
fn files_are_read_from_a_zip_with_a_decompressed_size_cap() {
    let zip = make_zip(&[
        ("cloudformation/app.json", b"{}"),
        ("big.txt", &vec![b'a'; 10_000]),
    ]);
    assert_eq!(
        archive::read_file(&zip, "cloudformation/app.json", 100, "Source").unwrap(),
        b"{}"
    );
    assert_eq!(
        archive::read_file(&zip, "./cloudformation/app.json", 100, "Source").unwrap(),
        b"{}"
    );
    assert_eq!(
        archive::read_file(&zip, "big.txt", 1000, "Source").unwrap_err(),
        ArtifactError::FileTooLarge {
            file: "big.txt".into(),
            artifact: "Source".into(),
            limit: 1000
        }
    );
    let missing = archive::read_file(&zip, "cloudformation/nope.json", 100, "Source").unwrap_err();
    assert_eq!(
        missing.to_string(),
        "cloudformation/nope.json is not in the artifact Source"
    );
    assert_eq!(
        JobError::from(missing).kind,
        FailureKind::ConfigurationError
    );
    let not_zip = archive::read_file(b"PK but not really", "x", 100, "Source").unwrap_err();
    assert!(matches!(not_zip, ArtifactError::NotZip { .. }), "{not_zip}");
}

#[test]
fn a_zip_bomb_is_stopped_at_the_cap() {
    // 50 MB of zeros deflate to about 50 KB.
    let bomb = make_zip(&[("template.json", &vec![0u8; 50 * 1024 * 1024])]);
    assert!(bomb.len() < 200 * 1024);
    let error = archive::read_file(&bomb, "template.json", 1024 * 1024, "Source").unwrap_err();
    assert!(
        matches!(error, ArtifactError::FileTooLarge { .. }),
        "{error}"
    );
}

#[test]
fn written_zips_read_back() {
    let zip = archive::write_zip(&[
        ("a/template.yaml", b"Resources: {}\n"),
        ("report.json", b"{}"),
    ])
    .unwrap();
    let files = harness::zip::read_zip(&zip);
    assert_eq!(files["a/template.yaml"], b"Resources: {}\n");
    assert_eq!(files["report.json"], b"{}");
}
