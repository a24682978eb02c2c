//! Where a stage gets its rules: the port in front of the rules table.
//!
//! cfn-validate depends on [`RulesSource`], not on DynamoDB: in Lambda the
//! source is the [`RulesTable`] (an empty table is seeded with the default
//! rules first), a CLI reading a team's table without writing to it uses
//! [`RulesTable::read_only`], and tests use [`MemoryRules`](crate::MemoryRules).

use std::future::Future;

use template_rules::RuleItem;

use crate::table::{RulesTable, TableError};

/// Rule items, from wherever they are kept.
pub trait RulesSource: Send + Sync {
    /// The source's name, for messages ("the rules table {name} ...").
    fn name(&self) -> &str;

    /// Every rule item, sorted by rule id.
    fn items(&self) -> impl Future<Output = Result<Vec<RuleItem>, TableError>> + Send;
}

impl RulesSource for RulesTable {
    fn name(&self) -> &str {
        RulesTable::name(self)
    }

    /// The table's items, seeding an empty table with the defaults first
    /// (see [`RulesTable::load`]).
    async fn items(&self) -> Result<Vec<RuleItem>, TableError> {
        Ok(self.load().await?.items)
    }
}

/// The rules table read as it is: never seeded, never written.
#[derive(Debug, Clone)]
pub struct ReadOnlyTable {
    table: RulesTable,
}

impl RulesTable {
    /// This table as a source that only reads: an empty table gives no
    /// rules rather than the defaults.
    pub fn read_only(self) -> ReadOnlyTable {
        ReadOnlyTable { table: self }
    }
}

impl RulesSource for ReadOnlyTable {
    fn name(&self) -> &str {
        self.table.name()
    }

    async fn items(&self) -> Result<Vec<RuleItem>, TableError> {
        self.table.scan().await
    }
}
