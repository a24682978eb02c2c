//! Reading and writing the rules table.

use std::collections::BTreeMap;

use aws_errors::ErrorKind;
use aws_sdk_dynamodb::error::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use template_rules::RuleItem;
use tracing::{info, warn};

use crate::item::{MAX_ITEM_BYTES, from_attributes, item_size, to_attributes};

/// More items than this is not a rules table; reading stops there.
pub const MAX_ITEMS: usize = 10_000;

/// What went wrong with the rules table (`table` is its name).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[allow(missing_docs)] // the fields are named for what they hold, and the messages say the rest
pub enum TableError {
    /// There is no such table.
    #[error("the rules table {table} does not exist")]
    Missing { table: String },
    /// The credentials may not read (or write) it.
    #[error("access to the rules table {table} was denied: {message}")]
    AccessDenied { table: String, message: String },
    /// DynamoDB kept refusing for load, past the SDK's retries.
    #[error("the rules table {table} kept throttling requests after retries: {message}")]
    Throttled { table: String, message: String },
    /// More than `MAX_ITEMS` (10 000): not a rules table.
    #[error("the rules table {table} holds more than {limit} items")]
    TooMany { table: String, limit: usize },
    /// A rule asked for by id is not there.
    #[error("there is no rule {rule} in the rules table {table}")]
    NoSuchRule { table: String, rule: String },
    /// A rule too big for one DynamoDB item.
    #[error(
        "rule {rule} is {bytes} bytes as a DynamoDB item; DynamoDB stores at most {limit} bytes per item (400 KB), so the rules table {table} cannot hold it"
    )]
    TooLarge {
        table: String,
        rule: String,
        bytes: usize,
        limit: usize,
    },
    /// Anything else (network, timeout, a server error).
    #[error("could not use the rules table {table}: {message}")]
    Unavailable { table: String, message: String },
}

/// The rules an empty table is seeded with: the default rules and the
/// standard pack ([`policy_pack::seed_items`]). Readers that never write
/// ([`RulesTable::read_as_seeded`]) use them for an empty table too, so
/// that every reader of a table applies the same rules.
pub fn seed_items() -> Vec<RuleItem> {
    policy_pack::seed_items()
}

/// What `load` found, and whether it had to seed the defaults first.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// The rules, as read after any seeding.
    pub items: Vec<RuleItem>,
    /// What seeding did, when the table was empty.
    pub seeded: Option<Seeded>,
}

/// Which default rules a seeding wrote, and which someone else wrote first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seeded {
    /// The default rules this seeding wrote.
    pub written: Vec<String>,
    /// The ones another writer had put there first (kept as they were).
    pub already_present: Vec<String>,
}

/// What `sync` changed (or would change), by rule id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Rules in the file and not in the table.
    pub added: Vec<String>,
    /// Rules in both, different in the table.
    pub changed: Vec<String>,
    /// Rules in the table and not in the file.
    pub removed: Vec<String>,
    /// Rules the same in both.
    pub unchanged: Vec<String>,
}

impl SyncReport {
    /// Whether nothing is (or would be) changed.
    pub fn is_noop(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// The rules table, by name, through a DynamoDB client.
#[derive(Debug, Clone)]
pub struct RulesTable {
    client: aws_sdk_dynamodb::Client,
    name: String,
}

impl RulesTable {
    /// The table `name`, through `client`.
    pub fn new(client: aws_sdk_dynamodb::Client, name: impl Into<String>) -> Self {
        RulesTable {
            client,
            name: name.into(),
        }
    }

    /// The table's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Every item, read consistently, sorted by rule id.
    pub async fn scan(&self) -> Result<Vec<RuleItem>, TableError> {
        let mut pages = self
            .client
            .scan()
            .table_name(&self.name)
            .consistent_read(true)
            .into_paginator()
            .send();
        let mut items = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.error(e))?;
            for attributes in page.items() {
                if items.len() >= MAX_ITEMS {
                    return Err(TableError::TooMany {
                        table: self.name.clone(),
                        limit: MAX_ITEMS,
                    });
                }
                items.push(from_attributes(attributes));
            }
        }
        items.sort_by(|a, b| a.id().cmp(&b.id()));
        Ok(items)
    }

