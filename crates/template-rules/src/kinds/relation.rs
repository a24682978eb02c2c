//! `relation`: a resource that must be (or must not be) named by another
//! resource of the template: a bucket by a bucket policy that denies
//! insecure transport, a VPC by a flow log, a secret by a rotation
//! schedule; a user by no policy.
//!
//! ```yaml
//! types: [AWS::S3::Bucket]              # the resources the rule is about
//! name: BucketName                      # optional: the property holding its name
//! must: exist                           # exist (the default) or not-exist
//! referenced-by:
//!   types: [AWS::S3::BucketPolicy]
//!   path: Bucket                        # where they name it (dotted, [*])
//!   where: {path: ..., equals: ...}     # optional: a requirement on them
//!   document: PolicyDocument            # optional, with has-statement:
//!   has-statement: {effect: Deny, ...}  #   their document has such a statement
//! ```
//!
//! A resource is named by `Ref`, `Fn::GetAtt`, `${Id}` or `${Id.Attr}` in
//! `Fn::Sub`, or by its name written out (or reached through a parameter)
//! when `name` says where it is. A reference that cannot be resolved — a
//! parameter without a `Default`, `Fn::ImportValue` — may name a resource
//! whose name is written, and makes the finding unresolved rather than
//! satisfied or violated. A resource with a `Condition` exists in the
//! branches where it holds.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use cfn_template::Node;
use cfn_template::display::short;
use cfn_template::resolve::{Resolver, intrinsic};
use cfn_template::view::ResourceView;
use serde::Deserialize;
use serde_json::Value;

use crate::context::TemplateContext;
use crate::evidence::{Evidence, names};
use crate::kind::{Categories, Check, Description, Example, NativeKind, PreparedCheck};
use crate::structured::path::PropertyPath;
use crate::structured::reach::{Found, reach};
use crate::structured::requirement::Requirement;
use crate::structured::ruledata::{document, one_line, resource_types, typed};
use crate::structured::scalar::{Read, read};
use crate::structured::statements::{StatementPattern, find};
use crate::structured::truth::{Certainty, Side};
use crate::structured::worlds::{NeedsCondition, World, in_worlds};

/// The `ruletype` of the kind.
pub const RELATION: &str = "relation";

/// Nodes looked at for the names one value mentions.
const MAX_SCANNED: usize = 10_000;

/// The kind: see the module documentation.
pub struct Relation;

impl NativeKind for Relation {
    fn describe(&self) -> Description {
        Description {
            ruletype: RELATION,
            summary: "a resource that must be (or must not be) named by another resource of the template",
            ruledata: "YAML or JSON: `types` (the resources the rule is about), `referenced-by` with `types` and `path` (where those resources name them: Ref, Fn::GetAtt, ${Id} in Fn::Sub, or the name written out), and optionally `where` (a requirement on them, as in the property kind) and `document` with `has-statement` (their policy document has such a statement, as in the policy kind); \
optionally `must: not-exist` (the default is exist) and `name` (the property that holds the resource's name, so that a name written out counts). A reference that cannot be resolved makes the finding unresolved.",
            categories: Categories::Label,
            example: Example {
                category: "VPC",
                ruledata: "{types: [AWS::EC2::VPC], referenced-by: {types: [AWS::EC2::FlowLog], path: ResourceId}}",
                fires: r#"{"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}}"#,
                passes: r#"{"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.1.0.0/16"}}"#,
                with: r#"{"PassesFlowLog": {"Type": "AWS::EC2::FlowLog", "Properties": {"ResourceId": {"Ref": "Passes"},
                    "ResourceType": "VPC", "TrafficType": "ALL", "LogDestinationType": "s3", "LogDestination": "arn:aws:s3:::logs"}}}"#,
            },
        }
    }

    fn parse(&self, ruledata: &str) -> Result<Arc<dyn Check>, String> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields, rename_all = "kebab-case")]
        struct Written {
            types: Vec<String>,
            name: Option<String>,
            must: Option<Must>,
            referenced_by: By,
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields, rename_all = "kebab-case")]
        struct By {
            types: Vec<String>,
            path: String,
            #[serde(rename = "where")]
            requirement: Option<Value>,
            document: Option<String>,
            has_statement: Option<Value>,
        }
        let value = document(ruledata)?;
        let text = one_line(&value);
        let written: Written = typed(value, "ruledata")?;
        resource_types(&written.types, "ruledata types")?;
        let by = written.referenced_by;
        resource_types(&by.types, "ruledata referenced-by.types")?;
        let path = PropertyPath::parse(&by.path).map_err(|e| format!("referenced-by: {e}"))?;
        let name = written
            .name
            .map(|n| PropertyPath::parse(&n).map_err(|e| format!("name: {e}")))
            .transpose()?;
        let requirement = by
            .requirement
            .map(|w| Requirement::parse(w, "referenced-by.where"))
            .transpose()?;
        let statement = match (by.document, by.has_statement) {
            (None, None) => None,
            (Some(document), Some(patterns)) => {
                PropertyPath::parse(&document)
                    .map_err(|e| format!("referenced-by.document: {e}"))?;
                Some((
                    document,
                    StatementPattern::parse_list(patterns, "referenced-by.has-statement")?,
                ))
            }
            _ => {
                return Err(
                    "referenced-by: document and has-statement go together (the document's path, and the statement it must have)"
                        .to_string(),
                );
            }
        };
        Ok(Arc::new(RelationCheck {
            types: written.types,
            name,
            must: written.must.unwrap_or(Must::Exist),
            by_types: by.types,
            path,
            requirement,
            statement,
            text,
        }))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Must {
    Exist,
    NotExist,
}

