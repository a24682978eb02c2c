//! Waiting for health: attempts, with backoff, until one is healthy, the
//! deadline passes, or the run's time is up (see [`crate::schedule`]).

use std::future::Future;
use std::time::{Duration, SystemTime};

use crate::attempt::Attempt;
use crate::clock::Clock;
use crate::schedule::{self, Bounds, Next, Schedule};

/// How many of the latest failed attempts a result keeps, for the message.
pub const RECENT_ATTEMPTS: usize = 3;

/// Where a check stands; carried from one run to the next.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// When the check's first attempt started; the deadline counts from it.
    pub first_attempt_at: Option<SystemTime>,
    /// Attempts made so far, in every run.
    pub attempts: u32,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunEnd {
    /// This attempt was healthy.
    Healthy(Attempt),
    /// The deadline has passed without a healthy attempt.
    Unhealthy {
        /// The last attempts, for the report.
        recent: Vec<Attempt>,
    },
    /// This run's time is up before the deadline: go on in a later run.
    Suspended {
        /// The last attempts, for the report.
        recent: Vec<Attempt>,
    },
    /// A target was refused (see [`Attempt::refused`]): retrying cannot help.
    Refused(Attempt),
    /// The run had too little time for even one attempt.
    NoTime,
}

/// The outcome of a run and where the check stands after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// How it ended.
    pub end: RunEnd,
    /// Where the check stands, to go on from in a later run.
    pub progress: Progress,
    /// Attempts made in this run.
    pub attempts_in_run: u32,
}

