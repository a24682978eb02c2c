//! `cicd rules` against moto's DynamoDB.

mod common;

use std::process::{Command, Output};

use harness::moto::MotoServer;
use harness::unique_name;

/// Runs `cicd rules ARGS --table TABLE` against moto.
fn cicd(moto: &MotoServer, table: &str, args: &[&str]) -> Output {
    common::cicd_moto(moto, table, &[&["rules"], args].concat())
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The rules an empty table is seeded with, in seeding order.
fn seed_ids() -> Vec<String> {
    policy_pack::seed_items()
        .iter()
        .filter_map(|i| i.id().map(str::to_string))
        .collect()
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
    // The four defaults, then the standard pack.
    let seed = seed_ids().join(", ");
    assert!(seed.starts_with("IngressOpenToWorld, SSHOpenToWorld, AllowHttp, ForbiddenAMIs, "));
    assert_eq!(out(&seeded), format!("wrote: {seed}\nalready there: -\n"));
    assert_eq!(
        out(&cicd(moto, &table, &["seed"])),
        format!("wrote: -\nalready there: {seed}\n")
    );

    let enabled = cicd(moto, &table, &["enable", "AllowHttp"]);
    assert_eq!(out(&enabled), "AllowHttp is now active\n");
    let listed = cicd(moto, &table, &["list"]);
    assert!(listed.status.success());
    let text = out(&listed);
    let rows: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows[0],
        [
            "RULE",
            "CATEGORY",
            "RULETYPE",
            "ACTIVE",
            "SUPPRESSIBLE",
            "RISK",
            "RULEDATA"
        ]
    );
    assert_eq!(rows.len(), 1 + seed_ids().len(), "{text}");
    let row = |id: &str| rows.iter().find(|r| r[0] == id).unwrap().clone();
    assert_eq!(
        row("AllowHttp"),
        [
            "AllowHttp",
            "SecurityGroup",
            "open-ingress",
            "Y",
            "Y",
            "3",
            "tcp:80"
        ]
    );
    assert_eq!(
        row("ForbiddenAMIs"),
        [
            "ForbiddenAMIs",
            "EC2Instance",
            "forbidden-ami",
            "N",
            "Y",
            "10",
            "ami-7a11e211,",
            "ami-08111162,",
            "ami-f6035893"
        ]
    );
    assert_eq!(
        row("S3BucketVersioning")[..6],
        ["S3BucketVersioning", "S3", "property", "Y", "Y", "5"]
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
    let dir = tempfile::tempdir().unwrap();
    let defaults = write(
        &dir,
        "defaults.yaml",
        include_str!("../../template-rules/src/default-rules.yaml"),
    );
    cicd(moto, &table, &["put", "--file", &defaults]);
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

#[tokio::test(flavor = "multi_thread")]
async fn sync_pack_adds_and_updates_the_pack_and_leaves_every_other_rule_alone() {
    let moto = MotoServer::shared();
    let table = unique_name("rules");
    moto.create_rules_table(&table).await;
    let dir = tempfile::tempdir().unwrap();
    // The team's own rule.
    let own = write(
        &dir,
        "own.yaml",
        "- {rule: TeamRdp, category: SecurityGroup, ruletype: open-ingress, ruledata: 'tcp:3389', riskvalue: 100, active: Y}\n",
    );
    assert!(
        cicd(moto, &table, &["put", "--file", &own])
            .status
            .success()
    );
    let pack: Vec<String> = policy_pack::Pack::standard()
        .items()
        .iter()
        .filter_map(|i| i.id().map(str::to_string))
        .collect();

    let dry = cicd(moto, &table, &["sync", "--pack", "standard", "--dry-run"]);
    assert!(dry.status.success(), "{}", err(&dry));
    assert_eq!(
        out(&dry),
        format!(
            "would add: {}\nwould change: -\nunchanged: -\nother rules are left alone\n",
            pack.join(", ")
        )
    );
    let applied = cicd(moto, &table, &["sync", "--pack", "standard"]);
    assert!(out(&applied).starts_with("added: "), "{}", out(&applied));
    assert!(
        cicd(moto, &table, &["disable", "S3BucketVersioning"])
            .status
            .success()
    );
    let again = cicd(moto, &table, &["sync", "--pack", "standard"]);
    assert_eq!(
        out(&again),
        format!(
            "added: -\nchanged: S3BucketVersioning\nunchanged: {}\nother rules are left alone\n",
            pack.iter()
                .filter(|id| *id != "S3BucketVersioning")
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        )
    );
    let stored = rules_table::RulesTable::new(moto.dynamodb(), &table)
        .scan()
        .await
        .unwrap();
    assert_eq!(stored.len(), pack.len() + 1);
    assert!(stored.iter().any(|i| i.id() == Some("TeamRdp")));
    assert!(
        out(&cicd(moto, &table, &["sync", "--pack", "standard"]))
            .ends_with("the table already holds the standard pack; other rules are left alone\n")
    );
    // --file or --pack, one of them.
    let neither = cicd(moto, &table, &["sync"]);
    assert_eq!(neither.status.code(), Some(2));
    let unknown = cicd(moto, &table, &["sync", "--pack", "extended"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        err(&unknown).contains("invalid value 'extended'"),
        "{}",
        err(&unknown)
    );
}

#[test]
fn list_pack_shows_each_rule_s_risk_band_frameworks_and_remediation_without_a_table() {
    let out = Command::new(env!("CARGO_BIN_EXE_cicd"))
        .args(["rules", "list", "--pack", "standard"])
        .env_remove("RULES_TABLE")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", err(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["RULE", "SERVICE", "RISK", "ACTIVE", "FRAMEWORKS"]
    );
    let pack = policy_pack::Pack::standard().items();
    // A line per rule and a line of remediation under it, then a count.
    assert_eq!(lines.len(), 2 + 2 * pack.len(), "{text}");
    let at = lines
        .iter()
        .position(|l| l.starts_with("S3BucketTlsOnly "))
        .unwrap();
    assert!(
        lines[at].contains(" s3 ")
            && lines[at].contains("10 (flags)")
            && lines[at].contains("AWS FSBP S3.5, CIS AWS Foundations v3.0.0 2.1.1"),
        "{}",
        lines[at]
    );
    assert!(
        lines[at + 1].starts_with("    Add an AWS::S3::BucketPolicy"),
        "{}",
        lines[at + 1]
    );
    assert!(lines[at + 1].ends_with(
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html#transit"
    ));
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("IamPolicyAdminAccess ") && l.contains("100 (fails)"))
    );
    assert_eq!(
        *lines.last().unwrap(),
        format!(
            "{} rules in the standard pack (risk from 50 fails a template with the default thresholds; below, flags it for approval)",
            pack.len()
        )
    );
    // As JSON, a rules file of the pack.
    let json = Command::new(env!("CARGO_BIN_EXE_cicd"))
        .args(["rules", "list", "--pack", "standard", "--format", "json"])
        .output()
        .unwrap();
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["rules"].as_array().unwrap().len(), pack.len());
}
