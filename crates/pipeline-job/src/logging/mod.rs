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
//! ([`cap`]) that no setting lifts. Targets outside this workspace are
//! capped at DEBUG; the AWS SDK's (`aws_*`) at INFO, since at DEBUG it
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
//! event.
//!
//! Panics are logged through the same subscriber, so they too are one JSON
//! line instead of free text on stderr. The hook sees every panic, in any
//! thread (the runtime's, an SDK's, the handler's), so it says where it
//! happened and no more; the runner logs, and reports, the ones that end a
//! handler.

use std::fmt::{self, Write as _};
use std::io;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber, span};
use tracing_subscriber::filter::{EnvFilter, FilterExt, LevelFilter, Targets};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields, MakeWriter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{Layer, Registry};

/// A field's value is cut to this many bytes in a log event.
pub const MAX_FIELD_BYTES: usize = 8 * 1024;

/// This workspace's crates: the only targets logged at TRACE when asked.
const OUR_CRATES: [&str; 10] = [
    "pipeline_job",
    "cfn_validate",
    "service_status",
    "health_check",
    "artifacts",
    "rules_table",
    "template_rules",
    "aws_errors",
    "cicd",
    "stuck_handler",
];

/// Sets up logging for a Lambda function. Call once, first thing in `main`.
pub fn init() {
    let settings = Settings::from_env();
    // Fails only if a subscriber is already set; that one is kept.
    let _ = tracing::subscriber::set_global_default(subscriber(&settings, io::stdout));
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

/// What the environment asks of the logs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// `AWS_LAMBDA_LOG_FORMAT=JSON`.
    pub json: bool,
    /// `AWS_LAMBDA_LOG_LEVEL`.
    pub lambda_level: Option<String>,
    /// `RUST_LOG`.
    pub rust_log: Option<String>,
}

impl Settings {
    pub fn from_env() -> Settings {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Settings {
            json: var("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json")),
            lambda_level: var("AWS_LAMBDA_LOG_LEVEL"),
            rust_log: var("RUST_LOG"),
        }
    }

    /// The filter the settings ask for, before the [`cap`].
    fn filter(&self) -> EnvFilter {
        let level = match self.lambda_level.as_deref().map(str::trim) {
            Some(l) if l.eq_ignore_ascii_case("fatal") => LevelFilter::ERROR,
            Some(l) => l.parse().unwrap_or(LevelFilter::INFO),
            None => LevelFilter::INFO,
        };
        EnvFilter::builder()
            .with_default_directive(level.into())
            .parse_lossy(self.rust_log.as_deref().unwrap_or_default())
    }
}

/// The hard cap: this workspace's targets at any level, every other at
/// DEBUG at most, the AWS SDK's at INFO, `aws_config`'s at WARN (see the
/// module documentation). The most specific target wins.
pub fn cap() -> Targets {
    Targets::new()
        .with_default(LevelFilter::DEBUG)
        .with_target("aws_", LevelFilter::INFO)
        .with_target("aws_config", LevelFilter::WARN)
        .with_targets(OUR_CRATES.map(|t| (t, LevelFilter::TRACE)))
}

/// The subscriber [`init`] installs, writing to `writer`.
pub fn subscriber<W>(settings: &Settings, writer: W) -> impl Subscriber + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = settings.filter().and(cap());
    let layer = if settings.json {
        tracing_subscriber::fmt::layer()
            .event_format(JsonLines)
            .fmt_fields(JsonFields)
            .with_writer(writer)
            .boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .without_time()
            .fmt_fields(TextFields)
            .with_writer(writer)
            .boxed()
    };
    Registry::default().with(layer.with_filter(filter))
}

/// A value's text, cut to [`MAX_FIELD_BYTES`] (at a character boundary)
/// with its full length noted, without writing out more than that.
fn capped(value: impl fmt::Display) -> String {
    let mut out = Capped::default();
    let _ = write!(out, "{value}");
    out.finish()
}

#[derive(Default)]
struct Capped {
    kept: String,
    total: usize,
}

