//! Rules in memory, for tests of the stages that read them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use template_rules::RuleItem;

use crate::source::RulesSource;
use crate::table::TableError;

/// A fixed list of rule items, or a fixed error (the answers DynamoDB gives
/// that are hard to provoke: throttling, denied access); counts its loads.
#[derive(Debug, Clone)]
pub struct MemoryRules {
    name: String,
    answer: Result<Vec<RuleItem>, TableError>,
    loads: Arc<AtomicUsize>,
}

impl MemoryRules {
    /// A source called `name` holding `items`.
    pub fn new(name: impl Into<String>, items: impl IntoIterator<Item = RuleItem>) -> Self {
        let mut items: Vec<RuleItem> = items.into_iter().collect();
        items.sort_by(|a, b| a.id().cmp(&b.id()));
        MemoryRules {
            name: name.into(),
            answer: Ok(items),
            loads: Arc::default(),
        }
    }

    /// A source called `name` whose every load fails with `error`.
    pub fn failing(name: impl Into<String>, error: TableError) -> Self {
        MemoryRules {
            name: name.into(),
            answer: Err(error),
            loads: Arc::default(),
        }
    }

    /// How many times the items were loaded.
    pub fn loads(&self) -> usize {
        self.loads.load(Ordering::SeqCst)
    }
}

impl RulesSource for MemoryRules {
    fn name(&self) -> &str {
        &self.name
    }

    async fn items(&self) -> Result<Vec<RuleItem>, TableError> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        self.answer.clone()
    }
}

#[cfg(test)]
mod tests {
    use template_rules::RuleSet;

    use super::*;

    #[tokio::test]
    async fn rules_in_memory_are_sorted_and_errors_are_given_back() {
        let rules = MemoryRules::new("memory", RuleSet::default_items().into_iter().rev());
        assert_eq!(
            rules
                .items()
                .await
                .unwrap()
                .iter()
                .filter_map(RuleItem::id)
                .collect::<Vec<_>>(),
            [
                "AllowHttp",
                "ForbiddenAMIs",
                "IngressOpenToWorld",
                "SSHOpenToWorld"
            ]
        );
        let missing = TableError::Missing {
            table: "memory".into(),
        };
        let failing = MemoryRules::failing("memory", missing.clone());
        assert_eq!(failing.items().await.unwrap_err(), missing);
        assert_eq!((rules.loads(), failing.loads()), (1, 1));
    }
}
