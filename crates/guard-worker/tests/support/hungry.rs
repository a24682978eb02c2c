//! Inputs on which Guard needs far more memory than its estimate says
//! (issue 19 item 2), built here rather than stored: the three
//! reproductions, each within the caps (a template of at most 1 MiB, a
//! rules text of at most 400 KB). Shared by the tests that run them
//! through the real binaries and by `cargo xtask bench memory`.

#![allow(dead_code)]

use serde_json::{Map, Value, json};

/// A template of S3 buckets, about `bytes` of JSON, none encrypted.
pub fn buckets(bytes: usize) -> String {
    let mut resources = Map::new();
    let mut size = 0;
    let mut i = 0;
    while size < bytes {
        let bucket = json!({"Type": "AWS::S3::Bucket", "Properties": {
            "BucketName": format!("logs-{i:05}"),
            "VersioningConfiguration": {"Status": "Enabled"},
            "Tags": [{"Key": "team", "Value": format!("team-{}", i % 17)},
                     {"Key": "cost-centre", "Value": format!("cc-{}", i % 5)}],
        }});
        size += bucket.to_string().len() + 16;
        resources.insert(format!("Bucket{i:05}"), bucket);
        i += 1;
    }
    json!({"Resources": resources}).to_string()
}

/// The README's S3 encryption rule (guard-rules' own test rules file).
pub const S3_ENCRYPTION: &str =
    include_str!("../../../guard-rules/tests/rules/s3_bucket_encrypted.guard");

/// `count` security groups, each with one ingress rule.
pub fn groups(count: usize) -> String {
    let resources: Map<String, Value> = (0..count)
        .map(|i| {
            (
                format!("Group{i:04}"),
                json!({"Type": "AWS::EC2::SecurityGroup", "Properties": {
                    "GroupDescription": format!("group {i}"),
                    "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 443,
                        "ToPort": 443, "CidrIp": "10.0.0.0/8"}],
                }}),
            )
        })
        .collect();
    json!({"Resources": resources}).to_string()
}

/// A short rule that filters a file-level variable inside a type block:
/// Guard evaluates the filter once per resource of the type, over every
/// resource, and keeps what each selects (2.4 GB on 1 000 groups, a
/// 190 kB template).
pub const LET_IN_TYPE_BLOCK: &str = "let all = Resources.*\nrule GROUPS { AWS::EC2::SecurityGroup {\n  let g = %all[ Type == 'AWS::EC2::SecurityGroup' ]\n  %g.Properties exists\n} }\n";

/// A rules text of about `bytes` (at most 400 KB), of rules that each read
/// every resource and fail on each.
pub fn many_clauses(bytes: usize) -> String {
    let mut text = String::new();
    for i in 0.. {
        let rule = format!("rule R{i} {{ Resources.*.Properties.Missing{i} exists }}\n");
        if text.len() + rule.len() > bytes {
            break;
        }
        text.push_str(&rule);
    }
    text
}
