//! Text from the template inside messages: short, so that a message (and
//! everything built from it: findings, reports, logs) stays small however
//! long what the template writes is.

use std::borrow::Cow;

/// Longest piece of template text quoted in a message, in characters.
pub const QUOTE_CHARS: usize = 80;

/// `s`, cut to [`QUOTE_CHARS`] characters (with `…`) when it is longer.
pub fn short(s: &str) -> Cow<'_, str> {
    shorten(s, QUOTE_CHARS)
}

/// `s`, cut to `max` characters (with `…`) when it is longer. Looks at no
/// more than `max` characters of `s`.
pub fn shorten(s: &str, max: usize) -> Cow<'_, str> {
    if s.len() <= max {
        return Cow::Borrowed(s);
    }
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some((cut, _)) => Cow::Owned(format!("{}…", &s[..cut])),
    }
}
