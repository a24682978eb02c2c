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

use crate::node::Node;

pub fn render(value: &Node) -> String {
    let mut out = String::new();
    write_value(value, &mut out);
    out
}

fn write_value(value: &Node, out: &mut String) {
    match value {
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
                write_value(item, out);
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
                write_value(item, out);
            }
            out.push('}');
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    // serde_json's escaping of a string cannot fail.
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}