#[derive(Debug)]
struct RelationCheck {
    types: Vec<String>,
    name: Option<PropertyPath>,
    must: Must,
    by_types: Vec<String>,
    path: PropertyPath,
    requirement: Option<Requirement>,
    statement: Option<(String, Vec<StatementPattern>)>,
    text: String,
}

/// What the resources of `referenced-by.types` may name, across all their
/// forms, so that each resource the rule is about is compared with those
/// that may name it, not with all of them.
struct Index<'v> {
    views: Vec<&'v ResourceView<'v>>,
    /// By logical id they name (`Ref`, `Fn::GetAtt`, `${Id}`).
    by_id: HashMap<String, Vec<usize>>,
    /// By text they write (a name, and an ARN's last part).
    by_text: HashMap<String, Vec<usize>>,
    /// Those with a value that cannot be known (a parameter, an import):
    /// they may name any resource whose name is written.
    open: Vec<usize>,
    /// Those that write some text: they may name a resource whose name
    /// cannot be known.
    with_text: Vec<usize>,
}

/// What one value may name.
#[derive(Default)]
struct Mentions {
    ids: HashSet<String>,
    texts: HashSet<String>,
    open: bool,
}

/// The name a resource is known by, in one world.
struct Name {
    texts: Vec<String>,
    /// It has a name that cannot be resolved.
    unknown: bool,
}

impl Name {
    fn may_be_written(&self) -> bool {
        self.unknown || !self.texts.is_empty()
    }
}

impl RelationCheck {
    fn by(&self) -> String {
        self.by_types.join(" or ")
    }

