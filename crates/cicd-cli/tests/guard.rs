//! Guard rules through the `cicd` binary: `validate --rules` with `.guard`
//! files, rules files with guard items and directories of them; `rules
//! import-guard`, `put`, `sync` and `list` against moto's DynamoDB; and
//! Guard rules' own test files (input + expected PASS/FAIL/SKIP per rule)
//! against the verdicts of the real `cicd validate`.

mod common;

#[path = "../../guard-rules/tests/support/guard_test_format.rs"]
mod guard_test_format;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{cicd, cicd_moto, stderr, stdout, write};
use harness::moto::MotoServer;
use harness::unique_name;
use serde_json::Value;

/// guard-rules' own test rules (checked against Guard's CLI with their test files).
fn rules_dir() -> PathBuf {
    common::workspace().join("crates/guard-rules/tests/rules")
}

fn rules_file(name: &str) -> String {
    rules_dir()
        .join(format!("{name}.guard"))
        .to_string_lossy()
        .into_owned()
}

const BUCKETS: &str = r#"Resources:
  Media:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "${AWS::StackName}-media"
  Archive:
    Type: AWS::S3::Bucket
    Metadata:
      cicd:
        suppress:
          - rule: S3_BUCKET_SSE_ENABLED
            reason: encrypted by the account default
    Properties:
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: {SSEAlgorithm: AES256}
      PublicAccessBlockConfiguration:
        BlockPublicAcls: true
        BlockPublicPolicy: true
        IgnorePublicAcls: true
        RestrictPublicBuckets: false
"#;

#[test]
fn guard_files_given_to_rules_are_active_items_named_after_their_first_rule() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "buckets.yaml", BUCKETS);
    let encrypted = rules_file("s3_bucket_encrypted");
    let blocked = rules_file("s3_public_access_blocked");
    let out = cicd(
        dir.path(),
        &[
            "validate",
            "--rules",
            &encrypted,
            "--rules",
            &blocked,
            "buckets.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    assert_eq!(
        stdout(&out),
        "buckets.yaml:2  S3_BUCKET_SSE_ENABLED            Media    S3_BUCKET_SSE_ENABLED: Violation: S3 buckets must be encrypted at rest Fix: set BucketEncryption to SSE-S3 (AES256) or SSE-KMS (aws:kms)\n\
         buckets.yaml:2  S3_BUCKET_PUBLIC_ACCESS_BLOCKED  Media    S3_BUCKET_PUBLIC_ACCESS_BLOCKED: S3 buckets must set PublicAccessBlockConfiguration; Check was not compliant as property [PublicAccessBlockConfiguration] is missing. Value traversed to [Path=/Resources/Media/Properties Value={\"BucketName\":{\"Fn::Sub\":\"${AWS::StackName}-media\"}}]\n\
         buckets.yaml:6  S3_BUCKET_PUBLIC_ACCESS_BLOCKED  Archive  S3_BUCKET_PUBLIC_ACCESS_BLOCKED: Check was not compliant as property value [Path=/Resources/Archive/Properties/PublicAccessBlockConfiguration/RestrictPublicBuckets Value=false] not equal to value [Path=].\n\
         buckets.yaml: FAIL  risk 300 (3 findings)\n"
    );

    // --guard-risk sets their risk; a low one flags instead of failing.
    let out = cicd(
        dir.path(),
        &[
            "validate",
            "--rules",
            &blocked,
            "--guard-risk",
            "5",
            "--format",
            "json",
            "buckets.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let template = &report["templates"][0];
    assert_eq!(template["verdict"], "flagged");
    assert_eq!(template["risk"], 10);
    assert_eq!(
        template["findings"][0]["rule"],
        "S3_BUCKET_PUBLIC_ACCESS_BLOCKED"
    );
    assert_eq!(template["findings"][0]["resource_type"], "AWS::S3::Bucket");
    assert_eq!(template["findings"][0]["line"], 2);
}

#[test]
fn a_guard_finding_is_suppressed_with_a_reason_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "buckets.yaml", BUCKETS);
    let encrypted = rules_file("s3_bucket_encrypted");
    let run = |format: &str| {
        cicd(
            dir.path(),
            &[
                "validate",
                "--rules",
                &encrypted,
                "--format",
                format,
                "buckets.yaml",
            ],
        )
    };
    // Archive is encrypted; its suppression names the rule anyway. Media
    // is not, and has no suppression.
    let text = stdout(&run("text"));
    assert!(
        text.contains("buckets.yaml:2  S3_BUCKET_SSE_ENABLED  Media"),
        "{text}"
    );
    assert!(text.contains("FAIL  risk 100 (1 finding)"), "{text}");

    // Without a reason the suppression is not applied, and said so.
    let unexplained = BUCKETS
        .replace("Archive:", "Other:")
        .replace("            reason: encrypted by the account default\n", "")
        .replace(
            "      BucketEncryption:\n        ServerSideEncryptionConfiguration:\n          - ServerSideEncryptionByDefault: {SSEAlgorithm: AES256}\n",
            "",
        );
    write(dir.path(), "buckets.yaml", &unexplained);
    let out = run("text");
    let text = stdout(&out);
    assert!(
        text.contains("buckets.yaml:6  S3_BUCKET_SSE_ENABLED  Other"),
        "{text}"
    );
    assert!(
        text.contains("warning: Other (line 6): the suppression of S3_BUCKET_SSE_ENABLED gives no reason, so it is not applied"),
        "{text}"
    );
    assert!(text.contains("FAIL  risk 200 (2 findings)"), "{text}");

    // With a reason: suppressed, kept in every format, counted for nothing.
    let explained = unexplained.replace(
        "          - rule: S3_BUCKET_SSE_ENABLED\n",
        "          - rule: S3_BUCKET_SSE_ENABLED\n            reason: public downloads only\n",
    );
    write(dir.path(), "buckets.yaml", &explained);
    let text = stdout(&run("text"));
    assert!(
        text.contains("S3_BUCKET_SSE_ENABLED  Other  S3_BUCKET_SSE_ENABLED: Violation: S3 buckets must be encrypted at rest Fix: set BucketEncryption to SSE-S3 (AES256) or SSE-KMS (aws:kms)  (suppressed: public downloads only)"),
        "{text}"
    );
    assert!(
        text.contains("FAIL  risk 100 (2 findings, 1 suppressed)"),
        "{text}"
    );
    let json: Value = serde_json::from_str(&stdout(&run("json"))).unwrap();
    let suppressed = &json["templates"][0]["findings"][1];
    assert_eq!(suppressed["suppressed"], true);
    assert_eq!(suppressed["suppression_reason"], "public downloads only");
    let sarif: Value = serde_json::from_str(&stdout(&run("sarif"))).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(
        results[1]["suppressions"][0]["justification"],
        "public downloads only"
    );
    assert_eq!(
        sarif["runs"][0]["tool"]["driver"]["rules"][0]["shortDescription"]["text"],
        "Guard rules S3_BUCKET_SSE_ENABLED"
    );
    let junit = stdout(&run("junit"));
    assert!(
        junit.contains("<testcase name=\"S3_BUCKET_SSE_ENABLED\""),
        "{junit}"
    );
}

