//! IAM-style policy documents: where each resource type keeps them, how
//! they are read (a mapping, JSON text, JSON text in `Fn::Sub`), and the
//! statements a rule looks for.
//!
//! A statement pattern names what a statement must have for the rule to
//! care about it; every part it names must match:
//!
//! ```yaml
//! effect: Allow                 # Allow or Deny (required)
//! actions: all                  # `*` or `*:*`, or NotAction (all but some)
//!   # or: service-wildcard      # `s3:*`, `iam:*`, ...
//!   # or: [iam:PassRole]        # an Action that covers one of these, or a NotAction that leaves one out
//! resources: all                # Resource `*`, or NotResource
//! principals: public            # Principal `*` or {AWS: "*"}, or NotPrincipal
//! condition: absent             # no Condition
//!   # or: {Bool: {aws:SecureTransport: false}}   # this operator, key and value
//! ```
//!
//! Actions are matched with their wildcards (`iam:Pass*` covers
//! `iam:PassRole`), ignoring case; values written through intrinsics are
//! resolved, and what cannot be resolved makes the match unresolved.

use cfn_template::display::short;
use cfn_template::resolve::{Candidate, Resolver, Shape, Unknown, Value as Resolved, intrinsic};
use cfn_template::{Node, parse_node};
use serde::Deserialize;
use serde_json::Value;

use super::path::{PropertyPath, Segment};
use super::reach::{Found, Leaves, Literal, Reached, SubText, reach};
use super::ruledata::typed;
use super::scalar::{Read, Scalar, read};
use super::truth::{Certainty, Side};
use super::worlds::{NeedsCondition, World};
use crate::evidence::names;

/// What a policy document is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum DocumentKind {
    /// Attached to a role, user or group: what it may do.
    Identity,
    /// Attached to a resource: who may use it.
    Resource,
    /// A role's trust policy: who may assume it.
    Trust,
}

/// Where each resource type keeps its policy documents.
pub(crate) const DOCUMENTS: &[(&str, &str, DocumentKind)] = &[
    ("AWS::IAM::Policy", "PolicyDocument", DocumentKind::Identity),
    (
        "AWS::IAM::ManagedPolicy",
        "PolicyDocument",
        DocumentKind::Identity,
    ),
    (
        "AWS::IAM::RolePolicy",
        "PolicyDocument",
        DocumentKind::Identity,
    ),
    (
        "AWS::IAM::UserPolicy",
        "PolicyDocument",
        DocumentKind::Identity,
    ),
    (
        "AWS::IAM::GroupPolicy",
        "PolicyDocument",
        DocumentKind::Identity,
    ),
    (
        "AWS::IAM::Role",
        "Policies[*].PolicyDocument",
        DocumentKind::Identity,
    ),
    (
        "AWS::IAM::User",
        "Policies[*].PolicyDocument",
        DocumentKind::Identity,
    ),
    (
        "AWS::IAM::Group",
        "Policies[*].PolicyDocument",
        DocumentKind::Identity,
    ),
    (
        "AWS::SSO::PermissionSet",
        "InlinePolicy",
        DocumentKind::Identity,
    ),
    (
        "AWS::IAM::Role",
        "AssumeRolePolicyDocument",
        DocumentKind::Trust,
    ),
    (
        "AWS::S3::BucketPolicy",
        "PolicyDocument",
        DocumentKind::Resource,
    ),
    ("AWS::S3::AccessPoint", "Policy", DocumentKind::Resource),
    (
        "AWS::SQS::QueuePolicy",
        "PolicyDocument",
        DocumentKind::Resource,
    ),
    (
        "AWS::SNS::TopicPolicy",
        "PolicyDocument",
        DocumentKind::Resource,
    ),
    ("AWS::KMS::Key", "KeyPolicy", DocumentKind::Resource),
    (
        "AWS::ECR::Repository",
        "RepositoryPolicyText",
        DocumentKind::Resource,
    ),
    (
        "AWS::SecretsManager::ResourcePolicy",
        "ResourcePolicy",
        DocumentKind::Resource,
    ),
    (
        "AWS::OpenSearchService::Domain",
        "AccessPolicies",
        DocumentKind::Resource,
    ),
    (
        "AWS::Elasticsearch::Domain",
        "AccessPolicies",
        DocumentKind::Resource,
    ),
    (
        "AWS::EFS::FileSystem",
        "FileSystemPolicy",
        DocumentKind::Resource,
    ),
    (
        "AWS::Logs::ResourcePolicy",
        "PolicyDocument",
        DocumentKind::Resource,
    ),
    ("AWS::ApiGateway::RestApi", "Policy", DocumentKind::Resource),
    (
        "AWS::Backup::BackupVault",
        "AccessPolicy",
        DocumentKind::Resource,
    ),
    (
        "AWS::CodeArtifact::Domain",
        "PermissionsPolicyDocument",
        DocumentKind::Resource,
    ),
    (
        "AWS::CodeArtifact::Repository",
        "PermissionsPolicyDocument",
        DocumentKind::Resource,
    ),
];

