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
//! last "… and N more" line, never cut mid-line.
//!
//! Compared with a baseline (a deployed stack's template), the headline
//! says how many findings are new and how many existing.

use std::collections::{BTreeMap, HashSet};

use pipeline_job::reporter::{MAX_MESSAGE, MAX_SUMMARY, truncate};
use pipeline_job::{JobError, Outcome};
use template_rules::{Finding, Guidance, Report, Thresholds, UnresolvedPolicy, Verdict};

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
    match report.verdict {
        Verdict::Pass => {
            let summary = if report.existing_count() > 0 && report.leaves_out_existing() {
                format!("no new risk found in {file}{}", clauses(report, false))
            } else if report.findings.is_empty() {
                format!("no risk found in {file}")
            } else if report.active_findings().next().is_none() {
                format!("no risk found in {file}{}", clauses(report, false))
            } else {
                format!(
                    "no risk found in {file}: risk {} is below {}{}",
                    report.risk,
                    thresholds.flag_at(),
                    clauses(report, false)
                )
            };
            Ok(Outcome::Success {
                summary: listing.fit(summary, MAX_SUMMARY, IN_THE_REPORT),
                output_variables: variables,
            })
        }
        Verdict::Flagged => {
            let summary = if thresholds.flags_only_for_unresolved(report) {
                let (rules, they) = if unresolved == 1 {
                    ("a rule that may fire", "it does")
                } else {
                    ("rules that may fire", "they do")
                };
                format!(
                    "manual approval needed: {file} is flagged for {}: {rules} on values the check could not resolve (risk {} if {they}; the resolved risk {} is below {}){}",
                    count(unresolved, "unresolved finding"),
                    report.unresolved_risk,
                    report.risk,
                    thresholds.flag_at(),
                    clauses(report, true)
                )
            } else {
                format!(
                    "manual approval needed: {file} has risk {} (flagged from {}, fails from {}){}",
                    report.risk,
                    thresholds.flag_at(),
                    thresholds.fail_at(),
                    clauses(report, false)
                )
            };
            Ok(Outcome::Success {
                summary: listing.fit(summary, MAX_SUMMARY, IN_THE_REPORT),
                output_variables: variables,
            })
        }
        Verdict::Fail => {
            let message = format!(
                "{file} has risk {} (fails from {}){}:",
                report.risk,
                thresholds.fail_at(),
                clauses(report, false)
            );
            Err(JobError::failed(listing.fit(
                message,
                MAX_MESSAGE,
                "`cicd validate` on the template lists them all",
            )))
        }
    }
}

/// Where the summary of a template that went on sends the reader for the rest.
const IN_THE_REPORT: &str = "validation-report.json in the output artifact lists them all";

/// A finding or warning line is kept to this many characters, so that one
/// long line cannot crowd the others out.
const MAX_LINE: usize = 500;

/// "; 2 unresolved findings, not counted (UNRESOLVED=pass); 1 suppressed
/// finding": what the headline's risk does not show (the unresolved
/// findings only when the headline has not said them in its own words).
fn clauses(report: &Report, unresolved_said: bool) -> String {
    let mut clauses = Vec::new();
    let unresolved = report.unresolved_count();
    if unresolved > 0 && !unresolved_said {
        let counted = match report.unresolved_policy {
            UnresolvedPolicy::Fail => "counted (UNRESOLVED=fail)",
            UnresolvedPolicy::Flag => "to check",
            UnresolvedPolicy::Pass => "not counted (UNRESOLVED=pass)",
        };
        clauses.push(format!(
            "{}, {counted}",
            count(unresolved, "unresolved finding")
        ));
    }
    let suppressed = report.suppressed_count();
    if suppressed > 0 {
        clauses.push(count(suppressed, "suppressed finding"));
    }
    if let Some(baseline) = &report.baseline {
        let counted = if report.leaves_out_existing() {
            "not counted"
        } else {
            "counted"
        };
        clauses.push(format!(
            "{} new, {} existing in {} ({counted})",
            baseline.new, baseline.existing, baseline.against
        ));
    }
    clauses.iter().map(|c| format!("; {c}")).collect()
}

