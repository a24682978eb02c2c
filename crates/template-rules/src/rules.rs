//! Rules, in the item shape the original function kept in DynamoDB:
//! `rule` (id), `category`, `ruletype`, `ruledata`, `riskvalue`, `active`,
//! and optionally `suppressible` (`Y`, the default, or `N`: a template may
//! not suppress the rule's findings).
//!
//! Rule types:
//! - `open-ingress`: an ingress permission open to the world (a source CIDR
//!   with prefix length 0) that admits any of the protocols and ports in
//!   `ruledata` — `all`, or a list such as `tcp:22`, `tcp:8000-8999, udp:53`,
//!   `icmp`. Category `SecurityGroup`.
//! - `forbidden-ami`: an instance, launch template or launch configuration
//!   whose `ImageId` is one of the AMI ids in `ruledata`. Category `EC2Instance`.
//! - `regex`: the pattern in `ruledata` is searched for in the canonical
//!   rendering of each resource of the category (see [`crate::render`]).
//! - `guard`: `ruledata` is a CloudFormation Guard rules file (its `let`s
//!   and one or more named rules), evaluated by AWS's `cfn-guard` on the
//!   whole template (see [`crate::guard`]). `category` is free text, for
//!   grouping (`Guard` when absent).

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use guard_rules::GuardRules;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ingress::PortSpec;
use crate::template::{ParseError, Template};

/// Which resources a rule applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Category {
    /// `AWS::EC2::SecurityGroup`, `::SecurityGroupIngress`, `::SecurityGroupEgress`.
    SecurityGroup,
    /// `AWS::EC2::Instance`, `AWS::EC2::LaunchTemplate`, `AWS::AutoScaling::LaunchConfiguration`.
    Ec2Instance,
    /// A Guard item's category: a label for grouping (`S3`, `IAM`, ...).
    /// Which resources the item reads is the Guard rules' business.
    Label(String),
}

/// The category of a guard item that names none.
pub const GUARD_CATEGORY: &str = "Guard";

impl Category {
    pub fn name(&self) -> &str {
        match self {
            Category::SecurityGroup => "SecurityGroup",
            Category::Ec2Instance => "EC2Instance",
            Category::Label(label) => label,
        }
    }

    fn parse(s: &str) -> Option<Category> {
        match s {
            "SecurityGroup" => Some(Category::SecurityGroup),
            "EC2Instance" => Some(Category::Ec2Instance),
            _ => None,
        }
    }

    /// Whether a native rule of this category looks at a resource of this
    /// type (a label covers none: Guard rules select their own).
    pub fn covers(&self, resource_type: &str) -> bool {
        match self {
            Category::SecurityGroup => matches!(
                resource_type,
                "AWS::EC2::SecurityGroup"
                    | "AWS::EC2::SecurityGroupIngress"
                    | "AWS::EC2::SecurityGroupEgress"
            ),
            Category::Ec2Instance => matches!(
                resource_type,
                "AWS::EC2::Instance"
                    | "AWS::EC2::LaunchTemplate"
                    | "AWS::AutoScaling::LaunchConfiguration"
            ),
            Category::Label(_) => false,
        }
    }
}

/// What a rule looks for.
#[derive(Debug, Clone)]
pub enum RuleKind {
    OpenIngress(PortSpec),
    ForbiddenAmi(Vec<String>),
    Regex(regex::Regex),
    /// A Guard rules file, parsed and checked (shared: evaluation may run
    /// on another thread).
    Guard(Arc<GuardRules>),
}

impl RuleKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            RuleKind::OpenIngress(_) => "open-ingress",
            RuleKind::ForbiddenAmi(_) => "forbidden-ami",
            RuleKind::Regex(_) => "regex",
            RuleKind::Guard(_) => "guard",
        }
    }

    /// What `ruledata` holds, in one line: for a guard item, its named
    /// rules (the first is its default id), not its text.
    pub fn summary(&self) -> String {
        match self {
            RuleKind::OpenIngress(spec) => spec.to_string(),
            RuleKind::ForbiddenAmi(amis) => amis.join(", "),
            RuleKind::Regex(re) => re.as_str().to_string(),
            RuleKind::Guard(rules) => guard_summary(rules),
        }
    }
}

