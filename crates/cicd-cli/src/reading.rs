//! Reading one input: never more than CloudFormation's 1 MiB of it, and
//! never from anything but a regular file or standard input (opening a FIFO
//! waits for a writer that may never come; a device may never end).

use std::fs::File;
use std::io::Read as _;
use std::path::Path;

use template_rules::{Limits, Template};

use crate::inputs::{Input, Source, kind_of};

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
    /// A file found in a directory that is not a CloudFormation template, and why.
    NotATemplate(&'static str),
    Unreadable(Unreadable),
}

/// Why a found file that parses is not a template.
pub const OTHER_DOCUMENT: &str =
    "not a CloudFormation template (no Resources or AWSTemplateFormatVersion at the top)";

/// The words one of which every CloudFormation template holds: it must have
/// `Resources`, and `AWSTemplateFormatVersion` marks one that lacks it.
const MARKERS: [&[u8]; 2] = [b"Resources", b"AWSTemplateFormatVersion"];

/// Reads an input, at most one byte past CloudFormation's limit.
///
/// A file named on the command line that is larger than that is refused by
/// its size, unread. A larger file found in a directory is judged by its
/// first MiB: refused if it may be a template, skipped otherwise (a lock
/// file); no file over 1 MiB is a template CloudFormation accepts, so the
/// rest, which may be gigabytes, is never read.
pub fn read(input: &Input) -> Reading {
    let limit = Limits::default().max_bytes;
    let reading = match &input.source {
        Source::Stdin => read_capped(std::io::stdin().lock(), limit).map(|b| sized(b, false)),
        Source::File(path) => read_file(path, false),
        Source::Found(path) => read_file(path, true),
        Source::WalkError { message, .. } => {
            return Reading::Unreadable(Unreadable::whole(message.clone()));
        }
    };
    reading.unwrap_or_else(|e| Reading::Unreadable(Unreadable::whole(format!("cannot read: {e}"))))
}

fn read_file(path: &Path, found: bool) -> std::io::Result<Reading> {
    let limit = Limits::default().max_bytes;
    // A found file is judged by its first MiB, whatever its size.
    let largest = (!found).then_some(limit as u64);
    match open_regular(path, largest) {
        Ok(file) => Ok(sized(read_capped(file, limit)?, found)),
        Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => Ok(too_large()),
        Err(e) => Err(e),
    }
}

/// What `bytes`, read with [`read_capped`], are: over the limit, or not a
/// template (a found file only), or a template to parse.
fn sized(bytes: Vec<u8>, found: bool) -> Reading {
    let limit = Limits::default().max_bytes;
    if found && !could_be_template(&bytes) {
        return Reading::NotATemplate(if bytes.len() > limit {
            "not a CloudFormation template (larger than 1 MiB, with no Resources or AWSTemplateFormatVersion in its first MiB; the rest is not read)"
        } else {
            "not a CloudFormation template (no Resources or AWSTemplateFormatVersion in it)"
        });
    }
    if bytes.len() > limit {
        return too_large();
    }
    Reading::Template(bytes)
}

fn too_large() -> Reading {
    let limit = Limits::default().max_bytes;
    Reading::Unreadable(Unreadable::whole(format!(
        "larger than {limit} bytes (CloudFormation accepts at most 1 MiB)"
    )))
}

/// Opens `path` if it names a regular file (of at most `largest` bytes,
/// when given). What the path names is looked at before it is opened, and
/// what was opened is looked at again (the path may have been replaced in
/// between; opening is non-blocking, so even then a FIFO cannot hold the
/// run). Anything else is an error saying what it is, and is never read; a
/// file too large is an error of kind `FileTooLarge`, and is never opened.
/// Read it with [`read_capped`] all the same: a file can grow.
pub fn open_regular(path: &Path, largest: Option<u64>) -> std::io::Result<File> {
    let refuse = |file_type: std::fs::FileType, done: &str| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{}, not a regular file: {done}", kind_of(file_type)),
        )
    };
    let metadata = std::fs::metadata(path)?;
    if !metadata.is_file() {
        return Err(refuse(metadata.file_type(), "not opened"));
    }
    if let Some(largest) = largest.filter(|&largest| metadata.len() > largest) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("larger than {largest} bytes"),
        ));
    }
    let file = open_nonblocking(path)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(refuse(metadata.file_type(), "not read"));
    }
    Ok(file)
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    // No effect on reading a regular file, which is all that is read.
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    File::open(path)
}

/// At most `limit + 1` bytes of `reader`: one more than allowed says "too big".
pub fn read_capped(reader: impl std::io::Read, limit: usize) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(limit as u64 + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The cheap check: a template has a marker word in it, or (written with
/// escapes, `"Re\u0073ources"`) a backslash in UTF-8 text. Anything else
/// cannot be a CloudFormation template. On the first part of a larger file
/// a character cut at the end still counts as UTF-8.
fn could_be_template(bytes: &[u8]) -> bool {
    MARKERS
        .iter()
        .any(|m| memchr::memmem::find(bytes, m).is_some())
        || (memchr::memchr(b'\\', bytes).is_some()
            && std::str::from_utf8(bytes).map_or_else(|e| e.error_len().is_none(), |_| true))
}

/// Whether a template that failed to parse is a CloudFormation template
/// after all: a file found in a directory that parses as a mapping with
/// neither `Resources` nor `AWSTemplateFormatVersion` at the top is some
/// other YAML or JSON (a serverless.yml, a package.json) and is skipped.
/// Anything else that fails to parse is reported.
fn is_other_document(bytes: &[u8]) -> bool {
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
