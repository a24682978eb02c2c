//! Why a rule fires on one resource, or may: what a rule kind hands back.

use std::collections::{HashMap, HashSet};

use cfn_template::resolve::{Unknown, add_unknowns};
use cfn_template::view::{Branch, Variant};

/// Reasons a rule fires on one resource, or may. Empty when it does not.
#[derive(Debug, Default)]
pub struct Evidence {
    /// It fires.
    pub resolved: Vec<String>,
    /// It may fire, depending on values that could not be worked out.
    pub unresolved: Vec<String>,
    /// What those are.
    pub unknown: Vec<Unknown>,
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
        for (form, evidence) in found.into_iter().enumerate() {
            for reason in evidence.resolved {
                resolved.add(reason, form);
            }
            for reason in evidence.unresolved {
                unresolved.add(reason, form);
            }
            add_unknowns(&mut unknown, &evidence.unknown);
        }
        let mut out = Evidence::default();
        for (reason, on) in resolved.0 {
            out.fires(when(reason, &on, forms));
        }
        for (reason, on) in unresolved.0 {
            out.may_fire(when(reason, &on, forms), &[]);
        }
        out.unknown = unknown;
        out
    }
}

/// Reasons in the order first found, each with the forms it is found on.
#[derive(Default)]
struct OnForms(Vec<(String, Vec<usize>)>, HashMap<String, usize>);

impl OnForms {
    fn add(&mut self, reason: String, form: usize) {
        match self.1.get(&reason) {
            Some(&at) => self.0[at].1.push(form),
            None => {
                self.1.insert(reason.clone(), self.0.len());
                self.0.push((reason, vec![form]));
            }
        }
    }
}

/// `reason`, with the branches that lead to the forms it is found `on`
/// unless that is every form.
fn when(reason: String, on: &[usize], forms: &[&[Branch]]) -> String {
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
    // ... else each form's branches.
    let each: Vec<String> = on
        .iter()
        .map(|&i| {
            forms[i]
                .iter()
                .map(Branch::to_string)
                .collect::<Vec<_>>()
                .join(" and ")
        })
        .collect();
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
