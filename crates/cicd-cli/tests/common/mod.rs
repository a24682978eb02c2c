//! What the `cicd validate` tests share: running the binary, and writing
//! templates of every kind into a scratch directory.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub fn workspace() -> PathBuf {
    harness::workspace_root()
}

/// `cicd ARGS` in `dir`, its output captured.
fn command<S: AsRef<OsStr>>(dir: &Path, args: &[S]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cicd"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs `cicd ARGS` in `dir` with `stdin` on its standard input.
pub fn cicd_in(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = command(dir, args)
        .stdin(Stdio::piped())
        .spawn()
        .expect("cicd runs");
    let mut input = child.stdin.take().expect("stdin");
    // cicd may exit before reading it all (a usage error); that is fine.
    let _ = input.write_all(stdin);
    drop(input);
    child.wait_with_output().expect("cicd finishes")
}

/// Runs `cicd ARGS` in `dir` with nothing on standard input.
pub fn cicd(dir: &Path, args: &[&str]) -> Output {
    cicd_in(dir, args, b"")
}

/// Runs `cicd ARGS` in `dir` as [`cicd`] does, but fails the test if cicd
/// has not finished within `limit` (and kills it): for inputs that could
/// make it wait forever. Not a measure of speed: the limit is generous.
pub fn cicd_within<S: AsRef<OsStr> + std::fmt::Debug>(
    dir: &Path,
    args: &[S],
    limit: Duration,
) -> Output {
    let mut child = command(dir, args)
        .stdin(Stdio::null())
        .spawn()
        .expect("cicd runs");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            pipe.read_to_end(&mut bytes).expect("read cicd's output");
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for cicd") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("cicd {args:?} did not finish within {limit:?}: it hangs on its input");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().expect("stdout read"),
        stderr: stderr.join().expect("stderr read"),
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

/// The verdict lines of a text report: `(path, verdict)`.
pub fn verdicts(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.split_once(": "))
        .filter_map(|(path, rest)| {
            let word = rest.split_whitespace().next()?;
            ["PASS", "FLAGGED", "FAIL", "ERROR"]
                .contains(&word)
                .then(|| (path.to_string(), word.to_string()))
        })
        .collect()
}

/// Writes `text` to `dir/name` (creating parent directories).
pub fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(&path, text).expect("write");
    path
}

/// A security group admitting `port` from the world (with a suppression of
/// `suppress` and its reason, if given).
pub fn open_group(name: &str, port: u16, suppress: Option<(&str, &str)>) -> String {
    let metadata = match suppress {
        Some((rule, reason)) => format!(
            "    Metadata:\n      cicd:\n        suppress:\n          - rule: {rule}\n            reason: \"{reason}\"\n"
        ),
        None => String::new(),
    };
    format!(
        "  {name}:\n    Type: AWS::EC2::SecurityGroup\n{metadata}    Properties:\n      GroupDescription: {name}\n      SecurityGroupIngress:\n        - {{IpProtocol: tcp, FromPort: {port}, ToPort: {port}, CidrIp: 0.0.0.0/0}}\n"
    )
}

/// A YAML template with these resources.
pub fn template(resources: &[String]) -> String {
    format!(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n{}",
        resources.concat()
    )
}

/// A template with nothing the rules look at.
pub fn clean_template() -> String {
    "Resources:\n  Handle:\n    Type: AWS::CloudFormation::WaitConditionHandle\n".to_string()
}

/// Gives `command` only PATH and moto's AWS settings (region, credentials),
/// but not its endpoint: the test passes `--endpoint-url`, as a developer
/// pointing at a local DynamoDB would.
pub fn moto_env<'c>(command: &'c mut Command, moto: &harness::moto::MotoServer) -> &'c mut Command {
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for (key, value) in moto.env_vars() {
        if key != "AWS_ENDPOINT_URL" {
            command.env(key, value);
        }
    }
    command
}

/// Runs `cicd ARGS --table TABLE --endpoint-url …` against moto.
pub fn cicd_moto(moto: &harness::moto::MotoServer, table: &str, args: &[&str]) -> Output {
    moto_env(&mut Command::new(env!("CARGO_BIN_EXE_cicd")), moto)
        .args(args)
        .args(["--table", table, "--endpoint-url", &moto.endpoint()])
        .output()
        .expect("cicd runs")
}

/// The SARIF 2.1.0 JSON schema (tests/fixtures/schemas), compiled.
pub fn sarif_validator() -> jsonschema::Validator {
    let text =
        std::fs::read_to_string(workspace().join("tests/fixtures/schemas/sarif-schema-2.1.0.json"))
            .unwrap();
    // The schema's two `language` patterns are ECMAScript with an unescaped
    // `]`, which the validator's (Rust) regex engine refuses: the same
    // patterns with it escaped. Nothing else is changed.
    const ECMA: &str = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    assert_eq!(text.matches(ECMA).count(), 2);
    let text = text.replace(ECMA, r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$""#);
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

/// `text` parsed, after checking it against the SARIF 2.1.0 schema.
pub fn assert_valid_sarif(text: &str) -> Value {
    let log: Value = serde_json::from_str(text).expect("SARIF is JSON");
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "not valid SARIF 2.1.0: {errors:#?}");
    log
}
