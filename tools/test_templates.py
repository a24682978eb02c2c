#!/usr/bin/env python3
"""Structural checks of cicd.yaml that cfn-lint and checkov do not make.

A job whose every attempt crashed must not be silent: each Lambda function
needs an EventInvokeConfig (two retries, events given up before CodePipeline
gives up on the job) whose on-failure destination is an SQS queue encrypted
with a rotated KMS key, kept 14 days, watched by an alarm that notifies
someone, and that the function's role may send to (a Lambda Hook's function
is invoked synchronously: CloudFormation gets its error). The Hook is off
unless asked for, and may invoke its function only. cfn-validate's role may
write only its two template copies. The template's functions are the
workspace's (tools/functions.py), each with its code, name and log group;
each one's MemorySize and Timeout equal its crate's
[package.metadata.lambda.deploy] (what `make deploy` uses). service-status's
role reads the test stack, its target health and its alarms and nothing more,
and application.json has the alarms it reads, which CloudFormation's role may
create, update and delete on both stage stacks. Every pipeline variable an action reads is one an earlier action
writes (a variable that does not exist fails the action that reads it, at
run time, after everything before it has run). Each check is also tried on a template
that lost what it checks, so a check that cannot fail is caught too.

Run by `make templates`: .venv/bin/python tools/test_templates.py
"""

import copy
import fnmatch
import re
import unittest
from pathlib import Path

from cfnlint.decode import decode
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from functions import lambda_functions

ROOT = Path(__file__).resolve().parents[1]
FOURTEEN_DAYS = 14 * 24 * 3600
# CodePipeline fails a Lambda action that has not answered in 20 minutes.
CODEPIPELINE_JOB_TIMEOUT = 20 * 60


def load(path):
    template, errors = decode(str(ROOT / path))
    if errors:
        raise AssertionError(f"{path} cannot be read: {errors}")
    return template


def listed(value):
    return value if isinstance(value, list) else [value]


def target(value, attribute="Arn"):
    """The logical id a {"Fn::GetAtt": [id, attribute]} or {"Ref": id} names."""
    if isinstance(value, dict):
        if "Ref" in value and attribute == "Ref":
            return value["Ref"]
        if listed(value.get("Fn::GetAtt"))[1:] == [attribute]:
            return value["Fn::GetAtt"][0]
    return None


def statements(template, role):
    """The Allow statements of a role: inline, and of policies attached to it."""
    resources = template["Resources"]
    documents = [p["PolicyDocument"] for p in resources[role]["Properties"].get("Policies", [])]
    documents += [
        r["Properties"]["PolicyDocument"]
        for r in resources.values()
        if r["Type"] == "AWS::IAM::Policy"
        and any(target(name, "Ref") == role for name in r["Properties"].get("Roles", []))
    ]
    return [s for d in documents for s in listed(d["Statement"]) if s.get("Effect") == "Allow"]


def allows(statements, action, resource):
    return any(
        action in listed(s["Action"]) and any(target(r) == resource for r in listed(s["Resource"]))
        for s in statements
    )


