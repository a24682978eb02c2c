//! The URL from a CloudFormation stack's output, against moto. (Answers
//! moto does not give, such as access denied, are release-signals'
//! `tests/errors.rs`.)

mod support;

use harness::moto::MotoServer;
use harness::server::{Reply, TestServer};
use harness::unique_name;
use serde_json::json;
use support::{Stage, event, failure, success, timeless};

fn stage(moto: &MotoServer) -> Stage {
    Stage::new(&moto.endpoint(), support::loopback_checker())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_url_comes_from_the_stack_output() {
    let moto = MotoServer::shared();
    let server = TestServer::always(Reply::calculator());
    let name = unique_name("CICD-test-stack");
    moto.create_stack_with_output(&name, "Url", &server.url(""))
        .await;
    let stage = stage(moto);
    let report = stage
        .invoke(
            &event(json!({"stack": name, "output": "Url", "consecutive_successes": 1}).to_string()),
            None,
        )
        .await;
    let (summary, vars) = success(&report);
    assert_eq!(
        timeless(summary),
        format!(
            "{} is healthy: 200 OK in T, at the first attempt\nstack {name} is CREATE_COMPLETE",
            server.url("/")
        )
    );
    assert!(vars.contains(&("url", server.url("/").as_str())));
    assert_eq!(server.requests(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_stack_is_a_configuration_error_naming_it() {
    let moto = MotoServer::shared();
    let name = unique_name("no-such-stack");
    let stage = stage(moto);
    let report = stage
        .invoke(&event(json!({"stack": name}).to_string()), None)
        .await;
    assert_eq!(
        failure(&report),
        (
            "ConfigurationError",
            format!("stack {name} does not exist (Stack with id {name} does not exist)").as_str()
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_output_is_a_configuration_error_listing_the_outputs() {
    let moto = MotoServer::shared();
    let name = unique_name("CICD-test-stack");
    moto.create_stack_with_output(&name, "LoadBalancerDnsName", "calc.example.com")
        .await;
    let stage = stage(moto);
    let report = stage
        .invoke(
            &event(json!({"stack": name, "output": "Url"}).to_string()),
            None,
        )
        .await;
    assert_eq!(
        failure(&report),
        (
            "ConfigurationError",
            format!("stack {name} (CREATE_COMPLETE) has no output Url; its outputs are LoadBalancerDnsName").as_str()
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_output_that_is_no_url_is_a_configuration_error_saying_where_it_came_from() {
    let moto = MotoServer::shared();
    let name = unique_name("CICD-test-stack");
    moto.create_stack_with_output(&name, "Url", "calc.example.com")
        .await;
    let stage = stage(moto);
    let report = stage
        .invoke(&event(json!({"stack": name}).to_string()), None)
        .await;
    assert_eq!(
        failure(&report),
        (
            "ConfigurationError",
            format!("the output Url of stack {name}: \"calc.example.com\" is not a URL: it must start with http:// or https://").as_str()
        )
    );
}
