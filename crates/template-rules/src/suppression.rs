//! Suppressions: the findings a template accepts on purpose, each with a
//! reason a person can read, read from a resource's (or the template's)
//! `Metadata` in the styles teams already write:
//!
//! - ours: `cicd: {suppress: [{rule: R, reason: why, expires: 2026-12-31, owner: team}]}`;
//! - Guard's: `guard: {SuppressedRules: [R]}` or `[{R: why}]` (the Guard
//!   registry's rules read it; the check applies it itself, see
//!   [`crate::guard`]);
//! - cfn_nag's: `cfn_nag: {rules_to_suppress: [{id: R, reason: why}]}`;
//! - checkov's: `checkov: {skip: [{id: R, comment: why}]}`.
//!
//! Each entry suppresses the findings of the rule it names: a rule's id, or
//! for a guard item's finding, the Guard rule that failed. An entry naming
//! another rule suppresses nothing else. Whatever the style, an entry is
//! applied only when it gives a reason a person can see (Guard's plain list
//! of names, which cannot hold one, only for the Guard rules it names, as
//! Guard itself would skip them), when its rule may be suppressed
//! (`suppressible`), and until its `expires` date (inclusive); a rule whose
//! item says `suppression: reason+expiry` takes only entries with an
//! `expires` date and an `owner`. An entry not applied is a warning; an
//! expired one also marks the finding ([`Finding::suppression_expired`]),
//! and one that expires within [`EXPIRY_WARNING_DAYS`] days is a warning.
//! Entries of the other styles naming rules this rule set does not have are
//! the other tools' business: no warning.

use std::collections::HashMap;

use cfn_template::Node;
use cfn_template::display::{short, shorten};
use time::Date;

use crate::calendar::date;

use crate::report::Finding;
use crate::rules::{Rule, RuleKind, RuleSet, SuppressionPolicy};
use crate::unseen::UNSEEN;

/// A suppression's reason is kept to this many characters.
const MAX_SUPPRESSION_REASON: usize = 500;

/// A suppression that expires within this many days is a warning.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// The suppressions of one resource (or of the template), by the rule name
/// each names.
#[derive(Debug, Default)]
pub(crate) struct Suppressions {
    by_name: HashMap<String, Applied>,
}

#[derive(Debug)]
enum Applied {
    /// Applies, with the reason shown.
    Yes(String),
    /// Expired: what the finding says of it.
    Expired(String),
}

impl Suppressions {
    /// `finding`, suppressed when an entry names its rule (or its Guard
    /// rule), or marked when that entry expired.
    pub(crate) fn apply(&self, finding: &mut Finding) {
        let entry = self.by_name.get(finding.rule.as_str()).or_else(|| {
            finding
                .guard_rule
                .as_deref()
                .and_then(|name| self.by_name.get(name))
        });
        match entry {
            Some(Applied::Yes(reason)) => {
                finding.suppressed = true;
                finding.suppression_reason = Some(reason.clone());
            }
            Some(Applied::Expired(note)) => finding.suppression_expired = Some(note.clone()),
            None => {}
        }
    }
}

/// Where an entry was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Cicd,
    Guard,
    CfnNag,
    Checkov,
}

impl Style {
    fn place(self) -> &'static str {
        match self {
            Style::Cicd => "Metadata.cicd.suppress",
            Style::Guard => "Metadata.guard.SuppressedRules",
            Style::CfnNag => "Metadata.cfn_nag.rules_to_suppress",
            Style::Checkov => "Metadata.checkov.skip",
        }
    }
}

/// One entry as written, whatever its style.
struct Entry<'n> {
    style: Style,
    name: &'n str,
    /// `None` for Guard's plain list of names, which has no room for one.
    reason: Option<&'n Node<'n>>,
    expires: Option<&'n Node<'n>>,
    owner: Option<&'n Node<'n>>,
}

