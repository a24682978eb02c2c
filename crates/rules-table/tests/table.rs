//! The rules table against moto's DynamoDB, and the answers moto cannot give
//! (throttling, denied access) through an in-process mock.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use harness::moto::MotoServer;
use harness::unique_name;
use rules_table::{RulesSource, RulesTable, Seeded, TableError, from_attributes, to_attributes};
use serde_json::json;
use template_rules::{RuleItem, RuleSet};

async fn table() -> RulesTable {
    let moto = MotoServer::shared();
    let name = unique_name("rules");
    moto.create_rules_table(&name).await;
    RulesTable::new(moto.dynamodb(), name)
}

fn ids(items: &[RuleItem]) -> Vec<&str> {
    items.iter().filter_map(RuleItem::id).collect()
}

/// The ids of the rules an empty table is seeded with, in seeding order:
/// the four defaults, then the standard pack.
fn seed_ids() -> Vec<String> {
    policy_pack::seed_items()
        .iter()
        .filter_map(|i| i.id().map(str::to_string))
        .collect()
}

/// A table holding the four default rules only.
async fn defaults_only() -> RulesTable {
    let table = table().await;
    for item in RuleSet::default_items() {
        table.put(&item).await.unwrap();
    }
    table
}

#[tokio::test]
async fn an_empty_table_is_seeded_with_the_defaults_and_the_standard_pack_once() {
    let table = table().await;
    let loaded = table.load().await.unwrap();
    let mut expected = seed_ids();
    assert_eq!(
        &expected[..4],
        [
            "IngressOpenToWorld",
            "SSHOpenToWorld",
            "AllowHttp",
            "ForbiddenAMIs"
        ]
    );
    assert_eq!(
        expected.len(),
        4 + policy_pack::Pack::standard().items().len()
    );
    expected.sort();
    assert_eq!(ids(&loaded.items), expected);
    let seeded = loaded.seeded.unwrap();
    assert_eq!(seeded.written, seed_ids());
    assert!(seeded.already_present.is_empty());
    assert!(RuleSet::from_items(loaded.items).errors().is_empty());

    // A second start finds the rules and does not seed again.
    assert_eq!(table.load().await.unwrap().seeded, None);
    // A seeding racing another finds every rule already written.
    assert_eq!(
        table.seed_defaults().await.unwrap(),
        Seeded {
            written: vec![],
            already_present: seed_ids(),
        }
    );
}

#[tokio::test]
async fn merging_a_pack_adds_and_updates_its_items_and_leaves_the_others_alone() {
    let table = defaults_only().await;
    let mut own: RuleItem = serde_json::from_value(json!({
        "rule": "TeamRule", "category": "SecurityGroup", "ruletype": "open-ingress",
        "ruledata": "tcp:3389", "riskvalue": 100, "active": "Y"
    }))
    .unwrap();
    table.put(&own).await.unwrap();
    let pack = policy_pack::Pack::standard().items();
    // One of the pack's rules is already there, switched off by the team.
    let mut off = pack[0].clone();
    off.active = Some("N".into());
    table.put(&off).await.unwrap();

    let planned = table.merge(&pack, false).await.unwrap();
    assert_eq!(planned.added.len(), pack.len() - 1);
    assert_eq!(planned.changed, [pack[0].id().unwrap()]);
    assert!(planned.removed.is_empty());
    assert_eq!(
        table.scan().await.unwrap().len(),
        6,
        "a dry run changes nothing"
    );

    assert_eq!(table.merge(&pack, true).await.unwrap(), planned);
    let items = table.scan().await.unwrap();
    assert_eq!(items.len(), 5 + pack.len());
    own.riskvalue = Some(json!(100));
    assert!(items.contains(&own), "the team's own rule is kept");
    assert!(items.iter().any(|i| i.id() == Some("ForbiddenAMIs")));
    let again = table.merge(&pack, true).await.unwrap();
    assert!(again.is_noop(), "{again:?}");
    assert_eq!(again.unchanged.len(), pack.len());
}

#[tokio::test]
async fn seeding_never_overwrites_a_rule_someone_wrote_first() {
    let table = table().await;
    let mut custom = RuleSet::default_items().remove(1);
    custom.riskvalue = Some(json!(40));
    table.put(&custom).await.unwrap();
    let seeded = table.seed_defaults().await.unwrap();
    assert_eq!(seeded.already_present, ["SSHOpenToWorld"]);
    let items = table.scan().await.unwrap();
    let ssh = items
        .iter()
        .find(|i| i.id() == Some("SSHOpenToWorld"))
        .unwrap();
    assert_eq!(ssh.riskvalue, Some(json!(40)));
}

