//! Guard items (`ruletype: guard`) in the rule engine: findings per
//! resource with their lines, next to native rules, through suppressions,
//! thresholds and the unresolved policy, and every way a Guard check can
//! fail to happen reported, never passed.
//!
//! The rules are guard-rules' own test rules (`crates/guard-rules/tests/rules`,
//! checked against Guard's CLI with their test files); the templates are
//! written here, in JSON and in YAML with short-form tags.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::json;
use template_rules::guard::{GUARD_CHUNK, MAX_GUARD_JSON_BYTES, TEMPLATE, guard_json};
use template_rules::{
    Budget, EvaluateOptions, EvaluationError, Finding, Report, RuleItem, RuleKind, RuleSet,
    Template, Thresholds, UnresolvedPolicy, Verdict, evaluate, evaluate_with,
};

fn rules_file(name: &str) -> String {
    let path = format!(
        "{}/../guard-rules/tests/rules/{name}.guard",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn guard(id: &str, text: &str, risk: u64) -> RuleItem {
    serde_json::from_value(json!({
        "rule": id, "category": "Storage", "ruletype": "guard",
        "ruledata": text, "riskvalue": risk, "active": "Y"
    }))
    .unwrap()
}

/// Every rules file of guard-rules' tests, each an item named after its
/// first rule, risk 10.
fn all_guard_items() -> Vec<RuleItem> {
    [
        (
            "S3_BUCKET_PUBLIC_ACCESS_BLOCKED",
            "s3_public_access_blocked",
        ),
        ("S3_BUCKET_SSE_ENABLED", "s3_bucket_encrypted"),
        ("IAM_POLICY_NO_WILDCARD_ACTION", "iam_no_wildcard_action"),
        ("RDS_INSTANCE_NOT_PUBLIC", "rds_instance_private_encrypted"),
        (
            "CLOUDTRAIL_LOG_FILE_VALIDATION_ENABLED",
            "cloudtrail_log_validation",
        ),
        ("PROD_BUCKETS_VERSIONED", "prod_buckets_versioned"),
    ]
    .into_iter()
    .map(|(id, file)| guard(id, &rules_file(file), 10))
    .collect()
}

fn run(text: &str, items: Vec<RuleItem>) -> Report {
    let rules = RuleSet::from_items(items);
    assert_eq!(rules.check_usable(), Ok(()));
    let template = Template::parse(text.as_bytes()).unwrap();
    evaluate(&template, &rules, &Thresholds::default()).unwrap()
}

/// (rule, resource, line, start of the reason) of each finding, sorted.
fn found(report: &Report) -> Vec<(String, String, usize, String)> {
    let mut found: Vec<_> = report
        .findings
        .iter()
        .map(|f| {
            let reason: String = f.reason.chars().take(60).collect();
            (f.rule.clone(), f.resource.clone(), f.line, reason)
        })
        .collect();
    found.sort();
    found
}

fn row(rule: &str, resource: &str, line: usize, reason: &str) -> (String, String, usize, String) {
    (
        rule.to_string(),
        resource.to_string(),
        line,
        reason.chars().take(60).collect(),
    )
}

/// An estate in YAML with short-form tags: a compliant bucket, a bucket
/// neither encrypted nor blocked, a role with a wildcard inline policy, a
/// public unencrypted database, a trail without log validation.
const ESTATE_YAML: &str = r#"AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Environment:
    Type: String
    Default: prod
Resources:
  GoodBucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "${AWS::StackName}-good"
      VersioningConfiguration: {Status: Enabled}
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault: {SSEAlgorithm: aws:kms}
      PublicAccessBlockConfiguration:
        BlockPublicAcls: true
        BlockPublicPolicy: true
        IgnorePublicAcls: true
        RestrictPublicBuckets: true
  LeakyBucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Join ["-", [!Ref "AWS::StackName", leaky]]
  AdminRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}
      Policies:
        - PolicyName: everything
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: "*"
                Resource: !GetAtt LeakyBucket.Arn
  Database:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: postgres
      DBInstanceClass: db.t3.micro
      PubliclyAccessible: true
      StorageEncrypted: false
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties:
      IsLogging: true
      S3BucketName: !Ref GoodBucket
      EnableLogFileValidation: false
"#;

#[test]
fn each_failing_rule_is_a_finding_on_each_offending_resource_at_its_line() {
    let report = run(ESTATE_YAML, all_guard_items());
    assert_eq!(
        found(&report),
        [
            row(
                "CLOUDTRAIL_LOG_FILE_VALIDATION_ENABLED",
                "Trail",
                44,
                "CLOUDTRAIL_LOG_FILE_VALIDATION_ENABLED: CloudTrail trails must set EnableLogFileValidation to true"
            ),
            row(
                "IAM_POLICY_NO_WILDCARD_ACTION",
                "AdminRole",
                24,
                "IAM_ROLE_INLINE_NO_WILDCARD_ACTION: inline role policies must not allow every action (\"*\")"
            ),
            row(
                "PROD_BUCKETS_VERSIONED",
                "LeakyBucket",
                20,
                "PROD_BUCKETS_VERSIONED: production buckets must be versioned"
            ),
            // Guard's own messages when the rule has none: they say what was compared.
            row(
                "RDS_INSTANCE_NOT_PUBLIC",
                "Database",
                37,
                "RDS_INSTANCE_NOT_PUBLIC: Check was not compliant as property"
            ),
            row(
                "RDS_INSTANCE_NOT_PUBLIC",
                "Database",
                37,
                "RDS_STORAGE_ENCRYPTED: Check was not compliant as property v"
            ),
            row(
                "S3_BUCKET_PUBLIC_ACCESS_BLOCKED",
                "LeakyBucket",
                20,
                "S3_BUCKET_PUBLIC_ACCESS_BLOCKED: S3 buckets must set PublicAccessBlockConfiguration"
            ),
            row(
                "S3_BUCKET_SSE_ENABLED",
                "LeakyBucket",
                20,
                "S3_BUCKET_SSE_ENABLED: Violation: S3 buckets must be encrypted at rest Fix: set BucketEncryption to SSE-S3 (AES256) or SSE-KMS (aws:kms)"
            ),
        ]
    );
    let public = report
        .findings
        .iter()
        .find(|f| f.reason.starts_with("RDS_INSTANCE_NOT_PUBLIC"))
        .unwrap();
    assert!(
        public.reason.contains("PubliclyAccessible"),
        "{}",
        public.reason
    );
    let finding = &report.findings[0];
    assert_eq!(
        (finding.risk, finding.suppressed, finding.is_unresolved()),
        (10, false, false)
    );
    assert_eq!(
        report
            .findings
            .iter()
            .find(|f| f.resource == "Trail")
            .unwrap()
            .resource_type,
        "AWS::CloudTrail::Trail"
    );
    // Seven findings of risk 10: past the fail threshold.
    assert_eq!((report.verdict, report.risk), (Verdict::Fail, 70));
}

#[test]
fn json_and_yaml_with_short_forms_give_the_same_findings() {
    let yaml = Template::parse(ESTATE_YAML.as_bytes()).unwrap();
    let value = guard_json(&yaml, MAX_GUARD_JSON_BYTES).unwrap();
    // What Guard sees: long forms, every section.
    assert_eq!(
        value["Resources"]["LeakyBucket"]["Properties"]["BucketName"],
        json!({"Fn::Join": ["-", [{"Ref": "AWS::StackName"}, "leaky"]]})
    );
    assert_eq!(value["AWSTemplateFormatVersion"], json!("2010-09-09"));
    let text = serde_json::to_string_pretty(&value).unwrap();
    let from_json = run(&text, all_guard_items());
    let from_yaml = run(ESTATE_YAML, all_guard_items());
    let without_lines = |report: &Report| {
        found(report)
            .into_iter()
            .map(|(rule, resource, _, reason)| (rule, resource, reason))
            .collect::<Vec<_>>()
    };
    assert_eq!(without_lines(&from_json), without_lines(&from_yaml));
    assert_eq!(from_json.findings.len(), 7);
    // Lines are the JSON text's own.
    let trail = from_json
        .findings
        .iter()
        .find(|f| f.resource == "Trail")
        .unwrap();
    let trail_line = text
        .lines()
        .position(|l| l.trim_start().starts_with("\"Trail\""))
        .unwrap()
        + 1;
    assert_eq!(trail.line, trail_line);
}

#[test]
fn a_when_clause_that_does_not_hold_skips_the_rule() {
    // PROD_BUCKETS_VERSIONED applies only when Environment defaults to prod.
    let staging = ESTATE_YAML.replace("Default: prod", "Default: staging");
    let report = run(
        &staging,
        vec![guard(
            "PROD_BUCKETS_VERSIONED",
            &rules_file("prod_buckets_versioned"),
            10,
        )],
    );
    assert_eq!(report.findings, []);
    assert_eq!(report.verdict, Verdict::Pass);
    // A template without the types a rule selects: nothing to say.
    let no_bucket = "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n";
    assert_eq!(run(no_bucket, all_guard_items()).findings, []);
}

#[test]
fn a_rules_text_that_does_not_parse_is_an_error_naming_the_item_and_the_line() {
    let broken = "let buckets = Resources.*[ Type == 'AWS::S3::Bucket' ]\n\nrule BROKEN when %buckets !empty {\n    %buckets.Properties.X ==\n}\n";
    let mut inactive = guard("Dormant", broken, 5);
    inactive.active = Some("N".into());
    let set = RuleSet::from_items([guard("Broken", broken, 5), inactive]);
    let errors: Vec<(String, bool)> = set
        .errors()
        .iter()
        .map(|e| (e.to_string(), e.blocking))
        .collect();
    assert_eq!(errors.len(), 2);
    assert!(
        errors[0]
            .0
            .starts_with("rule Broken: the Guard rules do not parse: line 4"),
        "{errors:?}"
    );
    assert!(errors[0].1, "an active item blocks");
    assert!(errors[1].0.starts_with("rule Dormant: "), "{errors:?}");
    assert!(!errors[1].1, "an inactive one is a warning");
    let unusable = set.check_usable().unwrap_err();
    assert_eq!(unusable.errors.len(), 1);

    // Only lets: no rule to apply.
    let set = RuleSet::from_items([guard("Lets", "let x = 1", 5)]);
    assert_eq!(
        set.errors()[0].to_string(),
        "rule Lets: the Guard rules name no rule"
    );
    // A guard item without ruledata, or with a category that is not text.
    let mut no_data = guard("NoData", "rule R { Resources exists }", 5);
    no_data.ruledata = None;
    let mut odd_category = guard("Odd", "rule R { Resources exists }", 5);
    odd_category.category = Some(json!(3));
    let set = RuleSet::from_items([no_data, odd_category]);
    let messages: Vec<String> = set.errors().iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "rule NoData: the item has no ruledata",
            "rule Odd: category must be a string, not 3"
        ]
    );
}

