//! JUnit XML, as CodeBuild report groups, GitLab and GitHub test reporters
//! read it.
//!
//! One `testsuite` per template (named by its path); one `testcase` per rule
//! evaluated on it (the active rules that apply to its resources). A
//! testcase has a `failure` for each unsuppressed finding that counts when
//! the template fails or is flagged (`type` says which: `fail`, `flagged`,
//! or `unresolved` for a finding on values the check could not resolve,
//! whose message says what they are; under `--unresolved pass` those do not
//! count), or `skipped` when its findings are all suppressed (with their
//! reasons). Compared with a baseline, a finding it held already is marked
//! `(existing)` and, under `--baseline-policy new-only`, is no failure. A
//! rule's remediation (with its frameworks and link) follows its last
//! failure's text, once. A template that cannot be read is one testcase
//! with an `error`: `path:line:column: message`.

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use template_rules::{Finding, Guidance, TemplateReport, UnresolvedPolicy, Verdict};

use super::checked::{Checked, locate, notes, unresolved_note};

/// Counts of one suite, or of all of them.
#[derive(Default, Clone, Copy)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.tests += other.tests;
        self.failures += other.failures;
        self.errors += other.errors;
        self.skipped += other.skipped;
    }

    fn attributes(&self) -> [(&'static str, String); 4] {
        [
            ("tests", self.tests.to_string()),
            ("failures", self.failures.to_string()),
            ("errors", self.errors.to_string()),
            ("skipped", self.skipped.to_string()),
        ]
    }
}

/// How one testcase ended, as JUnit words it (passed is no element).
enum CaseResult<'a> {
    Passed(Vec<&'a Finding>),
    Failed(Vec<&'a Finding>, Verdict),
    Skipped(Vec<&'a Finding>),
    Error(String),
}

struct Case<'a> {
    name: String,
    result: CaseResult<'a>,
    /// How to fix what the rule found, shown with its first finding.
    guidance: Option<&'a Guidance>,
}

pub fn document(checked: &[Checked]) -> anyhow::Result<String> {
    let suites: Vec<(String, Vec<Case>)> = checked
        .iter()
        .map(|entry| match entry {
            Checked::Evaluated { report, rules } => (report.path.clone(), cases(report, rules)),
            Checked::Unreadable { path, error } => (
                path.clone(),
                vec![Case {
                    name: "the template can be read".to_string(),
                    result: CaseResult::Error(format!("{path}:{}", locate(error))),
                    guidance: None,
                }],
            ),
        })
        .collect();
    let mut total = Counts::default();
    for (_, cases) in &suites {
        total.add(count(cases));
    }

    let mut xml = Writer::new_with_indent(Vec::new(), b' ', 2);
    xml.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let mut root = BytesStart::new("testsuites");
    root.push_attribute(("name", "cicd validate"));
    for (key, value) in total.attributes() {
        root.push_attribute((key, value.as_str()));
    }
    xml.write_event(Event::Start(root))?;
    for (path, cases) in &suites {
        let mut suite = BytesStart::new("testsuite");
        suite.push_attribute(("name", path.as_str()));
        for (key, value) in count(cases).attributes() {
            suite.push_attribute((key, value.as_str()));
        }
        xml.write_event(Event::Start(suite))?;
        for case in cases {
            write_case(&mut xml, path, case)?;
        }
        xml.write_event(Event::End(BytesEnd::new("testsuite")))?;
    }
    xml.write_event(Event::End(BytesEnd::new("testsuites")))?;
    let mut text = String::from_utf8(xml.into_inner())?;
    text.push('\n');
    Ok(text)
}

/// The testcases of an evaluated template: one per rule it was checked against.
fn cases<'a>(report: &'a TemplateReport, rules: &[String]) -> Vec<Case<'a>> {
    let verdict = report.report.verdict;
    // Unresolved findings the policy ignores are said, not failed.
    let ignored = report.report.unresolved_policy == UnresolvedPolicy::Pass;
    let counts = |f: &Finding| report.report.counts(f) && !(ignored && f.is_unresolved());
    rules
        .iter()
        .map(|rule| {
            let findings: Vec<&Finding> = report
                .report
                .findings
                .iter()
                .filter(|f| &f.rule == rule)
                .collect();
            let suppressed: Vec<&Finding> =
                findings.iter().copied().filter(|f| f.suppressed).collect();
            let counted: Vec<&Finding> = findings.iter().copied().filter(|f| counts(f)).collect();
            let result = if !counted.is_empty() && verdict != Verdict::Pass {
                CaseResult::Failed(counted, verdict)
            } else if !suppressed.is_empty() && suppressed.len() == findings.len() {
                CaseResult::Skipped(suppressed)
            } else {
                CaseResult::Passed(findings)
            };
            Case {
                name: rule.clone(),
                result,
                guidance: report.report.guidance(rule),
            }
        })
        .collect()
}

