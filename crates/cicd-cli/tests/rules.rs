//! `cicd rules` against moto's DynamoDB.

mod common;

use std::process::{Command, Output};

use harness::moto::MotoServer;
use harness::unique_name;

/// Runs `cicd rules ARGS --table TABLE` against moto.
fn cicd(moto: &MotoServer, table: &str, args: &[&str]) -> Output {
    common::moto_env(&mut Command::new(env!("CARGO_BIN_EXE_cicd")), moto)
        .arg("rules")
        .args(args)
        .args(["--table", table, "--endpoint-url", &moto.endpoint()])
        .output()
        .expect("cicd runs")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn seed_list_enable_disable() {
    let moto = MotoServer::shared();
    let table = unique_name("rules");
    moto.create_rules_table(&table).await;

    let empty = cicd(moto, &table, &["list"]);
    assert!(out(&empty).contains("is empty"), "{}", out(&empty));

    let seeded = cicd(moto, &table, &["seed"]);
    assert!(seeded.status.success(), "{}", err(&seeded));
    assert_eq!(
        out(&seeded),
        "wrote: IngressOpenToWorld, SSHOpenToWorld, AllowHttp, ForbiddenAMIs\nalready there: -\n"
    );
    assert_eq!(
        out(&cicd(moto, &table, &["seed"])),
        "wrote: -\nalready there: IngressOpenToWorld, SSHOpenToWorld, AllowHttp, ForbiddenAMIs\n"
    );

    let enabled = cicd(moto, &table, &["enable", "AllowHttp"]);
    assert_eq!(out(&enabled), "AllowHttp is now active\n");
    let listed = cicd(moto, &table, &["list"]);
    assert!(listed.status.success());
    assert_eq!(
        out(&listed),
        "RULE                CATEGORY       RULETYPE       ACTIVE  SUPPRESSIBLE  RISK  RULEDATA\n\
         AllowHttp           SecurityGroup  open-ingress   Y       Y             3     tcp:80\n\
         ForbiddenAMIs       EC2Instance    forbidden-ami  N       Y             10    ami-7a11e211, ami-08111162, ami-f6035893\n\
         IngressOpenToWorld  SecurityGroup  open-ingress   Y       Y             100   all\n\
         SSHOpenToWorld      SecurityGroup  open-ingress   Y       Y             100   tcp:22\n"
    );
    let missing = cicd(moto, &table, &["disable", "NoSuchRule"]);
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(
        err(&missing),
        format!("cicd rules: there is no rule NoSuchRule in the rules table {table}\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_makes_the_table_match_a_file_and_list_json_reads_back() {
    let moto = MotoServer::shared();
    let table = unique_name("rules");
    moto.create_rules_table(&table).await;
    cicd(moto, &table, &["seed"]);
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir,
        "rules.yaml",
        "rules:\n  - {rule: SSHOpenToWorld, category: SecurityGroup, ruletype: open-ingress, ruledata: 'tcp:22', riskvalue: 100, active: Y}\n  - {rule: RdpOpenToWorld, category: SecurityGroup, ruletype: open-ingress, ruledata: 'tcp:3389', riskvalue: 100, active: Y}\n  - {rule: IngressOpenToWorld, category: SecurityGroup, ruletype: open-ingress, ruledata: all, riskvalue: 50, active: Y}\n",
    );
    let dry = cicd(moto, &table, &["sync", "--file", &file, "--dry-run"]);
    assert_eq!(
        out(&dry),
        "would add: RdpOpenToWorld\nwould change: IngressOpenToWorld\nwould remove: AllowHttp, ForbiddenAMIs\nunchanged: SSHOpenToWorld\n"
    );
    let applied = cicd(moto, &table, &["sync", "--file", &file]);
    assert_eq!(
        out(&applied),
        "added: RdpOpenToWorld\nchanged: IngressOpenToWorld\nremoved: AllowHttp, ForbiddenAMIs\nunchanged: SSHOpenToWorld\n"
    );
    let again = cicd(moto, &table, &["sync", "--file", &file]);
    assert!(
        out(&again).ends_with("the table already matches the file\n"),
        "{}",
        out(&again)
    );

    // `list --format json` is a rules file: syncing it back changes nothing.
    let exported = write(
        &dir,
        "exported.json",
        &out(&cicd(moto, &table, &["list", "--format", "json"])),
    );
    assert!(
        out(&cicd(moto, &table, &["sync", "--file", &exported]))
            .ends_with("the table already matches the file\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn suppressible_is_written_by_put_and_sync_and_shown_by_list() {
    let moto = MotoServer::shared();
    let table = unique_name("rules");
    moto.create_rules_table(&table).await;
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir,
        "rules.yaml",
        "- {rule: SSHOpenToWorld, category: SecurityGroup, ruletype: open-ingress, ruledata: 'tcp:22', riskvalue: 100, active: Y, suppressible: N}\n\
         - {rule: AllowHttp, category: SecurityGroup, ruletype: open-ingress, ruledata: 'tcp:80', riskvalue: 3, active: Y}\n",
    );
    let put = cicd(moto, &table, &["put", "--file", &file]);
    assert!(put.status.success(), "{}", err(&put));
    let stored = rules_table::RulesTable::new(moto.dynamodb(), &table)
        .scan()
        .await
        .unwrap();
    let ssh = stored
        .iter()
        .find(|i| i.id() == Some("SSHOpenToWorld"))
        .unwrap();
    assert_eq!(ssh.suppressible, Some("N".into()), "stored as written");
    let http = stored.iter().find(|i| i.id() == Some("AllowHttp")).unwrap();
    assert_eq!(http.suppressible, None, "absent stays absent");

    let listed = cicd(moto, &table, &["list"]);
    assert_eq!(
        out(&listed),
        "RULE            CATEGORY       RULETYPE      ACTIVE  SUPPRESSIBLE  RISK  RULEDATA\n\
         AllowHttp       SecurityGroup  open-ingress  Y       Y             3     tcp:80\n\
         SSHOpenToWorld  SecurityGroup  open-ingress  Y       N             100   tcp:22\n"
    );
    let json = out(&cicd(moto, &table, &["list", "--format", "json"]));
    assert!(json.contains("\"suppressible\": \"N\""), "{json}");

    // sync sees a change of the field alone, and makes it.
    let changed = write(
        &dir,
        "changed.yaml",
        "- {rule: SSHOpenToWorld, category: SecurityGroup, ruletype: open-ingress, ruledata: 'tcp:22', riskvalue: 100, active: Y}\n\
         - {rule: AllowHttp, category: SecurityGroup, ruletype: open-ingress, ruledata: 'tcp:80', riskvalue: 3, active: Y, suppressible: N}\n",
    );
    let synced = cicd(moto, &table, &["sync", "--file", &changed]);
    assert_eq!(
        out(&synced),
        "added: -\nchanged: SSHOpenToWorld, AllowHttp\nremoved: -\nunchanged: -\n"
    );
    let listed = out(&cicd(moto, &table, &["list"]));
    assert!(
        listed.contains("AllowHttp       SecurityGroup  open-ingress  Y       N  "),
        "{listed}"
    );
    assert!(
        listed.contains("SSHOpenToWorld  SecurityGroup  open-ingress  Y       Y  "),
        "{listed}"
    );

    // A value that is neither Y nor N is refused, and nothing is written.
    let bad = write(
        &dir,
        "bad.yaml",
        "- {rule: Other, category: SecurityGroup, ruletype: open-ingress, ruledata: all, riskvalue: 1, active: Y, suppressible: maybe}\n",
    );
    let refused = cicd(moto, &table, &["put", "--file", &bad]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(err(&refused).contains("rule Other: "), "{}", err(&refused));
    assert!(!out(&cicd(moto, &table, &["list"])).contains("Other"));
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_rules_are_never_written_and_broken_tables_are_flagged() {
    let moto = MotoServer::shared();
    let table = unique_name("rules");
    moto.create_rules_table(&table).await;
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        &dir,
        "bad.yaml",
        "- {rule: Broken, category: SecurityGroup, ruletype: regex, ruledata: '(unclosed', riskvalue: 5, active: Y}\n",
    );
    let refused = cicd(moto, &table, &["put", "--file", &bad]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        err(&refused).contains("has rules that cannot be applied; nothing was written"),
        "{}",
        err(&refused)
    );
    assert!(out(&cicd(moto, &table, &["list"])).contains("is empty"));

    // A broken rule written by other means is shown, and `list` exits 1.
    let item = template_rules::RuleItem {
        rule: Some("Broken".into()),
        category: Some("SecurityGroup".into()),
        ruletype: Some("regex".into()),
        ruledata: Some("(unclosed".into()),
        riskvalue: Some(5.into()),
        active: Some("Y".into()),
        ..template_rules::RuleItem::default()
    };
    rules_table::RulesTable::new(moto.dynamodb(), &table)
        .put(&item)
        .await
        .unwrap();
    let listed = cicd(moto, &table, &["list"]);
    assert_eq!(listed.status.code(), Some(1));
    assert!(
        err(&listed).starts_with("error: rule Broken: ruledata is not a valid regex"),
        "{}",
        err(&listed)
    );

    let no_table = cicd(moto, "no-such-table", &["list"]);
    assert_eq!(no_table.status.code(), Some(2));
    assert_eq!(
        err(&no_table),
        "cicd rules: the rules table no-such-table does not exist\n"
    );
}

/// `cicd rules kinds` needs no table, and shows every registered kind with
/// its example, then guard items.
#[test]
fn kinds_lists_every_registered_kind_with_its_example() {
    let listed = Command::new(env!("CARGO_BIN_EXE_cicd"))
        .args(["rules", "kinds"])
        .env_remove("RULES_TABLE")
        .output()
        .expect("cicd runs");
    assert!(listed.status.success(), "{}", err(&listed));
    let text = out(&listed);
    for kind in template_rules::kinds::KINDS {
        let d = kind.describe();
        let entry = format!(
            "{}: {}\n  ruledata: {}\n",
            d.ruletype, d.summary, d.ruledata
        );
        assert!(text.contains(&entry), "{entry}\n{text}");
        let example = format!(
            "  example:  category {}, ruledata {}\n",
            d.example.category, d.example.ruledata
        );
        assert!(text.contains(&example), "{example}\n{text}");
    }
    assert!(
        text.contains("\nguard: CloudFormation Guard rules"),
        "{text}"
    );
}
