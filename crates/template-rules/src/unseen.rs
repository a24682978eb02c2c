//! What CloudFormation will add to a template that the template does not
//! show (`cfn_template::unseen`: macros, `Fn::Transform`, nested stacks,
//! modules): no rule can look at it, so each is an unresolved finding on
//! the template as a whole, under the built-in pseudo-rule [`UNSEEN`].
//! Under the default policy (`flag`) such a template is at least flagged;
//! under `fail` each counts [`UNSEEN_RISK`]. Like any template-level
//! finding, the template's own `Metadata.cicd.suppress` may suppress it,
//! with a reason.

use cfn_template::Template;
use cfn_template::unseen::unseen;

use crate::guard::{TEMPLATE, TEMPLATE_TYPE};
use crate::report::Finding;

/// The rule id of a finding on what the template does not show. It is no
/// rule of any rule set: the engine always applies it.
pub const UNSEEN: &str = "(unseen)";

/// What an [`UNSEEN`] finding is about, in one line (for SARIF's rule
/// descriptors and `cicd rules`).
pub const UNSEEN_SUMMARY: &str = "what CloudFormation will add that the template does not show (a macro, Fn::Transform, a nested stack or a module): no rule can look at it";

/// The risk of an [`UNSEEN`] finding: what the template does not show may
/// hold anything, so it weighs as much as the default rules' gravest.
pub const UNSEEN_RISK: u64 = 100;

/// An unresolved finding for each thing `template` does not show.
pub(crate) fn findings(template: &Template) -> Vec<Finding> {
    unseen(template)
        .into_iter()
        .map(|unseen| Finding {
            rule: UNSEEN.to_string(),
            resource: TEMPLATE.to_string(),
            line: unseen.line,
            risk: UNSEEN_RISK,
            unresolved: vec![unseen.what.clone()],
            reason: unseen.what,
            suppressed: false,
            suppression_reason: None,
            resource_type: TEMPLATE_TYPE.to_string(),
            fingerprint: String::new(),
            guard_rule: None,
            suppression_expired: None,
            baseline: None,
        })
        .collect()
}
