//! `property`: a resource of the listed types whose properties do not meet
//! a requirement. The requirement language (paths, operators, `all`,
//! `any`, what a missing value means) is `structured::requirement`'s.
//!
//! ```yaml
//! types: [AWS::RDS::DBInstance]
//! when:                                   # optional: only these resources
//!   path: Engine
//!   not-one-of: [aurora-mysql, aurora-postgresql]
//!   missing: holds
//! require:                                # one requirement, or a list (all)
//!   - path: StorageEncrypted
//!     equals: true
//!     default: false                      # CloudFormation's default when not written
//! ```
//!
//! A path may select the items of a list of mappings by a key's value:
//! `LoadBalancerAttributes[Key=deletion_protection.enabled].Value` reads
//! the `Value` of every item whose `Key` is that text; when none is, the
//! value is not written.
//!
//! Every value a property may take counts (each `Fn::If` branch, each
//! mapping entry a key may select, a parameter's `Default` and its other
//! allowed values); a value that cannot be known makes the finding
//! unresolved, never a pass, unless its shape decides the test: a pseudo
//! parameter (`AWS::AccountId` is 12 digits), a resource's id or ARN
//! (`Ref`, `Fn::GetAtt`) and text built from them with `Fn::Sub` are never
//! `*`, nor a literal such as `default` unless the template names the
//! resource so.
//!
//! `written-in-template: false` asks that a secret not be written in the
//! template: it fails on a literal, a parameter's `Default` (naming the
//! parameter) or a mapping entry; it holds for a dynamic reference
//! (`{{resolve:secretsmanager:...}}`, also built with `Fn::Sub` or
//! `Fn::Join`), a parameter without a `Default`, an SSM parameter, a
//! resource's attribute or another stack's export; text written in part is
//! unresolved. Its reasons never show the value.

use std::sync::Arc;

use cfn_template::view::ResourceView;
use serde::Deserialize;
use serde_json::Value;

use crate::context::TemplateContext;
use crate::evidence::Evidence;
use crate::kind::{Categories, Check, Description, Example, NativeKind, PreparedCheck};
use crate::structured::requirement::Requirement;
use crate::structured::ruledata::{document, one_line, resource_types, typed};
use crate::structured::truth::{Side, judge};
use crate::structured::worlds::in_worlds;

/// The `ruletype` of the kind.
pub const PROPERTY: &str = "property";

/// The kind: see the module documentation.
pub struct Property;

impl NativeKind for Property {
    fn describe(&self) -> Description {
        Description {
            ruletype: PROPERTY,
            summary: "a resource of the listed types whose properties do not meet a requirement",
            ruledata: "YAML or JSON: `types` (resource types), `require` (a requirement or a list of them, all of which must hold) and optionally `when` (a requirement that selects the resources the rule applies to). \
A requirement is `path` (dotted, `[*]` for every item of a list, `[0]` for one, `[Key=text]` for the items whose Key is that text) with one operator — `equals`, `not-equals`, `one-of`, `not-one-of`, `at-least`, `at-most`, `matches`, `not-matches` (a regex), `includes` (a list holds the value), `exists: true`, `absent: true`, `written-in-template: false` (a secret: not a literal or a parameter's Default, but a dynamic reference or a value given at deployment) — \
and, except for exists and absent, what a value that is not written means: `missing: fails`, `missing: holds`, or `default: V` (CloudFormation's default, judged like a written value); or `all: [...]` / `any: [...]` of requirements. \
Booleans and numbers written as text compare as CloudFormation reads them; every value a property may take counts, and one that cannot be known makes the finding unresolved unless its shape decides (an account id, a resource's id or ARN is never `*`).",
            categories: Categories::Label,
            example: Example {
                category: "S3",
                ruledata: "{types: [AWS::S3::Bucket], require: {path: AccessControl, not-one-of: [PublicRead, PublicReadWrite], missing: holds}}",
                fires: r#"{"Type": "AWS::S3::Bucket", "Properties": {"AccessControl": "PublicRead"}}"#,
                passes: r#"{"Type": "AWS::S3::Bucket", "Properties": {"AccessControl": "Private"}}"#,
                with: "",
            },
        }
    }

    fn parse(&self, ruledata: &str) -> Result<Arc<dyn Check>, String> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Written {
            types: Vec<String>,
            when: Option<Value>,
            require: Value,
        }
        let value = document(ruledata)?;
        let text = one_line(&value);
        let written: Written = typed(value, "ruledata")?;
        resource_types(&written.types, "ruledata types")?;
        let when = written
            .when
            .map(|w| Requirement::parse(w, "when"))
            .transpose()?;
        let require = Requirement::parse(written.require, "require")?;
        Ok(Arc::new(PropertyCheck {
            types: written.types,
            when,
            require,
            text,
        }))
    }
}

#[derive(Debug)]
struct PropertyCheck {
    types: Vec<String>,
    when: Option<Requirement>,
    require: Requirement,
    /// The ruledata, in one line.
    text: String,
}

impl Check for PropertyCheck {
    fn kind(&self) -> &'static dyn NativeKind {
        &Property
    }

    fn ruledata(&self) -> String {
        self.text.clone()
    }

    fn summary(&self) -> String {
        let when = self
            .when
            .as_ref()
            .map(|w| format!(", where {}", w.describe()))
            .unwrap_or_default();
        format!(
            "{}{when}: {}",
            self.types.join(", "),
            self.require.describe()
        )
    }

    fn reads(&self, resource_type: &str) -> bool {
        self.types.iter().any(|t| t == resource_type)
    }

    fn prepare<'v>(&'v self, context: &'v TemplateContext<'v>) -> Box<dyn PreparedCheck<'v> + 'v> {
        let resolver = context.resolver();
        Box::new(move |view: &'v ResourceView<'v>, variant: usize| {
            let form = &view.variants[variant];
            let properties = form.properties();
            in_worlds(&form.when, |world| {
                let mut evidence = Evidence::default();
                let applies = match &self.when {
                    Some(when) => when.truth(resolver, properties, "", world)?.holds,
                    None => Side::all([]),
                };
                let fails = self.require.truth(resolver, properties, "", world)?.fails;
                judge(&mut evidence, &applies, fails);
                Ok(evidence)
            })
        })
    }
}
