//! What every benchmark here measures with: the release binaries it runs,
//! and the median it reports.

use std::path::PathBuf;
use std::time::Duration;

use harness::target_dir;

/// The release build of the workspace binary `name`; panics, saying how to
/// build it, when it is missing.
pub fn release_binary(name: &str) -> PathBuf {
    let path = target_dir().join("release").join(name);
    assert!(
        path.is_file(),
        "{} is missing: cargo build --release -p {name} (or cargo xtask bench without --no-build)",
        path.display()
    );
    path
}

/// The median of `values` (the upper one of an even count).
pub fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

/// `d` in milliseconds, one decimal.
pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}
