//! Which templates `cicd validate` reads: the files it is given, the
//! CloudFormation templates under the directories it is given, or one
//! template on standard input (`-`).
//!
//! A file named on the command line is always checked. In a directory,
//! `*.json`, `*.yaml`, `*.yml` and `*.template` files are, when they are
//! CloudFormation templates; the walk respects `.gitignore` (and `.ignore`)
//! files, as git would, and skips hidden files. What it skips is listed,
//! with the reason, for `--verbose`; what it cannot read (a directory it
//! may not list) is an input of its own that is reported as unreadable.
//!
//! Files are told apart by their paths' bytes, not by how they print.

use std::collections::HashSet;
use std::fs::FileType;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

/// Extensions a template in a directory may have (compared ignoring case).
pub const EXTENSIONS: [&str; 4] = ["json", "yaml", "yml", "template"];

/// One template to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// As shown in reports: see [`show`].
    pub shown: String,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Named on the command line: checked whatever it holds.
    File(PathBuf),
    /// Found in a directory: checked if it is a CloudFormation template.
    Found(PathBuf),
    /// What a directory walk could not read (a directory it may not list, an
    /// ignore file it cannot read): reported as unreadable, since templates
    /// may be behind it.
    WalkError {
        path: PathBuf,
        message: String,
    },
    Stdin,
}

impl Input {
    /// What inputs are sorted by: their paths' bytes.
    fn key(&self) -> &[u8] {
        match &self.source {
            Source::File(path) | Source::Found(path) | Source::WalkError { path, .. } => {
                path.as_os_str().as_encoded_bytes()
            }
            Source::Stdin => STDIN.as_bytes(),
        }
    }

    /// Which of two inputs of the same path comes first: a file named on
    /// the command line before the same file found in a directory.
    fn rank(&self) -> u8 {
        match self.source {
            Source::File(_) => 0,
            Source::Found(_) => 1,
            Source::WalkError { .. } => 2,
            Source::Stdin => 3,
        }
    }

    fn walk_error(path: PathBuf, message: String) -> Input {
        Input {
            shown: show(&path),
            source: Source::WalkError { path, message },
        }
    }

    /// The file this input reads, if it reads one.
    fn file(&self) -> Option<&Path> {
        match &self.source {
            Source::File(path) | Source::Found(path) => Some(path),
            Source::WalkError { .. } | Source::Stdin => None,
        }
    }
}

/// A file found in a directory that is not checked, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: PathBuf,
    pub shown: String,
    pub why: String,
}

impl Skipped {
    fn key(&self) -> &[u8] {
        self.path.as_os_str().as_encoded_bytes()
    }

    fn new(path: &Path, why: impl Into<String>) -> Skipped {
        Skipped {
            path: path.to_path_buf(),
            shown: show(path),
            why: why.into(),
        }
    }
}

/// What the command line names, in the order of their paths' bytes, each
/// file once. With `only_templates`, named files are sniffed like found ones.
pub fn collect(args: &[PathBuf], only_templates: bool) -> (Vec<Input>, Vec<Skipped>) {
    let mut inputs = Vec::new();
    let mut skipped = Vec::new();
    for arg in args {
        if arg.as_os_str() == "-" {
            inputs.push(Input {
                shown: STDIN.to_string(),
                source: Source::Stdin,
            });
        } else if arg.is_dir() {
            walk(arg, &mut inputs, &mut skipped);
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
    // A file named on the command line is kept over the same file found.
    inputs.sort_by(|a, b| a.key().cmp(b.key()).then(a.rank().cmp(&b.rank())));
    inputs.dedup_by(|b, a| a.file().is_some() && b.file().is_some() && a.key() == b.key());
    skipped.sort_by(|a, b| a.key().cmp(b.key()));
    (inputs, skipped)
}

/// How standard input is named in reports.
pub const STDIN: &str = "<stdin>";

const HIDDEN: &str = "hidden (its name starts with a dot)";
const IGNORED: &str = "ignored (by a .gitignore or .ignore file, or git's exclude files)";

fn walk(dir: &Path, inputs: &mut Vec<Input>, skipped: &mut Vec<Skipped>) {
    if let Some((path, message)) = unsafe_ignore_file(dir) {
        inputs.push(Input::walk_error(path, message));
        return;
    }
    // Directories not entered for their ignore files, which are errors.
    let not_entered = Arc::new(Mutex::new(Vec::new()));
    let walker = ignore::WalkBuilder::new(dir)
        // .gitignore applies whether or not the directory is in a git checkout.
        .require_git(false)
        .filter_entry({
            let not_entered = Arc::clone(&not_entered);
            move |entry| {
                if !entry.file_type().is_some_and(|t| t.is_dir()) {
                    return true;
                }
                let Some(refused) = unsafe_ignore_file(entry.path()) else {
                    return true;
                };
                let mut not_entered = not_entered.lock().unwrap_or_else(PoisonError::into_inner);
                not_entered.push((entry.path().to_path_buf(), refused));
                false
            }
        })
        .build();
    // What the walk gave, and the directories it went into: whatever else
    // those hold it passed over as hidden or ignored.
    let mut seen = HashSet::new();
    let mut listed = Vec::new();
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                let (path, message) = walk_error(&e);
                let path = path.unwrap_or(dir).to_path_buf();
                seen.insert(path.clone());
                inputs.push(Input::walk_error(path, message));
                continue;
            }
        };
        seen.insert(entry.path().to_path_buf());
        let Some(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_symlink() {
            // Not followed: it may lead out of the tree. Said, not hidden.
            skipped.push(Skipped::new(
                entry.path(),
                "a symbolic link (not followed; name its target to check it)",
            ));
        } else if file_type.is_dir() {
            listed.push(entry.into_path());
        } else if !file_type.is_file() {
            let why = format!("{}, not a regular file (not opened)", kind_of(file_type));
            skipped.push(Skipped::new(entry.path(), why));
        } else if has_template_extension(entry.path()) {
            inputs.push(Input {
                shown: show(entry.path()),
                source: Source::Found(entry.into_path()),
            });
        } else {
            skipped.push(Skipped::new(
                entry.path(),
                "not a .json, .yaml, .yml or .template file",
            ));
        }
    }
    let not_entered =
        std::mem::take(&mut *not_entered.lock().unwrap_or_else(PoisonError::into_inner));
    for (dir, (path, message)) in not_entered {
        seen.insert(dir);
        inputs.push(Input::walk_error(path, message));
    }
    for dir in listed {
        // A directory that cannot be listed now was reported by the walk.
        let Ok(children) = std::fs::read_dir(&dir) else {
            continue;
        };
        for child in children.flatten() {
            let path = child.path();
            if !seen.contains(&path) {
                let hidden = child.file_name().as_encoded_bytes().starts_with(b".");
                skipped.push(Skipped::new(&path, if hidden { HIDDEN } else { IGNORED }));
            }
        }
    }
}