/// The longest policy document written as text that is read.
const MAX_DOCUMENT_TEXT: usize = 128 * 1024;
/// Longest action or pattern matched.
const MAX_PATTERN: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
enum Effect {
    Allow,
    Deny,
}

impl Effect {
    fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

/// A statement pattern as ruledata writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Written {
    effect: Effect,
    actions: Option<Value>,
    resources: Option<Value>,
    principals: Option<Value>,
    condition: Option<Value>,
}

/// What a statement must have.
#[derive(Debug)]
pub(crate) struct StatementPattern {
    effect: Effect,
    actions: Option<Actions>,
    all_resources: bool,
    public: bool,
    condition: Option<ConditionPattern>,
}

#[derive(Debug)]
enum Actions {
    All,
    ServiceWildcard,
    Named(Vec<String>),
}

#[derive(Debug)]
enum ConditionPattern {
    Absent,
    Has {
        operator: String,
        key: String,
        values: Vec<Scalar>,
    },
}

impl StatementPattern {
    /// A list of patterns (or one); `field` names where, in errors.
    pub fn parse_list(value: Value, field: &str) -> Result<Vec<StatementPattern>, String> {
        let items = match value {
            Value::Array(items) if !items.is_empty() => items,
            Value::Array(_) => return Err(format!("{field} is an empty list")),
            one => vec![one],
        };
        items
            .into_iter()
            .enumerate()
            .map(|(i, item)| StatementPattern::parse(item, &format!("{field}[{i}]")))
            .collect()
    }

    fn parse(value: Value, field: &str) -> Result<StatementPattern, String> {
        let w: Written = typed(value, field)?;
        let actions = match w.actions {
            None => None,
            Some(Value::String(s)) if s == "all" => Some(Actions::All),
            Some(Value::String(s)) if s == "service-wildcard" => Some(Actions::ServiceWildcard),
            Some(Value::Array(names)) if !names.is_empty() => Some(Actions::Named(
                names
                    .iter()
                    .map(|n| match n.as_str() {
                        Some(s) if s.contains(':') && s.len() <= MAX_PATTERN => Ok(s.to_string()),
                        _ => Err(format!(
                            "{field}.actions: {n} is not an action such as iam:PassRole"
                        )),
                    })
                    .collect::<Result<_, _>>()?,
            )),
            Some(other) => {
                return Err(format!(
                    "{field}.actions must be all, service-wildcard or a list of actions, not {other}"
                ));
            }
        };
        let flag = |v: Option<Value>, name: &str, word: &str| match v {
            None => Ok(false),
            Some(Value::String(s)) if s == word => Ok(true),
            Some(other) => Err(format!("{field}.{name} can only be {word}, not {other}")),
        };
        let all_resources = flag(w.resources, "resources", "all")?;
        let public = flag(w.principals, "principals", "public")?;
        let condition = match w.condition {
            None => None,
            Some(Value::String(s)) if s == "absent" => Some(ConditionPattern::Absent),
            Some(Value::Object(operators)) => {
                let mut operators = operators.into_iter();
                let (Some((operator, keys)), None) = (operators.next(), operators.next()) else {
                    return Err(format!(
                        "{field}.condition must name one operator, such as {{Bool: {{aws:SecureTransport: false}}}}"
                    ));
                };
                let Value::Object(keys) = keys else {
                    return Err(format!(
                        "{field}.condition.{operator} must map one key to its value"
                    ));
                };
                let mut keys = keys.into_iter();
                let (Some((key, value)), None) = (keys.next(), keys.next()) else {
                    return Err(format!(
                        "{field}.condition.{operator} must map one key to its value"
                    ));
                };
                let at = format!("{field}.condition.{operator}.{key}");
                let values = match &value {
                    Value::Array(vs) if !vs.is_empty() => vs
                        .iter()
                        .map(|v| Scalar::from_json(v, &at))
                        .collect::<Result<_, _>>()?,
                    v => vec![Scalar::from_json(v, &at)?],
                };
                Some(ConditionPattern::Has {
                    operator,
                    key,
                    values,
                })
            }
            Some(other) => {
                return Err(format!(
                    "{field}.condition must be absent or {{Operator: {{key: value}}}}, not {other}"
                ));
            }
        };
        Ok(StatementPattern {
            effect: w.effect,
            actions,
            all_resources,
            public,
            condition,
        })
    }

