//! Lists: written out, `Fn::Split`, `Fn::Cidr`, a list parameter's default;
//! and what uses them, `Fn::Select` and `Fn::Length`.

use std::str::FromStr;

use ipnet::IpNet;

use super::allowance::MAX_TEXT;
use super::candidate::{Candidate, Unknown, Value, Via, add_unknowns, unknowns};
use super::{Resolver, intrinsic};
use crate::display::short;
use crate::node::Node;

/// `Fn::Cidr` makes at most this many blocks (CloudFormation's own bound).
const MAX_CIDR_COUNT: i64 = 256;

/// An item of a list: a value from the template, or text computed from one.
#[derive(Debug, Clone)]
pub(crate) enum ListItem<'t> {
    Node(&'t Node<'t>),
    Text(String),
}

/// One list a value may be.
#[derive(Debug, Clone)]
pub(crate) struct List<'t> {
    /// `None` when the list cannot be worked out.
    pub items: Option<Vec<ListItem<'t>>>,
    pub via: Option<Via<'t>>,
    pub unknown: Vec<Unknown>,
}

impl<'t> List<'t> {
    fn unknown(why: Unknown) -> Self {
        List {
            items: None,
            via: None,
            unknown: vec![why],
        }
    }

    /// A list that cannot be worked out, as a value it stands for.
    pub fn into_unknown_value(self) -> Candidate<'t> {
        Candidate {
            value: Value::Unknown,
            via: self.via,
            unknown: self.unknown,
        }
    }

    fn texts(texts: Vec<String>, via: Option<Via<'t>>, unknown: Vec<Unknown>) -> Self {
        List {
            items: Some(texts.into_iter().map(ListItem::Text).collect()),
            via,
            unknown,
        }
    }
}