/// Reads the suppressions in `metadata` (`at` saying where, in warnings),
/// checking each against `rules` on `today`; what is not applied, and what
/// expires soon, goes to `warnings`.
pub(crate) fn read(
    metadata: Option<&Node>,
    at: &str,
    rules: &RuleSet,
    today: Date,
    warnings: &mut Vec<String>,
) -> Suppressions {
    let mut suppressions = Suppressions::default();
    let Some(metadata) = metadata else {
        return suppressions;
    };
    let mut entries = Vec::new();
    // Ours last: for a rule named twice, ours is the one applied.
    foreign(metadata, at, &mut entries, warnings);
    if let Some(list) = metadata.get("cicd").and_then(|c| c.get("suppress")) {
        match list.as_array() {
            Some(items) => {
                for item in items {
                    match item.get("rule").and_then(Node::as_str) {
                        Some(name) => entries.push(Entry {
                            style: Style::Cicd,
                            name,
                            reason: Some(item.get("reason").unwrap_or(&Node::Null)),
                            expires: item.get("expires"),
                            owner: item.get("owner"),
                        }),
                        None => warnings
                            .push(format!("{at}: a suppression without a rule id is ignored")),
                    }
                }
            }
            None => warnings.push(format!(
                "{at}: Metadata.cicd.suppress must be a list of {{rule, reason}}; ignored"
            )),
        }
    }
    let mut checker = Checker {
        at,
        rules,
        today,
        warnings,
    };
    for entry in entries {
        if let Some(applied) = checker.admit(&entry) {
            suppressions.by_name.insert(entry.name.to_string(), applied);
        }
    }
    suppressions
}

/// The entries of the other tools' styles, in `metadata`.
fn foreign<'n>(
    metadata: &'n Node<'n>,
    at: &str,
    entries: &mut Vec<Entry<'n>>,
    warnings: &mut Vec<String>,
) {
    let list = |tool: &str, key: &str| metadata.get(tool).and_then(|t| t.get(key));
    if let Some(list) = list("guard", "SuppressedRules") {
        for item in list.as_array().unwrap_or_default() {
            match item.value() {
                // `- RULE`: a name, with no room for a reason.
                Node::String(name) => entries.push(Entry {
                    style: Style::Guard,
                    name,
                    reason: None,
                    expires: None,
                    owner: None,
                }),
                // `- RULE: reason` (with `expires` and `owner` beside it).
                Node::Object(object) => {
                    let named: Vec<_> = object
                        .iter()
                        .filter(|(key, _)| !matches!(*key, "expires" | "owner"))
                        .collect();
                    match named.as_slice() {
                        [(name, reason)] => entries.push(Entry {
                            style: Style::Guard,
                            name,
                            reason: Some(reason),
                            expires: item.get("expires"),
                            owner: item.get("owner"),
                        }),
                        _ => warnings.push(format!(
                            "{at}: an entry of {} names {} rules; write each as `- RULE: reason`; ignored",
                            Style::Guard.place(),
                            named.len()
                        )),
                    }
                }
                _ => warnings.push(format!(
                    "{at}: an entry of {} is neither a rule name nor `RULE: reason`; ignored",
                    Style::Guard.place()
                )),
            }
        }
    }
    for (style, tool, key, reason) in [
        (Style::CfnNag, "cfn_nag", "rules_to_suppress", "reason"),
        (Style::Checkov, "checkov", "skip", "comment"),
    ] {
        let Some(list) = list(tool, key) else {
            continue;
        };
        for item in list.as_array().unwrap_or_default() {
            if let Some(name) = item.get("id").and_then(Node::as_str) {
                entries.push(Entry {
                    style,
                    name,
                    reason: Some(item.get(reason).unwrap_or(&Node::Null)),
                    expires: item.get("expires"),
                    owner: item.get("owner"),
                });
            }
        }
    }
}

/// What an entry is checked against.
struct Checker<'a> {
    at: &'a str,
    rules: &'a RuleSet,
    today: Date,
    warnings: &'a mut Vec<String>,
}

