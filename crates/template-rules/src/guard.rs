//! Guard items (`ruletype: guard`): what Guard is shown of a template, and
//! what it finds, as findings.
//!
//! Guard sees the template as this crate's parser read it: YAML short forms
//! in their long form, anchors written out, `Fn::ForEach` loops expanded
//! (so rules see every resource CloudFormation would create), every parse
//! cap and the duplicate-key refusal already applied. A resource whose
//! containers are written as `Fn::If` is shown in each form it may take
//! (see `cfn_template::view`), each a copy of the resource of its own: the
//! first under its logical id, the others under `Id#2`, `Id#3`, ...; a
//! failure is mapped back to the resource, naming the branches when it
//! holds on some forms only. It is handed as JSON (by `guard_rules`),
//! within [`MAX_GUARD_JSON_BYTES`].
//!
//! Nothing Guard could not check turns into a pass:
//! - a failure for a resource is a finding on it, at its line; one tied to
//!   no resource is a template-level finding ([`TEMPLATE`]);
//! - a rule Guard could not decide (it compared values that cannot be
//!   compared), an item Guard could not be taken to its end on this
//!   template (more memory or time than it was given, a crash of cfn-guard
//!   on what it was handed: `GuardError::is_not_checked`), a template too
//!   large or too deep to hand to Guard, and a resource whose `Fn::If`
//!   choices were too many to make (Guard is shown it as written) are
//!   **unresolved** findings naming the item, which the
//!   [`crate::UnresolvedPolicy`] weighs;
//! - an error while evaluating (the rules fail on this template) makes the
//!   evaluation an error ([`EvaluationError::Rules`]), never a report.
//!
//! Where Guard runs is the caller's choice ([`EvaluateOptions::guard`]):
//! in this process by default, which nothing bounds but an estimate; the
//! binaries hand it to `guard-worker`, a child process bounded in memory
//! and killed when the [`Budget`] is spent.

use std::collections::{HashMap, HashSet};
use std::fmt;

use cfn_template::view::{ResourceView, is_no_value};
use guard_rules::{FailureKind, GuardData, GuardError, GuardRules, InProcess, Runner};
use serde_json::{Map, Number, Value};

use cfn_template::{Node, Template};

use crate::budget::{Budget, Interrupted};
use crate::evidence::on_forms;
use crate::report::Finding;
use crate::rules::{Rule, RuleError, RuleKind, RuleSet};

/// Largest JSON text Guard is handed for one template: twice the largest
/// template CloudFormation accepts, room for YAML's long forms and a
/// reasonable use of anchors. YAML aliases are written out in full (a
/// 200 kB string aliased 2 600 times would be 500 MB), so past this every
/// guard item is an unresolved finding on the template, never a pass.
pub const MAX_GUARD_JSON_BYTES: usize = 2 * 1024 * 1024;

/// Guard items handed to Guard in process at once, at most: it cannot be
/// interrupted, so this is how soon a caller can stop it. A runner says
/// how many it takes (`guard_rules::Runner::max_items`); a chunk also holds
/// no more items than their memory estimates allow together
/// ([`EvaluateOptions::guard_memory_limit`]).
pub const GUARD_CHUNK: usize = guard_rules::IN_PROCESS_ITEMS;

/// The resource name of a finding tied to no resource (a Guard rule that
/// requires something of the template as a whole, or one that could not be
/// checked on it).
pub const TEMPLATE: &str = "(template)";

/// The resource type shown for a [`TEMPLATE`] finding.
pub const TEMPLATE_TYPE: &str = "CloudFormation template";

