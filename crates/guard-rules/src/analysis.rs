//! What a rules file can look at, and whether it is safe to run.
//!
//! Two questions are answered from the parse tree, before anything runs:
//!
//! - **What of the template can the rules see?** Every query that starts
//!   at the template's root either goes through `Resources.*[ Type == '…' ]`
//!   (or `Type in [...]`, or a type block such as `AWS::S3::Bucket { … }`),
//!   and sees only resources of those types, or starts with a top-level key
//!   (`Parameters`, `Outputs`, `Resources.MyBucket`, `Resources.*`) and sees
//!   only that section. Guard is then handed just those resources and
//!   sections, and an item that reads only resources of some types can be
//!   skipped when none is present (`crate::rules` still proves that skipping
//!   is safe by evaluating the rules once without them). Anything else —
//!   `this` or `*` at the root, a variable this analysis cannot follow, a
//!   parameterized rule — makes the answer "everything", and then nothing
//!   is narrowed or skipped.
//! - **Will Guard's recursive evaluator stay within its stack?** Guard
//!   recurses once per query part and once per rule reference, and never
//!   stops on a cycle of rule references (`rule a when a { … }` overflows
//!   the stack and aborts the process). Cycles, references to rules the
//!   file does not define, and chains and queries past the caps below are
//!   refused.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

use crate::ast::*;

/// Longest query (parts after the first, e.g. `Resources.*[…].Properties.A`
/// has five parts) accepted. Guard recurses once per part; a debug build
/// overflowed a 2 MiB thread stack at about 140 parts, a release build at
/// about 2 100. Real rules use a dozen.
pub const MAX_QUERY_PARTS: usize = 32;

/// Longest chain of rule references (`rule a when b`, `rule b when c`, …).
/// A debug build overflowed a 2 MiB stack at about 180, release at 760.
pub const MAX_RULE_CHAIN: usize = 16;

/// What the analysis found.
#[derive(Debug, Clone)]
pub(crate) struct Analysis {
    /// Named rules, in file order, each once.
    pub names: Vec<String>,
    /// What the rules can see of a template, or `None` when it may be
    /// anything.
    pub reach: Option<Reach>,
    /// What the type filters' other clauses read in every resource, which
    /// resources of other types must not trip on for narrowing to be exact.
    pub filter_reads: Vec<FilterRead>,
    /// Queries from the template's root (each makes Guard copy what it
    /// walks), for the memory estimate.
    pub root_queries: usize,
}

/// The parts of a template a rules file can read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Reach {
    /// Resource types selected by `Resources.*[ Type … ]` filters.
    pub types: BTreeSet<String>,
    /// Top-level keys read whole (as written in the rules; Guard also finds
    /// them in other casings).
    pub sections: BTreeSet<String>,
}

/// Checks the tree and works out what the rules can see.
pub(crate) fn analyse(file: &RulesFile) -> Result<Analysis, String> {
    let mut names = Vec::new();
    for rule in &file.guard_rules {
        if !names.contains(&rule.rule_name) {
            names.push(rule.rule_name.clone());
        }
    }

    let mut scan = Scan::default();
    scan.scopes.push(HashMap::new());
    for assignment in &file.assignments {
        let kind = scan.let_value(&assignment.value, Scope::Root);
        scan.define(&assignment.var, kind);
    }
    for rule in &file.guard_rules {
        scan.rule(rule);
    }
    for parameterized in &file.parameterized_rules {
        // Parameters are bound by each call, to anything: no narrowing.
        scan.everything = true;
        scan.scopes.push(
            parameterized
                .parameter_names
                .iter()
                .map(|name| (name.clone(), Var::Unknown))
                .collect(),
        );
        scan.rule(&parameterized.rule);
        scan.scopes.pop();
    }

    if scan.longest_query > MAX_QUERY_PARTS {
        return Err(format!(
            "a query has {} parts; the limit is {MAX_QUERY_PARTS}",
            scan.longest_query
        ));
    }
    check_references(&scan.references)?;

    Ok(Analysis {
        names,
        reach: (!scan.everything).then_some(Reach {
            types: scan.types,
            sections: scan.sections,
        }),
        filter_reads: scan.filter_reads.into_iter().collect(),
        root_queries: scan.root_queries,
    })
}