impl Checker<'_> {
    /// What `entry` does: `None` when it is not applied (a warning says
    /// why, when the rule is this rule set's).
    fn admit(&mut self, entry: &Entry) -> Option<Applied> {
        let at = self.at;
        let shown = short(entry.name);
        let place = entry.style.place();
        let targets = targets(self.rules, entry.name);
        let ours = entry.style == Style::Cicd;
        if targets.is_empty() && !ours {
            // Another tool's rule: its business.
            return None;
        }
        // The reason, which must show something.
        let reason = match entry.reason {
            Some(node) => {
                let written = node.as_str().unwrap_or("");
                let reason = shorten(written, MAX_SUPPRESSION_REASON).trim().to_string();
                // What is shown must be seen (not only the `…` of a cut).
                let shown_part: String = written.chars().take(MAX_SUPPRESSION_REASON).collect();
                if !visible(&shown_part) {
                    let what = if reason.is_empty() {
                        "no reason"
                    } else {
                        "no reason a person can read (only blanks, zero-width or control characters)"
                    };
                    let whose = if ours {
                        String::new()
                    } else {
                        format!(" in {place}")
                    };
                    self.warnings.push(format!(
                        "{at}: the suppression of {shown}{whose} gives {what}, so it is not applied"
                    ));
                    return None;
                }
                reason
            }
            // Guard's list of names: only for the Guard rules it names,
            // which Guard itself would skip.
            None if targets.iter().all(|t| t.guard_rule) && !targets.is_empty() => {
                format!("listed in {place} (no reason given)")
            }
            None => {
                self.warnings.push(format!(
                    "{at}: {place} lists {shown} without a reason (write `- {shown}: reason`), so it is not applied"
                ));
                return None;
            }
        };
        if targets.is_empty() && entry.name != UNSEEN {
            // Applied all the same: it suppresses nothing there is.
            self.warnings.push(format!(
                "{at}: suppresses {shown}, which is not a rule in this rule set"
            ));
        }
        if let Some(target) = targets.iter().find(|t| !t.rule.suppressible) {
            let via = if target.guard_rule && target.rule.id != entry.name {
                format!(" (a Guard rule of {})", short(&target.rule.id))
            } else {
                String::new()
            };
            self.warnings.push(format!(
                "{at}: suppresses {shown}{via}, which may not be suppressed (suppressible: N), so it is not applied"
            ));
            return None;
        }
        let owner = match entry.owner {
            None | Some(Node::Null) => None,
            Some(node) => match node.as_str().filter(|o| visible(o)) {
                Some(owner) => Some(shorten(owner.trim(), 120).into_owned()),
                None => {
                    self.warnings.push(format!(
                        "{at}: the suppression of {shown} names no owner a person can read, so it is not applied"
                    ));
                    return None;
                }
            },
        };
        let expires = match entry.expires {
            None | Some(Node::Null) => None,
            Some(node) => match node.as_str().and_then(date) {
                Some(date) => Some(date),
                None => {
                    self.warnings.push(format!(
                        "{at}: the suppression of {shown} expires on {}, which is no date (YYYY-MM-DD), so it is not applied",
                        node.as_str().map_or("a value that is no text".into(), short)
                    ));
                    return None;
                }
            },
        };
        if let Some(target) = targets
            .iter()
            .find(|t| t.rule.suppression == SuppressionPolicy::ReasonAndExpiry)
            && (expires.is_none() || owner.is_none())
        {
            self.warnings.push(format!(
                "{at}: the suppression of {shown} gives no {}, which {} requires (suppression: reason+expiry), so it is not applied",
                match (expires.is_none(), owner.is_none()) {
                    (true, true) => "expiry date (expires) and no owner",
                    (true, false) => "expiry date (expires)",
                    _ => "owner",
                },
                short(&target.rule.id)
            ));
            return None;
        }
        let mut about = Vec::new();
        if let Some(owner) = &owner {
            about.push(format!("owner: {owner}"));
        }
        if let Some(expires) = expires {
            if expires < self.today {
                let note = format!(
                    "the suppression ({}) expired on {expires}{}",
                    shorten(&reason, 200),
                    owner
                        .as_ref()
                        .map(|o| format!(", owner: {o}"))
                        .unwrap_or_default()
                );
                self.warnings.push(format!(
                    "{at}: the suppression of {shown} expired on {expires}, so it is not applied"
                ));
                return Some(Applied::Expired(note));
            }
            let days = (expires - self.today).whole_days();
            if days <= EXPIRY_WARNING_DAYS {
                let when = match days {
                    0 => "today".to_string(),
                    1 => "tomorrow".to_string(),
                    n => format!("in {n} days"),
                };
                self.warnings.push(format!(
                    "{at}: the suppression of {shown} expires on {expires} ({when}){}",
                    owner
                        .as_ref()
                        .map(|o| format!("; owner: {o}"))
                        .unwrap_or_default()
                ));
            }
            about.push(format!("expires {expires}"));
        }
        Some(Applied::Yes(if about.is_empty() {
            reason
        } else {
            format!("{reason} ({})", about.join("; "))
        }))
    }
}

