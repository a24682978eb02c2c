//! `{"templates": [...]}`: the document cfn-validate writes as
//! `validation-report.json`, plus an entry for each template that could not
//! be read: `{"path", "verdict": "error", "error": {"line", "column", "message"}}`.

use serde::Serialize;
use template_rules::TemplateReport;

use super::checked::Checked;
use crate::reading::Unreadable;

pub fn document(checked: &[Checked]) -> anyhow::Result<String> {
    #[derive(Serialize)]
    struct Document<'a> {
        templates: Vec<Entry<'a>>,
    }
    #[derive(Serialize)]
    #[serde(untagged)]
    enum Entry<'a> {
        Evaluated(&'a TemplateReport),
        Unreadable {
            path: &'a str,
            verdict: &'static str,
            error: &'a Unreadable,
        },
    }
    let templates = checked
        .iter()
        .map(|c| match c {
            Checked::Evaluated { report, .. } => Entry::Evaluated(report),
            Checked::Unreadable { path, error } => Entry::Unreadable {
                path,
                verdict: "error",
                error,
            },
        })
        .collect();
    Ok(serde_json::to_string_pretty(&Document { templates })?)
}
