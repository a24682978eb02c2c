//! Property paths, as rules write them: `VersioningConfiguration.Status`,
//! `Listeners[*].Protocol` (every item of a list), `Statement[0]`,
//! `LoadBalancerAttributes[Key=access_logs.s3.enabled].Value` (the items of
//! a list whose `Key` is that text).

use std::fmt;

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// The value under this key of a mapping.
    Key(String),
    /// Every item of a list (`[*]`).
    Each,
    /// One item of a list (`[2]`).
    Index(usize),
    /// The items of a list of mappings whose `key` is `value`
    /// (`[Key=deletion_protection.enabled]`).
    Select { key: String, value: String },
}

/// A path into a resource's properties (or into any value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PropertyPath {
    pub segments: Vec<Segment>,
    text: String,
}

/// A path has at most this many steps.
const MAX_SEGMENTS: usize = 32;

impl PropertyPath {
    /// Reads `A.B[*].C`, `A[0]`, `A[Key=a.b].Value`; keys are any text
    /// without `.`, `[` or `]`, and a selected value any text without `]`.
    pub fn parse(text: &str) -> Result<PropertyPath, String> {
        let bad = |why: &str| Err(format!("path \"{text}\" {why}"));
        if text.trim().is_empty() {
            return bad("is empty");
        }
        let mut segments = Vec::new();
        let mut rest = text;
        loop {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            let key = &rest[..end];
            if key.is_empty() {
                return bad("has an empty key (two dots, or a dot before [)");
            }
            if key.contains(']') || key.trim() != key {
                return bad("has a key with `]` or surrounding spaces");
            }
            segments.push(Segment::Key(key.to_string()));
            rest = &rest[end..];
            while let Some(inner) = rest.strip_prefix('[') {
                let Some(close) = inner.find(']') else {
                    return bad("has a `[` without `]`");
                };
                segments.push(match &inner[..close] {
                    "*" => Segment::Each,
                    inside => match (inside.parse::<usize>(), inside.split_once('=')) {
                        (Ok(i), _) => Segment::Index(i),
                        (_, Some((key, value)))
                            if !key.is_empty()
                                && key.trim() == key
                                && !key.contains('.')
                                && !value.is_empty() =>
                        {
                            Segment::Select {
                                key: key.to_string(),
                                value: value.to_string(),
                            }
                        }
                        _ => return bad("has an index that is not * or a number (or Key=value)"),
                    },
                });
                rest = &inner[close + 1..];
            }
            if rest.is_empty() {
                break;
            }
            match rest.strip_prefix('.') {
                Some(next) => rest = next,
                None => return bad("has text after `]` that is not `.` or `[`"),
            }
        }
        if segments.len() > MAX_SEGMENTS {
            return bad(&format!("has more than {MAX_SEGMENTS} steps"));
        }
        Ok(PropertyPath {
            segments,
            text: text.to_string(),
        })
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for PropertyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// `at` followed by `key`: `A.B`, or `B` when `at` is empty.
pub(crate) fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_string()
    } else {
        format!("{at}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_keys_every_item_and_indices() {
        let path = PropertyPath::parse("Listeners[*].Certificates[0].Arn").unwrap();
        assert_eq!(
            path.segments,
            [
                Segment::Key("Listeners".into()),
                Segment::Each,
                Segment::Key("Certificates".into()),
                Segment::Index(0),
                Segment::Key("Arn".into()),
            ]
        );
        assert_eq!(path.to_string(), "Listeners[*].Certificates[0].Arn");
        assert_eq!(
            PropertyPath::parse("Condition.Bool.aws:SecureTransport")
                .unwrap()
                .segments
                .len(),
            3
        );
        // A selected value may hold dots.
        assert_eq!(
            PropertyPath::parse("LoadBalancerAttributes[Key=access_logs.s3.enabled].Value")
                .unwrap()
                .segments,
            [
                Segment::Key("LoadBalancerAttributes".into()),
                Segment::Select {
                    key: "Key".into(),
                    value: "access_logs.s3.enabled".into()
                },
                Segment::Key("Value".into()),
            ]
        );
    }

    #[test]
    fn malformed_paths_are_refused_saying_why() {
        for (path, why) in [
            ("", "is empty"),
            ("A..B", "empty key"),
            ("A.[0]", "empty key"),
            ("A[x]", "not * or a number"),
            ("A[0", "without `]`"),
            ("A[0]B", "text after `]`"),
            ("A ", "surrounding spaces"),
            ("A[Key=]", "not * or a number"),
            ("A[=x]", "not * or a number"),
            ("A[Key=a]b", "text after `]`"),
        ] {
            let error = PropertyPath::parse(path).unwrap_err();
            assert!(error.contains(why), "{path}: {error}");
        }
    }
}
