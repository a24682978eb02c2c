//! moto in server mode: S3, DynamoDB and CloudFormation on loopback (and
//! EC2, ELBv2 and CloudWatch for a release's health: see [`crate::release`]).
//!
//! One server per test process ([`MotoServer::shared`]) is enough because
//! tests name their resources with [`crate::unique_name`]; a private server
//! ([`MotoServer::start`]) is there for tests that need an empty account.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_config::SdkConfig;

use crate::process::ManagedChild;

/// The static credentials every harness SDK client signs with. moto accepts
/// any; they are distinctive so a test can check they never leak into logs.
pub const ACCESS_KEY_ID: &str = "AKIDTESTHARNESS";
/// See [`ACCESS_KEY_ID`].
pub const SECRET_ACCESS_KEY: &str = "harness-secret";
/// The region of everything the harness creates.
pub const REGION: &str = "us-east-1";

/// How long moto may take to answer its first request.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// A running `moto_server`.
#[derive(Debug)]
pub struct MotoServer {
    port: u16,
    child: ManagedChild,
}

impl MotoServer {
    /// The server shared by every test in this process, started on first use.
    /// It is killed when the process exits (see [`crate::process`]).
    pub fn shared() -> &'static MotoServer {
        static SHARED: OnceLock<MotoServer> = OnceLock::new();
        SHARED.get_or_init(MotoServer::start)
    }

    /// A private server, killed on Drop.
    pub fn start() -> MotoServer {
        let binary = locate_moto_server();
        // A port from free_port() can be taken by someone else before moto
        // binds it; try a few.
        let mut last_error = String::new();
        for _ in 0..3 {
            match try_start(&binary) {
                Ok(server) => return server,
                Err(e) => last_error = e,
            }
        }
        panic!(
            "moto_server ({}) did not start: {last_error}",
            binary.display()
        );
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.pid()
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's recent log lines (moto logs each request to stderr).
    pub fn logs(&self) -> Vec<String> {
        self.child.lines()
    }

    /// SDK configuration pointing at this server: region `us-east-1`, the
    /// static harness credentials, standard retries. Built directly (not
    /// from the environment) so tests are hermetic.
    pub fn sdk_config(&self) -> SdkConfig {
        crate::sdk_config(&self.endpoint())
    }

    /// Environment variables that point a Lambda binary's SDK (loaded with
    /// `aws_config::load_from_env`) at this server with the harness
    /// credentials. Pass them to [`crate::lambda_process::LambdaProcess::spawn`].
    pub fn env_vars(&self) -> Vec<(String, String)> {
        vec![
            ("AWS_ENDPOINT_URL".to_string(), self.endpoint()),
            ("AWS_ACCESS_KEY_ID".to_string(), ACCESS_KEY_ID.to_string()),
            (
                "AWS_SECRET_ACCESS_KEY".to_string(),
                SECRET_ACCESS_KEY.to_string(),
            ),
            ("AWS_REGION".to_string(), REGION.to_string()),
        ]
    }

    /// An S3 client with path-style addressing (virtual-hosted style would
    /// need DNS for `<bucket>.127.0.0.1`).
    pub fn s3(&self) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::from(&self.sdk_config())
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// A DynamoDB client.
    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk_config())
    }

    /// A CloudFormation client.
    pub fn cloudformation(&self) -> aws_sdk_cloudformation::Client {
        aws_sdk_cloudformation::Client::new(&self.sdk_config())
    }

    /// Creates an S3 bucket; panics on failure.
    pub async fn create_bucket(&self, name: &str) {
        self.s3()
            .create_bucket()
            .bucket(name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("create bucket {name}: {}", error_text(&e)));
    }

    /// Uploads an object; panics on failure.
    pub async fn put_object(&self, bucket: &str, key: &str, bytes: impl AsRef<[u8]>) {
        self.s3()
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(bytes.as_ref().to_vec().into())
            .send()
            .await
            .unwrap_or_else(|e| panic!("put s3://{bucket}/{key}: {}", error_text(&e)));
    }

    /// Downloads an object; `None` if the key does not exist, panics on any
    /// other error.
    pub async fn get_object(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        match self.s3().get_object().bucket(bucket).key(key).send().await {
            Ok(output) => Some(
                output
                    .body
                    .collect()
                    .await
                    .unwrap_or_else(|e| panic!("read body of s3://{bucket}/{key}: {e}"))
                    .into_bytes()
                    .to_vec(),
            ),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => None,
            Err(e) => panic!("get s3://{bucket}/{key}: {}", error_text(&e)),
        }
    }

    /// Creates the rules table: hash key `rule` (string), on-demand billing.
    pub async fn create_rules_table(&self, name: &str) {
        use aws_sdk_dynamodb::types::{
            AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
        };
        self.dynamodb()
            .create_table()
            .table_name(name)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("rule")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .expect("valid attribute definition"),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("rule")
                    .key_type(KeyType::Hash)
                    .build()
                    .expect("valid key schema"),
            )
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await
            .unwrap_or_else(|e| panic!("create table {name}: {}", error_text(&e)));
    }

    /// Creates a CloudFormation stack whose outputs contain
    /// `output_key = output_value`, and checks that `DescribeStacks` shows it.
    /// The stack's only resource is a `WaitConditionHandle`, which moto
    /// creates instantly. Returns the stack id.
    pub async fn create_stack_with_output(
        &self,
        stack_name: &str,
        output_key: &str,
        output_value: &str,
    ) -> String {
        let template = serde_json::json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Resources": {
                "Handle": { "Type": "AWS::CloudFormation::WaitConditionHandle" }
            },
            "Outputs": {
                output_key: { "Value": output_value }
            }
        });
        let cfn = self.cloudformation();
        let created = cfn
            .create_stack()
            .stack_name(stack_name)
            .template_body(template.to_string())
            .send()
            .await
            .unwrap_or_else(|e| panic!("create stack {stack_name}: {}", error_text(&e)));
        let stack_id = created.stack_id.unwrap_or_default();

        // moto creates synchronously, but poll briefly in case that changes.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let described = cfn
                .describe_stacks()
                .stack_name(stack_name)
                .send()
                .await
                .unwrap_or_else(|e| panic!("describe stack {stack_name}: {}", error_text(&e)));
            let stack = described
                .stacks()
                .first()
                .unwrap_or_else(|| panic!("describe_stacks returned no stack {stack_name}"));
            let found = stack.outputs().iter().any(|o| {
                o.output_key() == Some(output_key) && o.output_value() == Some(output_value)
            });
            if found {
                return stack_id;
            }
            if Instant::now() >= deadline {
                panic!(
                    "stack {stack_name} has no output {output_key}={output_value}: status {:?}, outputs {:?}",
                    stack.stack_status(),
                    stack.outputs()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The full error chain of an SDK error (its Display is only "service error").
pub(crate) fn error_text(e: &dyn std::error::Error) -> String {
    let mut text = format!("{e}");
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    format!("{text} ({e:?})")
}

/// `MOTO_SERVER`, else `<workspace>/.venv/bin/moto_server`, else `moto_server`
/// on PATH.
fn locate_moto_server() -> PathBuf {
    if let Some(path) = std::env::var_os("MOTO_SERVER") {
        return PathBuf::from(path);
    }
    let venv = crate::workspace_root().join(".venv/bin/moto_server");
    if venv.is_file() {
        return venv;
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join("moto_server");
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "moto_server not found (looked at $MOTO_SERVER, {}, and PATH); run `make tools` (installs moto into .venv)",
        venv.display()
    );
}

fn try_start(binary: &PathBuf) -> Result<MotoServer, String> {
    let port = crate::free_port();
    let mut command = Command::new(binary);
    command.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
    // moto itself needs no AWS settings; keep the parent's out of it.
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("AWS_") {
            command.env_remove(&key);
        }
    }
    let child = ManagedChild::spawn("moto_server", command, Some(200))
        .map_err(|e| format!("spawn {}: {e}", binary.display()))?;
    let server = MotoServer { port, child };

    let url = format!("{}/moto-api/", server.endpoint());
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        if let Ok(response) = crate::http_client::get(&url, Duration::from_secs(2))
            && response.status == 200
        {
            return Ok(server);
        }
        if let Some(status) = server.child.try_wait() {
            return Err(format!(
                "exited with {status} on port {port}; stderr tail:\n{}",
                server.child.tail(30)
            ));
        }
        if Instant::now() >= deadline {
            panic!(
                "moto_server on port {port} did not answer GET /moto-api/ within {STARTUP_TIMEOUT:?}; output tail:\n{}",
                server.child.tail(30)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
