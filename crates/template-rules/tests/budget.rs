//! Evaluation under a budget: it gives up between steps once the budget is
//! spent, from any thread, and otherwise gives what `evaluate` gives.

use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use template_rules::{
    Budget, EvaluationError, Interrupted, RuleItem, RuleSet, Template, Thresholds, evaluate,
    evaluate_until,
};

/// `groups` security groups with long descriptions, and `rules` regex rules
/// that read all of each without ever matching: seconds of work, in steps.
fn workload(groups: usize, rules: usize) -> (Vec<u8>, RuleSet) {
    let mut resources = serde_json::Map::new();
    for i in 0..groups {
        let description: String = (0..4000)
            .map(|j| (b'a' + ((i + j) % 26) as u8) as char)
            .collect();
        resources.insert(
            format!("Group{i}"),
            json!({"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": description}}),
        );
    }
    let items = (0..rules).map(|i| {
        serde_json::from_value::<RuleItem>(json!({
            "rule": format!("Slow{i}"), "category": "SecurityGroup", "ruletype": "regex",
            "ruledata": format!("\\d\\D\\d\\D{{{}}}\\d", i % 7 + 1), "riskvalue": 1, "active": "Y"
        }))
        .unwrap()
    });
    let template = serde_json::to_vec(&json!({ "Resources": resources })).unwrap();
    (template, RuleSet::from_items(items))
}

#[test]
fn a_spent_budget_stops_before_the_first_step() {
    let (text, rules) = workload(3, 2);
    let template = Template::parse(&text).unwrap();
    let stopped = Budget::unlimited().stop_flag(Arc::new(AtomicBool::new(true)));
    assert_eq!(
        evaluate_until(&template, &rules, &Thresholds::default(), &stopped),
        Err(EvaluationError::Interrupted(Interrupted {
            checked: 0,
            resources: 3
        }))
    );
    let past = Budget::unlimited().until(Instant::now());
    assert!(
        evaluate_until(
            &template,
            &RuleSet::defaults(),
            &Thresholds::default(),
            &past
        )
        .is_err()
    );
}

#[test]
fn an_unspent_budget_gives_what_evaluate_gives() {
    let template = Template::parse(
        br#"{"Resources": {"Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": "ssh", "SecurityGroupIngress": [
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}]}}}}"#,
    )
    .unwrap();
    let rules = RuleSet::defaults();
    let budget = Budget::unlimited()
        .stop_flag(Arc::new(AtomicBool::new(false)))
        .until(Instant::now() + Duration::from_secs(600));
    assert_eq!(
        evaluate_until(&template, &rules, &Thresholds::default(), &budget).unwrap(),
        evaluate(&template, &rules, &Thresholds::default()).unwrap()
    );
}

#[test]
fn a_flag_raised_from_another_thread_stops_the_evaluation_within_a_step() {
    let (text, rules) = workload(200, 400);
    let template = Template::parse(&text).unwrap();
    let flag = Arc::new(AtomicBool::new(false));
    let budget = Budget::unlimited().stop_flag(Arc::clone(&flag));
    let raised = std::thread::scope(|scope| {
        let raiser = scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(100));
            flag.store(true, Ordering::Relaxed);
            Instant::now()
        });
        let result = evaluate_until(&template, &rules, &Thresholds::default(), &budget);
        let returned = Instant::now();
        let raised = raiser.join().unwrap();
        let Err(EvaluationError::Interrupted(stopped)) = result else {
            panic!("{result:?}");
        };
        assert!(stopped.checked < stopped.resources, "{stopped}");
        returned.saturating_duration_since(raised)
    });
    // One step is one regex over 4 kB, a fraction of a millisecond; the
    // bound leaves room for a loaded machine, and is far below the seconds
    // of work that were left.
    assert!(
        raised < Duration::from_secs(1),
        "returned {raised:?} after the flag"
    );
}

/// `groups` groups of `parts` sources on ports of their own, whose unions
/// take seconds to work out (every port where one joins may be where they
/// cover the internet).
fn costly_unions(groups: usize, parts: usize) -> String {
    let mut out = String::from("Cidr: &c 10.0.0.0/8\nResources:\n");
    for g in 0..groups {
        let _ = write!(
            out,
            "  G{g}: {{Type: AWS::EC2::SecurityGroup, Properties: {{GroupDescription: g, SecurityGroupIngress: [{{IpProtocol: tcp, FromPort: 0, ToPort: 65535, CidrIp: 0.0.0.0/1}}, {{IpProtocol: tcp, FromPort: 0, ToPort: 65535, CidrIp: 0.0.0.0/1}}"
        );
        for i in 0..parts {
            let _ = write!(
                out,
                ", {{IpProtocol: tcp, FromPort: {}, ToPort: 65535, CidrIp: *c}}",
                1000 + i
            );
        }
        out.push_str("]}}\n");
    }
    out
}

#[test]
fn a_flag_raised_while_unions_are_worked_out_stops_them_within_a_step() {
    let text = costly_unions(14, 1_000);
    let template = Template::parse(text.as_bytes()).unwrap();
    let rules = RuleSet::defaults();
    let flag = Arc::new(AtomicBool::new(false));
    let budget = Budget::unlimited().stop_flag(Arc::clone(&flag));
    let raised = std::thread::scope(|scope| {
        let raiser = scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(100));
            flag.store(true, Ordering::Relaxed);
            Instant::now()
        });
        let started = Instant::now();
        let result = evaluate_until(&template, &rules, &Thresholds::default(), &budget);
        let returned = Instant::now();
        let raised = raiser.join().unwrap();
        // The unions are one step of the engine's (the rule's preparation):
        // stopped inside it, before any resource is reported on.
        assert_eq!(
            result,
            Err(EvaluationError::Interrupted(Interrupted {
                checked: 0,
                resources: 14
            })),
            "after {:?}",
            returned - started
        );
        returned.saturating_duration_since(raised)
    });
    assert!(
        raised < Duration::from_secs(1),
        "returned {raised:?} after the flag"
    );
    // Unstopped, the same unions are worked out to the end (seconds of
    // work): none covers the internet.
    let started = Instant::now();
    let report = evaluate(&template, &rules, &Thresholds::default()).unwrap();
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    assert!(
        started.elapsed() > Duration::from_millis(100),
        "the work took less than the flag's delay: {:?}",
        started.elapsed()
    );
}
