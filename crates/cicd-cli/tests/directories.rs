//! `cicd validate DIR… | -`: which files are templates, which are skipped
//! and said so, standard input, and the same report however many threads.

mod common;

use common::*;

/// A repository-like tree: templates in YAML, JSON and `.template`, things
/// that are not templates, ignored files, and a template written with escapes.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "infra/app.yaml",
        template(&[open_group("Web", 443, None)]),
    );
    write(
        d,
        "infra/nested/deep/bastion.yml",
        template(&[open_group("Ssh", 22, None)]),
    );
    write(
        d,
        "infra/legacy.template",
        r#"{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"H": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}}"#,
    );
    // "Resources" spelled with an escape: still a template, still checked.
    write(
        d,
        "infra/escaped.json",
        r#"{"Re\u0073ources": {"Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "x", "SecurityGroupIngress": [{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}]}}}}"#,
    );
    // Not templates: other YAML and JSON, even ones that say "Resources" deeper down.
    write(
        d,
        "serverless.yml",
        "service: api\nresources:\n  Resources:\n    Table:\n      Type: AWS::DynamoDB::Table\n",
    );
    write(
        d,
        "package.json",
        r#"{"name": "app", "scripts": {"test": "echo \"no\""}}"#,
    );
    write(d, ".github/workflows/ci.yml", "on: push\n");
    write(d, "README.md", "# Resources\n");
    write(d, "config/list.yaml", "- Resources\n- more\n");
    // Over 1 MiB and not a template (a lock file): skipped, never loaded whole.
    write(
        d,
        "package-lock.json",
        format!("{{\"packages\": \"{}\"}}", "x".repeat(2 * 1024 * 1024)),
    );
    // Ignored by git: not checked, even though it would fail.
    write(d, ".gitignore", "build/\n*.generated.yaml\n");
    write(
        d,
        "build/out.yaml",
        template(&[open_group("Gen", 22, None)]),
    );
    write(
        d,
        "infra/x.generated.yaml",
        template(&[open_group("Gen", 22, None)]),
    );
    // A link is not followed (it could lead anywhere), and says so.
    std::os::unix::fs::symlink("app.yaml", d.join("infra/link.yaml")).unwrap();
    dir
}

#[test]
fn a_directory_is_walked_for_templates_as_git_sees_it() {
    let dir = repo();
    let out = cicd(dir.path(), &["validate", "."]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        verdicts(&stdout(&out)),
        [
            ("./infra/app.yaml", "FAIL"),
            ("./infra/escaped.json", "FAIL"),
            ("./infra/legacy.template", "PASS"),
            ("./infra/nested/deep/bastion.yml", "FAIL"),
        ]
        .map(|(p, v)| (p.to_string(), v.to_string()))
    );
    assert_eq!(
        stderr(&out),
        "",
        "nothing skipped is mentioned without --verbose"
    );
}

#[test]
fn verbose_lists_what_was_skipped_and_why() {
    let dir = repo();
    let out = cicd(dir.path(), &["validate", "--verbose", "."]);
    let err = stderr(&out);
    for (path, why) in [
        ("./serverless.yml", "not a CloudFormation template"),
        ("./package.json", "not a CloudFormation template"),
        ("./config/list.yaml", "not a CloudFormation template"),
        ("./package-lock.json", "not a CloudFormation template"),
        ("./README.md", "not a .json, .yaml, .yml or .template file"),
        ("./infra/link.yaml", "a symbolic link (not followed"),
    ] {
        assert!(
            err.contains(&format!("cicd validate: skipped {path}: {why}")),
            "{path}: {err}"
        );
    }
    // Ignored (.gitignore) and hidden files are not read, but said: an
    // ignored or hidden directory once, not what is in it.
    for (path, why) in [
        ("./.github", "hidden (its name starts with a dot)"),
        ("./.gitignore", "hidden (its name starts with a dot)"),
        ("./build", "ignored (by a .gitignore or .ignore file"),
        (
            "./infra/x.generated.yaml",
            "ignored (by a .gitignore or .ignore file",
        ),
    ] {
        assert!(
            err.contains(&format!("cicd validate: skipped {path}: {why}")),
            "{path}: {err}"
        );
    }
    for inside in ["build/out.yaml", ".github/workflows"] {
        assert!(
            !err.contains(inside),
            "{inside} is inside a skipped directory: {err}"
        );
    }
    // Nothing checked is listed as skipped, and nothing twice.
    let listed: Vec<&str> = err
        .lines()
        .filter_map(|l| l.strip_prefix("cicd validate: skipped "))
        .map(|l| l.split_once(": ").map_or(l, |(path, _)| path))
        .collect();
    let mut once = listed.clone();
    once.sort();
    once.dedup();
    assert_eq!(once.len(), listed.len(), "{err}");
    assert!(!listed.contains(&"./infra/app.yaml"), "{err}");
}

