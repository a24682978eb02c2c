//! The shortcuts never change what Guard says, on generated rules and
//! templates.
//!
//! The oracle is Guard itself on the whole template
//! (`Options::REFERENCE`). Rules files are generated from the shapes real
//! rules use — `let`s with type filters, `when %x !empty`, type blocks,
//! filters with more clauses, `Type in [...]`, counts, "must exist" rules,
//! rule references, `some`, and shapes that reach past the type filters
//! (Parameters, every resource, one by name) — with comparisons of every
//! kind against values of every kind. Templates mix those types with others,
//! with resources whose type Guard cannot read, with properties that are
//! numbers, numeric strings, booleans, nulls, lists, maps and intrinsic
//! functions, or missing.
//!
//! Properties: with every shortcut, with narrowing alone, and without any,
//! the verdicts and failures are the same (or all three are errors); and an
//! item is skipped only when Guard on the whole template reports nothing.
//!
//! `PROPTEST_CASES` changes the number of cases (256 by default).

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};

use guard_rules::{Evaluation, FailureKind, GuardData, GuardRules, Options, Status, evaluate_with};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(256),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// --- Templates --------------------------------------------------------------------

/// Types the rules select (the first three), and others.
const TYPES: &[&str] = &[
    "AWS::S3::Bucket",
    "AWS::SQS::Queue",
    "AWS::RDS::DBInstance",
    "AWS::SNS::Topic",
    "AWS::Lambda::Function",
];
const SELECTED: &[&str] = &["AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::RDS::DBInstance"];
const PROPERTIES: &[&str] = &["Size", "Name", "Enabled", "Tags"];

fn property_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-5i64..200).prop_map(Value::from),
        select(vec!["50", "abc", "", "prod", "true"]).prop_map(Value::from),
        Just(json!(["prod", "test"])),
        Just(json!({"a": "prod"})),
        any::<bool>().prop_map(Value::from),
        Just(Value::Null),
        Just(json!({"Ref": "Param"})),
        Just(json!({"Fn::If": ["IsProd", 100, 10]})),
        Just(json!([])),
        Just(json!([1, "a", true])),
        Just(json!([{"Key": "team", "Value": "a"}])),
        Just(json!({"Nested": {"Size": 5}})),
    ]
}

fn resource_type() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        8 => select(TYPES).prop_map(|t| Some(Value::from(t))),
        1 => Just(None),
        1 => Just(Some(json!(5))),
        1 => Just(Some(json!({"Ref": "Type"}))),
    ]
}

/// Only types no rule selects, so that rules can be skipped.
fn other_type() -> impl Strategy<Value = Option<Value>> {
    select(&TYPES[SELECTED.len()..]).prop_map(|t| Some(Value::from(t)))
}

/// Guard registry rules read `Metadata.guard.SuppressedRules` in their filters.
fn metadata() -> impl Strategy<Value = Option<Value>> {
    prop::option::of(prop_oneof![
        Just(json!({"guard": {"SuppressedRules": ["R0", "R1"]}})),
        Just(json!({"guard": {"SuppressedRules": "R0"}})),
        Just(json!({"guard": {"SuppressedRules": []}})),
        Just(json!({"guard": {"SuppressedRules": [5]}})),
        Just(json!({"guard": {"SuppressedRules": [{"Rule": "R0"}]}})),
        Just(json!({"guard": {"SuppressedRules": {"a": "R0"}}})),
        Just(json!({"guard": {"SuppressedRules": null}})),
        Just(json!({"guard": {"suppressed_rules": ["R0"]}})),
        Just(json!({"guard": "none"})),
        Just(json!({"cicd": {"suppress": [{"rule": "X", "reason": "y"}]}})),
    ])
}

fn resource(others_only: bool) -> impl Strategy<Value = Value> {
    let (kind, lowercase) = if others_only {
        (other_type().boxed(), Just(false).boxed())
    } else {
        (resource_type().boxed(), any::<bool>().boxed())
    };
    (
        kind,
        lowercase,
        btree_map(select(PROPERTIES), property_value(), 0..4),
        any::<bool>(),
        metadata(),
    )
        .prop_map(|(kind, lowercase, properties, with_properties, metadata)| {
            let mut resource = Map::new();
            if let Some(metadata) = metadata {
                resource.insert("Metadata".to_string(), metadata);
            }
            if let Some(kind) = kind {
                resource.insert(if lowercase { "type" } else { "Type" }.to_string(), kind);
            }
            if with_properties {
                let properties: Map<String, Value> = properties
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect();
                resource.insert("Properties".to_string(), Value::Object(properties));
            }
            Value::Object(resource)
        })
}

