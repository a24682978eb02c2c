//! Structured logs: one JSON line per event in Lambda, and never a secret.
//!
//! Lambda sets `AWS_LAMBDA_LOG_FORMAT=JSON` when the function's log format is
//! JSON (cicd.yaml sets it): each event is then one line,
//! `{"level", "target", "fields": {"message", …}, "span", "spans"}`;
//! otherwise it is one line of text. The level comes from
//! `AWS_LAMBDA_LOG_LEVEL` (`TRACE` … `FATAL`), else `INFO`, refined by
//! `RUST_LOG`'s directives.
//!
//! # What never reaches the logs
//!
//! Other crates log what must not be seen: at TRACE, the Lambda runtime
//! client logs the raw event, artifact credentials included
//! (`lambda_runtime`), and the AWS SDK logs each request with its signed
//! headers — the job's session token, for the artifact S3 client — and the
//! identity it resolved (`aws_smithy_runtime`, `aws_sigv4`). So every event
//! must pass two filters: the one the settings above build, and a hard cap
//! ([`cap`]) that no setting lifts. Targets outside this workspace (the
//! function's own crate, which [`init`] is given, and the libraries it
//! links) are capped at DEBUG; the AWS SDK's (`aws_*`) at INFO, since at DEBUG it
//! shows the identity it resolved, access key id included; `aws_config`'s
//! at WARN, since at INFO it shows credentials read from a profile. Our own
//! crates never log the event, its credentials, a password or a query
//! string.
//!
//! # One event stays small
//!
//! CloudWatch takes log events of at most 256 KB. A field's value (the
//! message included) is cut to [`MAX_FIELD_BYTES`] and ends with how long
//! it was: a failure listing thousands of findings is still one readable
//! event ([`format`] writes the lines).
//!
//! Panics are logged through the same subscriber, so they too are one JSON
//! line instead of free text on stderr. The hook sees every panic, in any
//! thread (the runtime's, an SDK's, the handler's), so it says where it
//! happened and no more; the runner logs, and reports, the ones that end a
//! handler.

mod filter;
mod format;

use std::io;

use tracing::Subscriber;
use tracing_subscriber::filter::FilterExt;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{Layer, Registry};

pub use filter::{Settings, cap};
pub use format::MAX_FIELD_BYTES;

/// Sets up logging for a Lambda function. Call once, first thing in
/// `main`, with the function's crate name (`env!("CARGO_CRATE_NAME")`):
/// its own targets are logged at any level asked for, like this
/// workspace's libraries.
pub fn init(function_crate: &'static str) {
    let settings = Settings::from_env();
    // Fails only if a subscriber is already set; that one is kept.
    let _ =
        tracing::subscriber::set_global_default(subscriber(&settings, function_crate, io::stdout));
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let thread = std::thread::current();
        tracing::error!(
            panic = %panic_message(info.payload()),
            %location,
            thread = thread.name().unwrap_or("unnamed"),
            "panicked"
        );
    }));
}

/// The message a panic was raised with.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_string()
    }
}

