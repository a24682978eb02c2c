//! The worker's side: a fresh process of the same binary, entered before
//! anything else runs in it, that lowers its own address-space limit, then
//! answers requests until its input ends.

use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};

use guard_rules::{Evaluation, GuardData, GuardError, GuardRules, Options, evaluate_all_with};

use crate::protocol::{Answer, MAX_REQUEST_BYTES, Request, read_frame, write_frame};

/// Exit status of a worker that could not read a request or write an
/// answer.
pub(crate) const BAD_REQUEST: i32 = 3;
/// Exit status of a worker that could not set its memory limit: it runs
/// nothing rather than run unbounded.
pub(crate) const NO_LIMIT: i32 = 4;

/// Stack the worker grows before it bounds its memory: Guard's recursion
/// stays within 2 MiB under the parse caps (guard-rules' README), and the
/// allocation failure handler needs some to say what failed.
const STACK_RESERVE: usize = 4 << 20;

/// The template of the session, prepared, and how to evaluate on it.
type Template = (Result<GuardData, GuardError>, Options);

/// Serves requests until the input ends, then exits (without freeing
/// what it holds: the process ends). `limit` is the memory Guard may take,
/// in bytes, beyond what this process holds when it starts.
pub(crate) fn serve(limit: Option<&str>) -> ! {
    let Some(limit) = limit.and_then(|l| l.parse::<u64>().ok()) else {
        eprintln!("guard worker: no memory limit given");
        std::process::exit(BAD_REQUEST);
    };
    // Grown now, the stack is part of what this process holds before the
    // limit: growing it later could fail under the limit, and that is a
    // SIGSEGV with no message, where an allocation that fails says so.
    reserve_stack();
    if let Err(e) = bound_address_space(limit) {
        eprintln!("guard worker: cannot set the memory limit: {e}");
        std::process::exit(NO_LIMIT);
    }
    let mut input = std::io::stdin().lock();
    let mut output = std::io::stdout().lock();
    let mut template: Option<Template> = None;
    loop {
        let request = match read_frame(&mut input, MAX_REQUEST_BYTES) {
            Ok(Some(frame)) => serde_json::from_slice::<Request>(&frame),
            Ok(None) => std::process::exit(0),
            Err(e) => fail(&format!("cannot read a request: {e}")),
        };
        let answer = match request {
            Ok(Request::Open {
                skip_absent_types,
                narrow,
            }) => {
                let text = match read_frame(&mut input, MAX_REQUEST_BYTES) {
                    Ok(Some(text)) => text,
                    _ => fail("cannot read the template"),
                };
                let options = Options {
                    skip_absent_types,
                    narrow,
                    // The estimate refuses nothing here: the limit is real.
                    memory_limit: usize::MAX,
                };
                template = Some((prepare(&text), options));
                continue;
            }
            Ok(Request::Evaluate { rules }) => {
                Answer::Evaluated(evaluate(&rules, template.as_ref()))
            }
            Ok(Request::Parse { text }) => Answer::Parsed(guarded(|| {
                GuardRules::parse(&text).map(|rules| rules.rule_names().to_vec())
            })),
            Err(e) => fail(&format!("the request cannot be read: {e}")),
        };
        // A panic while writing the answer ends the process abnormally (exit
        // 101), which the parent reads as a crash.
        let bytes = serde_json::to_vec(&answer).expect("an answer serializes");
        if write_frame(&mut output, &bytes)
            .and_then(|()| output.flush())
            .is_err()
        {
            fail("cannot write the answer");
        }
    }
}

fn fail(why: &str) -> ! {
    eprintln!("guard worker: {why}");
    std::process::exit(BAD_REQUEST)
}

/// The template from its JSON text, as the parent prepared it.
fn prepare(text: &[u8]) -> Result<GuardData, GuardError> {
    guarded(|| {
        let value: serde_json::Value = serde_json::from_slice(text)
            .map_err(|e| GuardError::Data(format!("the template sent is not JSON: {e}")))?;
        GuardData::from_json(&value)
    })
}

/// Each rules text evaluated on the session's template.
fn evaluate(rules: &[String], template: Option<&Template>) -> Vec<Result<Evaluation, GuardError>> {
    let every = |e: GuardError| rules.iter().map(|_| Err(e.clone())).collect();
    let Some((data, options)) = template else {
        return every(GuardError::Crashed("no template was sent".to_string()));
    };
    let data = match data {
        Ok(data) => data,
        Err(e) => return every(e.clone()),
    };
    guarded(|| {
        let parsed: Vec<Result<GuardRules, GuardError>> =
            rules.iter().map(|text| GuardRules::parse(text)).collect();
        let ok: Vec<&GuardRules> = parsed.iter().flatten().collect();
        let mut evaluated = evaluate_all_with(&ok, data, *options).into_iter();
        Ok(parsed
            .iter()
            .map(|rules| match rules {
                Ok(_) => evaluated.next().unwrap_or_else(|| {
                    Err(GuardError::Crashed("Guard gave no result".to_string()))
                }),
                Err(e) => Err(e.clone()),
            })
            .collect())
    })
    .unwrap_or_else(every)
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

/// Touches [`STACK_RESERVE`] bytes of stack (stack probes touch every page
/// of a large frame), so that the kernel maps them now.
#[inline(never)]
fn reserve_stack() {
    let mut reserve = [0u8; STACK_RESERVE];
    std::hint::black_box(&mut reserve);
}

/// Lowers `RLIMIT_AS` to what this process has mapped now plus `limit`:
/// the binary, its libraries and its stack are not Guard's. The parent set
/// a looser limit before `exec` (see `crate::process`), which this only
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
