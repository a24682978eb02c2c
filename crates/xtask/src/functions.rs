//! The pipeline's Lambda functions: the workspace packages with
//! `[package.metadata.lambda.deploy]`, read through `cargo metadata` (the
//! same list `tools/functions.py` gives the Makefile and the scripts).

use std::process::Command;

use serde_json::Value;

/// A function: its package (and binary) name, and its deploy settings.
pub struct Function {
    pub name: String,
    /// `[package.metadata.lambda.deploy]`: `memory`, `timeout`, `env`, ...
    pub deploy: Value,
}

impl Function {
    /// Its `MemorySize` in MB (`memory` in the deploy metadata).
    pub fn memory_mb(&self) -> Option<u64> {
        self.deploy["memory"].as_u64()
    }

    /// The environment it is deployed with (`env` in the deploy metadata).
    pub fn deploy_env(&self) -> impl Iterator<Item = (&str, &str)> {
        self.deploy["env"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
    }
}

/// The workspace's functions, sorted by name; an error if there are none.
pub fn functions() -> Result<Vec<Function>, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(harness::workspace_root())
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let metadata: Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("cargo metadata printed no JSON: {e}"))?;
    let mut functions: Vec<Function> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|package| package["metadata"]["lambda"]["deploy"].is_object())
        .map(|package| Function {
            name: package["name"].as_str().unwrap_or_default().to_string(),
            deploy: package["metadata"]["lambda"]["deploy"].clone(),
        })
        .collect();
    functions.sort_by(|a, b| a.name.cmp(&b.name));
    if functions.is_empty() {
        return Err("no workspace package has [package.metadata.lambda.deploy]".to_string());
    }
    Ok(functions)
}

/// The function called `name`; an error naming the ones there are.
pub fn function(name: &str) -> Result<Function, String> {
    let all = functions()?;
    let names: Vec<String> = all.iter().map(|f| f.name.clone()).collect();
    all.into_iter()
        .find(|f| f.name == name)
        .ok_or_else(|| format!("no function {name}; the functions are {}", names.join(", ")))
}
