#!/usr/bin/env python3
"""Deploy smoke test: `cargo lambda deploy` of every function (tools/functions.py) against moto.

moto cannot run Lambda code (it would need Docker), but it takes the deploy
the way AWS would: this creates the IAM role there, deploys each function's
debug build (the binary the tests ran, `target/debug/<function>`) with
`cargo lambda deploy --binary-path --endpoint-url`, and checks what
`get-function` shows: runtime provided.al2023, the binary's architecture,
handler bootstrap, and the memory, timeout, tracing and environment from the
crate's `[package.metadata.lambda.deploy]`. The release zips (`make build`,
arm64) deploy the same way; `make bench` measures them.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
from functions import lambda_functions  # noqa: E402  (the one list of functions)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ELF e_machine -> Lambda's architecture name.
ARCHITECTURES = {0x3E: "x86_64", 0xB7: "arm64"}


def architecture(binary):
    """The Lambda architecture an ELF binary runs on, from its header."""
    header = binary.read_bytes()[:20]
    if header[:4] != b"\x7fELF":
        sys.exit(f"deploy smoke: {binary} is not an ELF binary")
    machine = int.from_bytes(header[18:20], "little")
    if machine not in ARCHITECTURES:
        sys.exit(f"deploy smoke: {binary} is for machine {machine:#x}, which Lambda does not run")
    return ARCHITECTURES[machine]


def main():
    functions = lambda_functions()
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    binaries = {f["name"]: target / "debug" / f["name"] for f in functions}
    for name, binary in binaries.items():
        if not binary.is_file():
            sys.exit(f"deploy smoke: {binary} is missing; run `cargo build -p {name}` first")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    moto = subprocess.Popen(
        ["moto_server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID="deploy-smoke", AWS_SECRET_ACCESS_KEY="deploy-smoke", AWS_REGION="us-east-1")
        aws = dict(endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id="deploy-smoke", aws_secret_access_key="deploy-smoke")
        trust = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
        role = boto3.client("iam", **aws).create_role(
            RoleName="cicd-functions", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        lam = boto3.client("lambda", **aws)
        for function in functions:
            name, meta = function["name"], function["deploy"]
            deployed = subprocess.run(
                ["cargo", "lambda", "deploy", name, "--binary-path", str(binaries[name]),
                 "--endpoint-url", endpoint, "--iam-role", role],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
            )
            if deployed.returncode != 0:
                sys.exit(f"deploy smoke: cargo lambda deploy {name} failed:\n{deployed.stdout}{deployed.stderr}")
            config = lam.get_function(FunctionName=name)["Configuration"]
            want = {
                "Runtime": "provided.al2023",
                "Architectures": [architecture(binaries[name])],
                "Handler": "bootstrap",
                "MemorySize": meta["memory"],
                "Timeout": meta["timeout"],
                "TracingConfig": {"Mode": meta["tracing"].capitalize()},
                "Environment": {"Variables": meta["env"]},
                "Role": role,
            }
            got = {k: config.get(k) for k in want}
            if got != want:
                sys.exit(f"deploy smoke: {name}: get-function shows\n{json.dumps(got, indent=2)}\nexpected\n{json.dumps(want, indent=2)}")
            print(f"deploy smoke: {name}: {config['Runtime']}, {config['Architectures'][0]}, handler {config['Handler']}, "
                  f"{config['MemorySize']} MB, {config['Timeout']} s, env {sorted(meta['env'])}, code {config['CodeSize']} bytes")
    finally:
        os.killpg(moto.pid, signal.SIGTERM)
        moto.wait()


if __name__ == "__main__":
    main()
