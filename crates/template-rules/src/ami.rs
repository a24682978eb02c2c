//! Forbidden AMIs: the `ImageId` an instance would boot from.

use crate::ingress::MAX_VALUE_TEXT;
use crate::outcome::{Outcome, names};
use cfn_template::Node;
use cfn_template::Resource;
use cfn_template::display::short;
use cfn_template::resolve::{Resolver, Value};

/// Where each resource type in the `EC2Instance` category names its image.
fn image_id<'t>(resource: &'t Resource<'t>) -> Option<(&'static str, &'t Node<'t>)> {
    let properties = resource.properties()?;
    match resource.resource_type.as_str() {
        "AWS::EC2::Instance" | "AWS::AutoScaling::LaunchConfiguration" => {
            properties.get("ImageId").map(|v| ("ImageId", v))
        }
        "AWS::EC2::LaunchTemplate" => properties
            .get("LaunchTemplateData")?
            .get("ImageId")
            .map(|v| ("LaunchTemplateData.ImageId", v)),
        _ => None,
    }
}

/// Why the resource boots, or may boot, from a forbidden AMI. An image id
/// that cannot be worked out (an SSM parameter, say) may be any of them.
pub fn forbidden_ami<'t>(
    resource: &'t Resource<'t>,
    forbidden: &[String],
    resolver: &Resolver<'t>,
) -> Outcome {
    let mut outcome = Outcome::default();
    let Some((path, value)) = image_id(resource) else {
        return outcome;
    };
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
                    outcome.fires(format!("{path} {ami} is a forbidden AMI{via}"));
                } else {
                    outcome.may_fire(
                        format!(
                            "{path} may be {ami}, a forbidden AMI{via} ({})",
                            names(&candidate.unknown)
                        ),
                        &candidate.unknown,
                    );
                }
            }
            // Only the end is known: it may still name a forbidden AMI.
            (Value::Tail(tail), _) => {
                let tail = tail.to_ascii_lowercase();
                if let Some(ami) = forbidden.iter().find(|f| f.ends_with(tail.trim())) {
                    outcome.may_fire(
                        format!(
                            "{path} ends in {} and may be {ami}, a forbidden AMI ({})",
                            short(&tail),
                            names(&candidate.unknown)
                        ),
                        &candidate.unknown,
                    );
                }
            }
            (Value::Unknown, _) => outcome.may_fire(
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
    outcome
}
