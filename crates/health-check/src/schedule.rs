//! When to try again and when to stop: plain functions of the attempts so
//! far and the time, so tests can drive them with any clock.
//!
//! A check has an overall deadline, counted from its first attempt (a fresh
//! stack answers 502 until CodeDeploy is done, which takes minutes). A
//! single run of the loop may also have to stop earlier (a Lambda
//! invocation ends before its timeout); it then *suspends* and a later run
//! goes on with the same first-attempt time and attempt count. Failed
//! attempts are retried after an exponential backoff, never waiting past the
//! deadline: the last attempt is made at the deadline itself, so a service
//! that comes up just in time is not failed. [`next`] decides the same for
//! any other wait (a gate that needs several successes in a row waits its
//! probe interval after each).

use std::time::{Duration, SystemTime};

/// The least time a run needs left to make an attempt at all.
pub const MIN_ATTEMPT_TIME: Duration = Duration::from_secs(1);

/// Waits between failed attempts: `initial`, doubling, at most `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first wait.
    pub initial: Duration,
    /// The longest wait, however many attempts failed.
    pub max: Duration,
}

impl Default for Backoff {
    /// 1 s, 2 s, 4 s, 8 s, then every 15 s: quick to notice a service that
    /// comes up soon, without hammering one that takes minutes.
    fn default() -> Self {
        Backoff {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(15),
        }
    }
}

impl Backoff {
    /// The wait after `failures` failed attempts in a row (1 or more).
    pub fn after(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(31);
        self.initial
            .saturating_mul(1u32 << doublings)
            .min(self.max.max(self.initial))
    }
}

/// How the retrying goes: the deadline, the waits between attempts, and
/// the time one attempt and one run may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// How long after the first attempt the check gives up.
    pub deadline: Duration,
    /// How long to wait between attempts.
    pub backoff: Backoff,
    /// The most one attempt may take (all its probes).
    pub attempt_time: Duration,
    /// When this run must be over; `None`: only the deadline bounds it.
    pub run_until: Option<SystemTime>,
}

/// The points in time that bound the checking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// The first attempt plus the deadline: no attempt starts after it.
    pub give_up_at: SystemTime,
    /// When this run must be over (for a Lambda invocation, its timeout
    /// less a margin); `None` for a run bounded only by `give_up_at`.
    pub run_until: Option<SystemTime>,
}

/// What to do after an attempt that did not settle the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Wait this long, then attempt again.
    RetryIn(Duration),
    /// The deadline has not passed, but this run has no time for another
    /// attempt: stop, to be continued by a later run.
    Suspend,
    /// The deadline has passed: the service is not healthy.
    GiveUp,
}

/// Decides after `failures` failed attempts, at `now`, when an attempt may
/// take up to `attempt_time`: wait as the backoff says.
pub fn after_failure(
    backoff: &Backoff,
    failures: u32,
    attempt_time: Duration,
    now: SystemTime,
    bounds: &Bounds,
) -> Next {
    next(backoff.after(failures), attempt_time, now, bounds)
}

/// Decides whether to attempt again after `wait` (cut to end at the
/// deadline), at `now`, when an attempt may take up to `attempt_time`.
pub fn next(wait: Duration, attempt_time: Duration, now: SystemTime, bounds: &Bounds) -> Next {
    let until_deadline = bounds
        .give_up_at
        .duration_since(now)
        .unwrap_or(Duration::ZERO);
    if until_deadline.is_zero() {
        return Next::GiveUp;
    }
    let wait = wait.min(until_deadline);
    if let Some(run_until) = bounds.run_until {
        let run_left = run_until.duration_since(now).unwrap_or(Duration::ZERO);
        if wait.saturating_add(attempt_time) > run_left {
            return Next::Suspend;
        }
    }
    Next::RetryIn(wait)
}

