//! What a healthy answer looks like: a status and, optionally, a text in the
//! body.

/// How long a body snippet in a message may be, in characters.
pub const SNIPPET_CHARS: usize = 160;

/// The answer a check expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    /// The status a healthy answer has.
    pub status: u16,
    /// Text the body must contain; `None` checks the status only.
    pub text: Option<String>,
    /// Match `text` exactly; by default case is ignored, as page titles and
    /// headings change case more often than words.
    pub case_sensitive: bool,
}

impl Default for Expectation {
    /// Status 200, any body.
    fn default() -> Self {
        Expectation {
            status: 200,
            text: None,
            case_sensitive: false,
        }
    }
}

/// How an answer fell short of the expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// Another status than `expected`; `snippet` is the start of the body.
    #[allow(missing_docs)]
    Status { expected: u16, snippet: String },
    /// The `expected` text is not in the body; `snippet` is its start.
    #[allow(missing_docs)]
    TextMissing { expected: String, snippet: String },
}

impl Expectation {
    /// Judges an answer; `body` may be the first part of a longer body.
    pub fn judge(&self, status: u16, body: &[u8]) -> Result<(), Mismatch> {
        if status != self.status {
            return Err(Mismatch::Status {
                expected: self.status,
                snippet: snippet(body),
            });
        }
        let Some(text) = self.text.as_deref().filter(|t| !t.is_empty()) else {
            return Ok(());
        };
        // Invalid UTF-8 (a binary body, another charset) becomes U+FFFD and
        // cannot match, rather than failing the check outright.
        let body_text = String::from_utf8_lossy(body);
        let found = if self.case_sensitive {
            body_text.contains(text)
        } else {
            body_text.to_lowercase().contains(&text.to_lowercase())
        };
        if found {
            Ok(())
        } else {
            Err(Mismatch::TextMissing {
                expected: text.to_string(),
                snippet: snippet(body),
            })
        }
    }
}

/// The start of `body`, for a person to see what came back instead: lossy
/// UTF-8, whitespace runs folded to one space, control characters dropped,
/// at most [`SNIPPET_CHARS`] characters ending in "…" when cut.
pub fn snippet(body: &[u8]) -> String {
    // Only the start is shown, so only the start is decoded.
    let head = &body[..body.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let mut chars: Vec<char> = Vec::with_capacity(SNIPPET_CHARS + 1);
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            pending_space = !chars.is_empty();
            continue;
        }
        if c.is_control() {
            continue;
        }
        if pending_space {
            chars.push(' ');
            pending_space = false;
        }
        chars.push(c);
        if chars.len() > SNIPPET_CHARS {
            break;
        }
    }
    if chars.is_empty() {
        return "(empty)".to_string();
    }
    let cut = chars.len() > SNIPPET_CHARS || body.len() > head.len();
    if cut {
        chars.truncate(SNIPPET_CHARS - 1);
        chars.push('…');
    }
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(t: &str) -> Expectation {
        Expectation {
            text: Some(t.to_string()),
            ..Expectation::default()
        }
    }

    #[test]
    fn text_matches_ignoring_case_by_default() {
        let body = b"<title>Simple Calculator Service</title>";
        assert_eq!(text("simple CALCULATOR service").judge(200, body), Ok(()));
        let exact = Expectation {
            case_sensitive: true,
            ..text("simple calculator service")
        };
        assert!(matches!(
            exact.judge(200, body),
            Err(Mismatch::TextMissing { .. })
        ));
        assert_eq!(text("ÉTAT").judge(200, "état: ok".as_bytes()), Ok(()));
    }

    #[test]
    fn a_wrong_status_is_reported_before_the_text() {
        assert_eq!(
            text("Simple").judge(502, b"<html>Bad Gateway</html>"),
            Err(Mismatch::Status {
                expected: 200,
                snippet: "<html>Bad Gateway</html>".to_string()
            })
        );
        let created = Expectation {
            status: 201,
            text: None,
            case_sensitive: false,
        };
        assert_eq!(created.judge(201, b""), Ok(()));
    }

    #[test]
    fn an_empty_text_checks_the_status_only() {
        assert_eq!(text("").judge(200, b"anything"), Ok(()));
    }

    #[test]
    fn a_missing_text_comes_with_a_snippet_of_the_body() {
        assert_eq!(
            text("Simple Calculator Service").judge(200, b"  Welcome to\n\n nginx!  "),
            Err(Mismatch::TextMissing {
                expected: "Simple Calculator Service".to_string(),
                snippet: "Welcome to nginx!".to_string()
            })
        );
    }

    #[test]
    fn non_utf8_bodies_are_judged_and_shown_lossily() {
        let body = b"caf\xe9 \xff\xfe Simple Calculator Service";
        assert_eq!(text("simple calculator").judge(200, body), Ok(()));
        assert_eq!(snippet(b"caf\xe9\x00\x07 ok"), "caf\u{fffd} ok");
    }

    #[test]
    fn snippets_are_bounded_in_characters() {
        let long = "é".repeat(1000);
        let s = snippet(long.as_bytes());
        assert_eq!(s.chars().count(), SNIPPET_CHARS);
        assert!(s.ends_with('…'));
        assert_eq!(snippet(b""), "(empty)");
        assert_eq!(snippet(b" \n\t "), "(empty)");
        let exact = "x".repeat(SNIPPET_CHARS);
        assert_eq!(snippet(exact.as_bytes()), exact);
    }
}
