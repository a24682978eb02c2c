//! Is a web service up? The check behind the pipeline's Service_Status stage
//! and `cicd health`, with no Lambda and no AWS in it.
//!
//! - [`target`]: which URLs may be checked (`http`/`https` only; link-local
//!   addresses, the instance metadata service, loopback and this host's
//!   other addresses refused, in every spelling, see [`addr`]).
//! - [`checker`]: the HTTP client every probe uses, set up once from the
//!   [`settings`] (`HEALTH_CHECK_ALLOW_LINK_LOCAL`,
//!   `HEALTH_CHECK_ALLOW_LOOPBACK`, `HEALTH_CHECK_CA_FILE`) that the Lambda
//!   function and the CLI share.
//! - [`probe`]: one GET with connect and total timeouts, at most
//!   [`redirect::MAX_REDIRECTS`] redirects (each target validated again),
//!   the body read up to a cap, judged by an
//!   [`expect::Expectation`]; [`problem`] says how it went.
//! - [`attempt`]: the main check plus extra checks, as one attempt.
//! - [`schedule`] and [`clock`]: when to try again and when to stop, within
//!   an overall deadline and the caller's time budget, on a clock tests can
//!   drive (the rounds themselves are `health-gate`'s).
//! - [`mod@format`]: durations, sizes and statuses as every message shows them.
//!
//! Start with [`Checker::from_env`] and [`Checker::attempt`]; a single
//! probe is [`Checker::probe`].

#![warn(missing_docs)]

pub mod addr;
pub mod attempt;
mod body;
pub mod checker;
mod client_error;
pub mod clock;
pub mod expect;
pub mod format;
pub mod policy;
pub mod probe;
pub mod problem;
pub mod redirect;
pub mod resolver;
pub mod schedule;
pub mod settings;
pub mod target;

pub use attempt::Attempt;
pub use checker::{Check, Checker, CheckerBuilder, FromEnvError, Limits, SetupError};
pub use clock::{Clock, SystemClock};
pub use expect::Expectation;
pub use problem::{Probe, Problem, Waiting};
pub use schedule::{Backoff, Schedule};
pub use settings::{Settings, SettingsError};
pub use target::{Refusal, Target, TargetError, TargetPolicy};
