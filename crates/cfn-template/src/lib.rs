//! Reads CloudFormation templates as CloudFormation does, and works out the
//! values their intrinsic functions may take.
//!
//! Pure: no AWS, no network, no files. It is what the rule engine
//! (`template-rules`), the data handed to Guard and anything else that
//! looks at a template (a CloudFormation Hook, say) share, so that they all
//! see the same template.
//!
//! Where to start:
//! - [`Template::parse`] reads a template, JSON or YAML (short forms such
//!   as `!Ref`, anchors and merge keys, a byte-order mark), within
//!   [`Limits`] (size, nesting, values: a template comes from outside),
//!   refusing duplicate keys, and with the line each resource starts on.
//!   A [`ParseError`] says what is wrong and where.
//! - `Fn::ForEach` loops (`Transform: AWS::LanguageExtensions`) are
//!   expanded in the same call, as a pass after parsing: the resources are
//!   the ones CloudFormation would create, each naming the loop that
//!   generated it ([`Resource::generated_by`]).
//! - [`Template::resolver`] gives a [`Resolver`]: the values a property may
//!   take once the stack exists (`Ref` to a parameter's `Default`, both
//!   branches of `Fn::If`, `Fn::Sub`, `Fn::Join`, `Fn::FindInMap`, ...).
//!   `Fn::GetAtt` of a property the template writes (a VPC's `CidrBlock`)
//!   is that value. What cannot be known (any other `Fn::GetAtt`, a
//!   parameter without a `Default`,
//!   a bound of [`resolve::allowance`] reached) is an [`Unknown`] that says
//!   what, never a value silently dropped.
//! - [`view::views`] gives each resource in the forms it may take once
//!   `Fn::If` is chosen: what rule kinds read.
//! - [`unseen::unseen`] says what CloudFormation will add that the
//!   template does not show (macros, `Fn::Transform`, nested stacks), and
//!   so no rule can look at.
//! - [`parse_document`] reads any YAML or JSON document (a rules file) with
//!   the same caps.
//!
//! ```
//! use cfn_template::{Template, resolve::Value};
//!
//! let template = Template::parse(br#"
//! Parameters:
//!   SshLocation: {Type: String, Default: 0.0.0.0/0}
//! Resources:
//!   BastionSg:
//!     Type: AWS::EC2::SecurityGroup
//!     Properties:
//!       SecurityGroupIngress:
//!         - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref SshLocation}
//! "#).unwrap();
//! let resource = &template.resources[0];
//! assert_eq!((resource.logical_id.as_str(), resource.line), ("BastionSg", 5));
//!
//! let resolver = template.resolver();
//! let ingress = &resource.properties().unwrap().get("SecurityGroupIngress").unwrap();
//! let cidr = ingress.as_array().unwrap()[0].get("CidrIp").unwrap();
//! let candidates = resolver.resolve(cidr);
//! assert_eq!(candidates[0].as_text().unwrap(), "0.0.0.0/0");
//! assert_eq!(candidates[0].via.unwrap().to_string(), "default of parameter SshLocation");
//! ```
//!
//! The files are layered, each using only those below it: `node` (the
//! tree), then errors, limits and lines, then the two front-ends (JSON and
//! YAML, which produce the sections as written), then [`resolve`], then
//! `Fn::ForEach` expansion (which resolves collections), then [`Template`],
//! which puts them together, then [`view`] and [`unseen`].

#![warn(missing_docs)]

pub mod display;
mod document;
mod error;
mod foreach;
mod json;
mod limits;
mod lines;
mod node;
pub mod resolve;
mod sections;
mod template;
pub mod unseen;
pub mod view;
mod yaml;

pub use document::{parse_document, parse_node};
pub use error::ParseError;
pub use limits::{CLOUDFORMATION_MAX_TEMPLATE_BYTES, Limits};
pub use node::{Node, Object};
pub use resolve::{Candidate, Resolver, Unknown};
pub use sections::Format;
pub use template::{Resource, Template};
