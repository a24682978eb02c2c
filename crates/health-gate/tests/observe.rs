//! Reading a plan's signals through the ports, with in-process ports: what
//! `"stack"` resolves to, what cannot be read, and alarms the plan says to
//! pass over.

use std::collections::HashMap;
use std::sync::Mutex;

use health_gate::ports::{ALARM_TYPE, TARGET_GROUP_TYPE};
use health_gate::{
    Alarm, Alarms, AlarmsRead, Observer, Plan, PlanSpec, SignalError, SignalErrorKind, StackState,
    Stacks, TargetGroups, TargetHealth,
};

const STACK: &str = "CICD-test-stack";

/// Ports answering from maps, counting the calls.
#[derive(Debug)]
struct Ports {
    resources: HashMap<&'static str, Vec<String>>,
    targets: HashMap<String, Vec<TargetHealth>>,
    alarms: Result<Vec<Alarm>, SignalError>,
    calls: Mutex<Vec<String>>,
}

impl Ports {
    fn new() -> Ports {
        Ports {
            resources: HashMap::new(),
            targets: HashMap::new(),
            alarms: Ok(Vec::new()),
            calls: Mutex::new(Vec::new()),
        }
    }

    fn called(&self, what: String) {
        self.calls.lock().unwrap().push(what);
    }

    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
}

impl Stacks for Ports {
    async fn stack(&self, name: &str) -> Result<StackState, SignalError> {
        self.called(format!("stack {name}"));
        Ok(StackState {
            name: name.to_string(),
            status: "UPDATE_COMPLETE".to_string(),
            reason: None,
            outputs: Vec::new(),
        })
    }

    async fn resources(&self, name: &str, resource_type: &str) -> Result<Vec<String>, SignalError> {
        self.called(format!("resources {name} {resource_type}"));
        Ok(self
            .resources
            .get(resource_type)
            .cloned()
            .unwrap_or_default())
    }
}

impl TargetGroups for Ports {
    async fn target_health(&self, arn: &str) -> Result<Vec<TargetHealth>, SignalError> {
        self.called(format!("targets {arn}"));
        self.targets
            .get(arn)
            .cloned()
            .ok_or_else(|| SignalError::configuration(format!("target group {arn} does not exist")))
    }
}

impl Alarms for Ports {
    async fn alarms(&self, names: &[String]) -> Result<Vec<Alarm>, SignalError> {
        self.called(format!("alarms {}", names.join(",")));
        self.alarms.clone().map(|alarms| {
            alarms
                .into_iter()
                .filter(|a| names.contains(&a.name))
                .collect()
        })
    }
}

fn plan(json: &str) -> Plan {
    Plan::from_spec(serde_json::from_str::<PlanSpec>(json).unwrap()).unwrap()
}

fn healthy(id: &str) -> TargetHealth {
    TargetHealth {
        id: id.to_string(),
        port: Some(8080),
        state: "healthy".to_string(),
        reason: None,
        description: None,
    }
}

fn alarm(name: &str, state: &str) -> Alarm {
    Alarm {
        name: name.to_string(),
        state: state.to_string(),
        reason: None,
    }
}

