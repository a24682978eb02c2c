//! A template every rule of the standard policy pack reads, of any size:
//! the test cases of every service file (`crates/policy-pack/standard/
//! tests/*.yaml`: their resources, parameters, mappings and conditions),
//! copied until the template is as large as asked, each copy's names given
//! a suffix of its own (and the references to them rewritten), so that a
//! service file added to the pack is measured with its cases, without a
//! change here.
//!
//! Texts written out (a bucket's name, a policy's `Bucket: logs`) stay as
//! they are: copies share them, which gives the relation kind more to match
//! than a real template would.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Map, Value};

/// The sections of a case that hold names the template's other parts use.
const NAMED: [(&str, &str); 4] = [
    ("parameters", "Parameters"),
    ("mappings", "Mappings"),
    ("conditions", "Conditions"),
    ("resources", "Resources"),
];

/// A JSON template of at most `size` bytes (written compactly), made of
/// the test cases in `cases_dir` (each at least once, whatever the size),
/// and its number of resources.
pub fn template(cases_dir: &Path, size: usize) -> Result<(String, usize), String> {
    let cases = cases(cases_dir)?;
    if cases.is_empty() {
        return Err(format!("no test cases in {}", cases_dir.display()));
    }
    let mut sections: Vec<Map<String, Value>> = vec![Map::new(); NAMED.len()];
    // What the sections' keys and the template's first key take.
    let mut written = 128;
    let mut resources = 0;
    'copies: for copy in 0.. {
        for (n, case) in cases.iter().enumerate() {
            let suffix = format!("C{copy}x{n}");
            let names: HashMap<String, String> = NAMED
                .iter()
                .filter_map(|(key, _)| case.get(*key).and_then(Value::as_object))
                .flat_map(|section| section.keys())
                .map(|name| (name.clone(), format!("{name}{suffix}")))
                .collect();
            let mut entries = Vec::new();
            let mut bytes = 0;
            for (at, (key, _)) in NAMED.iter().enumerate() {
                let Some(section) = case.get(*key).and_then(Value::as_object) else {
                    continue;
                };
                for (name, value) in section {
                    let value = renamed(value, &names);
                    let name = names[name].clone();
                    // The key, its quotes, colon and comma, and the value.
                    bytes += name.len() + 4 + value.to_string().len();
                    entries.push((at, *key == "resources", name, value));
                }
            }
            // Every case at least once, then as many as fit.
            if copy > 0 && written + bytes > size {
                break 'copies;
            }
            written += bytes;
            for (at, resource, name, value) in entries {
                resources += usize::from(resource);
                sections[at].insert(name, value);
            }
        }
    }
    let mut template = Map::new();
    template.insert("AWSTemplateFormatVersion".into(), "2010-09-09".into());
    for ((_, section), values) in NAMED.iter().zip(sections) {
        if !values.is_empty() {
            template.insert((*section).into(), Value::Object(values));
        }
    }
    let text = serde_json::to_string(&Value::Object(template)).map_err(|e| e.to_string())?;
    Ok((text, resources))
}

/// Every case of every test file in `dir`, in file order.
fn cases(dir: &Path) -> Result<Vec<Value>, String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let text =
            std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let value = template_rules::parse_document(&text)
            .map_err(|e| format!("{}: {e}", file.display()))?;
        match value {
            Value::Array(cases) => out.extend(cases),
            _ => return Err(format!("{}: not a list of cases", file.display())),
        }
    }
    Ok(out)
}

/// `value` with every reference to a name of `names` (`Ref`, `Fn::GetAtt`,
/// `${Name}` in `Fn::Sub`, `Fn::FindInMap`'s map, a condition's name in
/// `Fn::If` and `Condition`, `DependsOn`) made to its new name.
fn renamed(value: &Value, names: &HashMap<String, String>) -> Value {
    let name = |v: &Value| match v.as_str().and_then(|s| names.get(s)) {
        Some(new) => Value::String(new.clone()),
        None => renamed(v, names),
    };
    match value {
        Value::Array(items) => Value::Array(items.iter().map(|v| renamed(v, names)).collect()),
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, v) in map {
                let v = match (key.as_str(), v) {
                    ("Ref" | "Condition", _) => name(v),
                    ("DependsOn", Value::Array(items)) => {
                        Value::Array(items.iter().map(name).collect())
                    }
                    ("DependsOn", _) => name(v),
                    ("Fn::GetAtt", Value::String(text)) => match text.split_once('.') {
                        Some((id, attribute)) if names.contains_key(id) => {
                            Value::String(format!("{}.{attribute}", names[id]))
                        }
                        _ => v.clone(),
                    },
                    ("Fn::GetAtt" | "Fn::FindInMap" | "Fn::If", Value::Array(items)) => {
                        let mut items = items.iter();
                        let first = items.next().map(name);
                        Value::Array(
                            first
                                .into_iter()
                                .chain(items.map(|v| renamed(v, names)))
                                .collect(),
                        )
                    }
                    ("Fn::Sub", Value::String(text)) => Value::String(sub(text, names)),
                    ("Fn::Sub", Value::Array(items)) => Value::Array(
                        items
                            .iter()
                            .enumerate()
                            .map(|(i, v)| match (i, v) {
                                (0, Value::String(text)) => Value::String(sub(text, names)),
                                _ => renamed(v, names),
                            })
                            .collect(),
                    ),
                    _ => renamed(v, names),
                };
                out.insert(key.clone(), v);
            }
            Value::Object(out)
        }
        _ => value.clone(),
    }
}

