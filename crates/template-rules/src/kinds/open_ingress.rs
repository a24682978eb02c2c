//! `open-ingress`: an ingress permission open to the world (a source CIDR
//! with prefix length 0), or sources that together cover every address,
//! admitting any of the protocols and ports in `ruledata`.

use std::sync::Arc;

use cfn_template::view::ResourceView;

use crate::category::Category;
use crate::context::TemplateContext;
use crate::ingress::{self, PortSpec};
use crate::kind::{Categories, Check, Description, Example, NativeKind, PreparedCheck};

/// The `ruletype` of the kind.
pub const OPEN_INGRESS: &str = "open-ingress";

/// The kind: see the module documentation.
pub struct OpenIngress;

impl NativeKind for OpenIngress {
    fn describe(&self) -> Description {
        Description {
            ruletype: OPEN_INGRESS,
            summary: "security group ingress open to the world (a /0 source, or sources that together cover every address) on the protocols and ports named",
            ruledata: "`all`, or a list such as `tcp:22`, `tcp:8000-8999, udp:53`, `icmp`",
            categories: Categories::Only(Category::SecurityGroup),
            example: Example {
                category: "SecurityGroup",
                ruledata: "tcp:22",
                fires: r#"{"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "bastion",
                    "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}]}}"#,
                passes: r#"{"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "bastion",
                    "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "10.0.0.0/8"}]}}"#,
                with: "",
            },
        }
    }

    fn parse(&self, ruledata: &str) -> Result<Arc<dyn Check>, String> {
        Ok(Arc::new(OpenIngressCheck(ruledata.parse()?)))
    }
}

#[derive(Debug)]
struct OpenIngressCheck(PortSpec);

impl Check for OpenIngressCheck {
    fn kind(&self) -> &'static dyn NativeKind {
        &OpenIngress
    }

    fn ruledata(&self) -> String {
        self.0.to_string()
    }

    /// Security groups and standalone ingress: the permissions are read
    /// across them (see [`ingress`]).
    fn prepare<'v>(&'v self, context: &'v TemplateContext<'v>) -> Box<dyn PreparedCheck<'v> + 'v> {
        let mut evidence = ingress::check(context.ingress(), &self.0, context.work());
        Box::new(move |view: &'v ResourceView<'v>, variant: usize| {
            evidence.take(view.index, variant)
        })
    }
}
