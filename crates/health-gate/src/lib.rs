//! Is a release healthy? The gate behind the pipeline's Service_Status
//! stage and `cicd health`: several signals judged together over a window,
//! with a pass, a failure, or an inconclusive verdict that keeps the gate
//! going until its deadline. No AWS in it: the signals are read through
//! [`ports`], which the `release-signals` crate implements with the SDK.
//!
//! - [`plan`]: what to look at and what it takes to pass, shared by the
//!   Lambda function (`UserParameters`) and the CLI (its options).
//! - The signals, each judged on its own: [`streak`] (probes in a row that
//!   met every expectation, and their latency), [`stack`] (the stack's
//!   state), [`targets`] (the load balancer's target health), [`alarms`]
//!   (CloudWatch alarms); [`observe`] reads them through the [`ports`].
//! - [`verdict`]: one round's signals judged together.
//! - [`gate`]: rounds until the verdict settles, the deadline passes or the
//!   run's time is up, on `health-check`'s schedule and clock.
//!
//! Start with [`Plan`], then [`Observer`] and [`gate::run`].

#![warn(missing_docs)]

pub mod alarms;
pub mod error;
pub mod gate;
pub mod judgement;
pub mod observe;
pub mod plan;
pub mod ports;
pub mod stack;
pub mod streak;
pub mod targets;
pub mod verdict;

pub use alarms::{Alarm, AlarmsRead};
pub use error::{SignalError, SignalErrorKind};
pub use gate::{End, Evidence, GateRun, Progress};
pub use judgement::Judgement;
pub use observe::{Observation, Observer};
pub use plan::{InsufficientData, Plan, PlanError, PlanSpec, Selection, Source};
pub use ports::{Alarms, Stacks, TargetGroups};
pub use stack::StackState;
pub use streak::Streak;
pub use targets::{TargetGroupHealth, TargetHealth};
pub use verdict::{Outcome, Verdict};
