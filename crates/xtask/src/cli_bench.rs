//! `cicd validate DIR` on a repository's worth of templates: 500 templates
//! of 10 to 200 resources (security groups, instances, buckets, roles,
//! functions; YAML and JSON), timed with one evaluation thread and with the
//! default (one per CPU). The release binary, process start included.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use harness::target_dir;

const TEMPLATES: usize = 500;
const RUNS: usize = 11;

pub fn run() {
    let dir = target_dir().join("bench-templates");
    let (bytes, resources) = generate(&dir);
    let cicd = crate::measure::release_binary("cicd");
    let time = |jobs: Option<&str>| {
        let mut times = Vec::new();
        for _ in 0..RUNS {
            let mut command = Command::new(&cicd);
            command.args(["validate", "--format", "json"]);
            if let Some(jobs) = jobs {
                command.args(["--jobs", jobs]);
            }
            let started = Instant::now();
            let out = command.arg(&dir).output().expect("cicd runs");
            times.push(started.elapsed());
            assert!(
                matches!(out.status.code(), Some(0 | 1)),
                "cicd validate could not read the templates: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let fastest = times.iter().min().copied().unwrap_or_default();
        (crate::measure::median(times), fastest)
    };
    let one = time(Some("1"));
    let all = time(None);
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "cicd validate DIR: {TEMPLATES} templates, {resources} resources, {:.1} MB (release, process included; median and fastest of {RUNS} runs; load average {}):",
        bytes as f64 / 1e6,
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!("  --jobs 1           {} (fastest {})", ms(one.0), ms(one.1));
    println!(
        "  default, {cpus} CPUs   {} (fastest {}): {:.2}x the speed of one thread (fastest runs)",
        ms(all.0),
        ms(all.1),
        one.1.as_secs_f64() / all.1.as_secs_f64()
    );
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Writes the templates (deterministically); returns their total size and
/// resource count.
fn generate(dir: &Path) -> (usize, usize) {
    let _ = std::fs::remove_dir_all(dir);
    let mut bytes = 0;
    let mut resources = 0;
    for i in 0..TEMPLATES {
        // 10 to 200 resources, spread over the range.
        let count = 10 + (i * 97) % 191;
        resources += count;
        let (name, text) = if i % 3 == 0 {
            (format!("stack-{i:03}.json"), json_template(i, count))
        } else {
            (format!("stack-{i:03}.yaml"), yaml_template(i, count))
        };
        let path = dir.join(format!("team-{}", i % 10)).join(name);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(&path, &text).expect("write a template");
        bytes += text.len();
    }
    (bytes, resources)
}

fn yaml_template(seed: usize, count: usize) -> String {
    let mut t = String::from(
        "AWSTemplateFormatVersion: '2010-09-09'\nDescription: generated for cargo xtask bench\nParameters:\n  Cidr:\n    Type: String\n    Default: 10.0.0.0/8\n  Ami:\n    Type: AWS::EC2::Image::Id\n    Default: ami-0123456789abcdef0\nResources:\n",
    );
    for r in 0..count {
        let n = format!("R{seed}x{r}");
        let open = if (seed + r).is_multiple_of(17) {
            "0.0.0.0/0"
        } else {
            "10.1.0.0/16"
        };
        let _ = match r % 5 {
            0 => write!(
                t,
                "  {n}:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: !Sub '${{AWS::StackName}} {n}'\n      VpcId: !Ref Vpc\n      SecurityGroupIngress:\n        - {{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: {open}}}\n        - {{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !Ref Cidr}}\n      Tags:\n        - {{Key: team, Value: t{seed}}}\n"
            ),
            1 => write!(
                t,
                "  {n}:\n    Type: AWS::EC2::Instance\n    Properties:\n      ImageId: !Ref Ami\n      InstanceType: t3.micro\n      SecurityGroupIds: [!GetAtt R{seed}x0.GroupId]\n      UserData: !Base64 |\n        #!/bin/bash\n        yum -y update\n"
            ),
            2 => write!(
                t,
                "  {n}:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketEncryption:\n        ServerSideEncryptionConfiguration:\n          - ServerSideEncryptionByDefault: {{SSEAlgorithm: aws:kms}}\n      VersioningConfiguration: {{Status: Enabled}}\n"
            ),
            3 => write!(
                t,
                "  {n}:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Principal: {{Service: lambda.amazonaws.com}}\n            Action: sts:AssumeRole\n      Policies:\n        - PolicyName: logs\n          PolicyDocument:\n            Statement:\n              - {{Effect: Allow, Action: ['logs:*'], Resource: '*'}}\n"
            ),
            _ => write!(
                t,
                "  {n}:\n    Type: AWS::EC2::SecurityGroupIngress\n    Properties:\n      GroupId: !Ref R{seed}x0\n      IpProtocol: tcp\n      FromPort: 8000\n      ToPort: 8999\n      CidrIp: !If [IsProd, 10.0.0.0/8, {open}]\n"
            ),
        };
    }
    t
}

fn json_template(seed: usize, count: usize) -> String {
    let mut resources = serde_json::Map::new();
    for r in 0..count {
        let open = if (seed + r).is_multiple_of(17) {
            "0.0.0.0/0"
        } else {
            "10.1.0.0/16"
        };
        let resource = match r % 3 {
            0 => serde_json::json!({
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {
                    "GroupDescription": format!("group {r}"),
                    "SecurityGroupIngress": [
                        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": open},
                        {"IpProtocol": "-1", "CidrIpv6": "fd00::/8"}
                    ]
                }
            }),
            1 => serde_json::json!({
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "nodejs20.x", "Handler": "index.handler", "MemorySize": 128,
                    "Role": {"Fn::GetAtt": [format!("Role{r}"), "Arn"]},
                    "Environment": {"Variables": {"TABLE": {"Ref": "Table"}, "STAGE": "prod"}}
                }
            }),
            _ => serde_json::json!({
                "Type": "AWS::EC2::Instance",
                "Properties": {"ImageId": "ami-0123456789abcdef0", "InstanceType": "t3.small"}
            }),
        };
        resources.insert(format!("R{seed}x{r}"), resource);
    }
    let doc = serde_json::json!({"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources});
    serde_json::to_string_pretty(&doc).expect("JSON")
}
