//! The text `regex` rules are matched against.
//!
//! Each resource is rendered as JSON on one line, keys sorted, with `", "`
//! and `": "` between items — the spacing of Python's `json.dumps` and of the
//! `str(dict)` the original function matched against, so its patterns (such
//! as `[fF]rom[pP]ort.\s*:\s*u?.(22)`, which expects one character between the
//! colon and the value) keep working. The whole resource is rendered: `Type`,
//! `Properties`, `Metadata`, `Condition`, ... For example:
//!
//! ```text
//! {"Properties": {"GroupDescription": "web", "SecurityGroupIngress": [{"CidrIp": "0.0.0.0/0", "FromPort": 80, "IpProtocol": "tcp", "ToPort": 80}]}, "Type": "AWS::EC2::SecurityGroup"}
//! ```
//!
//! YAML templates are rendered the same way once read, so a pattern works on
//! both; short-form intrinsics appear in their long form (`{"Ref": "X"}`).
//! Patterns are searched for anywhere in the text (start them with `^` to
//! anchor them).

use std::fmt::Write;

use cfn_template::Node;

/// Most text rendered for regex rules in one evaluation. A template is at
/// most 1 MiB, but YAML aliases can make its resources much longer once
/// written out; regex rules on resources past this are unresolved.
pub const MAX_RENDERED: usize = 16 * 1024 * 1024;

/// `value` rendered as regex rules see it.
pub fn render(value: &Node) -> String {
    let mut out = String::new();
    write_value(value, &mut out, usize::MAX);
    out
}

/// [`render`], or `None` once the text would be longer than `cap` bytes.
pub fn render_capped(value: &Node, cap: usize) -> Option<String> {
    let mut out = String::new();
    write_value(value, &mut out, cap);
    (out.len() <= cap).then_some(out)
}

/// Writes `value`, stopping (past `cap`) as soon as the text is too long.
fn write_value(value: &Node, out: &mut String, cap: usize) {
    if out.len() > cap {
        return;
    }
    match value.value() {
        Node::Null => out.push_str("null"),
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Node::String(s) => write_string(s, out),
        Node::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(item, out, cap);
                if out.len() > cap {
                    return;
                }
            }
            out.push(']');
        }
        Node::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_string(key, out);
                out.push_str(": ");
                write_value(item, out, cap);
                if out.len() > cap {
                    return;
                }
            }
            out.push('}');
        }
        Node::Shared(_) => {} // value() sees through sharing
    }
}

fn write_string(s: &str, out: &mut String) {
    // serde_json's escaping of a string cannot fail.
    let _ = serde_json::to_writer(StringWriter(out), s);
}

/// Lets serde_json write straight into the rendering, without a copy.
struct StringWriter<'s>(&'s mut String);

impl std::io::Write for StringWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // serde_json writes whole UTF-8 sequences.
        match std::str::from_utf8(buf) {
            Ok(text) => {
                self.0.push_str(text);
                Ok(buf.len())
            }
            Err(e) => Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