    /// The name `properties` give the resource, in `world`.
    fn name<'t>(
        &self,
        context: &TemplateContext<'t>,
        properties: Option<&'t Node<'t>>,
        world: &World,
    ) -> Result<Name, NeedsCondition> {
        let mut name = Name {
            texts: Vec::new(),
            unknown: false,
        };
        let Some(path) = &self.name else {
            return Ok(name);
        };
        for reached in reach(context.resolver(), properties, &path.segments, "", world)? {
            match &reached.found {
                Found::Missing => {}
                Found::Unknown(_) => name.unknown = true,
                Found::Values { candidates, .. } => {
                    for c in candidates {
                        match read(c) {
                            Read::Text(t) if c.is_resolved() => name.texts.push(t.into_owned()),
                            _ => name.unknown = true,
                        }
                    }
                }
            }
        }
        Ok(name)
    }

    /// Whether `other` (one form, in `world`) names the resource `id`, and
    /// meets the rule's requirements on it: its reasons say which and why.
    fn names_it<'t>(
        &self,
        context: &TemplateContext<'t>,
        other: &'t ResourceView<'t>,
        id: &str,
        name: &Name,
        world: &World,
    ) -> Result<Option<(Side, Side)>, NeedsCondition> {
        let resource = other.resource;
        // A resource with a Condition exists where it holds.
        if let Some(condition) = resource.body.get("Condition").and_then(Node::as_str)
            && !world.holds(condition)?
        {
            return Ok(None);
        }
        let who = format!("{} {}", resource.resource_type, short(&resource.logical_id));
        let mut best: Option<(Side, Side)> = None;
        for form in &other.variants {
            let mut compatible = true;
            for branch in &form.when {
                if world.holds(&branch.condition)? != branch.holds {
                    compatible = false;
                }
            }
            if !compatible {
                continue;
            }
            let properties = form.properties();
            let mut references = Vec::new();
            for reached in reach(
                context.resolver(),
                properties,
                &self.path.segments,
                "",
                world,
            )? {
                let at = &reached.at;
                references.push(match &reached.found {
                    Found::Missing => Side::no(),
                    Found::Unknown(unknown) if name.may_be_written() => Side::maybe(
                        format!("{who} may name it in {at} ({})", names(unknown)),
                        unknown,
                    ),
                    Found::Unknown(_) => Side::no(),
                    Found::Values { node, candidates } => {
                        let mentioned = mentioned_ids(node, context.resolver());
                        if mentioned.contains(id) {
                            Side::yes(format!("{who} names it in {at}"))
                        } else if !mentioned.is_empty() {
                            // Made of another resource's id or attribute.
                            Side::no()
                        } else {
                            let mut sides = Vec::new();
                            for c in candidates {
                                sides.push(match read(c) {
                                    Read::Text(t) if c.is_resolved() => {
                                        if name.texts.iter().any(|n| same_name(&t, n)) {
                                            Side::yes(format!("{who} names it in {at}"))
                                        } else if name.unknown {
                                            Side::maybe(
                                                format!("{who} may name it in {at}"),
                                                &[cfn_template::Unknown::new(
                                                    "the name of the resource",
                                                )],
                                            )
                                        } else {
                                            Side::no()
                                        }
                                    }
                                    _ if name.may_be_written() => Side::maybe(
                                        format!(
                                            "{who} may name it in {at} ({})",
                                            names(&c.unknown)
                                        ),
                                        &c.unknown,
                                    ),
                                    _ => Side::no(),
                                });
                            }
                            Side::either(sides)
                        }
                    }
                });
            }
            let reference = Side::either(references);
            if reference.certainty == Certainty::No {
                continue;
            }
            // What else it must be, each with why it is not.
            let mut meets = vec![Side::all([])];
            if let Some(requirement) = &self.requirement {
                let truth = requirement.truth(context.resolver(), properties, "", world)?;
                meets.push(if truth.holds.certainty == Certainty::Yes {
                    truth.holds
                } else {
                    Side {
                        certainty: truth.holds.certainty,
                        reasons: truth.fails.reasons,
                        unknown: truth.holds.unknown,
                    }
                });
            }
            if let Some((document, patterns)) = &self.statement {
                let found = find(context.resolver(), properties, document, patterns, world)?;
                let described = patterns
                    .iter()
                    .map(|p| format!("({})", p.describe()))
                    .collect::<Vec<_>>()
                    .join(" or ");
                meets.push(if found.is_empty() {
                    Side {
                        reasons: vec![format!("it has no {document}")],
                        ..Side::no()
                    }
                } else {
                    least(found.into_iter().map(|(at, side)| match side.certainty {
                        Certainty::Yes => side,
                        Certainty::Maybe => Side {
                            reasons: vec![format!("{at} may have no statement with {described}")],
                            ..side
                        },
                        Certainty::No => Side {
                            reasons: vec![format!("{at} has no statement with {described}")],
                            ..side
                        },
                    }))
                });
            }
            let met = least(meets);
            let better = best.as_ref().is_none_or(|(r, m)| {
                (reference.certainty.min(met.certainty), reference.certainty)
                    > (r.certainty.min(m.certainty), r.certainty)
            });
            if better {
                best = Some((reference, met));
            }
        }
        Ok(best)
    }
}

/// Whether every one of `sides` holds, as sure as the least sure, with
/// the reasons of those that are not sure (why the whole is not).
fn least(sides: impl IntoIterator<Item = Side>) -> Side {
    let sides: Vec<Side> = sides.into_iter().collect();
    let certainty = sides
        .iter()
        .map(|s| s.certainty)
        .min()
        .unwrap_or(Certainty::Yes);
    let mut out = Side {
        certainty,
        ..Side::default()
    };
    for side in sides {
        cfn_template::resolve::add_unknowns(&mut out.unknown, &side.unknown);
        if side.certainty == certainty && certainty < Certainty::Yes {
            out.reasons.extend(side.reasons);
        }
    }
    out
}

/// The names `node` uses as resources' logical ids: in `Ref`,
/// `Fn::GetAtt`, or `${Id}` / `${Id.Attr}` in `Fn::Sub`, anywhere in it.
fn mentioned_ids(node: &Node<'_>, resolver: &Resolver<'_>) -> HashSet<String> {
    let mut mentions = Mentions::default();
    scan(node, resolver, &mut mentions, &mut 0);
    mentions.ids
}

