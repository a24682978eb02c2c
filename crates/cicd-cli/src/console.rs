//! Writing to the terminal. `println!` panics when its reader has gone
//! (`cicd validate DIR 2>&1 | head`); these end the run instead, with exit
//! 2 like any other run that could not do its job. Guard's workers die with
//! the process (`PR_SET_PDEATHSIG`), so nothing is left behind.

use std::fmt;
use std::io::{self, Write};

/// A line on standard output.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::console::write_line(&mut ::std::io::stdout().lock(), format_args!($($arg)*))
    };
}

/// A line on standard error: notes, warnings, what was skipped.
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::console::write_line(&mut ::std::io::stderr().lock(), format_args!($($arg)*))
    };
}

/// Writes one line, or ends the run when it cannot be written.
pub fn write_line(to: &mut impl Write, line: fmt::Arguments<'_>) {
    if let Err(e) = writeln!(to, "{line}").and_then(|()| to.flush()) {
        // Standard error may be the stream that failed: best effort.
        let _ = writeln!(io::stderr(), "cicd: cannot write the output: {e}");
        std::process::exit(i32::from(crate::UNUSABLE));
    }
}
