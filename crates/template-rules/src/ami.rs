//! Forbidden AMIs: the `ImageId` an instance would boot from.

use crate::node::Node;
use crate::resolve::Resolver;
use crate::template::Resource;

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

/// A reason for each forbidden AMI the resource may boot from.
pub fn forbidden_ami<'t>(
    resource: &'t Resource<'t>,
    forbidden: &[String],
    resolver: &Resolver<'t>,
) -> Vec<String> {
    let Some((path, value)) = image_id(resource) else {
        return Vec::new();
    };
    resolver
        .resolve_text(value)
        .into_iter()
        .filter(|(ami, _)| forbidden.iter().any(|f| f.eq_ignore_ascii_case(ami.trim())))
        .map(|(ami, via)| match via {
            Some(via) => format!("{path} {ami} is a forbidden AMI ({via})"),
            None => format!("{path} {ami} is a forbidden AMI"),
        })
        .collect()
}