fn template() -> impl Strategy<Value = Value> {
    let resources = prop_oneof![
        3 => vec(resource(false), 0..7),
        1 => vec(resource(true), 1..4),
    ];
    (
        resources,
        prop::option::of(select(vec!["prod", "test"])),
        0..10u8,
    )
        .prop_map(|(resources, environment, shape)| {
            let resources: Map<String, Value> = resources
                .into_iter()
                .enumerate()
                .map(|(i, r)| (format!("R{i}"), r))
                .collect();
            let mut template = Map::new();
            if let Some(environment) = environment {
                template.insert(
                    "Parameters".to_string(),
                    json!({"Env": {"Type": "String", "Default": environment}}),
                );
            }
            // Mostly a Resources object; sometimes none, or not an object.
            match shape {
                0 => {}
                1 => {
                    template.insert("Resources".to_string(), json!([]));
                }
                _ => {
                    template.insert("Resources".to_string(), Value::Object(resources));
                }
            }
            Value::Object(template)
        })
}

// --- Rules ------------------------------------------------------------------------

fn literal() -> impl Strategy<Value = String> {
    prop_oneof![
        (-5i64..200).prop_map(|n| n.to_string()),
        select(vec![
            "'50'", "'abc'", "\"prod\"", "true", "false", "null", "[1, 'a']", "[]"
        ])
        .prop_map(str::to_string),
    ]
}

/// A check on a value, relative to a selected resource: `Properties.X …`.
fn check() -> impl Strategy<Value = String> {
    let property = select(PROPERTIES);
    prop_oneof![
        (
            property.clone(),
            select(vec!["==", "!=", ">", "<=", "in", "not in"]),
            literal()
        )
            .prop_map(|(p, op, value)| {
                let value = if op.ends_with("in") && !value.starts_with('[') {
                    format!("[{value}]")
                } else {
                    value
                };
                format!("Properties.{p} {op} {value}")
            }),
        (
            property,
            select(vec![
                "exists",
                "not exists",
                "empty",
                "!empty",
                "is_string",
                "is_list"
            ])
        )
            .prop_map(|(p, op)| format!("Properties.{p} {op}")),
        Just("Properties exists".to_string()),
    ]
}

/// A filter that selects by type, perhaps with more clauses.
fn type_filter() -> impl Strategy<Value = String> {
    let one = select(SELECTED);
    prop_oneof![
        2 => one.clone().prop_map(|t| format!("Type == '{t}'")),
        1 => (one.clone(), one.clone()).prop_map(|(a, b)| format!("Type in ['{a}', '{b}']")),
        1 => (one.clone(), one.clone()).prop_map(|(a, b)| format!("Type == '{a}' or Type == \"{b}\"")),
        3 => (one.clone(), check()).prop_map(|(t, c)| format!("Type == '{t}'\n        {c}")),
        // As Guard registry rules write them.
        2 => (one.clone(), select(vec!["R0", "R1"]), select(vec!["!=", "==", "in"])).prop_map(|(t, rule, op)| {
            let value = if op == "in" { format!("['{rule}']") } else { format!("\"{rule}\"") };
            format!(
                "Type == '{t}'\n        Metadata.guard.SuppressedRules not exists or\n        \
                 Metadata.guard.SuppressedRules.* {op} {value}"
            )
        }),
        1 => (one.clone(), select(vec!["== /^pr/", "!= 'prod'", "in ['prod', 'x']", "== 'prod'"]))
            .prop_map(|(t, c)| format!("Type == '{t}'  Properties.Name {c}")),
        1 => one.prop_map(|t| format!("Type == '{t}'  Properties.Tags[*].Key != 'team'")),
    ]
}

