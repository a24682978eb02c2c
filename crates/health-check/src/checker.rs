//! The checker: one HTTP client, set up once, that every probe uses.
//!
//! The client has what every probe needs: rustls (the same rustls and
//! aws-lc as the AWS SDK), the system's trust store plus any configured CA,
//! a connect timeout, the guarded resolver of [`crate::resolver`], no proxy
//! (a proxy would resolve names where the guard cannot see them) and no
//! connection reuse (each attempt sees what a new visitor would). Redirects
//! are not followed by the client: the probe follows them itself (see
//! [`crate::redirect`]).

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use crate::client_error::error_detail;
use crate::expect::Expectation;
use crate::redirect;
use crate::resolver::GuardedResolver;
use crate::settings::{Settings, SettingsError};
use crate::target::{Target, TargetPolicy};

/// One URL and what it should answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// The URL, already validated.
    pub target: Target,
    /// What a healthy answer looks like.
    pub expect: Expectation,
}

/// Bounds on every probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// For the TCP connection and TLS handshake.
    pub connect_timeout: Duration,
    /// Bytes of a body that are read; the rest is not downloaded. The
    /// expected text must be within them.
    pub body_cap: usize,
    /// Redirects followed at most (each target validated again).
    pub max_redirects: usize,
}

impl Default for Limits {
    /// 5 s to connect, 1 MiB of body, 5 redirects.
    fn default() -> Self {
        Limits {
            connect_timeout: Duration::from_secs(5),
            body_cap: 1024 * 1024,
            max_redirects: redirect::MAX_REDIRECTS,
        }
    }
}

/// Makes probes; cheap to clone (the client is shared).
#[derive(Debug, Clone)]
pub struct Checker {
    pub(crate) client: reqwest::Client,
    pub(crate) policy: TargetPolicy,
    pub(crate) limits: Limits,
}

/// Builds a [`Checker`].
#[derive(Debug, Clone)]
pub struct CheckerBuilder {
    settings: Settings,
    limits: Limits,
    fixed: HashMap<String, Vec<IpAddr>>,
}

/// The HTTP client could not be built (e.g. a CA certificate rustls rejects).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot set up the HTTP client: {0}")]
pub struct SetupError(pub String);

/// Why no checker could be made from the environment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FromEnvError {
    /// A setting cannot be used.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The HTTP client cannot be built with them.
    #[error(transparent)]
    Setup(#[from] SetupError),
}

impl CheckerBuilder {
    /// Bounds every probe by `limits` instead of the defaults.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Resolves `host` to `address` instead of asking DNS (like a line in
    /// `/etc/hosts`). The address is still subject to the policy.
    pub fn resolve(mut self, host: &str, address: IpAddr) -> Self {
        self.fixed
            .entry(host.to_ascii_lowercase())
            .or_default()
            .push(address);
        self
    }

    /// The checker: its HTTP client, built once.
    pub fn build(self) -> Result<Checker, SetupError> {
        let policy = self.settings.policy;
        let resolver = GuardedResolver {
            policy,
            fixed: self.fixed,
        };
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("cicd-health-check/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(self.limits.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(resolver)
            .no_proxy()
            .pool_max_idle_per_host(0);
        if let Some(roots) = &self.settings.extra_roots {
            builder = builder.tls_certs_merge(roots.certificates.iter().cloned());
        }
        let client = builder
            .build()
            .map_err(|e| SetupError(error_detail(&e, true)))?;
        Ok(Checker {
            client,
            policy,
            limits: self.limits,
        })
    }
}

impl Checker {
    /// A builder for a checker with `settings`, for tests and the CLI that
    /// need more than [`Checker::new`] (other limits, fixed name resolution).
    pub fn builder(settings: Settings) -> CheckerBuilder {
        CheckerBuilder {
            settings,
            limits: Limits::default(),
            fixed: HashMap::new(),
        }
    }

    /// A checker with `settings` and the default [`Limits`].
    pub fn new(settings: Settings) -> Result<Checker, SetupError> {
        Checker::builder(settings).build()
    }

    /// A checker with the settings in the process environment (see
    /// [`crate::settings`]): how the Lambda function and the CLI both
    /// start, so that both check the same way.
    pub fn from_env() -> Result<Checker, FromEnvError> {
        Ok(Checker::new(Settings::from_env()?)?)
    }

    /// What this checker may reach; validate targets with it.
    pub fn policy(&self) -> TargetPolicy {
        self.policy
    }

    /// The bounds on its probes.
    pub fn limits(&self) -> Limits {
        self.limits
    }
}
