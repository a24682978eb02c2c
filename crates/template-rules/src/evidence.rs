//! Why a rule fires on one resource, or may: what a rule kind hands back.

use std::collections::{HashMap, HashSet};

use cfn_template::resolve::{Unknown, add_unknowns};
use cfn_template::view::{Branch, Variant};

use crate::fingerprint;

/// Reasons a rule fires on one resource, or may. Empty when it does not.
#[derive(Debug, Default)]
pub struct Evidence {
    /// It fires.
    pub resolved: Vec<String>,
    /// It may fire, depending on values that could not be worked out.
    pub unresolved: Vec<String>,
    /// What those are.
    pub unknown: Vec<Unknown>,
    /// What identifies a reason in the finding's fingerprint, for the
    /// reasons whose words depend on where things are written (by reason;
    /// the others are their own key: see [`crate::fingerprint`]).
    keys: HashMap<String, String>,
    /// Every reason so far, once there are many (few are looked through).
    seen: Option<HashSet<String>>,
}

/// Past this many reasons, repeats are looked up in a set.
const SCAN_UP_TO: usize = 8;

impl Evidence {
    /// The rule fires, for this reason.
    pub fn fires(&mut self, reason: String) {
        if self.is_new(&reason) {
            self.resolved.push(reason);
        }
    }

    /// The rule may fire, for this reason, depending on `unknown`.
    pub fn may_fire(&mut self, reason: String, unknown: &[Unknown]) {
        if self.is_new(&reason) {
            self.unresolved.push(reason);
            add_unknowns(&mut self.unknown, unknown);
        }
    }

    /// [`Evidence::fires`], for a reason whose words depend on the order
    /// things are written in (a union naming its first few sources), or
    /// do not say what was found (a regex): `key` is what the finding's
    /// fingerprint takes from it instead, as it is (list positions already
    /// left out: see [`crate::fingerprint`]).
    pub fn fires_as(&mut self, reason: String, key: String) {
        if self.is_new(&reason) {
            self.keys.insert(reason.clone(), key);
            self.resolved.push(reason);
        }
    }

    /// [`Evidence::may_fire`], with a `key` as [`Evidence::fires_as`] has.
    pub fn may_fire_as(&mut self, reason: String, unknown: &[Unknown], key: String) {
        if self.is_new(&reason) {
            self.keys.insert(reason.clone(), key);
            self.unresolved.push(reason);
            add_unknowns(&mut self.unknown, unknown);
        }
    }

    /// What the fingerprint of a finding for `reasons` (some of this
    /// evidence's) takes from each.
    pub(crate) fn keys(&self, reasons: &[String]) -> Vec<String> {
        reasons
            .iter()
            .map(|reason| match self.keys.get(reason) {
                Some(key) => key.clone(),
                None => fingerprint::key(reason),
            })
            .collect()
    }

    fn is_new(&mut self, reason: &str) -> bool {
        if let Some(seen) = &mut self.seen {
            return seen.insert(reason.to_string());
        }
        let mut all = self.resolved.iter().chain(&self.unresolved);
        if self.resolved.len() + self.unresolved.len() < SCAN_UP_TO {
            return !all.any(|r| r == reason);
        }
        let mut seen: HashSet<String> = all.cloned().collect();
        let new = seen.insert(reason.to_string());
        self.seen = Some(seen);
        new
    }

    /// Whether the rule neither fires nor may fire.
    pub fn is_empty(&self) -> bool {
        self.resolved.is_empty() && self.unresolved.is_empty()
    }

    /// The evidence on a resource from that on each of its forms
    /// (`found[i]` on `forms[i]`): a reason found on every form stands as
    /// it is; one found on some names the branches that lead there ("SSH
    /// open to the world when IsProd is false").
    pub fn across(forms: &[Variant], found: Vec<Evidence>) -> Evidence {
        let branches: Vec<&[Branch]> = forms.iter().map(|f| f.when.as_slice()).collect();
        Evidence::across_branches(&branches, found)
    }

    /// [`Evidence::across`], for forms known by their branches alone
    /// (`found[i]` is on the form `forms[i]` leads to).
    pub fn across_branches(forms: &[&[Branch]], found: Vec<Evidence>) -> Evidence {
        let mut resolved = OnForms::default();
        let mut unresolved = OnForms::default();
        let mut unknown = Vec::new();
        let mut keys = HashMap::new();
        for (form, evidence) in found.into_iter().enumerate() {
            resolved.add(evidence.resolved, form);
            unresolved.add(evidence.unresolved, form);
            add_unknowns(&mut unknown, &evidence.unknown);
            for (reason, key) in evidence.keys {
                keys.entry(reason).or_insert(key);
            }
        }
        // A reason found on some forms only names their branches, and so
        // does its key.
        let key_on = |reason: &String, on: &[usize]| {
            let key = match keys.get(reason) {
                Some(key) => key.clone(),
                None => fingerprint::key(reason),
            };
            on_branches(key, on, forms)
        };
        let mut out = Evidence::default();
        for (reason, on) in resolved.reasons {
            let key = key_on(&reason, &on);
            out.fires_as(on_branches(reason, &on, forms), key);
        }
        for (reason, on) in unresolved.reasons {
            let key = key_on(&reason, &on);
            out.may_fire_as(on_branches(reason, &on, forms), &[], key);
        }
        out.unknown = unknown;
        out
    }
}

