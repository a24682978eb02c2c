//! The time, behind a trait, so the retry loop can be tested without waiting.

use std::future::Future;
use std::time::{Duration, SystemTime};

/// Wall-clock time and sleeping. Wall-clock, because the check's deadline
/// spans invocations (and processes): it is kept as a point in time.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> SystemTime;
    /// Waits `duration` (a test clock just moves on).
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send;
}

/// The real clock: `SystemTime::now` and `tokio::time::sleep`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(duration)
    }
}
