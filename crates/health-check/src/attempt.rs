//! One attempt: the main check, then the extra checks, stopping at the first
//! that fails.

use std::fmt;
use std::time::{Duration, Instant, SystemTime};

use crate::checker::{Check, Checker};
use crate::problem::{Probe, Problem};
use crate::target::Refusal;

/// How one attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// 1 for the job's first attempt; counts on across invocations.
    pub number: u32,
    /// When it started.
    pub started_at: SystemTime,
    /// The probes made, in order; the last one failed unless all passed.
    pub probes: Vec<Probe>,
}

impl Attempt {
    /// Every check was made and passed.
    pub fn healthy(&self) -> bool {
        !self.probes.is_empty() && self.probes.iter().all(Probe::passed)
    }

    /// The main check's probe.
    pub fn primary(&self) -> Option<&Probe> {
        self.probes.first()
    }

    /// The probe that failed, if one did.
    pub fn failed_probe(&self) -> Option<&Probe> {
        self.probes.iter().find(|p| !p.passed())
    }

    /// A refused address: retrying cannot help.
    pub fn refusal(&self) -> Option<&Refusal> {
        self.probes.iter().find_map(|p| match &p.problem {
            Some(Problem::Refused(r)) => Some(r),
            _ => None,
        })
    }

    /// What no retry can fix (a refused address, a redirect to another
    /// scheme), as a message: the attempt ends the check.
    pub fn refused(&self) -> Option<String> {
        self.probes
            .iter()
            .find_map(|p| p.problem.as_ref().and_then(Problem::refusal))
    }
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "attempt {}: ", self.number)?;
        if self.probes.is_empty() {
            return f.write_str("nothing to check");
        }
        for (i, probe) in self.probes.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{probe}")?;
        }
        Ok(())
    }
}

impl Checker {
    /// Probes `checks` in order, each within `timeout`, all within
    /// `allowance`, stopping at the first that fails.
    pub async fn attempt(
        &self,
        checks: &[Check],
        number: u32,
        timeout: Duration,
        allowance: Duration,
    ) -> Attempt {
        let started_at = SystemTime::now();
        let started = Instant::now();
        let mut probes = Vec::with_capacity(checks.len());
        for check in checks {
            let left = allowance.saturating_sub(started.elapsed());
            let probe = self.probe(check, timeout.min(left)).await;
            let passed = probe.passed();
            probes.push(probe);
            if !passed {
                break;
            }
        }
        Attempt {
            number,
            started_at,
            probes,
        }
    }
}
