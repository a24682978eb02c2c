//! `regex`: the pattern in `ruledata`, searched for in the canonical
//! rendering of each resource of the category (see [`crate::render`]).

use std::sync::Arc;

use cfn_template::display::short;
use cfn_template::view::ResourceView;

use crate::context::TemplateContext;
use crate::evidence::Evidence;
use crate::kind::{Categories, Check, Description, Example, NativeKind, PreparedCheck};

/// The `ruletype` of the kind.
pub const REGEX: &str = "regex";

/// Regexes are compiled with these caps, so a rule cannot make the compiled
/// program (or the lazy DFA) grow without bound.
const REGEX_SIZE_LIMIT: usize = 2 * 1024 * 1024;

/// The kind: see the module documentation.
pub struct Regex;

impl NativeKind for Regex {
    fn describe(&self) -> Description {
        Description {
            ruletype: REGEX,
            summary: "a pattern found in the resource's text (its JSON on one line, keys sorted)",
            ruledata: "a regular expression (Rust `regex` syntax: no look-around or backreferences)",
            categories: Categories::AnyKnown,
            example: Example {
                category: "SecurityGroup",
                ruledata: r#""CidrIp": "0\.0\.0\.0/0""#,
                fires: r#"{"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "web",
                    "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"}]}}"#,
                passes: r#"{"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "web",
                    "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.0.0.0/8"}]}}"#,
                with: "",
            },
        }
    }

    fn parse(&self, ruledata: &str) -> Result<Arc<dyn Check>, String> {
        let regex = regex::RegexBuilder::new(ruledata)
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map_err(|e| {
                format!(
                    "ruledata is not a valid regex: {}",
                    one_line(&e.to_string())
                )
            })?;
        Ok(Arc::new(RegexCheck(regex)))
    }
}

#[derive(Debug)]
struct RegexCheck(regex::Regex);

impl Check for RegexCheck {
    fn kind(&self) -> &'static dyn NativeKind {
        &Regex
    }

    fn ruledata(&self) -> String {
        self.0.as_str().to_string()
    }

    /// The resource as written, whatever form it takes: its text holds
    /// every branch.
    fn prepare<'v>(&'v self, context: &'v TemplateContext<'v>) -> Box<dyn PreparedCheck<'v> + 'v> {
        let pattern = short(self.0.as_str()).into_owned();
        Box::new(move |view: &'v ResourceView<'v>, _variant: usize| {
            let mut evidence = Evidence::default();
            match context.rendering(view.index).as_ref() {
                Ok(text) if self.0.is_match(text) => {
                    // What it matched is the evidence: the rendering is
                    // the same however the resource is written.
                    let key = format!("matches the pattern {pattern}: {}", matched(&self.0, text));
                    evidence.fires_as(format!("matches the pattern {pattern}"), key);
                }
                Ok(_) => {}
                Err(why) => evidence.may_fire(
                    format!("may match the pattern {pattern} ({why})"),
                    std::slice::from_ref(why),
                ),
            }
            evidence
        })
    }
}

/// The texts `regex` matches in `text`, each once, sorted, joined: at most
/// [`MATCHES_KEPT`] of them, each cut to [`MATCH_KEPT`] bytes (so a key
/// stays small; what is cut may make a finding look new, never old).
fn matched(regex: &regex::Regex, text: &str) -> String {
    let mut found: Vec<&str> = regex
        .find_iter(text)
        .take(MATCHES_KEPT)
        .map(|m| {
            let mut end = m.as_str().len().min(MATCH_KEPT);
            while !m.as_str().is_char_boundary(end) {
                end -= 1;
            }
            &m.as_str()[..end]
        })
        .collect();
    found.sort_unstable();
    found.dedup();
    serde_json::to_string(&found).unwrap_or_default()
}

/// Matches a regex finding's fingerprint keeps, and bytes of each.
const MATCHES_KEPT: usize = 64;
const MATCH_KEPT: usize = 1024;

/// A message on one line (regex errors draw the pattern over several).
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
