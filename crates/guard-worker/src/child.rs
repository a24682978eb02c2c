//! The worker's side: a fresh process of the same binary, entered before
//! anything else runs in it, that lowers its own address-space limit, reads
//! one request, answers it and exits.

use std::io::{Read, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};

use guard_rules::{GuardData, GuardError, GuardRules, Options, evaluate_all_with};

use crate::protocol::{Answer, Header, MAX_REQUEST_BYTES};

/// Exit status of a worker that could not read its request.
pub(crate) const BAD_REQUEST: i32 = 3;
/// Exit status of a worker that could not set its memory limit: it runs
/// nothing rather than run unbounded.
pub(crate) const NO_LIMIT: i32 = 4;

/// Serves one request: `limit` is the memory Guard may take, in bytes,
/// beyond what this process holds when it starts. Returns the exit status.
pub(crate) fn serve(limit: Option<&str>) -> i32 {
    let Some(limit) = limit.and_then(|l| l.parse::<u64>().ok()) else {
        eprintln!("guard worker: no memory limit given");
        return BAD_REQUEST;
    };
    // Grown now, the stack is part of what this process holds before the
    // limit: growing it later could fail under the limit, and that is a
    // SIGSEGV with no message, where an allocation that fails says so.
    reserve_stack();
    if let Err(e) = bound_address_space(limit) {
        eprintln!("guard worker: cannot set the memory limit: {e}");
        return NO_LIMIT;
    }
    let mut request = Vec::new();
    let read = std::io::stdin()
        .lock()
        .take(MAX_REQUEST_BYTES as u64 + 1)
        .read_to_end(&mut request);
    if read.is_err() || request.len() > MAX_REQUEST_BYTES {
        eprintln!("guard worker: cannot read the request");
        return BAD_REQUEST;
    }
    let Some(answer) = answer(&request) else {
        eprintln!("guard worker: the request cannot be read");
        return BAD_REQUEST;
    };
    // A panic while writing the answer ends the process abnormally (exit
    // 101), which the parent reads as a crash.
    let text = serde_json::to_vec(&answer).expect("an answer serializes");
    let mut out = std::io::stdout().lock();
    if out.write_all(&text).and_then(|()| out.flush()).is_err() {
        return BAD_REQUEST;
    }
    0
}

/// The answer to a request, or `None` when the request cannot be read.
fn answer(request: &[u8]) -> Option<Answer> {
    let split = request.iter().position(|&b| b == b'\n')?;
    let header: Header = serde_json::from_slice(&request[..split]).ok()?;
    let body = &request[split + 1..];
    Some(match header {
        Header::Parse { text } => Answer::Parsed(guarded(|| {
            GuardRules::parse(&text).map(|rules| rules.rule_names().to_vec())
        })),
        Header::Evaluate {
            rules,
            skip_absent_types,
            narrow,
        } => {
            let results = guarded(|| {
                let template: serde_json::Value = serde_json::from_slice(body)
                    .map_err(|e| GuardError::Data(format!("the template sent is not JSON: {e}")))?;
                let data = GuardData::from_json(&template)?;
                drop(template);
                let parsed: Vec<Result<GuardRules, GuardError>> =
                    rules.iter().map(|text| GuardRules::parse(text)).collect();
                let ok: Vec<&GuardRules> = parsed.iter().flatten().collect();
                // The estimate refuses nothing here: the limit is real.
                let options = Options {
                    skip_absent_types,
                    narrow,
                    memory_limit: usize::MAX,
                };
                let mut evaluated = evaluate_all_with(&ok, &data, options).into_iter();
                Ok(parsed
                    .into_iter()
                    .map(|rules| match rules {
                        Ok(_) => evaluated.next().unwrap_or_else(|| {
                            Err(GuardError::Crashed("Guard gave no result".to_string()))
                        }),
                        Err(e) => Err(e),
                    })
                    .collect::<Vec<_>>())
            });
            Answer::Evaluated(match results {
                Ok(results) => results,
                Err(e) => rules.iter().map(|_| Err(e.clone())).collect(),
            })
        }
    })
}

/// `f`'s result, or a panic as [`GuardError::Crashed`].
fn guarded<T>(f: impl FnOnce() -> Result<T, GuardError>) -> Result<T, GuardError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_string());
        Err(GuardError::Crashed(format!("panicked: {what}")))
    })
}

/// Stack the worker grows before it bounds its memory: Guard's recursion
/// stays within 2 MiB under the parse caps (guard-rules' README), and the
/// allocation failure handler needs some to say what failed.
const STACK_RESERVE: usize = 4 << 20;

/// Touches [`STACK_RESERVE`] bytes of stack (stack probes touch every page
/// of a large frame), so that the kernel maps them now.
#[inline(never)]
fn reserve_stack() {
    let mut reserve = [0u8; STACK_RESERVE];
    std::hint::black_box(&mut reserve);
}

/// Lowers `RLIMIT_AS` to what this process has mapped now plus `limit`:
/// the binary, its libraries and its stack are not Guard's. The parent set
/// a looser limit before `exec` (see `crate::spawn`), which this only
/// tightens.
fn bound_address_space(limit: u64) -> std::io::Result<()> {
    let mapped = mapped_bytes()?;
    let wanted = mapped.saturating_add(limit);
    let mut current = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut current) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let soft = wanted.min(current.rlim_cur);
    let bound = libc::rlimit {
        rlim_cur: soft,
        rlim_max: soft.min(current.rlim_max),
    };
    // SAFETY: setrlimit reads the struct it is given.
    if unsafe { libc::setrlimit(libc::RLIMIT_AS, &bound) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// This process's address space, in bytes (`VmSize`).
fn mapped_bytes() -> std::io::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmSize:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kib| kib * 1024)
        .ok_or_else(|| std::io::Error::other("no VmSize in /proc/self/status"))
}