impl<'t> Resolver<'t> {
    /// The lists `value` may be.
    pub(super) fn lists(&self, value: &'t Node<'t>) -> Vec<List<'t>> {
        if let Err(why) = self.allowance.step() {
            return vec![List::unknown(why)];
        }
        if let Node::Array(items) = value.value() {
            return vec![List {
                items: Some(items.iter().map(ListItem::Node).collect()),
                via: None,
                unknown: Vec::new(),
            }];
        }
        match intrinsic(value) {
            Some(("Fn::Split", args)) => return self.split(args),
            Some(("Fn::Cidr", args)) => return vec![self.cidr(args)],
            Some(("Fn::If", args)) => {
                if let Some([_, yes, no]) = args.as_array() {
                    let mut lists = self.lists(yes);
                    lists.extend(self.lists(no));
                    return lists;
                }
            }
            _ => {}
        }
        let mut candidates = Vec::new();
        self.nested(value, &mut candidates);
        let mut lists = Vec::new();
        for candidate in candidates {
            match candidate.value {
                Value::Node(Node::Array(items)) => lists.push(List {
                    items: Some(items.iter().map(ListItem::Node).collect()),
                    via: candidate.via,
                    unknown: candidate.unknown,
                }),
                // A list parameter's default is written "a,b,c".
                Value::Node(Node::String(s)) if candidate.via.is_some() => {
                    if let Err(why) = self.allowance.bytes(s.len()) {
                        lists.push(List::unknown(why));
                        continue;
                    }
                    let items = s.split(',').map(|p| p.trim().to_string()).collect();
                    lists.push(List::texts(items, candidate.via, candidate.unknown));
                }
                Value::Shaped(_) | Value::Unknown => lists.push(List {
                    items: None,
                    via: candidate.via,
                    unknown: candidate.unknown,
                }),
                _ => {} // not a list: CloudFormation refuses it
            }
        }
        lists
    }

    /// `Fn::Split: [delimiter, text]`.
    fn split(&self, args: &'t Node<'t>) -> Vec<List<'t>> {
        let Some([delimiter, source]) = args.as_array() else {
            return vec![List::unknown(Unknown::new(
                "Fn::Split without a delimiter and a text",
            ))];
        };
        let Some(delimiter) = delimiter.as_str().filter(|d| !d.is_empty()) else {
            return vec![List::unknown(Unknown::new(
                "Fn::Split with a delimiter that is not text",
            ))];
        };
        let mut candidates = Vec::new();
        self.nested(source, &mut candidates);
        candidates
            .into_iter()
            .map(|c| match c.as_text() {
                Some(text) => {
                    if let Err(why) = self.allowance.bytes(text.len()) {
                        return List::unknown(why);
                    }
                    let items = text.split(delimiter).map(str::to_string).collect();
                    List::texts(items, c.via, c.unknown.clone())
                }
                None => List {
                    items: None,
                    via: c.via,
                    unknown: if c.unknown.is_empty() {
                        vec![Unknown::new("Fn::Split of a value that is not text")]
                    } else {
                        c.unknown
                    },
                },
            })
            .collect()
    }

    /// `Fn::Cidr: [block, count, bits]`: the first `count` blocks of
    /// `bits` host bits each in `block`.
    fn cidr(&self, args: &'t Node<'t>) -> List<'t> {
        let Some([block, count, bits]) = args.as_array() else {
            return List::unknown(Unknown::new("Fn::Cidr without a block, a count and bits"));
        };
        let mut unknown = Vec::new();
        let mut known = |value: &'t Node<'t>| -> Option<Candidate<'t>> {
            let mut candidates = Vec::new();
            self.nested(value, &mut candidates);
            add_unknowns(&mut unknown, &unknowns(&candidates));
            match candidates.as_slice() {
                [one] if one.is_resolved() => Some(one.clone()),
                _ => None,
            }
        };
        let (Some(block), Some(count), Some(bits)) = (known(block), known(count), known(bits))
        else {
            if unknown.is_empty() {
                unknown.push(Unknown::new(
                    "Fn::Cidr with more than one possible argument",
                ));
            }
            return List {
                items: None,
                via: None,
                unknown,
            };
        };
        let net = block
            .as_text()
            .filter(|t| t.len() <= MAX_TEXT)
            .and_then(|t| IpNet::from_str(t.trim()).ok());
        let (Some(net), Some(count), Some(bits)) = (net, count.as_integer(), bits.as_integer())
        else {
            return List::texts(Vec::new(), None, Vec::new()); // CloudFormation refuses it
        };
        let Some(prefix) = u8::try_from(bits)
            .ok()
            .and_then(|bits| net.max_prefix_len().checked_sub(bits))
        else {
            return List::texts(Vec::new(), None, Vec::new());
        };
        let count = usize::try_from(count.clamp(0, MAX_CIDR_COUNT)).unwrap_or(0);
        let blocks = match net.trunc().subnets(prefix) {
            Ok(subnets) => subnets.take(count).map(|n| n.to_string()).collect(),
            Err(_) => Vec::new(),
        };
        List::texts(blocks, None, Vec::new())
    }

    /// `Fn::Select: [index, list]`. An index that cannot be known selects
    /// every item.
    pub(super) fn select(&self, args: &'t Node<'t>, out: &mut Vec<Candidate<'t>>) {
        let Some([index, list]) = args.as_array() else {
            out.push(Candidate::unknown(Unknown::new(
                "Fn::Select without an index and a list",
            )));
            return;
        };
        let mut candidates = Vec::new();
        self.nested(index, &mut candidates);
        let mut indexes = Vec::new();
        let mut any = false;
        for candidate in &candidates {
            match candidate.as_integer() {
                Some(i) => indexes.extend(usize::try_from(i).ok()),
                None if !candidate.is_resolved() => any = true,
                None => {} // not a number: CloudFormation refuses it
            }
        }
        for mut list in self.lists(list) {
            let Some(items) = list.items.take() else {
                out.push(list.into_unknown_value());
                continue;
            };
            let chosen: Vec<usize> = if any {
                (0..items.len()).collect()
            } else {
                indexes.clone()
            };
            for i in chosen {
                if let Err(why) = self.allowance.step() {
                    out.push(Candidate::unknown(why));
                    return;
                }
                let from = out.len();
                match items.get(i) {
                    Some(ListItem::Node(node)) => self.nested(node, out),
                    Some(ListItem::Text(text)) => out.push(Candidate::text(text.clone())),
                    None => {}
                }
                for candidate in &mut out[from..] {
                    if candidate.via.is_none() {
                        candidate.via = list.via;
                    }
                    add_unknowns(&mut candidate.unknown, &list.unknown);
                }
            }
        }
    }

    /// `Fn::Length: list`: how many items the list has.
    pub(super) fn length(&self, args: &'t Node<'t>, out: &mut Vec<Candidate<'t>>) {
        for list in self.lists(args) {
            match list.items {
                Some(items) => out.push(Candidate {
                    value: Value::Text(items.len().to_string().into()),
                    via: list.via,
                    unknown: list.unknown,
                }),
                None => out.push(Candidate {
                    value: Value::Unknown,
                    via: list.via,
                    unknown: if list.unknown.is_empty() {
                        vec![Unknown::new(format!(
                            "Fn::Length of {}",
                            short("a list that cannot be worked out")
                        ))]
                    } else {
                        list.unknown
                    },
                }),
            }
        }
    }
}
