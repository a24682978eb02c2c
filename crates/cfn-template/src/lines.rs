//! Text in, positions out: UTF-8 decoding with the place of the first
//! invalid byte, and byte offsets as line numbers.

use crate::error::ParseError;

/// Strips a UTF-8 byte-order mark and rejects invalid UTF-8 with its position.
pub(crate) fn decode_utf8(source: &[u8]) -> Result<&str, ParseError> {
    let source = source.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(source);
    std::str::from_utf8(source).map_err(|e| {
        let valid = &source[..e.valid_up_to()];
        let line = memchr::memchr_iter(b'\n', valid).count() + 1;
        let line_start = memchr::memrchr(b'\n', valid).map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&valid[line_start..])
            .chars()
            .count()
            + 1;
        ParseError::at(line, column, "the template is not valid UTF-8")
    })
}

/// Maps byte offsets to 1-based line numbers.
pub(crate) struct LineIndex {
    newlines: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        LineIndex {
            newlines: memchr::memchr_iter(b'\n', text.as_bytes()).collect(),
        }
    }

    pub fn line(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&n| n < offset) + 1
    }
}
