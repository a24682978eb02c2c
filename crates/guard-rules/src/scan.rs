//! What is checked of a rules text before Guard's parser sees it: how
//! deeply it nests, how deeply its filters nest, and its regexes.
//!
//! Guard's parser is a recursive descent (nom) that backtracks. Measured on
//! cfn-guard 3.2.1 (`examples/parse_worst_case.rs`, README "Limits"):
//! - it recurses once per bracket, brace and parenthesis: past a few
//!   hundred levels it overflows a thread's stack, which aborts the process;
//! - it parses the inside of a query filter (`Resources.*[ … ]`) twice, once
//!   as the start of a block clause and once as a plain clause, so the text
//!   inside `k` nested filters is parsed `2^k` times: a 436-byte rule with
//!   filters 18 deep took 21 s, 24 deep never finished;
//! - its parse tree costs about the text's size times its nesting to hand
//!   over (`serde_yaml`'s recursive adapter, see `crate::ast`).
//!
//! So the caps below bound the work of parsing any text of at most
//! [`crate::MAX_RULES_BYTES`]: a constant number of passes over it.

use crate::GuardError;

/// Deepest nesting of brackets, braces and parentheses accepted. Guard's
/// parser recurses once per level (a debug build overflowed a 2 MiB thread
/// stack at about 95 nested blocks, a release build at about 430), and
/// handing its parse tree over costs the text's size times its depth. Real
/// rules nest a handful of levels; the deepest published ones about ten.
pub const MAX_NESTING: usize = 16;

/// Deepest nesting of query filters (`Resources.*[ Type == 'X' ]`) accepted:
/// Guard parses what is inside `k` nested filters `2^k` times. Real rules
/// filter resources, sometimes the statements of a policy inside them, and
/// rarely a third level (the actions of those statements).
pub const MAX_FILTER_NESTING: usize = 3;

/// Longest regex literal (`/…/`) accepted, in bytes. Guard compiles a regex
/// when it parses it, and again for every value it compares with it
/// (cfn-guard 3.2.1, `path_value::compare_eq` and `PartialEq for
/// PathAwareValue`), so its cost multiplies every comparison; real rules'
/// regexes are a few dozen characters. What one compiles to is capped too
/// ([`crate::limits::MAX_REGEX_PROGRAM`]).
pub const MAX_REGEX_BYTES: usize = 1024;

/// Most regex literals accepted in one rules text: Guard's parser compiles
/// each one it reads (up to a few milliseconds each within
/// [`crate::limits::MAX_REGEX_PROGRAM`]), so this bounds what they add to
/// parsing. Real rules files have a handful.
pub const MAX_REGEXES: usize = 100;

/// A place in the text, 1-based, as Guard reports it.
type Position = (u32, u32);

/// The bracket being read, and what is known of it so far.
struct Frame {
    opened_at: Position,
    /// A `[` whose own text (not its nested brackets') shows a clause:
    /// a comparison, a name, a variable. A list of literals (`['a', 1]`),
    /// an index (`[0]`, `[*]`) or a key (`['Name']`) is not a filter.
    bracket: bool,
    filter: bool,
    /// The deepest nesting of filters inside it.
    filters_inside: usize,
    /// The word being read at this level, to tell numbers, `true`, `false`,
    /// `null` (and the `r` of a range) from a name.
    word: String,
}

impl Frame {
    fn new(opened_at: Position, bracket: bool) -> Frame {
        Frame {
            opened_at,
            bracket,
            filter: false,
            filters_inside: 0,
            word: String::new(),
        }
    }

    /// The end of a word at this level: any word but a literal's makes a
    /// `[` a filter.
    fn end_word(&mut self) {
        let literal = matches!(self.word.as_str(), "" | "true" | "false" | "null" | "r")
            || self.word.starts_with(|c: char| c.is_ascii_digit());
        if self.bracket && !literal {
            self.filter = true;
        }
        self.word.clear();
    }

