#!/usr/bin/env python3
"""The standard policy pack next to checkov, resource by resource.

For every template under the paths given, runs checkov (framework
cloudformation, JSON) and `cicd validate --format json` (the default rules
and the standard pack), and prints, per resource, in the pack's scope:

- `checkov only`: a checkov check of MAPPING failed, and none of the pack's
  rules it maps to reported the resource (a gap of the pack, or a known
  difference: each row's note says when the two disagree by design);
- `ours only`: a rule of the pack that MAPPING pairs with a checkov check
  reported the resource, and no check paired with it failed there (whether
  checkov passed the resource or did not judge it is said).

An unresolved or suppressed finding counts as reported, as does a check
checkov skips on a suppression. Then a summary per service, and checkov's
failures on resource types no row of MAPPING covers (the pack's gaps for
services it does not judge yet, or checks it leaves out).

MAPPING pairs only checks that judge the same thing as a rule of the pack;
a check whose judgement the pack does not share is left out, not
stretched to fit.

    .venv/bin/python tools/compare_checkov.py [--cicd target/debug/cicd]
        [--pack-cases] [--checkov .venv/bin/checkov] PATH...

`--pack-cases` also compares the pack's own test cases
(crates/policy-pack/standard/tests/*.yaml), each written out as a template.
Not part of `make test`: checkov takes seconds per run and its checks
change with its version.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# checkov check id -> (the pack's rules that judge the same, and where the
# two differ by design: a note, and the resources it is about, told by
# their properties).
def without(key):
    return lambda properties: key not in properties


def trusts_with_condition(properties):
    document = properties.get("AssumeRolePolicyDocument")
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    return any(isinstance(s, dict) and "Condition" in s for s in statements)


def always(_properties):
    return True


PUBLIC_ACCESS_BLOCK = (
    ("S3BucketPublicAccessBlock",),
    "checkov fails a bucket without PublicAccessBlockConfiguration; S3 "
    "blocks public access on every new bucket by default (since April "
    "2023), so the pack judges only a configuration written",
    without("PublicAccessBlockConfiguration"),
)

def listed(properties, path):
    """The values at `path` (dot-separated keys; `*` for every item of a
    list) in `properties`."""
    values = [properties]
    for key in path.split("."):
        found = []
        for value in values:
            if key == "*" and isinstance(value, list):
                found += value
            elif isinstance(value, dict) and key in value:
                found.append(value[key])
        values = found
    return values


def statements(properties, document):
    """The statements of the policy document `document` in `properties`."""
    found = []
    for value in listed(properties, f"{document}.Statement"):
        found += value if isinstance(value, list) else [value]
    return [s for s in found if isinstance(s, dict)]


def principal_star(statement):
    principal = statement.get("Principal")
    if isinstance(principal, dict):
        principal = principal.get("AWS")
    return principal == "*" or (isinstance(principal, list) and "*" in principal)


def star_with_condition_or_deny(document):
    """A statement names the principal `*` with a Condition, or in a Deny:
    checkov fails both, the pack neither (a Condition narrows who, a Deny
    grants nothing)."""

    def applies(properties):
        return any(
            principal_star(s) and ("Condition" in s or s.get("Effect") == "Deny")
            for s in statements(properties, document)
        )

    return applies


def equals(path, *values):
    return lambda properties: any(v in values for v in listed(properties, path))


def either(*predicates):
    return lambda properties: any(p(properties) for p in predicates)


SERVERLESS_V1 = equals("EngineMode", "serverless")

RESTORED = (
    "checkov fails a cluster restored from a snapshot or cloned from "
    "another without StorageEncrypted; it inherits its source's encryption "
    "(the property is not to be set), so the pack does not judge it",
    lambda p: "SnapshotIdentifier" in p or "SourceDBClusterIdentifier" in p,
)

MAPPING = {
    # S3
    "CKV_AWS_18": (("S3BucketAccessLogging",), "", None),
    "CKV_AWS_19": (
        ("S3BucketEncryption",),
        "checkov passes a bucket without BucketEncryption (S3 encrypts with "
        "SSE-S3 by default), which the pack flags (risk 5) so that the choice "
        "is declared; and fails aws:kms:dsse (dual-layer SSE-KMS), which is "
        "encryption",
        lambda p: "BucketEncryption" not in p or "aws:kms:dsse" in json.dumps(p["BucketEncryption"]),
    ),
    "CKV_AWS_20": (("S3BucketPublicReadAcl", "S3BucketPublicWriteAcl"), "", None),
    "CKV_AWS_57": (("S3BucketPublicWriteAcl",), "", None),
    "CKV_AWS_21": (("S3BucketVersioning",), "", None),
    "CKV_AWS_53": PUBLIC_ACCESS_BLOCK,
    "CKV_AWS_54": PUBLIC_ACCESS_BLOCK,
    "CKV_AWS_55": PUBLIC_ACCESS_BLOCK,
    "CKV_AWS_56": PUBLIC_ACCESS_BLOCK,
    # The default rules (native) the pack runs with.
    "CKV_AWS_24": (("SSHOpenToWorld",), "", None),
    # IAM
    "CKV_AWS_40": (("IamPolicyOnUsers",), "", None),
    "CKV_AWS_60": (
        ("IamRoleTrustsEveryone",),
        "checkov fails a trust policy with Principal AWS * whatever its "
        "Condition; the pack only one without a Condition",
        trusts_with_condition,
    ),
    "CKV_AWS_62": (("IamPolicyAdminAccess",), "", None),
    "CKV_AWS_63": (
        ("IamPolicyAllActions",),
        "checkov reads only the first statement of a document (and passes "
        "a Policies entry it cannot read); the pack reads them all",
        always,
    ),
    "CKV_AWS_110": (
        ("IamPolicyPrivilegeEscalation",),
        "checkov (cloudsplaining) and the pack list different escalation "
        "actions",
        always,
    ),
    # API Gateway
    "CKV_AWS_76": (("ApiGatewayStageAccessLogging",), "", None),
    "CKV_AWS_95": (("ApiGatewayV2StageAccessLogging",), "", None),
    "CKV_AWS_73": (("ApiGatewayStageTracing",), "", None),
    "CKV_AWS_59": (
        ("ApiGatewayMethodNoAuthorization",),
        "checkov judges a method only when its AuthorizationType is written; "
        "the pack reads a method without one as NONE, API Gateway's default",
        without("AuthorizationType"),
    ),
    # CloudFront
    "CKV_AWS_34": (("CloudFrontViewerHttps",), "", None),
    "CKV_AWS_86": (("CloudFrontLogging",), "", None),
    "CKV_AWS_68": (("CloudFrontWaf",), "", None),
    "CKV_AWS_174": (("CloudFrontMinimumTls", "CloudFrontCustomCertificate"), "", None),
    "CKV2_AWS_72": (
        ("CloudFrontOriginHttpOnly",),
        "checkov also fails a custom origin with OriginProtocolPolicy "
        "match-viewer, which reaches the origin over HTTPS whenever the viewer "
        "uses HTTPS (which CloudFrontViewerHttps asks for); the pack fails "
        "http-only",
        lambda p: "match-viewer"
        in listed(p, "DistributionConfig.Origins.*.CustomOriginConfig.OriginProtocolPolicy"),
    ),
    # CloudTrail
    "CKV_AWS_35": (("CloudTrailKmsEncryption",), "", None),
    "CKV_AWS_36": (("CloudTrailLogFileValidation",), "", None),
    "CKV_AWS_67": (("CloudTrailMultiRegion",), "", None),
    # CodeBuild
    "CKV_AWS_78": (
        ("CodeBuildArtifactEncryptionDisabled",),
        "checkov reads only Artifacts of Type S3; the pack also "
        "SecondaryArtifacts and artifacts whose Type is not written as S3",
        lambda p: bool(listed(p, "SecondaryArtifacts")) or not equals("Artifacts.Type", "S3")(p),
    ),
    # DynamoDB and DAX
    "CKV_AWS_28": (("DynamoDbTablePointInTimeRecovery",), "", None),
    "CKV_AWS_165": (
        ("DynamoDbGlobalTablePointInTimeRecovery",),
        "checkov reads only the first replica; the pack reads them all",
        lambda p: len(listed(p, "Replicas.*")) > 1,
    ),
    "CKV_AWS_119": (("DynamoDbTableKmsKey",), "", None),
    "CKV_AWS_47": (("DaxClusterEncryption",), "", None),
    # EC2
    "CKV_AWS_3": (("Ec2VolumeEncrypted",), "", None),
    "CKV_AWS_8": (("Ec2BlockDeviceEncrypted",), "", None),
    "CKV_AWS_79": (("Ec2LaunchTemplateImdsv2",), "", None),
    "CKV_AWS_88": (("Ec2PublicIpOnLaunch",), "", None),
    "CKV_AWS_25": (("Ec2RdpOpenToWorld",), "", None),
    # ECR
    "CKV_AWS_163": (("EcrScanOnPush",), "", None),
    "CKV_AWS_51": (
        ("EcrImmutableTags",),
        "checkov fails IMMUTABLE_WITH_EXCLUSION (tags immutable but for the "
        "exclusion filters written), which the pack accepts",
        equals("ImageTagMutability", "IMMUTABLE_WITH_EXCLUSION"),
    ),
    "CKV_AWS_32": (
        ("EcrRepositoryPolicyPublic",),
        "checkov fails a statement naming the principal * in a Deny, or with "
        "any Condition but aws:PrincipalOrgID; the pack only an Allow without "
        "a Condition",
        star_with_condition_or_deny("RepositoryPolicyText"),
    ),
    "CKV_AWS_136": (
        ("EcrKmsEncryption",),
        "checkov fails KMS_DSSE (dual-layer encryption with a KMS key), which "
        "the pack accepts",
        equals("EncryptionConfiguration.EncryptionType", "KMS_DSSE"),
    ),
    # ECS
    "CKV_AWS_65": (("EcsClusterContainerInsights",), "", None),
    # EFS
    "CKV_AWS_42": (("EfsEncryption",), "", None),
    # EKS
    "CKV_AWS_58": (("EksSecretsEncryption",), "", None),
    "CKV_AWS_100": (("EksNodegroupSshOpenToWorld",), "", None),
    # ElastiCache
    "CKV_AWS_29": (("ElastiCacheAtRestEncryption",), "", None),
    "CKV_AWS_30": (("ElastiCacheTransitEncryption",), "", None),
    "CKV_AWS_31": (("ElastiCacheTransitEncryption", "ElastiCacheAuthentication"), "", None),
    # Load balancers
    "CKV_AWS_131": (("ElbDropInvalidHeaders",), "", None),
    "CKV_AWS_2": (
        ("ElbListenerHttpsRedirect",),
        "checkov fails a listener without Protocol (a Gateway Load "
        "Balancer's, which has none); the pack judges HTTP listeners",
        without("Protocol"),
    ),
    "CKV_AWS_103": (
        ("ElbListenerTlsPolicy", "ElbListenerHttpsRedirect"),
        "checkov fails a listener without Protocol (a Gateway Load "
        "Balancer's, which has none); the pack judges HTTP, HTTPS and TLS "
        "listeners",
        without("Protocol"),
    ),
    "CKV_AWS_91": (
        ("ElbAccessLogs",),
        "checkov also fails network and gateway load balancers; the pack "
        "judges application load balancers (a network load balancer logs "
        "only its TLS listeners, a gateway load balancer has no access logs)",
        equals("Type", "network", "gateway"),
    ),
    "CKV_AWS_92": (("ClassicElbAccessLogs",), "", None),
    # Kinesis
    "CKV_AWS_43": (("KinesisStreamEncryption",), "", None),
    # KMS
    "CKV_AWS_7": (
        ("KmsKeyRotation",),
        "checkov fails HMAC keys and keys of imported or custom key store "
        "material without rotation; KMS rotates automatically only symmetric "
        "encryption keys whose material it generates, which the pack judges",
        lambda p: any(str(v).startswith("HMAC") for v in listed(p, "KeySpec"))
        or any(v != "AWS_KMS" for v in listed(p, "Origin")),
    ),
    "CKV_AWS_33": (
        ("KmsKeyPolicyPublic",),
        "checkov fails a key policy naming the principal * whatever its "
        "Condition (kms:CallerAccount, kms:ViaService...); the pack only one "
        "without a Condition",
        star_with_condition_or_deny("KeyPolicy"),
    ),
    # Lambda
    "CKV_AWS_258": (("LambdaUrlPublic",), "", None),
    "CKV_AWS_364": (("LambdaPermissionServiceWithoutSource",), "", None),
    "CKV_AWS_363": (("LambdaDeprecatedRuntime",), "", None),
    "CKV_AWS_173": (("LambdaEnvironmentKmsKey",), "", None),
    # CloudWatch Logs
    "CKV_AWS_66": (("LogsLogGroupRetention",), "", None),
    "CKV_AWS_158": (("LogsLogGroupKms",), "", None),
    # Amazon MQ
    "CKV_AWS_69": (("MqBrokerPubliclyAccessible",), "", None),
    "CKV_AWS_197": (("MqBrokerAuditLogging",), "", None),
    # OpenSearch and Elasticsearch
    "CKV_AWS_5": (("OpenSearchEncryptionAtRest",), "", None),
    "CKV_AWS_6": (("OpenSearchNodeToNodeEncryption",), "", None),
    "CKV_AWS_83": (("OpenSearchEnforceHttps",), "", None),
    "CKV_AWS_317": (("OpenSearchAuditLogs",), "", None),
    "CKV_AWS_84": (
        ("OpenSearchErrorLogs",),
        "checkov passes a domain that publishes any log (slow logs, say); the "
        "pack asks for the error logs (ES_APPLICATION_LOGS)",
        lambda p: bool(listed(p, "LogPublishingOptions")),
    ),
    # RDS, Aurora, DocumentDB, Neptune
    "CKV_AWS_16": (
        ("RdsInstanceStorageEncrypted",),
        "checkov judges an instance restored from a snapshot, a read replica "
        "or an instance of a cluster, whose encryption is its source's or "
        "its cluster's; the pack does not",
        lambda p: any(
            k in p
            for k in (
                "DBClusterIdentifier",
                "DBSnapshotIdentifier",
                "SourceDBInstanceIdentifier",
                "SourceDbiResourceId",
                "SourceDBInstanceAutomatedBackupsArn",
                "SourceDBClusterIdentifier",
            )
        ),
    ),
    "CKV_AWS_96": (
        ("RdsClusterStorageEncrypted", "AuroraClusterStorageEncrypted"),
        "checkov fails an Aurora Serverless v1 cluster without "
        "StorageEncrypted; such a cluster is always encrypted",
        SERVERLESS_V1,
    ),
    "CKV_AWS_17": (("RdsInstancePubliclyAccessible",), "", None),
    "CKV_AWS_161": (("RdsInstanceIamAuthentication",), "", None),
    "CKV_AWS_162": (
        ("RdsClusterIamAuthentication",),
        "checkov fails an Aurora Serverless v1 cluster, which does not "
        "support IAM database authentication",
        SERVERLESS_V1,
    ),
    "CKV_AWS_118": (("RdsInstanceEnhancedMonitoring",), "", None),
    "CKV_AWS_157": (
        ("RdsInstanceMultiAz",),
        "checkov judges an instance of a cluster (DBClusterIdentifier), "
        "which takes no MultiAZ; the pack does not",
        lambda p: "DBClusterIdentifier" in p,
    ),
    "CKV_AWS_74": (("DocDbClusterStorageEncrypted",), *RESTORED),
    "CKV_AWS_85": (
        ("DocDbClusterAuditLogs",),
        "checkov passes a cluster that exports only the profiler log; the "
        "pack asks for the audit log",
        lambda p: "profiler" in listed(p, "EnableCloudwatchLogsExports.*"),
    ),
    "CKV_AWS_90": (("DocDbParameterGroupTls",), "", None),
    "CKV_AWS_360": (("RdsClusterBackupRetention",), "", None),
    "CKV_AWS_361": (("RdsClusterBackupRetention",), "", None),
    "CKV_AWS_44": (("NeptuneClusterStorageEncrypted",), *RESTORED),
    "CKV_AWS_101": (("NeptuneClusterAuditLogs",), "", None),
    # Redshift
    "CKV_AWS_64": (
        ("RedshiftEncryption",),
        "checkov fails a cluster without Encrypted; Redshift encrypts a new "
        "provisioned cluster by default (since January 2025)",
        without("Encrypted"),
    ),
    "CKV_AWS_71": (
        ("RedshiftAuditLogging",),
        "checkov asks for LoggingProperties.BucketName; a cluster that logs "
        "to CloudWatch (LogDestinationType cloudwatch) has none",
        lambda p: bool(listed(p, "LoggingProperties")) and not listed(p, "LoggingProperties.BucketName"),
    ),
    "CKV_AWS_87": (
        ("RedshiftPubliclyAccessible",),
        "checkov fails a cluster without PubliclyAccessible; a cluster is "
        "not publicly accessible unless it is set",
        without("PubliclyAccessible"),
    ),
    # SageMaker
    "CKV_AWS_187": (("SageMakerKmsEncryption",), "", None),
    "CKV_AWS_371": (("SageMakerNotebookImdsV2",), "", None),
    "CKV_AWS_370": (("SageMakerModelNetworkIsolation",), "", None),
    # Secrets Manager
    "CKV_AWS_149": (
        ("SecretsManagerSecretKms",),
        "checkov fails any KmsKeyId holding aws/ (a customer managed key "
        "aliased app/aws/secretsmanager, say); the pack the AWS managed "
        "key's alias",
        lambda p: any(
            isinstance(v, str) and "aws/" in v and not v.endswith("alias/aws/secretsmanager")
            for v in listed(p, "KmsKeyId")
        ),
    ),
    # SNS
    "CKV_AWS_26": (("SnsTopicEncryption",), "", None),
    # SQS: checkov asks for a KMS key; the pack tells a queue with none
    # (SqsQueueKmsKey, SSE-SQS) from an unencrypted one (SqsQueueUnencrypted).
    "CKV_AWS_27": (("SqsQueueKmsKey", "SqsQueueUnencrypted"), "", None),
    # VPC
    "CKV_AWS_123": (("VpcEndpointServiceAcceptance",), "", None),
}

# The service a resource type belongs to, for the summary: AWS::S3::Bucket
# is s3.
def service(resource_type):
    parts = resource_type.split("::")
    return parts[1].lower() if len(parts) == 3 else resource_type


TEMPLATE_SUFFIXES = {".yaml", ".yml", ".json", ".template"}


def templates(paths):
    """Every file under `paths` that looks like a CloudFormation template."""
    found = []
    for path in paths:
        path = Path(path)
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in files:
            if file.suffix not in TEMPLATE_SUFFIXES or not file.is_file():
                continue
            try:
                text = file.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if "Resources" in text and "Type" in text:
                found.append(file)
    return found


def write_pack_cases(out_dir):
    """Each test case of the standard pack as a template of its own."""
    from cfnlint.decode import cfn_yaml

    written = []
    for file in sorted((ROOT / "crates/policy-pack/standard/tests").glob("*.yaml")):
        for n, case in enumerate(cfn_yaml.loads(file.read_text())):
            template = {"AWSTemplateFormatVersion": "2010-09-09"}
            for key, section in (
                ("parameters", "Parameters"),
                ("mappings", "Mappings"),
                ("conditions", "Conditions"),
                ("resources", "Resources"),
            ):
                if case.get(key):
                    template[section] = case[key]
            name = f"{file.stem}-{n:03}-{case['rule']}-{case['expect']}.json"
            path = out_dir / name
            path.write_text(json.dumps(template, indent=2))
            written.append(path)
    return written


def run_checkov(checkov, files):
    """(file, logical id) -> {check id: passed|failed|skipped}, and the
    resource types by (file, logical id)."""
    results = defaultdict(dict)
    types = {}
    # Many files per run: checkov starts slowly.
    for start in range(0, len(files), 50):
        batch = files[start : start + 50]
        args = [checkov, "--framework", "cloudformation", "-o", "json", "--skip-download"]
        for file in batch:
            args += ["-f", str(file)]
        out = subprocess.run(args, capture_output=True, text=True, check=False)
        try:
            report = json.loads(out.stdout)
        except json.JSONDecodeError:
            sys.exit(f"checkov gave no JSON ({out.returncode}): {out.stderr[-2000:]}")
        for part in report if isinstance(report, list) else [report]:
            checks = part.get("results", {})
            for outcome, key in (
                ("passed", "passed_checks"),
                ("failed", "failed_checks"),
                ("skipped", "skipped_checks"),
            ):
                for check in checks.get(key, []):
                    resource_type, _, logical_id = check["resource"].partition(".")
                    file = str(Path(check["file_abs_path"]).resolve())
                    results[(file, logical_id)][check["check_id"]] = outcome
                    types[(file, logical_id)] = resource_type
    return results, types


def run_cicd(cicd, files):
    """(file, logical id) -> {rule: finding}, the resource types, and the
    files cicd could not read."""
    findings = defaultdict(dict)
    types = {}
    unreadable = []
    for start in range(0, len(files), 200):
        batch = [str(f) for f in files[start : start + 200]]
        out = subprocess.run(
            [cicd, "validate", "--format", "json", *batch],
            capture_output=True,
            text=True,
            check=False,
        )
        # 2 is also a template that cannot be read, still reported.
        try:
            report = json.loads(out.stdout)
        except json.JSONDecodeError:
            sys.exit(f"cicd validate failed ({out.returncode}): {out.stderr[-2000:]}")
        for template in report["templates"]:
            file = str(Path(template["path"]).resolve())
            if template.get("error"):
                unreadable.append(template["path"])
            for finding in template.get("findings", []):
                key = (file, finding["resource"])
                findings[key][finding["rule"]] = finding
                if finding.get("resource_type"):
                    types[key] = finding["resource_type"]
    return findings, types, unreadable


def describe(finding):
    marks = []
    if finding.get("unresolved"):
        marks.append("unresolved")
    if finding.get("suppressed"):
        marks.append("suppressed")
    reason = finding["reason"]
    if len(reason) > 140:
        reason = reason[:139] + "…"
    return reason + (f" [{', '.join(marks)}]" if marks else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--cicd", default=str(ROOT / "target/debug/cicd"))
    parser.add_argument("--checkov", default=str(ROOT / ".venv/bin/checkov"))
    parser.add_argument("--pack-cases", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pack-cases-") as tmp:
        files = templates(args.paths)
        if args.pack_cases:
            files += write_pack_cases(Path(tmp))
        if not files:
            sys.exit("no templates found")
        files = [f.resolve() for f in files]
        checkov, checkov_types = run_checkov(args.checkov, files)
        ours, our_types, unreadable = run_cicd(args.cicd, files)
        report(files, checkov, checkov_types, ours, our_types, Path(tmp))
        if unreadable:
            print(f"cicd could not read {len(unreadable)} of them: {', '.join(unreadable)}")


def properties_of(file):
    """Each resource's Properties in `file`, by logical id (empty when it
    cannot be read)."""
    from cfnlint.decode import decode

    template, _ = decode(str(file))
    resources = (template or {}).get("Resources", {})
    if not isinstance(resources, dict):
        return {}
    return {
        name: body.get("Properties") if isinstance(body.get("Properties"), dict) else {}
        for name, body in resources.items()
        if isinstance(body, dict)
    }


def by_design(check, properties):
    """The note of `check` when a difference on a resource with these
    properties is one by design, else None."""
    _, note, applies = MAPPING[check]
    return note if note and applies and applies(properties) else None


def shown_path(file, tmp):
    for base in (tmp, ROOT):
        if file.is_relative_to(base):
            return str(file.relative_to(base))
    return str(file)


def report(files, checkov, checkov_types, ours, our_types, tmp):
    ours_to_checks = defaultdict(list)
    for check, (rules, _, _) in MAPPING.items():
        for rule in rules:
            ours_to_checks[rule].append(check)
    tally = defaultdict(Counter)
    notes_used = {}
    unmapped = Counter()
    unmapped_types = defaultdict(set)
    for file in files:
        keys = sorted(
            {k for k in checkov if k[0] == str(file)} | {k for k in ours if k[0] == str(file)}
        )
        properties = properties_of(file) if keys else {}
        lines = []
        for key in keys:
            checks = checkov.get(key, {})
            found = ours.get(key, {})
            resource_type = checkov_types.get(key) or our_types.get(key, "?")
            props = properties.get(key[1], {})
            tallied = tally[service(resource_type)]
            differences = []
            # checkov's failures, grouped by the rules they pair with.
            missed = defaultdict(list)
            for check, outcome in sorted(checks.items()):
                if outcome != "failed":
                    continue
                if check not in MAPPING:
                    unmapped[check] += 1
                    unmapped_types[check].add(resource_type)
                    continue
                rules = MAPPING[check][0]
                if any(rule in found for rule in rules):
                    tallied["both"] += 1
                else:
                    missed[rules].append(check)
            for rules, failed in missed.items():
                design = [c for c in failed if by_design(c, props)]
                label = "by design" if len(design) == len(failed) else "GAP"
                tallied[f"checkov only, {label}"] += 1
                for check in design:
                    notes_used[check] = MAPPING[check][1]
                differences.append(
                    f"checkov only ({label}): {', '.join(failed)} failed; "
                    f"{' and '.join(rules)} found nothing"
                )
            for rule, finding in sorted(found.items()):
                paired = ours_to_checks.get(rule)
                if not paired:
                    continue
                outcomes = [checks.get(c) for c in paired]
                if "failed" in outcomes:
                    continue
                if "skipped" in outcomes:
                    tallied["both"] += 1
                    continue
                judged = [c for c, o in zip(paired, outcomes) if o == "passed"]
                # A check that did not judge the resource differs by design
                # from nothing.
                design = [c for c in judged if by_design(c, props)]
                label = "by design" if design else "beyond checkov"
                tallied[f"ours only, {label}"] += 1
                for check in design:
                    notes_used[check] = MAPPING[check][1]
                what = (
                    f"checkov passed it ({', '.join(judged)})"
                    if judged
                    else f"checkov did not judge it ({', '.join(paired)})"
                )
                differences.append(f"ours only ({label}): {rule}: {describe(finding)}; {what}")
            if differences:
                lines.append(f"  {key[1]} ({resource_type})")
                lines += [f"    {d}" for d in differences]
        if lines:
            print(shown_path(file, tmp))
            print("\n".join(lines))
    print()
    print(
        f"{len(files)} templates; in the pack's scope (the checks MAPPING pairs with its rules), "
        "per service, findings on a resource:"
    )
    columns = (
        "both",
        "checkov only, GAP",
        "checkov only, by design",
        "ours only, beyond checkov",
        "ours only, by design",
    )
    for svc, counts in sorted(tally.items()):
        if any(counts[c] for c in columns):
            print(f"  {svc:<10} " + "   ".join(f"{c} {counts[c]}" for c in columns))
    if notes_used:
        print("the differences by design:")
        checks_of = defaultdict(list)
        for check, note in sorted(notes_used.items()):
            checks_of[note].append(check)
        for note, checks in checks_of.items():
            print(f"  {', '.join(checks)}: {note}")
    if unmapped:
        print("checkov's failures outside MAPPING (checks the pack does not pair), per check:")
        for check, count in sorted(unmapped.items(), key=lambda c: (-c[1], c[0])):
            kinds = ", ".join(sorted(unmapped_types[check]))
            print(f"  {check:<12} {count:>4}  {kinds}")


if __name__ == "__main__":
    main()