/// How [`crate::evaluate_with`] may run: where Guard runs and how much
/// memory it may take for one item, how long the evaluation may go on, and
/// who is told what Guard is running.
#[derive(Clone)]
pub struct EvaluateOptions<'a> {
    /// Memory Guard may take for the items it runs at once. A bounded
    /// [`EvaluateOptions::guard`] enforces it (an item past it is an
    /// unresolved finding); in process, only the estimate can be held to it
    /// (`guard_rules::GuardRules::memory_estimate`: an item estimated over
    /// it is not run, and is an unresolved finding).
    pub guard_memory_limit: usize,
    /// Where Guard runs: [`InProcess`] by default (tests, tools); the
    /// binaries give a bounded runner (`guard_worker::Worker`).
    pub guard: &'a dyn Runner,
    /// Checked before each chunk of guard items, and between the native
    /// rules' steps: once spent, the evaluation stops
    /// ([`EvaluationError::Stopped`], [`EvaluationError::Interrupted`]).
    pub budget: Budget,
    /// Told the ids of each chunk of guard items just before Guard runs
    /// it, and `&[]` when Guard is done. Guard cannot be interrupted: a
    /// caller that gives up waiting (a Lambda handler stopped at its
    /// deadline) keeps them to say which items were being evaluated.
    pub on_guard_chunk: &'a (dyn Fn(&[&str]) + Sync),
    /// The day suppressions are checked on: one whose `expires` date is
    /// before it no longer applies.
    pub today: time::Date,
}

impl Default for EvaluateOptions<'_> {
    /// Guard in process, `guard_rules::DEFAULT_MEMORY_LIMIT`, an
    /// unlimited budget, nobody told, and today's date (UTC).
    fn default() -> Self {
        EvaluateOptions {
            guard_memory_limit: guard_rules::DEFAULT_MEMORY_LIMIT,
            guard: &InProcess,
            budget: Budget::unlimited(),
            on_guard_chunk: &|_| {},
            today: crate::calendar::today(),
        }
    }
}

impl fmt::Debug for EvaluateOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EvaluateOptions")
            .field("guard_memory_limit", &self.guard_memory_limit)
            .field("budget", &self.budget)
            .field("today", &self.today)
            .finish_non_exhaustive()
    }
}

/// Why an evaluation has no report: its result could not be trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvaluationError {
    /// Guard failed on these items (an undefined variable, a function
    /// error, a report that cannot be read): each names the item and
    /// Guard's message. A rule that cannot be evaluated proves nothing.
    #[error("{}", list(.0))]
    Rules(Vec<RuleError>),
    /// The [`Budget`] was spent before these guard items ran.
    #[error("the evaluation was stopped before the Guard rules {} were evaluated", .pending.join(", "))]
    Stopped {
        /// The ids of the guard items not evaluated.
        pending: Vec<String>,
    },
    /// The [`Budget`] was spent before the other rules were done.
    #[error(transparent)]
    Interrupted(#[from] Interrupted),
}

