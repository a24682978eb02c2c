//! Text whose value is not known but whose shape is.
//!
//! `!Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"` is not known
//! before the stack is deployed, but it is no `*`: it starts with `arn:`,
//! the partition is `aws` or a name like it, the account id is 12 digits. A
//! [`Shape`] keeps the known pieces of a text and, for each piece that is
//! not known, what kind of text it is ([`Class`]), so that a rule can tell
//! the comparisons every possible value answers alike (it is not `*`, not
//! `default`) from those it cannot decide.
//!
//! Each class stands for **every** text it may be, never fewer: an
//! account id is any 12 digits, a partition any `aws...` name, a parameter
//! without a `Default` anything at all. A resource's id (`Ref`) is a name
//! the template gives it (one of its properties, as resolved) or one
//! CloudFormation or the service generates, which is never a literal a rule
//! compares with, and never `*`; a resource's ARN
//! (`Fn::GetAtt R.Arn`) starts with `arn:` and has no `*`; its other
//! attributes are anything but `*` itself.

use std::fmt;

/// A text made of known pieces and pieces of which only the kind is known.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Shape {
    parts: Vec<Part>,
}

/// A piece of a [`Shape`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Part {
    /// Known text.
    Text(String),
    /// Text of which only the kind is known.
    Class(Class),
}

/// What a piece that is not known may be.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Class {
    /// Not worked out (a bound reached, a function not computed): any text.
    Any,
    /// The value of a parameter given when the stack is deployed (one
    /// without a `Default`, or an SSM parameter's): any text.
    Parameter(String),
    /// Another stack's export (`Fn::ImportValue`): any text.
    Import,
    /// A pseudo parameter.
    Pseudo(Pseudo),
    /// `Ref` of a resource of the template: its id or name.
    Resource {
        /// The resource's logical id.
        id: String,
        /// The values of the properties that may name it.
        names: Vec<Shape>,
    },
    /// `Fn::GetAtt` of a resource's ARN (`Arn`, `...Arn`).
    Arn {
        /// The resource's logical id.
        id: String,
        /// The attribute.
        attribute: String,
    },
    /// `Fn::GetAtt` of another attribute of a resource of the template.
    Attribute {
        /// The resource's logical id.
        id: String,
        /// The attribute.
        attribute: String,
    },
}

/// The pseudo parameters whose value has a known shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pseudo {
    /// 12 digits.
    AccountId,
    /// `aws`, `aws-cn`, `aws-us-gov`, ...
    Partition,
    /// `us-east-1`, `cn-north-1`, ...: lower case, ends in `-` and digits.
    Region,
    /// `amazonaws.com`, `amazonaws.com.cn`, ...: a domain name.
    UrlSuffix,
    /// A stack name: a letter, then letters, digits and hyphens.
    StackName,
    /// The stack's ARN.
    StackId,
}

/// Texts longer than this are not compared with a shape: they may be.
const MAX_COMPARED: usize = 128;

