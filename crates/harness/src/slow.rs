//! A template and rules that take seconds to evaluate: for tests of a
//! check stopped at its deadline.
//!
//! The template is security groups with long descriptions (nothing any
//! rule finds); the rules are regex rules on security groups that never
//! match and have no literal the regex engine could skip the text with,
//! so each reads every byte of every group's text. Evaluating is then
//! about (template bytes) × (rules) of regex scanning, in small steps (one
//! rule on one group), and reading the rules stays quick.

use serde_json::{Map, Value, json};

/// A JSON template of about `bytes` bytes: groups of 4000-character
/// descriptions.
pub fn template(bytes: usize) -> Vec<u8> {
    const DESCRIPTION: usize = 4000;
    let mut resources = Map::new();
    for i in 0..bytes.div_ceil(DESCRIPTION + 100) {
        let description: String = (0..DESCRIPTION)
            .map(|j| (b'a' + ((i + j) % 26) as u8) as char)
            .collect();
        resources.insert(
            format!("Group{i}"),
            json!({"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": description}}),
        );
    }
    serde_json::to_vec(&json!({ "Resources": resources })).expect("JSON serialises")
}

/// `n` active rule items (the rules table's shape) as described above.
pub fn rule_items(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            json!({
                "rule": format!("Slow{i:04}"),
                "category": "SecurityGroup",
                "ruletype": "regex",
                "ruledata": format!("\\d\\D\\d\\D{{{}}}\\d", i % 7 + 1),
                "riskvalue": 1,
                "active": "Y",
            })
        })
        .collect()
}
