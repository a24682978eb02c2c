//! What a template's report means for the pipeline. Pure: no AWS here, and
//! nothing about where anything is written (the handler decides that from
//! the verdict).
//!
//! - `pass` (risk below the flag threshold): success, "no risk found";
//! - `flagged`: success, with a summary saying manual approval is needed
//!   and listing the findings, for the approver;
//! - `fail`: `Err(JobFailed)`, naming every rule and resource.

use std::collections::BTreeMap;

use pipeline_job::{JobError, Outcome};
use template_rules::{Finding, Report, Thresholds, Verdict};

/// The result to report for `file`, whose report is `report`: a success
/// for a template that may go on, a `JobFailed` for one that may not.
pub fn decide(file: &str, report: &Report, thresholds: &Thresholds) -> Result<Outcome, JobError> {
    let active: Vec<&Finding> = report.active_findings().collect();
    let suppressed = report.findings.len() - active.len();
    let listed = |findings: &[&Finding]| -> String {
        findings
            .iter()
            .map(|f| {
                format!(
                    "{} on {} (line {}): {} [risk {}]",
                    f.rule, f.resource, f.line, f.reason, f.risk
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let suppressed_note = match suppressed {
        0 => String::new(),
        1 => " (1 finding suppressed)".to_string(),
        n => format!(" ({n} findings suppressed)"),
    };
    let mut variables = BTreeMap::new();
    variables.insert("verdict".to_string(), report.verdict.as_str().to_string());
    variables.insert("risk".to_string(), report.risk.to_string());
    variables.insert("findings".to_string(), active.len().to_string());
    variables.insert("suppressed".to_string(), suppressed.to_string());
    match report.verdict {
        Verdict::Pass => {
            let summary = if active.is_empty() {
                format!("no risk found in {file}{suppressed_note}")
            } else {
                format!(
                    "no risk found in {file}: risk {} is below {}{suppressed_note}\n{}",
                    report.risk,
                    thresholds.flag_at(),
                    listed(&active)
                )
            };
            Ok(Outcome::Success {
                summary,
                output_variables: variables,
            })
        }
        Verdict::Flagged => Ok(Outcome::Success {
            summary: format!(
                "manual approval needed: {file} has risk {} (flagged from {}, fails from {}){suppressed_note}\n{}",
                report.risk,
                thresholds.flag_at(),
                thresholds.fail_at(),
                listed(&active)
            ),
            output_variables: variables,
        }),
        Verdict::Fail => Err(JobError::failed(format!(
            "{file} has risk {} (fails from {}){suppressed_note}:\n{}",
            report.risk,
            thresholds.fail_at(),
            listed(&active)
        ))),
    }
}

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
        );
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
}
