//! Which templates `cicd validate` reads: the files it is given, the
//! CloudFormation templates under the directories it is given, or one
//! template on standard input (`-`).
//!
//! A file named on the command line is always checked. In a directory,
//! `*.json`, `*.yaml`, `*.yml` and `*.template` files are, when they are
//! CloudFormation templates; the walk respects `.gitignore` (and `.ignore`)
//! files, as git would, and skips hidden files.

use std::fs::File;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use template_rules::{Limits, Template};

/// Extensions a template in a directory may have (compared ignoring case).
pub const EXTENSIONS: [&str; 4] = ["json", "yaml", "yml", "template"];

/// One template to check.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Input {
    /// As shown in reports: the path as given or found, with `/`.
    pub shown: String,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// Named on the command line: checked whatever it holds.
    File(PathBuf),
    /// Found in a directory: checked if it is a CloudFormation template.
    Found(PathBuf),
    Stdin,
}

/// A file found in a directory that is not checked, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub shown: String,
    pub why: &'static str,
}

/// What the command line names, in sorted path order, each template once.
/// With `only_templates`, named files are sniffed like found ones.
pub fn collect(
    args: &[PathBuf],
    only_templates: bool,
) -> anyhow::Result<(Vec<Input>, Vec<Skipped>)> {
    let mut inputs = Vec::new();
    let mut skipped = Vec::new();
    for arg in args {
        if arg.as_os_str() == "-" {
            inputs.push(Input {
                shown: STDIN.to_string(),
                source: Source::Stdin,
            });
        } else if arg.is_dir() {
            walk(arg, &mut inputs, &mut skipped)?;
        } else {
            inputs.push(Input {
                shown: show(arg),
                source: if only_templates {
                    Source::Found(arg.clone())
                } else {
                    Source::File(arg.clone())
                },
            });
        }
    }
    inputs.sort();
    // The same template named twice (or found twice) is checked once; a
    // file named on the command line sorts before the same file found.
    inputs.dedup_by(|b, a| a.shown == b.shown);
    skipped.sort_by(|a, b| a.shown.cmp(&b.shown));
    Ok((inputs, skipped))
}

/// How standard input is named in reports.
pub const STDIN: &str = "<stdin>";

