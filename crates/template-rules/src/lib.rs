//! Scores CloudFormation templates against security rules.
//!
//! Pure: no AWS, no network, no files. Callers hand in a [`Template`]
//! (read by `cfn-template`, re-exported here) and a [`RuleSet`] (the
//! embedded defaults, a rules file, or items read from DynamoDB by someone
//! else) and get a [`Report`] back.
//!
//! Where to start: [`evaluate`] (`engine`) applies a rule set to a
//! template; [`RuleSet`] reads items into rules; each native rule
//! kind (`open-ingress`, `forbidden-ami`, `regex`) is one file under
//! [`kinds`] implementing [`NativeKind`], listed once in [`kinds::KINDS`];
//! Guard items go to [`guard`]; [`Thresholds`] turn findings into a
//! [`Verdict`].
//!
//! It fails closed. A value that cannot be worked out, or a bound reached
//! while working it out, makes the rules that depend on it **unresolved**
//! findings ([`Finding::unresolved`] names what was not known), never a
//! silent pass; so does what CloudFormation will add that the template
//! does not show (a macro, `Fn::Transform`, a nested stack: [`unseen`]); what they do to the verdict is the [`UnresolvedPolicy`]
//! carried by [`Thresholds`] (see [`Thresholds::judge`]). Every template
//! of at most 1 MiB is read and checked in bounded time and memory
//! ([`Limits`], and the allowance of [`resolve`]); a caller that must get its
//! thread back sooner gives [`evaluate_until`] a [`Budget`].
//!
//! Guard items (`ruletype: guard`) are evaluated by AWS's `cfn-guard`
//! (through `guard-rules`) on the template as this crate read it; their
//! failures are findings like any other (see [`guard`]). A check that
//! cannot be trusted has no report: [`evaluate`] returns an
//! [`EvaluationError`] when Guard fails on an item, so no caller can read a
//! verdict from it.
//!
//! ```
//! use template_rules::{evaluate, RuleSet, Template, Thresholds, Verdict};
//!
//! let template = Template::parse(br#"
//! Resources:
//!   BastionSg:
//!     Type: AWS::EC2::SecurityGroup
//!     Properties:
//!       GroupDescription: bastion
//!       SecurityGroupIngress:
//!         - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
//! "#).unwrap();
//! let report = evaluate(&template, &RuleSet::defaults(), &Thresholds::default()).unwrap();
//! assert_eq!(report.verdict, Verdict::Fail);
//! assert_eq!(report.risk, 200); // IngressOpenToWorld + SSHOpenToWorld
//! assert_eq!(report.findings[1].reason, "SecurityGroupIngress[0] admits tcp 22 from 0.0.0.0/0");
//! ```

#![warn(missing_docs)]

mod baseline;
mod budget;
mod calendar;
mod category;
mod context;
mod engine;
mod evidence;
pub mod fingerprint;
pub mod guard;
pub mod ingress;
mod kind;
pub mod kinds;
pub mod render;
mod report;
mod rules;
mod structured;
mod suppression;
pub mod unseen;

pub use baseline::{Baseline, BaselineError, evaluate_against};

pub use budget::{Budget, Interrupted};
pub use calendar::today;
pub use cfn_template::{
    CLOUDFORMATION_MAX_TEMPLATE_BYTES, Format, Limits, Node, Object, ParseError, Resource,
    Template, parse_document, resolve,
};
pub use context::TemplateContext;
pub use engine::{evaluate, evaluate_until, evaluate_with};
pub use evidence::Evidence;
pub use guard::{EvaluateOptions, EvaluationError};
pub use kind::{Categories, Check, Description, Example, NativeKind, PreparedCheck};
pub use report::{
    BaselinePolicy, BaselineState, BaselineSummary, Finding, Judgement, Report, TemplateReport,
    Thresholds, UnresolvedPolicy, ValidationReport, Verdict,
};
pub use rules::{
    Category, GUARD, GUARD_CATEGORY, Guidance, Rule, RuleError, RuleItem, RuleKind, RuleSet,
    RulesFileError, SuppressionPolicy, UnusableRules, guard_summary,
};
pub use suppression::EXPIRY_WARNING_DAYS;
/// A calendar day (the `time` crate's): [`EvaluateOptions::today`].
pub use time::Date;
pub use unseen::{UNSEEN, UNSEEN_RISK, UNSEEN_SUMMARY};
