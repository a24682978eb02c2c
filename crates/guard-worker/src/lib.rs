//! Guard, bounded: evaluations run in a child process of the current
//! binary, within the memory they are given, and are killed when the caller
//! must stop.
//!
//! cfn-guard cannot be interrupted, and the memory it needs follows no
//! estimate (a 900 kB template of buckets with the README's S3 encryption
//! rule took 3.7 GB; a 112-byte rule with a `let` inside a type block 2 GB
//! on 1 000 security groups). In a Lambda function, running out is an
//! out-of-memory kill with no report, the one thing the gate must never do.
//! So [`Worker`] runs Guard in a fresh process of the same executable:
//!
//! - the binary calls [`serve_if_worker`] first thing in `main`; run with
//!   the worker argument, it serves one request and exits, before any
//!   runtime, thread or client of the normal program starts;
//! - the parent starts it (`fork` and `exec`, nothing else between them but
//!   `setrlimit` and `prctl`) with an empty environment, `RLIMIT_AS` at the
//!   memory given plus the binary's own size, `PR_SET_PDEATHSIG` so that it
//!   dies with its parent, and one malloc arena; the worker then lowers the
//!   limit to what it has mapped plus the memory given;
//! - the request (the rules texts and the template as JSON) goes on its
//!   standard input, the answer comes on its standard output, both capped;
//! - an allocation the limit refuses aborts the worker, which the parent
//!   reads as [`guard_rules::GuardError::OutOfMemory`]; a stop or the time
//!   limit kills it (`SIGKILL`), and it is always reaped.
//!
//! Why not a counting global allocator in the same process: a
//! `GlobalAlloc` that refuses returns null, and Rust answers a null with
//! `handle_alloc_error`, which aborts the whole process (it may not
//! unwind): the Lambda function would die with its job unreported. Only a
//! separate process can fail alone. It also makes a stop real (the process
//! is killed, where a thread running Guard could only be abandoned) and
//! turns a crash of cfn-guard on a crafted template into a result for that
//! item.
//!
//! The cost: a process per run (a few milliseconds) and parsing the
//! template and the rules again in it (tens of milliseconds for 1 MiB). See
//! the README for the measurements.

mod child;
mod process;
mod protocol;
mod worker;

pub use protocol::{MAX_ANSWER_BYTES, MAX_REQUEST_BYTES, WORKER_ARG};
pub use worker::{WORKER_ITEMS, Worker};

/// Serves a Guard request and exits, when this process was started as a
/// worker (its first argument is [`WORKER_ARG`]); returns at once
/// otherwise. Call it first thing in `main`, before any thread, runtime or
/// logger starts: the worker must be single-threaded and bound its memory
/// before it allocates much.
pub fn serve_if_worker() {
    let mut args = std::env::args_os().skip(1);
    if args.next().as_deref() != Some(std::ffi::OsStr::new(WORKER_ARG)) {
        return;
    }
    let limit = args.next();
    child::serve(limit.as_deref().and_then(|l| l.to_str()));
}
