//! Which resource types a rules file selects, and when it can be skipped.
//!
//! `selected_types` must be conservative: `Some` only when the rules cannot
//! fail on a template without those types. Each case below also evaluates
//! the rules with and without the shortcuts on templates with and without
//! the types, so a wrong `Some` shows up as a verdict that changes.

use std::collections::BTreeSet;

use guard_rules::{GuardData, GuardRules, Options, Status, evaluate, evaluate_with};
use serde_json::{Value, json};

fn parse(text: &str) -> GuardRules {
    GuardRules::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn types(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn data(value: Value) -> GuardData {
    GuardData::from_json(&value).unwrap()
}

/// Templates the cases are tried on: with and without each type used below.
fn templates() -> Vec<GuardData> {
    vec![
        data(json!({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}})),
        data(json!({"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"A": 1}}}})),
        data(json!({"Resources": {
            "B": {"Type": "AWS::S3::Bucket", "Properties": {"A": 2}},
            "D": {"Type": "AWS::RDS::DBInstance", "Properties": {"A": 1}},
        }})),
        data(
            json!({"Parameters": {"Env": {"Default": "prod"}}, "Resources": {
                "Q": {"Type": "AWS::SQS::Queue", "Properties": {"A": 2}},
                "T": {"Type": "AWS::CloudTrail::Trail"},
            }}),
        ),
    ]
}

/// The rules give the same verdicts and failures with and without the
/// shortcuts, on every template.
fn shortcuts_agree(rules: &GuardRules) {
    for template in templates() {
        let with = evaluate(rules, &template).unwrap();
        let without = evaluate_with(rules, &template, Options::REFERENCE).unwrap();
        assert_eq!(with.verdicts, without.verdicts, "{}", rules.text());
        assert_eq!(with.failures, without.failures, "{}", rules.text());
    }
}

fn selects(text: &str, expected: Option<&[&str]>) {
    let rules = parse(text);
    assert_eq!(
        rules.selected_types(),
        expected.map(types).as_ref(),
        "{text}"
    );
    shortcuts_agree(&rules);
}

#[test]
fn a_let_with_a_type_filter_and_a_when_not_empty() {
    selects(
        "let buckets = Resources.*[ Type == 'AWS::S3::Bucket' ]
         rule R when %buckets !empty { %buckets.Properties.A == 1 }",
        Some(&["AWS::S3::Bucket"]),
    );
}

#[test]
fn a_filter_without_a_when() {
    selects(
        "rule R { Resources.*[ Type == 'AWS::S3::Bucket' ].Properties.A == 1 }",
        Some(&["AWS::S3::Bucket"]),
    );
    selects(
        "rule R { Resources.*[ Type == 'AWS::S3::Bucket' ] { Properties.A == 1 } }",
        Some(&["AWS::S3::Bucket"]),
    );
}

#[test]
fn a_type_block() {
    selects(
        "rule R { AWS::S3::Bucket { Properties.A == 1 } }",
        Some(&["AWS::S3::Bucket"]),
    );
    selects(
        "rule R { AWS::S3::Bucket when Properties.A exists { Properties.A == 1 } }",
        Some(&["AWS::S3::Bucket"]),
    );
}

#[test]
fn type_in_a_list_or_alternatives() {
    selects(
        "rule R { Resources.*[ Type in ['AWS::S3::Bucket', 'AWS::RDS::DBInstance'] ].Properties.A == 1 }",
        Some(&["AWS::RDS::DBInstance", "AWS::S3::Bucket"]),
    );
    selects(
        "rule R { Resources.*[ Type == 'AWS::S3::Bucket' or Type == \"AWS::RDS::DBInstance\" ].Properties.A == 1 }",
        Some(&["AWS::RDS::DBInstance", "AWS::S3::Bucket"]),
    );
    selects(
        "let wanted = ['AWS::S3::Bucket']
         rule R { Resources.*[ Type in %wanted ].Properties.A == 1 }",
        Some(&["AWS::S3::Bucket"]),
    );
}

#[test]
fn a_filter_with_more_clauses_than_the_type() {
    selects(
        "let buckets = Resources.*[ Type == 'AWS::S3::Bucket'
             Properties.A exists
             Metadata.Skip not exists or Metadata.Skip != true ]
         rule R when %buckets !empty { %buckets.Properties.A == 1 }",
        Some(&["AWS::S3::Bucket"]),
    );
    // Two type conjuncts: only what both admit.
    selects(
        "rule R { Resources.*[ Type in ['AWS::S3::Bucket', 'AWS::SQS::Queue'] Type == 'AWS::S3::Bucket' ].Properties.A == 1 }",
        Some(&["AWS::S3::Bucket"]),
    );
}

#[test]
fn several_rules_select_the_union() {
    let rules = parse(
        "rule ONE { AWS::S3::Bucket { Properties.A == 1 } }
         rule TWO { AWS::RDS::DBInstance { Properties.A == 1 } }",
    );
    assert_eq!(
        rules.selected_types(),
        Some(&types(&["AWS::RDS::DBInstance", "AWS::S3::Bucket"]))
    );
    shortcuts_agree(&rules);
    let only_bucket = data(json!({"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}));
    assert!(!rules.skips(&only_bucket));
}

#[test]
fn rules_referring_to_confined_rules() {
    selects(
        "let buckets = Resources.*[ Type == 'AWS::S3::Bucket' ]
         rule HAS_BUCKETS { %buckets !empty }
         rule R when HAS_BUCKETS { %buckets.Properties.A == 1 }",
        None, // HAS_BUCKETS fails without a bucket
    );
    selects(
        "let buckets = Resources.*[ Type == 'AWS::S3::Bucket' ]
         rule BUCKETS_HAVE_A when %buckets !empty { %buckets.Properties.A exists }
         rule R when BUCKETS_HAVE_A { %buckets.Properties.A == 1 }",
        Some(&["AWS::S3::Bucket"]),
    );
}

#[test]
fn a_count_that_passes_without_the_type() {
    let text = "let buckets = Resources.*[ Type == 'AWS::S3::Bucket' ]
                let n = count(%buckets)
                rule AT_MOST_ONE_BUCKET { %n <= 1 }";
    selects(text, Some(&["AWS::S3::Bucket"]));
    // Skipped, the rule still has its verdict: the one it gives without a bucket.
    let rules = parse(text);
    let no_bucket = data(json!({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}));
    let evaluation = evaluate(&rules, &no_bucket).unwrap();
    assert!(evaluation.skipped);
    assert_eq!(evaluation.status("AT_MOST_ONE_BUCKET"), Some(Status::Pass));
}

#[test]
fn a_rule_that_fails_without_the_type_is_never_skipped() {
    for text in [
        "rule TRAIL_PRESENT { Resources.*[ Type == 'AWS::CloudTrail::Trail' ] !empty }",
        "let trails = Resources.*[ Type == 'AWS::CloudTrail::Trail' ]
         rule TRAIL_PRESENT { %trails !empty }",
        "let n = count(Resources.*[ Type == 'AWS::CloudTrail::Trail' ])
         rule TRAIL_PRESENT { %n >= 1 }",
    ] {
        selects(text, None);
        let rules = parse(text);
        let no_trail = data(json!({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}));
        let evaluation = evaluate(&rules, &no_trail).unwrap();
        assert!(!evaluation.skipped);
        assert_eq!(
            evaluation.status("TRAIL_PRESENT"),
            Some(Status::Fail),
            "{text}"
        );
        // Tied to no resource: a template-level failure.
        assert_eq!(evaluation.failures.len(), 1);
        assert_eq!(evaluation.failures[0].resource, None);
    }
}

#[test]
fn anything_else_selects_anything() {
    for text in [
        // Other sections of the template.
        "rule R { Parameters.Env.Default == 'prod' }",
        "rule R when Parameters.Env exists { AWS::S3::Bucket { Properties.A == 1 } }",
        "let buckets = Resources.*[ Type == 'AWS::S3::Bucket' ]
         let env = Parameters.Env
         rule R when %buckets !empty { %buckets.Properties.A == 1 }",
        // Every resource, or one by name.
        "rule R { Resources.*.Properties.A exists }",
        "rule R { Resources.B.Properties.A == 1 }",
        "rule R { Resources.*[ Properties.A exists ].Properties.A == 1 }",
        // `this` at the root is the template.
        "rule R { this.Resources exists }",
        // Types Guard matches with a regex, or excludes.
        "rule R { Resources.*[ Type == /AWS::S3::.*/ ].Properties.A == 1 }",
        "rule R { Resources.*[ Type != 'AWS::S3::Bucket' ].Properties.A == 1 }",
        "rule R { Resources.*[ not Type == 'AWS::S3::Bucket' ].Properties.A == 1 }",
        "rule R { Resources.*[ Type == 'AWS::S3::Bucket' or Properties.A exists ].Properties.A == 1 }",
        // A type read from the template.
        "rule R { Resources.*[ Type == Parameters.T.Default ].Properties.A == 1 }",
        // Parameterized rules can be handed anything.
        "rule CHECK(values) { %values.Properties.A == 1 }
         rule R { CHECK(Resources.*[ Type == 'AWS::S3::Bucket' ]) }",
    ] {
        selects(text, None);
    }
}

#[test]
fn a_skip_needs_every_resource_typed() {
    let rules = parse("rule R { AWS::S3::Bucket { Properties.A == 1 } }");
    let typed = data(json!({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}));
    assert!(rules.skips(&typed));
    // Guard's filter may or may not select a resource whose type it cannot
    // read; it is always shown to Guard.
    for template in [
        json!({"Resources": {"X": {"Properties": {"A": 2}}}}),
        json!({"Resources": {"X": {"Type": 5, "Properties": {"A": 2}}}}),
        json!({"Resources": {"X": {"type": "AWS::S3::Bucket", "Properties": {"A": 2}}}}),
        json!({"Resources": {}}),
        json!({"resources": {"X": {"Type": "AWS::S3::Bucket", "Properties": {"A": 2}}}}),
        json!({}),
        json!([]),
    ] {
        let template = data(template);
        assert!(!rules.skips(&template));
        let with = evaluate(&rules, &template).unwrap();
        let without = evaluate_with(&rules, &template, Options::REFERENCE).unwrap();
        assert_eq!(with, without);
    }
}

#[test]
fn lowercase_keys_guard_would_convert_are_not_narrowed_away() {
    // Guard retries a missing key in other casings: `Type` finds `type`.
    let rules = parse("rule R { AWS::S3::Bucket { Properties.A == 1 } }");
    let template = data(json!({"Resources": {
        "Q": {"Type": "AWS::SQS::Queue"},
        "X": {"type": "AWS::S3::Bucket", "Properties": {"A": 2}},
    }}));
    let with = evaluate(&rules, &template).unwrap();
    let without = evaluate_with(&rules, &template, Options::REFERENCE).unwrap();
    assert_eq!(with, without);
}

/// Guard evaluates every clause of a filter on every resource before the
/// type clause excludes it; a clause it cannot decide, or that errs, on a
/// resource of another type changes the rule's verdict. Narrowing and
/// skipping would hide that resource, so they are not taken then.
#[test]
fn filter_clauses_guard_stumbles_on_in_other_resources() {
    let stumbles = [
        // `empty` on null errs: Guard fails the rule "when handling clause".
        (
            "rule R { Resources.*[ Type == 'AWS::S3::Bucket' Properties.Size empty ].Properties.Size == 0 }",
            json!({"Size": null}),
            Status::Fail,
        ),
        // A string compared with a number: Guard skips the rule, undecided.
        (
            "rule R { Resources.*[ Type == 'AWS::S3::Bucket' Properties.Size > 10 ] { Properties.A == 1 } }",
            json!({"Size": "50"}),
            Status::Skip,
        ),
        // Found through Guard's fallback to other casings of a key.
        (
            "rule R { Resources.*[ Type == 'AWS::S3::Bucket' Properties.Size > 10 ] { Properties.A == 1 } }",
            json!({"size": "50"}),
            Status::Skip,
        ),
    ];
    for (text, topic_properties, status) in stumbles {
        let rules = parse(text);
        assert!(rules.selected_types().is_some(), "{text}");
        let template = data(json!({"Resources": {
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": topic_properties},
        }}));
        assert!(!rules.narrows_on(&template), "{text}");
        assert!(!rules.skips(&template), "{text}");
        let with = evaluate(&rules, &template).unwrap();
        let without = evaluate_with(&rules, &template, Options::REFERENCE).unwrap();
        assert_eq!(with, without, "{text}");
        assert!(!with.skipped);
        assert_eq!(with.status("R"), Some(status), "{text}");
        assert_eq!(with.failures.len(), 1, "{text}: {:?}", with.failures);
        assert_eq!(with.failures[0].resource, None);

        // Without the property on the topic, nothing to stumble on.
        let template = data(json!({"Resources": {
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"Other": null}},
        }}));
        assert!(rules.narrows_on(&template), "{text}");
        assert!(rules.skips(&template), "{text}");
        assert_eq!(
            evaluate(&rules, &template).unwrap().verdicts,
            evaluate_with(&rules, &template, Options::REFERENCE)
                .unwrap()
                .verdicts
        );
    }

    // `exists` cannot err: narrowing is kept whatever other types hold.
    let rules = parse(
        "rule R { Resources.*[ Type == 'AWS::S3::Bucket' Properties.Size exists ].Properties.Size == 0 }",
    );
    let template = data(json!({"Resources": {
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"Size": null}},
    }}));
    assert!(rules.skips(&template));
    shortcuts_agree(&rules);
}

/// Guard registry rules filter out suppressed resources with
/// `Metadata.guard.SuppressedRules`; a list of rule names on resources of
/// other types cannot trip Guard, so narrowing is kept.
#[test]
fn registry_style_suppressions_keep_narrowing() {
    let rules = parse(
        r#"let buckets = Resources.*[ Type == 'AWS::S3::Bucket'
             Metadata.guard.SuppressedRules not exists or
             Metadata.guard.SuppressedRules.* != "S3_VERSIONED" ]
           rule S3_VERSIONED when %buckets !empty {
             %buckets.Properties.VersioningConfiguration.Status == 'Enabled'
           }"#,
    );
    let with_metadata = |suppressed: Value| {
        data(json!({"Resources": {
            "Bucket": {"Type": "AWS::S3::Bucket", "Metadata": {"guard": {"SuppressedRules": ["S3_VERSIONED"]}}},
            "Fn": {"Type": "AWS::Lambda::Function", "Metadata": {"guard": {"SuppressedRules": suppressed}}},
        }}))
    };
    for (suppressed, narrows) in [
        (json!(["LAMBDA_INSIDE_VPC"]), true),
        (json!("LAMBDA_INSIDE_VPC"), true),
        (json!([]), true),
        (json!([5]), false),
        (json!([{"Rule": "X"}]), false),
        (json!(null), false),
    ] {
        let template = with_metadata(suppressed.clone());
        assert_eq!(rules.narrows_on(&template), narrows, "{suppressed}");
        let with = evaluate(&rules, &template).unwrap();
        let without = evaluate_with(&rules, &template, Options::REFERENCE).unwrap();
        assert_eq!(with, without, "{suppressed}");
        // The bucket suppressed the rule: nothing to check.
        assert_eq!(
            with.status("S3_VERSIONED"),
            Some(Status::Skip),
            "{suppressed}"
        );
    }
}

/// Rules that read a section are shown that section, not the resources.
#[test]
fn rules_on_a_section_are_shown_that_section() {
    let resources: serde_json::Map<String, Value> = (0..500)
        .map(|i| {
            (
                format!("Fn{i}"),
                json!({"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "nodejs20.x"}}),
            )
        })
        .collect();
    let template = data(json!({
        "Parameters": {"Password": {"Type": "String", "Default": "hunter2"}},
        "Resources": resources,
    }));
    let rules =
        parse("rule PASSWORDS_NO_ECHO { Parameters.*[ Default exists ] { NoEcho == true } }");
    assert_eq!(rules.selected_types(), None);
    assert!(rules.narrows_on(&template));
    assert!(!rules.skips(&template));
    // Shown about 60 bytes of the template's 40 000.
    assert!(
        rules.memory_estimate(&template) < 200 * 100,
        "{}",
        rules.memory_estimate(&template)
    );
    let evaluation = evaluate(&rules, &template).unwrap();
    assert_eq!(
        evaluation,
        evaluate_with(&rules, &template, Options::REFERENCE).unwrap()
    );
    assert_eq!(evaluation.status("PASSWORDS_NO_ECHO"), Some(Status::Fail));
}