    /// The pattern, for a person: "Effect Deny, Principal *, Action s3:*".
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("Effect {}", self.effect.as_str())];
        if self.public {
            parts.push("Principal *".to_string());
        }
        match &self.actions {
            Some(Actions::All) => parts.push("Action *".to_string()),
            Some(Actions::ServiceWildcard) => parts.push("Action service:*".to_string()),
            Some(Actions::Named(names)) => parts.push(format!("Action {}", names.join(" or "))),
            None => {}
        }
        if self.all_resources {
            parts.push("Resource *".to_string());
        }
        match &self.condition {
            Some(ConditionPattern::Absent) => parts.push("no Condition".to_string()),
            Some(ConditionPattern::Has {
                operator,
                key,
                values,
            }) => parts.push(format!(
                "Condition {operator} {key} {}",
                values
                    .iter()
                    .map(Scalar::shown)
                    .collect::<Vec<_>>()
                    .join(" or ")
            )),
            None => {}
        }
        parts.join(", ")
    }

    /// Whether `statement` (at `at`) matches: the parts it matched on as
    /// reasons, or what could not be resolved.
    fn matches<'n>(
        &self,
        leaves: &dyn Leaves<'n>,
        statement: &'n Node<'n>,
        at: &str,
        world: &World,
    ) -> Result<Side, NeedsCondition> {
        let effect = self.effect.as_str();
        let mut parts = vec![field(
            leaves,
            statement,
            &["Effect"],
            at,
            world,
            |text| (text == effect).then(|| format!("Effect {effect}")),
            |shape| shape.may_be(effect),
        )?];
        if let Some(actions) = &self.actions {
            let wanted = |text: &str| match actions {
                Actions::All => (text == "*" || text == "*:*").then(|| format!("Action {text}")),
                Actions::ServiceWildcard => {
                    service_wildcard(text).then(|| format!("Action {}", short(text)))
                }
                Actions::Named(names) => names
                    .iter()
                    .any(|n| glob(text, n))
                    .then(|| format!("Action {}", short(text))),
            };
            let may_be = |shape: &Shape| match actions {
                Actions::All => shape.may_be("*") || shape.may_be("*:*"),
                Actions::ServiceWildcard => shape.may_end_with("*"),
                // An action matches with its wildcards: text that may hold
                // none may still be one of the names.
                Actions::Named(_) => true,
            };
            let listed = field(
                leaves,
                statement,
                &["Action", "*"],
                at,
                world,
                wanted,
                may_be,
            )?;
            let not_action = match actions {
                Actions::Named(names) => left_out(leaves, statement, names, at, world)?,
                _ => present(leaves, statement, "NotAction", at, world)?,
            };
            parts.push(Side::either([listed, not_action]));
        }
        if self.all_resources {
            let listed = field(
                leaves,
                statement,
                &["Resource", "*"],
                at,
                world,
                |text| (text == "*").then(|| "Resource *".to_string()),
                |shape| shape.may_be("*"),
            )?;
            let not_resource = present(leaves, statement, "NotResource", at, world)?;
            parts.push(Side::either([listed, not_resource]));
        }
        if self.public {
            parts.push(Side::either([
                public(leaves, statement, at, world)?,
                present(leaves, statement, "NotPrincipal", at, world)?,
            ]));
        }
        match &self.condition {
            None => {}
            Some(ConditionPattern::Absent) => {
                parts.push(no_condition(leaves, statement, at, world)?)
            }
            Some(ConditionPattern::Has {
                operator,
                key,
                values,
            }) => parts.push(condition(
                leaves,
                statement,
                (operator, key, values),
                at,
                world,
            )?),
        }
        let mut side = Side::all(parts);
        if side.certainty > Certainty::No {
            side.reasons = vec![format!("{at} ({})", side.reasons.join(", "))];
        }
        Ok(side)
    }
}