/// A whole rule named `name`, using the file's `let` `%selected` (a type
/// filter) and perhaps the file's first rule, `first`.
fn rule(name: String, first: String) -> impl Strategy<Value = String> {
    let body = prop_oneof![
        // Confined shapes.
        (check(), any::<bool>()).prop_map(|(c, when)| {
            let when = if when { " when %selected !empty" } else { "" };
            format!("{when} {{ %selected.{c} }}")
        }),
        (type_filter(), check()).prop_map(|(f, c)| format!(" {{ Resources.*[ {f} ].{c} }}")),
        (type_filter(), vec(check(), 1..3))
            .prop_map(|(f, cs)| format!(" {{ Resources.*[ {f} ] {{ {} }} }}", cs.join("\n"))),
        (
            select(SELECTED),
            vec(check(), 1..3),
            prop::option::of(check())
        )
            .prop_map(|(t, cs, when)| {
                let when = when.map(|w| format!(" when {w}")).unwrap_or_default();
                format!(" {{ {t}{when} {{ {} }} }}", cs.join("\n"))
            }),
        (select(SELECTED), select(vec!["!empty", "empty"]))
            .prop_map(|(t, op)| format!(" {{ Resources.*[ Type == '{t}' ] {op} }}")),
        (select(SELECTED), select(vec!["<= 1", ">= 1", "== 0"])).prop_map(|(t, op)| format!(
            " {{ let n = count(Resources.*[ Type == '{t}' ])\n    %n {op} }}"
        )),
        (type_filter(), check()).prop_map(|(f, c)| format!(" {{ some Resources.*[ {f} ].{c} }}")),
        (check(), check()).prop_map(|(c, d)| format!(" {{ %selected {{ {c} or {d} }} }}")),
        // Shapes that reach past the filters.
        Just(" when Parameters.Env.Default == 'prod' { %selected.Properties exists }".to_string()),
        check().prop_map(|c| format!(" {{ Resources.*.{c} }}")),
        check().prop_map(|c| format!(" {{ Resources.R0.{c} }}")),
        Just(" { this.Resources exists }".to_string()),
    ];
    (body, any::<bool>()).prop_map(move |(body, refer)| {
        // Perhaps a reference to the first rule, when the body has no
        // condition of its own.
        if refer && name != first && !body.starts_with(" when ") {
            format!("rule {name} when {first}{body}")
        } else {
            format!("rule {name}{body}")
        }
    })
}

fn rules_text() -> impl Strategy<Value = String> {
    named_rules_text("R")
}

/// A rules file whose rules are named `{prefix}0`, `{prefix}1`, …
fn named_rules_text(prefix: &'static str) -> impl Strategy<Value = String> {
    (type_filter(), 1..4usize)
        .prop_flat_map(move |(filter, n)| {
            let rules: Vec<_> = (0..n)
                .map(|i| rule(format!("{prefix}{i}"), format!("{prefix}0")))
                .collect();
            (Just(filter), rules)
        })
        .prop_map(|(filter, rules)| {
            format!(
                "let selected = Resources.*[ {filter} ]\n\n{}\n",
                rules.join("\n\n")
            )
        })
}

// --- Properties -------------------------------------------------------------------

fn non_compliant(evaluation: &Evaluation) -> Vec<&guard_rules::GuardFailure> {
    evaluation
        .failures
        .iter()
        .filter(|f| f.kind == FailureKind::NotCompliant)
        .collect()
}

const NARROW_ONLY: Options = Options {
    skip_absent_types: false,
    ..Options::DEFAULT
};

