//! What CodePipeline accepts in a job report.
//!
//! A report that breaks one of these limits is refused, which would leave
//! the job hanging; so every text is cut to its limit ([`truncate`], ending
//! in "…") before it is sent, and a stage that writes long texts keeps to
//! them itself.

/// `executionDetails.summary`: at most 2048 characters.
pub const MAX_SUMMARY: usize = 2048;
/// `failureDetails.message`: at most 5000 characters.
pub const MAX_MESSAGE: usize = 5000;
/// `continuationToken`: at most 2048 characters.
pub const MAX_CONTINUATION_TOKEN: usize = 2048;
/// `externalExecutionId`: at most 1500 characters.
pub const MAX_EXTERNAL_ID: usize = 1500;
/// An output variable's value: kept to 1000 characters.
pub const MAX_VARIABLE_VALUE: usize = 1000;

/// `text` cut to at most `max` characters, ending in "…" when it was cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Whether `name` matches CodePipeline's pattern for output variable
/// names, `[A-Za-z0-9@\-_]+`.
pub fn valid_variable_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@-_".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_keeps_to_the_limit_in_characters() {
        assert_eq!(truncate("short", 10), "short");
        let long = "é".repeat(3000);
        let cut = truncate(&long, MAX_SUMMARY);
        assert_eq!(cut.chars().count(), MAX_SUMMARY);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn variable_names_follow_codepipelines_pattern() {
        assert!(valid_variable_name("verdict"));
        assert!(valid_variable_name("risk-total_2@x"));
        assert!(!valid_variable_name("has space"));
        assert!(!valid_variable_name(""));
    }
}
