//! Requirements on property values, as `property` and `relation` rules
//! write them: a path, an operator and what a missing value means; or
//! `all`/`any` of requirements.
//!
//! ```yaml
//! - path: VersioningConfiguration.Status
//!   equals: Enabled
//!   missing: fails                  # not written: CloudFormation leaves versioning off
//! - any:
//!     - {path: KmsKeyId, exists: true}
//!     - {path: StorageEncrypted, equals: true, default: false}
//! ```
//!
//! A path with `[*]` reads every item of a list: the requirement holds when
//! it holds for each of them (`includes` asks that one of them be the
//! value); `[Key=text]` reads the items whose `Key` is `text`, and none is
//! a value not written. Every value a property may take counts, each `Fn::If` branch in
//! its world; a value that cannot be known makes the answer unresolved,
//! unless its shape decides it (an account id or a resource's ARN is never
//! `*`: see `cfn_template::resolve::Shape`).
//!
//! `written-in-template: false` is for secrets: whether the value is
//! written in the template (a literal, a parameter's `Default`, a mapping
//! entry) or kept elsewhere (a dynamic reference, a parameter without a
//! `Default`, a resource's attribute). Its reasons never show the value.

use cfn_template::Node;
use cfn_template::display::short;
use cfn_template::resolve::{Candidate, Class, Part, Shape, Unknown, Value as Resolved, Via};
use serde::Deserialize;
use serde_json::Value;

use super::path::PropertyPath;
use super::reach::{Found, Leaves, Reached, reach};
use super::ruledata::typed;
use super::scalar::{Read, Scalar, number, read};
use super::truth::{Side, Truth};
use super::worlds::{NeedsCondition, World};
use crate::evidence::names;

/// Regexes in requirements are compiled within these bounds.
const REGEX_SIZE_LIMIT: usize = 256 * 1024;
/// `all` and `any` nest at most this deep.
const MAX_DEPTH: usize = 8;

/// A requirement as ruledata writes it: unknown keys refused.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Written {
    path: Option<String>,
    all: Option<Vec<Value>>,
    any: Option<Vec<Value>>,
    equals: Option<Value>,
    not_equals: Option<Value>,
    one_of: Option<Vec<Value>>,
    not_one_of: Option<Vec<Value>>,
    at_least: Option<Value>,
    at_most: Option<Value>,
    matches: Option<String>,
    not_matches: Option<String>,
    exists: Option<bool>,
    absent: Option<bool>,
    includes: Option<Value>,
    written_in_template: Option<bool>,
    missing: Option<Missing>,
    default: Option<Value>,
}

/// What a value that is not written means for a requirement.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
enum Missing {
    /// The requirement fails (CloudFormation's default is what it forbids).
    Fails,
    /// The requirement holds (CloudFormation's default is what it asks for).
    Holds,
}

/// A requirement, read.
#[derive(Debug)]
pub(crate) enum Requirement {
    All(Vec<Requirement>),
    Any(Vec<Requirement>),
    Test(Test),
}

/// One operator on the values at a path.
#[derive(Debug)]
pub(crate) struct Test {
    path: PropertyPath,
    op: Op,
    missing: OnMissing,
}

#[derive(Debug)]
enum OnMissing {
    Fails,
    Holds,
    /// Judged as this value, CloudFormation's default.
    Default(Scalar),
}

#[derive(Debug)]
enum Op {
    Equals(Scalar),
    NotEquals(Scalar),
    OneOf(Vec<Scalar>),
    NotOneOf(Vec<Scalar>),
    AtLeast(f64, String),
    AtMost(f64, String),
    Matches(regex::Regex),
    NotMatches(regex::Regex),
    Exists,
    Absent,
    Includes(Scalar),
    /// Whether the value is written in the template (`true`) or comes from
    /// outside it (`false`).
    Written(bool),
}

impl Requirement {
    /// A list of requirements (all must hold) or one, as ruledata writes
    /// it; `field` names where, in errors.
    pub fn parse(value: Value, field: &str) -> Result<Requirement, String> {
        Requirement::read(value, field, 0)
    }