/// Makes attempts until one is healthy or the schedule says stop.
/// `attempt(number, allowance)` makes attempt `number` within `allowance`
/// (callers log or print each attempt there).
pub async fn wait_until_healthy<C, A, Fut>(
    schedule: &Schedule,
    mut progress: Progress,
    clock: &C,
    mut attempt: A,
) -> Run
where
    C: Clock,
    A: FnMut(u32, Duration) -> Fut,
    Fut: Future<Output = Attempt>,
{
    let Some(mut allowance) =
        schedule::first_attempt_allowance(schedule.attempt_time, clock.now(), schedule.run_until)
    else {
        return Run {
            end: RunEnd::NoTime,
            progress,
            attempts_in_run: 0,
        };
    };
    let mut recent: Vec<Attempt> = Vec::new();
    let mut attempts_in_run = 0;
    loop {
        let first = *progress.first_attempt_at.get_or_insert_with(|| clock.now());
        progress.attempts = progress.attempts.saturating_add(1);
        attempts_in_run += 1;
        let made = attempt(progress.attempts, allowance).await;
        if made.healthy() {
            return Run {
                end: RunEnd::Healthy(made),
                progress,
                attempts_in_run,
            };
        }
        if made.refused().is_some() {
            return Run {
                end: RunEnd::Refused(made),
                progress,
                attempts_in_run,
            };
        }
        if recent.len() == RECENT_ATTEMPTS {
            recent.remove(0);
        }
        recent.push(made);
        let bounds = Bounds {
            give_up_at: first + schedule.deadline,
            run_until: schedule.run_until,
        };
        // Every attempt so far failed (a healthy one ends the loop), so the
        // count of attempts is the count of failures in a row.
        match schedule::after_failure(
            &schedule.backoff,
            progress.attempts,
            schedule.attempt_time,
            clock.now(),
            &bounds,
        ) {
            Next::RetryIn(wait) => {
                clock.sleep(wait).await;
                allowance = schedule.attempt_time;
            }
            Next::Suspend => {
                return Run {
                    end: RunEnd::Suspended { recent },
                    progress,
                    attempts_in_run,
                };
            }
            Next::GiveUp => {
                return Run {
                    end: RunEnd::Unhealthy { recent },
                    progress,
                    attempts_in_run,
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::UNIX_EPOCH;

    use super::*;
    use crate::problem::{Probe, Problem};
    use crate::schedule::Backoff;
    use crate::target::Refusal;

    /// A clock that only moves when told to (or slept on).
    #[derive(Clone)]
    struct FakeClock(Arc<Mutex<SystemTime>>);

    impl FakeClock {
        fn new() -> Self {
            FakeClock(Arc::new(Mutex::new(
                UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            )))
        }
        fn advance(&self, d: Duration) {
            *self.0.lock().unwrap() += d;
        }
        fn elapsed(&self) -> f64 {
            (self.now() - Duration::from_secs(1_700_000_000))
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs_f64()
        }
    }

    impl Clock for FakeClock {
        fn now(&self) -> SystemTime {
            *self.0.lock().unwrap()
        }
        fn sleep(&self, d: Duration) -> impl Future<Output = ()> + Send {
            self.advance(d);
            std::future::ready(())
        }
    }

    fn attempt_with(number: u32, at: SystemTime, problem: Option<Problem>) -> Attempt {
        Attempt {
            number,
            started_at: at,
            probes: vec![Probe {
                url: "http://calc.test/".to_string(),
                final_url: None,
                status: Some(if problem.is_some() { 502 } else { 200 }),
                latency: Duration::from_millis(10),
                body_bytes: 0,
                truncated: false,
                problem,
            }],
        }
    }

    fn bad_gateway() -> Option<Problem> {
        Some(Problem::Status {
            expected: 200,
            snippet: "Bad Gateway".to_string(),
        })
    }

    fn schedule(deadline: f64, run_until: Option<SystemTime>) -> Schedule {
        Schedule {
            deadline: Duration::from_secs_f64(deadline),
            backoff: Backoff::default(),
            attempt_time: Duration::from_secs(2),
            run_until,
        }
    }

    /// Runs the loop against a service that becomes healthy at attempt
    /// `healthy_from` (never if 0); each attempt takes 0.5 s. Returns the
    /// run and the clock time (s) of each attempt.
    async fn run(
        clock: &FakeClock,
        schedule: &Schedule,
        progress: Progress,
        healthy_from: u32,
    ) -> (Run, Vec<f64>) {
        let times = Arc::new(Mutex::new(Vec::new()));
        let result = wait_until_healthy(schedule, progress, clock, |n, _allowance| {
            let clock = clock.clone();
            let times = Arc::clone(&times);
            async move {
                times.lock().unwrap().push(clock.elapsed());
                let at = clock.now();
                clock.advance(Duration::from_millis(500));
                let healthy = healthy_from != 0 && n >= healthy_from;
                attempt_with(n, at, if healthy { None } else { bad_gateway() })
            }
        })
        .await;
        let times = times.lock().unwrap().clone();
        (result, times)
    }

    #[tokio::test]
    async fn a_service_that_comes_up_passes_at_its_first_healthy_attempt() {
        let clock = FakeClock::new();
        let (result, times) = run(&clock, &schedule(600.0, None), Progress::default(), 4).await;
        assert!(matches!(result.end, RunEnd::Healthy(ref a) if a.number == 4));
        assert_eq!(result.progress.attempts, 4);
        assert_eq!(result.attempts_in_run, 4);
        assert_eq!(times, [0.0, 1.5, 4.0, 8.5]);
    }

    #[tokio::test]
    async fn a_service_that_never_comes_up_fails_after_the_deadline_with_the_last_attempts() {
        let clock = FakeClock::new();
        let (result, times) = run(&clock, &schedule(10.0, None), Progress::default(), 0).await;
        // 0, +0.5 attempt +1 wait, +0.5 +2, +0.5 +4, then the wait is cut
        // to the deadline at 10.
        assert_eq!(times, [0.0, 1.5, 4.0, 8.5, 10.0]);
        let RunEnd::Unhealthy { recent } = result.end else {
            panic!("expected Unhealthy, got {:?}", result.end);
        };
        let numbers: Vec<u32> = recent.iter().map(|a| a.number).collect();
        assert_eq!(numbers, [3, 4, 5]);
    }

    #[tokio::test]
    async fn a_run_suspends_when_its_time_is_up_and_the_next_run_goes_on() {
        let clock = FakeClock::new();
        let run_until = clock.now() + Duration::from_secs(6);
        let (first, times) = run(
            &clock,
            &schedule(30.0, Some(run_until)),
            Progress::default(),
            0,
        )
        .await;
        // Attempts at 0, 1.5 and 4.0 (its wait and a whole attempt end
        // exactly at 6); after it, the next wait (4 s) plus an attempt (2 s)
        // does not fit before 6.
        assert_eq!(times, [0.0, 1.5, 4.0]);
        let RunEnd::Suspended { recent } = &first.end else {
            panic!("expected Suspended, got {:?}", first.end);
        };
        assert_eq!(recent.len(), 3);
        assert_eq!(first.progress.attempts, 3);
        let started = first.progress.first_attempt_at.unwrap();

        // The next run comes 40 s later, past the deadline: one last
        // attempt, then it gives up.
        clock.advance(Duration::from_secs(40));
        let run_until = clock.now() + Duration::from_secs(100);
        let (second, times) =
            run(&clock, &schedule(30.0, Some(run_until)), first.progress, 0).await;
        assert_eq!(times.len(), 1);
        assert!(matches!(second.end, RunEnd::Unhealthy { ref recent } if recent[0].number == 4));
        assert_eq!(second.progress.first_attempt_at, Some(started));
        assert_eq!(second.attempts_in_run, 1);
    }

    #[tokio::test]
    async fn a_later_run_that_finds_the_service_healthy_passes() {
        let clock = FakeClock::new();
        let progress = Progress {
            first_attempt_at: Some(clock.now() - Duration::from_secs(900)),
            attempts: 30,
        };
        let (result, _) = run(&clock, &schedule(600.0, None), progress, 31).await;
        assert!(matches!(result.end, RunEnd::Healthy(ref a) if a.number == 31));
    }

    #[tokio::test]
    async fn a_refused_target_is_not_retried() {
        let clock = FakeClock::new();
        let refusal = Refusal {
            url: "http://169.254.169.254/".to_string(),
            host: "169.254.169.254".to_string(),
            address: "169.254.169.254".parse().unwrap(),
            reason: crate::addr::reason("169.254.169.254".parse().unwrap()).unwrap(),
            redirected_from: Some("http://calc.test/".to_string()),
        };
        let mut calls = 0;
        let result = wait_until_healthy(
            &schedule(600.0, None),
            Progress::default(),
            &clock,
            |n, _| {
                calls += 1;
                let attempt = attempt_with(n, clock.now(), Some(Problem::Refused(refusal.clone())));
                async move { attempt }
            },
        )
        .await;
        assert_eq!(calls, 1);
        assert!(matches!(result.end, RunEnd::Refused(_)));
    }

    #[tokio::test]
    async fn a_run_without_time_for_one_attempt_makes_none() {
        let clock = FakeClock::new();
        let run_until = clock.now() + Duration::from_millis(300);
        let (result, times) = run(
            &clock,
            &schedule(600.0, Some(run_until)),
            Progress::default(),
            1,
        )
        .await;
        assert_eq!(result.end, RunEnd::NoTime);
        assert!(times.is_empty());
        assert_eq!(result.progress, Progress::default());
    }

    #[tokio::test]
    async fn the_first_attempt_is_given_what_the_run_has_left() {
        let clock = FakeClock::new();
        let run_until = clock.now() + Duration::from_millis(1500);
        let mut allowances = Vec::new();
        wait_until_healthy(
            &schedule(600.0, Some(run_until)),
            Progress::default(),
            &clock,
            |n, allowance| {
                allowances.push(allowance);
                let attempt = attempt_with(n, clock.now(), None);
                async move { attempt }
            },
        )
        .await;
        assert_eq!(allowances, [Duration::from_millis(1500)]);
    }
}