/// The policy documents a rule reads: `(kind, path)` of each, for a type.
pub(crate) fn documents_of(
    resource_type: &str,
) -> impl Iterator<Item = (DocumentKind, &'static str)> + '_ {
    DOCUMENTS
        .iter()
        .filter(move |(t, _, _)| *t == resource_type)
        .map(|(_, path, kind)| (*kind, *path))
}

/// Whether a statement of the documents at `path` in `properties` matches
/// one of `patterns`, for each document: its place, and the answer.
pub(crate) fn find<'t>(
    resolver: &Resolver<'t>,
    properties: Option<&'t Node<'t>>,
    path: &str,
    patterns: &[StatementPattern],
    world: &World,
) -> Result<Vec<(String, Side)>, NeedsCondition> {
    let path = PropertyPath::parse(path)
        .unwrap_or_else(|e| unreachable!("a document path of the table: {e}"));
    let mut out = Vec::new();
    for document in reach(resolver, properties, &path.segments, "", world)? {
        let side = match &document.found {
            Found::Missing => continue,
            Found::Unknown(unknown) => Side::maybe(
                format!("{} is not known ({})", document.at, names(unknown)),
                unknown,
            ),
            Found::Values { node, candidates } => {
                in_document(resolver, node, candidates, &document, patterns, world)?
            }
        };
        out.push((document.at, side));
    }
    Ok(out)
}

/// One document, however it is written.
fn in_document<'t>(
    resolver: &Resolver<'t>,
    node: &'t Node<'t>,
    candidates: &[Candidate<'t>],
    document: &Reached<'t>,
    patterns: &[StatementPattern],
    world: &World,
) -> Result<Side, NeedsCondition> {
    let at = &document.at;
    if node.is_object() && intrinsic(node).is_none() {
        return statements(resolver, node, at, patterns, world);
    }
    // JSON text in Fn::Sub: each of its strings is a pattern of its own.
    if let Some(("Fn::Sub", args)) = intrinsic(node) {
        let (pattern, vars) = match args.value() {
            Node::String(s) => (Some(s.as_ref()), None),
            Node::Array(items) => (
                items.first().and_then(Node::as_str),
                items.get(1).and_then(Node::as_object),
            ),
            _ => (None, None),
        };
        if let Some(pattern) = pattern {
            return match parse_text(pattern, at) {
                Ok(parsed) => {
                    let leaves = SubText { resolver, vars };
                    statements(&leaves, &parsed, at, patterns, world)
                }
                Err(side) => Ok(side),
            };
        }
    }
    let mut sides = Vec::new();
    for candidate in candidates {
        sides.push(match (&candidate.value, candidate.as_text()) {
            (Resolved::Node(object @ Node::Object(_)), _) => {
                statements(resolver, object, at, patterns, world)?
            }
            (_, Some(text)) if candidate.is_resolved() => match parse_text(&text, at) {
                Ok(parsed) => statements(&Literal, &parsed, at, patterns, world)?,
                Err(side) => side,
            },
            _ => Side::maybe(
                format!("{at} is not resolved ({})", names(&candidate.unknown)),
                &candidate.unknown,
            ),
        });
    }
    Ok(Side::either(sides))
}

/// A document written as JSON text, or why it cannot be read.
fn parse_text<'d>(text: &'d str, at: &str) -> Result<Node<'d>, Side> {
    let unreadable = |why: String| {
        let unknown = [Unknown::new(format!("{at}, {why}"))];
        Side::maybe(format!("{at} cannot be read ({why})"), &unknown)
    };
    if text.len() > MAX_DOCUMENT_TEXT {
        return Err(unreadable(format!(
            "a text of more than {MAX_DOCUMENT_TEXT} bytes"
        )));
    }
    match parse_node(text) {
        Ok(node) if node.is_object() => Ok(node),
        Ok(_) => Err(unreadable(
            "text that is not a JSON policy document".to_string(),
        )),
        Err(e) => Err(unreadable(format!("text that is not JSON: {e}"))),
    }
}

