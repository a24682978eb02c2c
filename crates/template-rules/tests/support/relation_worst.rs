//! The relation kind's worst case: every resource that may name another
//! may name every one of them. Shared with `cargo xtask bench pack`.

use std::fmt::Write;

/// `n` buckets with their names written, and `n` bucket policies whose
/// bucket is a parameter without a `Default` (each denying insecure
/// transport): each policy may name each bucket, n² comparisons for a
/// TLS-only rule.
pub fn may_name_any(n: usize) -> String {
    let mut template = String::from("Parameters:\n  P: {Type: String}\nResources:\n");
    for i in 0..n {
        let _ = writeln!(
            template,
            "  B{i}: {{Type: AWS::S3::Bucket, Properties: {{BucketName: bucket-{i}}}}}"
        );
    }
    for i in 0..n {
        let _ = writeln!(
            template,
            "  P{i}: {{Type: AWS::S3::BucketPolicy, Properties: {{Bucket: !Ref P, PolicyDocument: {{Statement: [{{Effect: Deny, Principal: '*', Action: 's3:*', Resource: '*', Condition: {{Bool: {{aws:SecureTransport: false}}}}}}]}}}}}}"
        );
    }
    template
}