    fn read(value: Value, field: &str, depth: usize) -> Result<Requirement, String> {
        if depth > MAX_DEPTH {
            return Err(format!(
                "{field}: all and any nest more than {MAX_DEPTH} deep"
            ));
        }
        match value {
            Value::Array(items) => {
                if items.is_empty() {
                    return Err(format!("{field} is an empty list"));
                }
                let all = items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| Requirement::read(item, &format!("{field}[{i}]"), depth + 1))
                    .collect::<Result<_, _>>()?;
                Ok(Requirement::All(all))
            }
            Value::Object(_) => {
                let written: Written = typed(value, field)?;
                Requirement::from_written(written, field, depth)
            }
            other => Err(format!(
                "{field} must be a requirement (a mapping) or a list of them, not {other}"
            )),
        }
    }

    fn from_written(w: Written, field: &str, depth: usize) -> Result<Requirement, String> {
        let group = |items: Vec<Value>, name: &str| -> Result<Vec<Requirement>, String> {
            if items.is_empty() {
                return Err(format!("{field}.{name} is an empty list"));
            }
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| {
                    Requirement::read(item, &format!("{field}.{name}[{i}]"), depth + 1)
                })
                .collect()
        };
        let has_test = w.path.is_some()
            || w.equals.is_some()
            || w.not_equals.is_some()
            || w.one_of.is_some()
            || w.not_one_of.is_some()
            || w.at_least.is_some()
            || w.at_most.is_some()
            || w.matches.is_some()
            || w.not_matches.is_some()
            || w.exists.is_some()
            || w.absent.is_some()
            || w.includes.is_some()
            || w.written_in_template.is_some()
            || w.missing.is_some()
            || w.default.is_some();
        match (w.all, w.any) {
            (Some(_), Some(_)) => {
                return Err(format!(
                    "{field} has both all and any: nest one in the other"
                ));
            }
            (Some(_), None) | (None, Some(_)) if has_test => {
                return Err(format!(
                    "{field} mixes all/any with a test: write the test as one of its items"
                ));
            }
            (Some(items), None) => return Ok(Requirement::All(group(items, "all")?)),
            (None, Some(items)) => return Ok(Requirement::Any(group(items, "any")?)),
            (None, None) => {}
        }
        let Some(path) = w.path else {
            return Err(format!("{field} has no path (or all, or any)"));
        };
        let path = PropertyPath::parse(&path).map_err(|e| format!("{field}: {e}"))?;
        let scalar = |v: &Value, name: &str| Scalar::from_json(v, &format!("{field}.{name}"));
        let scalars = |vs: &[Value], name: &str| -> Result<Vec<Scalar>, String> {
            if vs.is_empty() {
                return Err(format!("{field}.{name} is an empty list"));
            }
            vs.iter().map(|v| scalar(v, name)).collect()
        };
        let bound = |v: &Value, name: &str| -> Result<(f64, String), String> {
            match scalar(v, name)? {
                Scalar::Number(n, written) => Ok((n, written)),
                other => Err(format!(
                    "{field}.{name} must be a number, not {}",
                    other.shown()
                )),
            }
        };
        let pattern = |p: &str, name: &str| {
            regex::RegexBuilder::new(p)
                .size_limit(REGEX_SIZE_LIMIT)
                .dfa_size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map_err(|e| {
                    format!(
                        "{field}.{name} is not a valid regex: {}",
                        e.to_string().lines().last().unwrap_or_default()
                    )
                })
        };
        let mut ops = Vec::new();
        if let Some(v) = &w.equals {
            ops.push(Op::Equals(scalar(v, "equals")?));
        }
        if let Some(v) = &w.not_equals {
            ops.push(Op::NotEquals(scalar(v, "not-equals")?));
        }
        if let Some(vs) = &w.one_of {
            ops.push(Op::OneOf(scalars(vs, "one-of")?));
        }
        if let Some(vs) = &w.not_one_of {
            ops.push(Op::NotOneOf(scalars(vs, "not-one-of")?));
        }
        if let Some(v) = &w.at_least {
            let (n, written) = bound(v, "at-least")?;
            ops.push(Op::AtLeast(n, written));
        }
        if let Some(v) = &w.at_most {
            let (n, written) = bound(v, "at-most")?;
            ops.push(Op::AtMost(n, written));
        }
        if let Some(p) = &w.matches {
            ops.push(Op::Matches(pattern(p, "matches")?));
        }
        if let Some(p) = &w.not_matches {
            ops.push(Op::NotMatches(pattern(p, "not-matches")?));
        }
        match w.exists {
            Some(true) => ops.push(Op::Exists),
            Some(false) => return Err(format!("{field}: write absent: true, not exists: false")),
            None => {}
        }
        match w.absent {
            Some(true) => ops.push(Op::Absent),
            Some(false) => return Err(format!("{field}: write exists: true, not absent: false")),
            None => {}
        }
        if let Some(v) = &w.includes {
            ops.push(Op::Includes(scalar(v, "includes")?));
        }
        if let Some(written) = w.written_in_template {
            ops.push(Op::Written(written));
        }
        let op = match ops.len() {
            1 => ops.remove(0),
            0 => {
                return Err(format!(
                    "{field} has no operator (equals, not-equals, one-of, not-one-of, at-least, at-most, matches, not-matches, exists, absent, includes or written-in-template)"
                ));
            }
            _ => {
                return Err(format!(
                    "{field} has more than one operator: write each as its own requirement"
                ));
            }
        };
        let missing = match (&op, w.missing, &w.default) {
            (Op::Exists | Op::Absent, None, None) => OnMissing::Fails,
            (Op::Exists | Op::Absent, _, _) => {
                return Err(format!(
                    "{field}: exists and absent say themselves what a missing value means (no missing or default)"
                ));
            }
            (_, Some(_), Some(_)) => {
                return Err(format!("{field} has both missing and default: give one"));
            }
            (Op::Written(_), None, Some(_)) => {
                return Err(format!(
                    "{field}: a default is CloudFormation's, never written in the template: say missing: holds or missing: fails"
                ));
            }
            (_, Some(Missing::Fails), None) => OnMissing::Fails,
            (_, Some(Missing::Holds), None) => OnMissing::Holds,
            (_, None, Some(v)) => OnMissing::Default(scalar(v, "default")?),
            (_, None, None) => {
                return Err(format!(
                    "{field} (path {path}) must say what a missing value means: missing: fails, missing: holds, or default: CloudFormation's default value"
                ));
            }
        };
        Ok(Requirement::Test(Test { path, op, missing }))
    }

    /// May it hold, may it fail, on `root` (the properties, or any value;
    /// `at` names it in reasons, empty for a resource's properties), in
    /// `world`.
    pub fn truth<'n>(
        &self,
        leaves: &dyn Leaves<'n>,
        root: Option<&'n Node<'n>>,
        at: &str,
        world: &World,
    ) -> Result<Truth, NeedsCondition> {
        Ok(match self {
            Requirement::All(all) => Truth::all(
                all.iter()
                    .map(|r| r.truth(leaves, root, at, world))
                    .collect::<Result<_, _>>()?,
            ),
            Requirement::Any(any) => Truth::any(
                any.iter()
                    .map(|r| r.truth(leaves, root, at, world))
                    .collect::<Result<_, _>>()?,
            ),
            Requirement::Test(test) => {
                let reached = reach(leaves, root, &test.path.segments, at, world)?;
                test.truth(&reached, at)
            }
        })
    }
}