/// Whether one of the statements of `document` matches one of `patterns`.
fn statements<'n>(
    leaves: &dyn Leaves<'n>,
    document: &'n Node<'n>,
    at: &str,
    patterns: &[StatementPattern],
    world: &World,
) -> Result<Side, NeedsCondition> {
    let path = [Segment::Key("Statement".to_string()), Segment::Each];
    let mut sides = Vec::new();
    for reached in reach(leaves, Some(document), &path, at, world)? {
        match &reached.found {
            Found::Missing => {}
            Found::Unknown(unknown) => sides.push(Side::maybe(
                format!("{} is not known ({})", reached.at, names(unknown)),
                unknown,
            )),
            Found::Values { candidates, .. } => {
                for candidate in candidates {
                    match candidate.as_object_node() {
                        Some(statement) => {
                            for pattern in patterns {
                                sides.push(pattern.matches(
                                    leaves,
                                    statement,
                                    &reached.at,
                                    world,
                                )?);
                            }
                        }
                        None if !candidate.is_resolved() => sides.push(Side::maybe(
                            format!(
                                "{} is not resolved ({})",
                                reached.at,
                                names(&candidate.unknown)
                            ),
                            &candidate.unknown,
                        )),
                        // Not a statement: CloudFormation refuses it.
                        None => {}
                    }
                }
            }
        }
    }
    Ok(Side::either(sides))
}

/// Whether a value at `path` of `statement` is one `wanted` names (its
/// reason), each value of each place counted; a value of which only the
/// shape is known may be one when `may_be` says so, and unknown values may
/// be.
fn field<'n>(
    leaves: &dyn Leaves<'n>,
    statement: &'n Node<'n>,
    path: &[&str],
    at: &str,
    world: &World,
    wanted: impl Fn(&str) -> Option<String>,
    may_be: impl Fn(&Shape) -> bool,
) -> Result<Side, NeedsCondition> {
    let segments: Vec<Segment> = path
        .iter()
        .map(|p| match *p {
            "*" => Segment::Each,
            key => Segment::Key(key.to_string()),
        })
        .collect();
    let mut sides = Vec::new();
    for reached in reach(leaves, Some(statement), &segments, at, world)? {
        match &reached.found {
            Found::Missing => {}
            Found::Unknown(unknown) => sides.push(Side::maybe(
                format!("{} is not known ({})", reached.at, names(unknown)),
                unknown,
            )),
            Found::Values { candidates, .. } => {
                for candidate in candidates {
                    sides.push(match read(candidate) {
                        Read::Text(text) if text.len() <= MAX_PATTERN => match wanted(&text) {
                            Some(reason) if candidate.is_resolved() => Side::yes(reason),
                            Some(reason) => Side::maybe(reason, &candidate.unknown),
                            None => Side::no(),
                        },
                        Read::Text(_) | Read::Container(_) => Side::no(),
                        // Of a known shape (a resource's ARN, an account's
                        // root): it may be, unless its shape rules it out.
                        Read::Shape(shape) if !may_be(shape) => Side::no(),
                        Read::Shape(_) | Read::Unknown => Side::maybe(
                            format!(
                                "{} is not resolved ({})",
                                reached.at,
                                names(&candidate.unknown)
                            ),
                            &candidate.unknown,
                        ),
                    });
                }
            }
        }
    }
    Ok(Side::either(sides))
}

/// Whether `key` is written in `statement` (`NotAction`, `NotResource`, ...).
fn present<'n>(
    leaves: &dyn Leaves<'n>,
    statement: &'n Node<'n>,
    key: &str,
    at: &str,
    world: &World,
) -> Result<Side, NeedsCondition> {
    let path = [Segment::Key(key.to_string())];
    let mut sides = Vec::new();
    for reached in reach(leaves, Some(statement), &path, at, world)? {
        sides.push(match &reached.found {
            Found::Missing => Side::no(),
            Found::Unknown(unknown) => Side::maybe(
                format!("{} is not known ({})", reached.at, names(unknown)),
                unknown,
            ),
            Found::Values { .. } => Side::yes(key),
        });
    }
    Ok(Side::either(sides))
}

