//! The template, prepared once for every rules file evaluated on it, and
//! the part of it each rules file is shown.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde_json::Value;

use crate::GuardError;
use crate::analysis::{FilterRead, Reach};

/// Deepest nesting of objects and arrays handed to Guard. Guard's value code
/// recurses once per level; this keeps it well within a thread's stack, just
/// below the template parser's own cap (128), so a template between the two
/// is refused here rather than evaluated.
pub const MAX_DATA_DEPTH: usize = 120;

/// What rules confined to some resource types are shown of a template
/// without them: one resource of a type nothing selects, and nothing else.
/// Its id is not a resource of the template, so nothing is ever reported
/// against it.
pub(crate) const PLACEHOLDER: &str =
    r#"{"Resources":{"GuardRulesPlaceholder":{"Type":"GuardRules::NotSelected"}}}"#;

/// A template prepared for Guard: its JSON text, each top-level section's
/// and each resource's text, resources indexed by type, so that each rules
/// file is handed only what it can read (see [`crate::evaluate`]).
///
/// Plain data (`Send + Sync`): build it once, share it between threads.
#[derive(Debug, Clone)]
pub struct GuardData {
    whole: String,
    /// Top-level keys and their JSON texts, in template order, when the
    /// template is an object.
    sections: Option<Vec<(String, String)>>,
    /// Present when the template has a `Resources` object.
    resources: Option<ResourceIndex>,
}

#[derive(Debug, Clone)]
struct ResourceIndex {
    /// Logical id, and the resource's JSON text, in template order.
    entries: Vec<(String, String)>,
    /// Each resource (same order), with its type when it is a string.
    values: Vec<(Option<String>, Value)>,
    ids: HashSet<String>,
    by_type: HashMap<String, Vec<usize>>,
    /// Resources whose `Type` is missing or not a string: every narrowed
    /// view includes them, and their presence forbids skipping, because no
    /// analysis of the rules can say whether a filter selects them.
    untyped: Vec<usize>,
}

