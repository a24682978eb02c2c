#!/usr/bin/env python3
"""The pipeline's Lambda functions, listed once: a function is a workspace
package with `[package.metadata.lambda.deploy]` (what `cargo lambda deploy`
reads), found through `cargo metadata`.

The Makefile (FUNCTIONS), tools/stack.sh, tools/test_templates.py and
tests/e2e/deploy_smoke.py read the list here; `cargo xtask` reads the same
metadata (crates/xtask/src/functions.rs). Adding a function to the
workspace with that table is all it takes to be built, packaged, deployed,
benchmarked and checked against cicd.yaml.

    tools/functions.py          # their names, one a line
    tools/functions.py --json   # [{"name", "manifest_dir", "deploy"}, ...]
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lambda_functions():
    """The functions, sorted by name: each one's package name, the directory
    of its Cargo.toml, and its `[package.metadata.lambda.deploy]` table."""
    cargo = os.environ.get("CARGO", "cargo")
    metadata = subprocess.run(
        [cargo, "metadata", "--no-deps", "--format-version", "1"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    found = [
        {
            "name": package["name"],
            "manifest_dir": str(Path(package["manifest_path"]).parent),
            "deploy": ((package.get("metadata") or {}).get("lambda") or {})["deploy"],
        }
        for package in json.loads(metadata.stdout)["packages"]
        if "deploy" in ((package.get("metadata") or {}).get("lambda") or {})
    ]
    if not found:
        raise SystemExit("tools/functions.py: no workspace package has [package.metadata.lambda.deploy]")
    return sorted(found, key=lambda f: f["name"])


def main():
    functions = lambda_functions()
    if sys.argv[1:] == ["--json"]:
        print(json.dumps(functions, indent=2))
    elif not sys.argv[1:]:
        print("\n".join(f["name"] for f in functions))
    else:
        sys.exit("usage: tools/functions.py [--json]")


if __name__ == "__main__":
    main()