/// A `NotAction` that leaves out one of `names`: the statement covers it.
fn left_out<'n>(
    leaves: &dyn Leaves<'n>,
    statement: &'n Node<'n>,
    names_wanted: &[String],
    at: &str,
    world: &World,
) -> Result<Side, NeedsCondition> {
    let path = [Segment::Key("NotAction".to_string()), Segment::Each];
    let reached = reach(leaves, Some(statement), &path, at, world)?;
    if reached.iter().all(|r| matches!(r.found, Found::Missing)) {
        return Ok(Side::no());
    }
    let mut patterns = Vec::new();
    let mut unknown = Vec::new();
    for r in &reached {
        match &r.found {
            Found::Missing => {}
            Found::Unknown(u) => unknown.extend(u.iter().cloned()),
            Found::Values { candidates, .. } => {
                for c in candidates {
                    match read(c) {
                        Read::Text(t) if c.is_resolved() => patterns.push(t.into_owned()),
                        _ => unknown.extend(c.unknown.iter().cloned()),
                    }
                }
            }
        }
    }
    for name in names_wanted {
        if !patterns.iter().any(|p| glob(p, name)) {
            let reason = format!("NotAction that leaves {name} allowed");
            return Ok(if unknown.is_empty() {
                Side::yes(reason)
            } else {
                Side::maybe(reason, &unknown)
            });
        }
    }
    Ok(Side::no())
}

/// `Principal: "*"`, `{AWS: "*"}` or `{AWS: [..., "*"]}`.
fn public<'n>(
    leaves: &dyn Leaves<'n>,
    statement: &'n Node<'n>,
    at: &str,
    world: &World,
) -> Result<Side, NeedsCondition> {
    let path = [Segment::Key("Principal".to_string())];
    let mut sides = Vec::new();
    for reached in reach(leaves, Some(statement), &path, at, world)? {
        match &reached.found {
            Found::Missing => {}
            Found::Unknown(unknown) => sides.push(Side::maybe(
                format!("{} is not known ({})", reached.at, names(unknown)),
                unknown,
            )),
            Found::Values { node, candidates } => {
                if node.is_object() && intrinsic(node).is_none() {
                    sides.push(field(
                        leaves,
                        node,
                        &["AWS", "*"],
                        &reached.at,
                        world,
                        |text| (text == "*").then(|| "Principal AWS *".to_string()),
                        |shape| shape.may_be("*"),
                    )?);
                    continue;
                }
                for candidate in candidates {
                    sides.push(match read(candidate) {
                        Read::Text(text) if text == "*" && candidate.is_resolved() => {
                            Side::yes("Principal *")
                        }
                        Read::Text(text) if text == "*" => {
                            Side::maybe("Principal *", &candidate.unknown)
                        }
                        Read::Text(_) | Read::Container(_) => Side::no(),
                        Read::Shape(shape) if !shape.may_be("*") => Side::no(),
                        Read::Shape(_) | Read::Unknown => Side::maybe(
                            format!(
                                "{} is not resolved ({})",
                                reached.at,
                                names(&candidate.unknown)
                            ),
                            &candidate.unknown,
                        ),
                    });
                }
            }
        }
    }
    Ok(Side::either(sides))
}

/// No `Condition`, or an empty one.
fn no_condition<'n>(
    leaves: &dyn Leaves<'n>,
    statement: &'n Node<'n>,
    at: &str,
    world: &World,
) -> Result<Side, NeedsCondition> {
    let path = [Segment::Key("Condition".to_string())];
    let mut sides = Vec::new();
    for reached in reach(leaves, Some(statement), &path, at, world)? {
        sides.push(match &reached.found {
            Found::Missing => Side::yes("no Condition"),
            Found::Unknown(unknown) => Side::maybe(
                format!("{} is not known ({})", reached.at, names(unknown)),
                unknown,
            ),
            Found::Values { node, .. } => match node.as_object() {
                Some(o) if o.is_empty() => Side::yes("an empty Condition"),
                Some(_) if intrinsic(node).is_none() => Side::no(),
                _ => Side::maybe(
                    format!("{} is not resolved", reached.at),
                    &[Unknown::new(format!(
                        "{} written with an intrinsic function",
                        reached.at
                    ))],
                ),
            },
        });
    }
    Ok(Side::all(sides))
}

