#!/usr/bin/env python3
"""End to end under `cargo lambda watch`: the real cfn-validate and cfn-hook
binaries served by cargo-lambda's Lambda emulator, invoked with the fixture
events in tests/fixtures/events/ through `cargo lambda invoke --data-file`.

It starts moto (S3, DynamoDB) and the fake CodePipeline on free loopback
ports, puts the source artifact the fixtures point at, runs the function with
only the standard AWS environment pointing at them, and checks that each job
got exactly the report it should, and that the function's output never shows
the fixtures' artifact credentials. The rules table holds the default rules
and one Guard item (guard-rules' S3 encryption rule), which fails the job on
an unencrypted bucket naming the item, the Guard rule and the resource.

cfn-hook answers the CloudFormation Hook fixtures (cfn-hook-*.json): each
stack or change set payload is put into moto's S3 and the event's payload URL
replaced by a presigned URL boto3 makes for it (plain http to loopback, which
HOOK_PAYLOAD_ALLOW_LOOPBACK=true lets through); the answers are checked, and
the presigned URLs' signatures must not show in the function's output.
Everything it starts is stopped at the end, whatever happens.

Run by `make test` (target e2e-watch); needs .venv (make tools) and a debug
build of the workspace's binaries (fake-codepipeline, and cfn-validate and
cfn-hook as `cargo lambda watch` builds them).
"""

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import boto3
import botocore.config
import yaml

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "tests/fixtures/events"
BUCKET = "cicd-e2e-artifacts"
SOURCE_KEY = "CICD/SourceArti/source.zip"
TABLE = "cicd-e2e-rules"
DEFAULT_RULES = ROOT / "crates/template-rules/src/default-rules.yaml"
GUARD_RULE = ROOT / "crates/guard-rules/tests/rules/s3_bucket_encrypted.guard"

# fixture -> (status, failure type, start of the summary or failure message)
EXPECTED = {
    "cfn-validate-pass.json": ("Succeeded", None, "no risk found in cloudformation/application.json"),
    "cfn-validate-fail.json": (
        "Failed",
        "JobFailed",
        "templates/bastion-ssh-open.yaml has risk 200 (fails from 50):\nIngressOpenToWorld on BastionSg (line 15)",
    ),
    "cfn-validate-bad-parameters.json": ("Failed", "ConfigurationError", "UserParameters: missing field `file`"),
    "cfn-validate-guard.json": (
        "Failed",
        "JobFailed",
        "templates/unencrypted-bucket.yaml has risk 60 (fails from 50):\nS3Encrypted on Logs (line 13): ",
    ),
}
# ... and the Guard rule the item holds is named in that message.
GUARD_NAMED = "S3_BUCKET_SSE_ENABLED"

APPLICATION = ROOT / "calculator/cloudformation/application.json"
BASTION = ROOT / "tests/fixtures/templates/bastion-ssh-open.yaml"
# Hook fixture -> (its payload, or None; hookStatus, errorCode, start of the message)
HOOK_EXPECTED = {
    "cfn-hook-stack-create.json": (
        lambda: {"template": APPLICATION.read_text(), "previousTemplate": ""},
        "SUCCESS", None, "no risk found in stack web",
    ),
    "cfn-hook-stack-update.json": (
        lambda: {"template": BASTION.read_text(), "previousTemplate": APPLICATION.read_text()},
        "FAILED", "NonCompliant", "stack web has risk 200 (fails from 50):\nIngressOpenToWorld on BastionSg (line 15)",
    ),
    "cfn-hook-stack-delete.json": (None, "SUCCESS", None, "nothing to check: stack web is being deleted"),
    "cfn-hook-change-set-create.json": (
        # The change set leaves BastionSg as it is: its findings do not count.
        lambda: {"template": BASTION.read_text(), "changedResources": [
            {"action": "CREATE", "beforeContext": None, "afterContext": "{\"Properties\":{\"InstanceType\":\"t3.micro\"}}",
             "lineNumber": 28, "logicalResourceId": "Bastion", "resourceType": "AWS::EC2::Instance"}]},
        "SUCCESS", None, "no risk found in change set arn:aws:cloudformation:",
    ),
    "cfn-hook-resource-create.json": (None, "SUCCESS", None, "no risk found in resource BastionSg (AWS::EC2::SecurityGroup)"),
    "cfn-hook-resource-update.json": (
        None, "FAILED", "NonCompliant", "resource BastionSg (AWS::EC2::SecurityGroup) has risk 200 (fails from 50)",
    ),
    "cfn-hook-resource-delete.json": (None, "SUCCESS", None, "nothing to check: resource BastionSg"),
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # answering, even with an error status
        except OSError:
            time.sleep(0.2)
    sys.exit(f"e2e: {what} did not come up at {url} within {seconds} s")


def start(command, log, env=None):
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)


def stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def main():
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    logs = target / "e2e-watch"
    logs.mkdir(parents=True, exist_ok=True)
    moto_port, pipeline_port, invoke_port = free_port(), free_port(), free_port()
    moto_url, pipeline_url = f"http://127.0.0.1:{moto_port}", f"http://127.0.0.1:{pipeline_port}"
    processes = []
    try:
        processes.append(start(["moto_server", "-H", "127.0.0.1", "-p", str(moto_port)], open(logs / "moto.log", "w")))
        processes.append(
            start([str(target / "debug/fake-codepipeline"), "--port", str(pipeline_port)], open(logs / "codepipeline.log", "w"))
        )
        wait_http(f"{moto_url}/moto-api/", 30, "moto_server")
        wait_http(f"{pipeline_url}/_reports", 30, "the fake CodePipeline")

        aws = dict(aws_access_key_id="e2e", aws_secret_access_key="e2e", region_name="us-east-1", endpoint_url=moto_url)
        boto3.client("s3", **aws).create_bucket(Bucket=BUCKET)
        source = io.BytesIO()
        with zipfile.ZipFile(source, "w") as z:
            z.write(ROOT / "calculator/cloudformation/application.json", "cloudformation/application.json")
            z.write(ROOT / "tests/fixtures/templates/bastion-ssh-open.yaml", "templates/bastion-ssh-open.yaml")
            z.write(ROOT / "tests/fixtures/templates/unencrypted-bucket.yaml", "templates/unencrypted-bucket.yaml")
        boto3.client("s3", **aws).put_object(Bucket=BUCKET, Key=SOURCE_KEY, Body=source.getvalue())
        boto3.client("dynamodb", **aws).create_table(
            TableName=TABLE,
            AttributeDefinitions=[{"AttributeName": "rule", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "rule", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        # The four default rules and a Guard item: the jobs' verdicts here are
        # about the stage, not the standard pack (its rules have their own tests).
        items = yaml.safe_load(DEFAULT_RULES.read_text())
        items.append(dict(rule="S3Encrypted", category="S3", ruletype="guard",
                          ruledata=GUARD_RULE.read_text(), riskvalue=60, active="Y"))
        dynamodb = boto3.client("dynamodb", **aws)
        for item in items:
            dynamodb.put_item(TableName=TABLE, Item={
                k: {"N": str(v)} if k == "riskvalue" else {"S": str(v)} for k, v in item.items()
            })

        # Only the standard AWS environment tells the function where things are.
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_ENDPOINT_URL=moto_url,
            AWS_ENDPOINT_URL_CODEPIPELINE=pipeline_url,
            AWS_REGION="us-east-1",
            AWS_ACCESS_KEY_ID="e2e-role",
            AWS_SECRET_ACCESS_KEY="e2e-role",
            AWS_EC2_METADATA_DISABLED="true",
            RULES_TABLE=TABLE,
            AWS_LAMBDA_LOG_FORMAT="JSON",
            # cfn-hook: the payloads come from moto, on loopback.
            HOOK_PAYLOAD_ALLOW_LOOPBACK="true",
        )
        watch_log = logs / "watch.log"
        watch = start(
            ["cargo", "lambda", "watch", "--invoke-address", "127.0.0.1", "--invoke-port", str(invoke_port), "--quiet"],
            open(watch_log, "w"),
            env=env,
        )
        processes.append(watch)
        wait_http(f"http://127.0.0.1:{invoke_port}/", 120, "cargo lambda watch")

        secrets = set()
        for fixture, (status, _, _) in EXPECTED.items():
            event = json.loads((EVENTS / fixture).read_text())
            creds = event["CodePipeline.job"]["data"]["artifactCredentials"]
            secrets.update([creds["secretAccessKey"], creds["sessionToken"]])
            invoked = subprocess.run(
                ["cargo", "lambda", "invoke", "cfn-validate", "--data-file", str(EVENTS / fixture),
                 "--invoke-address", "127.0.0.1", "--invoke-port", str(invoke_port)],
                capture_output=True, text=True, timeout=600, env=env,
            )
            if invoked.returncode != 0:
                sys.exit(f"e2e: cargo lambda invoke {fixture} failed:\n{invoked.stdout}{invoked.stderr}")
            answer = json.loads(invoked.stdout)
            job_id = event["CodePipeline.job"]["id"]
            if answer != {"jobId": job_id, "status": status, "reported": True}:
                sys.exit(f"e2e: {fixture}: unexpected answer {answer}")
            print(f"e2e: {fixture}: {status}")

        reports = json.loads(urllib.request.urlopen(f"{pipeline_url}/_reports").read())
        if len(reports) != len(EXPECTED):
            sys.exit(f"e2e: expected {len(EXPECTED)} reports, got {json.dumps(reports, indent=2)}")
        for report, (fixture, (status, kind, text)) in zip(reports, EXPECTED.items()):
            found = report.get("summary") if status == "Succeeded" else report.get("message")
            if report["status"] != status or report.get("kind") != kind or not (found or "").startswith(text):
                sys.exit(f"e2e: {fixture}: expected {status} {kind or ''} {text!r}, got {json.dumps(report)}")
            if fixture == "cfn-validate-guard.json" and GUARD_NAMED not in found:
                sys.exit(f"e2e: {fixture}: the failure does not name {GUARD_NAMED}: {found!r}")
            print(f"e2e: CodePipeline recorded {fixture}: {status} {kind or ''} {found.splitlines()[0]}")

        s3 = boto3.client("s3", config=botocore.config.Config(s3={"addressing_style": "path"}), **aws)
        for fixture, (payload, status, code, text) in HOOK_EXPECTED.items():
            event = json.loads((EVENTS / fixture).read_text())
            if payload is not None:
                key = f"hook-payloads/{fixture}"
                s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(payload()).encode())
                url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": key}, ExpiresIn=900)
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
                secrets.update(v[0] for k, v in query.items() if k in ("X-Amz-Signature", "Signature"))
                event["requestData"]["payload"] = url
            data_file = logs / fixture
            data_file.write_text(json.dumps(event))
            invoked = subprocess.run(
                ["cargo", "lambda", "invoke", "cfn-hook", "--data-file", str(data_file),
                 "--invoke-address", "127.0.0.1", "--invoke-port", str(invoke_port)],
                capture_output=True, text=True, timeout=600, env=env,
            )
            data_file.unlink()
            if invoked.returncode != 0:
                sys.exit(f"e2e: cargo lambda invoke cfn-hook {fixture} failed:\n{invoked.stdout}{invoked.stderr}")
            answer = json.loads(invoked.stdout)
            token = event.get("clientRequestToken") or event.get("clientRequesttoken")
            if (answer.get("hookStatus"), answer.get("errorCode"), answer.get("clientRequestToken")) != (status, code, token) \
                    or not answer.get("message", "").startswith(text):
                sys.exit(f"e2e: {fixture}: expected {status} {code or ''} {text!r}, got {json.dumps(answer, indent=2)}")
            print(f"e2e: {fixture}: {status} {code or ''} {answer['message'].splitlines()[0]}")

        output = watch_log.read_text()
        leaked = [s for s in secrets if s in output]
        if leaked:
            sys.exit(f"e2e: the functions' output shows credentials ({len(leaked)} of them); see {watch_log}")
        print("e2e: cargo lambda watch: every job reported once, every Hook event answered, no credential in the logs")
    finally:
        for process in reversed(processes):
            stop(process)


if __name__ == "__main__":
    main()