#[tokio::test]
async fn items_written_by_the_original_function_are_read_as_it_wrote_them() {
    let moto = MotoServer::shared();
    let table = table().await;
    let item: HashMap<String, AttributeValue> = [
        ("rule", AttributeValue::S("SSHOpenToWorld".into())),
        ("category", AttributeValue::S("SecurityGroup".into())),
        ("ruletype", AttributeValue::S("regex".into())),
        (
            "ruledata",
            AttributeValue::S(r"^.*Ingress.*(([fF]rom[pP]ort|[tT]o[pP]ort).\s*:\s*u?.(22).*[cC]idr[iI]p.\s*:\s*u?.((0\.){3}0\/0)|[cC]idr[iI]p.\s*:\s*u?.((0\.){3}0\/0).*([fF]rom[pP]ort|[tT]o[pP]ort).\s*:\s*u?.(22))".into()),
        ),
        ("riskvalue", AttributeValue::N("100".into())),
        ("active", AttributeValue::S("Y".into())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    moto.dynamodb()
        .put_item()
        .table_name(table.name())
        .set_item(Some(item))
        .send()
        .await
        .unwrap();
    let loaded = table.load().await.unwrap();
    assert_eq!(loaded.seeded, None, "a table with rules is not seeded");
    let rules = RuleSet::from_items(loaded.items);
    assert!(rules.errors().is_empty());
    assert_eq!(rules.rules()[0].kind.type_name(), "open-ingress");
    assert_eq!(rules.rules()[0].risk, 100);
}

#[tokio::test]
async fn sync_makes_the_table_match_the_file_and_says_what_changed() {
    let table = defaults_only().await;
    let mut wanted = RuleSet::default_items();
    wanted.retain(|i| i.id() != Some("ForbiddenAMIs"));
    let allow_http = wanted
        .iter_mut()
        .find(|i| i.id() == Some("AllowHttp"))
        .unwrap();
    allow_http.active = Some("Y".into());
    wanted.push(
        serde_json::from_value(json!({
            "rule": "RdpOpenToWorld", "category": "SecurityGroup", "ruletype": "open-ingress",
            "ruledata": "tcp:3389", "riskvalue": 100, "active": "Y"
        }))
        .unwrap(),
    );

    let planned = table.sync(&wanted, false).await.unwrap();
    assert_eq!(planned.added, ["RdpOpenToWorld"]);
    assert_eq!(planned.changed, ["AllowHttp"]);
    assert_eq!(planned.removed, ["ForbiddenAMIs"]);
    assert_eq!(planned.unchanged, ["IngressOpenToWorld", "SSHOpenToWorld"]);
    assert_eq!(
        table.scan().await.unwrap().len(),
        4,
        "a dry run changes nothing"
    );

    assert_eq!(table.sync(&wanted, true).await.unwrap(), planned);
    assert_eq!(
        ids(&table.scan().await.unwrap()),
        [
            "AllowHttp",
            "IngressOpenToWorld",
            "RdpOpenToWorld",
            "SSHOpenToWorld"
        ]
    );
    assert!(table.sync(&wanted, true).await.unwrap().is_noop());
}

#[tokio::test]
async fn rules_are_switched_on_and_off_by_id() {
    let table = table().await;
    table.load().await.unwrap();
    table.set_active("AllowHttp", true).await.unwrap();
    let items = table.scan().await.unwrap();
    let allow_http = items.iter().find(|i| i.id() == Some("AllowHttp")).unwrap();
    assert_eq!(allow_http.active, Some(json!("Y")));
    assert_eq!(
        table.set_active("NoSuchRule", true).await.unwrap_err(),
        TableError::NoSuchRule {
            table: table.name().into(),
            rule: "NoSuchRule".into()
        }
    );
}

#[tokio::test]
async fn as_a_source_the_table_seeds_itself_and_read_only_it_never_does() {
    let read_only = table().await.read_only();
    assert_eq!(read_only.items().await.unwrap(), []);
    assert_eq!(read_only.items().await.unwrap(), [], "still empty");

    let seeding = table().await;
    let items = RulesSource::items(&seeding).await.unwrap();
    assert_eq!(ids(&items), ids(&seeding.scan().await.unwrap()));
    assert_eq!(items.len(), seed_ids().len());
    let read_only = seeding.clone().read_only();
    assert_eq!(read_only.items().await.unwrap(), items);
    assert_eq!(RulesSource::name(&read_only), seeding.name());
}

#[tokio::test]
async fn read_as_seeded_an_empty_table_stands_for_its_seed_and_stays_empty() {
    let empty = table().await;
    let as_seeded = empty.clone().read_as_seeded();
    let read = as_seeded.read().await.unwrap();
    assert!(read.seed_stood_in);
    assert_eq!(read.items, rules_table::seed_items());
    assert_eq!(RulesSource::items(&as_seeded).await.unwrap(), read.items);
    assert_eq!(empty.scan().await.unwrap(), [], "nothing was written");

    let mut custom = RuleSet::default_items().remove(0);
    custom.riskvalue = Some(7.into());
    empty.put(&custom).await.unwrap();
    let read = as_seeded.read().await.unwrap();
    assert!(!read.seed_stood_in);
    assert_eq!(read.items, [custom], "a table with rules is read as it is");
    assert_eq!(RulesSource::name(&as_seeded), empty.name());
}

#[tokio::test]
async fn a_missing_table_is_named() {
    let moto = MotoServer::shared();
    let table = RulesTable::new(moto.dynamodb(), "no-such-rules-table");
    assert_eq!(
        table.load().await.unwrap_err(),
        TableError::Missing {
            table: "no-such-rules-table".into()
        }
    );
}

#[test]
fn attributes_round_trip_in_the_original_shape() {
    let item = RuleSet::default_items().remove(0);
    let attributes = to_attributes(&item);
    assert_eq!(attributes["riskvalue"], AttributeValue::N("100".into()));
    assert_eq!(attributes["active"], AttributeValue::S("Y".into()));
    assert_eq!(from_attributes(&attributes), item);
    // Flags written as booleans (a JSON rules file) are stored as Y/N.
    let flags = RuleItem {
        active: Some(true.into()),
        suppressible: Some(false.into()),
        ..item
    };
    let attributes = to_attributes(&flags);
    assert_eq!(attributes["active"], AttributeValue::S("Y".into()));
    assert_eq!(attributes["suppressible"], AttributeValue::S("N".into()));
    let odd: HashMap<String, AttributeValue> = [("rule".to_string(), AttributeValue::L(vec![]))]
        .into_iter()
        .collect();
    let rules = RuleSet::from_items([from_attributes(&odd)]);
    assert!(
        rules.errors()[0]
            .message
            .starts_with("rule must be a string, not"),
        "{}",
        rules.errors()[0]
    );
}

mod mocked {
    use aws_sdk_dynamodb::operation::scan::{ScanError, ScanOutput};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;

    fn error(code: &'static str) -> ScanError {
        ScanError::generic(
            ErrorMetadata::builder()
                .code(code)
                .message("from the mock")
                .build(),
        )
    }

    #[tokio::test]
    async fn throttling_is_retried_then_succeeds() {
        let scan = mock!(aws_sdk_dynamodb::Client::scan)
            .sequence()
            .error(|| error("ThrottlingException"))
            .output(|| {
                ScanOutput::builder()
                    .items(to_attributes(&RuleSet::default_items().remove(0)))
                    .build()
            })
            .build();
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, [&scan], |c| c
            .retry_config(
                aws_smithy_types::retry::RetryConfig::standard().with_max_attempts(3)
            ));
        let items = RulesTable::new(client, "rules").scan().await.unwrap();
        assert_eq!(ids(&items), ["IngressOpenToWorld"]);
        assert_eq!(scan.num_calls(), 2);
    }

    #[tokio::test]
    async fn throttling_past_the_retry_budget_is_reported_as_such() {
        let scan = mock!(aws_sdk_dynamodb::Client::scan)
            .sequence()
            .error(|| error("ProvisionedThroughputExceededException"))
            .times(3)
            .build();
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, [&scan], |c| c
            .retry_config(
                aws_smithy_types::retry::RetryConfig::standard().with_max_attempts(3)
            ));
        let error = RulesTable::new(client, "rules").scan().await.unwrap_err();
        assert_eq!(
            error,
            TableError::Throttled {
                table: "rules".into(),
                message: "from the mock".into()
            }
        );
        assert_eq!(scan.num_calls(), 3);
    }

    #[tokio::test]
    async fn denied_access_is_reported_as_such() {
        let scan =
            mock!(aws_sdk_dynamodb::Client::scan).then_error(|| error("AccessDeniedException"));
        let client = mock_client!(aws_sdk_dynamodb, [&scan]);
        let error = RulesTable::new(client, "rules").scan().await.unwrap_err();
        assert!(matches!(error, TableError::AccessDenied { .. }), "{error}");
    }
}

