//! What may be checked besides ordinary addresses, and the variables that
//! allow it. What kind of refused address an address is, is the `addr`
//! module's; reading the variables from the environment, `settings`'.

/// Allows link-local targets (the environment variable).
pub const ALLOW_LINK_LOCAL_VAR: &str = "HEALTH_CHECK_ALLOW_LINK_LOCAL";
/// Allows loopback targets (the environment variable).
pub const ALLOW_LOOPBACK_VAR: &str = "HEALTH_CHECK_ALLOW_LOOPBACK";

/// What may be checked besides ordinary addresses. Both are off unless
/// explicitly configured ([`ALLOW_LINK_LOCAL_VAR`], [`ALLOW_LOOPBACK_VAR`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TargetPolicy {
    /// Allow link-local targets and the instance metadata address.
    pub allow_link_local: bool,
    /// Allow loopback targets (127.0.0.0/8, `::1`).
    pub allow_loopback: bool,
}

impl TargetPolicy {
    /// Ordinary addresses only: the default.
    pub const STRICT: TargetPolicy = TargetPolicy {
        allow_link_local: false,
        allow_loopback: false,
    };
    /// Loopback too (`HEALTH_CHECK_ALLOW_LOOPBACK=true`): local tests, the demo.
    pub const LOOPBACK: TargetPolicy = TargetPolicy {
        allow_link_local: false,
        allow_loopback: true,
    };
    /// Link-local too (`HEALTH_CHECK_ALLOW_LINK_LOCAL=true`).
    pub const LINK_LOCAL: TargetPolicy = TargetPolicy {
        allow_link_local: true,
        allow_loopback: false,
    };
}