fn list(errors: &[RuleError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Guard's findings on a template, before suppressions.
#[derive(Debug, Default)]
pub(crate) struct GuardFindings {
    /// By the resource's index in `template.resources`.
    pub by_resource: HashMap<usize, Vec<Finding>>,
    /// Tied to no resource.
    pub template: Vec<Finding>,
}

/// Evaluates the active guard items of `rules` on `template`, whose
/// resources' forms are `views`.
pub(crate) fn evaluate(
    template: &Template,
    views: &[ResourceView],
    rules: &RuleSet,
    options: &EvaluateOptions,
) -> Result<GuardFindings, EvaluationError> {
    let items: Vec<(&Rule, &GuardRules)> = rules
        .active()
        .filter_map(|rule| match &rule.kind {
            RuleKind::Guard(guard) => Some((rule, guard.as_ref())),
            _ => None,
        })
        .collect();
    let mut findings = GuardFindings::default();
    if items.is_empty() {
        return Ok(findings);
    }
    let (data, keys) = match prepare(template, views) {
        Ok(prepared) => prepared,
        Err(why) => {
            for (rule, _) in &items {
                findings.template.push(not_checked(rule, &why));
            }
            return Ok(findings);
        }
    };
    // Resources Guard is shown as written although their containers are
    // written as Fn::If: what it finds there may not be all.
    for view in views {
        let Some(why) = &view.not_chosen else {
            continue;
        };
        for (rule, guard) in &items {
            if guard
                .selected_types()
                .is_none_or(|types| types.contains(view.resource_type()))
            {
                let finding = shown_as_written(rule, view, why.as_str());
                findings
                    .by_resource
                    .entry(view.index)
                    .or_default()
                    .push(finding);
            }
        }
    }
    let guard_options = guard_rules::Options {
        memory_limit: options.guard_memory_limit,
        ..guard_rules::Options::DEFAULT
    };
    // In chunks, asking before each whether to go on. Whether an item can
    // be skipped on this template is the runner's to find out: it takes
    // running Guard (see `guard_rules::GuardRules::selected_types`).
    let chunks = chunked(
        items,
        &data,
        options.guard_memory_limit,
        options.guard.max_items(),
    );
    let stop = || options.budget.is_spent();
    // One session for the template: a worker reads it once.
    let mut session = options.guard.session(&data, guard_options);
    let mut errors = Vec::new();
    for (n, chunk) in chunks.iter().enumerate() {
        let ids: Vec<&str> = chunk.iter().map(|(rule, _)| rule.id.as_str()).collect();
        if options.budget.is_spent() {
            (options.on_guard_chunk)(&[]);
            let pending = chunks[n..]
                .iter()
                .flat_map(|chunk| chunk.iter().map(|(rule, _)| rule.id.clone()))
                .collect();
            return Err(EvaluationError::Stopped { pending });
        }
        (options.on_guard_chunk)(&ids);
        let guards: Vec<&GuardRules> = chunk.iter().map(|(_, g)| *g).collect();
        let results = session.evaluate(&guards, &stop);
        if results.iter().any(|r| r == &Err(GuardError::Stopped)) {
            (options.on_guard_chunk)(&[]);
            let pending = chunk
                .iter()
                .zip(&results)
                .filter(|(_, result)| *result == &Err(GuardError::Stopped))
                .map(|((rule, _), _)| rule.id.clone())
                .chain(
                    chunks[n + 1..]
                        .iter()
                        .flat_map(|chunk| chunk.iter().map(|(rule, _)| rule.id.clone())),
                )
                .collect();
            return Err(EvaluationError::Stopped { pending });
        }
        for ((rule, _), result) in chunk.iter().zip(results) {
            match result {
                Ok(evaluation) => {
                    let mut on_resources = OnResources::default();
                    for failure in evaluation.failures {
                        match failure.resource.as_deref().and_then(|key| keys.get(key)) {
                            Some(&(index, form)) => on_resources.add(index, form, failure),
                            None => findings.template.push(Finding {
                                guard_rule: Some(failure.rule.clone()),
                                ..template_finding(
                                    rule,
                                    failure.message.clone(),
                                    undecided(&failure),
                                )
                            }),
                        }
                    }
                    for (index, failures) in on_resources.0 {
                        for (failure, forms) in failures {
                            let finding = finding(rule, &views[index], &failure, &forms);
                            findings.by_resource.entry(index).or_default().push(finding);
                        }
                    }
                }
                // What this template would cost, or cannot be: a check that
                // did not happen, on this item.
                Err(e) if e.is_not_checked() => {
                    findings.template.push(not_checked(rule, &e.to_string()));
                }
                Err(e) => errors.push(RuleError {
                    rule: rule.id.clone(),
                    message: e.to_string(),
                    blocking: true,
                }),
            }
        }
    }
    (options.on_guard_chunk)(&[]);
    if errors.is_empty() {
        Ok(findings)
    } else {
        Err(EvaluationError::Rules(errors))
    }
}

/// `items` in chunks of at most `size` whose memory estimates
/// add up to at most `limit` (an item alone may take all of it): items
/// shown the same part of the template go to Guard in one run, and this
/// keeps what one run holds, and how long it takes, within what one item
/// may. An item estimated over the limit goes alone (in process, Guard
/// refuses it unrun; a bounded runner tries it: the estimate is no bound).
fn chunked<'r>(
    items: Vec<(&'r Rule, &'r GuardRules)>,
    data: &GuardData,
    limit: usize,
    size: usize,
) -> Vec<Vec<(&'r Rule, &'r GuardRules)>> {
    let mut chunks = Vec::new();
    let mut chunk: Vec<(&Rule, &GuardRules)> = Vec::new();
    let mut cost = 0usize;
    for item in items {
        let estimate = item.1.memory_estimate(data);
        if estimate > limit {
            chunks.push(vec![item]);
            continue;
        }
        if !chunk.is_empty() && (chunk.len() >= size || cost.saturating_add(estimate) > limit) {
            chunks.push(std::mem::take(&mut chunk));
            cost = 0;
        }
        chunk.push(item);
        cost = cost.saturating_add(estimate);
    }
    if !chunk.is_empty() {
        chunks.push(chunk);
    }
    chunks
}

/// Guard's failures on resources, by resource in the order first met, each
/// failure once with the forms it was found on.
#[derive(Default)]
struct OnResources(Vec<(usize, Vec<OnForms>)>);

/// A Guard failure, and the forms of its resource it was found on.
type OnForms = (guard_rules::GuardFailure, Vec<usize>);

/// The resource and form each key of Guard's `Resources` stands for.
type Keys = HashMap<String, (usize, usize)>;

impl OnResources {
    fn add(&mut self, index: usize, form: usize, failure: guard_rules::GuardFailure) {
        let at = match self.0.iter().position(|(i, _)| *i == index) {
            Some(at) => at,
            None => {
                self.0.push((index, Vec::new()));
                self.0.len() - 1
            }
        };
        let failures = &mut self.0[at].1;
        let same = |f: &guard_rules::GuardFailure| {
            f.rule == failure.rule && f.kind == failure.kind && f.message == failure.message
        };
        match failures.iter_mut().find(|(f, _)| same(f)) {
            Some((_, forms)) => forms.push(form),
            None => failures.push((failure, vec![form])),
        }
    }
}

/// The template as Guard reads it, with the resource (and form) each key
/// of its `Resources` stands for, or why it cannot be handed over.
fn prepare(template: &Template, views: &[ResourceView]) -> Result<(GuardData, Keys), String> {
    let (value, keys) = shown(template, Some(views), MAX_GUARD_JSON_BYTES).ok_or_else(|| {
        format!(
            "the template is more than {MAX_GUARD_JSON_BYTES} bytes as JSON (YAML aliases written out), more than Guard is handed"
        )
    })?;
    let data = GuardData::from_json(&value).map_err(|e| e.to_string())?;
    Ok((data, keys))
}

/// What a Guard failure says could not be decided, if anything.
fn undecided(failure: &guard_rules::GuardFailure) -> Vec<String> {
    match failure.kind {
        FailureKind::NotCompliant => Vec::new(),
        FailureKind::Undecided => vec![format!(
            "a condition of Guard rule {} that Guard could not decide",
            failure.rule
        )],
    }
}

/// A Guard failure on a resource as a finding at its line, naming the
/// branches that lead to the forms it was found on when not all.
fn finding(
    rule: &Rule,
    view: &ResourceView,
    failure: &guard_rules::GuardFailure,
    forms: &[usize],
) -> Finding {
    let resource = view.resource;
    let message = on_forms(failure.message.clone(), forms, &view.variants);
    Finding {
        rule: rule.id.clone(),
        resource: resource.logical_id.clone(),
        line: resource.line,
        risk: rule.risk,
        reason: match &resource.generated_by {
            Some(origin) => format!("generated by {origin}: {message}"),
            None => message,
        },
        suppressed: false,
        suppression_reason: None,
        resource_type: resource.resource_type.clone(),
        unresolved: undecided(failure),
        fingerprint: String::new(),
        guard_rule: Some(failure.rule.clone()),
        suppression_expired: None,
        baseline: None,
    }
}

/// An unresolved finding for a guard item on a resource Guard was shown as
/// written, `Fn::If` and all, because its forms were too many to make.
fn shown_as_written(rule: &Rule, view: &ResourceView, why: &str) -> Finding {
    let resource = view.resource;
    Finding {
        rule: rule.id.clone(),
        resource: resource.logical_id.clone(),
        line: resource.line,
        risk: rule.risk,
        reason: format!(
            "the Guard rules were shown the resource as written, Fn::If and all: {why}"
        ),
        suppressed: false,
        suppression_reason: None,
        resource_type: resource.resource_type.clone(),
        unresolved: vec![format!("the resource's forms ({why})")],
        fingerprint: String::new(),
        guard_rule: None,
        suppression_expired: None,
        baseline: None,
    }
}

/// An unresolved template-level finding for an item Guard could not check.
fn not_checked(rule: &Rule, why: &str) -> Finding {
    template_finding(
        rule,
        format!("the Guard rules could not be checked on this template: {why}"),
        vec![why.to_string()],
    )
}

fn template_finding(rule: &Rule, reason: String, unresolved: Vec<String>) -> Finding {
    Finding {
        rule: rule.id.clone(),
        resource: TEMPLATE.to_string(),
        line: 1,
        risk: rule.risk,
        reason,
        suppressed: false,
        suppression_reason: None,
        resource_type: TEMPLATE_TYPE.to_string(),
        unresolved,
        fingerprint: String::new(),
        guard_rule: None,
        suppression_expired: None,
        baseline: None,
    }
}

/// The template as written, as a JSON value, or `None` when its JSON text
/// would be longer than `cap` bytes: its top-level sections in document
/// order, `Resources`, `Conditions` and `Outputs` with `Fn::ForEach`
/// expanded. (Guard is shown each form of a resource whose containers are
/// written as `Fn::If`: see the module documentation.)
pub fn guard_json(template: &Template, cap: usize) -> Option<Value> {
    shown(template, None, cap).map(|(value, _)| value)
}

/// The template as a JSON value, each resource in each of its forms when
/// `views` are given, with the resource and form each key of `Resources`
/// stands for.
fn shown(template: &Template, views: Option<&[ResourceView]>, cap: usize) -> Option<(Value, Keys)> {
    let mut budget = JsonBudget {
        left: cap,
        no_value: false,
    };
    let mut keys = HashMap::new();
    let mut root = Map::new();
    budget.take(2)?;
    for key in template.section_order() {
        budget.string(key)?;
        budget.take(2)?;
        let value = match key.as_str() {
            "Resources" => {
                let mut resources = Map::new();
                budget.take(2)?;
                let ids: HashSet<&str> = template
                    .resources
                    .iter()
                    .map(|r| r.logical_id.as_str())
                    .collect();
                for (index, resource) in template.resources.iter().enumerate() {
                    let forms = views
                        .and_then(|v| v.get(index))
                        .filter(|v| v.variants.len() > 1 || v.variants[0].is_chosen());
                    let Some(view) = forms else {
                        budget.string(&resource.logical_id)?;
                        budget.take(2)?;
                        let body = without_guard_suppressions(budget.json(&resource.body)?);
                        resources.insert(resource.logical_id.clone(), body);
                        keys.insert(resource.logical_id.clone(), (index, 0));
                        continue;
                    };
                    for (form, variant) in view.variants.iter().enumerate() {
                        let mut key = resource.logical_id.clone();
                        if form > 0 {
                            key = format!("{key}#{}", form + 1);
                            while ids.contains(key.as_str()) || keys.contains_key(&key) {
                                key.push('#');
                            }
                        }
                        budget.string(&key)?;
                        budget.take(2)?;
                        let body = budget.form(&resource.body, variant.properties())?;
                        let body = without_guard_suppressions(body);
                        resources.insert(key.clone(), body);
                        keys.insert(key, (index, form));
                    }
                }
                Value::Object(resources)
            }
            "Parameters" => budget.object(template.parameters.iter())?,
            "Mappings" => budget.object(template.mappings.iter())?,
            "Conditions" => budget.object(template.conditions.iter())?,
            "Outputs" => budget.object(template.outputs.iter())?,
            other => match template.other_sections.iter().find(|(k, _)| k == other) {
                Some((_, node)) => budget.json(node)?,
                None => continue,
            },
        };
        root.insert(key.clone(), value);
    }
    Some((Value::Object(root), keys))
}

/// A resource as Guard is shown it: without `Metadata.guard.SuppressedRules`,
/// which the check applies itself, as any suppression (with its reason,
/// subject to `suppressible` and expiry: see [`crate::suppression`]).
/// Shown, the Guard registry's rules would skip a resource on their own,
/// or, given `RULE: reason` entries they cannot compare with a name, be
/// undecided on it.
fn without_guard_suppressions(mut resource: Value) -> Value {
    if let Some(guard) = resource
        .get_mut("Metadata")
        .and_then(|m| m.get_mut("guard"))
        .and_then(Value::as_object_mut)
    {
        guard.remove("SuppressedRules");
    }
    resource
}

/// The bytes of JSON text left to write.
struct JsonBudget {
    left: usize,
    /// Whether list entries that are `AWS::NoValue` are left out (in a
    /// form, they only keep the other entries' indexes for the rules).
    no_value: bool,
}

impl JsonBudget {
    fn take(&mut self, bytes: usize) -> Option<()> {
        self.left = self.left.checked_sub(bytes)?;
        Some(())
    }

    /// A string's length in JSON at most: its bytes, quotes, and what
    /// escaping adds (`\"`, `\\`, `\u001f` at the longest).
    fn string(&mut self, s: &str) -> Option<()> {
        let escapes: usize = s
            .bytes()
            .map(|b| match b {
                b'"' | b'\\' => 1,
                0..=0x1f => 5,
                _ => 0,
            })
            .sum();
        self.take(s.len() + 2 + escapes)
    }

    fn object<'n, 'a: 'n>(
        &mut self,
        entries: impl Iterator<Item = (&'n str, &'n Node<'a>)>,
    ) -> Option<Value> {
        self.take(2)?;
        let mut map = Map::new();
        for (key, value) in entries {
            self.string(key)?;
            self.take(2)?;
            let value = self.json(value)?;
            map.insert(key.to_string(), value);
        }
        Some(Value::Object(map))
    }

    /// A resource in one of its forms: `body` as written, with `properties`
    /// for its `Properties` (none when `None`).
    fn form(&mut self, body: &Node, properties: Option<&Node>) -> Option<Value> {
        self.take(2)?;
        let mut map = Map::new();
        if let Some(object) = body.as_object() {
            for (key, value) in object.iter().filter(|(key, _)| *key != "Properties") {
                self.string(key)?;
                self.take(2)?;
                map.insert(key.to_string(), self.json(value)?);
            }
        }
        if let Some(properties) = properties {
            self.string("Properties")?;
            self.take(2)?;
            self.no_value = true;
            let value = self.json(properties);
            self.no_value = false;
            map.insert("Properties".to_string(), value?);
        }
        Some(Value::Object(map))
    }

    /// `node` as a JSON value, within the budget. Shared values (YAML
    /// aliases) are written out at every place they are used, and paid for
    /// each time.
    fn json(&mut self, node: &Node) -> Option<Value> {
        Some(match node.value() {
            Node::Null => {
                self.take(4)?;
                Value::Null
            }
            Node::Bool(b) => {
                self.take(5)?;
                Value::Bool(*b)
            }
            Node::Number(n) => {
                self.take(number_len(n))?;
                Value::Number(n.clone())
            }
            Node::String(s) => {
                self.string(s)?;
                Value::String(s.to_string())
            }
            Node::Array(items) => {
                self.take(2)?;
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    if self.no_value && is_no_value(item) {
                        continue;
                    }
                    self.take(1)?;
                    values.push(self.json(item)?);
                }
                Value::Array(values)
            }
            Node::Object(object) => self.object(object.iter())?,
            Node::Shared(shared) => self.json(shared)?,
        })
    }
}

/// Digits and signs, without formatting the number: at most what its text
/// takes (a float is counted at its longest form).
fn number_len(n: &Number) -> usize {
    match (n.as_u64(), n.as_i64()) {
        (Some(u), _) => u.checked_ilog10().unwrap_or(0) as usize + 1,
        (None, Some(i)) => i.unsigned_abs().checked_ilog10().unwrap_or(0) as usize + 2,
        _ => 24,
    }
}
