//! Days: when suppressions expire, and today's date to check them on.

use time::{Date, Month};

/// `YYYY-MM-DD`, a day that exists.
pub(crate) fn date(text: &str) -> Option<Date> {
    let text = text.trim();
    let mut parts = text.splitn(3, '-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(year, 4) && digits(month, 2) && digits(day, 2)) {
        return None;
    }
    let month = Month::try_from(month.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(year.parse().ok()?, month, day.parse().ok()?).ok()
}

/// Today's date, in UTC: what [`crate::EvaluateOptions`] checks
/// suppressions' expiry on unless told another day.
pub fn today() -> Date {
    time::OffsetDateTime::now_utc().date()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_is_a_day_that_exists_written_in_full() {
        assert_eq!(
            date("2026-02-28"),
            Date::from_calendar_date(2026, Month::February, 28).ok()
        );
        assert_eq!(
            date(" 2024-02-29 "),
            Date::from_calendar_date(2024, Month::February, 29).ok()
        );
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-1-01",
            "26-01-01",
            "2026/01/01",
            "2026-01-01T00:00:00Z",
            "tomorrow",
            "",
        ] {
            assert_eq!(date(bad), None, "{bad}");
        }
    }
}
