//! Suppressions that expire and name an owner, rules that require both,
//! and the styles teams already write — Guard's `SuppressedRules` (names,
//! or `RULE: reason` maps), cfn_nag's `rules_to_suppress`, checkov's
//! `skip` — read as our own (issue 21 §4 and §5): honoured for the rule
//! they name with their reason, subject to `suppressible` and expiry; an
//! entry naming another rule never suppresses this one.

use serde_json::json;
use template_rules::{
    Date, EvaluateOptions, Finding, Report, RuleItem, RuleSet, Template, Thresholds, Verdict,
    evaluate, evaluate_with,
};

/// The day these tests are evaluated on.
fn day(text: &str) -> Date {
    let [y, m, d] = <[&str; 3]>::try_from(text.split('-').collect::<Vec<_>>()).unwrap();
    let month = time::Month::try_from(m.parse::<u8>().unwrap()).unwrap();
    Date::from_calendar_date(y.parse().unwrap(), month, d.parse().unwrap()).unwrap()
}

const TODAY: &str = "2026-03-01";

fn report_on(template: &str, rules: &RuleSet, today: &str) -> Report {
    let template = Template::parse(template.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let options = EvaluateOptions {
        today: day(today),
        ..EvaluateOptions::default()
    };
    evaluate_with(&template, rules, &Thresholds::default(), &options).unwrap()
}

fn report(template: &str, rules: &RuleSet) -> Report {
    report_on(template, rules, TODAY)
}

/// A security group open on SSH, with `metadata` (YAML, indented as a
/// resource's key) on it.
fn group(metadata: &str) -> String {
    format!(
        "Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
{metadata}    Properties:
      GroupDescription: ssh
      SecurityGroupIngress:
        - {{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}}
"
    )
}

fn ssh(report: &Report) -> &Finding {
    report
        .findings
        .iter()
        .find(|f| f.rule == "SSHOpenToWorld")
        .expect("the SSH finding")
}

fn items(items: serde_json::Value) -> RuleSet {
    let rules = RuleSet::from_items(serde_json::from_value::<Vec<RuleItem>>(items).unwrap());
    assert!(rules.errors().is_empty(), "{:?}", rules.errors());
    rules
}

/// The default rules, SSH's item with `extra` fields.
fn ssh_rules(extra: serde_json::Value) -> RuleSet {
    let mut ssh = json!({"rule": "SSHOpenToWorld", "category": "SecurityGroup",
        "ruletype": "open-ingress", "ruledata": "tcp:22", "riskvalue": 100, "active": "Y"});
    for (k, v) in extra.as_object().unwrap() {
        ssh[k] = v.clone();
    }
    items(json!([ssh]))
}

#[test]
fn a_suppression_applies_until_its_date_and_names_its_owner() {
    let template = group(
        "    Metadata:
      cicd:
        suppress:
          - rule: SSHOpenToWorld
            reason: bastion behind the VPN
            expires: '2026-03-20'
            owner: net-team
",
    );
    let rules = RuleSet::defaults();
    // Before and on its date: applied, with the owner and the date shown.
    for today in ["2026-01-01", TODAY, "2026-03-20"] {
        let report = report_on(&template, &rules, today);
        let ssh = ssh(&report);
        assert!(ssh.suppressed, "{today}");
        assert_eq!(
            ssh.suppression_reason.as_deref(),
            Some("bastion behind the VPN (owner: net-team; expires 2026-03-20)")
        );
        assert_eq!(ssh.suppression_expired, None);
    }
    // Within 30 days of it: a warning, with the owner.
    let soon = report(&template, &rules);
    assert!(
        soon.warnings.contains(
            &"Sg (line 2): the suppression of SSHOpenToWorld expires on 2026-03-20 (in 19 days); owner: net-team"
                .to_string()
        ),
        "{:?}",
        soon.warnings
    );
    assert!(
        report_on(&template, &rules, "2026-01-01")
            .warnings
            .is_empty()
    );
    // After it: not applied, and the finding says so.
    let late = report_on(&template, &rules, "2026-03-21");
    let ssh = ssh(&late);
    assert!(!ssh.suppressed);
    assert_eq!(ssh.suppression_reason, None);
    assert_eq!(
        ssh.suppression_expired.as_deref(),
        Some("the suppression (bastion behind the VPN) expired on 2026-03-20, owner: net-team")
    );
    assert_eq!(late.verdict, Verdict::Fail);
    assert!(late.warnings.contains(
        &"Sg (line 2): the suppression of SSHOpenToWorld expired on 2026-03-20, so it is not applied"
            .to_string()
    ));
}

#[test]
fn an_expiry_that_is_no_date_or_an_owner_that_shows_nothing_is_not_applied() {
    for (entry, warning) in [
        (
            "expires: next year",
            "Sg (line 2): the suppression of SSHOpenToWorld expires on next year, which is no date (YYYY-MM-DD), so it is not applied",
        ),
        (
            "expires: '2026-02-30'",
            "Sg (line 2): the suppression of SSHOpenToWorld expires on 2026-02-30, which is no date (YYYY-MM-DD), so it is not applied",
        ),
        (
            "expires: 20260301",
            "Sg (line 2): the suppression of SSHOpenToWorld expires on a value that is no text, which is no date (YYYY-MM-DD), so it is not applied",
        ),
        (
            "owner: \"\\u200B\"",
            "Sg (line 2): the suppression of SSHOpenToWorld names no owner a person can read, so it is not applied",
        ),
    ] {
        let template = group(&format!(
            "    Metadata:\n      cicd:\n        suppress:\n          - rule: SSHOpenToWorld\n            reason: vpn\n            {entry}\n"
        ));
        let report = report(&template, &RuleSet::defaults());
        assert!(!ssh(&report).suppressed, "{entry}");
        assert_eq!(report.warnings, [warning], "{entry}");
    }
}

#[test]
fn a_rule_may_require_an_expiry_date_and_an_owner() {
    let rules = ssh_rules(json!({"suppression": "reason+expiry"}));
    let without = group(
        "    Metadata:\n      cicd:\n        suppress:\n          - {rule: SSHOpenToWorld, reason: vpn}\n",
    );
    let report1 = report(&without, &rules);
    assert!(!ssh(&report1).suppressed);
    assert_eq!(
        report1.warnings,
        [
            "Sg (line 2): the suppression of SSHOpenToWorld gives no expiry date (expires) and no owner, which SSHOpenToWorld requires (suppression: reason+expiry), so it is not applied"
        ]
    );
    let no_owner = group(
        "    Metadata:\n      cicd:\n        suppress:\n          - {rule: SSHOpenToWorld, reason: vpn, expires: '2027-01-01'}\n",
    );
    assert!(report(&no_owner, &rules).warnings[0].contains("gives no owner, which"));
    let both = group(
        "    Metadata:\n      cicd:\n        suppress:\n          - {rule: SSHOpenToWorld, reason: vpn, expires: '2027-01-01', owner: net}\n",
    );
    let report2 = report(&both, &rules);
    assert!(ssh(&report2).suppressed);
    assert!(report2.warnings.is_empty(), "{:?}", report2.warnings);
    // The item reads and writes the field back; anything else is refused.
    let set = ssh_rules(json!({"suppression": "reason+expiry"}));
    assert_eq!(
        RuleItem::from(&set.rules()[0]).suppression,
        Some("reason+expiry".into())
    );
    assert_eq!(
        RuleItem::from(&RuleSet::defaults().rules()[0]).suppression,
        None
    );
    let bad = RuleSet::from_items(
        serde_json::from_value::<Vec<RuleItem>>(json!([{"rule": "X", "category": "SecurityGroup",
            "ruletype": "open-ingress", "ruledata": "all", "riskvalue": 1, "active": "Y",
            "suppression": "whenever"}]))
        .unwrap(),
    );
    assert_eq!(
        bad.errors()[0].to_string(),
        "rule X: suppression \"whenever\" is not reason or reason+expiry"
    );
}

#[test]
fn the_styles_of_cfn_nag_checkov_and_guard_suppress_the_rule_they_name() {
    for (metadata, reason) in [
        (
            "      cfn_nag:\n        rules_to_suppress:\n          - {id: W9, reason: nag's own}\n          - {id: SSHOpenToWorld, reason: bastion}\n",
            "bastion",
        ),
        (
            "      checkov:\n        skip:\n          - {id: CKV_AWS_24, comment: checkov's own}\n          - {id: SSHOpenToWorld, comment: bastion}\n",
            "bastion",
        ),
        (
            "      guard:\n        SuppressedRules:\n          - SSHOpenToWorld: bastion\n",
            "bastion",
        ),
        (
            "      guard:\n        SuppressedRules:\n          - SSHOpenToWorld: bastion\n            expires: '2027-01-01'\n            owner: net\n",
            "bastion (owner: net; expires 2027-01-01)",
        ),
    ] {
        let template = group(&format!("    Metadata:\n{metadata}"));
        let report = report(&template, &RuleSet::defaults());
        let ssh = ssh(&report);
        assert!(ssh.suppressed, "{metadata}");
        assert_eq!(ssh.suppression_reason.as_deref(), Some(reason));
        // The other rule on the same resource is not named: not suppressed.
        let other = report
            .findings
            .iter()
            .find(|f| f.rule == "IngressOpenToWorld")
            .unwrap();
        assert!(!other.suppressed, "{metadata}");
        // The other tools' own rules are theirs: no warning.
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    }
}

#[test]
fn the_other_styles_need_a_reason_and_a_suppressible_rule_too() {
    for (metadata, warning) in [
        (
            "      cfn_nag:\n        rules_to_suppress:\n          - {id: SSHOpenToWorld}\n",
            "Sg (line 2): the suppression of SSHOpenToWorld in Metadata.cfn_nag.rules_to_suppress gives no reason, so it is not applied",
        ),
        (
            "      checkov:\n        skip:\n          - {id: SSHOpenToWorld, comment: \" \"}\n",
            "Sg (line 2): the suppression of SSHOpenToWorld in Metadata.checkov.skip gives no reason, so it is not applied",
        ),
        // Guard's list of names has no room for a reason: for a rule that
        // is not one of Guard's, a name alone is not enough.
        (
            "      guard:\n        SuppressedRules:\n          - SSHOpenToWorld\n",
            "Sg (line 2): Metadata.guard.SuppressedRules lists SSHOpenToWorld without a reason (write `- SSHOpenToWorld: reason`), so it is not applied",
        ),
    ] {
        let template = group(&format!("    Metadata:\n{metadata}"));
        let report = report(&template, &RuleSet::defaults());
        assert!(!ssh(&report).suppressed, "{metadata}");
        assert_eq!(report.warnings, [warning]);
    }
    let strict = ssh_rules(json!({"suppressible": "N"}));
    let template = group(
        "    Metadata:\n      checkov:\n        skip:\n          - {id: SSHOpenToWorld, comment: bastion}\n",
    );
    let report = report(&template, &strict);
    assert!(!ssh(&report).suppressed);
    assert_eq!(
        report.warnings,
        [
            "Sg (line 2): suppresses SSHOpenToWorld, which may not be suppressed (suppressible: N), so it is not applied"
        ]
    );
}

/// A Guard rules file in the Guard Rules Registry's style: its resources
/// are those whose `Metadata.guard.SuppressedRules` does not name it.
const VERSIONING: &str = r#"let versioned_buckets = Resources.*[ Type == 'AWS::S3::Bucket'
  Metadata.guard.SuppressedRules not exists or
  Metadata.guard.SuppressedRules.* != "S3_BUCKET_VERSIONING_ENABLED"
]
rule S3_BUCKET_VERSIONING_ENABLED when %versioned_buckets !empty {
  %versioned_buckets.Properties.VersioningConfiguration.Status == 'Enabled'
  <<
    Violation: S3 buckets must be versioned
    Fix: set VersioningConfiguration.Status to Enabled
  >>
}
"#;

