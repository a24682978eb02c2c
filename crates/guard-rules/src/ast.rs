//! Guard's parse tree, read back from its serde form.
//!
//! cfn-guard keeps its parse tree types private, but they implement
//! `Serialize` (its `parse-tree` command prints them), so the tree is
//! serialized to a JSON value and read into the mirror types below. The
//! shapes are those of cfn-guard 3.2.1, which the workspace pins; a shape
//! this mirror does not know makes the rules file unusable rather than
//! silently half-read (see `tests/analysis.rs`, which pins them).
//!
//! Only what the analysis needs is read; everything else is ignored.

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;

#[derive(Debug, Deserialize)]
pub(crate) struct RulesFile {
    pub assignments: Vec<LetExpr>,
    pub guard_rules: Vec<Rule>,
    pub parameterized_rules: Vec<ParameterizedRule>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ParameterizedRule {
    pub parameter_names: Vec<String>,
    pub rule: Rule,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Rule {
    pub rule_name: String,
    pub conditions: Option<Conditions>,
    pub block: Block<RuleClause>,
}

/// Conjunctive normal form: every inner list must hold, and one of its
/// members is enough for it to hold.
pub(crate) type Conjunctions<T> = Vec<Vec<T>>;
pub(crate) type Conditions = Conjunctions<WhenClause>;

#[derive(Debug, Deserialize)]
pub(crate) struct Block<T> {
    pub assignments: Vec<LetExpr>,
    pub conjunctions: Conjunctions<T>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct LetExpr {
    pub var: String,
    pub value: LetValue,
}

#[derive(Debug, Deserialize)]
pub(crate) enum LetValue {
    Value(Literal),
    AccessClause(AccessQuery),
    FunctionCall(FunctionExpr),
}

/// A literal as Guard serializes it. Regexes come out as `"/…/"` strings
/// and characters as one-character strings, so a literal string is only
/// taken at face value when it cannot be a regex.
#[derive(Debug, Deserialize)]
pub(crate) struct Literal {
    pub value: Value,
}

#[derive(Debug, Deserialize)]
pub(crate) struct FunctionExpr {
    pub parameters: Vec<LetValue>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AccessQuery {
    pub query: Vec<QueryPart>,
}

#[derive(Debug, Deserialize)]
pub(crate) enum QueryPart {
    This,
    Key(String),
    // The names some parts carry, and indices, do not matter here.
    MapKeyFilter(IgnoredAny, MapKeyFilterClause),
    AllValues(IgnoredAny),
    AllIndices(IgnoredAny),
    Index(IgnoredAny),
    Filter(IgnoredAny, Conjunctions<GuardClause>),
}

#[derive(Debug, Deserialize)]
pub(crate) struct MapKeyFilterClause {
    pub compare_with: LetValue,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AccessClause {
    pub query: AccessQuery,
    /// `("Eq", false)` is `==`, `("Eq", true)` is `!=`, `("In", false)` is `in`, …
    pub comparator: (String, bool),
    pub compare_with: Option<LetValue>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct GuardAccessClause {
    pub access_clause: AccessClause,
    pub negation: bool,
}

#[derive(Debug, Deserialize)]
pub(crate) struct NamedRuleClause {
    pub dependent_rule: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ParameterizedNamedRuleClause {
    pub parameters: Vec<LetValue>,
    pub named_rule: NamedRuleClause,
}

#[derive(Debug, Deserialize)]
pub(crate) struct BlockGuardClause {
    pub query: AccessQuery,
    pub block: Block<GuardClause>,
}

#[derive(Debug, Deserialize)]
pub(crate) enum GuardClause {
    Clause(GuardAccessClause),
    NamedRule(NamedRuleClause),
    ParameterizedNamedRule(ParameterizedNamedRuleClause),
    BlockClause(BlockGuardClause),
    WhenBlock(Conditions, Block<GuardClause>),
}

#[derive(Debug, Deserialize)]
pub(crate) enum WhenClause {
    Clause(GuardAccessClause),
    NamedRule(NamedRuleClause),
    ParameterizedNamedRule(ParameterizedNamedRuleClause),
}

#[derive(Debug, Deserialize)]
pub(crate) struct TypeBlock {
    pub conditions: Option<Conditions>,
    pub block: Block<GuardClause>,
    pub query: Vec<QueryPart>,
}

#[derive(Debug, Deserialize)]
pub(crate) enum RuleClause {
    Clause(GuardClause),
    WhenBlock(Conditions, Block<GuardClause>),
    TypeBlock(TypeBlock),
}
