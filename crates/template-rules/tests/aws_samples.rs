//! Templates in the shape of AWS's public samples (see
//! `tests/fixtures/aws-samples/README.md`) are read, not refused, and get
//! the verdict they should.

use template_rules::{RuleSet, Template, Thresholds, Verdict, evaluate};

/// (file, verdict, the rules that fire, whether any is unresolved)
const SAMPLES: &[(&str, &str, Verdict, &[&str], bool)] = &[
    (
        "foreach-buckets-and-outputs.yaml",
        include_str!("fixtures/aws-samples/foreach-buckets-and-outputs.yaml"),
        Verdict::Pass,
        &[],
        false,
    ),
    (
        "foreach-tables.yaml",
        include_str!("fixtures/aws-samples/foreach-tables.yaml"),
        Verdict::Pass,
        &[],
        false,
    ),
    (
        "instance-with-ssh-group.yaml",
        include_str!("fixtures/aws-samples/instance-with-ssh-group.yaml"),
        // The AMI is an SSM parameter: any AMI, so a forbidden one too.
        Verdict::Flagged,
        &["ForbiddenAMIs"],
        true,
    ),
    (
        "rules-section.yaml",
        include_str!("fixtures/aws-samples/rules-section.yaml"),
        Verdict::Pass,
        &[],
        false,
    ),
    (
        "sam-function.yaml",
        include_str!("fixtures/aws-samples/sam-function.yaml"),
        // SAM's transform is not run: what it makes of the function (a
        // Lambda function, a role) is not seen.
        Verdict::Flagged,
        &["(unseen)"],
        true,
    ),
    (
        "vpc-with-mappings.json",
        include_str!("fixtures/aws-samples/vpc-with-mappings.json"),
        Verdict::Fail,
        &["IngressOpenToWorld"],
        false,
    ),
];

#[test]
fn samples_are_read_and_judged() {
    let rules = RuleSet::from_items(RuleSet::default_items().into_iter().map(|mut item| {
        item.active = Some("Y".into());
        item
    }));
    for (name, text, verdict, fired, unresolved) in SAMPLES {
        let template =
            Template::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{name} is refused: {e}"));
        let report = evaluate(&template, &rules, &Thresholds::default()).unwrap();
        let rules_fired: Vec<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(
            (
                report.verdict,
                rules_fired.as_slice(),
                report.unresolved_count() > 0
            ),
            (*verdict, *fired, *unresolved),
            "{name}: {:?}",
            report.findings
        );
    }
}

#[test]
fn loops_in_the_samples_generate_their_resources_and_outputs() {
    let (_, text, ..) = SAMPLES[0];
    let template = Template::parse(text.as_bytes()).unwrap();
    let ids: Vec<&str> = template
        .resources
        .iter()
        .map(|r| r.logical_id.as_str())
        .collect();
    assert_eq!(ids, ["BucketLogs", "BucketAssets", "BucketBackups"]);
    assert_eq!(template.outputs.len(), 6);
    let (_, text, ..) = SAMPLES[1];
    let template = Template::parse(text.as_bytes()).unwrap();
    let ids: Vec<&str> = template
        .resources
        .iter()
        .map(|r| r.logical_id.as_str())
        .collect();
    assert_eq!(ids, ["OrdersTable", "CustomersTable", "InvoicesTable"]);
}