proptest! {
    #![proptest_config(config())]

    #[test]
    fn shortcuts_never_change_what_guard_says(text in rules_text(), template in template()) {
        let rules = GuardRules::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let data = GuardData::from_json(&template).unwrap();
        let whole = evaluate_with(&rules, &data, Options::REFERENCE);
        let narrowed = evaluate_with(&rules, &data, NARROW_ONLY);
        let all = evaluate_with(&rules, &data, Options::DEFAULT);

        // A skip is exactly the narrowed evaluation.
        match (&all, &narrowed) {
            (Ok(all), Ok(narrowed)) => {
                prop_assert_eq!(&all.verdicts, &narrowed.verdicts, "{}\n{}", text, template);
                prop_assert_eq!(&all.failures, &narrowed.failures, "{}\n{}", text, template);
            }
            (Err(_), Err(_)) => {}
            (all, narrowed) => prop_assert!(
                all.as_ref().is_ok_and(|a| !a.skipped) && narrowed.is_err() == all.is_err(),
                "skip {all:?}, narrowed {narrowed:?}\n{text}\n{template}"
            ),
        }

        // Narrowing is exact.
        match (&whole, &narrowed) {
            (Ok(whole), Ok(narrowed)) => {
                prop_assert_eq!(&whole.verdicts, &narrowed.verdicts, "{}\n{}", text, template);
                prop_assert_eq!(&whole.failures, &narrowed.failures, "{}\n{}", text, template);
            }
            (Err(_), Err(_)) => {}
            (whole, narrowed) => {
                return Err(TestCaseError::fail(format!(
                    "whole {whole:?}, narrowed {narrowed:?}\n{text}\n{template}"
                )));
            }
        }
    }

    /// Many items at once give what each gives alone, whether their rule
    /// names clash (`A…` twice) or not.
    #[test]
    fn items_evaluated_together_are_evaluated_alone(
        texts in (named_rules_text("A"), named_rules_text("B"), named_rules_text("C"), named_rules_text("A")),
        template in template(),
    ) {
        let (a, b, c, again) = texts;
        let items: Vec<GuardRules> = [a, b, c, again]
            .iter()
            .map(|text| GuardRules::parse(text).unwrap())
            .collect();
        let refs: Vec<&GuardRules> = items.iter().collect();
        let data = GuardData::from_json(&template).unwrap();
        for options in [Options::DEFAULT, Options::REFERENCE] {
            let together = guard_rules::evaluate_all_with(&refs, &data, options);
            for (rules, result) in items.iter().zip(&together) {
                let alone = evaluate_with(rules, &data, options);
                prop_assert_eq!(result, &alone, "{}\n{}", rules.text(), template);
            }
        }
    }

    /// A skip happens only when Guard, shown the whole template, has no
    /// failure of any kind to report.
    #[test]
    fn a_skipped_item_had_nothing_to_report(text in rules_text(), template in template()) {
        let rules = GuardRules::parse(&text).unwrap();
        let data = GuardData::from_json(&template).unwrap();
        if rules.skips(&data) {
            let whole = evaluate_with(&rules, &data, Options::REFERENCE)
                .map_err(|e| TestCaseError::fail(format!("{e}\n{text}\n{template}")))?;
            prop_assert!(whole.failures.is_empty(), "{:?}\n{}\n{}", whole.failures, text, template);
            prop_assert!(whole.verdicts.iter().all(|v| v.status != Status::Fail));
        }
    }
}

/// The generators reach every case the properties are about.
#[test]
fn the_generators_cover_skips_narrowing_and_failures() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let (mut skipped, mut narrowed, mut anything, mut failures, mut undecided) = (0, 0, 0, 0, 0);
    let mut not_narrowed = 0;
    for _ in 0..300 {
        let text = rules_text().new_tree(&mut runner).unwrap().current();
        let template = template().new_tree(&mut runner).unwrap().current();
        let rules = GuardRules::parse(&text).unwrap();
        let data = GuardData::from_json(&template).unwrap();
        if rules.narrows_on(&data) {
            narrowed += 1;
        } else if rules.selected_types().is_some() {
            // Confined, but another type holds what a filter clause reads.
            not_narrowed += 1;
        } else {
            anything += 1;
        }
        if let Ok(evaluation) = evaluate_with(&rules, &data, Options::DEFAULT) {
            skipped += usize::from(evaluation.skipped);
            failures += usize::from(!non_compliant(&evaluation).is_empty());
            undecided += usize::from(
                evaluation
                    .failures
                    .iter()
                    .any(|f| f.kind == FailureKind::Undecided),
            );
        }
    }
    assert!(skipped >= 15, "skipped {skipped}");
    assert!(narrowed >= 30, "narrowed {narrowed}");
    assert!(
        not_narrowed >= 3,
        "confined but not narrowed {not_narrowed}"
    );
    assert!(anything >= 30, "selected types unknown {anything}");
    assert!(failures >= 60, "with failures {failures}");
    assert!(undecided >= 3, "with undecided rules {undecided}");
}