/// Reasons, each with the forms it is found on, in an order that keeps the
/// order of every form's own (so, for the kinds here, document order).
#[derive(Default)]
struct OnForms {
    reasons: Vec<(String, Vec<usize>)>,
    /// Where each reason is in `reasons`.
    at: HashMap<String, usize>,
}

impl OnForms {
    /// The reasons of one form, in its order: a reason not met before goes
    /// after the last one of this form already placed.
    fn add(&mut self, reasons: Vec<String>, form: usize) {
        let mut next = 0;
        for reason in reasons {
            if let Some(&at) = self.at.get(&reason) {
                self.reasons[at].1.push(form);
                next = next.max(at + 1);
                continue;
            }
            for position in self.at.values_mut() {
                if *position >= next {
                    *position += 1;
                }
            }
            self.at.insert(reason.clone(), next);
            self.reasons.insert(next, (reason, vec![form]));
            next += 1;
        }
    }
}

/// A reason names the branches of at most this many forms.
const NAMED_FORMS: usize = 3;

/// `reason`, with the branches that lead to the forms it is found `on`
/// unless that is every form.
pub(crate) fn on_forms(reason: String, on: &[usize], forms: &[Variant]) -> String {
    let branches: Vec<&[Branch]> = forms.iter().map(|f| f.when.as_slice()).collect();
    on_branches(reason, on, &branches)
}

/// [`on_forms`], for forms known by their branches alone.
fn on_branches(reason: String, on: &[usize], forms: &[&[Branch]]) -> String {
    if on.len() == forms.len() {
        return reason;
    }
    let Some(&first) = on.first() else {
        return reason;
    };
    // The branches every one of these forms takes: when no other form takes
    // them all, they say it (`IsProd is false`) ...
    let common: Vec<_> = forms[first]
        .iter()
        .filter(|b| on.iter().all(|&i| forms[i].contains(b)))
        .collect();
    let taking_them = forms
        .iter()
        .filter(|f| common.iter().all(|b| f.contains(b)))
        .count();
    if !common.is_empty() && taking_them == on.len() {
        let branches: Vec<String> = common.iter().map(ToString::to_string).collect();
        return format!("{reason} when {}", branches.join(" and "));
    }
    // ... else each form's branches (a few: a reason stays short).
    let mut each: Vec<String> = on
        .iter()
        .take(NAMED_FORMS)
        .map(|&i| {
            forms[i]
                .iter()
                .map(Branch::to_string)
                .collect::<Vec<_>>()
                .join(" and ")
        })
        .collect();
    if on.len() > NAMED_FORMS {
        each.push(format!("{} more of its forms", on.len() - NAMED_FORMS));
    }
    format!("{reason} when {}", each.join(", or when "))
}

/// "parameter P has no Default; Fn::ImportValue x", for a reason.
pub fn names(unknown: &[Unknown]) -> String {
    if unknown.is_empty() {
        return "a value not resolved".to_string();
    }
    unknown
        .iter()
        .map(Unknown::as_str)
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use cfn_template::Template;
    use cfn_template::view::views;

    use super::*;

    /// A resource of four forms: A and B, each true or false.
    const TWO_CHOICES: &str = "Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: x
      SecurityGroupIngress:
        - !If [A, {CidrIp: 10.0.0.0/8}, !Ref AWS::NoValue]
        - !If [B, {CidrIp: 10.0.0.0/8}, !Ref AWS::NoValue]
";

    /// Evidence that fires for `reason` on the forms `on` says.
    fn on(forms: usize, reason: &str, on: impl Fn(usize) -> bool) -> Vec<Evidence> {
        (0..forms)
            .map(|form| {
                let mut evidence = Evidence::default();
                if on(form) {
                    evidence.fires(reason.to_string());
                }
                evidence
            })
            .collect()
    }

    #[test]
    fn a_reason_names_the_branches_of_the_forms_it_holds_on() {
        let template = Template::parse(TWO_CHOICES.as_bytes()).unwrap();
        let views = views(&template);
        let forms = &views[0].variants;
        let described: Vec<String> = forms.iter().map(Variant::describe_when).collect();
        assert_eq!(
            described,
            [
                "A is true and B is true",
                "A is true and B is false",
                "A is false and B is true",
                "A is false and B is false"
            ]
        );
        let across = |found| Evidence::across(forms, found).resolved;
        assert_eq!(across(on(4, "open", |_| true)), ["open"]);
        assert_eq!(across(on(4, "open", |f| f < 2)), ["open when A is true"]);
        assert_eq!(
            across(on(4, "open", |f| f == 3)),
            ["open when A is false and B is false"]
        );
        assert_eq!(
            across(on(4, "open", |f| f != 3)),
            [
                "open when A is true and B is true, or when A is true and B is false, or when A is false and B is true"
            ]
        );
    }
}