impl fmt::Write for Capped {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.total += s.len();
        let room = MAX_FIELD_BYTES.saturating_sub(self.kept.len());
        if room > 0 {
            let mut cut = s.len().min(room);
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            self.kept.push_str(&s[..cut]);
        }
        Ok(())
    }
}

impl Capped {
    fn finish(mut self) -> String {
        if self.total > self.kept.len() {
            let _ = write!(
                self.kept,
                "… [cut to {} of {} bytes]",
                self.kept.len(),
                self.total
            );
        }
        self.kept
    }
}

/// Records fields as JSON values, each capped.
struct JsonVisitor<'a>(&'a mut Map<String, Value>);

impl Visit for JsonVisitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(
            field.name().to_string(),
            Value::String(capped(format_args!("{value:?}"))),
        );
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0
            .insert(field.name().to_string(), Value::String(capped(value)));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0
            .insert(field.name().to_string(), Value::String(capped(value)));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_string(), value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_string(), value.into());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().to_string(), value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_string(), value.into());
    }
}

/// Span fields as a JSON object (kept in the span until an event shows it).
struct JsonFields;

impl<'w> FormatFields<'w> for JsonFields {
    fn format_fields<R: tracing_subscriber::field::RecordFields>(
        &self,
        mut writer: Writer<'w>,
        fields: R,
    ) -> fmt::Result {
        let mut map = Map::new();
        fields.record(&mut JsonVisitor(&mut map));
        write!(writer, "{}", Value::Object(map))
    }

    fn add_fields(
        &self,
        current: &'w mut FormattedFields<Self>,
        fields: &span::Record<'_>,
    ) -> fmt::Result {
        let mut map = match serde_json::from_str(&current.fields) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        fields.record(&mut JsonVisitor(&mut map));
        current.fields = Value::Object(map).to_string();
        Ok(())
    }
}

/// One JSON object per event.
struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'w> FormatFields<'w> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let mut fields = Map::new();
        event.record(&mut JsonVisitor(&mut fields));
        let mut line = Map::new();
        line.insert("level".into(), meta.level().as_str().into());
        line.insert("target".into(), meta.target().into());
        line.insert("fields".into(), Value::Object(fields));
        if let Some(scope) = ctx.event_scope() {
            let spans: Vec<Value> = scope
                .from_root()
                .map(|span| {
                    let mut shown = match span
                        .extensions()
                        .get::<FormattedFields<N>>()
                        .map(|f| serde_json::from_str(&f.fields))
                    {
                        Some(Ok(Value::Object(map))) => map,
                        _ => Map::new(),
                    };
                    shown.insert("name".into(), span.name().into());
                    Value::Object(shown)
                })
                .collect();
            if let Some(current) = spans.last() {
                line.insert("span".into(), current.clone());
            }
            line.insert("spans".into(), Value::Array(spans));
        }
        writeln!(writer, "{}", Value::Object(line))
    }
}

/// Fields as text, `message` first without its name, each capped.
struct TextFields;

impl<'w> FormatFields<'w> for TextFields {
    fn format_fields<R: tracing_subscriber::field::RecordFields>(
        &self,
        mut writer: Writer<'w>,
        fields: R,
    ) -> fmt::Result {
        let mut visitor = TextVisitor {
            writer: &mut writer,
            first: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

struct TextVisitor<'a, 'w> {
    writer: &'a mut Writer<'w>,
    first: bool,
    result: fmt::Result,
}

impl Visit for TextVisitor<'_, '_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let text = capped(format_args!("{value:?}"));
        let separator = if self.first { "" } else { " " };
        self.first = false;
        self.result = self.result.and_then(|()| match field.name() {
            "message" => write!(self.writer, "{separator}{text}"),
            name => write!(self.writer, "{separator}{name}={text}"),
        });
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.record_debug(field, &format_args!("{value}"));
        } else {
            self.record_debug(field, &value);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

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
        tracing::subscriber::with_default(subscriber(&settings, capture.clone()), emit);
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
        assert_eq!(capped("short"), "short");
    }
}