fn count(cases: &[Case]) -> Counts {
    let mut counts = Counts {
        tests: cases.len(),
        ..Counts::default()
    };
    for case in cases {
        match case.result {
            CaseResult::Failed(..) => counts.failures += 1,
            CaseResult::Skipped(_) => counts.skipped += 1,
            CaseResult::Error(_) => counts.errors += 1,
            CaseResult::Passed(_) => {}
        }
    }
    counts
}

fn write_case(xml: &mut Writer<Vec<u8>>, path: &str, case: &Case) -> anyhow::Result<()> {
    let mut start = BytesStart::new("testcase");
    start.push_attribute(("name", case.name.as_str()));
    start.push_attribute(("classname", path));
    start.push_attribute(("file", path));
    let element = |name: &str, attributes: &[(&str, &str)], text: &str| {
        let mut start = BytesStart::new(name.to_string());
        for attribute in attributes {
            start.push_attribute(*attribute);
        }
        (start, text.to_string())
    };
    let mut children = Vec::new();
    match &case.result {
        CaseResult::Failed(findings, verdict) => {
            let last = findings.len().saturating_sub(1);
            for (i, f) in findings.iter().enumerate() {
                let kind = if f.is_unresolved() {
                    "unresolved"
                } else {
                    verdict.as_str()
                };
                let message = finding_message(path, f);
                // The remediation once, with the last failure (the one a
                // reader that keeps one failure per test case shows).
                let text = match case.guidance.filter(|_| i == last) {
                    Some(guidance) => format!("{message}\n{}", guidance.fix_line()),
                    None => message.clone(),
                };
                children.push(element(
                    "failure",
                    &[("message", message.as_str()), ("type", kind)],
                    &text,
                ));
            }
        }
        CaseResult::Skipped(findings) => {
            let text: Vec<String> = findings.iter().map(|f| finding_message(path, f)).collect();
            let reasons: Vec<&str> = findings
                .iter()
                .filter_map(|f| f.suppression_reason.as_deref())
                .collect();
            let message = format!("suppressed: {}", reasons.join("; "));
            children.push(element(
                "skipped",
                &[("message", message.as_str())],
                &text.join("\n"),
            ));
        }
        CaseResult::Error(message) => {
            children.push(element(
                "error",
                &[("message", message.as_str()), ("type", "unreadable")],
                message,
            ));
        }
        CaseResult::Passed(findings) if !findings.is_empty() => {
            // Found, but below the flag threshold: said, not failed.
            let mut text: Vec<String> = findings.iter().map(|f| finding_message(path, f)).collect();
            text.extend(case.guidance.map(Guidance::fix_line));
            children.push((BytesStart::new("system-out"), text.join("\n")));
        }
        CaseResult::Passed(_) => {}
    }
    if children.is_empty() {
        xml.write_event(Event::Empty(start))?;
        return Ok(());
    }
    xml.write_event(Event::Start(start))?;
    for (child, text) in children {
        let name = child.name().into_inner().to_string();
        xml.write_event(Event::Start(child))?;
        xml.write_event(Event::Text(BytesText::new(&text)))?;
        xml.write_event(Event::End(BytesEnd::new(name)))?;
    }
    xml.write_event(Event::End(BytesEnd::new("testcase")))?;
    Ok(())
}

/// A finding as a JUnit message: where, which rule on which resource, why.
fn finding_message(path: &str, f: &Finding) -> String {
    let suppressed = match (&f.suppression_reason, f.suppressed) {
        (Some(reason), true) => format!(" (suppressed: {reason})"),
        _ => String::new(),
    };
    let unresolved = match unresolved_note(f) {
        Some(note) => format!(" {note}"),
        None => String::new(),
    };
    let notes: String = notes(f).iter().map(|n| format!(" {n}")).collect();
    format!(
        "{path}:{}: {} on {} ({}), risk {}: {}{unresolved}{suppressed}{notes}",
        f.line, f.rule, f.resource, f.resource_type, f.risk, f.reason
    )
}
