//! Parse + evaluate, on generated templates of growing size.
//!
//! `cargo bench -p template-rules` (criterion). The largest case is a template
//! of about 1 MB, CloudFormation's own limit, in JSON and in YAML.

use std::fmt::Write;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use template_rules::{Limits, RuleSet, Template, Thresholds, evaluate};

/// `n` security groups on one line each (minified JSON, as tools emit it),
/// each open to the world on 443 and with an SSH rule from a parameter.
fn compact_template(n: usize) -> String {
    let mut out = String::from(
        r#"{"Parameters":{"Cidr":{"Type":"String","Default":"10.0.0.0/8"}},"Resources":{"#,
    );
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        write!(
            out,
            r#""Sg{i}":{{"Type":"AWS::EC2::SecurityGroup","Properties":{{"GroupDescription":"g{i}","SecurityGroupIngress":[{{"IpProtocol":"tcp","FromPort":443,"ToPort":443,"CidrIp":"0.0.0.0/0"}},{{"IpProtocol":"tcp","FromPort":22,"ToPort":22,"CidrIp":{{"Ref":"Cidr"}}}}]}}}}"#
        )
        .unwrap();
    }
    out.push_str("}}");
    out
}

/// `n` security groups, each with a few ingress permissions (one open to the
/// world on 443), an instance every tenth group, in JSON.
fn json_template(n: usize) -> String {
    let mut out = String::from(
        "{\n  \"AWSTemplateFormatVersion\": \"2010-09-09\",\n  \"Parameters\": {\"Cidr\": {\"Type\": \"String\", \"Default\": \"10.0.0.0/8\"}},\n  \"Resources\": {\n",
    );
    for i in 0..n {
        let sep = if i + 1 == n { "" } else { "," };
        write!(
            out,
            "    \"Sg{i}\": {{\n      \"Type\": \"AWS::EC2::SecurityGroup\",\n      \"Properties\": {{\n        \"GroupDescription\": \"group {i} for service {i}\",\n        \"VpcId\": {{\"Ref\": \"Vpc\"}},\n        \"SecurityGroupIngress\": [\n          {{\"IpProtocol\": \"tcp\", \"FromPort\": 443, \"ToPort\": 443, \"CidrIp\": \"0.0.0.0/0\"}},\n          {{\"IpProtocol\": \"tcp\", \"FromPort\": 22, \"ToPort\": 22, \"CidrIp\": {{\"Ref\": \"Cidr\"}}}},\n          {{\"IpProtocol\": \"tcp\", \"FromPort\": 8000, \"ToPort\": 8999, \"SourceSecurityGroupId\": {{\"Fn::GetAtt\": [\"Sg{i}\", \"GroupId\"]}}}}\n        ],\n        \"SecurityGroupEgress\": [{{\"IpProtocol\": \"-1\", \"CidrIp\": \"0.0.0.0/0\"}}]\n      }}\n    }}{sep}\n"
        )
        .unwrap();
    }
    out.push_str("  }\n}\n");
    out
}

fn yaml_template(n: usize) -> String {
    let mut out = String::from(
        "AWSTemplateFormatVersion: \"2010-09-09\"\nParameters:\n  Cidr: {Type: String, Default: 10.0.0.0/8}\nResources:\n",
    );
    for i in 0..n {
        write!(
            out,
            "  Sg{i}:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      GroupDescription: group {i} for service {i}\n      VpcId: !Ref Vpc\n      SecurityGroupIngress:\n        - IpProtocol: tcp\n          FromPort: 443\n          ToPort: 443\n          CidrIp: 0.0.0.0/0\n        - IpProtocol: tcp\n          FromPort: 22\n          ToPort: 22\n          CidrIp: !Ref Cidr\n        - IpProtocol: tcp\n          FromPort: 8000\n          ToPort: 8999\n          SourceSecurityGroupId: !GetAtt Sg{i}.GroupId\n      SecurityGroupEgress:\n        - IpProtocol: \"-1\"\n          CidrIp: 0.0.0.0/0\n"
        )
        .unwrap();
    }
    out
}

/// The number of groups whose template is just under `bytes`.
fn groups_for(bytes: usize, generate: fn(usize) -> String) -> usize {
    let per_group = generate(101).len() - generate(1).len();
    (bytes - generate(0).len()) / (per_group / 100)
}

fn check(text: &str, rules: &RuleSet) -> u64 {
    // 5 000 groups are a little over CloudFormation's 1 MiB; the cap is
    // raised here so the series measures the engine, not the limit.
    let limits = Limits {
        max_bytes: 4 * 1024 * 1024,
        ..Limits::default()
    };
    let template =
        Template::parse_with(text.as_bytes(), limits).expect("generated template parses");
    evaluate(&template, rules, &Thresholds::default())
        .unwrap()
        .risk
}

fn bench(c: &mut Criterion) {
    let rules = RuleSet::defaults();
    let mut group = c.benchmark_group("parse+evaluate");
    for n in [10, 100, 1_000, 5_000] {
        let text = compact_template(n);
        assert_eq!(check(&text, &rules), 100 * n as u64);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::new("security-groups", n), &text, |b, text| {
            b.iter(|| check(black_box(text), &rules));
        });
    }
    for (name, generate) in [
        ("json-1MB", json_template as fn(usize) -> String),
        ("yaml-1MB", yaml_template),
    ] {
        let mut n = groups_for(1_000_000, generate);
        let mut text = generate(n);
        while text.len() > 1_000_000 {
            n -= 1;
            text = generate(n);
        }
        assert_eq!(
            check(&text, &rules),
            100 * n as u64,
            "every group is open to the world on 443"
        );
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(
            BenchmarkId::new(name, format!("{n}-groups-{}-bytes", text.len())),
            &text,
            |b, text| {
                b.iter(|| check(black_box(text), &rules));
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