def destination_problems(template, function):
    resources = template["Resources"]
    configs = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::EventInvokeConfig"
        and target(r["Properties"].get("FunctionName"), "Ref") == function
    ]
    if len(configs) != 1:
        return [f"{function}: {len(configs)} EventInvokeConfig, expected one"]
    config = configs[0]
    problems = []
    if config.get("MaximumRetryAttempts") != 2:
        problems.append(f"{function}: MaximumRetryAttempts is {config.get('MaximumRetryAttempts')}, expected 2")
    age = config.get("MaximumEventAgeInSeconds")
    if not isinstance(age, int) or not 60 <= age < CODEPIPELINE_JOB_TIMEOUT:
        problems.append(f"{function}: MaximumEventAgeInSeconds {age} does not give up before CodePipeline does")
    queue = target(config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination"))
    if resources.get(queue, {}).get("Type") != "AWS::SQS::Queue":
        return problems + [f"{function}: no on-failure destination in an SQS queue of this stack"]

    properties = resources[queue]["Properties"]
    key = target(properties.get("KmsMasterKeyId"))
    if resources.get(key, {}).get("Type") != "AWS::KMS::Key":
        problems.append(f"{queue}: not encrypted with a KMS key of this stack")
    elif resources[key]["Properties"].get("EnableKeyRotation") is not True:
        problems.append(f"{key}: key rotation is off")
    if properties.get("MessageRetentionPeriod") != FOURTEEN_DAYS:
        problems.append(f"{queue}: MessageRetentionPeriod is {properties.get('MessageRetentionPeriod')}, expected 14 days")

    alarms = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
        and r["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and any(target(d["Value"], "QueueName") == queue for d in r["Properties"].get("Dimensions", []))
        and r["Properties"].get("ComparisonOperator") == "GreaterThanOrEqualToThreshold"
        and r["Properties"].get("Threshold") == 1
        and any(resources.get(target(a, "Ref"), {}).get("Type") == "AWS::SNS::Topic" for a in r["Properties"].get("AlarmActions", []))
    ]
    if not alarms:
        problems.append(f"{queue}: no alarm notifies a topic when it holds a message")
    watched = [
        m["MetricStat"]["Metric"]
        for r in resources.values()
        if r["Type"] == "AWS::CloudWatch::Alarm" and r["Properties"].get("AlarmActions")
        for m in r["Properties"].get("Metrics", [])
        if "MetricStat" in m
    ]
    if not any(
        m["MetricName"] == "DestinationDeliveryFailures"
        and any(target(d["Value"], "Ref") == function for d in m.get("Dimensions", []))
        for m in watched
    ):
        problems.append(f"{function}: no alarm on records Lambda could not deliver (DestinationDeliveryFailures)")

    role = target(resources[function]["Properties"]["Role"])
    granted = statements(template, role)
    if not allows(granted, "sqs:SendMessage", queue):
        problems.append(f"{role}: may not sqs:SendMessage to {queue}")
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        if key and not allows(granted, action, key):
            problems.append(f"{role}: may not {action} with {key}")
    return problems


def hook_functions(template):
    """The functions a Lambda Hook invokes: synchronously, with the answer
    (or the error) going straight back to CloudFormation."""
    return {
        target(r["Properties"].get("LambdaFunction"))
        for r in template["Resources"].values()
        if r["Type"] == "AWS::CloudFormation::LambdaHook"
    }


def problems(template):
    """What the asynchronously invoked functions (the pipeline's stages)
    lack for a failed job to be seen."""
    hooked = hook_functions(template)
    functions = [
        n for n, r in template["Resources"].items() if r["Type"] == "AWS::Lambda::Function" and n not in hooked
    ]
    return [p for f in functions for p in destination_problems(template, f)]


def sub_text(value):
    """The text of a {"Fn::Sub": text}, else None."""
    return value.get("Fn::Sub") if isinstance(value, dict) else None


def function_problems(template, names):
    """What the template lacks for the workspace's functions `names`: each
    has one AWS::Lambda::Function with its zip (`<name>.zip`) and its name
    (`${AWS::StackName}-<name>`), logging to a log group of that name; and
    the template has no other function."""
    resources = template["Resources"]
    functions = {n: r["Properties"] for n, r in resources.items() if r["Type"] == "AWS::Lambda::Function"}
    problems = []
    for name in names:
        found = [n for n, p in functions.items() if p.get("Code", {}).get("S3Key") == f"{name}.zip"]
        if len(found) != 1:
            problems.append(f"{name}: {len(found)} AWS::Lambda::Function with S3Key {name}.zip, expected one")
            continue
        properties = functions[found[0]]
        if sub_text(properties.get("FunctionName")) != f"${{AWS::StackName}}-{name}":
            problems.append(f"{name}: {found[0]} is not named ${{AWS::StackName}}-{name}")
        group = target(properties.get("LoggingConfig", {}).get("LogGroup"), "Ref")
        if sub_text(resources.get(group, {}).get("Properties", {}).get("LogGroupName")) != f"/aws/lambda/${{AWS::StackName}}-{name}":
            problems.append(f"{name}: {found[0]} does not log to the log group /aws/lambda/${{AWS::StackName}}-{name}")
    for logical_id, properties in functions.items():
        if properties.get("Code", {}).get("S3Key", "").removesuffix(".zip") not in names:
            problems.append(f"{logical_id}: not a function of the workspace (tools/functions.py)")
    return problems


class Functions(unittest.TestCase):
    def test_the_templates_functions_are_the_workspaces_each_with_its_code_name_and_log_group(self):
        names = [f["name"] for f in lambda_functions()]
        self.assertEqual(function_problems(load("cicd.yaml"), names), [])

    def test_a_missing_or_extra_function_is_caught(self):
        template = load("cicd.yaml")
        names = [f["name"] for f in lambda_functions()]
        self.assertIn("a-third-function: 0 AWS::Lambda::Function", " ".join(function_problems(template, names + ["a-third-function"])))
        self.assertIn("not a function of the workspace", " ".join(function_problems(template, names[1:])))
        broken = copy.deepcopy(template)
        function = next(r for r in broken["Resources"].values() if r["Type"] == "AWS::Lambda::Function")
        function["Properties"]["LoggingConfig"]["LogGroup"] = {"Ref": "Nowhere"}
        self.assertIn("does not log to the log group", " ".join(function_problems(broken, names)))


class FailedInvocations(unittest.TestCase):
    def setUp(self):
        self.template = load("cicd.yaml")

    def test_every_function_has_an_alarmed_encrypted_on_failure_queue_it_may_send_to(self):
        functions = [n for n, r in self.template["Resources"].items() if r["Type"] == "AWS::Lambda::Function"]
        self.assertEqual(len(functions), len(lambda_functions()))
        # The Hook's function is invoked synchronously: CloudFormation gets its error.
        self.assertEqual(hook_functions(self.template), {"CfnHookFunction"})
        self.assertEqual(problems(self.template), [])

    def test_each_loss_is_caught(self):
        def resource(t, kind):
            return next(r for r in t["Resources"].values() if r["Type"] == kind)["Properties"]

        losses = {
            "EventInvokeConfig": lambda t: t["Resources"].pop("ServiceStatusInvokeConfig"),
            "MaximumRetryAttempts": lambda t: t["Resources"]["CfnValidateInvokeConfig"]["Properties"].update(MaximumRetryAttempts=0),
            "does not give up": lambda t: t["Resources"]["CfnValidateInvokeConfig"]["Properties"].update(MaximumEventAgeInSeconds=21600),
            "on-failure destination": lambda t: t["Resources"]["CfnValidateInvokeConfig"]["Properties"].pop("DestinationConfig"),
            "not encrypted": lambda t: resource(t, "AWS::SQS::Queue").pop("KmsMasterKeyId"),
            "rotation": lambda t: resource(t, "AWS::KMS::Key").pop("EnableKeyRotation"),
            "MessageRetentionPeriod": lambda t: resource(t, "AWS::SQS::Queue").update(MessageRetentionPeriod=345600),
            "no alarm": lambda t: t["Resources"].pop("FailedInvocationsAlarm"),
            "no alarm notifies": lambda t: t["Resources"]["FailedInvocationsAlarm"]["Properties"].pop("AlarmActions"),
            "DestinationDeliveryFailures": lambda t: t["Resources"]["DestinationDeliveryAlarm"]["Properties"]["Metrics"].pop(),
            "sqs:SendMessage": lambda t: t["Resources"]["FailedInvocationsSendPolicy"]["Properties"]["PolicyDocument"]["Statement"].pop(0),
            "kms:Decrypt": lambda t: t["Resources"]["FailedInvocationsSendPolicy"]["Properties"]["PolicyDocument"]["Statement"].pop(1),
        }
        for expected, lose in losses.items():
            with self.subTest(lost=expected):
                broken = copy.deepcopy(self.template)
                lose(broken)
                found = problems(broken)
                self.assertTrue(any(expected in p for p in found), f"not caught: {expected}; found {found}")


def stack_hook_problems(template):
    """What the Lambda Hook (cfn-hook) must be: off unless asked for (every
    resource of it under HasStackHook, StackHookMode "off" by default),
    warning or failing as StackHookMode says, on stacks and change sets,
    leaving the pipeline's own stacks out when asked; its execution role
    assumable by CloudFormation's Hooks in this account only and allowed to
    invoke its function and nothing else; the function's role allowed to
    read the rules table and nothing more of it (no write, no S3)."""
    resources, problems = template["Resources"], []
    hooks = [n for n, r in resources.items() if r["Type"] == "AWS::CloudFormation::LambdaHook"]
    if len(hooks) != 1:
        return [f"{len(hooks)} AWS::CloudFormation::LambdaHook, expected one"]
    hook = resources[hooks[0]]
    properties = hook["Properties"]
    mode = template["Parameters"].get("StackHookMode", {})
    if mode.get("Default") != "off" or set(mode.get("AllowedValues", [])) != {"off", "warn", "fail"}:
        problems.append("StackHookMode: not off, warn or fail with off by default")
    function = target(properties.get("LambdaFunction"))
    role = target(properties.get("ExecutionRole"))
    function_role = target(resources.get(function, {}).get("Properties", {}).get("Role"))
    for name in [hooks[0], function, role, function_role]:
        if resources.get(name, {}).get("Condition") != "HasStackHook":
            problems.append(f"{name}: not under the condition HasStackHook")
    conditions = template.get("Conditions", {})
    if conditions.get("HasStackHook") != {"Fn::Not": [{"Fn::Equals": [{"Ref": "StackHookMode"}, "off"]}]}:
        problems.append("HasStackHook: not StackHookMode other than off")
    if properties.get("FailureMode") != {"Fn::If": ["StackHookFails", "FAIL", "WARN"]} or conditions.get(
        "StackHookFails"
    ) != {"Fn::Equals": [{"Ref": "StackHookMode"}, "fail"]}:
        problems.append("FailureMode: not FAIL for StackHookMode fail and WARN otherwise")
    operations = properties.get("TargetOperations")
    branches = operations["Fn::If"][1:] if isinstance(operations, dict) else [operations]
    if not all({"STACK", "CHANGE_SET"} <= set(b) for b in branches):
        problems.append("TargetOperations: not STACK and CHANGE_SET")
    excluded = str(properties.get("StackFilters", {}))
    for stack in ["'Ref': 'AWS::StackName'", "${AWS::StackName}-test-stack", "${AWS::StackName}-prod-stack"]:
        if stack not in excluded:
            problems.append(f"StackFilters: the pipeline's stack {stack} is not left out")

    trust = [s for s in listed(resources.get(role, {}).get("Properties", {}).get("AssumeRolePolicyDocument", {}).get("Statement", []))]
    if not trust or any(
        "hooks.cloudformation.amazonaws.com" not in listed(s.get("Principal", {}).get("Service"))
        or "aws:SourceAccount" not in str(s.get("Condition", {}))
        for s in trust
    ):
        problems.append(f"{role}: not assumed by CloudFormation's Hooks of this account only")
    granted = statements(template, role) if role in resources else []
    invokes = [(a, r) for s in granted for a in listed(s["Action"]) for r in listed(s["Resource"])]
    if invokes != [("lambda:InvokeFunction", {"Fn::GetAtt": [function, "Arn"]})]:
        problems.append(f"{role}: may do more than invoke {function}: {invokes}")
    reads = [a for s in statements(template, function_role) for a in listed(s["Action"]) if a.startswith(("dynamodb:", "s3:"))]
    if reads != ["dynamodb:Scan"]:
        problems.append(f"{function_role}: its table and S3 access are {reads}, expected dynamodb:Scan only")
    # StackHookBaseline: all (every finding counts) unless new is asked for.
    baseline = template["Parameters"].get("StackHookBaseline", {})
    variables = resources.get(function, {}).get("Properties", {}).get("Environment", {}).get("Variables", {})
    if (
        baseline.get("Default") != "all"
        or set(baseline.get("AllowedValues", [])) != {"all", "new"}
        or variables.get("HOOK_BASELINE") != {"Fn::If": ["StackHookCountsNewOnly", "previous", "off"]}
        or conditions.get("StackHookCountsNewOnly") != {"Fn::Equals": [{"Ref": "StackHookBaseline"}, "new"]}
    ):
        problems.append("HOOK_BASELINE: not previous for StackHookBaseline new and off (the default, all) otherwise")
    return problems


class StackHook(unittest.TestCase):
    def test_the_hook_is_off_by_default_warns_or_fails_and_invokes_its_function_only(self):
        self.assertEqual(stack_hook_problems(load("cicd.yaml")), [])

    def test_each_loss_is_caught(self):
        def hook(t):
            return t["Resources"]["StackHook"]["Properties"]

        def execution_role(t):
            return t["Resources"]["CfnHookExecutionRole"]["Properties"]

        losses = {
            "off by default": lambda t: t["Parameters"]["StackHookMode"].update(Default="warn"),
            "not under the condition": lambda t: t["Resources"]["CfnHookFunction"].pop("Condition"),
            "FailureMode": lambda t: hook(t).update(FailureMode="FAIL"),
            "TargetOperations": lambda t: hook(t).update(TargetOperations=["RESOURCE"]),
            "test-stack": lambda t: hook(t).pop("StackFilters"),
            "HOOK_BASELINE": lambda t: t["Parameters"]["StackHookBaseline"].update(Default="new"),
            "Hooks of this account only": lambda t: execution_role(t)["AssumeRolePolicyDocument"]["Statement"][0].pop("Condition"),
            "may do more than invoke": lambda t: execution_role(t)["Policies"][0]["PolicyDocument"]["Statement"][0].update(Resource="*"),
            "expected dynamodb:Scan only": lambda t: t["Resources"]["CfnHookRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0].update(
                Action=["dynamodb:Scan", "dynamodb:PutItem"]
            ),
        }
        for expected, lose in losses.items():
            with self.subTest(lost=expected):
                broken = copy.deepcopy(load("cicd.yaml"))
                lose(broken)
                found = stack_hook_problems(broken)
                self.assertTrue(any(expected in p for p in found), f"not caught: {expected}; found {found}")


class CfnValidateRole(unittest.TestCase):
    def test_writes_only_its_two_template_copies_in_the_artifact_bucket(self):
        template = load("cicd.yaml")
        writes = [
            r
            for s in statements(template, "CfnValidateRole")
            if any(a.startswith("s3:") and not a.startswith(("s3:Get", "s3:List")) for a in listed(s["Action"]))
            for r in listed(s["Resource"])
        ]
        self.assertEqual(
            writes,
            [{"Fn::Sub": "${ArtifactBucket.Arn}/valid.template.zip"}, {"Fn::Sub": "${ArtifactBucket.Arn}/flagged.template.zip"}],
        )


def cloudformation_grants(template, role):
    """(action, resource) for each CloudFormation action a role may call."""
    return [
        (a, r)
        for s in statements(template, role)
        for a in listed(s["Action"])
        if a.startswith("cloudformation:")
        for r in listed(s["Resource"])
    ]


PROD_STACK = {"Fn::Sub": "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/${AWS::StackName}-prod-stack/*"}


class CfnValidateBaseline(unittest.TestCase):
    """Static_Check's baseline is the production stack, which its role may
    read the template of, and nothing else of CloudFormation."""

    def test_reads_only_the_production_stacks_template(self):
        template = load("cicd.yaml")
        self.assertEqual(cloudformation_grants(template, "CfnValidateRole"), [("cloudformation:GetTemplate", PROD_STACK)])
        stages = template["Resources"]["Pipeline"]["Properties"]["Stages"]
        static = next(a for s in stages for a in s["Actions"] if a.get("Namespace") == "StaticCheck")
        parameters = static["Configuration"]["UserParameters"]["Fn::Sub"]
        self.assertIn('"baseline": {"stack": "${AWS::StackName}-prod-stack"}', parameters)
        # What the Prod_Stack stage deploys is that stack.
        deployed = [a["Configuration"].get("StackName") for s in stages for a in s["Actions"] if s["Name"] == "Prod_Stack"]
        self.assertIn({"Fn::Sub": "${AWS::StackName}-prod-stack"}, deployed)

    def test_a_wider_grant_is_caught(self):
        template = load("cicd.yaml")
        policy = template["Resources"]["CfnValidateRole"]["Properties"]["Policies"][0]["PolicyDocument"]
        policy["Statement"].append({"Effect": "Allow", "Action": "cloudformation:GetTemplate", "Resource": "*"})
        self.assertNotEqual(cloudformation_grants(template, "CfnValidateRole"), [("cloudformation:GetTemplate", PROD_STACK)])


class ServiceStatusRole(unittest.TestCase):
    """The health gate reads the test stack's resources, its targets' health
    and its alarms, and nothing more; the alarms it reads are the ones
    application.json makes, named after the stack so that the grant can be
    scoped to them."""

    TEST_STACK = "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/${AWS::StackName}-test-stack/*"
    TEST_STACK_ALARMS = "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:${AWS::StackName}-test-stack-*"

    def grants(self, template):
        """Each AWS read of the gate, with the resources it is granted on."""
        reads = ("cloudformation:", "elasticloadbalancing:", "cloudwatch:")
        found = {}
        for statement in statements(template, "ServiceStatusRole"):
            for action in listed(statement["Action"]):
                if action.startswith(reads):
                    found.setdefault(action, []).extend(
                        r["Fn::Sub"] if isinstance(r, dict) else r for r in listed(statement["Resource"])
                    )
        return found

    def test_reads_the_test_stack_its_target_health_and_its_alarms_only(self):
        self.assertEqual(
            self.grants(load("cicd.yaml")),
            {
                "cloudformation:DescribeStacks": [self.TEST_STACK],
                "cloudformation:DescribeStackResources": [self.TEST_STACK],
                # No resource-level permissions exist for it.
                "elasticloadbalancing:DescribeTargetHealth": ["*"],
                "cloudwatch:DescribeAlarms": [self.TEST_STACK_ALARMS],
            },
        )

    def test_the_service_has_the_alarms_the_gate_reads_named_after_its_stack(self):
        alarms = {
            name: resource["Properties"]
            for name, resource in load("calculator/cloudformation/application.json")["Resources"].items()
            if resource["Type"] == "AWS::CloudWatch::Alarm"
        }
        metrics = {p["MetricName"] for p in alarms.values()}
        self.assertEqual(metrics, {"HTTPCode_Target_5XX_Count", "UnHealthyHostCount"})
        for name, properties in alarms.items():
            with self.subTest(alarm=name):
                self.assertEqual(properties["Namespace"], "AWS/ApplicationELB")
                self.assertTrue(properties["AlarmName"]["Fn::Sub"].startswith("${AWS::StackName}-"))
                dimensions = {d["Name"]: target(d["Value"], d["Name"] + "FullName") for d in properties["Dimensions"]}
                self.assertEqual(dimensions, {"LoadBalancer": "LoadBalancer", "TargetGroup": "TargetGroup"})
                self.assertTrue(properties.get("AlarmActions"), "someone hears of it")

    def test_the_pipeline_gates_the_test_stack_on_its_targets_and_alarms(self):
        stages = load("cicd.yaml")["Resources"]["Pipeline"]["Properties"]["Stages"]
        action = next(a for s in stages if s["Name"] == "Service_Status" for a in s["Actions"])
        self.assertEqual(
            action["Configuration"]["UserParameters"],
            {"Fn::Sub": '{"stack": "${AWS::StackName}-test-stack", "targets": "stack", "alarms": "stack"}'},
        )

    def test_a_broader_grant_is_caught(self):
        template = load("cicd.yaml")
        policy = template["Resources"]["ServiceStatusRole"]["Properties"]["Policies"][0]["PolicyDocument"]
        policy["Statement"].append({"Effect": "Allow", "Action": "cloudwatch:DescribeAlarms", "Resource": "*"})
        self.assertNotEqual(self.grants(template)["cloudwatch:DescribeAlarms"], [self.TEST_STACK_ALARMS])



def alarm_problems(template):
    """What CloudFormation may not do to the alarms application.json declares,
    on either stage stack: every permission the AWS::CloudWatch::Alarm
    handlers need (cfn-lint's resource schema lists them), granted on an ARN
    pattern that covers the alarm's name."""
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", "AWS::CloudWatch::Alarm").schema
    needed = sorted({p for h in ("create", "update", "delete") for p in schema["handlers"][h]["permissions"]})
    granted = statements(template, "CloudFormationRole")
    alarm_arn = "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:"
    problems = []
    for resource in load("calculator/cloudformation/application.json")["Resources"].values():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        # ${AWS::StackName} there is the stage stack, "<pipeline stack>-test-stack".
        name = resource["Properties"]["AlarmName"]["Fn::Sub"]
        for stage in ("test-stack", "prod-stack"):
            arn = alarm_arn + name.replace("${AWS::StackName}", "${AWS::StackName}-" + stage)
            for action in needed:
                if not any(
                    action in listed(s["Action"])
                    and any(fnmatch.fnmatchcase(arn, r if isinstance(r, str) else sub_text(r) or "") for r in listed(s["Resource"]))
                    for s in granted
                ):
                    problems.append(f"{action} on {arn}")
    return problems


class StageStackAlarms(unittest.TestCase):
    """CloudFormation creates, updates and deletes the stage stacks' alarms
    (the ones Service_Status reads): without the grant, deploying the test
    stack fails."""

    def test_cloudformation_may_manage_the_alarms_application_json_declares(self):
        self.assertEqual(alarm_problems(load("cicd.yaml")), [])

    def test_a_missing_grant_is_caught(self):
        template = load("cicd.yaml")
        policy = template["Resources"]["CloudFormationRole"]["Properties"]["Policies"][0]["PolicyDocument"]
        statement = next(s for s in policy["Statement"] if s.get("Sid") == "StageStackAlarms")
        statement["Resource"] = statement["Resource"][:1]
        self.assertIn(
            "cloudwatch:PutMetricAlarm on arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:${AWS::StackName}-prod-stack-target-5xx",
            alarm_problems(template),
        )
        statement["Action"].remove("cloudwatch:TagResource")
        self.assertIn(
            "cloudwatch:TagResource on arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:${AWS::StackName}-test-stack-unhealthy-hosts",
            alarm_problems(template),
        )

class DeploySettings(unittest.TestCase):
    def test_memory_and_timeout_equal_the_crates_deploy_metadata(self):
        deploy = {f["name"]: f["deploy"] for f in lambda_functions()}
        functions = [r["Properties"] for r in load("cicd.yaml")["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
        for function in functions:
            crate = function["Code"]["S3Key"].removesuffix(".zip")
            with self.subTest(crate=crate):
                self.assertEqual(
                    (function["MemorySize"], function["Timeout"]),
                    (deploy[crate]["memory"], deploy[crate]["timeout"]),
                )


def variables_written(action):
    """The variables an action writes: a CloudFormation deploy writes its
    stack's outputs, cfn-validate and service-status the ones their
    decisions insert."""
    provider = action["ActionTypeId"]["Provider"]
    if provider == "CloudFormation":
        outputs = load("calculator/cloudformation/application.json").get("Outputs", {})
        return set(outputs)
    functions = {"CfnValidateFunction": "cfn-validate", "ServiceStatusFunction": "service-status"}
    for function, crate in functions.items():
        if provider == "Lambda" and function in str(action["Configuration"]["FunctionName"]):
            source = (ROOT / f"crates/{crate}/src/decision.rs").read_text()
            return set(re.findall(r'variables\.insert\(\s*"(\w+)"', source))
    return set()


def variable_problems(template):
    """Each `#{Namespace.name}` read by an action whose namespace no earlier
    action declares, or that names a variable it does not write."""
    written, problems = {}, []
    for stage in template["Resources"]["Pipeline"]["Properties"]["Stages"]:
        actions = sorted(stage["Actions"], key=lambda a: a.get("RunOrder", 1))
        for action in actions:
            text = str(action.get("Configuration", {}))
            for namespace, name in re.findall(r"#\{(\w+)\.(\w+)\}", text):
                if namespace not in written:
                    problems.append(f"{action['Name']} reads #{{{namespace}.{name}}}: no earlier action declares {namespace}")
                elif name not in written[namespace]:
                    problems.append(f"{action['Name']} reads #{{{namespace}.{name}}}: {namespace} has no {name}")
        for action in actions:
            if "Namespace" in action:
                written[action["Namespace"]] = variables_written(action)
    return problems


class PipelineVariables(unittest.TestCase):
    def test_every_variable_read_is_written_by_an_earlier_action(self):
        template = load("cicd.yaml")
        self.assertEqual(variable_problems(template), [])
        self.assertIn("StaticCheck.unresolved", str(template), "the approver sees the unresolved findings")
        self.assertIn("ServiceStatus.healthy_targets", str(template), "the approver sees the health gate's evidence")

    def test_a_misspelt_or_missing_variable_is_caught(self):
        template = load("cicd.yaml")
        stages = template["Resources"]["Pipeline"]["Properties"]["Stages"]
        approval = next(a for s in stages for a in s["Actions"] if a["ActionTypeId"]["Category"] == "Approval")
        approval["Configuration"]["CustomData"] += " #{StaticCheck.verdcit} #{Nowhere.x}"
        self.assertEqual(
            [p.split(": ", 1)[1] for p in variable_problems(template)],
            ["StaticCheck has no verdcit", "no earlier action declares Nowhere"],
        )


if __name__ == "__main__":
    unittest.main(verbosity=2)