/// What `node` may name: the resources it refers to, the text it writes,
/// and whether it holds values that cannot be known (which may be any
/// name).
fn scan(node: &Node<'_>, resolver: &Resolver<'_>, out: &mut Mentions, scanned: &mut usize) {
    *scanned += 1;
    if *scanned > MAX_SCANNED {
        out.open = true;
        return;
    }
    match intrinsic(node) {
        Some(("Ref", name)) => match name.as_str() {
            Some(name) if resolver.is_resource(name) => {
                out.ids.insert(name.to_string());
            }
            // A parameter (or a pseudo parameter) may hold a name.
            _ => out.open = true,
        },
        Some(("Fn::GetAtt", args)) => {
            let resource = match args.value() {
                Node::String(s) => s.split('.').next().map(str::to_string),
                Node::Array(items) => items.first().and_then(Node::as_str).map(str::to_string),
                _ => None,
            };
            match resource {
                Some(r) => {
                    out.ids.insert(r);
                }
                None => out.open = true,
            }
        }
        Some(("Fn::Sub", args)) => {
            let (pattern, vars) = match args.value() {
                Node::String(s) => (Some(s.as_ref()), None),
                Node::Array(items) => (items.first().and_then(Node::as_str), items.get(1)),
                _ => (None, None),
            };
            let Some(pattern) = pattern else {
                out.open = true;
                return;
            };
            let mut rest = pattern;
            let mut literal = true;
            while let Some(start) = rest.find("${") {
                let after = &rest[start + 2..];
                let Some(end) = after.find('}') else { break };
                let name = after[..end].trim();
                if !name.starts_with('!') {
                    let resource = name.split('.').next().unwrap_or(name);
                    if resolver.is_resource(resource) {
                        out.ids.insert(resource.to_string());
                    } else {
                        // A variable or a parameter: the text may be a name.
                        out.open = true;
                    }
                    literal = false;
                }
                rest = &after[end + 1..];
            }
            if literal {
                text(pattern, out);
            }
            if let Some(vars) = vars {
                scan(vars, resolver, out, scanned);
            }
        }
        Some((_, args)) => {
            out.open = true;
            scan(args, resolver, out, scanned);
        }
        None => match node.value() {
            Node::Array(items) => {
                for item in items {
                    scan(item, resolver, out, scanned);
                }
            }
            Node::Object(object) => {
                for (_, value) in object.iter() {
                    scan(value, resolver, out, scanned);
                }
            }
            Node::String(s) => text(s, out),
            Node::Number(n) => text(&n.to_string(), out),
            _ => {}
        },
    }
}

/// A text written out, and the last part of an ARN it may be.
fn text(text: &str, out: &mut Mentions) {
    out.texts.insert(text.to_string());
    if let Some(at) = text.rfind([':', '/']) {
        out.texts.insert(text[at + 1..].to_string());
    }
}

/// Whether text names the resource called `name`: the name itself, or an
/// ARN ending in it.
fn same_name(text: &str, name: &str) -> bool {
    text == name
        || text
            .strip_suffix(name)
            .is_some_and(|head| head.ends_with(':') || head.ends_with('/'))
}

impl Check for RelationCheck {
    fn kind(&self) -> &'static dyn NativeKind {
        &Relation
    }

    fn ruledata(&self) -> String {
        self.text.clone()
    }

    fn summary(&self) -> String {
        let named = match self.must {
            Must::Exist => "named by",
            Must::NotExist => "not named by",
        };
        let mut what = format!(
            "{} {named} {} in {}",
            self.types.join(", "),
            self.by(),
            self.path
        );
        if let Some(requirement) = &self.requirement {
            what.push_str(&format!(" where {}", requirement.describe()));
        }
        if let Some((document, patterns)) = &self.statement {
            let described = patterns
                .iter()
                .map(|p| format!("({})", p.describe()))
                .collect::<Vec<_>>()
                .join(" or ");
            what.push_str(&format!(
                " whose {document} has a statement with {described}"
            ));
        }
        what
    }

    fn reads(&self, resource_type: &str) -> bool {
        self.types.iter().any(|t| t == resource_type)
    }

    fn prepare<'v>(&'v self, context: &'v TemplateContext<'v>) -> Box<dyn PreparedCheck<'v> + 'v> {
        let index = self.index(context);
        Box::new(move |view: &'v ResourceView<'v>, variant: usize| {
            let form = &view.variants[variant];
            let id = view.resource.logical_id.as_str();
            in_worlds(&form.when, |world| {
                let name = self.name(context, form.properties(), world)?;
                let mut found: Vec<(Side, Side)> = Vec::new();
                for other in index.may_name(id, &name) {
                    if let Some(pair) =
                        self.names_it(context, index.views[other], id, &name, world)?
                    {
                        found.push(pair);
                    }
                }
                Ok(self.judge(found))
            })
        })
    }
}