impl Requirement {
    /// The requirement for a person: `VersioningConfiguration.Status is
    /// Enabled`, `(KmsKeyId is set or StorageEncrypted is true (default
    /// false))`.
    pub fn describe(&self) -> String {
        match self {
            Requirement::All(all) => all
                .iter()
                .map(Requirement::describe)
                .collect::<Vec<_>>()
                .join(" and "),
            Requirement::Any(any) => format!(
                "({})",
                any.iter()
                    .map(Requirement::describe)
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
            Requirement::Test(test) => test.describe(),
        }
    }
}

impl Test {
    fn describe(&self) -> String {
        let list = |vs: &[Scalar]| vs.iter().map(Scalar::shown).collect::<Vec<_>>().join(", ");
        let op = match &self.op {
            Op::Equals(v) => format!("is {}", v.shown()),
            Op::NotEquals(v) => format!("is not {}", v.shown()),
            Op::OneOf(vs) => format!("is one of {}", list(vs)),
            Op::NotOneOf(vs) => format!("is none of {}", list(vs)),
            Op::AtLeast(_, n) => format!("is at least {n}"),
            Op::AtMost(_, n) => format!("is at most {n}"),
            Op::Matches(r) => format!("matches {}", r.as_str()),
            Op::NotMatches(r) => format!("does not match {}", r.as_str()),
            Op::Exists => "is set".to_string(),
            Op::Absent => "is not set".to_string(),
            Op::Includes(v) => format!("includes {}", v.shown()),
            Op::Written(true) => "is written in the template".to_string(),
            Op::Written(false) => "is not written in the template".to_string(),
        };
        let missing = match (&self.op, &self.missing) {
            (Op::Exists | Op::Absent, _) | (_, OnMissing::Fails) => String::new(),
            (_, OnMissing::Holds) => " (or is not set)".to_string(),
            (_, OnMissing::Default(v)) => format!(" (default {})", v.shown()),
        };
        format!("{} {op}{missing}", self.path)
    }