#[tokio::test]
async fn stack_means_the_stacks_target_groups_and_alarms_resolved_each_round() {
    let mut ports = Ports::new();
    ports.resources.insert(
        TARGET_GROUP_TYPE,
        vec!["tg-a".to_string(), "tg-b".to_string()],
    );
    ports.resources.insert(
        ALARM_TYPE,
        vec!["s-5xx".to_string(), "s-unhealthy".to_string()],
    );
    ports
        .targets
        .insert("tg-a".to_string(), vec![healthy("i-1")]);
    ports
        .targets
        .insert("tg-b".to_string(), vec![healthy("i-2"), healthy("i-3")]);
    ports.alarms = Ok(vec![
        alarm("s-unhealthy", "OK"),
        alarm("s-5xx", "OK"),
        alarm("other", "ALARM"),
    ]);
    let plan = plan(r#"{"stack": "CICD-test-stack", "targets": "stack", "alarms": "stack"}"#);
    let observer = Observer::new(&plan, &ports);
    let first = observer.observe().await.unwrap();
    let second = observer.observe().await.unwrap();
    assert_eq!(first, second);
    assert_eq!(first.healthy_targets(), Some(3));
    assert_eq!(
        first.alarms,
        Some(AlarmsRead::Read(vec![
            alarm("s-5xx", "OK"),
            alarm("s-unhealthy", "OK")
        ])),
        "in the stack's order, and only the stack's"
    );
    assert_eq!(
        first.lines(),
        [
            "stack CICD-test-stack is UPDATE_COMPLETE",
            "target group tg-a: 1 of 1 target healthy",
            "target group tg-b: 2 of 2 targets healthy",
            "alarms: s-5xx OK, s-unhealthy OK",
        ]
    );
    let round = [
        format!("stack {STACK}"),
        format!("resources {STACK} {TARGET_GROUP_TYPE}"),
        "targets tg-a".to_string(),
        "targets tg-b".to_string(),
        format!("resources {STACK} {ALARM_TYPE}"),
        "alarms s-5xx,s-unhealthy".to_string(),
    ];
    assert_eq!(ports.calls(), [round.clone(), round].concat());
}

#[tokio::test]
async fn a_plan_without_signals_reads_nothing() {
    let ports = Ports::new();
    let plan = Plan::for_url("http://calc.test/");
    let observer = Observer::new(&plan, &ports);
    assert_eq!(observer.observe().await.unwrap(), Default::default());
    assert!(ports.calls().is_empty());
}

#[tokio::test]
async fn a_stack_without_what_stack_means_is_a_configuration_error() {
    let ports = Ports::new();
    for (json, message) in [
        (
            r#"{"stack": "CICD-test-stack", "targets": "stack"}"#,
            "stack CICD-test-stack has no target groups (AWS::ElasticLoadBalancingV2::TargetGroup) for targets \"stack\" to check",
        ),
        (
            r#"{"stack": "CICD-test-stack", "alarms": "stack"}"#,
            "stack CICD-test-stack has no alarms (AWS::CloudWatch::Alarm) for alarms \"stack\" to check",
        ),
    ] {
        let plan = plan(json);
        let error = Observer::new(&plan, &ports).observe().await.unwrap_err();
        assert_eq!(error, SignalError::configuration(message), "{json}");
    }
    let mut crowded = Ports::new();
    crowded.resources.insert(
        TARGET_GROUP_TYPE,
        (0..11).map(|i| format!("tg-{i}")).collect(),
    );
    let plan = plan(r#"{"stack": "CICD-test-stack", "targets": "stack"}"#);
    let error = Observer::new(&plan, &crowded).observe().await.unwrap_err();
    assert_eq!(
        error.message,
        "stack CICD-test-stack has 11 target groups; the gate reads at most 10: name those to check in targets"
    );
}

#[tokio::test]
async fn alarms_that_cannot_be_read_fail_closed_unless_the_plan_passes_them_over() {
    let mut ports = Ports::new();
    ports.alarms = Err(SignalError::permission(
        "not allowed to describe alarms (cloudwatch:DescribeAlarms): denied",
    ));
    let strict = plan(r#"{"url": "http://calc.test/", "alarms": ["s-5xx"]}"#);
    let error = Observer::new(&strict, &ports).observe().await.unwrap_err();
    assert_eq!(error.kind, SignalErrorKind::Permission);

    let lenient = plan(
        r#"{"url": "http://calc.test/", "alarms": ["s-5xx"], "ignore_alarm_read_failure": true}"#,
    );
    let observation = Observer::new(&lenient, &ports).observe().await.unwrap();
    assert_eq!(
        observation.alarms,
        Some(AlarmsRead::Unread(
            "not allowed to describe alarms (cloudwatch:DescribeAlarms): denied".to_string()
        ))
    );
    assert_eq!(
        observation.lines(),
        [
            "alarms not read, passed over (ignore_alarm_read_failure): not allowed to describe alarms (cloudwatch:DescribeAlarms): denied"
        ]
    );

    // An alarm named that does not exist cannot be read either.
    let mut ports = Ports::new();
    ports.alarms = Ok(vec![alarm("s-5xx", "OK")]);
    let named = plan(r#"{"url": "http://calc.test/", "alarms": ["s-5xx", "s-5xxx", "gone"]}"#);
    let error = Observer::new(&named, &ports).observe().await.unwrap_err();
    assert_eq!(
        error,
        SignalError::configuration("no such alarm: s-5xxx, gone (CloudWatch DescribeAlarms)")
    );
}

#[tokio::test]
async fn a_target_group_that_cannot_be_read_is_an_error_naming_it() {
    let ports = Ports::new();
    let plan = plan(r#"{"url": "http://calc.test/", "targets": ["arn:tg/gone"]}"#);
    let error = Observer::new(&plan, &ports).observe().await.unwrap_err();
    assert_eq!(
        error,
        SignalError::configuration("target group arn:tg/gone does not exist")
    );
}