#[test]
fn guard_items_sit_next_to_native_rules_in_one_set() {
    let mut items = RuleSet::default_items();
    items.push(guard(
        "S3_BUCKET_SSE_ENABLED",
        &rules_file("s3_bucket_encrypted"),
        30,
    ));
    // Category is free text for guard items, and optional.
    let mut uncategorised = guard(
        "CLOUDTRAIL_LOG_FILE_VALIDATION_ENABLED",
        &rules_file("cloudtrail_log_validation"),
        1,
    );
    uncategorised.category = None;
    items.push(uncategorised);
    let rules = RuleSet::from_items(items);
    assert_eq!(rules.check_usable(), Ok(()));
    assert_eq!(rules.rules().len(), 6);
    let trail = rules.get("CLOUDTRAIL_LOG_FILE_VALIDATION_ENABLED").unwrap();
    assert_eq!(trail.category.name(), "Guard");
    assert!(matches!(trail.kind, RuleKind::Guard(_)));
    assert_eq!(
        rules.get("S3_BUCKET_SSE_ENABLED").unwrap().category.name(),
        "Storage"
    );

    let template = r#"{
  "Resources": {
    "Web": {
      "Type": "AWS::EC2::SecurityGroup",
      "Properties": {
        "GroupDescription": "web",
        "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}]
      }
    },
    "Logs": {"Type": "AWS::S3::Bucket"}
  }
}"#;
    let template = Template::parse(template.as_bytes()).unwrap();
    let report = evaluate(&template, &rules, &Thresholds::default()).unwrap();
    let found: Vec<(&str, &str, usize, u64)> = report
        .findings
        .iter()
        .map(|f| (f.rule.as_str(), f.resource.as_str(), f.line, f.risk))
        .collect();
    assert_eq!(
        found,
        [
            ("IngressOpenToWorld", "Web", 3, 100),
            ("SSHOpenToWorld", "Web", 3, 100),
            ("S3_BUCKET_SSE_ENABLED", "Logs", 10, 30),
        ]
    );
    assert_eq!(report.risk, 230);
    // Which rules had something to look at (`cicd validate`'s JUnit cases):
    // not the trail's, which selects a type the template does not have.
    let applied: Vec<&str> = rules
        .active()
        .filter(|r| r.applies_to(&template))
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(
        applied,
        [
            "IngressOpenToWorld",
            "SSHOpenToWorld",
            "S3_BUCKET_SSE_ENABLED"
        ]
    );
    // The item as stored again: the rules text, the label.
    let item = RuleItem::from(rules.get("S3_BUCKET_SSE_ENABLED").unwrap());
    assert_eq!(item.ruletype, Some(json!("guard")));
    assert_eq!(item.category, Some(json!("Storage")));
    assert_eq!(
        item.ruledata,
        Some(json!(rules_file("s3_bucket_encrypted")))
    );
}