/// A `Condition` with this operator and key (names compared ignoring case)
/// and one of these values.
fn condition<'n>(
    leaves: &dyn Leaves<'n>,
    statement: &'n Node<'n>,
    (operator, key, values): (&str, &str, &[Scalar]),
    at: &str,
    world: &World,
) -> Result<Side, NeedsCondition> {
    let path = [Segment::Key("Condition".to_string())];
    let mut sides = Vec::new();
    for reached in reach(leaves, Some(statement), &path, at, world)? {
        match &reached.found {
            Found::Missing => {}
            Found::Unknown(unknown) => sides.push(Side::maybe(
                format!("{} is not known ({})", reached.at, names(unknown)),
                unknown,
            )),
            Found::Values { node, .. } => {
                let Some(operators) = node.as_object().filter(|_| intrinsic(node).is_none()) else {
                    let unknown = [Unknown::new(format!(
                        "{} written with an intrinsic function",
                        reached.at
                    ))];
                    sides.push(Side::maybe(
                        format!("{} is not resolved", reached.at),
                        &unknown,
                    ));
                    continue;
                };
                for (op, keys) in operators.iter() {
                    if !op.eq_ignore_ascii_case(operator) {
                        continue;
                    }
                    let Some(keys) = keys.as_object() else {
                        continue;
                    };
                    for (k, value) in keys.iter() {
                        if !k.eq_ignore_ascii_case(key) {
                            continue;
                        }
                        let at = format!("{}.{op}.{k}", reached.at);
                        let shown = format!("Condition {op} {k}");
                        sides.push(field_of(
                            leaves,
                            value,
                            &at,
                            world,
                            |text| {
                                values
                                    .iter()
                                    .any(|v| v.matches(text))
                                    .then(|| format!("{shown} {}", short(text)))
                            },
                            |shape| values.iter().any(|v| v.may_be(shape)),
                        )?);
                    }
                }
            }
        }
    }
    Ok(Side::either(sides))
}

/// [`field`] on a value itself (a scalar, or a list of them).
fn field_of<'n>(
    leaves: &dyn Leaves<'n>,
    value: &'n Node<'n>,
    at: &str,
    world: &World,
    wanted: impl Fn(&str) -> Option<String>,
    may_be: impl Fn(&Shape) -> bool,
) -> Result<Side, NeedsCondition> {
    let mut sides = Vec::new();
    for reached in reach(leaves, Some(value), &[Segment::Each], at, world)? {
        if let Found::Values { candidates, .. } = &reached.found {
            for candidate in candidates {
                sides.push(match read(candidate) {
                    Read::Text(text) => match wanted(&text) {
                        Some(reason) if candidate.is_resolved() => Side::yes(reason),
                        Some(reason) => Side::maybe(reason, &candidate.unknown),
                        None => Side::no(),
                    },
                    Read::Container(_) => Side::no(),
                    Read::Shape(shape) if !may_be(shape) => Side::no(),
                    Read::Shape(_) | Read::Unknown => Side::maybe(
                        format!(
                            "{} is not resolved ({})",
                            reached.at,
                            names(&candidate.unknown)
                        ),
                        &candidate.unknown,
                    ),
                });
            }
        } else if let Found::Unknown(unknown) = &reached.found {
            sides.push(Side::maybe(format!("{} is not known", reached.at), unknown));
        }
    }
    Ok(Side::either(sides))
}

/// `s3:*`, `iam:*`: every action of one service.
fn service_wildcard(action: &str) -> bool {
    match action.split_once(':') {
        Some((service, "*")) => {
            !service.is_empty()
                && service
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-')
        }
        _ => false,
    }
}

/// Whether IAM's wildcard `pattern` (`*` any text, `?` one character)
/// matches `text`, ignoring ASCII case: an action in a statement against
/// an action a rule names (a rule's `s3:*` is covered by `s3:*` and `*`).
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    if pattern.len() > MAX_PATTERN || text.len() > MAX_PATTERN {
        return false;
    }
    let (p, t): (Vec<char>, Vec<char>) = (
        pattern.chars().map(|c| c.to_ascii_lowercase()).collect(),
        text.chars().map(|c| c.to_ascii_lowercase()).collect(),
    );
    // Linear matching with one backtrack point (the last `*`).
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_as_iam_matches_them_ignoring_case() {
        assert!(glob("iam:Pass*", "iam:PassRole"));
        assert!(glob("IAM:passrole", "iam:PassRole"));
        assert!(glob("*", "iam:PassRole"));
        assert!(glob("iam:*", "iam:PassRole"));
        assert!(glob("s3:*", "s3:*"));
        assert!(glob("*", "s3:*"));
        assert!(!glob("s3:Get*", "s3:*"));
        assert!(!glob("iam:Get*", "iam:PassRole"));
        assert!(glob("iam:?assRole", "iam:PassRole"));
        assert!(!glob("*:*", "*"));
        assert!(service_wildcard("s3:*") && service_wildcard("sts-x:*"));
        assert!(!service_wildcard("*") && !service_wildcard("s3:Get*"));
    }
}