/// What a rules file is shown of a template; two rules files with the same
/// view are evaluated on the same text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum View {
    Whole,
    Part {
        /// Top-level sections shown whole (indices, in template order).
        sections: Vec<usize>,
        resources: Resources,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Resources {
    /// No `Resources` key (the rules do not read resources by type).
    Absent,
    /// These resources (indices, in template order).
    Chosen(Vec<usize>),
    /// None of the selected types: [`PLACEHOLDER`]'s resource.
    Placeholder,
}

impl GuardData {
    /// Prepares a template (the parsed template as a JSON value: the form
    /// the rule engine hands Guard).
    pub fn from_json(template: &Value) -> Result<GuardData, GuardError> {
        let depth = depth(template);
        if depth > MAX_DATA_DEPTH {
            return Err(GuardError::Data(format!(
                "it nests {depth} levels deep; Guard reads at most {MAX_DATA_DEPTH}"
            )));
        }
        let whole = to_json(template)?;
        let sections = match template {
            Value::Object(map) => Some(
                map.iter()
                    .map(|(key, value)| Ok((key.clone(), to_json(value)?)))
                    .collect::<Result<Vec<_>, GuardError>>()?,
            ),
            _ => None,
        };
        let resources = match template.get("Resources") {
            Some(Value::Object(map)) => {
                let mut index = ResourceIndex {
                    entries: Vec::with_capacity(map.len()),
                    values: Vec::with_capacity(map.len()),
                    ids: HashSet::with_capacity(map.len()),
                    by_type: HashMap::new(),
                    untyped: Vec::new(),
                };
                for (position, (id, resource)) in map.iter().enumerate() {
                    let kind = match resource.get("Type") {
                        Some(Value::String(t)) => {
                            index.by_type.entry(t.clone()).or_default().push(position);
                            Some(t.clone())
                        }
                        _ => {
                            index.untyped.push(position);
                            None
                        }
                    };
                    index.values.push((kind, resource.clone()));
                    index.entries.push((id.clone(), to_json(resource)?));
                    index.ids.insert(id.clone());
                }
                Some(index)
            }
            _ => None,
        };
        Ok(GuardData {
            whole,
            sections,
            resources,
        })
    }

    /// The whole template as Guard reads it.
    pub fn json(&self) -> &str {
        &self.whole
    }

    /// The number of resources, for callers that report it.
    pub fn resource_count(&self) -> usize {
        self.resources
            .as_ref()
            .map_or(0, |index| index.entries.len())
    }

    /// Whether a resource of one of `types` (or of no readable type) is in
    /// the template: when not, rules that read only resources of `types`
    /// are shown `PLACEHOLDER`. `true` when the template has no
    /// resources, or no `Resources` object: Guard is then shown it whole.
    pub fn has_any_type(&self, types: &BTreeSet<String>) -> bool {
        match &self.resources {
            None => true,
            Some(index) => {
                index.entries.is_empty()
                    || !index.untyped.is_empty()
                    || types.iter().any(|t| index.by_type.contains_key(t))
            }
        }
    }

    /// What rules that can read `reach` are shown of this template: the
    /// sections they read (every top-level key that matches one as loosely
    /// as Guard's key lookup, which falls back to other casings), and, when
    /// they select resources by type, a `Resources` object with the
    /// resources of those types and those of no readable type, in template
    /// order, or [`PLACEHOLDER`]'s resource when there are none. Whole when
    /// a section read is `Resources` itself, when the template has no
    /// `Resources` object to narrow, or when it is not an object.
    pub(crate) fn view(&self, reach: &Reach) -> View {
        let Some(sections) = &self.sections else {
            return View::Whole;
        };
        let read: HashSet<String> = reach.sections.iter().map(|s| loose(s)).collect();
        let resources_read_whole = read.contains("resources");
        let mut shown: Vec<usize> = (0..sections.len())
            .filter(|&i| read.contains(&loose(&sections[i].0)))
            .collect();
        let resources = if reach.types.is_empty() || resources_read_whole {
            Resources::Absent
        } else {
            let (Some(index), Some(at)) = (
                &self.resources,
                sections.iter().position(|(key, _)| key == "Resources"),
            ) else {
                // Guard would look for `Resources` in other casings.
                return View::Whole;
            };
            let mut chosen: Vec<usize> = reach
                .types
                .iter()
                .filter_map(|t| index.by_type.get(t))
                .flatten()
                .chain(&index.untyped)
                .copied()
                .collect();
            chosen.sort_unstable();
            if index.entries.is_empty() || chosen.len() == index.entries.len() {
                shown.push(at);
                shown.sort_unstable();
                Resources::Absent
            } else if chosen.is_empty() {
                Resources::Placeholder
            } else {
                Resources::Chosen(chosen)
            }
        };
        if shown.len() == sections.len() {
            return View::Whole;
        }
        View::Part {
            sections: shown,
            resources,
        }
    }

    /// The JSON text of a view.
    pub(crate) fn text(&self, view: &View) -> String {
        let (
            View::Part {
                sections,
                resources,
            },
            Some(all),
        ) = (view, &self.sections)
        else {
            return self.whole.clone();
        };
        if sections.is_empty() && *resources == Resources::Placeholder {
            return PLACEHOLDER.to_string();
        }
        let mut text = String::from("{");
        let mut push = |key: &str, json: &str| {
            if text.len() > 1 {
                text.push(',');
            }
            // A key is a JSON string like any other.
            text.push_str(&Value::String(key.to_string()).to_string());
            text.push(':');
            text.push_str(json);
        };
        for &i in sections {
            push(&all[i].0, &all[i].1);
        }
        match (resources, &self.resources) {
            (Resources::Chosen(chosen), Some(index)) => {
                let mut map = String::from("{");
                for (n, &i) in chosen.iter().enumerate() {
                    let (id, json) = &index.entries[i];
                    if n > 0 {
                        map.push(',');
                    }
                    map.push_str(&Value::String(id.clone()).to_string());
                    map.push(':');
                    map.push_str(json);
                }
                map.push('}');
                push("Resources", &map);
            }
            (Resources::Placeholder, _) => {
                push(
                    "Resources",
                    r#"{"GuardRulesPlaceholder":{"Type":"GuardRules::NotSelected"}}"#,
                );
            }
            _ => {}
        }
        text.push('}');
        text
    }

    /// Whether a resource of a type other than `types` holds something one
    /// of `reads` might not decide: anything at its path, unless the read
    /// is decided by strings and that is all there is. Keys match as Guard's
    /// key lookup falls back to other casings (`size`, `SIZE`, `si-ze` for
    /// `Size`); a list or a scalar on the way counts as held.
    pub(crate) fn others_trip(&self, types: &BTreeSet<String>, reads: &[FilterRead]) -> bool {
        let Some(index) = &self.resources else {
            return false;
        };
        index.values.iter().any(|(kind, resource)| {
            kind.as_ref().is_some_and(|t| !types.contains(t))
                && reads
                    .iter()
                    .any(|read| trips(resource, &read.path, read.strings_decide))
        })
    }

    /// The logical id a report path (`/Resources/<id>/…`) points into, when
    /// it points into a resource of this template.
    pub(crate) fn resource_at(&self, path: &str) -> Option<&str> {
        let index = self.resources.as_ref()?;
        let rest = path.strip_prefix("/Resources/")?;
        // Guard joins path segments with '/' without escaping them, so an id
        // is the shortest prefix of whole segments that is a resource.
        let mut end = 0;
        loop {
            end = match rest[end..].find('/') {
                Some(slash) => end + slash,
                None => rest.len(),
            };
            let candidate = &rest[..end];
            if let Some(id) = index.ids.get(candidate) {
                return Some(id.as_str());
            }
            if end == rest.len() {
                return None;
            }
            end += 1;
        }
    }
}

fn trips(value: &Value, path: &[String], strings_decide: Option<usize>) -> bool {
    let Some((key, rest)) = path.split_first() else {
        return match strings_decide {
            Some(wildcards) => !strings_only(value, wildcards),
            None => true,
        };
    };
    match value {
        Value::Object(map) => {
            let wanted = loose(key);
            map.iter()
                .any(|(k, v)| loose(k) == wanted && trips(v, rest, strings_decide))
        }
        _ => true,
    }
}

/// A string, or a list of them, or (through a wildcard) a list or map of
/// such values.
fn strings_only(value: &Value, wildcards: usize) -> bool {
    match value {
        Value::String(_) => true,
        Value::Array(items) if items.iter().all(Value::is_string) => true,
        Value::Array(items) if wildcards > 0 => {
            items.iter().all(|item| strings_only(item, wildcards - 1))
        }
        Value::Object(map) if wildcards > 0 => {
            map.values().all(|item| strings_only(item, wildcards - 1))
        }
        _ => false,
    }
}

/// A key as Guard's casing converters (camel, snake, kebab, title, …) could
/// find it: lowercase letters and digits only.
fn loose(key: &str) -> String {
    key.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// `value` as JSON text Guard can read: Guard reads its data as YAML,
/// which refuses some characters JSON writes as they are (DEL, the C1
/// controls but NEL, U+FFFE and U+FFFF), so those are written escaped.
/// They can only be in strings: JSON's own syntax is plain ASCII.
fn to_json(value: &Value) -> Result<String, GuardError> {
    let text = serde_json::to_string(value).map_err(|e| GuardError::Data(e.to_string()))?;
    if !text.chars().any(not_yaml_printable) {
        return Ok(text);
    }
    let mut escaped = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if not_yaml_printable(c) {
            escaped.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            escaped.push(c);
        }
    }
    Ok(escaped)
}

/// A character JSON writes as it is that YAML does not accept written so
/// (YAML 1.2 `c-printable`, less what JSON escapes itself).
fn not_yaml_printable(c: char) -> bool {
    matches!(c, '\u{7f}'..='\u{84}' | '\u{86}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}')
}

/// Nesting depth of objects and arrays (a scalar is 0), without recursion.
fn depth(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((value, level)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match value {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(map) => Box::new(map.values()),
            _ => continue,
        };
        deepest = deepest.max(level + 1);
        stack.extend(children.map(|child| (child, level + 1)));
    }
    deepest
}