/// "1 thing", "2 things".
fn count(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

/// A report's findings and warnings, in the order they are listed.
struct Listing<'a> {
    /// Each section: its heading (none for resolved findings, which come
    /// first, under the headline) and what it lists.
    sections: Vec<(Option<&'static str>, Vec<Item<'a>>)>,
}

#[derive(Clone, Copy)]
enum Item<'a> {
    Finding(&'a Finding),
    /// How to fix what a rule found, after its first finding.
    Fix(&'a Guidance),
    Warning(&'a str),
}

impl<'a> Listing<'a> {
    fn of(report: &'a Report) -> Listing<'a> {
        // A rule's remediation follows its first finding, once.
        let mut fixed: HashSet<&str> = HashSet::new();
        let mut findings = |it: &mut dyn Iterator<Item = &'a Finding>| -> Vec<Item<'a>> {
            let mut items = Vec::new();
            for finding in it {
                items.push(Item::Finding(finding));
                if let Some(guidance) = report.guidance(&finding.rule)
                    && fixed.insert(&finding.rule)
                {
                    items.push(Item::Fix(guidance));
                }
            }
            items
        };
        Listing {
            sections: vec![
                (None, findings(&mut report.resolved_findings())),
                (
                    Some("unresolved (could not be resolved; check by hand):"),
                    findings(&mut report.unresolved_findings()),
                ),
                (
                    Some("existing (in the baseline already; not counted):"),
                    findings(
                        &mut report
                            .existing_findings()
                            .filter(|_| report.leaves_out_existing()),
                    ),
                ),
                (
                    Some("suppressed in the template:"),
                    report.suppressed_findings().map(Item::Finding).collect(),
                ),
                (
                    Some("warnings:"),
                    report.warnings.iter().map(|w| Item::Warning(w)).collect(),
                ),
            ],
        }
    }

    /// `headline` and as many lines as fit in `limit` characters, in order;
    /// the rest counted in a last line that says where `elsewhere` they are.
    /// Lines are rendered only while they fit.
    fn fit(&self, headline: String, limit: usize, elsewhere: &str) -> String {
        let total: usize = self.sections.iter().map(|(_, items)| items.len()).sum();
        // Room for the last line, however many are left out.
        let reserve = more(total, 0, elsewhere).chars().count() + 1;
        let mut text = headline;
        let mut used = text.chars().count();
        let (mut findings_left, mut warnings_left) = (0usize, 0usize);
        let mut full = false;
        for (heading, items) in &self.sections {
            for (i, item) in items.iter().enumerate() {
                if !full {
                    let line = match item {
                        Item::Finding(f) => finding_line(f),
                        Item::Fix(guidance) => fix_line(guidance),
                        Item::Warning(w) => w.to_string(),
                    };
                    let line = truncate(&line, MAX_LINE);
                    let heading = heading.filter(|_| i == 0);
                    let needed =
                        line.chars().count() + 1 + heading.map_or(0, |h| h.chars().count() + 1);
                    if used + needed + reserve <= limit {
                        if let Some(heading) = heading {
                            text.push('\n');
                            text.push_str(heading);
                        }
                        text.push('\n');
                        text.push_str(&line);
                        used += needed;
                        continue;
                    }
                    full = true;
                }
                match item {
                    Item::Finding(_) => findings_left += 1,
                    Item::Warning(_) => warnings_left += 1,
                    // The report (and `cicd validate`) has it.
                    Item::Fix(_) => {}
                }
            }
        }
        if findings_left + warnings_left > 0 {
            text.push('\n');
            text.push_str(&more(findings_left, warnings_left, elsewhere));
        }
        text
    }
}

/// "… and 3 more findings, 1 warning: …".
fn more(findings: usize, warnings: usize, elsewhere: &str) -> String {
    let what = match (findings, warnings) {
        (f, 0) => count(f, "more finding"),
        (0, w) => count(w, "more warning"),
        (f, w) => format!("{}, {}", count(f, "more finding"), count(w, "warning")),
    };
    format!("… and {what}: {elsewhere}")
}

/// How to fix what a rule found: `  fix: remediation [frameworks] link`.
fn fix_line(guidance: &Guidance) -> String {
    let mut line = match &guidance.remediation {
        Some(remediation) => format!("  fix: {remediation}"),
        None => "  see:".to_string(),
    };
    if !guidance.frameworks.is_empty() {
        line.push_str(&format!(" [{}]", guidance.frameworks.join(", ")));
    }
    if let Some(link) = &guidance.link {
        line.push_str(&format!(" {link}"));
    }
    line
}

/// One finding: rule, resource, line, why, and what it weighs — or what
/// could not be resolved, or why it was suppressed.
fn finding_line(f: &Finding) -> String {
    let mut notes = vec![format!("risk {}", f.risk)];
    if f.is_unresolved() {
        let unsaid = f.unresolved_not_in_reason();
        notes.push(if unsaid.is_empty() {
            "unresolved".to_string()
        } else {
            format!("unresolved: {}", unsaid.join("; "))
        });
    }
    if f.suppressed {
        notes.push(format!(
            "suppressed: {}",
            f.suppression_reason.as_deref().unwrap_or("no reason given")
        ));
    }
    if let Some(expired) = &f.suppression_expired {
        notes.push(expired.clone());
    }
    if f.is_existing() {
        notes.push("existing".to_string());
    }
    format!(
        "{} on {} (line {}): {} [{}]",
        f.rule,
        f.resource,
        f.line,
        f.reason,
        notes.join(", ")
    )
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

    fn finding(rule: &str, reason: &str) -> Finding {
        Finding {
            rule: rule.to_string(),
            resource: "Sg".to_string(),
            line: 3,
            risk: 100,
            reason: reason.to_string(),
            suppressed: false,
            suppression_reason: None,
            resource_type: "AWS::EC2::SecurityGroup".to_string(),
            unresolved: Vec::new(),
            fingerprint: String::new(),
            guard_rule: None,
            suppression_expired: None,
            baseline: None,
        }
    }

    #[test]
    fn a_finding_line_says_what_was_not_resolved_once_and_why_it_was_suppressed() {
        let mut f = finding("Ssh", "may admit tcp 22 (parameter Cidr has no Default)");
        f.unresolved = vec!["parameter Cidr has no Default".to_string()];
        assert_eq!(
            finding_line(&f),
            "Ssh on Sg (line 3): may admit tcp 22 (parameter Cidr has no Default) [risk 100, unresolved]"
        );
        f.reason = "may be open".to_string();
        f.suppressed = true;
        f.suppression_reason = Some("VPN only".to_string());
        assert_eq!(
            finding_line(&f),
            "Ssh on Sg (line 3): may be open [risk 100, unresolved: parameter Cidr has no Default, suppressed: VPN only]"
        );
    }

    #[test]
    fn what_does_not_fit_is_counted_in_whole_lines_after_the_most_important() {
        let report = Report {
            verdict: Verdict::Flagged,
            risk: 10,
            unresolved_risk: 0,
            unresolved_policy: UnresolvedPolicy::Flag,
            findings: (0..100)
                .map(|i| finding(&format!("Rule{i:03}"), &"x".repeat(60)))
                .collect(),
            warnings: vec!["a warning".to_string()],
            rules: BTreeMap::new(),
            baseline: None,
        };
        let listing = Listing::of(&report);
        let text = listing.fit("headline".to_string(), 2048, "elsewhere");
        assert!(text.chars().count() <= 2048, "{}", text.chars().count());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "headline");
        assert_eq!(
            lines[1],
            format!("Rule000 on Sg (line 3): {} [risk 100]", "x".repeat(60))
        );
        let shown = lines.len() - 2;
        assert!(lines[1..=shown].iter().all(|l| l.starts_with("Rule")));
        assert_eq!(
            *lines.last().unwrap(),
            format!("… and {} more findings, 1 warning: elsewhere", 100 - shown)
        );
        // One line longer than the limit is cut, and the rest still counted.
        let long = Report {
            findings: vec![finding("Long", &"y".repeat(5000)), finding("Next", "z")],
            warnings: Vec::new(),
            ..report
        };
        let text = Listing::of(&long).fit("h".to_string(), 2048, "elsewhere");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1].chars().count(), MAX_LINE);
        assert!(lines[1].ends_with('…'));
        assert_eq!(lines[2], "Next on Sg (line 3): z [risk 100]");
    }
}
