//! CodePipeline job events from arbitrary bytes.
//!
//! Bytes that are JSON are decoded as an invocation event; a decoded job's
//! `UserParameters` go through `params::raw` and `params::json`. Nothing may
//! panic, and the artifact credentials' secret key and session token never
//! show: the job's `Debug` output and the decode error are the same whatever
//! the secrets are, and never contain them.

#![no_main]

use libfuzzer_sys::fuzz_target;
use codepipeline_types::{Job, Secret, params};
use serde_json::Value;

const SECRET_KEY: &str = "SENTINEL-secret-access-key-1b7e0c";
const SESSION_TOKEN: &str = "SENTINEL-session-token-93fd2a";

/// The event with its secrets (where they are strings) replaced by sentinels.
fn with_sentinels(event: &Value) -> Option<Value> {
    let mut event = event.clone();
    let credentials = event
        .get_mut("CodePipeline.job")?
        .get_mut("data")?
        .get_mut("artifactCredentials")?
        .as_object_mut()?;
    let mut replaced = false;
    for (key, sentinel) in [
        ("secretAccessKey", SECRET_KEY),
        ("sessionToken", SESSION_TOKEN),
    ] {
        if let Some(value @ Value::String(_)) = credentials.get_mut(key) {
            *value = Value::String(sentinel.to_string());
            replaced = true;
        }
    }
    replaced.then_some(event)
}

fn shown(decoded: &Result<Job, codepipeline_types::DecodeError>) -> String {
    match decoded {
        Ok(job) => format!("{job:?}"),
        Err(e) => format!("{e} / {e:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(event) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let decoded = Job::decode(&event);
    if let Ok(job) = &decoded {
        // Debug never looks at the secrets: other secrets, same output. (A
        // plain "does not contain the secret" test is wrong when another
        // field, shown on purpose, happens to hold the same text.)
        if job.data.artifact_credentials.is_some() {
            let mut other = job.clone();
            let replaced = other.data.artifact_credentials.as_mut().unwrap();
            replaced.secret_access_key = Secret::new(SECRET_KEY);
            replaced.session_token = Secret::new(SESSION_TOKEN);
            let debug = format!("{job:?}");
            assert_eq!(debug, format!("{other:?}"), "Debug depends on the secrets");
            assert!(debug.contains("***"));
        }
        if let Ok(text) = params::raw(job) {
            assert!(!text.trim().is_empty());
            let _ = params::json::<Value>(text).map(|v| assert!(v.is_object()));
        }
        let _ = job.user_parameters();
    }
    if let Some(sentineled) = with_sentinels(&event) {
        let other = Job::decode(&sentineled);
        let (before, after) = (shown(&decoded), shown(&other));
        assert_eq!(before, after, "what is shown depends on the secrets");
        // The sentinels are nowhere else in the event (unless the fuzzer
        // planted them there), so showing one means showing a secret.
        let elsewhere = event.to_string();
        if !elsewhere.contains(SECRET_KEY) && !elsewhere.contains(SESSION_TOKEN) {
            assert!(
                !after.contains(SECRET_KEY) && !after.contains(SESSION_TOKEN),
                "{after}"
            );
        }
    }
});