const UNENCRYPTED: &str = r#"Resources:
  Kept:
    Type: AWS::S3::Bucket
    Metadata:
      cicd:
        suppress:
          - rule: S3_BUCKET_SSE_ENABLED
            reason: holds public downloads only
  Unexplained:
    Type: AWS::S3::Bucket
    Metadata:
      cicd:
        suppress:
          - rule: S3_BUCKET_SSE_ENABLED
"#;

#[test]
fn a_guard_finding_is_suppressed_with_a_reason_and_only_with_one() {
    let item = guard(
        "S3_BUCKET_SSE_ENABLED",
        &rules_file("s3_bucket_encrypted"),
        60,
    );
    let report = run(UNENCRYPTED, vec![item.clone()]);
    let state: Vec<(&str, bool, Option<&str>)> = report
        .findings
        .iter()
        .map(|f| {
            (
                f.resource.as_str(),
                f.suppressed,
                f.suppression_reason.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        state,
        [
            ("Kept", true, Some("holds public downloads only")),
            ("Unexplained", false, None),
        ]
    );
    assert_eq!(
        report.warnings,
        [
            "Unexplained (line 9): the suppression of S3_BUCKET_SSE_ENABLED gives no reason, so it is not applied"
        ]
    );
    // The suppressed finding counts for nothing; the other fails the template.
    assert_eq!((report.risk, report.verdict), (60, Verdict::Fail));

    // An item that may not be suppressed.
    let mut strict = item;
    strict.suppressible = Some("N".into());
    let report = run(UNENCRYPTED, vec![strict]);
    assert!(report.findings.iter().all(|f| !f.suppressed));
    assert_eq!(report.risk, 120);
}

#[test]
fn a_failure_tied_to_no_resource_is_a_template_finding_the_template_may_suppress() {
    // "The template must have a trail": fails without one, on no resource.
    let needs_trail = guard(
        "TRAIL_REQUIRED",
        "rule TRAIL_REQUIRED {\n  Resources.*[ Type == 'AWS::CloudTrail::Trail' ] !empty\n  << every stack brings its trail >>\n}\n",
        7,
    );
    let template = "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n";
    let report = run(template, vec![needs_trail.clone()]);
    assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
    let finding = &report.findings[0];
    assert_eq!(
        (
            finding.resource.as_str(),
            finding.line,
            finding.resource_type.as_str()
        ),
        (TEMPLATE, 1, "CloudFormation template")
    );
    assert!(
        finding
            .reason
            .starts_with("TRAIL_REQUIRED: every stack brings its trail"),
        "{}",
        finding.reason
    );
    assert_eq!(report.verdict, Verdict::Flagged);

    let suppressed = format!(
        "Metadata:\n  cicd:\n    suppress:\n      - {{rule: TRAIL_REQUIRED, reason: the account trail covers it}}\n{template}"
    );
    let report = run(&suppressed, vec![needs_trail]);
    assert!(report.findings[0].suppressed);
    assert_eq!(
        report.findings[0].suppression_reason.as_deref(),
        Some("the account trail covers it")
    );
    assert_eq!(report.verdict, Verdict::Pass);
}

#[test]
fn guard_reads_every_section_as_written() {
    let described = guard(
        "DESCRIBED",
        "rule DESCRIBED { Description exists\n << templates say what they are >> }\n",
        5,
    );
    let tagged = guard(
        "OWNER_TAGGED",
        "rule OWNER_TAGGED { Metadata.Owner exists }\n",
        5,
    );
    let bare = "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n";
    let report = run(bare, vec![described.clone(), tagged.clone()]);
    let rules: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(rules, ["DESCRIBED", "OWNER_TAGGED"]);
    let json = r#"{"Description": "a queue", "Metadata": {"Owner": "team"}, "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}"#;
    assert_eq!(run(json, vec![described, tagged]).findings, []);
}

#[test]
fn resources_fn_foreach_generates_are_checked_at_the_loop() {
    let template = r#"Transform: AWS::LanguageExtensions
Resources:
  Fn::ForEach::Buckets:
    - Name
    - [Logs, Media]
    - ${Name}Bucket:
        Type: AWS::S3::Bucket
"#;
    let report = run(
        template,
        vec![guard(
            "S3_BUCKET_SSE_ENABLED",
            &rules_file("s3_bucket_encrypted"),
            10,
        )],
    );
    let found: Vec<(&str, usize, &str)> = report
        .findings
        .iter()
        .map(|f| (f.resource.as_str(), f.line, &f.reason[..41]))
        .collect();
    assert_eq!(
        found,
        [
            ("LogsBucket", 3, "generated by Fn::ForEach::Buckets (Name ="),
            (
                "MediaBucket",
                3,
                "generated by Fn::ForEach::Buckets (Name ="
            ),
        ]
    );
}

#[test]
fn a_condition_guard_cannot_decide_is_an_unresolved_finding() {
    // `Size: !Ref Size` (an intrinsic function) cannot be compared with a
    // number: Guard skips the rule, and says why.
    let item = guard(
        "SMALL_VOLUMES",
        "let volumes = Resources.*[ Type == 'AWS::EC2::Volume' ]\nrule SMALL_VOLUMES when %volumes.Properties.Size > 100 { %volumes.Properties.Encrypted == true }\n",
        40,
    );
    let template = "Resources:\n  Disk:\n    Type: AWS::EC2::Volume\n    Properties: {Size: !Ref Size, AvailabilityZone: a}\n";
    let report = run(template, vec![item]);
    assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
    let finding = &report.findings[0];
    assert!(finding.is_unresolved());
    assert_eq!(finding.resource, TEMPLATE);
    assert_eq!(
        finding.unresolved,
        ["a condition of Guard rule SMALL_VOLUMES that Guard could not decide"]
    );
    // The policy decides: flagged by default, failed under `fail`.
    assert_eq!(report.verdict, Verdict::Flagged);
    let rules = RuleSet::from_items([guard(
        "SMALL_VOLUMES",
        "let volumes = Resources.*[ Type == 'AWS::EC2::Volume' ]\nrule SMALL_VOLUMES when %volumes.Properties.Size > 100 { %volumes.Properties.Encrypted == true }\n",
        40,
    )]);
    let parsed = Template::parse(template.as_bytes()).unwrap();
    let strict = Thresholds::new(5, 40)
        .unwrap()
        .with_unresolved(UnresolvedPolicy::Fail);
    let report = evaluate(&parsed, &rules, &strict).unwrap();
    assert_eq!(report.verdict, Verdict::Fail);
}

#[test]
fn a_template_too_large_for_guard_once_aliases_are_written_out_is_unresolved() {
    // 160 kB anchored once and aliased 20 times: 3.2 MB as JSON.
    let big = "x".repeat(160_000);
    let mut text =
        format!("Parameters:\n  Big:\n    Type: String\n    Default: &big \"{big}\"\nResources:\n");
    for i in 0..20 {
        text.push_str(&format!(
            "  Bucket{i}:\n    Type: AWS::S3::Bucket\n    Properties: {{BucketName: *big}}\n"
        ));
    }
    let template = Template::parse(text.as_bytes()).unwrap();
    assert!(guard_json(&template, MAX_GUARD_JSON_BYTES).is_none());
    assert!(guard_json(&template, 4 * MAX_GUARD_JSON_BYTES).is_some());
    let items = vec![
        guard(
            "S3_BUCKET_SSE_ENABLED",
            &rules_file("s3_bucket_encrypted"),
            10,
        ),
        guard(
            "S3_BUCKET_PUBLIC_ACCESS_BLOCKED",
            &rules_file("s3_public_access_blocked"),
            20,
        ),
    ];
    let report = run(&text, items);
    let found: Vec<(&str, &str, bool)> = report
        .findings
        .iter()
        .map(|f| (f.rule.as_str(), f.resource.as_str(), f.is_unresolved()))
        .collect();
    assert_eq!(
        found,
        [
            ("S3_BUCKET_SSE_ENABLED", TEMPLATE, true),
            ("S3_BUCKET_PUBLIC_ACCESS_BLOCKED", TEMPLATE, true),
        ]
    );
    assert!(
        report.findings[0]
            .reason
            .contains(&format!("more than {MAX_GUARD_JSON_BYTES} bytes as JSON")),
        "{}",
        report.findings[0].reason
    );
    assert_eq!(
        (report.verdict, report.unresolved_risk),
        (Verdict::Flagged, 30)
    );
}

#[test]
fn an_item_over_the_memory_limit_is_unresolved_not_run() {
    let rules = RuleSet::from_items([guard(
        "S3_BUCKET_SSE_ENABLED",
        &rules_file("s3_bucket_encrypted"),
        10,
    )]);
    let template = Template::parse(ESTATE_YAML.as_bytes()).unwrap();
    let options = EvaluateOptions {
        guard_memory_limit: 1000,
        ..EvaluateOptions::default()
    };
    let report = evaluate_with(&template, &rules, &Thresholds::default(), &options).unwrap();
    assert_eq!(report.findings.len(), 1);
    let finding = &report.findings[0];
    assert!(finding.is_unresolved());
    assert!(
        finding.reason.contains("Guard would need about"),
        "{}",
        finding.reason
    );
}

#[test]
fn a_rule_guard_fails_on_makes_the_evaluation_an_error_naming_the_item() {
    let broken = guard(
        "Undefined",
        "let buckets = Resources.*[ Type == 'AWS::S3::Bucket' ]\nrule BROKEN when %buckets !empty { %undefined.Properties exists }\n",
        1,
    );
    let rules = RuleSet::from_items([
        broken,
        guard(
            "S3_BUCKET_SSE_ENABLED",
            &rules_file("s3_bucket_encrypted"),
            10,
        ),
    ]);
    let template = Template::parse(ESTATE_YAML.as_bytes()).unwrap();
    match evaluate(&template, &rules, &Thresholds::default()) {
        Err(EvaluationError::Rules(errors)) => {
            assert_eq!(errors.len(), 1);
            assert_eq!(errors[0].rule, "Undefined");
            assert!(
                errors[0]
                    .to_string()
                    .starts_with("rule Undefined: Guard could not evaluate the rules: "),
                "{}",
                errors[0]
            );
            assert!(errors[0].message.contains("undefined"), "{}", errors[0]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_evaluation_stops_between_chunks_once_its_budget_is_spent() {
    // Twenty items that each need Guard on this template.
    let items: Vec<RuleItem> = (0..20)
        .map(|i| {
            guard(
                &format!("Item{i:02}"),
                &format!(
                    "rule R{i} {{ Resources.*[ Type == 'AWS::S3::Bucket' ].Properties exists }}"
                ),
                1,
            )
        })
        .collect();
    let rules = RuleSet::from_items(items);
    let template = Template::parse(ESTATE_YAML.as_bytes()).unwrap();
    // Stopped (from "another thread") once Guard is about to be handed
    // the second chunk: the runner is told before it starts.
    let asked: Mutex<Vec<Vec<String>>> = Mutex::default();
    let stop = Arc::new(AtomicBool::new(false));
    let on_guard_chunk = |ids: &[&str]| {
        let mut asked = asked.lock().unwrap();
        asked.push(ids.iter().map(|s| s.to_string()).collect());
        if asked.len() == 2 {
            stop.store(true, Ordering::Relaxed);
        }
    };
    let options = EvaluateOptions {
        budget: Budget::unlimited().stop_flag(Arc::clone(&stop)),
        on_guard_chunk: &on_guard_chunk,
        ..EvaluateOptions::default()
    };
    match evaluate_with(&template, &rules, &Thresholds::default(), &options) {
        Err(EvaluationError::Stopped { pending }) => {
            let expected: Vec<String> = (GUARD_CHUNK..20).map(|i| format!("Item{i:02}")).collect();
            assert_eq!(pending, expected);
        }
        other => panic!("{other:?}"),
    }
    let asked = asked.into_inner().unwrap();
    // The first chunk, the second, then "nothing running" once it stopped.
    assert_eq!(asked.len(), 3);
    assert_eq!(asked[0].len(), GUARD_CHUNK);
    assert_eq!(asked[0][0], "Item00");
    assert_eq!(asked[1][0], format!("Item{GUARD_CHUNK:02}"));
    assert!(asked[2].is_empty());

    // Not stopped, it tells once per chunk, then that Guard is done.
    let told = Mutex::new(Vec::new());
    let on_guard_chunk = |ids: &[&str]| told.lock().unwrap().push(ids.len());
    let options = EvaluateOptions {
        on_guard_chunk: &on_guard_chunk,
        ..EvaluateOptions::default()
    };
    let report = evaluate_with(&template, &rules, &Thresholds::default(), &options).unwrap();
    let told = told.into_inner().unwrap();
    assert_eq!(told.len(), 20usize.div_ceil(GUARD_CHUNK) + 1);
    assert_eq!(told.last(), Some(&0));
    // Every bucket has properties.
    assert_eq!(report.findings, []);
}

#[test]
fn inactive_guard_items_are_not_evaluated() {
    let mut item = guard(
        "S3_BUCKET_SSE_ENABLED",
        &rules_file("s3_bucket_encrypted"),
        10,
    );
    item.active = Some("N".into());
    assert_eq!(run(ESTATE_YAML, vec![item]).findings, Vec::<Finding>::new());
}

#[test]
fn a_chunk_holds_no_more_items_than_their_memory_estimates_allow_together() {
    let text = "rule EVERY_RESOURCE_HAS_PROPERTIES { Resources.*.Properties exists }";
    let items: Vec<RuleItem> = (0..4)
        .map(|i| {
            guard(
                &format!("Item{i}"),
                &text.replace("EVERY", &format!("EVERY{i}")),
                1,
            )
        })
        .collect();
    let rules = RuleSet::from_items(items);
    let template = Template::parse(ESTATE_YAML.as_bytes()).unwrap();
    let data =
        guard_rules::GuardData::from_json(&guard_json(&template, MAX_GUARD_JSON_BYTES).unwrap())
            .unwrap();
    let one = guard_rules::GuardRules::parse(text)
        .unwrap()
        .memory_estimate(&data);
    assert!(one > 0);
    let chunks = |limit: usize| {
        let asked = Mutex::new(Vec::new());
        let on_guard_chunk = |ids: &[&str]| {
            if !ids.is_empty() {
                asked.lock().unwrap().push(ids.len());
            }
        };
        let options = EvaluateOptions {
            guard_memory_limit: limit,
            on_guard_chunk: &on_guard_chunk,
            ..EvaluateOptions::default()
        };
        let report = evaluate_with(&template, &rules, &Thresholds::default(), &options).unwrap();
        (asked.into_inner().unwrap(), report.findings.len())
    };
    // Room for two at a time, then for all four; every resource has properties.
    assert_eq!(chunks(2 * one + one / 2), (vec![2, 2], 0));
    assert_eq!(chunks(4 * one), (vec![4], 0));
    // Under one item's estimate, each goes alone (in process, Guard
    // refuses it unrun: each is unresolved).
    let (asked, findings) = chunks(one - 1);
    assert_eq!((asked, findings), (vec![1, 1, 1, 1], 4));
}

/// A runner that cannot take some items to their end, as a bounded one
/// reports it (`guard_worker::Worker`: out of memory, a crash of cfn-guard
/// on what it was handed, past its time limit, stopped), and runs the
/// others in process.
struct Failing(fn(&str) -> Option<guard_rules::GuardError>);

struct FailingSession<'a> {
    fails: fn(&str) -> Option<guard_rules::GuardError>,
    in_process: Box<dyn guard_rules::Session + 'a>,
}

impl guard_rules::Runner for Failing {
    fn session<'a>(
        &'a self,
        data: &'a guard_rules::GuardData,
        options: guard_rules::Options,
    ) -> Box<dyn guard_rules::Session + 'a> {
        Box::new(FailingSession {
            fails: self.0,
            in_process: guard_rules::InProcess.session(data, options),
        })
    }

    fn max_items(&self) -> usize {
        guard_rules::IN_PROCESS_ITEMS
    }
}

impl guard_rules::Session for FailingSession<'_> {
    fn evaluate(
        &mut self,
        items: &[&guard_rules::GuardRules],
        stop: &dyn Fn() -> bool,
    ) -> Vec<Result<guard_rules::Evaluation, guard_rules::GuardError>> {
        items
            .iter()
            .map(|item| match (self.fails)(&item.rule_names()[0]) {
                Some(e) => Err(e),
                None => self.in_process.evaluate(&[item], stop).remove(0),
            })
            .collect()
    }
}

#[test]
fn an_item_the_runner_could_not_finish_is_an_unresolved_finding_naming_it() {
    use guard_rules::GuardError;
    let runner = Failing(|rule| match rule {
        "S3_BUCKET_SSE_ENABLED" => Some(GuardError::OutOfMemory { limit: 96 << 20 }),
        "IAM_POLICY_NO_WILDCARD_ACTION" => Some(GuardError::Crashed(
            "cfn-guard panicked: called `Result::unwrap()` on an `Err` value".to_string(),
        )),
        "RDS_INSTANCE_NOT_PUBLIC" => Some(GuardError::TimedOut { millis: 2000 }),
        _ => None,
    });
    let rules = RuleSet::from_items(all_guard_items());
    let template = Template::parse(ESTATE_YAML.as_bytes()).unwrap();
    let options = EvaluateOptions {
        guard: &runner,
        ..EvaluateOptions::default()
    };
    let report = evaluate_with(&template, &rules, &Thresholds::default(), &options).unwrap();
    let unresolved: Vec<(&str, &str, &str)> = report
        .findings
        .iter()
        .filter(|f| f.is_unresolved())
        .map(|f| (f.rule.as_str(), f.resource.as_str(), f.reason.as_str()))
        .collect();
    let not_checked = "the Guard rules could not be checked on this template: ";
    assert_eq!(
        unresolved,
        [
            (
                "S3_BUCKET_SSE_ENABLED",
                TEMPLATE,
                &*format!(
                    "{not_checked}Guard needed more than 96 MiB of memory to evaluate these rules on this template"
                )
            ),
            (
                "IAM_POLICY_NO_WILDCARD_ACTION",
                TEMPLATE,
                &*format!(
                    "{not_checked}Guard ended abnormally on this template: cfn-guard panicked: called `Result::unwrap()` on an `Err` value"
                )
            ),
            (
                "RDS_INSTANCE_NOT_PUBLIC",
                TEMPLATE,
                &*format!(
                    "{not_checked}Guard took longer than 2 s to evaluate these rules on this template"
                )
            ),
        ]
    );
    // The items that ran are reported as usual.
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.rule == "CLOUDTRAIL_LOG_FILE_VALIDATION_ENABLED"
                && f.resource == "Trail"
                && !f.is_unresolved())
    );
    // Never a pass: the resolved trail finding flags it, and so would the
    // unresolved ones alone.
    assert_eq!(report.verdict, Verdict::Flagged);

    // Stopped while Guard ran an item: no report, and the item is pending.
    let stopped =
        Failing(|rule| (rule == "RDS_INSTANCE_NOT_PUBLIC").then_some(GuardError::Stopped));
    let options = EvaluateOptions {
        guard: &stopped,
        ..EvaluateOptions::default()
    };
    match evaluate_with(&template, &rules, &Thresholds::default(), &options) {
        Err(EvaluationError::Stopped { pending }) => {
            assert_eq!(pending, ["RDS_INSTANCE_NOT_PUBLIC"]);
        }
        other => panic!("{other:?}"),
    }
}