    fn truth(&self, reached: &[Reached<'_>], at: &str) -> Truth {
        let positions = reached.iter().map(|r| self.position(r));
        match &self.op {
            Op::Includes(value) => {
                let mut truth = Truth::any(positions.collect());
                let path = super::path::join(at, self.path.as_str());
                truth.fails.reasons = match truth.fails.certainty {
                    super::truth::Certainty::No => Vec::new(),
                    super::truth::Certainty::Maybe => vec![format!(
                        "{path} may not include {} ({})",
                        value.shown(),
                        names(&truth.fails.unknown)
                    )],
                    super::truth::Certainty::Yes => {
                        vec![format!("{path} does not include {}", value.shown())]
                    }
                };
                truth
            }
            _ => Truth::all(positions.collect()),
        }
    }

    /// The truth at one place the path leads to.
    fn position(&self, reached: &Reached<'_>) -> Truth {
        let at = &reached.at;
        match &reached.found {
            Found::Missing => match (&self.op, &self.missing) {
                (Op::Absent, _) => Truth::holds(),
                (_, OnMissing::Holds) => Truth::holds(),
                (_, OnMissing::Fails) => Truth::fails(format!("{at} is not set")),
                (op, OnMissing::Default(value)) => match op.test(&value.shown()) {
                    Some(true) => Truth::holds(),
                    _ => Truth::fails(format!(
                        "{at} is not set (CloudFormation's default: {})",
                        value.shown()
                    )),
                },
            },
            Found::Unknown(unknown) => {
                Truth::unknown(format!("{at} is not known ({})", names(unknown)), unknown)
            }
            Found::Values { candidates, .. } => {
                let each: Vec<Truth> = candidates.iter().map(|c| self.candidate(at, c)).collect();
                // Alternatives of one value: it may hold (fail) if one may.
                let (holds, fails): (Vec<Side>, Vec<Side>) =
                    each.into_iter().map(|t| (t.holds, t.fails)).unzip();
                Truth {
                    holds: Side::either(holds),
                    fails: Side::either(fails),
                }
            }
        }
    }

    /// The truth on one value a property may take.
    fn candidate(&self, at: &str, candidate: &Candidate<'_>) -> Truth {
        let via = candidate
            .via
            .as_ref()
            .map(|v| format!(" ({v})"))
            .unwrap_or_default();
        match &self.op {
            // Written, whatever its value: it is there.
            Op::Exists => return Truth::holds(),
            Op::Written(expected) => return written_truth(at, candidate, *expected, &via),
            Op::Absent => {
                let shown = match read(candidate) {
                    Read::Text(text) => format!(" ({}{via})", short(&text)),
                    _ => String::new(),
                };
                return Truth::fails(format!("{at} is set{shown}"));
            }
            _ => {}
        }
        // Whether the value is certain to be possible: a value only partly
        // known is, when its shape decides the test (and it is not one of a
        // parameter's other allowed values).
        let mut certain = candidate.is_resolved();
        let (outcome, shown, numeric) = match read(candidate) {
            Read::Text(text) => (
                self.op.test(&text),
                shown_text(&text),
                number(&text).is_some(),
            ),
            Read::Container(what) => (Some(self.op.on_container()), what.to_string(), false),
            Read::Shape(shape) => {
                let outcome = self.op.test_shape(shape);
                certain =
                    outcome.is_some() && !matches!(candidate.via, Some(Via::AllowedValueOf(_)));
                (outcome, short(&shape.to_string()).into_owned(), false)
            }
            Read::Unknown => (None, String::new(), false),
        };
        let unknown = &candidate.unknown;
        match (outcome, certain) {
            (Some(true), true) => Truth::holds(),
            (Some(false), true) => {
                Truth::fails(self.op.failure(at, &format!("{shown}{via}"), numeric))
            }
            (Some(true), false) => Truth {
                holds: Side::maybe(format!("{at} may be {shown}"), unknown),
                fails: Side::no(),
            },
            (Some(false), false) => Truth {
                holds: Side::no(),
                fails: Side::maybe(
                    format!(
                        "{} ({})",
                        self.op
                            .failure(at, &format!("{shown}{via}"), numeric)
                            .replacen(" is ", " may be ", 1),
                        names(unknown)
                    ),
                    unknown,
                ),
            },
            (None, _) => Truth::unknown(
                format!("{at} is not resolved ({})", names(unknown)),
                unknown,
            ),
        }
    }
}

/// The text a pattern such as `:policy/AdministratorAccess$` asks a value
/// to end with: a pattern anchored at the end with no other operator
/// (escaped characters stand for themselves).
fn literal_end(pattern: &str) -> Option<String> {
    let body = pattern.strip_suffix('$')?;
    let mut end = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped) if escaped.is_ascii_punctuation() => end.push(escaped),
                _ => return None,
            },
            '.' | '^' | '$' | '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|' => {
                return None;
            }
            c => end.push(c),
        }
    }
    Some(end)
}