#[test]
fn a_rules_file_mixes_guard_items_and_native_rules() {
    let dir = tempfile::tempdir().unwrap();
    let guard_text = std::fs::read_to_string(rules_file("rds_instance_private_encrypted")).unwrap();
    let rules = serde_json::json!({"rules": [
        {"rule": "SSHOpenToWorld", "category": "SecurityGroup", "ruletype": "open-ingress",
         "ruledata": "tcp:22", "riskvalue": 100, "active": "Y"},
        {"rule": "PrivateDatabases", "category": "RDS", "ruletype": "guard",
         "ruledata": guard_text, "riskvalue": 60, "active": "Y"},
    ]});
    write(
        dir.path(),
        "rules.json",
        serde_json::to_string_pretty(&rules).unwrap(),
    );
    let template = common::template(&[
        common::open_group("Bastion", 22, None),
        "  Db:\n    Type: AWS::RDS::DBInstance\n    Properties: {Engine: mysql, DBInstanceClass: db.t3.micro, PubliclyAccessible: 'true', StorageEncrypted: true}\n".to_string(),
    ]);
    write(dir.path(), "stack.yaml", &template);
    let out = cicd(
        dir.path(),
        &["validate", "--rules", "rules.json", "stack.yaml"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with(
            "stack.yaml:3  SSHOpenToWorld    Bastion  SecurityGroupIngress[0] admits tcp 22"
        ),
        "{text}"
    );
    // 'true' (a string) is not false: Guard says what it compared.
    assert!(lines[1].starts_with("stack.yaml:9  PrivateDatabases  Db       RDS_INSTANCE_NOT_PUBLIC: Check was not compliant"), "{text}");
    assert!(lines[1].contains("Value=\"true\""), "{text}");
    assert_eq!(lines[2], "stack.yaml: FAIL  risk 160 (2 findings)");
}

#[test]
fn guard_rules_that_cannot_be_used_make_the_run_unusable() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "buckets.yaml", BUCKETS);
    // A .guard file that does not parse: named, with Guard's line.
    write(
        dir.path(),
        "broken.guard",
        "let buckets = Resources.*[ Type == 'AWS::S3::Bucket' ]\n\nrule BROKEN when %buckets !empty {\n  %buckets.Properties.X ==\n}\n",
    );
    let out = cicd(
        dir.path(),
        &["validate", "--rules", "broken.guard", "buckets.yaml"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).starts_with(
            "cicd validate: Guard rules file: broken.guard: the Guard rules do not parse: line 4, column"
        ),
        "{}",
        stderr(&out)
    );

    // A guard item in a rules file that does not parse: the item is named.
    write(
        dir.path(),
        "rules.yaml",
        "- {rule: Broken, ruletype: guard, ruledata: 'rule X {', riskvalue: 5, active: Y}\n- {rule: Dormant, ruletype: guard, ruledata: 'let x = 1', riskvalue: 5, active: N}\n",
    );
    let out = cicd(
        dir.path(),
        &["validate", "--rules", "rules.yaml", "buckets.yaml"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("cicd validate: rules file rules.yaml has active rules that cannot be applied:\n  rule Broken: the Guard rules do not parse: line 1"),
        "{}",
        stderr(&out)
    );

    // Inactive, it is a warning.
    write(
        dir.path(),
        "rules.yaml",
        "- {rule: Dormant, ruletype: guard, ruledata: 'let x = 1', riskvalue: 5, active: N}\n",
    );
    let out = cicd(
        dir.path(),
        &["validate", "--rules", "rules.yaml", "buckets.yaml"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "cicd validate: warning: rules file rules.yaml: inactive rule Dormant: the Guard rules name no rule\n"
    );

    // A rule Guard fails on while evaluating: no verdict, exit 2, the
    // template and the item named.
    write(
        dir.path(),
        "undefined.guard",
        "let buckets = Resources.*[ Type == 'AWS::S3::Bucket' ]\nrule UNDEFINED when %buckets !empty { %nothing.Properties exists }\n",
    );
    let out = cicd(
        dir.path(),
        &[
            "validate",
            "--rules",
            "undefined.guard",
            "--format",
            "json",
            "buckets.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout(&out), "", "no report to read a verdict from");
    assert!(
        stderr(&out).starts_with("cicd validate: the rules could not be evaluated, so there is no verdict:\nbuckets.yaml: rule UNDEFINED: Guard could not evaluate the rules: "),
        "{}",
        stderr(&out)
    );

    // A directory without Guard rules files.
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let out = cicd(
        dir.path(),
        &["validate", "--rules", "empty", "buckets.yaml"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "cicd validate: --rules empty: no .guard files in it\n"
    );
}

#[test]
fn a_template_too_large_for_guard_is_unresolved_never_passed() {
    let dir = tempfile::tempdir().unwrap();
    // 200 kB anchored once, aliased twelve times: 2.6 MB as JSON.
    let big = "x".repeat(200_000);
    let mut text =
        format!("Parameters:\n  Big:\n    Type: String\n    Default: &big \"{big}\"\nResources:\n");
    for i in 0..12 {
        text.push_str(&format!(
            "  Bucket{i}:\n    Type: AWS::S3::Bucket\n    Properties: {{BucketName: *big}}\n"
        ));
    }
    write(dir.path(), "aliases.yaml", &text);
    let out = cicd(
        dir.path(),
        &[
            "validate",
            "--rules",
            &rules_file("s3_bucket_encrypted"),
            "aliases.yaml",
        ],
    );
    // Unresolved findings flag by default; under --unresolved fail they fail.
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("aliases.yaml:1  S3_BUCKET_SSE_ENABLED  (template)  the Guard rules could not be checked on this template: the template is more than 2097152 bytes as JSON"),
        "{text}"
    );
    assert!(text.contains("FLAGGED"), "{text}");
    let out = cicd(
        dir.path(),
        &[
            "validate",
            "--unresolved",
            "fail",
            "--rules",
            &rules_file("s3_bucket_encrypted"),
            "aliases.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(1));

    // An item over --guard-memory (here 1 MiB, on a template of 10 kB of
    // buckets) is stopped at it: unresolved too.
    let buckets: String = (0..100)
        .map(|i| format!("  Bucket{i}:\n    Type: AWS::S3::Bucket\n    Properties: {{BucketName: bucket-number-{i}-of-the-estate}}\n"))
        .collect();
    write(dir.path(), "buckets.yaml", format!("Resources:\n{buckets}"));
    let out = cicd(
        dir.path(),
        &[
            "validate",
            "--guard-memory",
            "1",
            "--rules",
            &rules_file("s3_bucket_encrypted"),
            "buckets.yaml",
        ],
    );
    let text = stdout(&out);
    assert!(
        text.contains("Guard needed more than 1 MiB of memory"),
        "{text}"
    );
    assert!(text.contains("FLAGGED"), "{text}");
}

// --- The rules table -----------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn import_guard_puts_one_item_per_file_and_validate_table_applies_them() {
    let moto = MotoServer::shared();
    let table = unique_name("rules");
    moto.create_rules_table(&table).await;
    let dir = tempfile::tempdir().unwrap();

    // One file that does not parse among good ones: nothing is written.
    let broken = write(
        dir.path(),
        "broken.guard",
        "rule BROKEN {\n  Resources.*[\n",
    );
    let refused = cicd_moto(
        moto,
        &table,
        &[
            "rules",
            "import-guard",
            &rules_file("s3_bucket_encrypted"),
            &broken.to_string_lossy(),
        ],
    );
    assert_eq!(refused.status.code(), Some(2));
    let message = stderr(&refused);
    assert!(
        message.starts_with(
            "cicd rules: Guard rules files that cannot be used; nothing was written:\n  "
        ),
        "{message}"
    );
    assert!(
        message.contains("broken.guard: the Guard rules do not parse: line "),
        "{message}"
    );
    assert!(
        rules_table::RulesTable::new(moto.dynamodb(), &table)
            .scan()
            .await
            .unwrap()
            .is_empty()
    );

    let imported = cicd_moto(
        moto,
        &table,
        &[
            "rules",
            "import-guard",
            "--risk",
            "60",
            "--category",
            "S3",
            &rules_file("s3_bucket_encrypted"),
            &rules_file("s3_public_access_blocked"),
        ],
    );
    assert!(imported.status.success(), "{}", stderr(&imported));
    assert_eq!(
        stdout(&imported),
        "put S3_BUCKET_SSE_ENABLED\nput S3_BUCKET_PUBLIC_ACCESS_BLOCKED\n"
    );
    let inactive = cicd_moto(
        moto,
        &table,
        &[
            "rules",
            "import-guard",
            "--id",
            "Databases",
            "--inactive",
            &rules_file("rds_instance_private_encrypted"),
        ],
    );
    assert!(inactive.status.success(), "{}", stderr(&inactive));
    let two_with_one_id = cicd_moto(
        moto,
        &table,
        &[
            "rules",
            "import-guard",
            "--id",
            "X",
            &rules_file("s3_bucket_encrypted"),
            &rules_file("s3_public_access_blocked"),
        ],
    );
    assert_eq!(two_with_one_id.status.code(), Some(2));

    let listed = cicd_moto(moto, &table, &["rules", "list"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    let encrypted_bytes = std::fs::read(rules_file("s3_bucket_encrypted"))
        .unwrap()
        .len();
    let blocked_bytes = std::fs::read(rules_file("s3_public_access_blocked"))
        .unwrap()
        .len();
    let rds_bytes = std::fs::read(rules_file("rds_instance_private_encrypted"))
        .unwrap()
        .len();
    assert_eq!(
        stdout(&listed),
        format!(
            "RULE                             CATEGORY  RULETYPE  ACTIVE  SUPPRESSIBLE  RISK  RULEDATA\n\
             Databases                        Guard     guard     N       Y             100   Guard rules RDS_INSTANCE_NOT_PUBLIC (+1 more: RDS_STORAGE_ENCRYPTED) ({rds_bytes} bytes)\n\
             S3_BUCKET_PUBLIC_ACCESS_BLOCKED  S3        guard     Y       Y             60    Guard rules S3_BUCKET_PUBLIC_ACCESS_BLOCKED ({blocked_bytes} bytes)\n\
             S3_BUCKET_SSE_ENABLED            S3        guard     Y       Y             60    Guard rules S3_BUCKET_SSE_ENABLED ({encrypted_bytes} bytes)\n"
        )
    );

    // The pipeline's view: the table's guard items, on a template.
    write(dir.path(), "buckets.yaml", BUCKETS);
    let mut command = Command::new(env!("CARGO_BIN_EXE_cicd"));
    let validated = common::moto_env(&mut command, moto)
        .current_dir(dir.path())
        .args([
            "validate",
            "--table",
            &table,
            "--endpoint-url",
            &moto.endpoint(),
            "buckets.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(validated.status.code(), Some(1), "{}", stderr(&validated));
    assert!(
        stdout(&validated).ends_with("buckets.yaml: FAIL  risk 180 (3 findings)\n"),
        "{}",
        stdout(&validated)
    );

    // `list --format json` is a rules file `sync` reads back unchanged, and
    // `put` takes guard items too.
    let exported = write(
        dir.path(),
        "exported.json",
        stdout(&cicd_moto(
            moto,
            &table,
            &["rules", "list", "--format", "json"],
        )),
    );
    let synced = cicd_moto(
        moto,
        &table,
        &["rules", "sync", "--file", &exported.to_string_lossy()],
    );
    assert!(
        stdout(&synced).ends_with("the table already matches the file\n"),
        "{}",
        stdout(&synced)
    );
    let file = write(
        dir.path(),
        "more.yaml",
        format!(
            "- rule: Trails\n  category: Logging\n  ruletype: guard\n  riskvalue: 30\n  active: Y\n  ruledata: |\n{}",
            std::fs::read_to_string(rules_file("cloudtrail_log_validation"))
                .unwrap()
                .lines()
                .map(|l| format!("    {l}\n"))
                .collect::<String>()
        ),
    );
    let put = cicd_moto(
        moto,
        &table,
        &["rules", "put", "--file", &file.to_string_lossy()],
    );
    assert_eq!(stdout(&put), "put Trails\n", "{}", stderr(&put));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_item_over_dynamodbs_limit_is_refused_before_anything_is_written() {
    let moto = MotoServer::shared();
    let table = unique_name("rules");
    moto.create_rules_table(&table).await;
    let dir = tempfile::tempdir().unwrap();
    // Rules text at guard-rules' cap (400 KB): with the item's other
    // attributes, over DynamoDB's.
    let mut text = String::from("rule BIG { Resources exists }\n");
    let line = format!("{}\n", "# padding ".repeat(7));
    while text.len() + line.len() <= guard_rules_cap() {
        text.push_str(&line);
    }
    text.push_str(&"#".repeat(guard_rules_cap() - text.len() - 1));
    text.push('\n');
    assert_eq!(text.len(), guard_rules_cap());
    let big = write(dir.path(), "big.guard", &text);
    let small = rules_file("s3_bucket_encrypted");
    let refused = cicd_moto(
        moto,
        &table,
        &["rules", "import-guard", &small, &big.to_string_lossy()],
    );
    assert_eq!(refused.status.code(), Some(2));
    let message = stderr(&refused);
    assert!(message.starts_with("cicd rules: rule BIG is "), "{message}");
    assert!(
        message.contains("bytes as a DynamoDB item; DynamoDB stores at most 409600 bytes per item (400 KB), so the rules table"),
        "{message}"
    );
    assert!(
        message.trim_end().ends_with("nothing was written"),
        "{message}"
    );
    assert!(
        rules_table::RulesTable::new(moto.dynamodb(), &table)
            .scan()
            .await
            .unwrap()
            .is_empty()
    );
    // The same through a rules file and sync.
    let item = serde_json::json!([{"rule": "BIG", "ruletype": "guard", "ruledata": text,
                                   "riskvalue": 1, "active": "Y"}]);
    let file = write(dir.path(), "big.json", item.to_string());
    let synced = cicd_moto(
        moto,
        &table,
        &["rules", "sync", "--file", &file.to_string_lossy()],
    );
    assert_eq!(synced.status.code(), Some(2));
    assert!(
        stderr(&synced).contains("DynamoDB stores at most"),
        "{}",
        stderr(&synced)
    );
}

fn guard_rules_cap() -> usize {
    400 * 1024
}

// --- Guard rules' own test files, through the real binary ------------------------

/// How the cases of a directory of Guard rules and their test files came out.
#[derive(Debug, Default)]
struct Tally {
    rules_files: usize,
    cases: usize,
    /// Rule verdicts compared.
    checks: usize,
    /// Cases whose input cicd refuses as a template (no `Resources`, say):
    /// no verdict, exit 2; never a pass.
    refused: Vec<String>,
    /// Expected SKIP, reported as an unresolved finding: Guard skipped the
    /// rule on a condition it could not decide.
    undecided: usize,
    /// Expected SKIP, reported as a finding suppressed with its reason (a
    /// `Metadata.guard.SuppressedRules` entry naming the rule).
    suppressed: usize,
    mismatches: Vec<String>,
}

/// Runs every case of every rules file under `dir` through `cicd validate
/// --rules FILE.guard --format json CASES…`, and compares: an unsuppressed
/// resolved finding whose reason starts with a rule's name is FAIL for that
/// rule; none is PASS or SKIP, and so is one suppressed with a reason for
/// SKIP (the case's suppression, shown).
fn run_test_files(dir: &Path) -> Tally {
    let mut tally = Tally::default();
    let scratch = tempfile::tempdir().unwrap();
    for (rules, tests) in guard_test_format::rules_with_tests(dir) {
        if tests.is_empty() {
            continue;
        }
        tally.rules_files += 1;
        let cases_dir = scratch.path().join(format!("{}", tally.rules_files));
        std::fs::create_dir(&cases_dir).unwrap();
        // Each case's input, written as the JSON our parser read it as.
        let mut cases: BTreeMap<String, (String, BTreeMap<String, String>)> = BTreeMap::new();
        for test in &tests {
            let bytes = std::fs::read(test).unwrap();
            let Ok(Value::Array(list)) = template_rules::parse_document(&bytes) else {
                tally
                    .mismatches
                    .push(format!("{}: not a list of cases", test.display()));
                continue;
            };
            for (n, case) in list.into_iter().enumerate() {
                tally.cases += 1;
                let file = format!("case-{:04}.json", cases.len());
                let name = format!(
                    "{} [{}]",
                    test.display(),
                    case["name"]
                        .as_str()
                        .map_or_else(|| format!("case {}", n + 1), str::to_string)
                );
                let expected = case["expectations"]["rules"]
                    .as_object()
                    .map(|rules| {
                        rules
                            .iter()
                            .map(|(rule, status)| {
                                (rule.clone(), status.as_str().unwrap_or("?").to_string())
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let input = case.get("input").cloned().unwrap_or(Value::Null);
                std::fs::write(
                    cases_dir.join(&file),
                    serde_json::to_string_pretty(&input).unwrap(),
                )
                .unwrap();
                cases.insert(file, (name, expected));
            }
        }
        if cases.is_empty() {
            continue;
        }
        let mut args: Vec<String> = vec![
            "validate".into(),
            "--rules".into(),
            rules.to_string_lossy().into_owned(),
            "--format".into(),
            "json".into(),
        ];
        args.extend(cases.keys().cloned());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = cicd(&cases_dir, &args);
        let Ok(report) = serde_json::from_str::<Value>(&stdout(&out)) else {
            tally.mismatches.push(format!(
                "{}: cicd validate gave no report (exit {:?}): {}",
                rules.display(),
                out.status.code(),
                stderr(&out)
            ));
            continue;
        };
        for entry in report["templates"].as_array().into_iter().flatten() {
            let path = entry["path"].as_str().unwrap_or_default();
            let Some((name, expected)) = cases.get(path) else {
                tally.mismatches.push(format!("{path}: not a case"));
                continue;
            };
            if entry["verdict"] == "error" {
                tally.refused.push(format!(
                    "{name}: {}",
                    entry["error"]["message"].as_str().unwrap_or_default()
                ));
                continue;
            }
            let findings = entry["findings"].as_array().cloned().unwrap_or_default();
            for (rule, want) in expected {
                tally.checks += 1;
                let of_rule = |f: &&Value| {
                    let reason = f["reason"].as_str().unwrap_or_default();
                    let reason = match reason.strip_prefix("generated by ") {
                        Some(rest) => rest.split_once(": ").map_or(rest, |(_, r)| r),
                        None => reason,
                    };
                    reason.starts_with(&format!("{rule}: "))
                };
                let unresolved = |f: &&Value| f.get("unresolved").is_some();
                let active = |f: &&Value| f["suppressed"] != true;
                let failed = findings
                    .iter()
                    .filter(of_rule)
                    .any(|f| active(&f) && !unresolved(&f));
                let undecided = findings
                    .iter()
                    .filter(of_rule)
                    .any(|f| active(&f) && unresolved(&f));
                let suppressed = findings.iter().filter(of_rule).any(|f| {
                    !active(&f)
                        && f["suppression_reason"]
                            .as_str()
                            .is_some_and(|r| !r.is_empty())
                });
                match (want.as_str(), failed, undecided, suppressed) {
                    ("FAIL", true, _, _) | ("PASS" | "SKIP", false, false, false) => {}
                    ("SKIP", false, true, _) => tally.undecided += 1,
                    ("SKIP", false, false, true) => tally.suppressed += 1,
                    _ => tally.mismatches.push(format!(
                        "{name}: {rule}: expected {want}, cicd {}",
                        if failed {
                            "reports it (FAIL)"
                        } else if undecided {
                            "reports it unresolved"
                        } else if suppressed {
                            "reports it suppressed"
                        } else {
                            "reports nothing (PASS or SKIP)"
                        }
                    )),
                }
            }
        }
    }
    tally
}

fn summary(tally: &Tally) -> String {
    let mut text = format!(
        "{} rules files, {} cases, {} verdicts checked, {} undecided (SKIP, reported unresolved), {} suppressed (SKIP, reported suppressed with the reason), {} inputs refused as templates, {} mismatches",
        tally.rules_files,
        tally.cases,
        tally.checks,
        tally.undecided,
        tally.suppressed,
        tally.refused.len(),
        tally.mismatches.len()
    );
    for refused in &tally.refused {
        text.push_str(&format!("\n  refused: {refused}"));
    }
    for mismatch in &tally.mismatches {
        text.push_str(&format!("\n  MISMATCH {mismatch}"));
    }
    text
}

#[test]
fn cicd_validate_agrees_with_the_test_files_of_our_guard_rules() {
    let tally = run_test_files(&rules_dir());
    println!("{}", summary(&tally));
    assert!(tally.mismatches.is_empty(), "{}", summary(&tally));
    assert_eq!(tally.rules_files, 6, "{}", summary(&tally));
    assert!(tally.checks >= 40, "{}", summary(&tally));
    // The cases whose input is not a template (`input: {}`) are refused,
    // never passed, and expect nothing to be found.
    assert!(
        tally
            .refused
            .iter()
            .all(|r| r.contains("the template has no Resources section")),
        "{}",
        summary(&tally)
    );
}

/// A rule in the Guard Rules Registry's documented shape (its resources
/// are those whose `Metadata.guard.SuppressedRules` does not name it),
/// with test cases in its test-file format written here (the registry's
/// own are not in this repository): each case that expects a SKIP because
/// of a suppression — a name, or `RULE: reason` — is a finding suppressed
/// with its reason shown; an entry naming another rule suppresses nothing
/// (FAIL); nothing is left undecided.
#[test]
fn cicd_validate_skips_what_guard_suppressions_name_showing_the_reason() {
    let tally = run_test_files(&common::workspace().join("tests/fixtures/guard-suppressions"));
    println!("{}", summary(&tally));
    assert!(tally.mismatches.is_empty(), "{}", summary(&tally));
    assert_eq!(tally.rules_files, 1, "{}", summary(&tally));
    assert_eq!(tally.checks, 9, "{}", summary(&tally));
    assert_eq!(tally.suppressed, 3, "{}", summary(&tally));
    assert_eq!(tally.undecided, 0, "{}", summary(&tally));
    assert!(tally.refused.is_empty(), "{}", summary(&tally));
}

/// Published rules (the AWS Guard Rules Registry's `rules/` directory,
/// say), never copied into this repository:
/// `GUARD_RULES_TESTS=/path/to/rules cargo test -p cicd-cli --test guard -- --ignored --nocapture`
#[test]
#[ignore = "set GUARD_RULES_TESTS to a directory of published Guard rules with their tests"]
fn cicd_validate_agrees_with_the_test_files_of_published_guard_rules() {
    let dir = std::env::var("GUARD_RULES_TESTS")
        .expect("GUARD_RULES_TESTS names a directory of Guard rules and their tests/");
    let tally = run_test_files(Path::new(&dir));
    println!("{}", summary(&tally));
    assert!(tally.rules_files > 0, "no tested .guard file under {dir}");
    assert!(tally.mismatches.is_empty(), "{}", summary(&tally));
}
