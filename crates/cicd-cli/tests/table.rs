//! `cicd validate --table`: the pipeline's rules, read from DynamoDB (moto)
//! the way cfn-validate reads them, and never written.

mod common;

use std::process::{Command, Output};

use common::*;
use harness::moto::MotoServer;
use harness::unique_name;
use rules_table::RulesTable;
use template_rules::RuleItem;

/// Runs `cicd validate ARGS` in `dir` against moto (the endpoint passed with
/// `--endpoint-url`, as a developer would).
fn validate(moto: &MotoServer, dir: &std::path::Path, args: &[&str]) -> Output {
    moto_env(&mut Command::new(env!("CARGO_BIN_EXE_cicd")), moto)
        .arg("validate")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("cicd runs")
}

fn item(rule: &str, ruledata: &str, active: &str) -> RuleItem {
    RuleItem {
        rule: Some(rule.into()),
        category: Some("SecurityGroup".into()),
        ruletype: Some("open-ingress".into()),
        ruledata: Some(ruledata.into()),
        riskvalue: Some(100.into()),
        active: Some(active.into()),
        ..RuleItem::default()
    }
}

fn templates() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "ssh.yaml",
        template(&[open_group("Ssh", 22, None)]),
    );
    write(
        dir.path(),
        "rdp.yaml",
        template(&[open_group("Rdp", 3389, None)]),
    );
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tables_rules_decide_and_the_table_is_not_written() {
    let moto = MotoServer::shared();
    let name = unique_name("rules");
    moto.create_rules_table(&name).await;
    let table = RulesTable::new(moto.dynamodb(), &name);
    // The team's policy: RDP open to the world fails; SSH is someone else's
    // concern (its rule switched off), and there is no catch-all rule.
    table
        .put(&item("RdpOpenToWorld", "tcp:3389", "Y"))
        .await
        .unwrap();
    table
        .put(&item("SSHOpenToWorld", "tcp:22", "N"))
        .await
        .unwrap();
    let before = table.scan().await.unwrap();

    let dir = templates();
    let endpoint = moto.endpoint();
    let out = validate(
        moto,
        dir.path(),
        &["--table", &name, "--endpoint-url", &endpoint, "."],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("./rdp.yaml:3  RdpOpenToWorld  Rdp"), "{text}");
    assert!(text.contains("./rdp.yaml: FAIL  risk 100"), "{text}");
    assert!(
        text.contains("./ssh.yaml: PASS  risk 0 (no findings)"),
        "{text}"
    );

    // With the built-in rules the verdicts differ: the table was used.
    let defaults = cicd(dir.path(), &["validate", "."]);
    assert!(stdout(&defaults).contains("./ssh.yaml: FAIL"));

    assert_eq!(
        table.scan().await.unwrap(),
        before,
        "the table is unchanged"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_table_is_read_as_the_defaults_it_would_be_seeded_with_but_not_seeded() {
    let moto = MotoServer::shared();
    let name = unique_name("rules");
    moto.create_rules_table(&name).await;
    let dir = templates();
    let endpoint = moto.endpoint();
    let out = validate(
        moto,
        dir.path(),
        &["--table", &name, "--endpoint-url", &endpoint, "ssh.yaml"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("SSHOpenToWorld"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains(&format!(
            "the rules table {name} is empty; using the default rules"
        )),
        "{}",
        stderr(&out)
    );
    let items = RulesTable::new(moto.dynamodb(), &name)
        .scan()
        .await
        .unwrap();
    assert!(items.is_empty(), "never seeded: {items:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn tables_that_cannot_be_used_exit_2() {
    let moto = MotoServer::shared();
    let endpoint = moto.endpoint();
    let dir = templates();

    let out = validate(
        moto,
        dir.path(),
        &[
            "--table",
            "no-such-table",
            "--endpoint-url",
            &endpoint,
            "ssh.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "cicd validate: the rules table no-such-table does not exist\n"
    );
    assert_eq!(stdout(&out), "");

    let name = unique_name("rules");
    moto.create_rules_table(&name).await;
    RulesTable::new(moto.dynamodb(), &name)
        .put(&RuleItem {
            ruletype: Some("regex".into()),
            ruledata: Some("(unclosed".into()),
            ..item("Broken", "", "Y")
        })
        .await
        .unwrap();
    let out = validate(
        moto,
        dir.path(),
        &["--table", &name, "--endpoint-url", &endpoint, "ssh.yaml"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with(&format!("cicd validate: rules table {name} has active rules that cannot be applied:\n  rule Broken: ruledata is not a valid regex")),
        "{}",
        stderr(&out)
    );
}

#[test]
fn table_and_rules_exclude_each_other() {
    let dir = templates();
    let out = cicd(
        dir.path(),
        &["validate", "--table", "t", "--rules", "r.yaml", "ssh.yaml"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot be used with"),
        "{}",
        stderr(&out)
    );
    let out = cicd(
        dir.path(),
        &[
            "validate",
            "--endpoint-url",
            "http://127.0.0.1:9",
            "ssh.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--endpoint-url only applies to --table"),
        "{}",
        stderr(&out)
    );
}
