//! Remediation, link and frameworks: optional item fields, checked when
//! read, kept when written back, and carried by the report once per rule
//! that found something.

use serde_json::json;
use template_rules::{Guidance, RuleItem, RuleSet, Template, Thresholds, evaluate};

fn item(extra: serde_json::Value) -> RuleItem {
    let mut item = json!({
        "rule": "Versioned", "category": "S3", "ruletype": "property",
        "ruledata": {"types": ["AWS::S3::Bucket"], "require": {"path": "VersioningConfiguration.Status", "equals": "Enabled", "missing": "fails"}},
        "riskvalue": 10, "active": "Y"
    });
    for (k, v) in extra.as_object().unwrap() {
        item[k] = v.clone();
    }
    let text = serde_json::to_string(&json!([item])).unwrap();
    RuleSet::items_from_str(&text).unwrap().remove(0)
}

#[test]
fn a_rules_file_may_write_structured_ruledata_as_a_mapping_and_items_store_its_text() {
    let item = item(json!({}));
    let stored = item.ruledata.as_ref().unwrap().as_str().unwrap();
    assert!(
        stored.starts_with("{\"types\":[\"AWS::S3::Bucket\"]"),
        "{stored}"
    );
    assert!(RuleSet::from_items([item]).errors().is_empty());
    let yaml = "- rule: V\n  category: S3\n  ruletype: property\n  riskvalue: 10\n  active: 'Y'\n  ruledata:\n    types: [AWS::S3::Bucket]\n    require: {path: A, exists: true}\n";
    let items = RuleSet::items_from_str(yaml).unwrap();
    assert!(items[0].ruledata.as_ref().unwrap().is_string());
}

#[test]
fn guidance_is_read_kept_and_written_back() {
    let item = item(json!({
        "remediation": "Set VersioningConfiguration.Status to Enabled.\n  Old versions can then be restored.",
        "link": "https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html",
        "frameworks": ["AWS FSBP S3.14"]
    }));
    let set = RuleSet::from_items([item]);
    assert!(set.errors().is_empty(), "{:?}", set.errors());
    let rule = &set.rules()[0];
    assert_eq!(
        rule.guidance,
        Guidance {
            remediation: Some(
                "Set VersioningConfiguration.Status to Enabled. Old versions can then be restored."
                    .to_string()
            ),
            link: Some(
                "https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html".to_string()
            ),
            frameworks: vec!["AWS FSBP S3.14".to_string()],
        }
    );
    let back = RuleItem::from(rule);
    assert_eq!(back.frameworks, Some(json!(["AWS FSBP S3.14"])));
    assert_eq!(
        RuleSet::from_items([back]).rules()[0].guidance,
        rule.guidance
    );
    // None of it: the fields are left out of the item.
    let plain = RuleItem::from(&RuleSet::from_items([self::item(json!({}))]).rules()[0]);
    assert_eq!(
        (plain.remediation, plain.link, plain.frameworks),
        (None, None, None)
    );
}

#[test]
fn guidance_that_cannot_be_used_is_refused_naming_its_field() {
    for (extra, says) in [
        (json!({"remediation": "  "}), "remediation is empty"),
        (
            json!({"remediation": "x".repeat(601)}),
            "remediation is longer than 600",
        ),
        (json!({"remediation": 3}), "remediation must be text"),
        (
            json!({"link": "docs.aws.amazon.com/s3"}),
            "is not an http(s) URL",
        ),
        (json!({"link": "https://a b"}), "is not an http(s) URL"),
        (
            json!({"frameworks": "CIS 2.1.1"}),
            "frameworks must be a list",
        ),
        (json!({"frameworks": [""]}), "is not a control id"),
    ] {
        let set = RuleSet::from_items([item(extra.clone())]);
        assert_eq!(set.errors().len(), 1, "{extra}");
        assert!(
            set.errors()[0].message.contains(says),
            "{extra}: {}",
            set.errors()[0].message
        );
    }
}

#[test]
fn the_report_carries_the_guidance_of_each_rule_that_found_something_once() {
    let with = item(json!({"remediation": "Enable versioning.", "frameworks": ["AWS FSBP S3.14"]}));
    let mut other = item(json!({}));
    other.rule = Some(json!("Silent"));
    let mut idle = item(json!({"remediation": "Never shown."}));
    idle.rule = Some(json!("Idle"));
    idle.ruledata = Some(json!(
        "{types: [AWS::SNS::Topic], require: {path: A, exists: true}}"
    ));
    let rules = RuleSet::from_items([with, other, idle]);
    assert!(rules.errors().is_empty(), "{:?}", rules.errors());
    let template = Template::parse(
        b"Resources:\n  A: {Type: AWS::S3::Bucket}\n  B: {Type: AWS::S3::Bucket}\n",
    )
    .unwrap();
    let report = evaluate(&template, &rules, &Thresholds::default()).unwrap();
    assert_eq!(report.findings.len(), 4);
    assert_eq!(report.rules.len(), 1);
    assert_eq!(
        report.guidance("Versioned").unwrap().remediation.as_deref(),
        Some("Enable versioning.")
    );
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(
        json["rules"],
        json!({"Versioned": {"remediation": "Enable versioning.", "frameworks": ["AWS FSBP S3.14"]}})
    );
    // A report without guidance has no `rules` field.
    let quiet = evaluate(
        &template,
        &RuleSet::from_items([item(json!({}))]),
        &Thresholds::default(),
    )
    .unwrap();
    assert!(serde_json::to_value(&quiet).unwrap().get("rules").is_none());
}
