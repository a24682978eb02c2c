//! Is a web service up? The check behind the pipeline's Service_Status stage
//! and `cicd health`, with no Lambda and no AWS in it.
//!
//! - [`target`]: which URLs may be checked (`http`/`https` only; link-local
//!   addresses and the instance metadata service refused, see [`addr`]).
//! - [`probe`]: one GET with connect and total timeouts, at most
//!   [`redirect::MAX_REDIRECTS`] redirects (each target validated again),
//!   the body read up to a cap, judged by an [`expect::Expectation`].
//! - [`attempt`]: the main check plus extra checks, as one attempt.
//! - [`schedule`] and [`wait`]: retrying with backoff until healthy, within
//!   an overall deadline and the caller's time budget.
//! - [`settings`]: the environment settings both callers share
//!   (`HEALTH_CHECK_ALLOW_LINK_LOCAL`, `HEALTH_CHECK_CA_FILE`).

pub mod addr;
pub mod attempt;
pub mod clock;
pub mod expect;
pub mod probe;
pub mod redirect;
pub mod resolver;
pub mod schedule;
pub mod settings;
pub mod target;
pub mod wait;

pub use attempt::Attempt;
pub use clock::{Clock, SystemClock};
pub use expect::Expectation;
pub use probe::{Check, Checker, Limits, Probe, Problem, SetupError};
pub use schedule::Backoff;
pub use settings::{Settings, SettingsError};
pub use target::{Refusal, Target, TargetError, TargetPolicy};
pub use wait::{Progress, Run, RunEnd, Schedule, wait_until_healthy};