/// Refuses references to undefined rules, cycles, and chains longer than
/// [`MAX_RULE_CHAIN`].
fn check_references(graph: &BTreeMap<String, BTreeSet<String>>) -> Result<(), String> {
    for (rule, targets) in graph {
        if let Some(missing) = targets.iter().find(|t| !graph.contains_key(*t)) {
            return Err(format!(
                "rule {rule} refers to rule {missing}, which this file does not define"
            ));
        }
    }
    // Depth-first, with the chain so far, memoising the longest chain below
    // each rule once it is known.
    fn longest<'g>(
        rule: &'g str,
        graph: &'g BTreeMap<String, BTreeSet<String>>,
        chain: &mut Vec<&'g str>,
        known: &mut HashMap<&'g str, usize>,
    ) -> Result<usize, String> {
        if let Some(&depth) = known.get(rule) {
            return Ok(depth);
        }
        if let Some(start) = chain.iter().position(|r| *r == rule) {
            let mut cycle = chain[start..].to_vec();
            cycle.push(rule);
            return Err(format!(
                "rule {rule} refers back to itself ({}); Guard would recurse without end",
                cycle.join(" → ")
            ));
        }
        if chain.len() > MAX_RULE_CHAIN {
            return Err(too_long(chain[0]));
        }
        chain.push(rule);
        let mut depth = 0;
        for target in graph.get(rule).into_iter().flatten() {
            depth = depth.max(1 + longest(target, graph, chain, known)?);
        }
        chain.pop();
        known.insert(rule, depth);
        Ok(depth)
    }
    let mut known = HashMap::new();
    for rule in graph.keys() {
        if longest(rule, graph, &mut Vec::new(), &mut known)? > MAX_RULE_CHAIN {
            return Err(too_long(rule));
        }
    }
    Ok(())
}

fn too_long(rule: &str) -> String {
    format!(
        "rule {rule} starts a chain of more than {MAX_RULE_CHAIN} rule references; the limit is {MAX_RULE_CHAIN}"
    )
}

/// What a clause of a type filter reads in each resource: the keys of its
/// query up to its first part that is not a plain key (an empty path reads
/// the whole resource).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct FilterRead {
    pub path: Vec<String>,
    /// When the rest of the query is only wildcards (`.*`, `[*]`), their
    /// number, and the clause compares with string literals only (`==`,
    /// `!=`, `in`, a regex): Guard then decides it on any value made of
    /// strings, such as the registry rules' `Metadata.guard.SuppressedRules.*
    /// != "RULE"` on a list of rule names.
    pub strings_decide: Option<usize>,
}

/// Where a query starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// The template itself: a rule's body and conditions, the file's and
    /// the rules' `let`s.
    Root,
    /// A value reached by a query the analysis followed: inside a filter, a
    /// block over such a query, a type block. Queries here are relative to
    /// it, and cannot reach further.
    Inner,
}

/// What a variable holds, as far as the analysis can tell.
#[derive(Debug, Clone)]
enum Var {
    /// A literal written in the rules.
    Literal(Value),
    /// Values reached by a query the analysis followed (or computed from
    /// them).
    Known,
    /// Anything else.
    Unknown,
}

#[derive(Default)]
struct Scan {
    /// Variables, innermost scope last.
    scopes: Vec<HashMap<String, Var>>,
    /// Types selected by the root queries' type filters so far.
    types: BTreeSet<String>,
    /// Top-level keys root queries start with, other than type-filtered
    /// `Resources`.
    sections: BTreeSet<String>,
    /// A root query can reach anything.
    everything: bool,
    longest_query: usize,
    root_queries: usize,
    /// What the non-type clauses of type filters read (see
    /// `note_filter_reads`).
    filter_reads: BTreeSet<FilterRead>,
    /// Rule name → the rules it refers to (rules with the same name merged).
    references: BTreeMap<String, BTreeSet<String>>,
    /// The rule being scanned.
    current: String,
}