/// Text as a reason shows it: short, and `""` when empty.
fn shown_text(text: &str) -> String {
    if text.is_empty() {
        "\"\"".to_string()
    } else {
        short(text).into_owned()
    }
}

impl Op {
    /// Whether a value read as `text` passes; `None` when it cannot be told.
    fn test(&self, text: &str) -> Option<bool> {
        Some(match self {
            Op::Equals(v) => v.matches(text),
            Op::NotEquals(v) => !v.matches(text),
            Op::OneOf(vs) => vs.iter().any(|v| v.matches(text)),
            Op::NotOneOf(vs) => !vs.iter().any(|v| v.matches(text)),
            Op::AtLeast(n, _) => number(text).is_some_and(|x| x >= *n),
            Op::AtMost(n, _) => number(text).is_some_and(|x| x <= *n),
            Op::Matches(r) => r.is_match(text),
            Op::NotMatches(r) => !r.is_match(text),
            Op::Exists => true,
            Op::Absent => false,
            Op::Includes(v) => v.matches(text),
            Op::Written(written) => dynamic_reference(text) != *written,
        })
    }

    /// Whether a text of which only the shape is known passes: `None`
    /// unless the shape decides it.
    fn test_shape(&self, shape: &Shape) -> Option<bool> {
        let equal = |v: &Scalar| (!v.may_be(shape)).then_some(false);
        let any_equal = |vs: &[Scalar]| vs.iter().all(|v| !v.may_be(shape)).then_some(false);
        // An unanchored pattern found in the known end is found in the
        // whole; a pattern that is a literal end (`:policy/Admin$`) is
        // decided by what the text may end with.
        let tail = shape.tail();
        let found = |r: &regex::Regex| {
            if !r.as_str().starts_with('^') && r.is_match(tail) {
                return Some(true);
            }
            match literal_end(r.as_str()) {
                Some(end) if !shape.may_end_with(&end) => Some(false),
                Some(end) if tail.len() >= end.len() => Some(true),
                _ => None,
            }
        };
        match self {
            Op::Equals(v) | Op::Includes(v) => equal(v),
            Op::NotEquals(v) => equal(v).map(|e| !e),
            Op::OneOf(vs) => any_equal(vs),
            Op::NotOneOf(vs) => any_equal(vs).map(|e| !e),
            Op::Matches(r) => found(r),
            Op::NotMatches(r) => found(r).map(|f| !f),
            Op::Exists => Some(true),
            Op::Absent => Some(false),
            Op::AtLeast(..) | Op::AtMost(..) => None,
            Op::Written(written) => written_shape(shape).map(|w| w == *written),
        }
    }

    /// Whether a list or mapping passes where a value is compared.
    fn on_container(&self) -> bool {
        matches!(
            self,
            Op::NotEquals(_) | Op::NotOneOf(_) | Op::NotMatches(_) | Op::Exists | Op::Written(true)
        )
    }