impl RelationCheck {
    /// What each resource of `referenced-by.types` may name.
    fn index<'v>(&self, context: &'v TemplateContext<'v>) -> Index<'v> {
        let first = match self.path.segments.first() {
            Some(crate::structured::path::Segment::Key(key)) => Some(key.as_str()),
            _ => None,
        };
        let mut index = Index {
            views: Vec::new(),
            by_id: HashMap::new(),
            by_text: HashMap::new(),
            open: Vec::new(),
            with_text: Vec::new(),
        };
        let others = context
            .views()
            .iter()
            .filter(|v| self.by_types.iter().any(|t| t == v.resource_type()));
        for (i, view) in others.enumerate() {
            let mut mentions = Mentions::default();
            let mut scanned = 0;
            for form in &view.variants {
                let at = form.properties().zip(first).and_then(|(p, key)| p.get(key));
                if let Some(node) = at {
                    scan(node, context.resolver(), &mut mentions, &mut scanned);
                }
            }
            index.views.push(view);
            for id in mentions.ids {
                index.by_id.entry(id).or_default().push(i);
            }
            if !mentions.texts.is_empty() {
                index.with_text.push(i);
            }
            for text in mentions.texts {
                index.by_text.entry(text).or_default().push(i);
            }
            if mentions.open {
                index.open.push(i);
            }
        }
        index
    }
}

impl Index<'_> {
    /// The resources that may name the resource `id` called `name`, in
    /// the template's order.
    fn may_name(&self, id: &str, name: &Name) -> BTreeSet<usize> {
        let mut out: BTreeSet<usize> = BTreeSet::new();
        out.extend(self.by_id.get(id).into_iter().flatten());
        for text in &name.texts {
            out.extend(self.by_text.get(text).into_iter().flatten());
        }
        if name.may_be_written() {
            out.extend(&self.open);
        }
        if name.unknown {
            out.extend(&self.with_text);
        }
        out
    }
}

impl RelationCheck {
    /// The evidence, from each resource that names (or may name) this one:
    /// whether it does, and whether it meets what the rule asks of it.
    fn judge(&self, found: Vec<(Side, Side)>) -> Evidence {
        let mut evidence = Evidence::default();
        match self.must {
            Must::Exist => {
                let both = |(r, m): &(Side, Side)| r.certainty.min(m.certainty);
                if found.iter().any(|f| both(f) == Certainty::Yes) {
                    return evidence;
                }
                let maybe: Vec<&(Side, Side)> = found
                    .iter()
                    .filter(|f| both(f) == Certainty::Maybe)
                    .collect();
                if !maybe.is_empty() {
                    for (reference, met) in maybe {
                        let mut unknown = reference.unknown.clone();
                        cfn_template::resolve::add_unknowns(&mut unknown, &met.unknown);
                        let mut reason = reference.reasons.join("; ");
                        if met.certainty < Certainty::Yes && !met.reasons.is_empty() {
                            reason = format!("{reason}, but {}", met.reasons.join("; "));
                        }
                        evidence.may_fire(reason, &unknown);
                    }
                    return evidence;
                }
                let named: Vec<&(Side, Side)> = found
                    .iter()
                    .filter(|(r, _)| r.certainty == Certainty::Yes)
                    .collect();
                if named.is_empty() {
                    evidence.fires(format!("no {} names it in {}", self.by(), self.path));
                }
                for (reference, met) in named {
                    evidence.fires(format!(
                        "{}, but {}",
                        reference.reasons.join("; "),
                        met.reasons.join("; ")
                    ));
                }
            }
            Must::NotExist => {
                for (reference, met) in found {
                    let reason = reference.reasons.join("; ");
                    match reference.certainty.min(met.certainty) {
                        Certainty::Yes => evidence.fires(reason),
                        Certainty::Maybe => {
                            let mut unknown = reference.unknown.clone();
                            cfn_template::resolve::add_unknowns(&mut unknown, &met.unknown);
                            evidence.may_fire(reason, &unknown);
                        }
                        Certainty::No => {}
                    }
                }
            }
        }
        evidence
    }
}
