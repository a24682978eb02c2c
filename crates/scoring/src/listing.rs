//! A report's findings as lines of text that fit a limit: what
//! cfn-validate's summaries and failure messages and cfn-hook's messages
//! list, most important first, so that what does not fit is what matters
//! least.
//!
//! Resolved findings come first, then unresolved ones (saying what could
//! not be resolved), then those a baseline held already and the verdict
//! left out, then suppressed ones (with their reasons, so that what was
//! waived is seen), then the template's warnings. After the first finding
//! of a rule that says how to fix it comes its remediation, once. What does
//! not fit is counted in a last "… and N more" line, never cut mid-line.

use std::collections::HashSet;

use pipeline_job::limits::truncate;
use template_rules::{Finding, Guidance, Report, Thresholds, UnresolvedPolicy, Verdict};

/// What the verdict on `what` (a template, as a message names it) is, in
/// one line: the first of a summary or a failure message.
///
/// - pass: `no risk found in t.yaml` (and, when there are findings, the
///   risk below the flag threshold, and what the risk does not show), or
///   `no new risk found in t.yaml` when a baseline held findings the
///   verdict left out;
/// - flagged: `t.yaml has risk 10 (flagged from 5, fails from 50)`, or,
///   when only unresolved findings flag it, that rules may fire on values
///   the check could not resolve;
/// - fail: `t.yaml has risk 200 (fails from 50):`, the findings following.
pub fn headline(what: &str, report: &Report, thresholds: &Thresholds) -> String {
    match report.verdict {
        Verdict::Pass if report.existing_count() > 0 && report.leaves_out_existing() => {
            format!("no new risk found in {what}{}", clauses(report, false))
        }
        Verdict::Pass if report.findings.is_empty() => format!("no risk found in {what}"),
        Verdict::Pass if report.active_findings().next().is_none() => {
            format!("no risk found in {what}{}", clauses(report, false))
        }
        Verdict::Pass => format!(
            "no risk found in {what}: risk {} is below {}{}",
            report.risk,
            thresholds.flag_at(),
            clauses(report, false)
        ),
        Verdict::Flagged if thresholds.flags_only_for_unresolved(report) => {
            let unresolved = report.unresolved_count();
            let (rules, they) = if unresolved == 1 {
                ("a rule that may fire", "it does")
            } else {
                ("rules that may fire", "they do")
            };
            format!(
                "{what} is flagged for {}: {rules} on values the check could not resolve (risk {} if {they}; the resolved risk {} is below {}){}",
                count(unresolved, "unresolved finding"),
                report.unresolved_risk,
                report.risk,
                thresholds.flag_at(),
                clauses(report, true)
            )
        }
        Verdict::Flagged => format!(
            "{what} has risk {} (flagged from {}, fails from {}){}",
            report.risk,
            thresholds.flag_at(),
            thresholds.fail_at(),
            clauses(report, false)
        ),
        Verdict::Fail => format!(
            "{what} has risk {} (fails from {}){}:",
            report.risk,
            thresholds.fail_at(),
            clauses(report, false)
        ),
    }
}

/// A finding or warning line is kept to this many characters, so that one
/// long line cannot crowd the others out.
pub const MAX_LINE: usize = 500;

/// "; 2 unresolved findings, not counted (UNRESOLVED=pass); 1 suppressed
/// finding; 1 new, 2 existing in stack web (not counted)": what the
/// headline's risk does not show (the unresolved findings only when the
/// headline has not said them in its own words).
pub fn clauses(report: &Report, unresolved_said: bool) -> String {
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
pub fn count(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

/// A report's findings and warnings, in the order they are listed.
pub struct Listing<'a> {
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
    /// The report's findings: resolved ones first (under the headline),
    /// then unresolved ones, those a baseline held that the verdict left
    /// out, suppressed ones and the warnings, each under its heading; a
    /// rule's remediation after its first finding counted or left out.
    pub fn of(report: &'a Report) -> Listing<'a> {
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

    /// Adds `findings` under `heading`, before the warnings: findings the
    /// verdict did not count, say, listed for context.
    pub fn with_section(
        mut self,
        heading: &'static str,
        findings: impl IntoIterator<Item = &'a Finding>,
    ) -> Listing<'a> {
        let items: Vec<Item<'a>> = findings.into_iter().map(Item::Finding).collect();
        let at = self.sections.len().saturating_sub(1);
        self.sections.insert(at, (Some(heading), items));
        self
    }

    /// `headline` and as many lines as fit in `limit` characters, in order;
    /// the rest counted in a last line that says where `elsewhere` they are.
    /// Lines are rendered only while they fit.
    pub fn fit(&self, headline: String, limit: usize, elsewhere: &str) -> String {
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
                        Item::Fix(guidance) => format!("  {}", guidance.fix_line()),
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

/// One finding: rule, resource, line, why, and what it weighs — or what
/// could not be resolved, or why it was suppressed, or that its
/// suppression expired, or that a baseline held it already.
pub fn finding_line(f: &Finding) -> String {
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
    use std::collections::BTreeMap;

    use super::*;

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
