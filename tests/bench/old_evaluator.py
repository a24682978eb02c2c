#!/usr/bin/env python3
"""Baseline for `make bench`: the original Python function's evaluation.

Written afresh from its description: json.loads the template, pick the
resources whose Type contains "SecurityGroup" (or "EC2::Instance"), and
re.match each active regex rule of the original table against str() of
each resource. Generates a template of about 1 MB (security groups shaped
like the Rust benchmark's) into the given path, times the evaluation
(median of several runs) and prints `old-python-ms <ms>`.
"""

import json
import re
import statistics
import sys
import time

RULES = [  # the four items the original function seeded, with their activity
    ("IngressOpenToWorld", "SecurityGroup", r"^.*Ingress.*((0\.){3}0\/0)", 100, "Y"),
    ("SSHOpenToWorld", "SecurityGroup",
     r"^.*Ingress.*(([fF]rom[pP]ort|[tT]o[pP]ort).\s*:\s*u?.(22).*[cC]idr[iI]p.\s*:\s*u?.((0\.){3}0\/0)|[cC]idr[iI]p.\s*:\s*u?.((0\.){3}0\/0).*([fF]rom[pP]ort|[tT]o[pP]ort).\s*:\s*u?.(22))",
     100, "Y"),
    ("AllowHttp", "SecurityGroup", r"^.*Ingress.*[fF]rom[pP]ort.\s*:\s*u?.(80)", 3, "N"),
    ("ForbiddenAMIs", "EC2Instance", r"^.*ImageId.\s*:\s*u?.(ami-7a11e211|ami-08111162|ami-f6035893)", 10, "N"),
]


def template(groups):
    resources = {}
    for i in range(groups):
        resources[f"Sg{i}"] = {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {
                "GroupDescription": f"group {i} for service {i}",
                "VpcId": {"Ref": "Vpc"},
                "SecurityGroupIngress": [
                    {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"},
                    {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": {"Ref": "Cidr"}},
                    {"IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8999,
                     "SourceSecurityGroupId": {"Fn::GetAtt": [f"Sg{i}", "GroupId"]}},
                ],
                "SecurityGroupEgress": [{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}],
            },
        }
    doc = {"AWSTemplateFormatVersion": "2010-09-09",
           "Parameters": {"Cidr": {"Type": "String", "Default": "10.0.0.0/8"}},
           "Resources": resources}
    return json.dumps(doc, indent=2)


def evaluate(text):
    doc = json.loads(text)
    groups, instances = [], []
    for resource in doc["Resources"].values():
        if "SecurityGroup" in resource["Type"]:
            groups.append(resource)
        elif "EC2::Instance" in resource["Type"]:
            instances.append(resource)
    risk, failed = 0, []
    for category, resources in (("SecurityGroup", groups), ("EC2Instance", instances)):
        for resource in resources:
            for rule, cat, data, value, active in RULES:
                if cat == category and active == "Y" and re.match(data, str(resource)):
                    risk += value
                    failed.append(rule)
    return risk, failed


def main():
    path = sys.argv[1]
    groups = 1
    while len(template(groups * 2)) < 1_000_000:
        groups *= 2
    while len(template(groups + 50)) < 1_000_000:
        groups += 50
    text = template(groups)
    with open(path, "w") as f:
        f.write(text)
    times = []
    for _ in range(7):
        started = time.perf_counter()
        evaluate(text)
        times.append((time.perf_counter() - started) * 1000)
    print(f"old-python-ms {statistics.median(times):.2f} bytes {len(text)} groups {groups}")


if __name__ == "__main__":
    main()