impl Pseudo {
    /// The pseudo parameter `name` names (`AWS::AccountId`), when its value
    /// has a known shape.
    pub fn named(name: &str) -> Option<Pseudo> {
        Some(match name {
            "AWS::AccountId" => Pseudo::AccountId,
            "AWS::Partition" => Pseudo::Partition,
            "AWS::Region" => Pseudo::Region,
            "AWS::URLSuffix" => Pseudo::UrlSuffix,
            "AWS::StackName" => Pseudo::StackName,
            "AWS::StackId" => Pseudo::StackId,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Pseudo::AccountId => "AWS::AccountId",
            Pseudo::Partition => "AWS::Partition",
            Pseudo::Region => "AWS::Region",
            Pseudo::UrlSuffix => "AWS::URLSuffix",
            Pseudo::StackName => "AWS::StackName",
            Pseudo::StackId => "AWS::StackId",
        }
    }

    /// Whether the pseudo parameter may be `text`.
    fn accepts(self, text: &str) -> bool {
        let lower = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        match self {
            Pseudo::AccountId => text.len() == 12 && text.chars().all(|c| c.is_ascii_digit()),
            Pseudo::Partition => text
                .strip_prefix("aws")
                .is_some_and(|rest| rest.chars().all(lower)),
            Pseudo::Region => {
                text.starts_with(|c: char| c.is_ascii_lowercase())
                    && text.ends_with(|c: char| c.is_ascii_digit())
                    && text.contains('-')
                    && text.chars().all(lower)
            }
            Pseudo::UrlSuffix => {
                text.contains('.')
                    && !text.starts_with('.')
                    && !text.ends_with('.')
                    && text.chars().all(|c| lower(c) || c == '.')
            }
            Pseudo::StackName => {
                (1..=128).contains(&text.len())
                    && text.starts_with(|c: char| c.is_ascii_alphabetic())
                    && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            }
            Pseudo::StackId => arn(text),
        }
    }

    /// Whether the pseudo parameter's value may hold `c`.
    fn may_contain(self, c: char) -> bool {
        match self {
            Pseudo::AccountId => c.is_ascii_digit(),
            Pseudo::Partition | Pseudo::Region => {
                c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
            }
            Pseudo::UrlSuffix => {
                c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'
            }
            Pseudo::StackName => c.is_ascii_alphanumeric() || c == '-',
            Pseudo::StackId => c != '*' && !c.is_whitespace(),
        }
    }
}

/// An ARN a resource has: `arn:` and a partition, and no `*` or space.
fn arn(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("arn:") else {
        return false;
    };
    let partition = rest.split(':').next().unwrap_or_default();
    rest.contains(':')
        && Pseudo::Partition.accepts(partition)
        && !text.contains(|c: char| c == '*' || c.is_whitespace())
}

impl Class {
    /// Whether the piece may be `text`; `whole`: the piece is all of the
    /// value (a resource's generated id is then never a rule's literal).
    fn accepts(&self, text: &str, whole: bool) -> bool {
        match self {
            Class::Any | Class::Parameter(_) | Class::Import => true,
            Class::Pseudo(pseudo) => pseudo.accepts(text),
            // No resource's id is `*`, whatever names it.
            Class::Resource { names, .. } => {
                text != "*"
                    && (names.iter().any(|n| n.may_be(text))
                        || (!whole && !text.is_empty() && !text.contains('*')))
            }
            Class::Arn { .. } => arn(text),
            Class::Attribute { .. } => text != "*",
        }
    }

    /// Whether the piece may hold `c`.
    fn may_contain(&self, c: char) -> bool {
        match self {
            Class::Any | Class::Parameter(_) | Class::Import | Class::Attribute { .. } => true,
            Class::Pseudo(pseudo) => pseudo.may_contain(c),
            Class::Resource { names, .. } => c != '*' || names.iter().any(|n| n.may_contain(c)),
            Class::Arn { .. } => c != '*' && !c.is_whitespace(),
        }
    }

    /// Whether the piece is never empty.
    fn is_never_empty(&self) -> bool {
        matches!(
            self,
            Class::Pseudo(_) | Class::Resource { .. } | Class::Arn { .. }
        )
    }
}

impl Shape {
    /// A text of one piece of this class.
    pub fn of(class: Class) -> Shape {
        Shape {
            parts: vec![Part::Class(class)],
        }
    }

    /// A text that is known.
    pub fn text(text: impl Into<String>) -> Shape {
        Shape {
            parts: vec![Part::Text(text.into())],
        }
    }

    /// The text that is nothing yet.
    pub(crate) fn empty() -> Shape {
        Shape { parts: Vec::new() }
    }

