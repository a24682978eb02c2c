//! Whether a requirement holds, or fails, on values that may be several
//! (every candidate counts) or unknown.
//!
//! A [`Truth`] answers two questions: may the requirement hold, and may it
//! fail? Each with a [`Certainty`]: `Yes` when a value certain to be
//! possible says so, `Maybe` when only a value that may not be possible (an
//! allowed value other than the `Default`) or an unknown one could, `No`
//! otherwise; and the reasons and unknowns behind it. A rule fires when its
//! filter may hold and its requirement may fail, both `Yes`; when either
//! is only `Maybe`, the finding is unresolved. So an unknown value is never
//! a pass.

use cfn_template::resolve::{Unknown, add_unknowns};

/// How sure an answer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) enum Certainty {
    #[default]
    No,
    Maybe,
    Yes,
}

/// One answer: how sure, why, and what it depends on.
#[derive(Debug, Clone, Default)]
pub(crate) struct Side {
    pub certainty: Certainty,
    pub reasons: Vec<String>,
    pub unknown: Vec<Unknown>,
}

/// A reason is kept to this many per answer; past them, the rest are counted.
const MAX_REASONS: usize = 8;

impl Side {
    pub fn yes(reason: impl Into<String>) -> Side {
        Side {
            certainty: Certainty::Yes,
            reasons: vec![reason.into()],
            unknown: Vec::new(),
        }
    }

    pub fn maybe(reason: impl Into<String>, unknown: &[Unknown]) -> Side {
        Side {
            certainty: Certainty::Maybe,
            reasons: vec![reason.into()],
            unknown: unknown.to_vec(),
        }
    }

    pub fn no() -> Side {
        Side::default()
    }

    /// Whether either answer says so: the surer one, with its reasons.
    pub fn either(sides: impl IntoIterator<Item = Side>) -> Side {
        let mut out = Side::no();
        for side in sides {
            match side.certainty.cmp(&out.certainty) {
                std::cmp::Ordering::Greater => out = side,
                std::cmp::Ordering::Equal if side.certainty > Certainty::No => {
                    out.add(side);
                }
                _ => {}
            }
        }
        out
    }

    /// Whether every answer says so (none: yes, with no reason): the least
    /// sure, with every reason and unknown.
    pub fn all(sides: impl IntoIterator<Item = Side>) -> Side {
        let mut out = Side {
            certainty: Certainty::Yes,
            ..Side::default()
        };
        for side in sides {
            out.certainty = out.certainty.min(side.certainty);
            if out.certainty == Certainty::No {
                return Side::no();
            }
            out.add(side);
        }
        out
    }

    fn add(&mut self, other: Side) {
        for reason in other.reasons {
            if self.reasons.len() < MAX_REASONS && !self.reasons.contains(&reason) {
                self.reasons.push(reason);
            }
        }
        add_unknowns(&mut self.unknown, &other.unknown);
    }
}

/// May a requirement hold, may it fail.
#[derive(Debug, Clone, Default)]
pub(crate) struct Truth {
    pub holds: Side,
    pub fails: Side,
}

impl Truth {
    /// Every one of `truths` must hold.
    pub fn all(truths: Vec<Truth>) -> Truth {
        let (holds, fails): (Vec<Side>, Vec<Side>) =
            truths.into_iter().map(|t| (t.holds, t.fails)).unzip();
        Truth {
            holds: Side::all(holds),
            fails: Side::either(fails),
        }
    }

    /// One of `truths` must hold.
    pub fn any(truths: Vec<Truth>) -> Truth {
        let (holds, fails): (Vec<Side>, Vec<Side>) =
            truths.into_iter().map(|t| (t.holds, t.fails)).unzip();
        let mut fails = Side::all(fails);
        // One reason: each alternative fails.
        if fails.reasons.len() > 1 {
            fails.reasons = vec![fails.reasons.join(", and ")];
        }
        Truth {
            holds: Side::either(holds),
            fails,
        }
    }

    /// It holds, certainly.
    pub fn holds() -> Truth {
        Truth {
            holds: Side {
                certainty: Certainty::Yes,
                ..Side::default()
            },
            fails: Side::no(),
        }
    }

    /// It fails, certainly, for `reason`.
    pub fn fails(reason: impl Into<String>) -> Truth {
        Truth {
            holds: Side::no(),
            fails: Side::yes(reason),
        }
    }

    /// Nothing is known: it may hold or fail.
    pub fn unknown(reason: impl Into<String>, unknown: &[Unknown]) -> Truth {
        let reason = reason.into();
        Truth {
            holds: Side::maybe(reason.clone(), unknown),
            fails: Side::maybe(reason, unknown),
        }
    }
}

/// What a rule finds on one world: it fires when its filter certainly
/// `applies` and its requirement certainly `fails`; it may fire when
/// either is only a maybe (the reasons then name what is not known).
pub(crate) fn judge(evidence: &mut crate::evidence::Evidence, applies: &Side, fails: Side) {
    match (applies.certainty, fails.certainty) {
        (Certainty::No, _) | (_, Certainty::No) => {}
        (Certainty::Yes, Certainty::Yes) => {
            for reason in fails.reasons {
                evidence.fires(reason);
            }
        }
        (applies_certainty, fails_certainty) => {
            let mut unknown = fails.unknown.clone();
            add_unknowns(&mut unknown, &applies.unknown);
            for reason in fails.reasons {
                let reason =
                    if applies_certainty == Certainty::Maybe && fails_certainty == Certainty::Yes {
                        format!(
                            "{reason}, if the rule applies ({})",
                            crate::evidence::names(&applies.unknown)
                        )
                    } else {
                        reason
                    };
                evidence.may_fire(reason, &unknown);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_and_any_combine_as_three_valued_logic() {
        let yes = Truth::holds();
        let no = Truth::fails("x is 1");
        let unknown = Truth::unknown("y is not resolved", &[Unknown::new("parameter P")]);
        let all = Truth::all(vec![yes.clone(), unknown.clone()]);
        assert_eq!(all.holds.certainty, Certainty::Maybe);
        assert_eq!(all.fails.certainty, Certainty::Maybe);
        let all = Truth::all(vec![no.clone(), unknown.clone()]);
        assert_eq!(
            (all.holds.certainty, all.fails.certainty),
            (Certainty::No, Certainty::Yes)
        );
        assert_eq!(all.fails.reasons, ["x is 1"]);
        let any = Truth::any(vec![no.clone(), yes.clone()]);
        assert_eq!(
            (any.holds.certainty, any.fails.certainty),
            (Certainty::Yes, Certainty::No)
        );
        let any = Truth::any(vec![no.clone(), Truth::fails("z is 2")]);
        assert_eq!(any.fails.reasons, ["x is 1, and z is 2"]);
        let any = Truth::any(vec![no, unknown]);
        assert_eq!(any.fails.certainty, Certainty::Maybe);
        assert_eq!(any.fails.unknown, [Unknown::new("parameter P")]);
        assert_eq!(Truth::all(Vec::new()).holds.certainty, Certainty::Yes);
    }
}