#[tokio::test]
async fn remediation_link_and_frameworks_are_kept_through_the_table() {
    let table = table().await;
    let item: RuleItem = serde_json::from_value(json!({
        "rule": "Versioned", "category": "S3", "ruletype": "property",
        "ruledata": "{\"types\":[\"AWS::S3::Bucket\"],\"require\":{\"path\":\"A\",\"exists\":true}}",
        "riskvalue": 10, "active": "Y",
        "remediation": "Enable versioning.",
        "link": "https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html",
        "frameworks": ["AWS FSBP S3.14", "CIS AWS Foundations v3.0.0 2.1.2"]
    }))
    .unwrap();
    let attributes = to_attributes(&item);
    assert_eq!(
        attributes["frameworks"],
        AttributeValue::L(vec![
            AttributeValue::S("AWS FSBP S3.14".into()),
            AttributeValue::S("CIS AWS Foundations v3.0.0 2.1.2".into())
        ])
    );
    table.put(&item).await.unwrap();
    let stored = table.scan().await.unwrap();
    assert_eq!(stored, std::slice::from_ref(&item));
    let rules = RuleSet::from_items(stored);
    assert!(rules.errors().is_empty(), "{:?}", rules.errors());
    assert_eq!(rules.rules()[0].guidance.frameworks.len(), 2);
    // Unchanged when synced again.
    assert!(table.sync(&[item], true).await.unwrap().is_noop());
}