/// `S3_BUCKET_ENCRYPTED`, or `S3_BUCKET_ENCRYPTED (+2 more: A, B)`.
pub fn guard_summary(rules: &GuardRules) -> String {
    match rules.rule_names() {
        [] => "no rule".to_string(),
        [one] => one.clone(),
        [first, rest @ ..] => format!(
            "{first} (+{} more: {})",
            rest.len(),
            crate::display::shorten(&rest.join(", "), 120)
        ),
    }
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub category: Category,
    pub kind: RuleKind,
    pub risk: u64,
    pub active: bool,
    /// Whether a template may suppress the rule's findings.
    pub suppressible: bool,
}

/// A rule as stored: every field optional, so that a missing one is an error
/// that names it rather than a failure to read the whole table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ruletype: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ruledata: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub riskvalue: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<Value>,
    /// `Y` (the default when absent) or `N`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressible: Option<Value>,
}

impl RuleItem {
    /// The id, when it is there, for messages.
    pub fn id(&self) -> Option<&str> {
        self.rule.as_ref().and_then(Value::as_str)
    }

    /// The item as strings, the way DynamoDB stores it (`riskvalue` is the
    /// one number).
    pub fn fields(&self) -> Vec<(&'static str, Option<&Value>)> {
        vec![
            ("rule", self.rule.as_ref()),
            ("category", self.category.as_ref()),
            ("ruletype", self.ruletype.as_ref()),
            ("ruledata", self.ruledata.as_ref()),
            ("riskvalue", self.riskvalue.as_ref()),
            ("active", self.active.as_ref()),
            ("suppressible", self.suppressible.as_ref()),
        ]
    }
}

impl From<&Rule> for RuleItem {
    fn from(rule: &Rule) -> Self {
        let data = match &rule.kind {
            RuleKind::Guard(rules) => rules.text().to_string(),
            other => other.summary(),
        };
        RuleItem {
            rule: Some(rule.id.clone().into()),
            category: Some(rule.category.name().into()),
            ruletype: Some(rule.kind.type_name().into()),
            ruledata: Some(data.into()),
            riskvalue: Some(rule.risk.into()),
            active: Some(if rule.active { "Y" } else { "N" }.into()),
            // Written only when it is not the default, so that items
            // without the field read and write back unchanged.
            suppressible: (!rule.suppressible).then(|| "N".into()),
        }
    }
}

/// A rule that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// The rule's id, or "item N" when it has none.
    pub rule: String,
    pub message: String,
    /// Whether the rule was meant to be applied (active, or unknown). An
    /// active rule that cannot be applied means the check cannot be trusted.
    pub blocking: bool,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rule {}: {}", self.rule, self.message)
    }
}

/// A rule set, with the items that could not be made into rules.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    errors: Vec<RuleError>,
    notes: Vec<String>,
}

/// Regexes are compiled with these caps, so a rule cannot make the compiled
/// program (or the lazy DFA) grow without bound.
const REGEX_SIZE_LIMIT: usize = 2 * 1024 * 1024;

/// The default rules, embedded in the binary.
const DEFAULT_RULES: &str = include_str!("default-rules.yaml");

/// The regexes the original Python function seeded its table with. Items
/// that still hold them get the structured rule that does what the regex
/// meant, without its defects (egress rules and descriptions matched, port
/// 2222 counted as 22, port ranges, IPv6 and YAML templates were missed).
const LEGACY_DEFAULTS: &[(&str, &str, &str)] = &[
    (r"^.*Ingress.*((0\.){3}0\/0)", "open-ingress", "all"),
    (
        r"^.*Ingress.*(([fF]rom[pP]ort|[tT]o[pP]ort).\s*:\s*u?.(22).*[cC]idr[iI]p.\s*:\s*u?.((0\.){3}0\/0)|[cC]idr[iI]p.\s*:\s*u?.((0\.){3}0\/0).*([fF]rom[pP]ort|[tT]o[pP]ort).\s*:\s*u?.(22))",
        "open-ingress",
        "tcp:22",
    ),
    (
        r"^.*Ingress.*[fF]rom[pP]ort.\s*:\s*u?.(80)",
        "open-ingress",
        "tcp:80",
    ),
    (
        r"^.*ImageId.\s*:\s*u?.(ami-7a11e211|ami-08111162|ami-f6035893)",
        "forbidden-ami",
        "ami-7a11e211, ami-08111162, ami-f6035893",
    ),
];

