//! The README's table of the standard pack is generated from the pack and
//! checked here, so that it cannot drift. After changing the pack:
//! `UPDATE_README=1 cargo test -p policy-pack --test readme`.

use std::path::PathBuf;

use policy_pack::Pack;

const BEGIN: &str = "<!-- policy-pack table: generated from crates/policy-pack/standard by `UPDATE_README=1 cargo test -p policy-pack --test readme`; do not edit by hand -->";
const END: &str = "<!-- end of the policy-pack table -->";

fn readme() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../README.md")
}

/// Text for a table cell: `|` escaped, on one line.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The table: a row per rule, service by service.
fn table() -> String {
    let pack = Pack::standard();
    let rules = pack.rules();
    assert!(rules.errors().is_empty(), "{:?}", rules.errors());
    let mut out = String::from(
        "| rule | service | risk | what it checks | frameworks | remediation |\n|---|---|---|---|---|---|\n",
    );
    for (service, _) in pack.services() {
        for item in pack.service_items(service).unwrap_or_default() {
            let rule = rules
                .get(item.id().unwrap_or_default())
                .expect("read above");
            let band = match (rule.risk >= 50, rule.active) {
                (_, false) => "off",
                (true, true) => "fails",
                (false, true) => "flags",
            };
            let frameworks = if rule.guidance.frameworks.is_empty() {
                "–".to_string()
            } else {
                rule.guidance.frameworks.join(", ")
            };
            let remediation = match (&rule.guidance.remediation, &rule.guidance.link) {
                (Some(fix), Some(link)) => format!("{fix} [Docs]({link})"),
                (Some(fix), None) => fix.clone(),
                (None, Some(link)) => format!("[Docs]({link})"),
                (None, None) => String::new(),
            };
            out.push_str(&format!(
                "| {} | {service} | {} ({band}) | `{}` | {} | {} |\n",
                rule.id,
                rule.risk,
                cell(&rule.kind.summary()).replace('`', "'"),
                cell(&frameworks),
                cell(&remediation),
            ));
        }
    }
    out
}

#[test]
fn the_readme_table_of_the_pack_is_the_pack() {
    let path = readme();
    let text = std::fs::read_to_string(&path).unwrap();
    let (Some(start), Some(end)) = (text.find(BEGIN), text.find(END)) else {
        panic!("README.md has no policy-pack table markers:\n{BEGIN}\n...\n{END}");
    };
    let current = &text[start + BEGIN.len()..end];
    let wanted = format!("\n{}", table());
    if current == wanted {
        return;
    }
    if std::env::var_os("UPDATE_README").is_some() {
        let updated = format!("{}{BEGIN}{wanted}{}", &text[..start], &text[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    panic!(
        "README.md's policy-pack table is not the pack's: run `UPDATE_README=1 cargo test -p policy-pack --test readme` and review the diff"
    );
}