/// The subscriber [`init`] installs for `function_crate`, writing to
/// `writer`: the settings' filter under the [`cap`], JSON lines or text.
pub fn subscriber<W>(
    settings: &Settings,
    function_crate: &str,
    writer: W,
) -> impl Subscriber + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = settings.filter().and(cap(function_crate));
    let layer = if settings.json {
        tracing_subscriber::fmt::layer()
            .event_format(format::JsonLines)
            .fmt_fields(format::JsonFields)
            .with_writer(writer)
            .boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .without_time()
            .fmt_fields(format::TextFields)
            .with_writer(writer)
            .boxed()
    };
    Registry::default().with(layer.with_filter(filter))
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use serde_json::Value;

    use super::*;

    /// Captures what a subscriber writes.
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Capture {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'w> MakeWriter<'w> for Capture {
        type Writer = Capture;

        fn make_writer(&'w self) -> Capture {
            self.clone()
        }
    }

    impl Capture {
        fn lines(&self) -> Vec<String> {
            String::from_utf8(self.0.lock().unwrap().clone())
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect()
        }
    }

    fn logged(settings: Settings, emit: impl FnOnce()) -> Vec<String> {
        let capture = Capture::default();
        tracing::subscriber::with_default(
            subscriber(&settings, "cfn_validate", capture.clone()),
            emit,
        );
        capture.lines()
    }

    /// What the runtime client and the SDK log at TRACE, in their own
    /// targets, with a secret in it; and DEBUG and our own TRACE, without.
    fn emit_all_levels() {
        tracing::trace!(target: "lambda_runtime::layers::api_response", body = "SECRET-EVENT", "raw JSON event received from Lambda");
        tracing::trace!(target: "aws_sigv4::http_request::sign", request = "x-amz-security-token: SECRET-TOKEN", "signing request");
        tracing::trace!(target: "aws_smithy_runtime::client::orchestrator", request = "SECRET-REQUEST", "transmitting request");
        tracing::trace!(target: "h2::codec", frame = "SECRET-FRAME", "send");
        tracing::debug!(target: "aws_smithy_runtime::client::orchestrator::endpoints", endpoint_params = "access_key_id: SECRET-KEY-ID", "resolving endpoint");
        tracing::info!(target: "aws_config::profile::credentials", creds = "access_key_id: SECRET-KEY-ID", "loaded base credentials");
        tracing::debug!(target: "h2::proto", "Connection::poll; connection error");
        tracing::info!(target: "aws_smithy_runtime", "an SDK info");
        tracing::trace!(target: "cfn_validate", "our own trace");
        tracing::trace!(target: "aws_errors", "our own trace, in a crate named aws_*");
    }

    #[test]
    fn no_setting_lifts_the_cap_on_other_crates_trace() {
        let all = [
            Settings {
                lambda_level: Some("TRACE".into()),
                rust_log: Some("trace".into()),
                json: true,
            },
            Settings {
                lambda_level: None,
                rust_log: Some(
                    "trace,lambda_runtime=trace,aws_sigv4=trace,aws_smithy_runtime[transmitting request]=trace,[{body}]=trace,h2=trace".into(),
                ),
                json: false,
            },
        ];
        for settings in all {
            let lines = logged(settings.clone(), emit_all_levels);
            assert!(
                lines.iter().all(|l| !l.contains("SECRET")),
                "{settings:?}: {lines:#?}"
            );
            for kept in [
                "Connection::poll",
                "an SDK info",
                "our own trace",
                "our own trace, in a crate named aws_*",
            ] {
                assert!(
                    lines.iter().any(|l| l.contains(kept)),
                    "{kept:?} is still there: {lines:#?}"
                );
            }
        }
    }

    #[test]
    fn the_function_given_to_init_is_logged_at_trace_and_no_other_function_is() {
        let lines = logged(
            Settings {
                rust_log: Some("trace".into()),
                ..Settings::default()
            },
            || {
                tracing::trace!(target: "cfn_validate::decision", "the function's own trace");
                tracing::trace!(target: "service_status", "another function's trace");
            },
        );
        assert_eq!(lines.len(), 1, "{lines:#?}");
        assert!(lines[0].contains("the function's own trace"), "{lines:#?}");
    }

    #[test]
    fn the_level_comes_from_lambda_then_rust_log_else_info() {
        let emit = || {
            tracing::info!(target: "cfn_validate", "an info");
            tracing::debug!(target: "cfn_validate", "a debug");
        };
        let count = |settings: Settings| logged(settings, emit).len();
        assert_eq!(count(Settings::default()), 1);
        assert_eq!(
            count(Settings {
                lambda_level: Some("DEBUG".into()),
                ..Settings::default()
            }),
            2
        );
        assert_eq!(
            count(Settings {
                lambda_level: Some("FATAL".into()),
                ..Settings::default()
            }),
            0
        );
        assert_eq!(
            count(Settings {
                rust_log: Some("cfn_validate=debug".into()),
                ..Settings::default()
            }),
            2
        );
    }

    #[test]
    fn json_lines_have_level_target_fields_and_spans() {
        let lines = logged(
            Settings {
                json: true,
                ..Settings::default()
            },
            || {
                let span = tracing::info_span!(target: "pipeline_job", "job", request_id = "req-1", job_id = tracing::field::Empty);
                let _entered = span.enter();
                span.record("job_id", "job-1");
                tracing::info!(target: "pipeline_job", status = "Failed", attempts = 3, ok = false, "reporting failure");
            },
        );
        let [line] = lines.as_slice() else {
            panic!("{lines:#?}");
        };
        let value: Value = serde_json::from_str(line).unwrap();
        assert_eq!(value["level"], "INFO");
        assert_eq!(value["target"], "pipeline_job");
        assert_eq!(value["fields"]["message"], "reporting failure");
        assert_eq!(value["fields"]["status"], "Failed");
        assert_eq!(value["fields"]["attempts"], 3);
        assert_eq!(value["fields"]["ok"], false);
        assert_eq!(value["span"]["name"], "job");
        assert_eq!(value["span"]["request_id"], "req-1");
        assert_eq!(value["span"]["job_id"], "job-1");
        assert_eq!(value["spans"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn a_long_field_is_cut_with_its_length_noted() {
        let long = "é".repeat(100_000);
        for json in [true, false] {
            let lines = logged(
                Settings {
                    json,
                    ..Settings::default()
                },
                || {
                    tracing::error!(target: "pipeline_job", failure = %long, "{}", long);
                },
            );
            let [line] = lines.as_slice() else {
                panic!("{lines:#?}");
            };
            assert!(line.len() < 3 * MAX_FIELD_BYTES, "{} bytes", line.len());
            assert_eq!(
                line.matches("… [cut to 8192 of 200000 bytes]").count(),
                2,
                "{}",
                &line[line.len() - 200..]
            );
            if json {
                let value: Value = serde_json::from_str(line).unwrap();
                assert!(
                    value["fields"]["failure"]
                        .as_str()
                        .unwrap()
                        .starts_with("éé")
                );
            }
        }
    }
}
