#!/usr/bin/env bash
# Runs one fuzz target on the stable toolchain.
#
#   fuzz/run.sh <template|job_event> [seconds] [more libFuzzer flags...]
#
# Environment: SANITIZER (none, the default, or address), JOBS (parallel
# libFuzzer processes, default 1, logging to fuzz/fuzz-N.log). The corpus grows in fuzz/corpus/<target>
# (seeded from fuzz/seeds/<target>); crashes land in fuzz/artifacts/<target>.
# Neither is kept in git.
set -euo pipefail

target=${1:?usage: fuzz/run.sh <template|job_event> [seconds] [libFuzzer flags...]}
seconds=${2:-60}
shift $(( $# < 2 ? $# : 2 ))
cd "$(dirname "$0")"

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install --locked cargo-fuzz
fi

# cargo-fuzz builds with libFuzzer's coverage instrumentation. With no
# sanitizer every flag it passes is a stable one; AddressSanitizer needs
# -Zsanitizer, which RUSTC_BOOTSTRAP=1 lets the stable compiler accept.
# The crates under test are safe Rust, so none is the default: it runs
# several times faster. Debug assertions and overflow checks stay on.
export RUSTC_BOOTSTRAP=1
sanitizer=${SANITIZER:-none}

mkdir -p "corpus/$target" "artifacts/$target"
jobs=()
if [[ "${JOBS:-1}" != 1 ]]; then
    # Separate processes that share the corpus; each logs to fuzz-N.log.
    jobs=("-jobs=$JOBS" "-workers=$JOBS")
fi
dict=()
if [[ -f "dictionaries/$target.dict" ]]; then
    dict=("-dict=dictionaries/$target.dict")
fi

exec cargo fuzz run --sanitizer "$sanitizer" "$target" \
    "corpus/$target" "seeds/$target" -- \
    -max_total_time="$seconds" \
    -timeout=10 \
    -rss_limit_mb=2048 \
    "${jobs[@]}" \
    -print_final_stats=1 \
    "${dict[@]}" \
    "$@"