    /// Its pieces, in order.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// Whether every piece is known.
    pub fn is_known(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Text(_)))
    }

    /// The known text at its end: after the last piece that is not known.
    pub fn tail(&self) -> &str {
        match self.parts.last() {
            Some(Part::Text(text)) => text,
            _ => "",
        }
    }

    /// Bytes of known text it holds.
    pub(crate) fn text_len(&self) -> usize {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.len(),
                Part::Class(_) => 0,
            })
            .sum()
    }

    /// Appends known text.
    pub(crate) fn push_text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        match self.parts.last_mut() {
            Some(Part::Text(last)) => last.push_str(text),
            _ => self.parts.push(Part::Text(text.to_string())),
        }
    }

    /// Appends a piece that is not known.
    pub(crate) fn push_class(&mut self, class: Class) {
        self.parts.push(Part::Class(class));
    }

    /// Appends another shape's pieces.
    pub(crate) fn push_shape(&mut self, other: &Shape) {
        for part in &other.parts {
            match part {
                Part::Text(text) => self.push_text(text),
                Part::Class(class) => self.push_class(class.clone()),
            }
        }
    }

    /// Keeps only the end: anything, then the last `keep` bytes (or fewer,
    /// to a character boundary) of its tail.
    pub(crate) fn cut(&mut self, keep: usize) {
        let tail = self.tail();
        let mut from = tail.len().saturating_sub(keep);
        while !tail.is_char_boundary(from) {
            from += 1;
        }
        let end = tail[from..].to_string();
        self.parts = vec![Part::Class(Class::Any)];
        self.push_text(&end);
    }

    /// Whether the text may be `text`. Texts longer than a few lines'
    /// worth may be.
    pub fn may_be(&self, text: &str) -> bool {
        if text.len() > MAX_COMPARED {
            return true;
        }
        let whole = self.parts.len() == 1;
        // The places in `text` the pieces so far may end at.
        let mut ends = vec![false; text.len() + 1];
        ends[0] = true;
        for part in &self.parts {
            let mut next = vec![false; text.len() + 1];
            for from in (0..=text.len()).filter(|&i| ends[i]) {
                match part {
                    Part::Text(known) => {
                        if text[from..].starts_with(known.as_str()) {
                            next[from + known.len()] = true;
                        }
                    }
                    Part::Class(class) => {
                        for to in from..=text.len() {
                            if text.is_char_boundary(to) && class.accepts(&text[from..to], whole) {
                                next[to] = true;
                            }
                        }
                    }
                }
            }
            if !next.contains(&true) {
                return false;
            }
            ends = next;
        }
        ends[text.len()]
    }

    /// Whether the text may end with `suffix` (an over-approximation:
    /// `false` only when it cannot).
    pub fn may_end_with(&self, suffix: &str) -> bool {
        let tail = self.tail();
        if suffix.len() <= tail.len() {
            return tail.ends_with(suffix);
        }
        if !suffix.ends_with(tail) {
            return false;
        }
        let rest = &suffix[..suffix.len() - tail.len()];
        let before = self.parts.len() - usize::from(!tail.is_empty());
        match before.checked_sub(1).map(|i| &self.parts[i]) {
            // What ends the rest ends the piece before the tail, when that
            // piece is never empty.
            Some(Part::Class(class)) if class.is_never_empty() => {
                rest.chars().last().is_none_or(|c| class.may_contain(c))
            }
            Some(Part::Class(_)) => true,
            // All of the text is known, and shorter than `suffix`.
            Some(Part::Text(_)) | None => false,
        }
    }

    /// Whether the text may hold `c`.
    pub fn may_contain(&self, c: char) -> bool {
        self.parts.iter().any(|p| match p {
            Part::Text(text) => text.contains(c),
            Part::Class(class) => class.may_contain(c),
        })
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in &self.parts {
            match part {
                Part::Text(text) => f.write_str(text)?,
                Part::Class(class) => write!(f, "{class}")?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Class::Any => f.write_str("…"),
            Class::Parameter(name) => write!(f, "${{{name}}}"),
            Class::Import => f.write_str("${Fn::ImportValue}"),
            Class::Pseudo(pseudo) => write!(f, "${{{}}}", pseudo.name()),
            Class::Resource { id, .. } => write!(f, "${{{id}}}"),
            Class::Arn { id, attribute } | Class::Attribute { id, attribute } => {
                write!(f, "${{{id}.{attribute}}}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(parts: Vec<Part>) -> Shape {
        let mut shape = Shape::empty();
        for part in parts {
            match part {
                Part::Text(t) => shape.push_text(&t),
                Part::Class(c) => shape.push_class(c),
            }
        }
        shape
    }

    fn text(t: &str) -> Part {
        Part::Text(t.to_string())
    }

    fn pseudo(p: Pseudo) -> Part {
        Part::Class(Class::Pseudo(p))
    }

    #[test]
    fn an_account_root_arn_is_never_a_wildcard_but_may_be_any_account() {
        let root = shape(vec![
            text("arn:"),
            pseudo(Pseudo::Partition),
            text(":iam::"),
            pseudo(Pseudo::AccountId),
            text(":root"),
        ]);
        assert_eq!(
            root.to_string(),
            "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"
        );
        assert!(!root.may_be("*"));
        assert!(!root.may_be("arn:aws:iam::12345:root"), "12 digits");
        assert!(root.may_be("arn:aws:iam::123456789012:root"));
        assert!(root.may_be("arn:aws-cn:iam::123456789012:root"));
        assert!(!root.may_be("arn:azure:iam::123456789012:root"));
        assert_eq!(root.tail(), ":root");
        assert!(root.may_end_with("t") && root.may_end_with("2:root"));
        assert!(!root.may_end_with("*") && !root.may_end_with("x:root"));
        assert!(!root.may_contain('*'));
    }

    #[test]
    fn pseudo_parameters_are_what_their_kind_may_be() {
        for (p, yes, no) in [
            (Pseudo::AccountId, "000000000000", "*"),
            (Pseudo::Partition, "aws-us-gov", "default"),
            (Pseudo::Region, "eusc-de-east-1", "default"),
            (Pseudo::UrlSuffix, "amazonaws.com.cn", "*"),
            (Pseudo::StackName, "default", "*"),
            (
                Pseudo::StackId,
                "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
                "*",
            ),
        ] {
            let s = Shape::of(Class::Pseudo(p));
            assert!(s.may_be(yes), "{p:?} may be {yes}");
            assert!(!s.may_be(no), "{p:?} is never {no}");
        }
        let s3 = shape(vec![text("s3."), pseudo(Pseudo::UrlSuffix)]);
        assert!(!s3.may_be("*") && s3.may_be("s3.amazonaws.com"));
        assert!(!s3.may_end_with("*"));
    }

    #[test]
    fn a_resource_is_its_names_or_a_generated_id_which_is_no_literal() {
        let generated = Shape::of(Class::Resource {
            id: "Group".into(),
            names: Vec::new(),
        });
        assert!(!generated.may_be("default") && !generated.may_be("*"));
        let named = Shape::of(Class::Resource {
            id: "Group".into(),
            names: vec![Shape::text("default")],
        });
        assert!(named.may_be("default") && !named.may_be("other"));
        let open = Shape::of(Class::Resource {
            id: "Group".into(),
            names: vec![Shape::of(Class::Parameter("Name".into()))],
        });
        assert!(open.may_be("default"));
        // Within a longer text, a generated id may be any name without `*`.
        let path = shape(vec![
            text("arn:aws:s3:::"),
            Part::Class(Class::Resource {
                id: "Bucket".into(),
                names: Vec::new(),
            }),
            text("/*"),
        ]);
        assert!(path.may_be("arn:aws:s3:::logs/*") && !path.may_be("*"));
        let arn = Shape::of(Class::Arn {
            id: "Role".into(),
            attribute: "Arn".into(),
        });
        assert!(!arn.may_be("*") && arn.may_be("arn:aws:iam::123456789012:role/r"));
        assert!(!arn.may_end_with("*"));
        let attribute = Shape::of(Class::Attribute {
            id: "Db".into(),
            attribute: "Endpoint.Port".into(),
        });
        assert!(!attribute.may_be("*") && attribute.may_be("3306"));
        assert!(attribute.may_end_with("*"));
    }

    #[test]
    fn a_piece_not_worked_out_may_be_anything() {
        let tail = shape(vec![Part::Class(Class::Any), text("/0")]);
        assert!(tail.may_be("0.0.0.0/0") && !tail.may_be("*"));
        assert!(Shape::of(Class::Any).may_be("*"));
        let mut long = shape(vec![text("abc"), Part::Class(Class::Any), text("defgh")]);
        long.cut(3);
        assert_eq!(long.to_string(), "…fgh");
        assert!(long.may_be(&"x".repeat(MAX_COMPARED + 1)));
    }
}
