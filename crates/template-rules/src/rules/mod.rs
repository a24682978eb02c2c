//! Rules, in the item shape the original function kept in DynamoDB:
//! `rule` (id), `category`, `ruletype`, `ruledata`, `riskvalue`, `active`,
//! and optionally `suppressible` (`Y`, the default, or `N`: a template may
//! not suppress the rule's findings), `suppression` (`reason`, the
//! default, or `reason+expiry`: a suppression must also give an `expires`
//! date and an `owner`), `remediation`, `link` and `frameworks` (what its
//! findings show a reader: see [`Guidance`]).
//!
//! `ruletype` names a native kind ([`crate::kinds::KINDS`]: `open-ingress`,
//! `forbidden-ami`, `regex`, each describing its `ruledata`), or `guard`:
//! `ruledata` is then a CloudFormation Guard rules file (its `let`s and one
//! or more named rules), evaluated by AWS's `cfn-guard` on the whole
//! template (see [`crate::guard`]), and `category` is free text for
//! grouping (`Guard` when absent).
//!
//! One file per job: [`RuleItem`] is an item as stored (`item`), read into
//! a [`Rule`] (`rule`) field by field (`fields`, `read`), legacy regexes
//! upgraded on the way (`legacy`); a [`RuleSet`] keeps the rules and the
//! items that could not be read (`set`), from a rules file or the defaults
//! (`file`), and says whether it may be used for a check (`usable`).

mod fields;
mod file;
mod guidance;
mod item;
mod legacy;
mod read;
mod rule;
mod set;
mod usable;

pub use crate::category::{Category, GUARD_CATEGORY};
pub use file::RulesFileError;
pub use guidance::Guidance;
pub use item::RuleItem;
pub use rule::{GUARD, Rule, RuleKind, SuppressionPolicy, guard_summary};
pub use set::{RuleError, RuleSet};
pub use usable::UnusableRules;
