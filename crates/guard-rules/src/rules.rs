//! One Guard rules file: parsed, checked, and analysed once.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use crate::analysis::{self, Analysis, Reach};
use crate::data::{GuardData, PLACEHOLDER};
use crate::evaluate::run_guard;
use crate::scan::scan;
use crate::{Evaluation, GuardError, ast};

/// Largest rules text accepted: DynamoDB's item limit (400 KB), since an
/// item's `ruledata` can never be longer.
pub const MAX_RULES_BYTES: usize = 400 * 1024;

/// The name Guard is given for the rules text, in its messages.
const RULES_FILE_NAME: &str = "rules.guard";

/// One Guard rules file (an item's `ruledata`): its `let`s and one or more
/// named rules.
///
/// Plain data (`Send + Sync`): cfn-guard's own parsed form borrows the text
/// and is built on `Rc`, so it never leaves [`crate::evaluate`]; the text is
/// parsed again there (tens of microseconds).
///
/// Parsing runs no Guard evaluation, so its cost is bounded by the caps
/// (see `scan`); what would need one, whether the rules can be skipped on a
/// template without their types ([`GuardRules::selected_types`]), is worked
/// out on first use, by evaluating them on a placeholder: as costly as the
/// rules make it (a `when` comparing two literal lists of 20 000 values
/// each took 2 s). A process that must stay within bounds asks that only
/// where Guard's evaluations are bounded: in the worker.
#[derive(Debug, Clone)]
pub struct GuardRules {
    text: String,
    analysis: Analysis,
    /// What the rules say about any template without the types they are
    /// confined to, when that is nothing (no failure): the evaluation a skip
    /// returns. Worked out on first use.
    when_absent: OnceLock<Option<Evaluation>>,
}

impl GuardRules {
    /// Parses and checks a rules text.
    ///
    /// Refused: a text over [`MAX_RULES_BYTES`], nested deeper than
    /// [`crate::MAX_NESTING`], with query filters nested deeper than
    /// [`crate::limits::MAX_FILTER_NESTING`], with more than
    /// [`crate::limits::MAX_REGEXES`] regexes or one that is longer than
    /// [`crate::limits::MAX_REGEX_BYTES`] or compiles larger than
    /// [`crate::limits::MAX_REGEX_PROGRAM`]; a text that does not parse (with
    /// Guard's line and column); one that names no rule; one whose rules
    /// refer to undefined rules, refer to each other in a cycle, or chain or
    /// query deeper than the caps in [`crate::limits`].
    ///
    /// Bounded: the caps keep Guard's parser to a few passes over the text
    /// (the crate's README has the worst cases measured: about 2 s for
    /// 400 KB).
    pub fn parse(text: &str) -> Result<GuardRules, GuardError> {
        if text.len() > MAX_RULES_BYTES {
            return Err(GuardError::TooLarge {
                bytes: text.len(),
                limit: MAX_RULES_BYTES,
            });
        }
        // Guard's parser compiles each regex it reads, with regex's default
        // limits: the costly ones are refused before it does.
        let regexes: BTreeSet<String> = scan(text)?.into_iter().collect();
        for regex in &regexes {
            check_regex(regex)?;
        }
        let tree = parse_tree(text)?;
        if tree.guard_rules.is_empty() {
            return Err(GuardError::NoRule);
        }
        let analysis = analysis::analyse(&tree).map_err(GuardError::Unsupported)?;
        Ok(GuardRules {
            text: text.to_string(),
            analysis,
            when_absent: OnceLock::new(),
        })
    }

    /// The text, as given.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The named rules, in file order, each once; the first is the item's
    /// default id.
    pub fn rule_names(&self) -> &[String] {
        &self.analysis.names
    }

    /// The resource types the rules select, when it is known that the rules
    /// have nothing to say about a template without any of them: every
    /// query from the template's root goes through `Resources.*[ Type == … ]`
    /// (or `Type in [...]`, or a type block), and evaluating the rules on a
    /// template without those types yields no failure. `None` when unknown:
    /// never skip. A rule such as "the template must have a trail" selects a
    /// type but fails without it, so it is `None` here; so are rules that
    /// read `Parameters` or any other section.
    ///
    /// Runs Guard on a placeholder the first time (see [`GuardRules`]).
    pub fn selected_types(&self) -> Option<&BTreeSet<String>> {
        self.when_absent()?;
        self.types_read()
    }

