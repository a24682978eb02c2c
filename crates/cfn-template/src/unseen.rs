//! What CloudFormation will add to a template that the template does not
//! show, and so no rule can look at: a macro it runs on the template first
//! (`Transform:` other than `AWS::LanguageExtensions`, which is read here;
//! SAM's `AWS::Serverless-2016-10-31` too: its resources are not expanded),
//! `Fn::Transform` anywhere in it (`AWS::Include` of a file in S3, or a
//! macro; written as a key of `Resources` too), a nested stack or a module,
//! whose resources are in a template elsewhere. Callers say so:
//! template-rules makes each an unresolved finding on the template.

use crate::display::short;
use crate::node::Node;
use crate::template::Template;

/// The transforms whose effect this crate reads itself.
pub const READ_TRANSFORMS: &[&str] = &["AWS::LanguageExtensions"];

/// SAM's transform.
const SERVERLESS: &str = "AWS::Serverless-2016-10-31";

/// Places of `Fn::Transform` named one by one; past them, counted.
const NAMED_PLACES: usize = 5;

/// Something of the stack CloudFormation will create that the template
/// does not show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unseen {
    /// The line it is written on (1 when not known).
    pub line: usize,
    /// What is not seen, for a person: "nested stack Child
    /// (AWS::CloudFormation::Stack): its template
    /// (https://…/child.yaml) is not read".
    pub what: String,
}

/// What `template` leaves unseen, in the order it is written: its macros,
/// then its nested stacks and modules, then its `Fn::Transform`s.
pub fn unseen(template: &Template) -> Vec<Unseen> {
    let mut out = Vec::new();
    let top = template.transform_line.unwrap_or(1);
    for (name, location) in transforms(template) {
        if READ_TRANSFORMS.contains(&name.as_str()) {
            continue;
        }
        let name = short(&name);
        let what = if name == SERVERLESS {
            let serverless: Vec<&str> = template
                .resources
                .iter()
                .filter(|r| r.resource_type.starts_with("AWS::Serverless::"))
                .map(|r| r.logical_id.as_str())
                .collect();
            format!(
                "Transform {SERVERLESS} (SAM) is not run here: the resources it makes of {} (functions, roles, APIs, tables...) are not seen by the rules",
                listed(&serverless, "the template's AWS::Serverless resources")
            )
        } else {
            match location {
                Some(location) => format!(
                    "Transform {name} ({}): what it adds to the template is not seen",
                    short(&location)
                ),
                None => format!(
                    "Transform {name} is a macro not run here: what it makes of the template is not seen"
                ),
            }
        };
        out.push(Unseen { line: top, what });
    }
    for resource in &template.resources {
        let id = short(&resource.logical_id);
        let kind = short(&resource.resource_type);
        let property = |name: &str| {
            let value = resource.properties().and_then(|p| p.get(name))?;
            Some(match (value.as_str(), text_at(value, "ApplicationId")) {
                (Some(location), _) => short(location).into_owned(),
                // An application of the Serverless Application Repository.
                (None, Some(application)) => match text_at(value, "SemanticVersion") {
                    Some(version) => format!("{application} version {version}"),
                    None => application.into_owned(),
                },
                (None, None) => "computed".to_string(),
            })
        };
        let what = match resource.resource_type.as_str() {
            "AWS::CloudFormation::Stack" => format!(
                "nested stack {id} ({kind}): its template ({}) is not read",
                property("TemplateURL").unwrap_or_else(|| "no TemplateURL".into())
            ),
            "AWS::Serverless::Application" => format!(
                "nested application {id} ({kind}): its template ({}) is not read",
                property("Location").unwrap_or_else(|| "no Location".into())
            ),
            module if module.ends_with("::MODULE") => {
                format!("module {id} ({kind}): the resources it makes are not seen")
            }
            _ => continue,
        };
        out.push(Unseen {
            line: resource.line,
            what,
        });
    }
    out.extend(transform_calls(template));
    out
}

/// The top-level transforms, each with the `Location` its parameters name.
fn transforms(template: &Template) -> Vec<(String, Option<String>)> {
    let Some((_, section)) = template
        .other_sections
        .iter()
        .find(|(key, _)| key == "Transform")
    else {
        return Vec::new();
    };
    let one = |node: &Node| -> Option<(String, Option<String>)> {
        match node.value() {
            Node::String(name) => Some((name.to_string(), None)),
            Node::Object(_) => {
                let name = node.get("Name")?.as_str()?.to_string();
                let location = node
                    .get("Parameters")
                    .and_then(|p| p.get("Location"))
                    .and_then(Node::as_str)
                    .map(str::to_string);
                Some((name, location))
            }
            _ => None,
        }
    };
    match section.as_array() {
        Some(items) => items.iter().filter_map(one).collect(),
        None => one(section).into_iter().collect(),
    }
}

