//! Alarms (`DescribeAlarms`): metric alarms, by name.
//!
//! | what happened | error |
//! |---|---|
//! | access denied | permission, naming the action |
//! | throttling past the SDK's retries | failed, saying so |
//! | anything else after the SDK's retries | failed |
//!
//! An alarm that does not exist is left out, as CloudWatch leaves it out;
//! the gate's observer says which are missing.

use aws_errors::ErrorKind;
use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use health_gate::{Alarm, SignalError};

/// Names one `DescribeAlarms` call may ask for.
pub const NAMES_PER_CALL: usize = 100;

/// Pages one call's answer may take; 100 names give at most one page of
/// 100 records, so more means the service is not answering as documented.
const MAX_PAGES: usize = 10;

/// The metric alarms among `names` that exist.
pub async fn alarms(cloudwatch: &Client, names: &[String]) -> Result<Vec<Alarm>, SignalError> {
    let mut alarms = Vec::new();
    for chunk in names.chunks(NAMES_PER_CALL) {
        let mut next_token: Option<String> = None;
        for page in 0.. {
            if page == MAX_PAGES {
                return Err(SignalError::failed(format!(
                    "DescribeAlarms gave more than {MAX_PAGES} pages for {} alarm names",
                    chunk.len()
                )));
            }
            let described = cloudwatch
                .describe_alarms()
                .set_alarm_names(Some(chunk.to_vec()))
                .max_records(100)
                .set_next_token(next_token.take())
                .send()
                .await
                .map_err(|e| describe_error(&e))?;
            alarms.extend(described.metric_alarms().iter().map(|a| {
                Alarm {
                    name: a.alarm_name().unwrap_or_default().to_string(),
                    state: a
                        .state_value()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    reason: a.state_reason().map(str::to_string),
                }
            }));
            match described.next_token() {
                Some(token) if !token.is_empty() => next_token = Some(token.to_string()),
                _ => break,
            }
        }
    }
    Ok(alarms)
}

/// Sorts a `DescribeAlarms` error (see the module documentation).
pub fn describe_error<E, R>(error: &SdkError<E, R>) -> SignalError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let message = aws_errors::message(error);
    match aws_errors::classify(error) {
        ErrorKind::AccessDenied => SignalError::permission(format!(
            "not allowed to read alarms (cloudwatch:DescribeAlarms): {message}"
        )),
        ErrorKind::Throttled => SignalError::failed(format!(
            "CloudWatch kept throttling DescribeAlarms after retries: {message}"
        )),
        ErrorKind::NotFound | ErrorKind::Other => SignalError::failed(format!(
            "could not read alarms: {}",
            DisplayErrorContext(error)
        )),
    }
}
