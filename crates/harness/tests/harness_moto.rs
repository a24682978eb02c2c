//! moto, through the real AWS SDK clients.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use harness::moto::MotoServer;

#[tokio::test]
async fn s3_object_round_trip_with_path_style() {
    let moto = MotoServer::shared();
    let bucket = harness::unique_name("artifacts");
    moto.create_bucket(&bucket).await;
    let zip = harness::zip::make_zip(&[("template.yaml", b"Resources: {}\n")]);
    moto.put_object(&bucket, "src/abc.zip", &zip).await;

    let fetched = moto
        .get_object(&bucket, "src/abc.zip")
        .await
        .expect("the object exists");
    assert_eq!(fetched, zip);
    assert_eq!(
        harness::zip::read_zip(&fetched)["template.yaml"],
        b"Resources: {}\n"
    );
    assert_eq!(moto.get_object(&bucket, "missing").await, None);

    // Path-style: moto logs the bucket in the path, not the host name.
    let listed = moto
        .s3()
        .list_objects_v2()
        .bucket(&bucket)
        .send()
        .await
        .expect("list objects");
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["src/abc.zip"]);
}

#[tokio::test]
async fn rules_table_put_and_scan() {
    let moto = MotoServer::shared();
    let table = harness::unique_name("rules");
    moto.create_rules_table(&table).await;
    let dynamodb = moto.dynamodb();
    for (rule, severity) in [("S3BucketPublicRead", "HIGH"), ("SGOpenIngress", "MEDIUM")] {
        dynamodb
            .put_item()
            .table_name(&table)
            .item("rule", AttributeValue::S(rule.into()))
            .item("severity", AttributeValue::S(severity.into()))
            .send()
            .await
            .expect("put item");
    }
    let scanned = dynamodb
        .scan()
        .table_name(&table)
        .send()
        .await
        .expect("scan");
    let mut rules: Vec<(String, String)> = scanned
        .items()
        .iter()
        .map(|item: &HashMap<String, AttributeValue>| {
            (
                item["rule"].as_s().expect("rule is a string").clone(),
                item["severity"].as_s().expect("severity").clone(),
            )
        })
        .collect();
    rules.sort();
    assert_eq!(
        rules,
        [
            ("S3BucketPublicRead".to_string(), "HIGH".to_string()),
            ("SGOpenIngress".to_string(), "MEDIUM".to_string())
        ]
    );

    let described = dynamodb
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .expect("describe table");
    let key = &described.table().expect("table").key_schema()[0];
    assert_eq!(key.attribute_name(), "rule");
}

#[tokio::test]
async fn stack_output_via_describe_stacks() {
    let moto = MotoServer::shared();
    let stack = harness::unique_name("calculator");
    let stack_id = moto
        .create_stack_with_output(&stack, "ServiceUrl", "http://127.0.0.1:3000/")
        .await;
    assert!(stack_id.contains(&stack), "stack id {stack_id}");

    let described = moto
        .cloudformation()
        .describe_stacks()
        .stack_name(&stack)
        .send()
        .await
        .expect("describe stacks");
    let outputs = described.stacks()[0].outputs();
    assert_eq!(outputs.len(), 1);
    assert_eq!(outputs[0].output_key(), Some("ServiceUrl"));
    assert_eq!(outputs[0].output_value(), Some("http://127.0.0.1:3000/"));
}

#[test]
fn shared_server_is_started_once() {
    let first = MotoServer::shared();
    let second = MotoServer::shared();
    assert_eq!(first.endpoint(), second.endpoint());
    assert!(std::ptr::eq(first, second));
    let probe = harness::http_client::get(
        &format!("{}/moto-api/", first.endpoint()),
        Duration::from_secs(5),
    )
    .expect("moto answers");
    assert_eq!(probe.status, 200);
}

#[test]
fn private_server_is_killed_on_drop() {
    let moto = MotoServer::start();
    let pid = moto.pid();
    assert_ne!(moto.endpoint(), MotoServer::shared().endpoint());
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    drop(moto);
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "moto_server {pid} still runs after drop"
    );
}

#[test]
fn unique_names_are_valid_bucket_names() {
    let a = harness::unique_name("My_Test.Bucket");
    let b = harness::unique_name("My_Test.Bucket");
    assert_ne!(a, b);
    for name in [&a, &b, &harness::unique_name(&"x".repeat(100))] {
        assert!((3..=63).contains(&name.len()), "{name}");
        assert!(
            name.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{name}"
        );
        assert!(
            name.starts_with(|c: char| c.is_ascii_alphanumeric()),
            "{name}"
        );
    }
}