    /// The resource types the rules read, when every query from the
    /// template's root goes through `Resources.*[ Type == … ]` (or `Type in
    /// [...]`, or a type block). Known without running Guard, but unlike
    /// [`GuardRules::selected_types`] it does not say the rules are silent
    /// without them: "the template must have a trail" reads trails, and
    /// fails on a template without one.
    pub fn types_read(&self) -> Option<&BTreeSet<String>> {
        self.reach()
            .filter(|reach| !reach.types.is_empty() && reach.sections.is_empty())
            .map(|reach| &reach.types)
    }

    /// Whether evaluating these rules on `data` can be skipped: they select
    /// types ([`GuardRules::selected_types`]), the template has none of them
    /// (and no resource whose type cannot be read), and its other resources
    /// hold nothing the rules' type filters would stumble on (see
    /// [`GuardRules::narrows_on`]).
    pub fn skips(&self, data: &GuardData) -> bool {
        self.selected_types()
            .is_some_and(|types| !data.has_any_type(types))
            && self.narrows_on(data)
    }

    /// Whether Guard can be shown only the parts of `data` the rules can
    /// read (the resources of the types they select, the sections they
    /// read), with the verdicts it would give on the whole template. Not
    /// when the rules can read anything, and not when a type filter's other
    /// clauses (`Resources.*[ Type == 'X' Properties.Size > 10 ]`) read
    /// something a resource of another type holds: Guard evaluates them on
    /// every resource, and one it cannot decide there changes the rule's
    /// verdict.
    pub fn narrows_on(&self, data: &GuardData) -> bool {
        self.reach()
            .is_some_and(|reach| !data.others_trip(&reach.types, &self.analysis.filter_reads))
    }

    /// About how many bytes of memory Guard needs, beyond what it is handed,
    /// to evaluate these rules on `data`: an estimate meant to be on the
    /// high side, for a caller that must refuse an item rather than run out
    /// of memory (a Lambda function's `MemorySize`).
    ///
    /// Guard turns the part of the template it is shown into values that
    /// take about 130 bytes per byte of JSON, and each query from the
    /// template's root copies what it walks, up to about 40 bytes per byte
    /// more when its results are kept for the report: the estimate is the
    /// bytes shown × (140 + 40 × root queries). Measured on a 1 MiB
    /// template (see the crate's README): one query over every resource
    /// took 134 MB (estimate 188 MB), twenty failing on every resource 920
    /// MB (estimate 983 MB), a registry-style rule on 430 Lambda functions
    /// 48 MB (estimate 64 MB). The same when the item would be skipped
    /// (what it would be shown is then the placeholder: a few bytes).
    ///
    /// An estimate, and off by 100× and more on rules that make Guard copy
    /// more than that (a `let` inside a type block, thousands of clauses): a
    /// bound needs the worker (`crates/guard-worker`); this only groups
    /// items that are likely to fit together.
    pub fn memory_estimate(&self, data: &GuardData) -> usize {
        let shown = match self.reach() {
            Some(reach) if self.narrows_on(data) => data.text(&data.view(reach)).len(),
            _ => data.json().len(),
        };
        self.estimate_shown(shown)
    }

    /// The estimate when Guard is shown `shown` bytes of JSON.
    pub(crate) fn estimate_shown(&self, shown: usize) -> usize {
        let factor = 40_usize
            .saturating_mul(self.analysis.root_queries)
            .saturating_add(140);
        shown.saturating_mul(factor)
    }

    /// What the rules can read of a template, when known.
    pub(crate) fn reach(&self) -> Option<&Reach> {
        self.analysis.reach.as_ref()
    }

    /// The evaluation a skip stands for, worked out on first use.
    pub(crate) fn when_absent(&self) -> Option<&Evaluation> {
        self.when_absent.get_or_init(|| self.probe()).as_ref()
    }

