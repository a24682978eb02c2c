//! The adapters against moto: a release stack with a target group, EC2
//! instances registered in it and its alarms, as the real protocol shows
//! them.

use harness::moto::MotoServer;
use harness::unique_name;
use health_gate::ports::{ALARM_TYPE, TARGET_GROUP_TYPE};
use health_gate::{Alarms, SignalErrorKind, Stacks, TargetGroups};
use release_signals::AwsSignals;

fn signals(moto: &MotoServer) -> AwsSignals {
    AwsSignals::from_sdk(&moto.sdk_config())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_stack_its_outputs_and_its_target_groups() {
    let moto = MotoServer::shared();
    let name = unique_name("release");
    let release = moto
        .create_release_stack(&name, "http://calc.example.com/", 1)
        .await;
    let signals = signals(moto);
    let stack = signals.stack(&name).await.unwrap();
    assert_eq!(stack.name, name);
    assert_eq!(stack.status, "CREATE_COMPLETE");
    assert_eq!(stack.output("Url").unwrap(), "http://calc.example.com/");
    assert_eq!(
        signals.resources(&name, TARGET_GROUP_TYPE).await.unwrap(),
        vec![release.target_group]
    );
    // moto's CloudFormation does not model alarms (see harness::release).
    assert_eq!(
        signals.resources(&name, ALARM_TYPE).await.unwrap(),
        Vec::<String>::new()
    );

    let missing = unique_name("no-such-stack");
    let error = signals.stack(&missing).await.unwrap_err();
    assert_eq!(error.kind, SignalErrorKind::Configuration);
    assert_eq!(
        error.message,
        format!("stack {missing} does not exist (Stack with id {missing} does not exist)")
    );
    let error = signals
        .resources(&missing, TARGET_GROUP_TYPE)
        .await
        .unwrap_err();
    assert_eq!(error.kind, SignalErrorKind::Configuration);
}

#[tokio::test(flavor = "multi_thread")]
async fn target_health_follows_the_instances_running_and_stopped() {
    let moto = MotoServer::shared();
    let release = moto
        .create_release_stack(&unique_name("release"), "http://calc.example.com/", 2)
        .await;
    let signals = signals(moto);
    let healthy = signals.target_health(&release.target_group).await.unwrap();
    assert_eq!(healthy.len(), 2);
    for target in &healthy {
        assert!(release.instances.contains(&target.id), "{target:?}");
        assert_eq!(
            (target.state.as_str(), target.port),
            ("healthy", Some(8080))
        );
    }

    moto.stop_instances(&release.instances[1..2]);
    let mut after = signals.target_health(&release.target_group).await.unwrap();
    after.sort_by_key(|t| release.instances.iter().position(|i| *i == t.id));
    let seen: Vec<(String, Option<String>)> = after
        .iter()
        .map(|t| (t.state.clone(), t.reason.clone()))
        .collect();
    assert_eq!(
        seen,
        [
            ("healthy".to_string(), None),
            (
                "unused".to_string(),
                Some("Target.InvalidState".to_string())
            ),
        ]
    );
    assert_eq!(
        after[1].to_string(),
        format!(
            "{}:8080 unused (Target.InvalidState: {})",
            release.instances[1],
            after[1].description.as_deref().unwrap_or_default()
        )
    );

    moto.start_instances(&release.instances[1..2]);
    let restarted = signals.target_health(&release.target_group).await.unwrap();
    assert_eq!(restarted.iter().filter(|t| t.state == "healthy").count(), 2);

    let gone = release
        .target_group
        .replace("targetgroup/", "targetgroup/gone-");
    let error = signals.target_health(&gone).await.unwrap_err();
    assert_eq!(error.kind, SignalErrorKind::Configuration, "{error}");
    assert!(
        error
            .message
            .starts_with(&format!("target group {gone} does not exist")),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn alarms_are_read_with_their_state_and_reason_and_missing_ones_left_out() {
    let moto = MotoServer::shared();
    let release = moto
        .create_release_stack(&unique_name("release"), "http://calc.example.com/", 1)
        .await;
    let signals = signals(moto);
    let mut names = release.alarms();
    names.push(unique_name("no-such-alarm"));
    let alarms = signals.alarms(&names).await.unwrap();
    let states: Vec<(&str, &str)> = alarms
        .iter()
        .map(|a| (a.name.as_str(), a.state.as_str()))
        .collect();
    assert_eq!(
        states,
        [
            (release.target_5xx_alarm.as_str(), "OK"),
            (release.unhealthy_hosts_alarm.as_str(), "OK")
        ]
    );

    moto.set_alarm_state(
        &release.target_5xx_alarm,
        "ALARM",
        "Threshold Crossed: 1 datapoint [12.0] was greater than or equal to the threshold (1.0).",
    )
    .await;
    moto.set_alarm_state(
        &release.unhealthy_hosts_alarm,
        "INSUFFICIENT_DATA",
        "no data",
    )
    .await;
    let alarms = signals.alarms(&release.alarms()).await.unwrap();
    assert_eq!(
        alarms.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            format!(
                "alarm {} is ALARM: Threshold Crossed: 1 datapoint [12.0] was greater than or equal to the threshold (1.0).",
                release.target_5xx_alarm
            ),
            format!(
                "alarm {} is INSUFFICIENT_DATA: no data",
                release.unhealthy_hosts_alarm
            ),
        ]
    );
}
