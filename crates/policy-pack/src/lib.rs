//! The standard policy pack: what the gate checks out of the box, beyond
//! the four default rules.
//!
//! A pack is data in the repo: a folder (`standard/`) with a file per
//! service (`s3.yaml`, `iam.yaml`, ...), each a rules file of items in the
//! rules table's shape (`rule`, `category`, `ruletype`, `ruledata`,
//! `riskvalue`, `active`, and `remediation`, `link`, `frameworks`). Every
//! file of the folder is embedded at build time (`build.rs`): adding a
//! service is adding a file. Each service file has a file of test cases
//! under `standard/tests/` (see `tests/pack.rs`).
//!
//! `template-rules` knows nothing of packs; the rules table seeds an empty
//! table with the defaults and the standard pack, and `cicd validate` uses
//! them when given no rules.

#![warn(missing_docs)]

use template_rules::{RuleItem, RuleSet};

include!(concat!(env!("OUT_DIR"), "/packs.rs"));

/// The name of the standard pack.
pub const STANDARD: &str = "standard";

/// A pack of rules, embedded in the binary.
#[derive(Debug, Clone, Copy)]
pub struct Pack {
    name: &'static str,
    files: &'static [(&'static str, &'static str)],
}

impl Pack {
    /// The pack called `name`, if there is one.
    pub fn find(name: &str) -> Option<Pack> {
        PACKS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(name, files)| Pack { name, files })
    }

    /// The standard pack.
    pub fn standard() -> Pack {
        match Pack::find(STANDARD) {
            Some(pack) => pack,
            None => unreachable!("the standard pack is embedded by build.rs"),
        }
    }

    /// The names of the packs there are.
    pub fn names() -> Vec<&'static str> {
        PACKS.iter().map(|(name, _)| *name).collect()
    }

    /// The pack's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Its services (file names without `.yaml`) and their files' text, in
    /// file order.
    pub fn services(&self) -> impl Iterator<Item = (&'static str, &'static str)> {
        self.files.iter().copied()
    }

    /// The items of one service's file.
    pub fn service_items(&self, service: &str) -> Option<Vec<RuleItem>> {
        self.services()
            .find(|(name, _)| *name == service)
            .map(|(name, text)| read(self.name, name, text))
    }

    /// Every item of the pack, service by service.
    pub fn items(&self) -> Vec<RuleItem> {
        self.services()
            .flat_map(|(service, text)| read(self.name, service, text))
            .collect()
    }

    /// The pack as a rule set.
    pub fn rules(&self) -> RuleSet {
        RuleSet::from_items(self.items())
    }

    /// The service (file) an item of the pack comes from.
    pub fn service_of(&self, rule: &str) -> Option<&'static str> {
        self.services().find_map(|(service, text)| {
            read(self.name, service, text)
                .iter()
                .any(|item| item.id() == Some(rule))
                .then_some(service)
        })
    }
}

/// The items of an embedded file; its tests check that it reads.
fn read(pack: &str, service: &str, text: &str) -> Vec<RuleItem> {
    match RuleSet::items_from_str(text) {
        Ok(items) => items,
        Err(e) => unreachable!("the embedded {pack}/{service}.yaml is not a rules file: {e}"),
    }
}

/// The rules a new rules table is seeded with: the default rules, then the
/// standard pack.
pub fn seed_items() -> Vec<RuleItem> {
    let mut items = RuleSet::default_items();
    items.extend(Pack::standard().items());
    items
}
