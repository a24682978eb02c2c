//! The packs' rules, each checked against its test cases.
//!
//! Every service file `PACK/SERVICE.yaml` has a file of test cases
//! `PACK/tests/SERVICE.yaml`: a list of
//!
//! ```yaml
//! - rule: S3BucketVersioning          # a rule of the service file
//!   expect: fires                     # fires | passes | unresolved
//!   parameters: {...}                 # optional: the template's Parameters,
//!   mappings: {...}                   #   Mappings and Conditions
//!   conditions: {...}
//!   resources:                        # the template's Resources
//!     Bucket:
//!       Type: AWS::S3::Bucket
//!       Properties: {VersioningConfiguration: {Status: Suspended}}
//!   at: Bucket.VersioningConfiguration.Status   # fires: the value that makes it fire
//!   fixed: Enabled                    # and one that makes it pass
//!   reason: Suspended                 # optional: text a finding's reason holds
//!   without-default: passes           # optional, with `at`: what a parameter
//!                                     #   without Default there gives (unresolved)
//! ```
//!
//! `fires` means a resolved finding of the rule, `passes` none, and
//! `unresolved` findings that are all unresolved. Beyond each case as
//! written, every case is checked again wrapped in `Fn::ForEach`, and every
//! `fires` case with `at` with its value there replaced: by `fixed` (it
//! passes); behind a parameter's `Default` and a mapping entry (a value);
//! in either branch of `Fn::If` (it fires, naming the branch, for the
//! structured kinds: open-ingress does not name it); behind a
//! parameter without `Default` (a value or a list: unresolved, or what
//! `without-default` says: a secret given when the stack is deployed is not
//! written in the template, and passes). Every rule must have a `fires`
//! case with `at` and a `passes` case.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use policy_pack::Pack;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use template_rules::{
    Categories, Finding, RuleItem, RuleSet, Template, Thresholds, evaluate, parse_document,
};

