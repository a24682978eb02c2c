//! The run of successes: attempts in a row that met every expectation, and
//! the latencies of the latest of them, whose 95th percentile a plan may
//! bound. A failed attempt ends the run.

use std::time::Duration;

use health_check::Attempt;

/// The current run of successful attempts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Streak {
    /// Successful attempts in a row, up to now.
    pub count: u32,
    /// The main probe's latency of the latest of them, oldest first (at
    /// most as many as the plan's `consecutive_successes`).
    pub latencies: Vec<Duration>,
}

impl Streak {
    /// Counts `attempt` in: a healthy one extends the run (keeping the
    /// latest `keep` latencies), any other ends it.
    pub fn record(&mut self, attempt: &Attempt, keep: u32) {
        if !attempt.healthy() {
            *self = Streak::default();
            return;
        }
        self.count = self.count.saturating_add(1);
        self.latencies
            .push(attempt.primary().map(|p| p.latency).unwrap_or_default());
        let keep = keep.max(1) as usize;
        if self.latencies.len() > keep {
            let extra = self.latencies.len() - keep;
            self.latencies.drain(..extra);
        }
    }

    /// The 95th percentile of the latencies kept (nearest rank: the
    /// smallest latency that at least 95 % of them do not exceed); `None`
    /// before any success.
    pub fn p95(&self) -> Option<Duration> {
        percentile(&self.latencies, 95)
    }
}

/// The `p`th percentile of `values` by the nearest-rank method.
fn percentile(values: &[Duration], p: u32) -> Option<Duration> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort();
    // ceil(p/100 × n), as a 1-based rank.
    let rank = (p as usize * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use health_check::{Probe, Problem};

    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn attempt(latency_ms: u64, healthy: bool) -> Attempt {
        Attempt {
            number: 1,
            started_at: UNIX_EPOCH,
            probes: vec![Probe {
                url: "http://calc.test/".to_string(),
                final_url: None,
                status: Some(if healthy { 200 } else { 502 }),
                latency: ms(latency_ms),
                body_bytes: 0,
                truncated: false,
                problem: (!healthy).then(|| Problem::Status {
                    expected: 200,
                    snippet: "Bad Gateway".to_string(),
                }),
            }],
        }
    }

    #[test]
    fn a_failure_ends_the_run_and_only_the_latest_latencies_are_kept() {
        let mut streak = Streak::default();
        for latency in [10, 20, 30, 40] {
            streak.record(&attempt(latency, true), 3);
        }
        assert_eq!(streak.count, 4);
        assert_eq!(streak.latencies, [ms(20), ms(30), ms(40)]);
        streak.record(&attempt(5, false), 3);
        assert_eq!(streak, Streak::default());
        streak.record(&attempt(7, true), 3);
        assert_eq!((streak.count, streak.latencies.clone()), (1, vec![ms(7)]));
    }

    #[test]
    fn the_95th_percentile_is_the_nearest_rank() {
        assert_eq!(percentile(&[], 95), None);
        assert_eq!(percentile(&[ms(9)], 95), Some(ms(9)));
        // Of up to 19 values it is the largest; of 20, the second largest.
        let nineteen: Vec<Duration> = (1..=19).map(ms).collect();
        assert_eq!(percentile(&nineteen, 95), Some(ms(19)));
        let twenty: Vec<Duration> = (1..=20).map(ms).collect();
        assert_eq!(percentile(&twenty, 95), Some(ms(19)));
        assert_eq!(percentile(&[ms(30), ms(10), ms(20)], 95), Some(ms(30)));
        let hundred: Vec<Duration> = (1..=100).rev().map(ms).collect();
        assert_eq!(percentile(&hundred, 95), Some(ms(95)));
        assert_eq!(percentile(&hundred, 50), Some(ms(50)));
    }
}
