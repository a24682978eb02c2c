//! The regexes the original Python function seeded its table with. Items
//! that still hold them get the structured rule that does what the regex
//! meant, without its defects (egress rules and descriptions matched, port
//! 2222 counted as 22, port ranges, IPv6 and YAML templates were missed).

use crate::kinds::{FORBIDDEN_AMI, OPEN_INGRESS, REGEX};

/// Legacy regex, and the ruletype and ruledata it is applied as.
const LEGACY_DEFAULTS: &[(&str, &str, &str)] = &[
    (r"^.*Ingress.*((0\.){3}0\/0)", OPEN_INGRESS, "all"),
    (
        r"^.*Ingress.*(([fF]rom[pP]ort|[tT]o[pP]ort).\s*:\s*u?.(22).*[cC]idr[iI]p.\s*:\s*u?.((0\.){3}0\/0)|[cC]idr[iI]p.\s*:\s*u?.((0\.){3}0\/0).*([fF]rom[pP]ort|[tT]o[pP]ort).\s*:\s*u?.(22))",
        OPEN_INGRESS,
        "tcp:22",
    ),
    (
        r"^.*Ingress.*[fF]rom[pP]ort.\s*:\s*u?.(80)",
        OPEN_INGRESS,
        "tcp:80",
    ),
    (
        r"^.*ImageId.\s*:\s*u?.(ami-7a11e211|ami-08111162|ami-f6035893)",
        FORBIDDEN_AMI,
        "ami-7a11e211, ami-08111162, ami-f6035893",
    ),
];

/// The structured ruletype and ruledata a legacy regex item is applied as,
/// with a note for whoever maintains the rules; `None` for any other item.
pub(super) fn upgrade(
    id: &str,
    ruletype: &str,
    ruledata: &str,
) -> Option<(&'static str, &'static str, String)> {
    if ruletype != REGEX {
        return None;
    }
    let (_, new_type, new_data) = LEGACY_DEFAULTS
        .iter()
        .find(|(legacy, _, _)| *legacy == ruledata)?;
    let note = format!(
        "rule {id}: the original function's regex is applied as the structured rule \
         {new_type} \"{new_data}\" (run `cicd rules sync` to store it that way)"
    );
    Some((new_type, new_data, note))
}
