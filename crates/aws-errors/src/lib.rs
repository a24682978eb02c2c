//! What an AWS error means to its caller, whichever service answered.
//!
//! Each service spells the same few situations its own way (`NoSuchKey`,
//! `ResourceNotFoundException`; `AccessDenied`, `AccessDeniedException`;
//! `SlowDown`, `ProvisionedThroughputExceededException`, ...). The S3
//! artifacts, the DynamoDB rules table and the CloudFormation stack lookup
//! sort their errors here, by error code, so that each situation is
//! recognised, and reported, the same way everywhere.
//!
//! Only the code counts: a classification never depends on a message,
//! which services word as they like.
//!
//! Start with [`classify`]: an SDK error in, an [`ErrorKind`] out.

#![warn(missing_docs)]

use std::error::Error;

use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// The situations callers tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The service kept refusing for load (the SDK retries these first, so
    /// one that reaches the caller outlasted the retries).
    Throttled,
    /// The credentials are not allowed, not valid, or expired.
    AccessDenied,
    /// The bucket, key, table or other resource is not there.
    NotFound,
    /// Anything else: a network failure, a timeout, a server error, a code
    /// not listed here.
    Other,
}

/// Codes the SDK's retry classifier treats as throttling.
const THROTTLED: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "RequestThrottled",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "SlowDown",
];

const ACCESS_DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnrecognizedClientException",
    "InvalidAccessKeyId",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
    "AllAccessDisabled",
];

const NOT_FOUND: &[&str] = &[
    "NoSuchKey",
    "NoSuchBucket",
    "NotFound",
    "ResourceNotFoundException",
];

/// What `error` means, from its error code.
pub fn classify(error: &impl ProvideErrorMetadata) -> ErrorKind {
    let Some(code) = error.code() else {
        return ErrorKind::Other;
    };
    if THROTTLED.contains(&code) {
        ErrorKind::Throttled
    } else if ACCESS_DENIED.contains(&code) {
        ErrorKind::AccessDenied
    } else if NOT_FOUND.contains(&code) {
        ErrorKind::NotFound
    } else {
        ErrorKind::Other
    }
}

/// The service's own message when it gave one ("User … is not authorized
/// to perform: dynamodb:Scan"), else the whole chain of causes (a timeout,
/// a connection error).
pub fn message<E: Error + ProvideErrorMetadata>(error: &E) -> String {
    match error.message() {
        Some(message) if !message.trim().is_empty() => message.to_string(),
        _ => DisplayErrorContext(error).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;

    fn coded(code: &str) -> ErrorMetadata {
        ErrorMetadata::builder()
            .code(code)
            .message("from the service")
            .build()
    }

    #[test]
    fn each_services_spelling_is_recognised() {
        for (code, kind) in [
            ("SlowDown", ErrorKind::Throttled),
            (
                "ProvisionedThroughputExceededException",
                ErrorKind::Throttled,
            ),
            ("ThrottlingException", ErrorKind::Throttled),
            ("Throttling", ErrorKind::Throttled),
            ("AccessDenied", ErrorKind::AccessDenied),
            ("AccessDeniedException", ErrorKind::AccessDenied),
            ("UnrecognizedClientException", ErrorKind::AccessDenied),
            ("ExpiredToken", ErrorKind::AccessDenied),
            ("NoSuchKey", ErrorKind::NotFound),
            ("NoSuchBucket", ErrorKind::NotFound),
            ("ResourceNotFoundException", ErrorKind::NotFound),
            ("ValidationError", ErrorKind::Other),
            ("InternalError", ErrorKind::Other),
        ] {
            assert_eq!(classify(&coded(code)), kind, "{code}");
        }
    }

    #[test]
    fn an_error_without_a_code_is_other() {
        assert_eq!(
            classify(&ErrorMetadata::builder().message("timed out").build()),
            ErrorKind::Other
        );
    }

    #[test]
    fn the_message_is_the_services_when_it_gave_one() {
        assert_eq!(message(&coded("AccessDenied")), "from the service");
        let silent = ErrorMetadata::builder().code("InternalError").build();
        assert!(
            message(&silent).contains("InternalError"),
            "{}",
            message(&silent)
        );
    }
}