/// Why a rules file could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesFileError {
    #[error("{0}")]
    Parse(ParseError),
    #[error("expected a list of rules, or a mapping with a `rules` list")]
    Shape,
    #[error("item {index}: {message}")]
    Item { index: usize, message: String },
}

impl RuleSet {
    /// The rule set a new rules table is seeded with.
    pub fn defaults() -> RuleSet {
        RuleSet::from_items(RuleSet::default_items())
    }

    pub fn default_items() -> Vec<RuleItem> {
        match RuleSet::items_from_str(DEFAULT_RULES) {
            Ok(items) => items,
            // The file is part of the crate and covered by tests.
            Err(e) => unreachable!("embedded default-rules.yaml is invalid: {e}"),
        }
    }

    /// Reads the items of a rules file: YAML or JSON, either a list of items
    /// or a mapping with a `rules` list.
    pub fn items_from_str(text: &str) -> Result<Vec<RuleItem>, RulesFileError> {
        let value = crate::parse_document(text.as_bytes()).map_err(RulesFileError::Parse)?;
        let list = match value {
            Value::Array(items) => items,
            Value::Object(mut map) => match map.remove("rules") {
                Some(Value::Array(items)) => items,
                _ => return Err(RulesFileError::Shape),
            },
            _ => return Err(RulesFileError::Shape),
        };
        list.into_iter()
            .enumerate()
            .map(|(i, item)| {
                if !item.is_object() {
                    return Err(RulesFileError::Item {
                        index: i + 1,
                        message: "expected a mapping with rule, category, ruletype, ruledata, riskvalue and active"
                            .to_string(),
                    });
                }
                serde_json::from_value(item).map_err(|e| RulesFileError::Item {
                    index: i + 1,
                    message: e.to_string(),
                })
            })
            .collect()
    }

    /// Reads a rules file; items that are not valid rules are kept as errors.
    pub fn from_file_str(text: &str) -> Result<RuleSet, RulesFileError> {
        Ok(RuleSet::from_items(RuleSet::items_from_str(text)?))
    }