/// A rule an entry's name may stand for.
struct Target<'r> {
    rule: &'r Rule,
    /// Named by one of its Guard rules, not its id.
    guard_rule: bool,
}

/// The rules `name` names: the rule of that id, and the guard items with a
/// Guard rule of that name (an item named after its first Guard rule is
/// both).
fn targets<'r>(rules: &'r RuleSet, name: &str) -> Vec<Target<'r>> {
    let has_guard_rule = |rule: &Rule| matches!(&rule.kind, RuleKind::Guard(guard) if guard.rule_names().iter().any(|n| n == name));
    let mut found: Vec<Target> = rules
        .get(name)
        .map(|rule| Target {
            rule,
            guard_rule: has_guard_rule(rule),
        })
        .into_iter()
        .collect();
    for rule in rules.active() {
        if rule.id != name && has_guard_rule(rule) {
            found.push(Target {
                rule,
                guard_rule: true,
            });
        }
    }
    found
}

/// Whether `text` holds a character a person sees: a letter, a digit, a
/// punctuation mark or a symbol — not only white space, control and
/// format characters (zero-width spaces and joiners, direction marks),
/// combining marks, or letters that draw nothing (Hangul fillers, the
/// blank Braille pattern).
fn visible(text: &str) -> bool {
    use unicode_general_category::{GeneralCategory as G, get_general_category};
    const BLANK: &[char] = &[
        '\u{115F}',  // Hangul choseong filler
        '\u{1160}',  // Hangul jungseong filler
        '\u{3164}',  // Hangul filler
        '\u{FFA0}',  // halfwidth Hangul filler
        '\u{2800}',  // Braille pattern blank
        '\u{1D159}', // musical symbol null notehead
    ];
    text.chars().any(|c| {
        !BLANK.contains(&c)
            && matches!(
                get_general_category(c),
                G::UppercaseLetter
                    | G::LowercaseLetter
                    | G::TitlecaseLetter
                    | G::ModifierLetter
                    | G::OtherLetter
                    | G::DecimalNumber
                    | G::LetterNumber
                    | G::OtherNumber
                    | G::ConnectorPunctuation
                    | G::DashPunctuation
                    | G::OpenPunctuation
                    | G::ClosePunctuation
                    | G::InitialPunctuation
                    | G::FinalPunctuation
                    | G::OtherPunctuation
                    | G::MathSymbol
                    | G::CurrencySymbol
                    | G::ModifierSymbol
                    | G::OtherSymbol
            )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_visible_when_some_character_draws_something() {
        for seen in [
            "x",
            "reviewed 2026-11",
            "承認済み",
            "✓",
            "-",
            "é",
            "a\u{200B}",
        ] {
            assert!(visible(seen), "{seen:?}");
        }
        for blank in [
            "",
            " \t\n",
            "\u{200B}\u{200C}\u{200D}\u{2060}\u{FEFF}",
            "\u{0001}\u{007F}\u{0085}",
            "\u{202E}\u{2066}\u{00AD}",
            "\u{0301}\u{FE0F}",
            "\u{3164}\u{2800}\u{115F}",
            "\u{3000}\u{00A0}\u{2028}",
            "\u{E0041}\u{E007F}",
        ] {
            assert!(!visible(blank), "{blank:?}");
        }
    }
}
