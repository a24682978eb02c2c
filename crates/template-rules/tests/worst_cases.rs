//! Every worst case of at most 1 MiB ends with the verdict (and the
//! unresolved finding) it must, or is refused saying why. Their time is
//! measured by `benches/worst_cases.rs`, their memory with
//! `examples/worst_case.rs` (see the README's "Rules" section).

mod support;

use support::worst_cases::{Expected, cases, rules};
use template_rules::{Template, Thresholds, evaluate};

#[test]
fn every_worst_case_ends_as_it_must() {
    let rules = rules();
    for case in cases() {
        let text = case.text();
        let outcome = match Template::parse(text.as_bytes()) {
            Err(e) => Err(e.to_string()),
            Ok(template) => {
                let report = evaluate(&template, &rules, &Thresholds::default()).unwrap();
                Ok((report.verdict, report.unresolved_count() > 0))
            }
        };
        match (case.expected, outcome) {
            (Expected::Refused(why), Err(message)) => {
                assert!(message.contains(why), "{}: {message}", case.name);
            }
            (
                Expected::Verdict {
                    verdict,
                    unresolved,
                },
                Ok(got),
            ) => assert_eq!(got, (verdict, unresolved), "{}", case.name),
            (expected, got) => panic!("{}: expected {expected:?}, got {got:?}", case.name),
        }
    }
}
