//! The template, prepared once for every rules file evaluated on it.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};

use serde_json::Value;

use crate::GuardError;

/// Deepest nesting of objects and arrays handed to Guard. Guard reads its
/// input with serde_json, whose recursion limit is 128 levels; past it,
/// Guard silently retries the text as YAML. Refusing here keeps Guard on
/// the JSON path (and its recursive value code well within a thread's
/// stack). The template parser's own cap is 128 as well, so a template
/// between the two is refused here, never evaluated differently.
pub const MAX_DATA_DEPTH: usize = 120;

/// What rules confined to some types are shown of a template without
/// them: one resource of a type nothing selects, and nothing else. Its id is
/// not a resource of the template, so nothing is ever reported against it.
pub(crate) const PLACEHOLDER: &str =
    r#"{"Resources":{"GuardRulesPlaceholder":{"Type":"GuardRules::NotSelected"}}}"#;

/// A template prepared for Guard: its JSON text, and each resource's text
/// indexed by type, so that a rules file confined to a few resource types
/// is handed just those resources (see [`crate::evaluate`]).
///
/// Plain data (`Send + Sync`): build it once, share it between threads.
#[derive(Debug, Clone)]
pub struct GuardData {
    whole: String,
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
        Ok(GuardData { whole, resources })
    }

    /// The whole template as Guard reads it.
    pub fn json(&self) -> &str {
        &self.whole
    }

    /// Whether a resource of one of `types` (or of no readable type) is in
    /// the template: when not, rules confined to `types` are shown
    /// [`PLACEHOLDER`]. `true` when the template has no resources, or no
    /// `Resources` object: Guard is then shown the whole template.
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

    /// Whether a resource of a type other than `types` holds something at
    /// one of `paths` (key paths from the resource; the empty path holds
    /// everything). Keys match as Guard's key lookup falls back to other
    /// casings (`size`, `SIZE`, `si-ze` for `Size`); a list or a scalar on
    /// the way counts as holding something.
    pub(crate) fn others_hold(&self, types: &BTreeSet<String>, paths: &[Vec<String>]) -> bool {
        let Some(index) = &self.resources else {
            return false;
        };
        index.values.iter().any(|(kind, resource)| {
            kind.as_ref().is_some_and(|t| !types.contains(t))
                && paths.iter().any(|path| holds(resource, path))
        })
    }

    /// The number of resources, for callers that report it.
    pub fn resource_count(&self) -> usize {
        self.resources
            .as_ref()
            .map_or(0, |index| index.entries.len())
    }

    /// The text to hand Guard for rules confined to `types`: a template
    /// with only a `Resources` object, holding the resources of those types
    /// and those of no readable type, in template order. When there are
    /// none, [`PLACEHOLDER`]: a resource of a type nothing selects, so that
    /// `Resources.*` is not empty where the template's is not, and the text
    /// is exactly the one a skip stands for. The whole template when it has
    /// no `Resources` object, or no resources.
    pub(crate) fn narrowed(&self, types: &BTreeSet<String>) -> Cow<'_, str> {
        let Some(index) = &self.resources else {
            return Cow::Borrowed(&self.whole);
        };
        if index.entries.is_empty() {
            return Cow::Borrowed(&self.whole);
        }
        let mut chosen: Vec<usize> = types
            .iter()
            .filter_map(|t| index.by_type.get(t))
            .flatten()
            .chain(&index.untyped)
            .copied()
            .collect();
        if chosen.is_empty() {
            return Cow::Borrowed(PLACEHOLDER);
        }
        if chosen.len() == index.entries.len() {
            return Cow::Borrowed(&self.whole);
        }
        chosen.sort_unstable();
        let size = chosen
            .iter()
            .map(|&i| index.entries[i].0.len() + index.entries[i].1.len() + 4)
            .sum::<usize>();
        let mut text = String::with_capacity(size + 20);
        text.push_str("{\"Resources\":{");
        for (n, &i) in chosen.iter().enumerate() {
            let (id, json) = &index.entries[i];
            if n > 0 {
                text.push(',');
            }
            // An id is a JSON string like any other key.
            text.push_str(&Value::String(id.clone()).to_string());
            text.push(':');
            text.push_str(json);
        }
        text.push_str("}}");
        Cow::Owned(text)
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

fn holds(value: &Value, path: &[String]) -> bool {
    let Some((key, rest)) = path.split_first() else {
        return true;
    };
    match value {
        Value::Object(map) => {
            let wanted = loose(key);
            map.iter()
                .any(|(k, v)| loose(k) == wanted && holds(v, rest))
        }
        _ => true,
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

fn to_json(value: &Value) -> Result<String, GuardError> {
    serde_json::to_string(value).map_err(|e| GuardError::Data(e.to_string()))
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
