//! Settings from the environment, shared by the Lambda function and the CLI
//! so that both check the same way.
//!
//! | variable | meaning |
//! |---|---|
//! | `HEALTH_CHECK_ALLOW_LINK_LOCAL` | `true` (or `1`, `yes`) allows link-local targets and the instance metadata address; refused by default |
//! | `HEALTH_CHECK_ALLOW_LOOPBACK` | `true` allows loopback targets (127.0.0.0/8, `::1`), for local tests and the demo; refused by default, since in Lambda loopback reaches the Runtime API |
//! | `HEALTH_CHECK_CA_FILE` | a PEM file of extra CA certificates to trust for `https` targets, besides the system's (e.g. a private CA, or a test's self-signed one) |
//!
//! The CA file is read once, when the settings are loaded (at start-up), so a
//! missing or unreadable file is reported before any check runs. The
//! system's trust store itself comes from the platform verifier; on Linux it
//! honours `SSL_CERT_FILE`/`SSL_CERT_DIR`, but those *replace* the system
//! store, which is why the extra file has its own variable.

use std::path::{Path, PathBuf};

use crate::policy::TargetPolicy;
pub use crate::policy::{ALLOW_LINK_LOCAL_VAR, ALLOW_LOOPBACK_VAR};
/// Names a PEM file of extra trusted CA certificates.
pub const CA_FILE_VAR: &str = "HEALTH_CHECK_CA_FILE";

/// How checks are made, beyond what each check asks for.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Which refused kinds of address are allowed after all.
    pub policy: TargetPolicy,
    /// Extra trusted CA certificates (PEM), with the file they came from.
    pub extra_roots: Option<ExtraRoots>,
}

/// CA certificates to trust besides the system's.
#[derive(Clone)]
pub struct ExtraRoots {
    /// The file they were read from.
    pub path: PathBuf,
    /// The certificates in it.
    pub certificates: Vec<reqwest::Certificate>,
}

impl std::fmt::Debug for ExtraRoots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ExtraRoots({}, {} certificate(s))",
            self.path.display(),
            self.certificates.len()
        )
    }
}

/// A setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[allow(missing_docs)] // the fields are named for what they hold, and the messages say the rest
pub enum SettingsError {
    /// A flag variable that is neither yes nor no.
    #[error("{var}={value:?} is not a yes/no value (use true or false)")]
    Flag { var: &'static str, value: String },
    /// A CA file that cannot be read, or holds no certificate.
    #[error("{var}: cannot read the CA file {path}: {reason}")]
    CaFile {
        var: &'static str,
        path: String,
        reason: String,
    },
}

impl Settings {
    /// Reads [`ALLOW_LINK_LOCAL_VAR`], [`ALLOW_LOOPBACK_VAR`] and
    /// [`CA_FILE_VAR`] from the process environment.
    pub fn from_env() -> Result<Settings, SettingsError> {
        Settings::from_vars(|name| std::env::var(name).ok())
    }

    /// Like [`Settings::from_env`], reading variables through `var`.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Settings, SettingsError> {
        let flag = |name: &'static str| match var(name) {
            None => Ok(false),
            Some(value) => parse_flag(&value).ok_or(SettingsError::Flag { var: name, value }),
        };
        let policy = TargetPolicy {
            allow_link_local: flag(ALLOW_LINK_LOCAL_VAR)?,
            allow_loopback: flag(ALLOW_LOOPBACK_VAR)?,
        };
        let extra_roots = match var(CA_FILE_VAR).filter(|p| !p.trim().is_empty()) {
            None => None,
            Some(path) => Some(ExtraRoots::read(Path::new(path.trim()))?),
        };
        Ok(Settings {
            policy,
            extra_roots,
        })
    }
}

impl ExtraRoots {
    /// Reads a PEM file holding one or more certificates.
    pub fn read(path: &Path) -> Result<ExtraRoots, SettingsError> {
        let error = |reason: String| SettingsError::CaFile {
            var: CA_FILE_VAR,
            path: path.display().to_string(),
            reason,
        };
        let pem = std::fs::read(path).map_err(|e| error(e.to_string()))?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| error(format!("not PEM certificates ({e})")))?;
        if certificates.is_empty() {
            return Err(error("it holds no PEM certificate".to_string()));
        }
        Ok(ExtraRoots {
            path: path.to_path_buf(),
            certificates,
        })
    }
}

fn parse_flag(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "" | "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn link_local_is_refused_unless_explicitly_allowed() {
        assert!(
            !Settings::from_vars(vars(&[]))
                .unwrap()
                .policy
                .allow_link_local
        );
        for yes in ["true", "1", "YES", " on "] {
            let settings = Settings::from_vars(vars(&[(ALLOW_LINK_LOCAL_VAR, yes)])).unwrap();
            assert!(settings.policy.allow_link_local, "{yes}");
        }
        for no in ["false", "0", ""] {
            let settings = Settings::from_vars(vars(&[(ALLOW_LINK_LOCAL_VAR, no)])).unwrap();
            assert!(!settings.policy.allow_link_local, "{no}");
        }
        assert_eq!(
            Settings::from_vars(vars(&[(ALLOW_LINK_LOCAL_VAR, "maybe")])).unwrap_err(),
            SettingsError::Flag {
                var: ALLOW_LINK_LOCAL_VAR,
                value: "maybe".to_string()
            }
        );
    }

    #[test]
    fn loopback_is_refused_unless_explicitly_allowed_and_apart_from_link_local() {
        let policy = |pairs: &[(&str, &str)]| Settings::from_vars(vars(pairs)).unwrap().policy;
        assert!(!policy(&[]).allow_loopback);
        let loopback = policy(&[(ALLOW_LOOPBACK_VAR, "true")]);
        assert!(loopback.allow_loopback && !loopback.allow_link_local);
        let link_local = policy(&[(ALLOW_LINK_LOCAL_VAR, "true")]);
        assert!(link_local.allow_link_local && !link_local.allow_loopback);
        assert_eq!(
            Settings::from_vars(vars(&[(ALLOW_LOOPBACK_VAR, "sure")])).unwrap_err(),
            SettingsError::Flag {
                var: ALLOW_LOOPBACK_VAR,
                value: "sure".to_string()
            }
        );
    }

    #[test]
    fn a_missing_or_empty_ca_file_is_an_error_naming_it() {
        let error = Settings::from_vars(vars(&[(CA_FILE_VAR, "/nonexistent/ca.pem")])).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("HEALTH_CHECK_CA_FILE: cannot read the CA file /nonexistent/ca.pem: "),
            "{error}"
        );
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let error = ExtraRoots::read(&empty).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "HEALTH_CHECK_CA_FILE: cannot read the CA file {}: it holds no PEM certificate",
                empty.display()
            )
        );
    }

    #[test]
    fn a_pem_ca_file_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        let ca = rcgen::generate_simple_self_signed(vec!["ca.test".to_string()]).unwrap();
        std::fs::write(&path, ca.cert.pem()).unwrap();
        let settings = Settings::from_vars(vars(&[(CA_FILE_VAR, path.to_str().unwrap())])).unwrap();
        let roots = settings.extra_roots.unwrap();
        assert_eq!(roots.certificates.len(), 1);
        assert_eq!(roots.path, path);
    }
}
