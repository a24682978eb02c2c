//! How durations, sizes and statuses read in messages, the same everywhere
//! (the probe's line, the Lambda's report, the CLI's output).

use std::time::Duration;

use reqwest::StatusCode;

/// "40 ms" under a second; "2 s" for whole seconds; "2.5 s" otherwise.
pub fn duration(d: Duration) -> String {
    if d.is_zero() {
        "0 s".to_string()
    } else if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// "1 MiB", "512 KiB", "100 bytes".
pub fn bytes(n: usize) -> String {
    if n >= 1024 * 1024 && n.is_multiple_of(1024 * 1024) {
        format!("{} MiB", n / (1024 * 1024))
    } else if n >= 1024 && n.is_multiple_of(1024) {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

/// "200 OK", "502 Bad Gateway", "599": a status with its reason, if it has one.
pub fn status(status: u16) -> String {
    match StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(reason) => format!("{status} {reason}"),
        None => status.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        let ms = Duration::from_millis;
        assert_eq!(duration(Duration::ZERO), "0 s");
        assert_eq!(duration(ms(12)), "12 ms");
        assert_eq!(duration(ms(999)), "999 ms");
        assert_eq!(duration(ms(1000)), "1 s");
        assert_eq!(duration(ms(1049)), "1.0 s");
        assert_eq!(duration(ms(2500)), "2.5 s");
        assert_eq!(duration(Duration::from_secs(600)), "600 s");
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(bytes(1024 * 1024), "1 MiB");
        assert_eq!(bytes(64 * 1024), "64 KiB");
        assert_eq!(bytes(1000), "1000 bytes");
    }

    #[test]
    fn statuses_carry_their_reason_when_they_have_one() {
        assert_eq!(status(200), "200 OK");
        assert_eq!(status(502), "502 Bad Gateway");
        assert_eq!(status(599), "599");
    }
}