    /// Evaluates confined rules on what they are shown of any template
    /// without their types ([`PLACEHOLDER`]); `Some` only when that yields
    /// no failure of any kind. A skip returns this evaluation: the one Guard
    /// would give, on the very text it would be shown.
    fn probe(&self) -> Option<Evaluation> {
        self.types_read()?;
        let data = GuardData::from_json(&serde_json::from_str(PLACEHOLDER).ok()?).ok()?;
        let evaluation = run_guard(&[self], PLACEHOLDER, &data).ok()?.pop()?;
        evaluation.failures.is_empty().then_some(evaluation)
    }
}

/// Parses with Guard and reads the tree back (see [`crate::ast`]).
fn parse_tree(text: &str) -> Result<ast::RulesFile, GuardError> {
    // A panic of Guard's parser is the text's to fix, not a template's.
    let unparsed = |e| match e {
        GuardError::Crashed(what) => GuardError::Unsupported(what),
        other => other,
    };
    let tree = crate::evaluate::guarded(|| {
        match cfn_guard::commands::validate::parse_rules(text, RULES_FILE_NAME) {
            Ok(Some(tree)) => serde_json::to_value(&tree).map(Some).map_err(|e| {
                GuardError::Unsupported(format!("cannot read Guard's parse tree: {e}"))
            }),
            Ok(None) => Ok(None),
            Err(e) => Err(parse_error(&e.to_string())),
        }
    })
    .map_err(unparsed)??;
    let Some(tree) = tree else {
        return Err(GuardError::NoRule);
    };
    serde_json::from_value(tree)
        .map_err(|e| GuardError::Unsupported(format!("cannot read Guard's parse tree: {e}")))
}

/// Guard's parse errors read "Parser Error when parsing `Parsing Error Error
/// parsing file rules.guard at line L at column C, when handling WHAT,
/// fragment REST-OF-FILE`": kept are the position, what was expected, and
/// the start of the fragment.
fn parse_error(raw: &str) -> GuardError {
    let number = |text: &str| -> Option<u32> {
        let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    };
    let line = raw.find(" at line ").and_then(|at| number(&raw[at + 9..]));
    let column = raw
        .find(" at column ")
        .and_then(|at| number(&raw[at + 11..]));
    let message = match (raw.find(", when handling "), raw.rfind(", fragment ")) {
        (Some(what), Some(fragment)) if what < fragment => {
            let expected = raw[what + 16..fragment].trim();
            let near: String = raw[fragment + 11..]
                .trim_end_matches('`')
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let near = shorten(&near, 40);
            match (expected.is_empty(), near.is_empty()) {
                (true, true) => "unexpected end of the rules".to_string(),
                (true, false) => format!("unexpected text near `{near}`"),
                (false, true) => format!("{expected}, at the end of the rules"),
                (false, false) => format!("{expected}, near `{near}`"),
            }
        }
        _ => shorten(&raw.split_whitespace().collect::<Vec<_>>().join(" "), 300),
    };
    GuardError::Parse {
        line,
        column,
        message,
    }
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

/// The most a regex may compile to (the delegate `regex` program's size
/// limit, which fancy-regex enforces while compiling), in bytes. Guard
/// compiles a regex again for each comparison, so this bounds what one
/// comparison costs: a few milliseconds at the cap, where regex's default
/// (10 MiB, Guard's) lets `\w{200}` take 160 ms (README, "Limits"). Unicode
/// classes are what make regexes large: `\w{16}` is over the cap,
/// `[a-zA-Z0-9_]{16}` far below it.
pub const MAX_REGEX_PROGRAM: usize = 256 * 1024;

/// Refuses a regex literal that would cost Guard more than
/// [`MAX_REGEX_PROGRAM`] to compile, each time it compares a value with it
/// (cfn-guard 3.2.1 does not cache them). Compiled with the fancy-regex
/// Guard uses.
fn check_regex(regex: &str) -> Result<(), GuardError> {
    fancy_regex::RegexBuilder::new(regex)
        .delegate_size_limit(MAX_REGEX_PROGRAM)
        .build()
        .map(|_| ())
        .map_err(|e| {
            GuardError::Unsupported(format!(
                "the regex /{}/ cannot be compiled within {} KiB, as Guard compiles it again at every comparison ({}); Unicode classes such as \\w and \\d compile large: [a-zA-Z0-9_] and [0-9] do not",
                shorten(regex, 60),
                MAX_REGEX_PROGRAM / 1024,
                shorten(&e.to_string(), 200)
            ))
        })
}