    /// Filters nested in this bracket, itself included.
    fn depth(&self) -> usize {
        self.filters_inside + usize::from(self.filter)
    }
}

/// The regex literals of `text`, as Guard reads them (`\/` is a slash), once
/// the text is known to stay within [`MAX_NESTING`], [`MAX_FILTER_NESTING`],
/// [`MAX_REGEX_BYTES`] and [`MAX_REGEXES`].
///
/// Skipped, as Guard reads them as text: comments (`#` to the end of the
/// line), strings (`'…'`, `"…"`) and regexes (`/…/`), where a quote or slash
/// right after a backslash does not end them, as in Guard's parser, and
/// custom messages (`<<` to the first `>>`). Guard's parser never gets past
/// a character it cannot read, so a bracket it recurses into is one this
/// scan counts.
pub(crate) fn scan(text: &str) -> Result<Vec<String>, GuardError> {
    let mut stack: Vec<Frame> = vec![Frame::new((1, 1), false)];
    let mut regexes = Vec::new();
    let (mut line, mut column) = (1u32, 0u32);
    let mut chars = text.chars().peekable();
    // The character that ends the text being skipped, if any.
    let mut inside: Option<char> = None;
    let mut previous = '\0';
    let mut regex = String::new();
    let mut regex_at = (1, 1);
    while let Some(c) = chars.next() {
        column += 1;
        if c == '\n' {
            line += 1;
            column = 0;
        }
        let here = (line, column.max(1));
        match inside {
            Some('\n') if c == '\n' => inside = None,
            Some('>') if c == '>' && chars.peek() == Some(&'>') => {
                chars.next();
                column += 1;
                inside = None;
            }
            Some('/') if c == '/' && previous != '\\' => {
                inside = None;
                if regexes.len() == MAX_REGEXES {
                    return Err(refused(
                        regex_at,
                        format!("more than {MAX_REGEXES} regexes"),
                    ));
                }
                regexes.push(std::mem::take(&mut regex));
            }
            Some('/') => {
                if c == '/' {
                    // An escaped slash: Guard drops the backslash.
                    regex.pop();
                }
                regex.push(c);
                if regex.len() > MAX_REGEX_BYTES {
                    return Err(refused(
                        regex_at,
                        format!("a regex longer than {MAX_REGEX_BYTES} bytes"),
                    ));
                }
            }
            Some(end @ ('\'' | '"')) if c == end && previous != '\\' => inside = None,
            Some(_) => {}
            None => {
                let top = stack
                    .last_mut()
                    .expect("the text's own frame is never popped");
                if c.is_alphanumeric() || c == '_' {
                    top.word.push(c);
                    previous = c;
                    continue;
                }
                top.end_word();
                match c {
                    '#' => inside = Some('\n'),
                    '\'' | '"' => inside = Some(c),
                    '/' => {
                        inside = Some('/');
                        regex_at = here;
                    }
                    '<' if chars.peek() == Some(&'<') => {
                        chars.next();
                        column += 1;
                        inside = Some('>');
                    }
                    '%' | '=' | '<' | '>' | '!' | '|' if top.bracket => top.filter = true,
                    '[' | '{' | '(' => {
                        if stack.len() > MAX_NESTING {
                            return Err(refused(
                                here,
                                format!("nested more than {MAX_NESTING} levels deep"),
                            ));
                        }
                        stack.push(Frame::new(here, c == '['));
                    }
                    ']' | '}' | ')' if stack.len() > 1 => {
                        let frame = stack.pop().expect("more than one frame");
                        let depth = frame.depth();
                        if depth > MAX_FILTER_NESTING {
                            return Err(refused(
                                frame.opened_at,
                                format!(
                                    "query filters nested more than {MAX_FILTER_NESTING} levels deep"
                                ),
                            ));
                        }
                        let parent = stack.last_mut().expect("the text's own frame");
                        parent.filters_inside = parent.filters_inside.max(depth);
                    }
                    _ => {}
                }
            }
        }
        previous = c;
    }
    // Brackets left open: Guard refuses the text, but not before reading
    // what is inside them.
    while stack.len() > 1 {
        let mut frame = stack.pop().expect("more than one frame");
        frame.end_word();
        if frame.depth() > MAX_FILTER_NESTING {
            return Err(refused(
                frame.opened_at,
                format!("query filters nested more than {MAX_FILTER_NESTING} levels deep"),
            ));
        }
        let parent = stack.last_mut().expect("the text's own frame");
        parent.filters_inside = parent.filters_inside.max(frame.depth());
    }
    Ok(regexes)
}

