//! How much memory Guard may take for one item: what the function has,
//! less what everything else needs, less the headroom kept free.
//!
//! `make bench` measures cfn-validate's peak memory on its worst inputs (a
//! zip at the artifact cap, 1 MiB templates at every parser cap, Guard
//! items on a 1 MiB template); `MemorySize` (cicd.yaml, and `memory` in
//! each function's `[package.metadata.lambda.deploy]`) is kept at least
//! 40 % above it; cfn-hook holds less besides Guard (a payload of at most
//! 16 MiB instead of a 64 MiB zip), so the same limit suits it too. Guard
//! is the one part whose need grows with the rules, and no estimate follows
//! it: Guard runs in a worker process (`guard-worker`) whose address space
//! is limited to this, beyond its own binary's mappings; an item that needs
//! more is an unresolved finding naming it. So the function's peak is the
//! rest's plus one worker's, whatever the rules table holds.

/// What the function needs besides Guard's worker, at most (MiB): the
/// runtime and its clients, a zip at the artifact cap while the template is
/// read out of it, a 1 MiB template, its parse tree and what Guard is
/// handed of it (the worker's binary pages are shared with this process).
/// `make bench` measured 77 MiB at most without Guard (the zip at the
/// cap); `cargo xtask bench memory` gives the function's and its worker's
/// peaks on the inputs that need the most.
pub const RESERVED_MIB: u64 = 160;

/// The peak is kept to 5/7 of `MemorySize`: 40 % headroom above it.
const PEAK_SHARE: (u64, u64) = (5, 7);

/// The memory limit of a Guard worker, in bytes, for a function of
/// `function_mib` MiB (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`); Guard's default
/// (1 GiB) outside Lambda. Zero when the function has no room for Guard:
/// every guard item is then an unresolved finding.
pub fn limit(function_mib: Option<u64>) -> usize {
    match function_mib {
        None => template_rules::EvaluateOptions::default().guard_memory_limit,
        Some(mib) => {
            let peak = mib.saturating_mul(PEAK_SHARE.0) / PEAK_SHARE.1;
            let bytes = peak.saturating_sub(RESERVED_MIB).saturating_mul(1 << 20);
            usize::try_from(bytes).unwrap_or(usize::MAX)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_gets_what_the_headroom_and_the_rest_leave() {
        // 1024 MiB: a peak of 731 MiB at most, 160 of them for the rest.
        assert_eq!(limit(Some(1024)), 571 << 20);
        assert_eq!(limit(Some(128)), 0);
        assert_eq!(limit(None), 1 << 30);
    }
}