impl Scan {
    fn define(&mut self, var: &str, kind: Var) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(var.to_string(), kind);
        }
    }

    fn lookup(&self, var: &str) -> Var {
        self.scopes
            .iter()
            .rev()
            .find_map(|s| s.get(var))
            .cloned()
            .unwrap_or(Var::Unknown)
    }

    fn rule(&mut self, rule: &Rule) {
        self.current = rule.rule_name.clone();
        self.references.entry(rule.rule_name.clone()).or_default();
        if let Some(conditions) = &rule.conditions {
            self.conditions(conditions, Scope::Root);
        }
        self.block(&rule.block, Scope::Root, |scan, clause, scope| {
            scan.rule_clause(clause, scope)
        });
    }

    fn block<T>(
        &mut self,
        block: &Block<T>,
        scope: Scope,
        mut each: impl FnMut(&mut Self, &T, Scope),
    ) {
        self.scopes.push(HashMap::new());
        for assignment in &block.assignments {
            let kind = self.let_value(&assignment.value, scope);
            self.define(&assignment.var, kind);
        }
        for clause in block.conjunctions.iter().flatten() {
            each(self, clause, scope);
        }
        self.scopes.pop();
    }

    fn rule_clause(&mut self, clause: &RuleClause, scope: Scope) {
        match clause {
            RuleClause::Clause(clause) => self.guard_clause(clause, scope),
            RuleClause::WhenBlock(conditions, block) => {
                self.conditions(conditions, scope);
                self.block(block, scope, Self::guard_clause);
            }
            RuleClause::TypeBlock(type_block) => {
                // The query is `Resources.*[ Type == '<type>' ]`; conditions
                // and clauses apply to each selected resource.
                let known = self.query_parts(&type_block.query, scope);
                let inner = if known { Scope::Inner } else { scope };
                if let Some(conditions) = &type_block.conditions {
                    self.conditions(conditions, inner);
                }
                self.block(&type_block.block, inner, Self::guard_clause);
            }
        }
    }

    fn guard_clause(&mut self, clause: &GuardClause, scope: Scope) {
        match clause {
            GuardClause::Clause(clause) => self.access_clause(&clause.access_clause, scope),
            GuardClause::NamedRule(named) => self.refer(&named.dependent_rule),
            GuardClause::ParameterizedNamedRule(call) => self.call(call, scope),
            GuardClause::BlockClause(block) => {
                let known = self.query(&block.query, scope);
                let inner = if known { Scope::Inner } else { scope };
                self.block(&block.block, inner, Self::guard_clause);
            }
            GuardClause::WhenBlock(conditions, block) => {
                self.conditions(conditions, scope);
                self.block(block, scope, Self::guard_clause);
            }
        }
    }

    fn conditions(&mut self, conditions: &Conditions, scope: Scope) {
        for clause in conditions.iter().flatten() {
            match clause {
                WhenClause::Clause(clause) => self.access_clause(&clause.access_clause, scope),
                WhenClause::NamedRule(named) => self.refer(&named.dependent_rule),
                WhenClause::ParameterizedNamedRule(call) => self.call(call, scope),
            }
        }
    }

    fn refer(&mut self, rule: &str) {
        self.references
            .entry(self.current.clone())
            .or_default()
            .insert(rule.to_string());
    }

    fn call(&mut self, call: &ParameterizedNamedRuleClause, scope: Scope) {
        self.everything = true;
        self.refer(&call.named_rule.dependent_rule);
        for parameter in &call.parameters {
            self.let_value(parameter, scope);
        }
    }

    fn access_clause(&mut self, clause: &AccessClause, scope: Scope) {
        self.query(&clause.query, scope);
        if let Some(with) = &clause.compare_with {
            self.let_value(with, scope);
        }
    }

    fn let_value(&mut self, value: &LetValue, scope: Scope) -> Var {
        match value {
            LetValue::Value(literal) => Var::Literal(literal.value.clone()),
            LetValue::AccessClause(query) => {
                if self.query(query, scope) {
                    Var::Known
                } else {
                    Var::Unknown
                }
            }
            LetValue::FunctionCall(call) => {
                let mut known = true;
                for parameter in &call.parameters {
                    known &= !matches!(self.let_value(parameter, scope), Var::Unknown);
                }
                if known { Var::Known } else { Var::Unknown }
            }
        }
    }

    /// Scans a query; true when what it can reach is known.
    fn query(&mut self, query: &AccessQuery, scope: Scope) -> bool {
        self.query_parts(&query.query, scope)
    }

    fn query_parts(&mut self, parts: &[QueryPart], scope: Scope) -> bool {
        self.longest_query = self.longest_query.max(parts.len());
        if scope == Scope::Root {
            self.root_queries += 1;
        }
        // Clauses inside filters look at the values being filtered.
        for part in parts {
            match part {
                QueryPart::Filter(_, conjunctions) => {
                    for clause in conjunctions.iter().flatten() {
                        self.guard_clause(clause, Scope::Inner);
                    }
                }
                QueryPart::MapKeyFilter(_, filter) => {
                    self.let_value(&filter.compare_with, Scope::Inner);
                }
                _ => {}
            }
        }
        let known = match parts.first() {
            Some(QueryPart::Key(key)) if key.starts_with('%') => {
                !matches!(self.lookup(&key[1..]), Var::Unknown)
            }
            _ if scope == Scope::Inner => true,
            Some(QueryPart::Key(key)) => {
                let filtered = match (key.as_str(), parts.get(1), parts.get(2)) {
                    (
                        "Resources",
                        Some(QueryPart::AllValues(_)),
                        Some(QueryPart::Filter(_, conjunctions)),
                    ) => self
                        .type_constraint(conjunctions)
                        .map(|t| (t, conjunctions)),
                    _ => None,
                };
                match filtered {
                    Some((types, conjunctions)) => {
                        self.types.extend(types);
                        self.note_filter_reads(conjunctions);
                    }
                    None => {
                        self.sections.insert(key.clone());
                    }
                }
                true
            }
            // `this`, `*`, … at the root.
            _ => false,
        };
        if !known {
            self.everything = true;
        }
        known
    }

    /// Guard evaluates every clause of a filter on every resource, before
    /// the type clause excludes it, and a clause that cannot be decided or
    /// errs on a resource of another type changes the rule's verdict (to an
    /// undecided skip, or a failure "when handling clause"). Narrowing hides
    /// those resources, so it is exact only when they hold nothing such a
    /// clause reads: the key paths read are noted here, and checked against
    /// the template before narrowing (see `GuardData::others_hold`).
    /// `exists` / `not exists` on a plain key path cannot err, and is not
    /// noted.
    fn note_filter_reads(&mut self, conjunctions: &Conjunctions<GuardClause>) {
        for alternatives in conjunctions {
            if alternatives.iter().all(|a| self.type_check(a).is_some()) {
                continue;
            }
            for alternative in alternatives {
                if self.type_check(alternative).is_none() {
                    reads_of_clause(alternative, &mut self.filter_reads);
                }
            }
        }
    }

    /// The types a filter admits: the intersection over its conjuncts that
    /// are made only of `Type == '…'` / `Type in [...]` alternatives.
    fn type_constraint(
        &self,
        conjunctions: &Conjunctions<GuardClause>,
    ) -> Option<BTreeSet<String>> {
        let mut admitted: Option<BTreeSet<String>> = None;
        for alternatives in conjunctions {
            let mut union = BTreeSet::new();
            let mut all_types = !alternatives.is_empty();
            for alternative in alternatives {
                match self.type_check(alternative) {
                    Some(types) => union.extend(types),
                    None => all_types = false,
                }
            }
            if all_types {
                admitted = Some(match admitted {
                    None => union,
                    Some(before) => before.intersection(&union).cloned().collect(),
                });
            }
        }
        admitted
    }

    /// `Type == 'AWS::S3::Bucket'`, `Type in ['A', 'B']`, or either against
    /// a literal variable: the types it admits.
    fn type_check(&self, clause: &GuardClause) -> Option<Vec<String>> {
        let GuardClause::Clause(GuardAccessClause {
            access_clause,
            negation: false,
        }) = clause
        else {
            return None;
        };
        let (operator, negated) = &access_clause.comparator;
        if *negated || !(operator == "Eq" || operator == "In") {
            return None;
        }
        match access_clause.query.query.as_slice() {
            [QueryPart::Key(key)] if key == "Type" => {}
            _ => return None,
        }
        let literal = match access_clause.compare_with.as_ref()? {
            LetValue::Value(literal) => literal.value.clone(),
            LetValue::AccessClause(AccessQuery { query }) => match query.as_slice() {
                [QueryPart::Key(var)] if var.starts_with('%') => match self.lookup(&var[1..]) {
                    Var::Literal(value) => value,
                    _ => return None,
                },
                _ => return None,
            },
            LetValue::FunctionCall(_) => return None,
        };
        let names = match literal {
            Value::String(name) => vec![name],
            Value::Array(items) => items
                .into_iter()
                .map(|item| match item {
                    Value::String(name) => Some(name),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()?,
            _ => return None,
        };
        // A regex literal serializes as "/…/"; no resource type starts with '/'.
        if names.iter().any(|name| name.starts_with('/')) {
            return None;
        }
        Some(names)
    }
}

/// What a clause inside a filter reads in the resource. Anything this does
/// not follow reads the whole resource.
fn reads_of_clause(clause: &GuardClause, reads: &mut BTreeSet<FilterRead>) {
    let GuardClause::Clause(GuardAccessClause { access_clause, .. }) = clause else {
        reads.insert(FilterRead {
            path: Vec::new(),
            strings_decide: None,
        });
        return;
    };
    let query = &access_clause.query.query;
    let plain = query
        .iter()
        .all(|part| matches!(part, QueryPart::Key(key) if !key.starts_with('%')));
    let (operator, _) = &access_clause.comparator;
    if operator == "Exists" && plain {
        return;
    }
    let with_strings = (operator == "Eq" || operator == "In")
        && match &access_clause.compare_with {
            Some(LetValue::Value(literal)) => match &literal.value {
                Value::String(_) => true,
                Value::Array(items) => items.iter().all(Value::is_string),
                _ => false,
            },
            _ => false,
        };
    reads_of_query(query, with_strings, reads);
    if let Some(with) = &access_clause.compare_with {
        reads_of_let_value(with, reads);
    }
}

fn reads_of_let_value(value: &LetValue, reads: &mut BTreeSet<FilterRead>) {
    match value {
        LetValue::Value(_) => {}
        LetValue::AccessClause(query) => reads_of_query(&query.query, false, reads),
        LetValue::FunctionCall(call) => {
            for parameter in &call.parameters {
                reads_of_let_value(parameter, reads);
            }
        }
    }
}

fn reads_of_query(parts: &[QueryPart], with_strings: bool, reads: &mut BTreeSet<FilterRead>) {
    // A variable holds the same wherever the filter is evaluated: what it
    // does does not depend on the resource.
    if let Some(QueryPart::Key(key)) = parts.first()
        && key.starts_with('%')
    {
        return;
    }
    let path: Vec<String> = parts
        .iter()
        .map_while(|part| match part {
            QueryPart::Key(key) => Some(key.clone()),
            _ => None,
        })
        .collect();
    let rest = &parts[path.len()..];
    let wildcards_only = rest
        .iter()
        .all(|part| matches!(part, QueryPart::AllValues(_) | QueryPart::AllIndices(_)));
    reads.insert(FilterRead {
        path,
        strings_decide: (with_strings && wildcards_only).then_some(rest.len()),
    });
}