fn versioning(extra: serde_json::Value) -> RuleSet {
    let mut item = json!({"rule": "Versioning", "category": "S3", "ruletype": "guard",
        "ruledata": VERSIONING, "riskvalue": 60, "active": "Y"});
    for (k, v) in extra.as_object().unwrap() {
        item[k] = v.clone();
    }
    items(json!([item]))
}

fn bucket(suppressed: &str) -> String {
    format!(
        "Resources:
  Logs:
    Type: AWS::S3::Bucket
    Metadata:
      guard:
        SuppressedRules:
{suppressed}    Properties:
      BucketName: logs
"
    )
}

#[test]
fn guard_suppressions_are_applied_by_the_check_with_their_reason() {
    let rules = versioning(json!({}));
    // `RULE: reason`: Guard could not compare it with the rule's name, and
    // left the rule undecided; the check reads it and suppresses.
    let mapped = report(
        &bucket("          - S3_BUCKET_VERSIONING_ENABLED: logs are write-once\n"),
        &rules,
    );
    assert_eq!(mapped.findings.len(), 1, "{:?}", mapped.findings);
    let finding = &mapped.findings[0];
    assert!(finding.suppressed);
    assert!(!finding.is_unresolved(), "no longer undecided: {finding:?}");
    assert_eq!(
        finding.guard_rule.as_deref(),
        Some("S3_BUCKET_VERSIONING_ENABLED")
    );
    assert_eq!(
        finding.suppression_reason.as_deref(),
        Some("logs are write-once")
    );
    assert_eq!(mapped.verdict, Verdict::Pass);
    // A name: the Guard rule is suppressed (as Guard would skip it), shown.
    let named = report(
        &bucket("          - S3_BUCKET_VERSIONING_ENABLED\n"),
        &rules,
    );
    assert!(named.findings[0].suppressed);
    assert_eq!(
        named.findings[0].suppression_reason.as_deref(),
        Some("listed in Metadata.guard.SuppressedRules (no reason given)")
    );
    // Naming the item's id does it too.
    let by_id = report(&bucket("          - Versioning: reviewed\n"), &rules);
    assert!(by_id.findings[0].suppressed);
    // An entry naming another rule suppresses nothing, in either form.
    for other in [
        "          - S3_BUCKET_LOGGING_ENABLED: elsewhere\n",
        "          - S3_BUCKET_LOGGING_ENABLED\n",
    ] {
        let report = report(&bucket(other), &rules);
        assert_eq!(report.findings.len(), 1, "{other}");
        assert!(!report.findings[0].suppressed, "{other}");
        assert!(!report.findings[0].is_unresolved(), "{other}");
        assert_eq!(report.verdict, Verdict::Fail, "{other}");
    }
    // Not suppressible: Guard's own skip no longer bypasses the item's flag.
    let strict = versioning(json!({"suppressible": "N"}));
    let report = report(
        &bucket("          - S3_BUCKET_VERSIONING_ENABLED\n"),
        &strict,
    );
    assert!(!report.findings[0].suppressed);
    assert_eq!(report.verdict, Verdict::Fail);
    assert_eq!(
        report.warnings,
        [
            "Logs (line 2): suppresses S3_BUCKET_VERSIONING_ENABLED (a Guard rule of Versioning), which may not be suppressed (suppressible: N), so it is not applied"
        ]
    );
}

#[test]
fn what_is_not_suppressed_keeps_its_fingerprint() {
    // The suppression is no part of the evidence.
    let plain = evaluate(
        &Template::parse(group("").as_bytes()).unwrap(),
        &RuleSet::defaults(),
        &Thresholds::default(),
    )
    .unwrap();
    let suppressed = report(
        &group(
            "    Metadata:\n      cicd:\n        suppress:\n          - {rule: SSHOpenToWorld, reason: vpn}\n",
        ),
        &RuleSet::defaults(),
    );
    assert_eq!(ssh(&plain).fingerprint, ssh(&suppressed).fingerprint);
}
