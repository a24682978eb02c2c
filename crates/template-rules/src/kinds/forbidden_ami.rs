//! `forbidden-ami`: an instance, launch template or launch configuration
//! whose `ImageId` is one of the AMI ids in `ruledata`. An image id that
//! cannot be worked out (an SSM parameter, say) may be any of them.

use std::sync::Arc;

use cfn_template::Node;
use cfn_template::display::short;
use cfn_template::resolve::{Resolver, Value};
use cfn_template::view::{Reached, ResourceView, reach};

use crate::category::Category;
use crate::context::TemplateContext;
use crate::evidence::{Evidence, names};
use crate::ingress::MAX_VALUE_TEXT;
use crate::kind::{Categories, Check, Description, Example, NativeKind, PreparedCheck};

/// The `ruletype` of the kind.
pub const FORBIDDEN_AMI: &str = "forbidden-ami";

/// The kind: see the module documentation.
pub struct ForbiddenAmi;

impl NativeKind for ForbiddenAmi {
    fn describe(&self) -> Description {
        Description {
            ruletype: FORBIDDEN_AMI,
            summary: "an instance, launch template or launch configuration that boots from a forbidden AMI",
            ruledata: "AMI ids, separated by commas or spaces",
            categories: Categories::Only(Category::Ec2Instance),
            example: Example {
                category: "EC2Instance",
                ruledata: "ami-7a11e211, ami-08111162",
                fires: r#"{"Type": "AWS::EC2::Instance", "Properties": {"ImageId": "ami-7a11e211", "InstanceType": "t3.micro"}}"#,
                passes: r#"{"Type": "AWS::EC2::Instance", "Properties": {"ImageId": "ami-0abcdef1", "InstanceType": "t3.micro"}}"#,
                with: "",
            },
        }
    }

    fn parse(&self, ruledata: &str) -> Result<Arc<dyn Check>, String> {
        let amis: Vec<String> = ruledata
            .split([',', ' ', '\n', '\t'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        if amis.is_empty() {
            return Err("ruledata lists no AMI ids".to_string());
        }
        Ok(Arc::new(ForbiddenAmiCheck(amis)))
    }
}

#[derive(Debug)]
struct ForbiddenAmiCheck(Vec<String>);

impl Check for ForbiddenAmiCheck {
    fn kind(&self) -> &'static dyn NativeKind {
        &ForbiddenAmi
    }

    fn ruledata(&self) -> String {
        self.0.join(", ")
    }

    fn prepare<'v>(&'v self, context: &'v TemplateContext<'v>) -> Box<dyn PreparedCheck<'v> + 'v> {
        Box::new(move |view: &'v ResourceView<'v>, variant: usize| {
            let mut evidence = Evidence::default();
            let properties = view.variants[variant].properties();
            let (Some(properties), Some((path, keys))) =
                (properties, image_id(view.resource_type()))
            else {
                return evidence;
            };
            for reached in reach(properties, keys) {
                match reached {
                    Reached::Value(value) => {
                        forbidden_ami(path, value, &self.0, context.resolver(), &mut evidence)
                    }
                    // A container on the way cannot be known: it may hold any image.
                    Reached::Unknown(why) => evidence.may_fire(
                        format!("{path} may be a forbidden AMI ({why})"),
                        std::slice::from_ref(&why),
                    ),
                }
            }
            evidence
        })
    }
}

/// Where each resource type in the `EC2Instance` category names its image.
fn image_id(resource_type: &str) -> Option<(&'static str, &'static [&'static str])> {
    match resource_type {
        "AWS::EC2::Instance" | "AWS::AutoScaling::LaunchConfiguration" => {
            Some(("ImageId", &["ImageId"]))
        }
        "AWS::EC2::LaunchTemplate" => Some((
            "LaunchTemplateData.ImageId",
            &["LaunchTemplateData", "ImageId"],
        )),
        _ => None,
    }
}

/// Why the image at `path` is, or may be, a forbidden AMI.
fn forbidden_ami<'t>(
    path: &str,
    value: &'t Node<'t>,
    forbidden: &[String],
    resolver: &Resolver<'t>,
    evidence: &mut Evidence,
) {
    let is_forbidden = |ami: &str| forbidden.iter().any(|f| f.eq_ignore_ascii_case(ami.trim()));
    for candidate in resolver.resolve(value) {
        let via = candidate
            .via
            .as_ref()
            .map(|v| format!(" ({v})"))
            .unwrap_or_default();
        match (&candidate.value, candidate.as_text()) {
            (_, Some(ami)) if ami.len() <= MAX_VALUE_TEXT => {
                if !is_forbidden(&ami) {
                    continue;
                }
                if candidate.is_resolved() {
                    evidence.fires(format!("{path} {ami} is a forbidden AMI{via}"));
                } else {
                    evidence.may_fire(
                        format!(
                            "{path} may be {ami}, a forbidden AMI{via} ({})",
                            names(&candidate.unknown)
                        ),
                        &candidate.unknown,
                    );
                }
            }
            // Only the end is known: it may still name a forbidden AMI.
            (Value::Shaped(shape), _) if !shape.tail().is_empty() => {
                let tail = shape.tail().to_ascii_lowercase();
                if let Some(ami) = forbidden.iter().find(|f| f.ends_with(tail.trim())) {
                    evidence.may_fire(
                        format!(
                            "{path} ends in {} and may be {ami}, a forbidden AMI ({})",
                            short(&tail),
                            names(&candidate.unknown)
                        ),
                        &candidate.unknown,
                    );
                }
            }
            (Value::Unknown | Value::Shaped(_), _) => evidence.may_fire(
                format!(
                    "{path} may be a forbidden AMI ({})",
                    names(&candidate.unknown)
                ),
                &candidate.unknown,
            ),
            // A value that is no image id: CloudFormation refuses it.
            _ => {}
        }
    }
}
