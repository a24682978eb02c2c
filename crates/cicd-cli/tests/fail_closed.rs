//! Templates built to slip past the check, through the real `cicd
//! validate`: none passes silently, and what is resolved stays resolved
//! however much work the rest of the template makes.

mod common;

use std::fmt::Write;
use std::time::Duration;

use common::*;

const LIMIT: Duration = Duration::from_secs(120);

/// The text report's finding lines for `resource`.
fn lines_on<'a>(text: &'a str, resource: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|l| l.split_whitespace().nth(2) == Some(resource))
        .collect()
}

#[test]
fn decoys_that_use_up_the_templates_work_leave_an_open_group_failing() {
    // 600 groups whose source is looked up by region in 2 000 blocks: more
    // steps than resolving may take for the template; then a group open
    // through a parameter's Default.
    let mut text = String::from(
        "Parameters:\n  Open: {Type: String, Default: 0.0.0.0/0}\nMappings:\n  Wide:\n",
    );
    for r in 0..2_000 {
        let _ = writeln!(text, "    r{r}: {{c: 10.{}.{}.0/24}}", r / 256, r % 256);
    }
    text.push_str("Resources:\n");
    for d in 0..600 {
        let _ = writeln!(
            text,
            "  D{d}: {{Type: AWS::EC2::SecurityGroup, Properties: {{GroupDescription: d, SecurityGroupIngress: [{{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !FindInMap [Wide, !Ref AWS::Region, c]}}]}}}}"
        );
    }
    text.push_str("  Real: {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: r, SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref Open}]}}\n");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "decoys.yaml", &text);
    let out = cicd_within(dir.path(), &["validate", "decoys.yaml"], LIMIT);
    let report = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert_eq!(
        verdicts(&report),
        [("decoys.yaml".to_string(), "FAIL".to_string())]
    );
    let real = lines_on(&report, "Real");
    assert_eq!(real.len(), 2, "{real:?}");
    for line in real {
        assert!(
            line.ends_with(
                "SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0 (default of parameter Open)"
            ),
            "{line}"
        );
    }
    // The decoys past the template's steps are unresolved, and say why.
    assert!(
        report.contains("(the template's values take more than 2000000 steps to work out)"),
        "{report}"
    );
}
