//! How an event is written: one JSON object per line (in Lambda), or one
//! line of text, with every field's value capped at [`MAX_FIELD_BYTES`].

use std::fmt::{self, Write as _};

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber, span};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// A field's value is cut to this many bytes in a log event.
pub const MAX_FIELD_BYTES: usize = 8 * 1024;

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
pub(super) struct JsonFields;

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
pub(super) struct JsonLines;

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
pub(super) struct TextFields;

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
    use super::*;

    #[test]
    fn a_value_within_the_cap_is_kept_whole_and_a_longer_one_is_cut_at_a_character() {
        assert_eq!(capped("short"), "short");
        let cut = capped("é".repeat(MAX_FIELD_BYTES));
        assert!(
            cut.starts_with(&"é".repeat(MAX_FIELD_BYTES / 2)),
            "{}",
            &cut[..20]
        );
        assert!(
            cut.ends_with(&format!(
                "… [cut to {MAX_FIELD_BYTES} of {} bytes]",
                2 * MAX_FIELD_BYTES
            )),
            "{cut:.40}"
        );
    }
}
