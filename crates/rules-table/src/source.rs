//! Where a stage gets its rules: the port in front of the rules table.
//!
//! cfn-validate depends on [`RulesSource`], not on DynamoDB: in Lambda the
//! source is the [`RulesTable`] (an empty table is seeded with the default
//! rules first); what only reads a team's table — `cicd validate --table`,
//! cfn-hook — reads it [`RulesTable::read_as_seeded`] (an empty table
//! stands for what it would be seeded with, and stays empty), or as it is
//! ([`RulesTable::read_only`]); tests use [`MemoryRules`](crate::MemoryRules).

use std::future::Future;

use template_rules::RuleItem;
use tracing::info;

use crate::table::{RulesTable, TableError, seed_items};

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

/// The rules table read, never written, an empty table standing for the
/// rules it would be seeded with ([`seed_items`]): what Static_Check would
/// apply to it, since cfn-validate seeds it on its first job.
#[derive(Debug, Clone)]
pub struct AsSeeded {
    table: RulesTable,
}

/// What [`AsSeeded::read`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct SeededRead {
    /// The table's items, or the seed's when it is empty.
    pub items: Vec<RuleItem>,
    /// Whether the table was empty and the seed stood in for it.
    pub seed_stood_in: bool,
}

impl RulesTable {
    /// This table as a source that only reads, an empty table standing for
    /// the rules it would be seeded with (see [`AsSeeded`]).
    pub fn read_as_seeded(self) -> AsSeeded {
        AsSeeded { table: self }
    }
}

impl AsSeeded {
    /// The table's items (read as [`RulesTable::scan`] reads them), or the
    /// seed's when it is empty, saying which.
    pub async fn read(&self) -> Result<SeededRead, TableError> {
        let items = self.table.scan().await?;
        Ok(if items.is_empty() {
            SeededRead {
                items: seed_items(),
                seed_stood_in: true,
            }
        } else {
            SeededRead {
                items,
                seed_stood_in: false,
            }
        })
    }
}

impl RulesSource for AsSeeded {
    fn name(&self) -> &str {
        self.table.name()
    }

    /// See [`AsSeeded::read`]; a seed standing in is logged.
    async fn items(&self) -> Result<Vec<RuleItem>, TableError> {
        let read = self.read().await?;
        if read.seed_stood_in {
            info!(table = %self.table.name(), "the rules table is empty: using the rules it is seeded with, as cfn-validate does on its first job");
        }
        Ok(read.items)
    }
}