#[test]
fn one_unreadable_template_in_a_directory_is_named_with_its_reason() {
    let dir = repo();
    write(
        dir.path(),
        "infra/broken.yaml",
        "Resources:\n  A: {Type: AWS::S3::Bucket\n",
    );
    write(
        dir.path(),
        "infra/huge.json",
        format!(
            "{{\"Resources\": {{}}, \"pad\": \"{}\"}}",
            "x".repeat(1024 * 1024)
        ),
    );
    let out = cicd(dir.path(), &["validate", "infra"]);
    assert_eq!(out.status.code(), Some(2), "unreadable: exit 2");
    let text = stdout(&out);
    let report = verdicts(&text);
    assert_eq!(report.len(), 6, "{text}");
    assert_eq!(
        report[1],
        ("infra/broken.yaml".to_string(), "ERROR".to_string())
    );
    assert!(
        text.contains("infra/broken.yaml: ERROR  cannot be read: line 3, column 1: invalid YAML"),
        "{text}"
    );
    assert!(
        text.contains("infra/huge.json: ERROR  cannot be read: larger than 1048576 bytes"),
        "{text}"
    );
    let err = stderr(&out);
    assert!(err.contains("infra/broken.yaml:3:1: invalid YAML"), "{err}");
}

#[test]
fn the_report_is_the_same_on_one_thread_or_many() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..120 {
        let port = [22, 80, 443, 3389][i % 4];
        write(
            dir.path(),
            &format!("t/{:03}/stack-{i}.yaml", 119 - i),
            template(&[open_group(&format!("Sg{i}"), port, None)]),
        );
    }
    let one = cicd(
        dir.path(),
        &["validate", "--format", "json", "-j", "1", "t"],
    );
    let many = cicd(
        dir.path(),
        &["validate", "--format", "json", "-j", "8", "t"],
    );
    assert_eq!(one.status.code(), Some(1));
    assert_eq!(stdout(&one), stdout(&many));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&one)).unwrap();
    let paths: Vec<&str> = doc["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["path"].as_str().unwrap())
        .collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths.len(), 120);
    assert_eq!(paths, sorted);
    // Not a terminal: no progress bar on stderr.
    assert_eq!(stderr(&many), "");
}

#[test]
fn standard_input_is_one_template_capped_like_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let open = template(&[open_group("Sg", 22, None)]);
    let out = cicd_in(dir.path(), &["validate", "-"], open.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("<stdin>: FAIL  risk 200"),
        "{}",
        stdout(&out)
    );

    let clean = cicd_in(
        dir.path(),
        &["validate", "--format", "json", "-"],
        clean_template().as_bytes(),
    );
    assert_eq!(clean.status.code(), Some(0));
    assert!(stdout(&clean).contains(r#""path": "<stdin>""#));

    let mut huge = clean_template().into_bytes();
    huge.extend(std::iter::repeat_n(b'#', 2 * 1024 * 1024));
    let out = cicd_in(dir.path(), &["validate", "-"], &huge);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("<stdin>: larger than 1048576 bytes"),
        "{}",
        stderr(&out)
    );

    let twice = cicd(dir.path(), &["validate", "-", "-"]);
    assert_eq!(twice.status.code(), Some(2));
    assert!(stderr(&twice).contains("standard input (-) can be read only once"));
}

#[test]
fn a_file_given_by_name_is_checked_whatever_it_is() {
    let dir = repo();
    // Named explicitly, a non-template is an error, not a skip.
    let out = cicd(dir.path(), &["validate", "serverless.yml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("serverless.yml: the template has no Resources section"),
        "{}",
        stderr(&out)
    );
    // The same file named twice, or named and found, is reported once.
    let out = cicd(
        dir.path(),
        &["validate", "infra/app.yaml", "infra/app.yaml"],
    );
    assert_eq!(verdicts(&stdout(&out)).len(), 1);
    // Named after a directory it is found in, it is still the named file
    // that counts: checked, not skipped.
    let out = cicd(dir.path(), &["validate", "config", "config/list.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stdout(&out).contains("config/list.yaml: ERROR"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_directory_without_templates_is_an_error_not_a_pass() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "docs/readme.md", "hello");
    write(dir.path(), "docs/conf.yaml", "a: 1\n");
    let out = cicd(dir.path(), &["validate", "docs"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no CloudFormation templates found in docs"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn only_templates_skips_named_files_that_are_not_templates() {
    let dir = repo();
    let out = cicd(
        dir.path(),
        &[
            "validate",
            "--only-templates",
            "package.json",
            "serverless.yml",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "nothing to check is no failure: {}",
        stderr(&out)
    );
    assert_eq!(stdout(&out), "");
    let json = cicd(
        dir.path(),
        &[
            "validate",
            "--only-templates",
            "--format",
            "json",
            "package.json",
        ],
    );
    assert_eq!(json.status.code(), Some(0));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&stdout(&json)).unwrap(),
        serde_json::json!({"templates": []})
    );
    let out = cicd(
        dir.path(),
        &[
            "validate",
            "--only-templates",
            "--verbose",
            "package.json",
            "infra/nested/deep/bastion.yml",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        verdicts(&stdout(&out)),
        [(
            "infra/nested/deep/bastion.yml".to_string(),
            "FAIL".to_string()
        )]
    );
    assert!(stderr(&out).contains("skipped package.json: not a CloudFormation template"));
}