    /// Builds a rule set. Never fails: invalid items become [`RuleError`]s.
    pub fn from_items(items: impl IntoIterator<Item = RuleItem>) -> RuleSet {
        let mut set = RuleSet::default();
        let mut ids = HashSet::new();
        for (index, item) in items.into_iter().enumerate() {
            let label = item
                .id()
                .map_or_else(|| format!("item {}", index + 1), str::to_string);
            match Rule::from_item(&item) {
                Ok((rule, note)) => {
                    if !ids.insert(rule.id.clone()) {
                        set.errors.push(RuleError {
                            rule: label,
                            message: "the same rule id appears twice".to_string(),
                            blocking: rule.active,
                        });
                        continue;
                    }
                    if let Some(note) = note {
                        set.notes.push(note);
                    }
                    set.rules.push(rule);
                }
                Err(message) => set.errors.push(RuleError {
                    rule: label,
                    message,
                    blocking: !matches!(parse_active(item.active.as_ref()), Ok(false)),
                }),
            }
        }
        set
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn active(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(|r| r.active)
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// Items that could not be made into rules.
    pub fn errors(&self) -> &[RuleError] {
        &self.errors
    }

    /// Errors in rules that were meant to be applied.
    pub fn blocking_errors(&self) -> impl Iterator<Item = &RuleError> {
        self.errors.iter().filter(|e| e.blocking)
    }

    /// Things worth telling whoever maintains the rules (e.g. a legacy regex
    /// replaced by its structured equivalent).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }
}

impl Rule {
    /// Whether the rule has anything to look at in `template`: a native
    /// rule, a resource of its category; a guard item, a resource of a type
    /// its rules read, or anything when they may read any part of it. (Told
    /// without running Guard, so a guard item may still have a finding on a
    /// template it does not apply to: "the template must have a trail".)
    pub fn applies_to(&self, template: &Template) -> bool {
        match &self.kind {
            RuleKind::Guard(rules) => match rules.types_read() {
                None => true,
                Some(types) => template
                    .resources
                    .iter()
                    .any(|r| types.contains(&r.resource_type)),
            },
            _ => template
                .resources
                .iter()
                .any(|r| self.category.covers(&r.resource_type)),
        }
    }

    /// Validates one item. Returns the rule and, for an upgraded legacy
    /// item, a note saying so.
    pub fn from_item(item: &RuleItem) -> Result<(Rule, Option<String>), String> {
        let id = required_text(item.rule.as_ref(), "rule")?;
        if id.trim().is_empty() {
            return Err("the rule id is empty".to_string());
        }
        let mut ruletype = required_text(item.ruletype.as_ref(), "ruletype")?;
        let mut ruledata = required_text(item.ruledata.as_ref(), "ruledata")?;
        let risk = parse_risk(item.riskvalue.as_ref())?;
        let active = parse_active(item.active.as_ref())?;
        let suppressible = match item.suppressible.as_ref() {
            None | Some(Value::Null) => true,
            Some(value) => parse_flag(value, "suppressible")?,
        };
        if ruletype == "guard" {
            let category = match item.category.as_ref() {
                None | Some(Value::Null) => GUARD_CATEGORY.to_string(),
                Some(_) => required_text(item.category.as_ref(), "category")?,
            };
            let rules = GuardRules::parse(&ruledata).map_err(|e| e.to_string())?;
            let rule = Rule {
                id,
                category: Category::Label(category),
                kind: RuleKind::Guard(Arc::new(rules)),
                risk,
                active,
                suppressible,
            };
            return Ok((rule, None));
        }
        let category_text = required_text(item.category.as_ref(), "category")?;
        let category = Category::parse(&category_text).ok_or_else(|| {
            format!("unknown category \"{category_text}\" (expected SecurityGroup or EC2Instance; free text for ruletype guard)")
        })?;

        let mut note = None;
        if ruletype == "regex"
            && let Some((_, new_type, new_data)) = LEGACY_DEFAULTS
                .iter()
                .find(|(legacy, _, _)| *legacy == ruledata)
        {
            note = Some(format!(
                "rule {id}: the original function's regex is applied as the structured rule \
                     {new_type} \"{new_data}\" (run `cicd rules sync` to store it that way)"
            ));
            ruletype = (*new_type).to_string();
            ruledata = (*new_data).to_string();
        }

        let kind = match ruletype.as_str() {
            "open-ingress" => RuleKind::OpenIngress(ruledata.parse::<PortSpec>()?),
            "forbidden-ami" => {
                let amis: Vec<String> = ruledata
                    .split([',', ' ', '\n', '\t'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_ascii_lowercase)
                    .collect();
                if amis.is_empty() {
                    return Err("ruledata lists no AMI ids".to_string());
                }
                RuleKind::ForbiddenAmi(amis)
            }
            "regex" => RuleKind::Regex(
                regex::RegexBuilder::new(&ruledata)
                    .size_limit(REGEX_SIZE_LIMIT)
                    .dfa_size_limit(REGEX_SIZE_LIMIT)
                    .build()
                    .map_err(|e| {
                        format!(
                            "ruledata is not a valid regex: {}",
                            one_line(&e.to_string())
                        )
                    })?,
            ),
            other => {
                return Err(format!(
                    "unknown ruletype \"{other}\" (expected open-ingress, forbidden-ami, regex or guard)"
                ));
            }
        };
        let expected = match kind {
            RuleKind::OpenIngress(_) => Some(Category::SecurityGroup),
            RuleKind::ForbiddenAmi(_) => Some(Category::Ec2Instance),
            RuleKind::Regex(_) | RuleKind::Guard(_) => None,
        };
        if let Some(expected) = expected.filter(|c| *c != category) {
            return Err(format!(
                "ruletype {} applies to category {}, not {}",
                kind.type_name(),
                expected.name(),
                category.name()
            ));
        }
        Ok((
            Rule {
                id,
                category,
                kind,
                risk,
                active,
                suppressible,
            },
            note,
        ))
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn required_text(value: Option<&Value>, field: &str) -> Result<String, String> {
    match value {
        None | Some(Value::Null) => Err(format!("the item has no {field}")),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(format!("{field} must be a string, not {other}")),
    }
}

fn parse_risk(value: Option<&Value>) -> Result<u64, String> {
    let text = match value {
        None | Some(Value::Null) => return Err("the item has no riskvalue".to_string()),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(other) => return Err(format!("riskvalue must be a number, not {other}")),
    };
    text.parse::<u64>()
        .map_err(|_| format!("riskvalue \"{text}\" is not a whole number from 0 up"))
}

fn parse_active(value: Option<&Value>) -> Result<bool, String> {
    match value {
        None | Some(Value::Null) => Err("the item has no active flag (Y or N)".to_string()),
        Some(value) => parse_flag(value, "active"),
    }
}

/// `Y`/`N` (or yes/no, true/false, in any case), as stored.
fn parse_flag(value: &Value, field: &str) -> Result<bool, String> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "y" | "yes" | "true" => Ok(true),
            "n" | "no" | "false" => Ok(false),
            _ => Err(format!("{field} \"{s}\" is not Y or N")),
        },
        other => Err(format!("{field} must be Y or N, not {other}")),
    }
}

/// Active rules that cannot be applied; Display lists them, one a line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct UnusableRules {
    pub errors: Vec<RuleError>,
}

impl fmt::Display for UnusableRules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl RuleSet {
    /// Whether the set may be used for a check: not when a rule that was
    /// meant to be applied cannot be, since a check that skips it proves
    /// nothing. Errors in inactive rules do not block (they deserve a
    /// warning). The Lambda and the CLI both apply this policy.
    pub fn check_usable(&self) -> Result<(), UnusableRules> {
        let errors: Vec<RuleError> = self.blocking_errors().cloned().collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(UnusableRules { errors })
        }
    }
}

