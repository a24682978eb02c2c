//! Which resources a rule applies to.

/// Which resources a rule applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Category {
    /// `AWS::EC2::SecurityGroup`, `::SecurityGroupIngress`, `::SecurityGroupEgress`.
    SecurityGroup,
    /// `AWS::EC2::Instance`, `AWS::EC2::LaunchTemplate`, `AWS::AutoScaling::LaunchConfiguration`.
    Ec2Instance,
    /// A label for grouping (`S3`, `IAM`, ...), for a guard item or a kind
    /// whose checks say which resource types they read.
    Label(String),
}

/// The category of a guard item that names none.
pub const GUARD_CATEGORY: &str = "Guard";

impl Category {
    /// The category as an item names it.
    pub fn name(&self) -> &str {
        match self {
            Category::SecurityGroup => "SecurityGroup",
            Category::Ec2Instance => "EC2Instance",
            Category::Label(label) => label,
        }
    }

    /// The category with resource types of its own that `s` names.
    pub(crate) fn known(s: &str) -> Option<Category> {
        match s {
            "SecurityGroup" => Some(Category::SecurityGroup),
            "EC2Instance" => Some(Category::Ec2Instance),
            _ => None,
        }
    }

    /// Whether a rule of this category looks at a resource of this type (a
    /// label covers none: the rule's check or Guard rules select their own).
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