    /// Writes each rule of the seed (the default rules and the standard
    /// pack, [`seed_items`]) that is not there yet.
    /// Conditional puts (`attribute_not_exists(rule)`), so concurrent
    /// seedings, or a rule written in between, are never overwritten.
    pub async fn seed_defaults(&self) -> Result<Seeded, TableError> {
        let mut seeded = Seeded::default();
        for item in seed_items() {
            let id = item.id().unwrap_or_default().to_string();
            let result = self
                .client
                .put_item()
                .table_name(&self.name)
                .set_item(Some(to_attributes(&item)))
                .condition_expression("attribute_not_exists(#rule)")
                .expression_attribute_names("#rule", "rule")
                .send()
                .await;
            match result {
                Ok(_) => seeded.written.push(id),
                Err(e) if e.code() == Some("ConditionalCheckFailedException") => {
                    seeded.already_present.push(id)
                }
                Err(e) => return Err(self.error(e)),
            }
        }
        Ok(seeded)
    }

    /// The table's items; an empty table is seeded with the default rules
    /// and the standard pack first.
    pub async fn load(&self) -> Result<Loaded, TableError> {
        let items = self.scan().await?;
        if !items.is_empty() {
            return Ok(Loaded {
                items,
                seeded: None,
            });
        }
        let seeded = self.seed_defaults().await?;
        info!(table = %self.name, written = seeded.written.len(), already_present = ?seeded.already_present, "seeded the empty rules table with the default rules and the standard pack");
        Ok(Loaded {
            items: self.scan().await?,
            seeded: Some(seeded),
        })
    }

    /// Whether DynamoDB can store `item`: refused, before anything is
    /// sent, when it is over DynamoDB's item limit (a guard item's rules
    /// text is the one field that can get there).
    pub fn check_size(&self, item: &RuleItem) -> Result<(), TableError> {
        let bytes = item_size(&to_attributes(item));
        if bytes > MAX_ITEM_BYTES {
            return Err(TableError::TooLarge {
                table: self.name.clone(),
                rule: item.id().unwrap_or("(no id)").to_string(),
                bytes,
                limit: MAX_ITEM_BYTES,
            });
        }
        Ok(())
    }

    /// Writes an item, replacing the rule with the same id; an item over
    /// DynamoDB's size limit is refused unsent ([`TableError::TooLarge`]).
    pub async fn put(&self, item: &RuleItem) -> Result<(), TableError> {
        self.check_size(item)?;
        self.client
            .put_item()
            .table_name(&self.name)
            .set_item(Some(to_attributes(item)))
            .send()
            .await
            .map(drop)
            .map_err(|e| self.error(e))
    }

    /// Turns a rule on or off.
    pub async fn set_active(&self, rule: &str, active: bool) -> Result<(), TableError> {
        self.client
            .update_item()
            .table_name(&self.name)
            .key(
                "rule",
                aws_sdk_dynamodb::types::AttributeValue::S(rule.to_string()),
            )
            .update_expression("SET #active = :active")
            .condition_expression("attribute_exists(#rule)")
            .expression_attribute_names("#active", "active")
            .expression_attribute_names("#rule", "rule")
            .expression_attribute_values(
                ":active",
                aws_sdk_dynamodb::types::AttributeValue::S(
                    if active { "Y" } else { "N" }.to_string(),
                ),
            )
            .send()
            .await
            .map(drop)
            .map_err(|e| self.missing_rule(rule, e))
    }

    /// Deletes the rule `rule`; [`TableError::NoSuchRule`] when it is not there.
    pub async fn delete(&self, rule: &str) -> Result<(), TableError> {
        self.client
            .delete_item()
            .table_name(&self.name)
            .key(
                "rule",
                aws_sdk_dynamodb::types::AttributeValue::S(rule.to_string()),
            )
            .send()
            .await
            .map(drop)
            .map_err(|e| self.error(e))
    }

