//! What a native rule kind is: one type implementing [`NativeKind`] (it
//! reads an item's `ruledata` into a [`Check`] and describes itself), listed
//! once in [`crate::kinds::KINDS`].
//!
//! Evaluating a check on a template is two steps. [`Check::prepare`] sees
//! the whole template once (through a [`TemplateContext`], which computes
//! what several rules share, such as the ingress analysis, once); the
//! [`PreparedCheck`] it returns is then asked about each form
//! ([`cfn_template::view::Variant`]) of each resource the rule covers, and
//! answers with [`Evidence`]: fires, may fire (naming what is not known),
//! or nothing. The engine does the rest: which resources a rule covers,
//! suppressions, what holds on some forms only, findings and the verdict.

use std::fmt;
use std::sync::Arc;

use cfn_template::view::ResourceView;

use crate::category::Category;
use crate::context::TemplateContext;
use crate::evidence::Evidence;

/// A kind of native rule: what an item's `ruletype` names.
pub trait NativeKind: Sync {
    /// How the kind describes itself, for `cicd rules kinds`, SARIF and the
    /// property tests (which check its example).
    fn describe(&self) -> Description;

    /// Reads an item's `ruledata` into a check, or says what is wrong with
    /// it (the message names `ruledata`).
    fn parse(&self, ruledata: &str) -> Result<Arc<dyn Check>, String>;
}

/// What a kind is for, and an example of it.
#[derive(Debug, Clone)]
pub struct Description {
    /// The `ruletype` that names it.
    pub ruletype: &'static str,
    /// What it looks for, in one line.
    pub summary: &'static str,
    /// What `ruledata` holds.
    pub ruledata: &'static str,
    /// Which `category` an item may name, and so which resources it reads.
    pub categories: Categories,
    /// An item of the kind, with a resource it fires on and one it does not.
    pub example: Example,
}

/// Which `category` an item of a kind may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Categories {
    /// This category only: the kind reads its resource types.
    Only(Category),
    /// A category with resource types of its own (`SecurityGroup`,
    /// `EC2Instance`): the kind reads whatever the category covers.
    AnyKnown,
    /// Free text, for grouping (`S3`, `IAM`, ...): the check says which
    /// resource types it reads ([`Check::reads`]).
    Label,
}

/// An example of a kind: a `category` and `ruledata`, and two resources
/// (JSON text, `{"Type": ..., "Properties": ...}`): one the rule fires on
/// (resolved), one it does not fire on; and the other resources the
/// template needs for that, if any (a kind that relates resources).
#[derive(Debug, Clone, Copy)]
pub struct Example {
    /// The item's `category`.
    pub category: &'static str,
    /// The item's `ruledata`.
    pub ruledata: &'static str,
    /// A resource the rule fires on.
    pub fires: &'static str,
    /// A resource of the same type it does not fire on.
    pub passes: &'static str,
    /// Other resources of the template, as a JSON mapping of logical ids to
    /// resources (empty when there are none). `passes` may refer to them;
    /// the rule does not fire on them.
    pub with: &'static str,
}

/// An item's `ruledata`, read by its kind.
pub trait Check: fmt::Debug + Send + Sync {
    /// The kind this is a check of.
    fn kind(&self) -> &'static dyn NativeKind;

    /// Its `ruledata`, in one line, as an item stores it (and `cicd rules
    /// list` shows it).
    fn ruledata(&self) -> String;

    /// What it looks for, in one line for a person (SARIF's rule
    /// descriptions, the README's table of the policy pack). By default its
    /// ruledata.
    fn summary(&self) -> String {
        self.ruledata()
    }

    /// Whether it reads resources of this type. Only asked for an item
    /// whose category is a label ([`Categories::Label`]); a category such
    /// as `SecurityGroup` says which types it covers itself.
    fn reads(&self, resource_type: &str) -> bool {
        let _ = resource_type;
        false
    }

    /// Looks at the template as a whole, once per evaluation, before any
    /// resource is asked about.
    fn prepare<'v>(&'v self, context: &'v TemplateContext<'v>) -> Box<dyn PreparedCheck<'v> + 'v>;
}

/// A check prepared for one template.
pub trait PreparedCheck<'v> {
    /// Why the check fires, or may fire, on form `variant` of `view`.
    fn evaluate(&mut self, view: &'v ResourceView<'v>, variant: usize) -> Evidence;
}

/// A check that looks at each resource on its own prepares as a closure.
impl<'v, F> PreparedCheck<'v> for F
where
    F: FnMut(&'v ResourceView<'v>, usize) -> Evidence,
{
    fn evaluate(&mut self, view: &'v ResourceView<'v>, variant: usize) -> Evidence {
        self(view, variant)
    }
}
