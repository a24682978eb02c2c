//! How `cicd validate` prints its reports: text for people, JSON for tools,
//! SARIF for code-scanning services, JUnit XML for test reporters; one file
//! per format, each reading the same [`Checked`] results.
//!
//! Every template given is accounted for in every format, the ones that
//! could not be read included.

use std::io::Write;

use template_rules::{RuleSet, Thresholds};

mod checked;
mod json;
mod junit;
mod sarif;
mod text;

pub use checked::{Checked, locate};

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Junit,
}

/// Writes the report of `checked` to standard output in `format`.
pub fn print(
    format: Format,
    checked: &[Checked],
    rules: &RuleSet,
    thresholds: &Thresholds,
) -> anyhow::Result<()> {
    let text = match format {
        Format::Text => text::document(checked, thresholds, text::Palette::detect()),
        Format::Json => json::document(checked)? + "\n",
        Format::Sarif => sarif::document(checked, rules, thresholds)? + "\n",
        Format::Junit => junit::document(checked)?,
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| anyhow::anyhow!("cannot write the report: {e}"))
}