/// How long the first attempt of a run may take: `attempt_time`, or less if
/// the run ends sooner; `None` if the run has less than
/// [`MIN_ATTEMPT_TIME`] left.
pub fn first_attempt_allowance(
    attempt_time: Duration,
    now: SystemTime,
    run_until: Option<SystemTime>,
) -> Option<Duration> {
    match run_until {
        None => Some(attempt_time),
        Some(until) => {
            let left = until.duration_since(now).unwrap_or(Duration::ZERO);
            (left >= MIN_ATTEMPT_TIME).then(|| attempt_time.min(left))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn at(seconds: f64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000) + Duration::from_secs_f64(seconds)
    }

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn backoff_doubles_up_to_its_maximum() {
        let b = Backoff::default();
        let waits: Vec<u64> = (1..=7).map(|n| b.after(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 15, 15, 15]);
        assert_eq!(b.after(0), secs(1.0));
        assert_eq!(b.after(u32::MAX), secs(15.0));
        let odd = Backoff {
            initial: secs(0.25),
            max: secs(0.1),
        };
        assert_eq!(odd.after(5), secs(0.25), "max below initial: initial wins");
    }

    #[test]
    fn without_a_run_limit_it_retries_until_the_deadline_then_gives_up() {
        let b = Backoff::default();
        let bounds = Bounds {
            give_up_at: at(10.0),
            run_until: None,
        };
        // A service that never answers, each attempt taking no time: the
        // attempts fall at 0, 1, 3, 7 and (the wait cut to the deadline) 10.
        let mut now = 0.0;
        let mut times = vec![now];
        let mut failures = 0;
        loop {
            failures += 1;
            match after_failure(&b, failures, secs(2.0), at(now), &bounds) {
                Next::RetryIn(wait) => now += wait.as_secs_f64(),
                Next::GiveUp => break,
                Next::Suspend => panic!("no run limit, no suspension"),
            }
            times.push(now);
        }
        assert_eq!(times, [0.0, 1.0, 3.0, 7.0, 10.0]);
    }

    #[test]
    fn a_run_that_cannot_fit_the_wait_and_an_attempt_suspends() {
        let b = Backoff::default();
        let bounds = Bounds {
            give_up_at: at(600.0),
            run_until: Some(at(20.0)),
        };
        // 4 failures: wait 8 s; at 5 s that ends at 13 s, plus a 5 s attempt
        // is 18 s, within the run.
        assert_eq!(
            after_failure(&b, 4, secs(5.0), at(5.0), &bounds),
            Next::RetryIn(secs(8.0))
        );
        // At 8 s the same would end at 21 s: past the run.
        assert_eq!(
            after_failure(&b, 4, secs(5.0), at(8.0), &bounds),
            Next::Suspend
        );
    }

    #[test]
    fn past_the_deadline_it_gives_up_even_with_time_left_in_the_run() {
        let b = Backoff::default();
        let bounds = Bounds {
            give_up_at: at(60.0),
            run_until: Some(at(120.0)),
        };
        assert_eq!(
            after_failure(&b, 9, secs(5.0), at(60.0), &bounds),
            Next::GiveUp
        );
        assert_eq!(
            after_failure(&b, 9, secs(5.0), at(75.0), &bounds),
            Next::GiveUp
        );
        assert_eq!(
            after_failure(&b, 9, secs(5.0), at(59.0), &bounds),
            Next::RetryIn(secs(1.0)),
            "the last wait is cut to end at the deadline"
        );
    }

    #[test]
    fn a_zero_deadline_means_a_single_attempt() {
        let bounds = Bounds {
            give_up_at: at(0.0),
            run_until: None,
        };
        assert_eq!(
            after_failure(&Backoff::default(), 1, secs(5.0), at(0.0), &bounds),
            Next::GiveUp
        );
    }

    #[test]
    fn the_first_attempt_of_a_run_fits_in_what_is_left_or_is_not_made() {
        assert_eq!(
            first_attempt_allowance(secs(10.0), at(0.0), None),
            Some(secs(10.0))
        );
        assert_eq!(
            first_attempt_allowance(secs(10.0), at(0.0), Some(at(30.0))),
            Some(secs(10.0))
        );
        assert_eq!(
            first_attempt_allowance(secs(10.0), at(0.0), Some(at(4.0))),
            Some(secs(4.0))
        );
        assert_eq!(
            first_attempt_allowance(secs(10.0), at(0.0), Some(at(0.5))),
            None
        );
        assert_eq!(
            first_attempt_allowance(secs(10.0), at(9.0), Some(at(5.0))),
            None
        );
    }
}
