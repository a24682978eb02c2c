//! What a template's report means for the pipeline. Pure: no AWS here, and
//! nothing about where anything is written (the handler decides that from
//! the verdict).
//!
//! - `pass`: success, "no risk found";
//! - `flagged`: success, with a summary for the approver: why the template
//!   is flagged (its risk, or findings on values the check could not
//!   resolve), then its findings;
//! - `fail`: `Err(JobFailed)`, naming every rule and resource.
//!
//! Findings are listed most important first, since CodePipeline keeps only
//! so much of a summary (2048 characters) or a message (5000): resolved
//! findings, then unresolved ones (saying what could not be resolved), then
//! those a baseline held already and the verdict left out, then suppressed
//! ones (with their reasons, so the approver sees what was waived), then
//! the template's warnings. After the first finding of a rule that says how
//! to fix it comes its remediation, once. What does not fit is counted in a
//! last "… and N more" line, never cut mid-line (`scoring::listing`, which
//! cfn-hook's messages share).
//!
//! Compared with a baseline (a deployed stack's template), the headline
//! says how many findings are new and how many existing.

use std::collections::BTreeMap;

use pipeline_job::reporter::{MAX_MESSAGE, MAX_SUMMARY};
use pipeline_job::{JobError, Outcome};
use scoring::listing::{Listing, headline};
use template_rules::{Report, Thresholds, Verdict};

/// The result to report for `file`, whose report is `report`: a success
/// for a template that may go on, a `JobFailed` for one that may not.
///
/// A success carries the output variables `verdict`, `risk` (what the
/// verdict counts), `findings` (the unsuppressed ones it counts, resolved or
/// not), `unresolved`, `suppressed`, `new` and `existing` (unsuppressed
/// findings a baseline did not hold, and did; without one, every finding
/// is new).
pub fn decide(file: &str, report: &Report, thresholds: &Thresholds) -> Result<Outcome, JobError> {
    let unresolved = report.unresolved_count();
    let suppressed = report.suppressed_count();
    let mut variables = BTreeMap::new();
    variables.insert("verdict".to_string(), report.verdict.as_str().to_string());
    variables.insert("risk".to_string(), report.risk.to_string());
    variables.insert(
        "findings".to_string(),
        report.active_findings().count().to_string(),
    );
    variables.insert("unresolved".to_string(), unresolved.to_string());
    variables.insert("suppressed".to_string(), suppressed.to_string());
    variables.insert("new".to_string(), report.new_count().to_string());
    variables.insert("existing".to_string(), report.existing_count().to_string());

    let listing = Listing::of(report);
    let headline = headline(file, report, thresholds);
    match report.verdict {
        Verdict::Pass => Ok(Outcome::Success {
            summary: listing.fit(headline, MAX_SUMMARY, IN_THE_REPORT),
            output_variables: variables,
        }),
        Verdict::Flagged => Ok(Outcome::Success {
            summary: listing.fit(
                format!("manual approval needed: {headline}"),
                MAX_SUMMARY,
                IN_THE_REPORT,
            ),
            output_variables: variables,
        }),
        Verdict::Fail => Err(JobError::failed(listing.fit(
            headline,
            MAX_MESSAGE,
            "`cicd validate` on the template lists them all",
        ))),
    }
}

/// Where the summary of a template that went on sends the reader for the rest.
const IN_THE_REPORT: &str = "validation-report.json in the output artifact lists them all";

#[cfg(test)]
mod tests {
    use super::*;
    use template_rules::{RuleSet, Template, evaluate};

    fn decision(template: &str) -> Result<Outcome, JobError> {
        let rules = RuleSet::from_file_str(include_str!(
            "../../../tests/fixtures/rules/all-active.yaml"
        ))
        .unwrap();
        let thresholds = Thresholds::default();
        let report = evaluate(
            &Template::parse(template.as_bytes()).unwrap(),
            &rules,
            &thresholds,
        )
        .unwrap();
        decide("t.yaml", &report, &thresholds)
    }

    #[test]
    fn a_clean_template_passes_with_no_risk_found() {
        let Ok(Outcome::Success {
            summary,
            output_variables,
        }) = decision("Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n")
        else {
            panic!()
        };
        assert_eq!(summary, "no risk found in t.yaml");
        assert_eq!(output_variables["verdict"], "pass");
        assert_eq!(output_variables["risk"], "0");
        assert_eq!(output_variables["findings"], "0");
        assert_eq!(output_variables["unresolved"], "0");
        assert_eq!(output_variables["suppressed"], "0");
    }

    #[test]
    fn a_flagged_template_succeeds_and_asks_for_approval() {
        let Ok(Outcome::Success {
            summary,
            output_variables,
        }) = decision(
            "Resources:\n  Old:\n    Type: AWS::EC2::Instance\n    Properties: {ImageId: ami-7a11e211}\n",
        )
        else {
            panic!()
        };
        assert_eq!(
            summary,
            "manual approval needed: t.yaml has risk 10 (flagged from 5, fails from 50)\nForbiddenAMIs on Old (line 2): ImageId ami-7a11e211 is a forbidden AMI [risk 10]"
        );
        assert_eq!(output_variables["verdict"], "flagged");
    }

    #[test]
    fn a_failing_template_names_every_rule_and_resource() {
        let result = decision(
            "Resources:\n  BastionSg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: b\n      SecurityGroupIngress:\n        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}\n",
        );
        assert_eq!(
            result,
            Err(JobError::failed(
                "t.yaml has risk 200 (fails from 50):\nIngressOpenToWorld on BastionSg (line 2): SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0 [risk 100]\nSSHOpenToWorld on BastionSg (line 2): SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0 [risk 100]"
            ))
        );
    }

    #[test]
    fn a_rule_s_remediation_follows_its_first_finding_once() {
        let rules = RuleSet::from_file_str(
            r#"
- rule: Versioned
  category: S3
  ruletype: property
  ruledata: {types: [AWS::S3::Bucket], require: {path: VersioningConfiguration.Status, equals: Enabled, missing: fails}}
  riskvalue: 60
  active: "Y"
  remediation: Set VersioningConfiguration.Status to Enabled.
  link: https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html
  frameworks: [AWS FSBP S3.14]
"#,
        )
        .unwrap();
        let template = "Resources:
  A: {Type: AWS::S3::Bucket}
  B: {Type: AWS::S3::Bucket}
";
        let thresholds = Thresholds::default();
        let report = evaluate(
            &Template::parse(template.as_bytes()).unwrap(),
            &rules,
            &thresholds,
        )
        .unwrap();
        let Err(error) = decide("t.yaml", &report, &thresholds) else {
            panic!("a risk of 120 fails")
        };
        assert_eq!(
            error.message,
            "t.yaml has risk 120 (fails from 50):\n\
             Versioned on A (line 2): VersioningConfiguration is not set [risk 60]\n  \
             fix: Set VersioningConfiguration.Status to Enabled. [AWS FSBP S3.14] https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html\n\
             Versioned on B (line 3): VersioningConfiguration is not set [risk 60]"
        );
    }
}