fn walk(dir: &Path, inputs: &mut Vec<Input>, skipped: &mut Vec<Skipped>) -> anyhow::Result<()> {
    let walker = ignore::WalkBuilder::new(dir)
        // .gitignore applies whether or not the directory is in a git checkout.
        .require_git(false)
        .build();
    for entry in walker {
        let entry = entry.map_err(|e| anyhow::anyhow!("cannot walk {}: {e}", dir.display()))?;
        let Some(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_symlink() {
            // Not followed: it may lead out of the tree. Said, not hidden.
            skipped.push(Skipped {
                shown: show(entry.path()),
                why: "a symbolic link (not followed; name its target to check it)",
            });
            continue;
        }
        if !file_type.is_file() {
            continue;
        }
        let path = entry.into_path();
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        if extension.is_some_and(|e| EXTENSIONS.contains(&e.as_str())) {
            inputs.push(Input {
                shown: show(&path),
                source: Source::Found(path),
            });
        } else {
            skipped.push(Skipped {
                shown: show(&path),
                why: "not a .json, .yaml, .yml or .template file",
            });
        }
    }
    Ok(())
}

fn show(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// Why a template could not be read: `line`, `column` (1-based) when known.
/// Serialised as the `error` of its entry in `--format json`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Unreadable {
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for Unreadable {
    /// `line 4, column 3: message`, as much of the position as is known.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => {
                write!(f, "line {line}, column {column}: {}", self.message)
            }
            (Some(line), None) => write!(f, "line {line}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl Unreadable {
    fn whole(message: impl Into<String>) -> Unreadable {
        Unreadable {
            line: None,
            column: None,
            message: message.into(),
        }
    }
}

/// What reading an input gave.
pub enum Reading {
    /// The bytes of a template (at most CloudFormation's 1 MiB).
    Template(Vec<u8>),
    /// A file found in a directory that is not a CloudFormation template.
    NotATemplate,
    Unreadable(Unreadable),
}

/// The words one of which every CloudFormation template holds: it must have
/// `Resources`, and `AWSTemplateFormatVersion` marks one that lacks it.
const MARKERS: [&[u8]; 2] = [b"Resources", b"AWSTemplateFormatVersion"];

/// Reads an input, at most one byte past CloudFormation's limit (a larger
/// file found in a directory is scanned, not loaded, to see whether it is a
/// template at all).
pub fn read(input: &Input) -> Reading {
    match try_read(input) {
        Ok(reading) => reading,
        Err(e) => Reading::Unreadable(Unreadable::whole(format!("cannot read: {e}"))),
    }
}

fn try_read(input: &Input) -> std::io::Result<Reading> {
    let limit = Limits::default().max_bytes;
    let (bytes, found) = match &input.source {
        Source::Stdin => (read_capped(std::io::stdin().lock(), limit)?, false),
        Source::File(path) => (read_capped(File::open(path)?, limit)?, false),
        Source::Found(path) => {
            let mut file = File::open(path)?;
            let bytes = read_capped(&mut file, limit)?;
            // Too big for CloudFormation: refused if it is a template.
            if bytes.len() > limit && !mentions_markers(&bytes, &mut file)? {
                return Ok(Reading::NotATemplate);
            }
            (bytes, true)
        }
    };
    if bytes.len() > limit {
        return Ok(Reading::Unreadable(Unreadable::whole(format!(
            "larger than {limit} bytes (CloudFormation accepts at most 1 MiB)"
        ))));
    }
    if found && !could_be_template(&bytes) {
        return Ok(Reading::NotATemplate);
    }
    Ok(Reading::Template(bytes))
}

/// At most `limit + 1` bytes of `reader`: one more than allowed says "too big".
pub fn read_capped(reader: impl std::io::Read, limit: usize) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(limit as u64 + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The cheap check: a template has a marker word in it, or (written with
/// escapes, `"Re\u0073ources"`) a backslash in UTF-8 text. Anything else
/// cannot be a CloudFormation template.
fn could_be_template(bytes: &[u8]) -> bool {
    MARKERS
        .iter()
        .any(|m| memchr::memmem::find(bytes, m).is_some())
        || (memchr::memchr(b'\\', bytes).is_some() && std::str::from_utf8(bytes).is_ok())
}

/// Whether `head`, or the rest of `file`, holds a marker word; reads the
/// file in chunks, never all of it at once.
fn mentions_markers(head: &[u8], file: &mut File) -> std::io::Result<bool> {
    let longest = MARKERS.iter().map(|m| m.len()).max().unwrap_or(0);
    let mut window = head.to_vec();
    let mut chunk = vec![0u8; 1 << 20];
    loop {
        if MARKERS
            .iter()
            .any(|m| memchr::memmem::find(&window, m).is_some())
        {
            return Ok(true);
        }
        let n = file.read(&mut chunk)?;
        if n == 0 {
            return Ok(false);
        }
        let keep = window.len().min(longest - 1);
        window.drain(..window.len() - keep);
        window.extend_from_slice(&chunk[..n]);
    }
}

/// Whether a template that failed to parse is a CloudFormation template
/// after all: a file found in a directory that parses as a mapping with
/// neither `Resources` nor `AWSTemplateFormatVersion` at the top is some
/// other YAML or JSON (a serverless.yml, a package.json) and is skipped.
/// Anything else that fails to parse is reported.
pub fn is_other_document(bytes: &[u8]) -> bool {
    match template_rules::parse_document(bytes) {
        Ok(serde_json::Value::Object(map)) => {
            !map.contains_key("Resources") && !map.contains_key("AWSTemplateFormatVersion")
        }
        Ok(_) => true,
        Err(_) => false,
    }
}

/// Parses a template; `None` for a found file that turns out to be another
/// kind of document.
pub fn parse<'a>(input: &Input, bytes: &'a [u8]) -> Result<Option<Template<'a>>, Unreadable> {
    match Template::parse(bytes) {
        Ok(template) => Ok(Some(template)),
        Err(_) if matches!(input.source, Source::Found(_)) && is_other_document(bytes) => Ok(None),
        Err(e) => Err(Unreadable {
            line: e.line,
            column: e.column,
            message: e.message,
        }),
    }
}