/// The risk from which a finding fails a pipeline with the default
/// thresholds, and from which it flags one (README: the pack's bands).
const FAIL_AT: u64 = 50;
const FLAG_AT: u64 = 5;
const MAX_RISK: u64 = 100;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    rule: String,
    expect: Expect,
    parameters: Option<Value>,
    mappings: Option<Value>,
    conditions: Option<Value>,
    resources: Value,
    at: Option<String>,
    fixed: Option<Value>,
    reason: Option<String>,
    #[serde(rename = "without-default")]
    without_default: Option<Expect>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Expect {
    Fires,
    Passes,
    Unresolved,
}

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The test cases of `pack`'s `service`.
fn cases(pack: &Pack, service: &str) -> Vec<Case> {
    let path = crate_dir()
        .join(pack.name())
        .join("tests")
        .join(format!("{service}.yaml"));
    let text = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (every service file needs its test cases)",
            path.display()
        )
    });
    let value = parse_document(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_value(value).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every pack's every service, with its items and its cases.
fn services() -> Vec<(Pack, &'static str, Vec<RuleItem>, Vec<Case>)> {
    Pack::names()
        .into_iter()
        .filter_map(Pack::find)
        .flat_map(|pack| {
            pack.services()
                .map(|(service, _)| {
                    let items = pack.service_items(service).unwrap_or_default();
                    (pack, service, items, cases(&pack, service))
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn every_service_file_has_a_test_file_and_every_test_file_a_service() {
    for name in Pack::names() {
        let pack = Pack::find(name).unwrap();
        let services: Vec<&str> = pack.services().map(|(s, _)| s).collect();
        assert!(!services.is_empty(), "pack {name} has no service file");
        let mut tests: Vec<String> = std::fs::read_dir(crate_dir().join(name).join("tests"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .collect();
        tests.sort();
        assert_eq!(
            tests, services,
            "pack {name}: test files and service files differ"
        );
    }
}

#[test]
fn every_rule_can_be_applied_is_banded_documented_and_unique() {
    // With the default rules too: ids may not clash with them.
    let all = RuleSet::from_items(policy_pack::seed_items());
    assert!(all.errors().is_empty(), "{:#?}", all.errors());
    let mut problems = Vec::new();
    for (pack, service, items, _) in services() {
        // A kind that reads its own category's types (open-ingress reads
        // SecurityGroup's) keeps that category in any service file.
        let categories: HashSet<String> = items
            .iter()
            .filter(|i| !fixed_category(i))
            .filter_map(|i| i.category.as_ref()?.as_str().map(str::to_string))
            .collect();
        if categories.len() != 1 {
            problems.push(format!(
                "{}/{service}: its rules' categories are {categories:?}: one per service file",
                pack.name()
            ));
        }
        for item in &items {
            let id = item.id().unwrap_or("(no id)");
            let rule = all.get(id).expect("read above");
            if !(FLAG_AT..=MAX_RISK).contains(&rule.risk) {
                problems.push(format!(
                    "{id}: risk {} is outside the pack's bands ({FLAG_AT}..{FAIL_AT} flags, {FAIL_AT}..={MAX_RISK} fails)",
                    rule.risk
                ));
            }
            if rule.guidance.remediation.is_none() || rule.guidance.link.is_none() {
                problems.push(format!("{id}: a pack rule needs a remediation and a link"));
            }
            if !matches!(
                rule.kind.type_name(),
                "property" | "policy" | "relation" | "open-ingress"
            ) {
                problems.push(format!(
                    "{id}: ruletype {} does not fail closed on intrinsics; write pack rules with the structured kinds or open-ingress",
                    rule.kind.type_name()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let count = Pack::standard().items().len();
    assert!(count > 0);
}

#[test]
fn every_rule_has_a_case_that_fires_with_its_value_and_one_that_passes() {
    let mut problems = Vec::new();
    for (pack, service, items, cases) in services() {
        let ids: Vec<&str> = items.iter().filter_map(RuleItem::id).collect();
        for case in &cases {
            if !ids.contains(&case.rule.as_str()) {
                problems.push(format!(
                    "{}/tests/{service}.yaml: a case of {}, which is not a rule of {service}.yaml",
                    pack.name(),
                    case.rule
                ));
            }
            if case.at.is_some() != case.fixed.is_some() {
                problems.push(format!("{}: `at` and `fixed` go together", case.rule));
            }
            if case.at.is_some() && case.expect != Expect::Fires {
                problems.push(format!("{}: `at` is for a case that fires", case.rule));
            }
            if case.without_default.is_some() && case.at.is_none() {
                problems.push(format!("{}: `without-default` goes with `at`", case.rule));
            }
        }
        for id in ids {
            let of = |expect| {
                cases
                    .iter()
                    .filter(move |c| c.rule == id && c.expect == expect)
            };
            if !of(Expect::Fires).any(|c| c.at.is_some()) {
                problems.push(format!("{id}: no `fires` case with `at` and `fixed`"));
            }
            if of(Expect::Passes).next().is_none() {
                problems.push(format!("{id}: no `passes` case"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// What one evaluation gave, for a message.
fn shown(findings: &[Finding]) -> String {
    let lines: Vec<String> = findings
        .iter()
        .map(|f| {
            format!(
                "{} on {}: {}{}",
                f.rule,
                f.resource,
                f.reason,
                if f.is_unresolved() {
                    " (unresolved)"
                } else {
                    ""
                }
            )
        })
        .collect();
    if lines.is_empty() {
        "no finding".to_string()
    } else {
        lines.join("; ")
    }
}

/// Whether `item`'s kind names its category itself (`SecurityGroup` for
/// open-ingress), rather than taking the service's.
fn fixed_category(item: &RuleItem) -> bool {
    item.ruletype
        .as_ref()
        .and_then(Value::as_str)
        .and_then(template_rules::kinds::find)
        .is_some_and(|kind| matches!(kind.describe().categories, Categories::Only(_)))
}

/// The one rule `id`, active (some pack rules are off by default).
fn rule_set(id: &str) -> RuleSet {
    let mut item = policy_pack::seed_items()
        .into_iter()
        .find(|i| i.id() == Some(id))
        .unwrap_or_else(|| panic!("no rule {id}"));
    item.active = Some("Y".into());
    RuleSet::from_items([item])
}

/// The findings of `rule` on `template`.
fn findings(rules: &RuleSet, template: &Value) -> Result<Vec<Finding>, String> {
    let text = serde_json::to_string_pretty(template).unwrap();
    let parsed = Template::parse(text.as_bytes())
        .map_err(|e| format!("the template does not parse: {e}\n{text}"))?;
    let report = evaluate(&parsed, rules, &Thresholds::default()).map_err(|e| e.to_string())?;
    Ok(report.findings)
}

/// Whether `found` is what `expect` asks (and holds `reason`).
fn judge(expect: Expect, reason: Option<&str>, found: &[Finding]) -> Result<(), String> {
    let ok = match expect {
        Expect::Fires => found.iter().any(|f| !f.is_unresolved()),
        Expect::Passes => found.is_empty(),
        Expect::Unresolved => !found.is_empty() && found.iter().all(Finding::is_unresolved),
    };
    if !ok {
        return Err(format!("expected it to {expect:?}, got {}", shown(found)));
    }
    if let Some(reason) = reason
        && !found.iter().any(|f| f.reason.contains(reason))
    {
        return Err(format!("no reason holds {reason:?}: {}", shown(found)));
    }
    Ok(())
}

/// The case's template.
fn template(case: &Case) -> Value {
    let mut template = Map::new();
    template.insert("AWSTemplateFormatVersion".into(), json!("2010-09-09"));
    for (section, value) in [
        ("Parameters", &case.parameters),
        ("Mappings", &case.mappings),
        ("Conditions", &case.conditions),
    ] {
        if let Some(value) = value {
            template.insert(section.into(), value.clone());
        }
    }
    template.insert("Resources".into(), case.resources.clone());
    Value::Object(template)
}

/// Each resource generated by its own `Fn::ForEach` loop, under its own name.
fn in_foreach(template: &Value) -> Value {
    let mut template = template.clone();
    template["Transform"] = json!("AWS::LanguageExtensions");
    let resources = template["Resources"].as_object().unwrap().clone();
    let mut looped = Map::new();
    for (id, body) in resources {
        looped.insert(
            format!("Fn::ForEach::Loop{id}"),
            json!(["PackItem", [id], {"${PackItem}": body}]),
        );
    }
    template["Resources"] = Value::Object(looped);
    template
}

/// `Resource.Key.List[0].Key` as the resource and the steps into its
/// properties.
fn steps(at: &str) -> (String, Vec<Step>) {
    let mut parts = at.split('.');
    let resource = parts.next().unwrap().to_string();
    let mut steps = Vec::new();
    for part in parts {
        let (key, indices) = part
            .split_once('[')
            .map_or((part, ""), |(k, rest)| (k, rest));
        steps.push(Step::Key(key.to_string()));
        for index in indices.split('[').filter(|s| !s.is_empty()) {
            let index = index.trim_end_matches(']');
            steps.push(Step::Index(
                index
                    .parse()
                    .unwrap_or_else(|_| panic!("{at}: index {index}")),
            ));
        }
    }
    (resource, steps)
}

enum Step {
    Key(String),
    Index(usize),
}

/// The value at `at` in `template` (`None` where nothing is written).
fn value_at(template: &Value, at: &str) -> Option<Value> {
    let (resource, steps) = steps(at);
    let mut value = template["Resources"].get(&resource)?.get("Properties")?;
    for step in steps {
        value = match step {
            Step::Key(key) => value.get(&key)?,
            Step::Index(i) => value.get(i)?,
        };
    }
    Some(value.clone())
}

/// `template` with `value` at `at` (mappings made on the way).
fn with_value(template: &Value, at: &str, value: Value) -> Value {
    let mut template = template.clone();
    let (resource, steps) = steps(at);
    let body = template["Resources"]
        .get_mut(&resource)
        .unwrap_or_else(|| panic!("{at}: no resource {resource}"));
    if body.get("Properties").is_none() {
        body["Properties"] = json!({});
    }
    let mut place = &mut body["Properties"];
    for step in steps {
        place = match step {
            Step::Key(key) => {
                if place.get(&key).is_none() {
                    place[&key] = json!({});
                }
                &mut place[&key]
            }
            Step::Index(i) => place
                .get_mut(i)
                .unwrap_or_else(|| panic!("{at}: no item {i}")),
        };
    }
    *place = value;
    template
}

const CONDITION: &str = "PackCase";

/// The template with a parameter, a mapping entry or a condition the
/// variants below refer to.
fn with_section(template: &Value, section: &str, name: &str, value: Value) -> Value {
    let mut template = template.clone();
    if template.get(section).is_none() {
        template[section] = json!({});
    }
    template[section][name] = value;
    template
}

/// The variants of a `fires` case with `at`: a name, the template, and
/// what it must give (and a text its reasons must hold). `by_branch`: the
/// rule's kind reads each branch of `Fn::If` on its own and names it
/// (the structured kinds); open-ingress reads both branches' values as
/// what the property may be, and fires without naming one.
fn variants(
    case: &Case,
    base: &Value,
    by_branch: bool,
) -> Vec<(String, Value, Expect, Option<String>)> {
    let (Some(at), Some(fixed)) = (&case.at, &case.fixed) else {
        return Vec::new();
    };
    let value = value_at(base, at);
    let offending = value
        .clone()
        .unwrap_or_else(|| json!({"Ref": "AWS::NoValue"}));
    let mut out = vec![(
        format!("with {at} fixed"),
        with_value(base, at, fixed.clone()),
        Expect::Passes,
        None,
    )];
    let conditional = with_section(
        base,
        "Conditions",
        CONDITION,
        json!({"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}),
    );
    for (holds, branches) in [
        (true, json!([CONDITION, offending, fixed])),
        (false, json!([CONDITION, fixed, offending])),
    ] {
        out.push((
            format!("with {at} in the {holds} branch of Fn::If"),
            with_value(&conditional, at, json!({"Fn::If": branches})),
            Expect::Fires,
            by_branch.then(|| format!("when {CONDITION} is {holds}")),
        ));
    }
    // A value or a list can be a parameter's (a mapping, or nothing, cannot).
    let kind = match &value {
        Some(Value::Array(_)) => Some("CommaDelimitedList"),
        Some(Value::Object(_)) | None => None,
        Some(_) => Some("String"),
    };
    if let Some(kind) = kind {
        let unknown = with_section(base, "Parameters", "PackUnknown", json!({"Type": kind}));
        out.push((
            format!("with {at} a parameter without Default"),
            with_value(&unknown, at, json!({"Ref": "PackUnknown"})),
            case.without_default.unwrap_or(Expect::Unresolved),
            None,
        ));
    }
    // A value (not a list or mapping) can be a parameter's or a mapping's.
    if let Some(scalar) = value.filter(|v| !v.is_object() && !v.is_array()) {
        let text = match &scalar {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let parameter = with_section(
            base,
            "Parameters",
            "PackValue",
            json!({"Type": "String", "Default": text}),
        );
        out.push((
            format!("with {at} the Default of a parameter"),
            with_value(&parameter, at, json!({"Ref": "PackValue"})),
            Expect::Fires,
            None,
        ));
        let mapped = with_section(
            base,
            "Mappings",
            "PackValues",
            json!({"Case": {"Value": scalar}}),
        );
        out.push((
            format!("with {at} a mapping entry"),
            with_value(
                &mapped,
                at,
                json!({"Fn::FindInMap": ["PackValues", "Case", "Value"]}),
            ),
            Expect::Fires,
            None,
        ));
    }
    out
}

#[test]
fn every_case_gives_what_it_expects_as_written_in_foreach_and_behind_intrinsics() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for (pack, service, _, cases) in services() {
        for (n, case) in cases.iter().enumerate() {
            let rules = rule_set(&case.rule);
            let name = format!(
                "{}/tests/{service}.yaml case {} ({}, {:?})",
                pack.name(),
                n + 1,
                case.rule,
                case.expect
            );
            let base = template(case);
            let mut runs = vec![
                (
                    "as written".to_string(),
                    base.clone(),
                    case.expect,
                    case.reason.clone(),
                ),
                (
                    "in Fn::ForEach".to_string(),
                    in_foreach(&base),
                    case.expect,
                    (case.expect == Expect::Fires)
                        .then(|| "generated by Fn::ForEach::Loop".to_string()),
                ),
            ];
            let by_branch = rules
                .get(&case.rule)
                .is_some_and(|rule| rule.kind.type_name() != "open-ingress");
            runs.extend(variants(case, &base, by_branch));
            for (how, template, expect, reason) in runs {
                checked += 1;
                let result = findings(&rules, &template)
                    .and_then(|found| judge(expect, reason.as_deref(), &found));
                if let Err(why) = result {
                    problems.push(format!(
                        "{name}, {how}: {why}\n  {}",
                        serde_json::to_string(&template).unwrap()
                    ));
                }
            }
        }
    }
    assert!(checked > 0);
    assert!(
        problems.is_empty(),
        "{} of {checked} checks failed:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// How many rules each service has, for the record: the pack grows file by
/// file.
#[test]
fn the_pack_counts_its_rules_by_service() {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, service, items, _) in services() {
        counts.insert(service, items.len());
    }
    let total: usize = counts.values().sum();
    assert_eq!(total, Pack::standard().items().len());
    assert!(counts.values().all(|&n| n > 0), "{counts:?}");
}
