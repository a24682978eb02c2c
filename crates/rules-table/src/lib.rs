//! The DynamoDB table of validation rules.
//!
//! Items have the shape the original function wrote — `rule` (hash key,
//! S), `category` (S), `ruletype` (S), `ruledata` (S), `riskvalue` (N),
//! `active` (S, `Y`/`N`) — so tables it created keep working. The table is
//! read with consistent, paginated scans; an empty table is seeded with the
//! default rules and the standard policy pack (`policy-pack`) using
//! conditional puts, so that functions starting at the same time do not
//! overwrite each other (or a rule someone just added). An existing table
//! is never changed unless asked: [`RulesTable::sync`] makes it hold
//! exactly a rules file, [`RulesTable::merge`] adds or updates a pack's
//! items and leaves the others alone.
//!
//! [`RulesSource`] is what a stage reads its rules through: the table
//! itself (seeding), [`RulesTable::read_as_seeded`] (never writing, an
//! empty table standing for the seed), [`RulesTable::read_only`], or
//! [`MemoryRules`] in tests.
//!
//! Start with [`RulesSource`], then [`RulesTable::load`] (read, seeding an
//! empty table).

#![warn(missing_docs)]

mod in_memory;
mod item;
mod source;
mod table;

pub use in_memory::MemoryRules;
pub use item::{MAX_ITEM_BYTES, from_attributes, item_size, to_attributes};
pub use source::{AsSeeded, ReadOnlyTable, RulesSource, SeededRead};
pub use table::{Loaded, RulesTable, Seeded, SyncReport, TableError, seed_items};
