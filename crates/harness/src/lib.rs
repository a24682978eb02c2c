//! Shared test harness for the workspace's integration tests.
//!
//! Tests run the real Lambda binaries and the real AWS SDK clients against
//! local stand-ins, because there is no AWS account and no network here:
//!
//! - [`moto::MotoServer`]: S3, DynamoDB and CloudFormation (moto's server mode);
//!   [`release::ReleaseStack`]: a release on it, with a target group,
//!   instances and alarms (EC2, ELBv2, CloudWatch).
//! - [`codepipeline::FakeCodePipeline`]: CodePipeline's job-worker API, which
//!   no emulator has; a protocol-level fake of the awsJson1.1 service.
//! - [`runtime_api::RuntimeApi`] and [`lambda_process::LambdaProcess`]: the
//!   Lambda Runtime API, and a `bootstrap` binary running under it as it
//!   would in Lambda.
//! - [`stage::Stage`]: the stage test rig, all of the above around one
//!   function, with every job checked to end in exactly one report. A
//!   stage's tests start there.
//! - [`calculator::Calculator`]: the demo web app that `service-status` checks.
//! - [`events::JobEvent`]: realistic CodePipeline job events.
//! - [`netns::isolated`]: a test run again where only loopback exists.
//!
//! Every child process is killed when the test process ends, even though Rust
//! never drops statics (see [`process`]).
//!
//! A stage's tests start with [`stage::Stage`]; the crate's README lists
//! everything else.

#![warn(missing_docs)]

pub mod calculator;
pub mod codepipeline;
pub mod events;
pub mod http_client;
pub mod lambda_process;
pub mod logs;
pub mod moto;
pub mod netns;
pub mod process;
pub mod release;
pub mod runtime_api;
pub mod server;
pub mod slow;
pub mod stage;
pub mod zip;

use std::hash::{BuildHasher, Hasher};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A loopback TCP port that was free a moment ago.
///
/// The OS picks it (bind to port 0), so parallel tests rarely collide; a
/// server that loses the race fails to bind, and callers that can retry do.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0 to find a free port");
    listener
        .local_addr()
        .expect("local address of a bound listener")
        .port()
}

/// `prefix` plus a short random suffix: lowercase letters, digits and `-`,
/// at most 63 characters, so it is a valid S3 bucket, DynamoDB table and
/// CloudFormation stack name.
///
/// Tests share one moto server and run in parallel, so each test names its
/// resources with this.
pub fn unique_name(prefix: &str) -> String {
    let mut clean: String = prefix
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    // Bucket names must start with a letter or digit.
    if !clean.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        clean.insert(0, 't');
    }
    clean.truncate(50);
    let clean = clean.trim_end_matches('-');
    format!("{clean}-{}", random_alnum(10))
}

/// SDK configuration for a local endpoint: region `us-east-1`, the static
/// harness credentials ([`moto::ACCESS_KEY_ID`]), standard retries.
///
/// Built directly rather than with `aws_config::load_from_env`, so nothing
/// from the environment, `~/.aws` or instance metadata leaks in.
pub fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    use aws_credential_types::Credentials;
    use aws_credential_types::provider::SharedCredentialsProvider;
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(moto::REGION))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            moto::ACCESS_KEY_ID,
            moto::SECRET_ACCESS_KEY,
            None,
            None,
            "harness",
        )))
        .endpoint_url(endpoint)
        .retry_config(aws_config::retry::RetryConfig::standard())
        .build()
}

/// The workspace root: the nearest ancestor of this crate's directory whose
/// `Cargo.toml` has a `[workspace]` table.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in manifest_dir.ancestors() {
        let manifest = dir.join("Cargo.toml");
        if let Ok(text) = std::fs::read_to_string(&manifest)
            && text.lines().any(|l| l.trim() == "[workspace]")
        {
            return dir.to_path_buf();
        }
    }
    // crates/harness -> the workspace root.
    manifest_dir
        .ancestors()
        .nth(2)
        .expect("the harness crate lives inside the workspace")
        .to_path_buf()
}

/// The path of a workspace binary, e.g. `binary("cfn-validate")`.
///
/// Looks in `<target dir>/<profile>/<name>`: the target directory is
/// `CARGO_TARGET_DIR` if set, else the one this test executable was built
/// into, else `<workspace>/target`; the profile is `HARNESS_PROFILE`
/// (e.g. `release`), else `debug`.
///
/// Panics if the binary is missing: integration tests do not build it,
/// because `cargo test -p X` does not build other packages' binaries.
pub fn binary(name: &str) -> PathBuf {
    let profile = std::env::var("HARNESS_PROFILE").unwrap_or_else(|_| "debug".to_string());
    let path = target_dir().join(&profile).join(name);
    if !path.is_file() {
        let flag = if profile == "debug" {
            String::new()
        } else if profile == "release" {
            " --release".to_string()
        } else {
            format!(" --profile {profile}")
        };
        panic!(
            "binary {} not found; build it first: cargo build -p {name}{flag}",
            path.display()
        );
    }
    path
}

/// The cargo target directory (see [`binary`]).
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        let dir = PathBuf::from(dir);
        return if dir.is_absolute() {
            dir
        } else {
            workspace_root().join(dir)
        };
    }
    // Test executables live in <target>/<profile>/deps/.
    if let Ok(exe) = std::env::current_exe() {
        let mut parents = exe.ancestors().skip(1);
        if let (Some(deps), Some(_profile), Some(target)) =
            (parents.next(), parents.next(), parents.next())
            && deps.file_name().is_some_and(|n| n == "deps")
        {
            return target.to_path_buf();
        }
    }
    workspace_root().join("target")
}

/// A random UUID (version 4), lowercase, as AWS uses for job and request ids.
pub fn uuid_v4() -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&random_u64().to_le_bytes());
    bytes[8..].copy_from_slice(&random_u64().to_le_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Whether `s` is a lowercase or uppercase hyphenated UUID.
pub fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Random enough for test names and fake ids; not for cryptography.
/// std's `RandomState` is seeded from the OS, so no extra dependency.
pub(crate) fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    hasher.write_u32(std::process::id());
    hasher.finish()
}

/// `len` random characters from `[a-z0-9]`.
pub(crate) fn random_alnum(len: usize) -> String {
    random_from(b"abcdefghijklmnopqrstuvwxyz0123456789", len)
}

/// `len` random characters drawn from `alphabet`.
pub(crate) fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut bits = random_u64();
    let mut left = 8;
    while out.len() < len {
        if left == 0 {
            bits = random_u64();
            left = 8;
        }
        out.push(alphabet[(bits & 0xff) as usize % alphabet.len()] as char);
        bits >>= 8;
        left -= 1;
    }
    out
}

/// Milliseconds since the Unix epoch.
pub(crate) fn epoch_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}
