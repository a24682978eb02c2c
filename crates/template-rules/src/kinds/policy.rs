//! `policy`: IAM-style policy documents with a statement a rule forbids
//! (`forbid`), or without one it requires (`require`). Where each resource
//! type keeps its documents, and how statements are matched, is
//! `structured::statements`'.
//!
//! ```yaml
//! documents: [identity]          # optional: identity, resource, trust (default: all three)
//! types: [AWS::IAM::Role]        # optional: only these types
//! forbid:                        # a statement like this fires the rule
//!   effect: Allow
//!   actions: all
//!   resources: all
//! ```
//!
//! A document may be a mapping, JSON text, or JSON text in `Fn::Sub`;
//! values are resolved, each `Fn::If` branch in its world, and what cannot
//! be resolved makes the finding unresolved.

use std::sync::Arc;

use cfn_template::view::ResourceView;
use serde::Deserialize;
use serde_json::Value;

use crate::context::TemplateContext;
use crate::evidence::Evidence;
use crate::kind::{Categories, Check, Description, Example, NativeKind, PreparedCheck};
use crate::structured::ruledata::{document, one_line, resource_types, typed};
use crate::structured::statements::{
    DOCUMENTS, DocumentKind, StatementPattern, documents_of, find,
};
use crate::structured::truth::Certainty;
use crate::structured::worlds::in_worlds;

/// The `ruletype` of the kind.
pub const POLICY: &str = "policy";

/// The kind: see the module documentation.
pub struct Policy;

impl NativeKind for Policy {
    fn describe(&self) -> Description {
        Description {
            ruletype: POLICY,
            summary: "an IAM-style policy document with a statement the rule forbids, or without one it requires",
            ruledata: "YAML or JSON: `forbid` or `require` (a statement pattern, or a list of them: one matching is enough), optionally `documents` (identity, resource, trust: which documents; default all) and `types` (only these resource types). \
A pattern has `effect` (Allow or Deny) and optionally `actions` (all: `*`, `*:*` or NotAction; service-wildcard: `s3:*` and the like; or a list of actions, matched with wildcards and ignoring case), `resources: all` (`*` or NotResource), `principals: public` (`*`, {AWS: \"*\"} or NotPrincipal) and `condition` (absent, or {Operator: {key: value}}). \
Documents are read where each type keeps them (PolicyDocument, Policies[*].PolicyDocument, KeyPolicy, AssumeRolePolicyDocument, RepositoryPolicyText, ...), as mappings or JSON text; values that cannot be resolved make the finding unresolved.",
            categories: Categories::Label,
            example: Example {
                category: "IAM",
                ruledata: "{documents: [identity], forbid: {effect: Allow, actions: all, resources: all}}",
                fires: r#"{"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": {"Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}}"#,
                passes: r#"{"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": {"Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::bucket/*"}]}}}"#,
                with: "",
            },
        }
    }

    fn parse(&self, ruledata: &str) -> Result<Arc<dyn Check>, String> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Written {
            documents: Option<Vec<DocumentKind>>,
            types: Option<Vec<String>>,
            forbid: Option<Value>,
            require: Option<Value>,
        }
        let value = document(ruledata)?;
        let text = one_line(&value);
        let written: Written = typed(value, "ruledata")?;
        let documents = written.documents.unwrap_or_else(|| {
            vec![
                DocumentKind::Identity,
                DocumentKind::Resource,
                DocumentKind::Trust,
            ]
        });
        if documents.is_empty() {
            return Err("ruledata documents is an empty list".to_string());
        }
        let (mode, patterns) = match (written.forbid, written.require) {
            (Some(p), None) => (Mode::Forbid, StatementPattern::parse_list(p, "forbid")?),
            (None, Some(p)) => (Mode::Require, StatementPattern::parse_list(p, "require")?),
            _ => return Err("ruledata must have forbid or require (one of them)".to_string()),
        };
        if let Some(types) = &written.types {
            resource_types(types, "ruledata types")?;
            for t in types {
                if !documents_of(t).any(|(kind, _)| documents.contains(&kind)) {
                    let known: Vec<&str> = DOCUMENTS
                        .iter()
                        .filter(|(_, _, k)| documents.contains(k))
                        .map(|(t, _, _)| *t)
                        .collect();
                    return Err(format!(
                        "ruledata types: {t} has no policy document of the kinds named (types that have: {})",
                        known.join(", ")
                    ));
                }
            }
        }
        Ok(Arc::new(PolicyCheck {
            documents,
            types: written.types,
            mode,
            patterns,
            text,
        }))
    }
}

#[derive(Debug, Clone, Copy)]
enum Mode {
    Forbid,
    Require,
}

#[derive(Debug)]
struct PolicyCheck {
    documents: Vec<DocumentKind>,
    types: Option<Vec<String>>,
    mode: Mode,
    patterns: Vec<StatementPattern>,
    text: String,
}

impl PolicyCheck {
    fn described(&self) -> String {
        self.patterns
            .iter()
            .map(|p| format!("({})", p.describe()))
            .collect::<Vec<_>>()
            .join(" or ")
    }
}

impl Check for PolicyCheck {
    fn kind(&self) -> &'static dyn NativeKind {
        &Policy
    }

    fn ruledata(&self) -> String {
        self.text.clone()
    }

    fn summary(&self) -> String {
        let whose = match &self.types {
            Some(types) => types.join(", "),
            None => {
                let kinds: Vec<&str> = self
                    .documents
                    .iter()
                    .map(|k| match k {
                        DocumentKind::Identity => "identity",
                        DocumentKind::Resource => "resource",
                        DocumentKind::Trust => "trust",
                    })
                    .collect();
                format!("{} policies", kinds.join(", "))
            }
        };
        match self.mode {
            Mode::Forbid => format!("{whose}: no statement with {}", self.described()),
            Mode::Require => format!("{whose}: a statement with {}", self.described()),
        }
    }

    fn reads(&self, resource_type: &str) -> bool {
        self.types
            .as_ref()
            .is_none_or(|types| types.iter().any(|t| t == resource_type))
            && documents_of(resource_type).any(|(kind, _)| self.documents.contains(&kind))
    }

    fn prepare<'v>(&'v self, context: &'v TemplateContext<'v>) -> Box<dyn PreparedCheck<'v> + 'v> {
        let resolver = context.resolver();
        Box::new(move |view: &'v ResourceView<'v>, variant: usize| {
            let form = &view.variants[variant];
            let properties = form.properties();
            in_worlds(&form.when, |world| {
                let mut evidence = Evidence::default();
                for (kind, path) in documents_of(view.resource_type()) {
                    if !self.documents.contains(&kind) {
                        continue;
                    }
                    for (at, side) in find(resolver, properties, path, &self.patterns, world)? {
                        match (self.mode, side.certainty) {
                            (Mode::Forbid, Certainty::Yes) => {
                                for reason in side.reasons {
                                    evidence.fires(reason);
                                }
                            }
                            (Mode::Forbid, Certainty::Maybe) => {
                                for reason in side.reasons {
                                    evidence.may_fire(format!("{reason} may match"), &side.unknown);
                                }
                            }
                            (Mode::Forbid, Certainty::No) | (Mode::Require, Certainty::Yes) => {}
                            (Mode::Require, Certainty::Maybe) => evidence.may_fire(
                                format!("{at} may have no statement with {}", self.described()),
                                &side.unknown,
                            ),
                            (Mode::Require, Certainty::No) => evidence
                                .fires(format!("{at} has no statement with {}", self.described())),
                        }
                    }
                }
                Ok(evidence)
            })
        })
    }
}
