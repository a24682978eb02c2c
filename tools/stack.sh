#!/usr/bin/env bash
# Create or remove the pipeline's stacks with the AWS CLI (`make stack`,
# `make teardown`). Region and credentials come from your AWS configuration.
#
#   tools/stack.sh create   STACK CODE_BUCKET [NAME=VALUE...]   # upload dist/*.zip, create (or update) the main stack, with these parameters
#   tools/stack.sh teardown STACK               # remove the stage stacks, empty the buckets, remove the main stack
set -euo pipefail

command -v aws >/dev/null || { echo "the AWS CLI is needed: https://docs.aws.amazon.com/cli/" >&2; exit 2; }

action=${1:?usage: stack.sh create STACK CODE_BUCKET | teardown STACK}
stack=${2:?stack name}

# Deletes every object version and delete marker (the artifact bucket is
# versioned; `aws s3 rm --recursive` would leave the versions, and
# CloudFormation cannot delete a bucket that is not empty).
empty_bucket() {
  local bucket=$1
  aws s3api head-bucket --bucket "$bucket" 2>/dev/null || return 0
  echo "emptying s3://$bucket"
  while true; do
    local batch
    batch=$(aws s3api list-object-versions --bucket "$bucket" --max-items 1000 --output json \
      --query '{Objects: [Versions, DeleteMarkers][][].{Key: Key, VersionId: VersionId}}')
    if [ "$(echo "$batch" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["Objects"] or []))')" = 0 ]; then
      break
    fi
    aws s3api delete-objects --bucket "$bucket" --delete "$batch" >/dev/null
  done
}

delete_stack() {
  local name=$1
  if aws cloudformation describe-stacks --stack-name "$name" >/dev/null 2>&1; then
    echo "deleting stack $name"
    aws cloudformation delete-stack --stack-name "$name"
    aws cloudformation wait stack-delete-complete --stack-name "$name"
  fi
}

case "$action" in
  create)
    bucket=${3:?code bucket}
    # More parameters (StackHookMode=warn, ...); those not given take their
    # defaults, on an update too.
    shift 3
    # Each function's zip (tools/functions.py lists them), and the calculator's.
    functions=$(python3 "$(dirname "$0")/functions.py")
    for zip in $(printf '%s.zip ' $functions) calculator.zip; do
      [ -f "dist/$zip" ] || { echo "dist/$zip is missing: run make package" >&2; exit 2; }
    done
    aws s3api head-bucket --bucket "$bucket" 2>/dev/null || aws s3 mb "s3://$bucket"
    aws s3 cp dist/ "s3://$bucket/" --recursive --exclude '*' --include '*.zip'
    # cicd.yaml is over the 51,200 bytes --template-body takes: `deploy`
    # uploads it to the code bucket (templates/) and creates or updates the
    # stack from there, waiting until it is done.
    echo "deploying $stack (the pipeline starts when it is created)"
    aws cloudformation deploy --stack-name "$stack" --template-file cicd.yaml \
      --s3-bucket "$bucket" --s3-prefix templates \
      --parameter-overrides "CodeBucket=$bucket" "$@" \
      --capabilities CAPABILITY_NAMED_IAM --no-fail-on-empty-changeset
    aws cloudformation describe-stacks --stack-name "$stack" --query 'Stacks[0].Outputs' --output table
    ;;
  teardown)
    # The stage stacks first: they import the main stack's exports.
    delete_stack "$stack-prod-stack"
    delete_stack "$stack-test-stack"
    # AccessLogBucket is kept (DeletionPolicy Retain): logs of the requests
    # made until now, this teardown's included, still arrive after it.
    log_bucket=""
    if aws cloudformation describe-stacks --stack-name "$stack" >/dev/null 2>&1; then
      log_bucket=$(aws cloudformation describe-stack-resources --stack-name "$stack" \
        --query "StackResources[?LogicalResourceId=='AccessLogBucket'].PhysicalResourceId" --output text)
      for bucket in $(aws cloudformation describe-stack-resources --stack-name "$stack" \
          --query "StackResources[?ResourceType=='AWS::S3::Bucket' && LogicalResourceId!='AccessLogBucket'].PhysicalResourceId" --output text); do
        empty_bucket "$bucket"
      done
    fi
    delete_stack "$stack"
    echo "removed $stack; the code bucket you created for it is left alone"
    if [ -n "$log_bucket" ] && [ "$log_bucket" != None ]; then
      echo "kept its access logs in s3://$log_bucket (they expire after 90 days; delete the bucket once you no longer need them)"
    fi
    ;;
  *)
    echo "usage: stack.sh create STACK CODE_BUCKET | teardown STACK" >&2
    exit 2
    ;;
esac