    /// Why a value shown as `shown` at `at` fails (`numeric`: whether it
    /// is a number).
    fn failure(&self, at: &str, shown: &str, numeric: bool) -> String {
        match self {
            Op::Equals(v) | Op::Includes(v) => format!("{at} is {shown}, not {}", v.shown()),
            Op::NotEquals(_) | Op::NotOneOf(_) | Op::NotMatches(_) => format!("{at} is {shown}"),
            Op::OneOf(vs) => format!(
                "{at} is {shown}, not one of {}",
                vs.iter().map(Scalar::shown).collect::<Vec<_>>().join(", ")
            ),
            Op::AtLeast(_, n) if !numeric => {
                format!("{at} is {shown}, not a number (at least {n} expected)")
            }
            Op::AtMost(_, n) if !numeric => {
                format!("{at} is {shown}, not a number (at most {n} expected)")
            }
            Op::AtLeast(_, n) => format!("{at} is {shown}, less than {n}"),
            Op::AtMost(_, n) => format!("{at} is {shown}, more than {n}"),
            Op::Matches(r) => format!(
                "{at} is {shown}, which does not match {}",
                short(r.as_str())
            ),
            Op::Exists => format!("{at} is not set"),
            Op::Absent => format!("{at} is set"),
            // Never the value: it may be a secret.
            Op::Written(true) => format!("{at} is not written in the template"),
            Op::Written(false) => format!("{at} is written in the template"),
        }
    }
}

/// Whether `text` is a dynamic reference (`{{resolve:secretsmanager:...}}`,
/// `{{resolve:ssm-secure:...}}`, `{{resolve:ssm:...}}`): the template holds
/// where the value is kept, not the value.
fn dynamic_reference(text: &str) -> bool {
    let text = text.trim();
    text.starts_with("{{resolve:") && text.ends_with("}}")
}

/// Whether a text of this shape is written in the template: `Some(false)`
/// when it is a dynamic reference, or made only of values from outside the
/// template (a parameter without a `Default`, a pseudo parameter, a
/// resource's id or attribute, another stack's export); `None` when part of
/// it is written and part is not (which part is the secret cannot be told),
/// or part of it was not worked out.
fn written_shape(shape: &Shape) -> Option<bool> {
    let parts = shape.parts();
    let starts =
        matches!(parts.first(), Some(Part::Text(t)) if t.trim_start().starts_with("{{resolve:"));
    let ends = matches!(parts.last(), Some(Part::Text(t)) if t.trim_end().ends_with("}}"));
    if starts && ends {
        return Some(false);
    }
    let from_outside = parts
        .iter()
        .all(|p| matches!(p, Part::Class(c) if *c != Class::Any));
    from_outside.then_some(false)
}

/// [`Op::Written`] on one value a property may take. Its reasons never show
/// the value (it may be a secret): only where it comes from.
fn written_truth(at: &str, candidate: &Candidate<'_>, expected: bool, via: &str) -> Truth {
    let unknown: Vec<Unknown> = candidate
        .unknown
        .iter()
        .map(Unknown::without_values)
        .collect();
    let unknown = &unknown;
    let written = match &candidate.value {
        Resolved::Shaped(shape) => written_shape(shape),
        Resolved::Unknown => None,
        _ => Some(match candidate.as_text() {
            Some(text) => !dynamic_reference(&text),
            // A boolean, a number, a list or a mapping: written out.
            None => true,
        }),
    };
    let Some(written) = written else {
        return Truth::unknown(
            format!(
                "{at} may be written in the template, in whole or in part ({})",
                names(unknown)
            ),
            unknown,
        );
    };
    // A value of a known shape is certain to be possible, unless it is one
    // of a parameter's other allowed values.
    let certain = candidate.is_resolved()
        || (matches!(candidate.value, Resolved::Shaped(_))
            && !matches!(candidate.via, Some(Via::AllowedValueOf(_))));
    let reason = if written {
        format!("{at} is written in the template{via}")
    } else {
        format!("{at} is not written in the template{via}")
    };
    match (written == expected, certain) {
        (true, true) => Truth::holds(),
        (false, true) => Truth::fails(reason),
        (true, false) => Truth {
            holds: Side::maybe(reason, unknown),
            fails: Side::no(),
        },
        (false, false) => Truth {
            holds: Side::no(),
            fails: Side::maybe(
                format!(
                    "{} ({})",
                    reason.replacen(" is ", " may be ", 1),
                    names(unknown)
                ),
                unknown,
            ),
        },
    }
}
