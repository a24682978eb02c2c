//! The `cicd-validate` pre-commit hook (`.pre-commit-hooks.yaml` at the
//! repository root), run by pre-commit itself in a throwaway git repository:
//! a commit with a template open to SSH is refused, a clean one goes through,
//! and the other JSON and YAML files a commit touches are left alone.
//!
//! pre-commit comes from `PRE_COMMIT`, else `.venv/bin/pre-commit` (`make
//! tools` installs it, pinned in tools/requirements.txt), else PATH. The
//! hook is `language: system`: the `cicd` built for these tests is first on
//! PATH.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

fn pre_commit() -> PathBuf {
    if let Some(path) = std::env::var_os("PRE_COMMIT") {
        return PathBuf::from(path);
    }
    let venv = workspace().join(".venv/bin/pre-commit");
    if venv.is_file() {
        return venv;
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("pre-commit"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "pre-commit not found ($PRE_COMMIT, {}, PATH): run `make tools`",
                venv.display()
            )
        })
}

/// A git repository whose pre-commit configuration uses this repository's
/// hook definition, installed as its git hook.
struct Repo {
    dir: tempfile::TempDir,
    path: std::ffi::OsString,
}

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let cicd_dir = Path::new(env!("CARGO_BIN_EXE_cicd"))
            .parent()
            .unwrap()
            .to_path_buf();
        let mut paths = vec![cicd_dir];
        paths.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        let repo = Repo {
            dir,
            path: std::env::join_paths(paths).unwrap(),
        };
        repo.git(&["init", "-q", "-b", "main"]);
        // The hook as this repository publishes it, used as a local hook.
        let hooks = std::fs::read(workspace().join(".pre-commit-hooks.yaml")).unwrap();
        let hooks = template_rules::parse_document(&hooks).expect(".pre-commit-hooks.yaml parses");
        let hook = hooks
            .as_array()
            .and_then(|h| h.iter().find(|h| h["id"] == "cicd-validate"))
            .expect("a cicd-validate hook")
            .clone();
        let config = serde_json::json!({"repos": [{"repo": "local", "hooks": [hook]}]});
        write(
            repo.dir.path(),
            ".pre-commit-config.yaml",
            config.to_string(),
        );
        let installed = repo.run(Command::new(pre_commit()).arg("install"));
        assert!(installed.status.success(), "{}", stderr(&installed));
        repo
    }

    fn run(&self, command: &mut Command) -> Output {
        command
            .current_dir(self.dir.path())
            .env("PATH", &self.path)
            .env("PRE_COMMIT_HOME", self.dir.path().join(".cache"))
            .env("GIT_AUTHOR_NAME", "Dev")
            .env("GIT_AUTHOR_EMAIL", "dev@example.com")
            .env("GIT_COMMITTER_NAME", "Dev")
            .env("GIT_COMMITTER_EMAIL", "dev@example.com")
            .env_remove("GIT_DIR")
            .env_remove("GIT_INDEX_FILE")
            .output()
            .expect("the command runs")
    }

    fn git(&self, args: &[&str]) -> Output {
        let out = self.run(Command::new("git").args(args));
        assert!(
            out.status.success() || args[0] == "commit",
            "git {args:?}: {}",
            stderr(&out)
        );
        out
    }

    /// Stages `files` and commits them; the output of `git commit`.
    fn commit(&self, message: &str, files: &[(&str, String)]) -> Output {
        for (name, text) in files {
            write(self.dir.path(), name, text);
            self.git(&["add", name]);
        }
        self.git(&["commit", "-q", "-m", message])
    }

    fn commits(&self) -> usize {
        let out = self.run(Command::new("git").args(["rev-list", "--count", "--all"]));
        stdout(&out).trim().parse().unwrap_or(0)
    }
}

#[test]
fn the_hook_refuses_a_template_open_to_ssh_and_lets_a_clean_one_through() {
    let repo = Repo::new();
    // A clean template, and JSON and YAML files that are not templates.
    let clean = repo.commit(
        "a clean stack",
        &[
            ("infra/stack.yaml", clean_template()),
            ("package.json", r#"{"name": "app"}"#.to_string()),
            (".github/workflows/ci.yml", "on: push\n".to_string()),
        ],
    );
    assert!(
        clean.status.success(),
        "{}{}",
        stdout(&clean),
        stderr(&clean)
    );
    assert_eq!(repo.commits(), 1);

    let refused = repo.commit(
        "a bastion",
        &[(
            "infra/bastion.yaml",
            template(&[open_group("BastionSg", 22, None)]),
        )],
    );
    assert!(!refused.status.success(), "the commit went through");
    let said = format!("{}{}", stdout(&refused), stderr(&refused));
    assert!(
        said.contains("infra/bastion.yaml: FAIL  risk 200"),
        "{said}"
    );
    assert!(said.contains("SSHOpenToWorld"), "{said}");
    assert_eq!(repo.commits(), 1, "refused");

    // Both findings suppressed with a reason: it goes through.
    let reviewed = template(&[open_group("BastionSg", 22, Some(("SSHOpenToWorld", "VPN only")))])
        .replace(
            "            reason: \"VPN only\"\n",
            "            reason: \"VPN only\"\n          - rule: IngressOpenToWorld\n            reason: \"VPN only\"\n",
        );
    let accepted = repo.commit("a reviewed bastion", &[("infra/bastion.yaml", reviewed)]);
    assert!(
        accepted.status.success(),
        "{}{}",
        stdout(&accepted),
        stderr(&accepted)
    );
    assert_eq!(repo.commits(), 2);
}
