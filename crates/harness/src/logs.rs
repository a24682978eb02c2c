//! Checks on captured log lines.

/// Panics, naming the line and the secret, if any line contains any of
/// `secrets` (empty secrets are ignored).
pub fn assert_no_secret(lines: &[String], secrets: &[&str]) {
    for (index, line) in lines.iter().enumerate() {
        for secret in secrets.iter().filter(|s| !s.is_empty()) {
            if line.contains(secret) {
                panic!(
                    "log line {} of {} contains the secret {secret:?}:\n{line}",
                    index + 1,
                    lines.len()
                );
            }
        }
    }
}

/// The lines that are JSON objects (e.g. `AWS_LAMBDA_LOG_FORMAT=JSON` logs),
/// parsed; other lines are skipped.
pub fn json_lines(lines: &[String]) -> Vec<serde_json::Value> {
    lines
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(serde_json::Value::is_object)
        .collect()
}

/// Whether any line contains `needle`.
pub fn contains(lines: &[String], needle: &str) -> bool {
    lines.iter().any(|l| l.contains(needle))
}