/// An `Fn::Sub` pattern with `${Name}` and `${Name.Attribute}` renamed.
fn sub(text: &str, names: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start + 2]);
        rest = &rest[start + 2..];
        let Some(end) = rest.find('}') else { break };
        let inner = &rest[..end];
        let (id, attribute) = match inner.split_once('.') {
            Some((id, attribute)) => (id, Some(attribute)),
            None => (inner, None),
        };
        match (names.get(id), attribute) {
            (Some(new), Some(attribute)) => out.push_str(&format!("{new}.{attribute}")),
            (Some(new), None) => out.push_str(new),
            (None, _) => out.push_str(inner),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use template_rules::{Template, Thresholds, evaluate};

    /// One copy of the cases is a template on which every rule of the
    /// pack fires (so the bench measures every rule doing its work), and
    /// more copies are larger ones.
    #[test]
    fn every_rule_of_the_pack_fires_on_one_copy_of_its_cases() {
        let cases = harness::workspace_root().join("crates/policy-pack/standard/tests");
        let (text, resources) = template(&cases, 0).unwrap();
        let parsed = Template::parse(text.as_bytes()).unwrap();
        assert_eq!(parsed.resources.len(), resources);
        let pack = policy_pack::Pack::standard().rules();
        let report = evaluate(&parsed, &pack, &Thresholds::default()).unwrap();
        for rule in pack.active() {
            assert!(
                report
                    .findings
                    .iter()
                    .any(|f| f.rule == rule.id && !f.is_unresolved()),
                "{} finds nothing on its own cases",
                rule.id
            );
        }
        let (larger, more) = template(&cases, 3 * text.len()).unwrap();
        assert!(larger.len() <= 3 * text.len() && larger.len() > 2 * text.len());
        assert!(more > 2 * resources);
    }

    #[test]
    fn references_follow_the_names_they_point_to() {
        let names: HashMap<String, String> = [("Bucket", "BucketC1"), ("IsProd", "IsProdC1")]
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .into();
        let value = json!({
            "Bucket": {"Ref": "Bucket"},
            "Region": {"Ref": "AWS::Region"},
            "Arn": {"Fn::GetAtt": ["Bucket", "Arn"]},
            "Short": {"Fn::GetAtt": "Bucket.Arn"},
            "Sub": {"Fn::Sub": "${Bucket.Arn}/* ${Other} ${!Bucket} ${AWS::Region}"},
            "SubVars": {"Fn::Sub": ["${Bucket}-${Var}", {"Var": {"Ref": "Bucket"}}]},
            "If": {"Fn::If": ["IsProd", {"Ref": "Bucket"}, "x"]},
            "DependsOn": ["Bucket", "Other"],
            "Condition": "IsProd",
        });
        assert_eq!(
            renamed(&value, &names),
            json!({
                "Bucket": {"Ref": "BucketC1"},
                "Region": {"Ref": "AWS::Region"},
                "Arn": {"Fn::GetAtt": ["BucketC1", "Arn"]},
                "Short": {"Fn::GetAtt": "BucketC1.Arn"},
                "Sub": {"Fn::Sub": "${BucketC1.Arn}/* ${Other} ${!Bucket} ${AWS::Region}"},
                "SubVars": {"Fn::Sub": ["${BucketC1}-${Var}", {"Var": {"Ref": "BucketC1"}}]},
                "If": {"Fn::If": ["IsProdC1", {"Ref": "BucketC1"}, "x"]},
                "DependsOn": ["BucketC1", "Other"],
                "Condition": "IsProdC1",
            })
        );
    }
}