    /// Makes the table hold exactly `wanted` (by rule id): adds what is
    /// missing, rewrites what differs, removes what is not wanted. With
    /// `apply` false, only says what it would do. Nothing is written when
    /// an item is over DynamoDB's size limit.
    pub async fn sync(&self, wanted: &[RuleItem], apply: bool) -> Result<SyncReport, TableError> {
        for item in wanted {
            self.check_size(item)?;
        }
        let current: BTreeMap<String, RuleItem> = self
            .scan()
            .await?
            .into_iter()
            .filter_map(|item| item.id().map(str::to_string).map(|id| (id, item)))
            .collect();
        let mut report = SyncReport::default();
        for item in wanted {
            let Some(id) = item.id() else { continue };
            match current.get(id) {
                None => report.added.push(id.to_string()),
                Some(existing) if to_attributes(existing) == to_attributes(item) => {
                    report.unchanged.push(id.to_string())
                }
                Some(_) => report.changed.push(id.to_string()),
            }
            if apply && !report.unchanged.iter().any(|u| u == id) {
                self.put(item).await?;
            }
        }
        for id in current.keys() {
            if !wanted.iter().any(|w| w.id() == Some(id.as_str())) {
                report.removed.push(id.clone());
                if apply {
                    self.delete(id).await?;
                }
            }
        }
        Ok(report)
    }

    /// Adds what is missing of `wanted` and rewrites what differs, leaving
    /// every other item alone (a pack brought up to date in a table that
    /// holds other rules too). With `apply` false, only says what it would
    /// do. Nothing is written when an item is over DynamoDB's size limit.
    pub async fn merge(&self, wanted: &[RuleItem], apply: bool) -> Result<SyncReport, TableError> {
        for item in wanted {
            self.check_size(item)?;
        }
        let current: BTreeMap<String, RuleItem> = self
            .scan()
            .await?
            .into_iter()
            .filter_map(|item| item.id().map(str::to_string).map(|id| (id, item)))
            .collect();
        let mut report = SyncReport::default();
        for item in wanted {
            let Some(id) = item.id() else { continue };
            let changes = match current.get(id) {
                None => Some(&mut report.added),
                Some(existing) if to_attributes(existing) == to_attributes(item) => None,
                Some(_) => Some(&mut report.changed),
            };
            match changes {
                Some(list) => {
                    list.push(id.to_string());
                    if apply {
                        self.put(item).await?;
                    }
                }
                None => report.unchanged.push(id.to_string()),
            }
        }
        Ok(report)
    }

    fn missing_rule<E, R>(&self, rule: &str, e: SdkError<E, R>) -> TableError
    where
        E: std::error::Error + ProvideErrorMetadata + 'static,
        R: std::fmt::Debug,
    {
        if e.code() == Some("ConditionalCheckFailedException") {
            TableError::NoSuchRule {
                table: self.name.clone(),
                rule: rule.to_string(),
            }
        } else {
            self.error(e)
        }
    }

    fn error<E, R>(&self, e: SdkError<E, R>) -> TableError
    where
        E: std::error::Error + ProvideErrorMetadata + 'static,
        R: std::fmt::Debug,
    {
        let table = self.name.clone();
        match aws_errors::classify(&e) {
            ErrorKind::NotFound => TableError::Missing { table },
            ErrorKind::AccessDenied => TableError::AccessDenied {
                table,
                message: aws_errors::message(&e),
            },
            ErrorKind::Throttled => {
                warn!(table = %self.name, "rules table throttled after retries");
                TableError::Throttled {
                    table,
                    message: aws_errors::message(&e),
                }
            }
            ErrorKind::Other => TableError::Unavailable {
                table,
                message: DisplayErrorContext(&e).to_string(),
            },
        }
    }
}