/// Every `Fn::Transform` of the template (named at its first places, the
/// others counted), as one thing unseen per transform named.
fn transform_calls(template: &Template) -> Vec<Unseen> {
    let mut found = Found::default();
    if let Some((line, body)) = &template.resources_transform {
        found.add(*line, "Resources".to_string(), body);
    }
    for resource in &template.resources {
        let mut path = vec![resource.logical_id.as_str().to_string()];
        walk(&resource.body, resource.line, &mut path, &mut found);
    }
    let sections = [
        ("Parameters", &template.parameters),
        ("Mappings", &template.mappings),
        ("Conditions", &template.conditions),
        ("Outputs", &template.outputs),
    ];
    for (name, section) in sections {
        for (key, value) in section.iter() {
            let mut path = vec![name.to_string(), key.to_string()];
            walk(value, 1, &mut path, &mut found);
        }
    }
    for (name, value) in &template.other_sections {
        match name.as_str() {
            "Transform" => {}
            "Fn::Transform" => found.add(1, "the template".to_string(), value),
            _ => walk(value, 1, &mut vec![name.clone()], &mut found),
        }
    }
    found.into_unseen()
}

/// The `Fn::Transform`s met so far.
#[derive(Default)]
struct Found {
    /// Line, place and what the first few transform.
    named: Vec<(usize, String, String)>,
    more: usize,
}

impl Found {
    fn add(&mut self, line: usize, place: String, call: &Node) {
        if self.named.len() == NAMED_PLACES {
            self.more += 1;
            return;
        }
        let name = call.get("Name").and_then(Node::as_str).unwrap_or("a macro");
        let location = call
            .get("Parameters")
            .and_then(|p| p.get("Location"))
            .and_then(Node::as_str);
        let what = match location {
            Some(location) => format!("{} {}", short(name), short(location)),
            None => short(name).into_owned(),
        };
        self.named.push((line, short(&place).into_owned(), what));
    }

    fn into_unseen(self) -> Vec<Unseen> {
        let more = self.more;
        let last = self.named.len().saturating_sub(1);
        self.named
            .into_iter()
            .enumerate()
            .map(|(i, (line, place, what))| {
                let others = if i == last && more > 0 {
                    format!(" (and {more} more Fn::Transform in the template)")
                } else {
                    String::new()
                };
                Unseen {
                    line,
                    what: format!(
                        "Fn::Transform ({what}) in {place}: what it adds to the template is not seen{others}"
                    ),
                }
            })
            .collect()
    }
}

/// Looks for `Fn::Transform` in `node`, at `path`.
fn walk(node: &Node, line: usize, path: &mut Vec<String>, found: &mut Found) {
    match node.value() {
        Node::Object(object) => {
            for (key, value) in object.iter() {
                if key == "Fn::Transform" {
                    found.add(line, path.join("."), value);
                    continue;
                }
                path.push(key.to_string());
                walk(value, line, path, found);
                path.pop();
            }
        }
        Node::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                match path.last_mut() {
                    Some(last) => {
                        let at = last.len();
                        last.push_str(&format!("[{index}]"));
                        walk(item, line, path, found);
                        if let Some(last) = path.last_mut() {
                            last.truncate(at);
                        }
                    }
                    None => walk(item, line, path, found),
                }
            }
        }
        _ => {}
    }
}

/// The text under `key` of `node`, short.
fn text_at<'n>(node: &'n Node, key: &str) -> Option<std::borrow::Cow<'n, str>> {
    node.get(key).and_then(Node::as_str).map(short)
}

/// "A, B and 3 more", or `none` for an empty list.
fn listed(names: &[&str], none: &str) -> String {
    match names {
        [] => none.to_string(),
        [one] => short(one).into_owned(),
        [first, second] => format!("{} and {}", short(first), short(second)),
        [first, second, rest @ ..] => {
            format!(
                "{}, {} and {} more",
                short(first),
                short(second),
                rest.len()
            )
        }
    }
}
