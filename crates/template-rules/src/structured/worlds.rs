//! Which branch of each `Fn::If` a check reads.
//!
//! A structured check reads a resource in one **world** at a time: a choice
//! of `true` or `false` for each condition whose `Fn::If` it meets. It
//! starts with the choices of the resource's form ([`Variant::when`]) and
//! no others; meeting an `Fn::If` whose condition is not chosen yet, it
//! stops ([`NeedsCondition`]) and is run again in two worlds, one for each
//! branch. So a value found in one world only is named with its branches
//! ("when IsProd is false"), values of different properties are read in the
//! same world (an `Engine` and a `StorageEncrypted` that both depend on
//! `IsAurora` are never mixed across branches), and conditions the check
//! never meets cost nothing. Past [`MAX_WORLDS`] worlds the check is
//! unresolved, never a pass.
//!
//! [`Variant::when`]: cfn_template::view::Variant::when

use cfn_template::Node;
use cfn_template::resolve::{Unknown, intrinsic};
use cfn_template::view::Branch;

use crate::evidence::Evidence;

/// Most worlds one check reads one resource in (6 conditions, all met).
pub(crate) const MAX_WORLDS: usize = 64;

/// The choices made so far: the resource form's, then the check's own.
#[derive(Debug, Clone, Default)]
pub(crate) struct World {
    given: Vec<Branch>,
    chosen: Vec<Branch>,
}

/// A check met an `Fn::If` on this condition, which the world has not chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NeedsCondition(pub String);

impl World {
    /// The world of a form whose branches are `given`.
    pub fn new(given: &[Branch]) -> World {
        World {
            given: given.to_vec(),
            chosen: Vec::new(),
        }
    }

    /// Whether `condition` holds here, or which condition must be chosen.
    pub fn holds(&self, condition: &str) -> Result<bool, NeedsCondition> {
        self.given
            .iter()
            .chain(&self.chosen)
            .find(|b| b.condition == condition)
            .map(|b| b.holds)
            .ok_or_else(|| NeedsCondition(condition.to_string()))
    }

    /// The branches this world chose beyond the form's.
    pub fn chosen(&self) -> &[Branch] {
        &self.chosen
    }

    fn with(&self, condition: &str, holds: bool) -> World {
        let mut world = self.clone();
        world.chosen.push(Branch {
            condition: condition.to_string(),
            holds,
        });
        world
    }
}

/// What a value is once the world's `Fn::If`s are chosen.
pub(crate) enum Chosen<'n> {
    /// This value (not an `Fn::If`).
    Value(&'n Node<'n>),
    /// No value: `Ref: AWS::NoValue`, or `null`.
    Absent,
    /// An `Fn::If` CloudFormation would refuse.
    Malformed(Unknown),
}

/// `node`, with each `Fn::If` around it replaced by the branch `world` takes.
pub(crate) fn choose<'n>(node: &'n Node<'n>, world: &World) -> Result<Chosen<'n>, NeedsCondition> {
    let mut node = node;
    loop {
        match node.value() {
            Node::Null => return Ok(Chosen::Absent),
            value => match intrinsic(value) {
                Some(("Ref", name)) if name.as_str() == Some("AWS::NoValue") => {
                    return Ok(Chosen::Absent);
                }
                Some(("Fn::If", args)) => {
                    let Some([condition, yes, no]) = args.as_array() else {
                        return Ok(Chosen::Malformed(Unknown::new(
                            "Fn::If without a condition and two values",
                        )));
                    };
                    let Some(condition) = condition.as_str() else {
                        return Ok(Chosen::Malformed(Unknown::new(
                            "Fn::If whose condition is not a name",
                        )));
                    };
                    node = if world.holds(condition)? { yes } else { no };
                }
                _ => return Ok(Chosen::Value(value)),
            },
        }
    }
}

/// The evidence of a check that reads a resource in worlds: `check` is run
/// in the world of `given`, and again in two worlds for each condition it
/// needs; what it finds in some worlds only names their branches.
pub(crate) fn in_worlds(
    given: &[Branch],
    mut check: impl FnMut(&World) -> Result<Evidence, NeedsCondition>,
) -> Evidence {
    let mut pending = vec![World::new(given)];
    let mut done: Vec<(World, Evidence)> = Vec::new();
    while let Some(world) = pending.pop() {
        match check(&world) {
            Ok(evidence) => done.push((world, evidence)),
            Err(NeedsCondition(condition)) => {
                if done.len() + pending.len() + 2 > MAX_WORLDS {
                    let mut evidence = Evidence::default();
                    let why = Unknown::new(format!(
                        "values chosen by Fn::If in more than {MAX_WORLDS} combinations of conditions"
                    ));
                    evidence.may_fire(format!("the rule could not be worked out ({why})"), &[why]);
                    return evidence;
                }
                // `true` first: it is popped first, and listed first.
                pending.push(world.with(&condition, false));
                pending.push(world.with(&condition, true));
            }
        }
    }
    if done.len() == 1 {
        return done.pop().map(|(_, e)| e).unwrap_or_default();
    }
    let (worlds, found): (Vec<World>, Vec<Evidence>) = done.into_iter().unzip();
    let branches: Vec<&[Branch]> = worlds.iter().map(World::chosen).collect();
    Evidence::across_branches(&branches, found)
}