fn refused((line, column): Position, message: String) -> GuardError {
    GuardError::Parse {
        line: Some(line),
        column: Some(column),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filters(text: &str) -> Result<(), String> {
        scan(text).map(|_| ()).map_err(|e| e.to_string())
    }

    #[test]
    fn filters_are_told_from_lists_indices_and_keys() {
        let nest = |inner: &str, levels: usize| {
            let mut text = inner.to_string();
            for _ in 0..levels {
                text = format!("P[ {text} ] exists");
            }
            format!("rule R {{ {text} }}")
        };
        assert_eq!(
            filters(&nest("Type exists", MAX_FILTER_NESTING - 1)),
            Ok(())
        );
        // `Type exists` inside the innermost `P[ … ]`: that one is a filter too.
        assert_eq!(filters(&nest("Type exists", MAX_FILTER_NESTING)), Ok(()));
        let too_deep = filters(&nest("Type exists", MAX_FILTER_NESTING + 1)).unwrap_err();
        assert!(
            too_deep.contains("query filters nested more than 3"),
            "{too_deep}"
        );
        // Said at the outermost filter.
        assert!(too_deep.contains("line 1, column 11"), "{too_deep}");
        // Lists, indices and keys inside filters are no filters.
        for not_filter in [
            "['a', 'b']",
            "[1, 2, [3]]",
            "[*]",
            "[0]",
            "['Key']",
            "[true, null]",
            "r[1, 2]",
            "[/a|b/]",
            "[{a: [1]}]",
        ] {
            let clause = format!("A{not_filter} exists");
            assert_eq!(
                filters(&nest(&clause, MAX_FILTER_NESTING)),
                Ok(()),
                "{not_filter}"
            );
        }
        // A filter may start with a quoted name, a variable, `!`, `some`.
        for filter in [
            "['Type' == 'X']",
            "[ %x ]",
            "[ !A ]",
            "[ some A exists ]",
            "[ x | A exists ]",
            "[ KEYS == /a/ ]",
        ] {
            let clause = format!("A{filter} exists");
            assert!(
                filters(&nest(&clause, MAX_FILTER_NESTING)).is_err(),
                "{filter}"
            );
        }
    }

    #[test]
    fn regexes_are_read_as_guard_reads_them() {
        assert_eq!(
            scan(
                r"rule R { A == /a\/b/ B == 'x/y' # c/d
            C == /[(]/ << /e >> }"
            )
            .unwrap(),
            ["a/b", "[(]"]
        );
        let long = format!("rule R {{ A == /{}/ }}", "a".repeat(MAX_REGEX_BYTES + 1));
        let refused = scan(&long).unwrap_err().to_string();
        assert!(
            refused.contains("a regex longer than 1024 bytes"),
            "{refused}"
        );
        assert!(refused.contains("column 15"), "{refused}");
        let many = |n: usize| format!("rule R {{ {} }}", "A == /a/\n".repeat(n));
        assert_eq!(scan(&many(MAX_REGEXES)).unwrap().len(), MAX_REGEXES);
        let refused = scan(&many(MAX_REGEXES + 1)).unwrap_err().to_string();
        assert!(refused.contains("more than 100 regexes"), "{refused}");
    }
}