#[cfg(test)]
mod check_usable_tests {
    use super::*;

    fn item(id: &str, ruletype: &str, active: &str) -> RuleItem {
        serde_json::from_value(serde_json::json!({
            "rule": id, "category": "SecurityGroup", "ruletype": ruletype,
            "ruledata": "all", "riskvalue": 5, "active": active
        }))
        .unwrap()
    }

    #[test]
    fn only_active_rules_that_cannot_be_applied_block() {
        assert_eq!(RuleSet::defaults().check_usable(), Ok(()));
        let inactive_broken = RuleSet::from_items([item("Off", "glob", "N")]);
        assert_eq!(inactive_broken.errors().len(), 1);
        assert_eq!(inactive_broken.check_usable(), Ok(()));

        let set = RuleSet::from_items([
            item("Open", "open-ingress", "Y"),
            item("Glob", "glob", "Y"),
            item("Off", "glob", "N"),
            item("Unsure", "glob", "maybe"),
        ]);
        let unusable = set.check_usable().unwrap_err();
        let blocking: Vec<&str> = unusable.errors.iter().map(|e| e.rule.as_str()).collect();
        assert_eq!(blocking, ["Glob", "Unsure"]);
        assert_eq!(
            unusable.to_string(),
            format!("{}\n{}", unusable.errors[0], unusable.errors[1])
        );
        assert!(
            unusable
                .to_string()
                .starts_with("rule Glob: unknown ruletype \"glob\"")
        );
    }
}
