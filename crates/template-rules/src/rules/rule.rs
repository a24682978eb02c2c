//! A rule, read from its item: what it looks for and what a finding costs.

use std::sync::Arc;

use cfn_template::Template;
use guard_rules::GuardRules;

use crate::category::Category;
use crate::kind::Check;

use super::guidance::Guidance;

/// The `ruletype` of a guard item.
pub const GUARD: &str = "guard";

/// What a rule looks for.
#[derive(Debug, Clone)]
pub enum RuleKind {
    /// A native kind's check (see [`crate::kinds::KINDS`]).
    Native(Arc<dyn Check>),
    /// A Guard rules file, parsed and checked (shared: evaluation may run
    /// on another thread).
    Guard(Arc<GuardRules>),
}

impl RuleKind {
    /// The `ruletype` that names it.
    pub fn type_name(&self) -> &'static str {
        match self {
            RuleKind::Native(check) => check.kind().describe().ruletype,
            RuleKind::Guard(_) => GUARD,
        }
    }

    /// What `ruledata` holds, in one line: for a guard item, its named
    /// rules (the first is its default id), not its text.
    pub fn summary(&self) -> String {
        match self {
            RuleKind::Native(check) => check.summary(),
            RuleKind::Guard(rules) => guard_summary(rules),
        }
    }
}

/// `S3_BUCKET_ENCRYPTED`, or `S3_BUCKET_ENCRYPTED (+2 more: A, B)`.
pub fn guard_summary(rules: &GuardRules) -> String {
    match rules.rule_names() {
        [] => "no rule".to_string(),
        [one] => one.clone(),
        [first, rest @ ..] => format!(
            "{first} (+{} more: {})",
            rest.len(),
            cfn_template::display::shorten(&rest.join(", "), 120)
        ),
    }
}

/// A rule that can be applied.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Its id, unique in its rule set.
    pub id: String,
    /// Which resources it applies to (or, for a label, a group it belongs to).
    pub category: Category,
    /// What it looks for.
    pub kind: RuleKind,
    /// What each finding adds to the template's risk.
    pub risk: u64,
    /// Whether it is applied.
    pub active: bool,
    /// Whether a template may suppress the rule's findings.
    pub suppressible: bool,
    /// What a suppression of the rule's findings must give.
    pub suppression: SuppressionPolicy,
    /// How to fix what it finds, where to read more, the controls it serves.
    pub guidance: Guidance,
}

/// What a suppression must give (an item's `suppression`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SuppressionPolicy {
    /// `reason` (the default): a reason a person can read.
    #[default]
    Reason,
    /// `reason+expiry`: a reason, an `expires` date and an `owner`.
    ReasonAndExpiry,
}

impl SuppressionPolicy {
    /// `reason` or `reason+expiry`, as an item writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionPolicy::Reason => "reason",
            SuppressionPolicy::ReasonAndExpiry => "reason+expiry",
        }
    }
}

impl Rule {
    /// Whether a native rule looks at resources of this type: the types of
    /// its category, or for a label, those its check reads. A guard item
    /// looks at the template as a whole (Guard selects resources itself).
    pub fn covers(&self, resource_type: &str) -> bool {
        match (&self.kind, &self.category) {
            (RuleKind::Guard(_), _) => false,
            (RuleKind::Native(check), Category::Label(_)) => check.reads(resource_type),
            (RuleKind::Native(_), category) => category.covers(resource_type),
        }
    }

    /// Whether the rule has anything to look at in `template`: a native
    /// rule, a resource it covers; a guard item, a resource of a type its
    /// rules read, or anything when they may read any part of it. (Told
    /// without running Guard, so a guard item may still have a finding on a
    /// template it does not apply to: "the template must have a trail".)
    pub fn applies_to(&self, template: &Template) -> bool {
        match &self.kind {
            RuleKind::Guard(rules) => match rules.types_read() {
                None => true,
                Some(types) => template
                    .resources
                    .iter()
                    .any(|r| types.contains(&r.resource_type)),
            },
            RuleKind::Native(_) => template
                .resources
                .iter()
                .any(|r| self.covers(&r.resource_type)),
        }
    }
}
