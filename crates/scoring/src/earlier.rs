//! A template judged against an earlier version of itself (a deployed
//! stack's template, a Hook's `previousTemplate`): the baseline of
//! findings of `template-rules` (issue 21), with the earlier template
//! evaluated here, by the same rules and options, so that both functions
//! that compare do it one way.

use template_rules::{
    Baseline, BaselinePolicy, EvaluateOptions, Report, RuleSet, Template, Thresholds,
};

use crate::score::{ScoreError, evaluate};

/// The earlier version of a template, as the caller has it.
#[derive(Debug, Clone, Copy)]
pub struct Earlier<'a> {
    /// Its text (JSON or YAML); `None` when there was none (a stack not
    /// created yet): then every finding is new.
    pub template: Option<&'a [u8]>,
    /// How messages name it: `the template of stack web (…)`.
    pub file: &'a str,
    /// What the report says it was compared with: `stack web`.
    pub against: &'a str,
}

/// Marks each finding of `report` (of a template evaluated with `rules`
/// from `table`, `thresholds` and `options`) new or existing against the
/// findings of `earlier`, evaluated with the same, and judges again: only
/// new findings count ([`BaselinePolicy::NewOnly`]); existing ones stay in
/// the report, marked. An earlier template that cannot be read, or that
/// the rules cannot be evaluated on, is an error, never "nothing is new".
pub fn compare_with_earlier(
    report: &mut Report,
    earlier: Earlier<'_>,
    table: &str,
    rules: &RuleSet,
    thresholds: &Thresholds,
    options: &EvaluateOptions,
) -> Result<(), ScoreError> {
    let baseline = match earlier.template {
        None => Baseline::empty(),
        Some(text) => {
            let template = Template::parse(text).map_err(|error| ScoreError::Unreadable {
                file: earlier.file.to_string(),
                error,
            })?;
            let earlier_report =
                evaluate(&template, earlier.file, table, rules, thresholds, options)?;
            // Made here, by this version: every fingerprint is current. Were
            // one not, an empty baseline makes every finding new: stricter.
            Baseline::of(&earlier_report).unwrap_or_default()
        }
    };
    report.compare(
        &baseline,
        BaselinePolicy::NewOnly,
        thresholds,
        earlier.against,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use template_rules::{BaselineState, Verdict};

    use super::*;

    const RULES: &str = r#"
- {rule: SSHOpenToWorld, category: SecurityGroup, ruletype: open-ingress, ruledata: "tcp:22", riskvalue: 100, active: "Y"}
"#;

    /// Security groups named `names`, each open to the world on port 22.
    fn sg(names: &[&str]) -> String {
        let mut text = "Resources:\n".to_string();
        for name in names {
            text.push_str(&format!(
                "  {name}:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: g\n      SecurityGroupIngress:\n        - {{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}}\n"
            ));
        }
        text
    }

    fn report(template: &str, rules: &RuleSet) -> Report {
        let template = Template::parse(template.as_bytes()).unwrap();
        evaluate(
            &template,
            "t",
            "rules",
            rules,
            &Thresholds::default(),
            &EvaluateOptions::default(),
        )
        .unwrap()
    }

    #[test]
    fn only_findings_the_earlier_template_did_not_have_count() {
        let rules = RuleSet::from_file_str(RULES).unwrap();
        let mut now = report(&sg(&["Old", "Added"]), &rules);
        assert_eq!((now.verdict, now.risk), (Verdict::Fail, 200));
        let before = sg(&["Old"]);
        let earlier = Earlier {
            template: Some(before.as_bytes()),
            file: "the previous template",
            against: "the previous template",
        };
        let options = EvaluateOptions::default();
        compare_with_earlier(
            &mut now,
            earlier,
            "rules",
            &rules,
            &Thresholds::default(),
            &options,
        )
        .unwrap();
        let states: Vec<(&str, Option<BaselineState>)> = now
            .findings
            .iter()
            .map(|f| (f.resource.as_str(), f.baseline))
            .collect();
        assert_eq!(
            states,
            [
                ("Old", Some(BaselineState::Existing)),
                ("Added", Some(BaselineState::New))
            ]
        );
        assert_eq!((now.verdict, now.risk), (Verdict::Fail, 100));
        assert_eq!((now.new_count(), now.existing_count()), (1, 1));
    }

    #[test]
    fn no_earlier_template_makes_every_finding_new_and_an_unreadable_one_is_an_error() {
        let rules = RuleSet::from_file_str(RULES).unwrap();
        let mut now = report(&sg(&["Old"]), &rules);
        let options = EvaluateOptions::default();
        let none = Earlier {
            template: None,
            file: "none",
            against: "nothing yet",
        };
        compare_with_earlier(
            &mut now,
            none,
            "rules",
            &rules,
            &Thresholds::default(),
            &options,
        )
        .unwrap();
        assert_eq!((now.verdict, now.new_count()), (Verdict::Fail, 1));
        let unreadable = Earlier {
            template: Some(b"Resources: [unclosed"),
            file: "the previous template",
            against: "the previous template",
        };
        let error = compare_with_earlier(
            &mut now,
            unreadable,
            "rules",
            &rules,
            &Thresholds::default(),
            &options,
        )
        .unwrap_err();
        assert!(matches!(error, ScoreError::Unreadable { .. }), "{error}");
        assert!(
            error
                .to_string()
                .starts_with("the previous template cannot be read as a CloudFormation template: "),
            "{error}"
        );
    }
}
