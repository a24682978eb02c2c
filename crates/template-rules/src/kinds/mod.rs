//! The native rule kinds, by `ruletype`. A kind is one file implementing
//! [`NativeKind`] (declared here), and one line of [`KINDS`]; the engine,
//! `cicd rules kinds`, SARIF and the property tests find it there.

pub mod forbidden_ami;
pub mod open_ingress;
pub mod policy;
pub mod property;
pub mod regex;
pub mod relation;

pub use forbidden_ami::FORBIDDEN_AMI;
pub use open_ingress::OPEN_INGRESS;
pub use policy::POLICY;
pub use property::PROPERTY;
pub use regex::REGEX;
pub use relation::RELATION;

use crate::kind::NativeKind;

/// Every native kind, in the order `cicd rules kinds` lists them.
pub static KINDS: &[&dyn NativeKind] = &[
    &open_ingress::OpenIngress,
    &forbidden_ami::ForbiddenAmi,
    &regex::Regex,
    &property::Property,
    &policy::Policy,
    &relation::Relation,
];

/// The kind `ruletype` names.
pub fn find(ruletype: &str) -> Option<&'static dyn NativeKind> {
    KINDS
        .iter()
        .copied()
        .find(|kind| kind.describe().ruletype == ruletype)
}