fn has_template_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// The ignore files the walk reads in a directory it enters: the `ignore`
/// crate opens each that exists, and reads it whole.
const IGNORE_FILES: [&str; 3] = [".gitignore", ".ignore", ".git/info/exclude"];

/// The largest ignore file read (real ones are a few kilobytes).
const IGNORE_FILE_LIMIT: u64 = 1 << 20;

/// An ignore file in `dir` that must not be opened (opening a FIFO blocks)
/// or read whole, and what to report: the directory is then not walked.
fn unsafe_ignore_file(dir: &Path) -> Option<(PathBuf, String)> {
    IGNORE_FILES.iter().find_map(|name| {
        let path = dir.join(name);
        // Absent or not even looked at: the walk will not open it either.
        let metadata = std::fs::metadata(&path).ok()?;
        let what = if !metadata.is_file() {
            format!(
                "{}, not a regular file: not opened",
                kind_of(metadata.file_type())
            )
        } else if metadata.len() > IGNORE_FILE_LIMIT {
            format!("an ignore file larger than {IGNORE_FILE_LIMIT} bytes: not read")
        } else {
            return None;
        };
        Some((path, format!("{what}; {} is not searched", show(dir))))
    })
}

/// The path a walk error is about, if it names one, and what went wrong.
fn walk_error(e: &ignore::Error) -> (Option<&Path>, String) {
    match e {
        ignore::Error::WithPath { path, err } => (Some(path), walk_error(err).1),
        ignore::Error::WithDepth { err, .. } => walk_error(err),
        ignore::Error::Io(e) => {
            // The walk's I/O errors wrap the system's, naming the path again.
            let system = e
                .get_ref()
                .and_then(|walk| walk.source())
                .and_then(|source| source.downcast_ref::<std::io::Error>());
            (None, format!("cannot read: {}", system.unwrap_or(e)))
        }
        other => (None, other.to_string()),
    }
}

/// What a file that is not a regular file is: `a FIFO (named pipe)`.
pub fn kind_of(file_type: FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if file_type.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else if file_type.is_symlink() {
        "a symbolic link"
    } else {
        "a special file"
    }
}

/// A path as reports show it: as given or found, with `/` between its parts
/// on every system. Every name shows differently, and no name can break a
/// line of a report: bytes that are not UTF-8 show as `\xFF`, control
/// characters escaped (`\n`, `\u{1b}`), and so (outside Windows, where it
/// is the separator) is `\` itself.
pub fn show(path: &Path) -> String {
    let bytes = path.as_os_str().as_encoded_bytes();
    let mut shown = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' if cfg!(windows) => shown.push('/'),
                '\\' => shown.push_str("\\\\"),
                c if c.is_control() => shown.extend(c.escape_debug()),
                c => shown.push(c),
            }
        }
        for byte in chunk.invalid() {
            shown.push_str(&format!("\\x{byte:02X}"));
        }
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn names_that_print_alike_show_apart() {
        use std::os::unix::ffi::OsStrExt as _;
        let path = |bytes: &[u8]| PathBuf::from(std::ffi::OsStr::from_bytes(bytes));
        assert_eq!(show(&path(b"t/caf\xc3\xa9.yaml")), "t/café.yaml");
        assert_eq!(show(&path(b"t/\xff.yaml")), r"t/\xFF.yaml");
        assert_eq!(show(&path(b"t/\xfe.yaml")), r"t/\xFE.yaml");
        // The name `\xFF.yaml` spelt out is not the byte 0xFF.
        assert_eq!(show(&path(br"t/\xFF.yaml")), r"t/\\xFF.yaml");
        assert_eq!(
            show(&path(b"t/a\nb: PASS\x1b.yaml")),
            r"t/a\nb: PASS\u{1b}.yaml"
        );
    }
}
