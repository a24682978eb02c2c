//! The `policy` kind: statements of IAM-style policy documents, forbidden
//! or required, matched with wildcards, resolved, failing closed.

mod support;

use support::one_rule::{expected, findings, refused};

const ADMIN: &str =
    "{documents: [identity], forbid: {effect: Allow, actions: all, resources: all}}";
const PASS_ROLE: &str =
    "{documents: [identity], forbid: {effect: Allow, actions: [iam:PassRole], resources: all}}";
const PUBLIC: &str = "{documents: [resource, trust], forbid: {effect: Allow, principals: public, condition: absent}}";
const TLS_ONLY: &str = "{types: [AWS::S3::BucketPolicy], require: {effect: Deny, principals: public, actions: ['s3:*'], condition: {Bool: {aws:SecureTransport: false}}}}";

fn fired(ruledata: &str, template: &str) -> Vec<(String, String, bool)> {
    findings("policy", ruledata, template)
}

#[test]
fn admin_statements_fire_in_every_document_a_type_keeps() {
    let template = r#"Resources:
  Star:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument: {Statement: [{Effect: Allow, Action: '*', Resource: '*'}]}
  StarStar:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: sts:AssumeRole}]}
      Policies:
        - PolicyName: ok
          PolicyDocument: {Statement: [{Effect: Allow, Action: [s3:GetObject], Resource: '*'}]}
        - PolicyName: admin
          PolicyDocument: {Statement: [{Effect: Allow, Action: ['*:*'], Resource: ['*']}]}
  NotAction:
    Type: AWS::IAM::Policy
    Properties:
      PolicyDocument: {Statement: [{Effect: Allow, NotAction: iam:*, Resource: '*'}]}
  AsText:
    Type: AWS::IAM::Policy
    Properties:
      PolicyDocument: '{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'
  Denied:
    Type: AWS::IAM::Policy
    Properties:
      PolicyDocument: {Statement: [{Effect: Deny, Action: '*', Resource: '*'}]}
  Scoped:
    Type: AWS::IAM::Policy
    Properties:
      PolicyDocument: {Statement: [{Effect: Allow, Action: '*', Resource: arn:aws:s3:::b/*}]}
"#;
    assert_eq!(
        fired(ADMIN, template),
        expected(&[
            (
                "Star",
                "PolicyDocument.Statement[0] (Effect Allow, Action *, Resource *)",
                false
            ),
            (
                "StarStar",
                "Policies[1].PolicyDocument.Statement[0] (Effect Allow, Action *:*, Resource *)",
                false
            ),
            (
                "NotAction",
                "PolicyDocument.Statement[0] (Effect Allow, NotAction, Resource *)",
                false
            ),
            (
                "AsText",
                "PolicyDocument.Statement[0] (Effect Allow, Action *, Resource *)",
                false
            ),
        ])
    );
}

#[test]
fn actions_are_matched_with_wildcards_and_ignoring_case() {
    let template = r#"Resources:
  Exact:
    Type: AWS::IAM::Policy
    Properties: {PolicyDocument: {Statement: [{Effect: Allow, Action: IAM:passrole, Resource: '*'}]}}
  Wildcard:
    Type: AWS::IAM::Policy
    Properties: {PolicyDocument: {Statement: [{Effect: Allow, Action: [s3:*, iam:Pass*], Resource: '*'}]}}
  Service:
    Type: AWS::IAM::Policy
    Properties: {PolicyDocument: {Statement: [{Effect: Allow, Action: iam:*, Resource: '*'}]}}
  LeftOut:
    Type: AWS::IAM::Policy
    Properties: {PolicyDocument: {Statement: [{Effect: Allow, NotAction: [s3:*], Resource: '*'}]}}
  Other:
    Type: AWS::IAM::Policy
    Properties: {PolicyDocument: {Statement: [{Effect: Allow, Action: [iam:GetRole, iam:Pass], Resource: '*'}]}}
  NotLeftOut:
    Type: AWS::IAM::Policy
    Properties: {PolicyDocument: {Statement: [{Effect: Allow, NotAction: [iam:*], Resource: '*'}]}}
  OneRole:
    Type: AWS::IAM::Policy
    Properties: {PolicyDocument: {Statement: [{Effect: Allow, Action: iam:PassRole, Resource: arn:aws:iam::1:role/x}]}}
"#;
    assert_eq!(
        fired(PASS_ROLE, template),
        expected(&[
            (
                "Exact",
                "PolicyDocument.Statement[0] (Effect Allow, Action IAM:passrole, Resource *)",
                false
            ),
            (
                "Wildcard",
                "PolicyDocument.Statement[0] (Effect Allow, Action iam:Pass*, Resource *)",
                false
            ),
            (
                "Service",
                "PolicyDocument.Statement[0] (Effect Allow, Action iam:*, Resource *)",
                false
            ),
            (
                "LeftOut",
                "PolicyDocument.Statement[0] (Effect Allow, NotAction that leaves iam:PassRole allowed, Resource *)",
                false
            ),
        ])
    );
}

#[test]
fn values_are_resolved_and_unknown_ones_are_unresolved() {
    let template = r#"Parameters:
  Action: {Type: String, Default: '*'}
  Open: {Type: String}
Conditions:
  IsProd: !Equals [!Ref AWS::AccountId, '1']
Resources:
  ByDefault:
    Type: AWS::IAM::Policy
    Properties: {PolicyDocument: {Statement: [{Effect: Allow, Action: !Ref Action, Resource: '*'}]}}
  ByBranch:
    Type: AWS::IAM::Policy
    Properties:
      PolicyDocument:
        Statement:
          - !If [IsProd, {Effect: Allow, Action: s3:GetObject, Resource: '*'}, {Effect: Allow, Action: '*', Resource: '*'}]
  Unknown:
    Type: AWS::IAM::Policy
    Properties: {PolicyDocument: {Statement: [{Effect: Allow, Action: !Ref Open, Resource: '*'}]}}
  SubText:
    Type: AWS::IAM::Policy
    Properties:
      PolicyDocument: !Sub '{"Statement": [{"Effect": "Allow", "Action": "${Action}", "Resource": "arn:aws:s3:::${AWS::StackName}/*"}, {"Effect": "Allow", "Action": "*", "Resource": "*"}]}'
  SubScoped:
    Type: AWS::IAM::Policy
    Properties:
      PolicyDocument: !Sub '{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::${AWS::StackName}/*"}]}'
  WholeUnknown:
    Type: AWS::IAM::Policy
    Properties: {PolicyDocument: !Ref Open}
"#;
    assert_eq!(
        fired(ADMIN, template),
        expected(&[
            (
                "ByDefault",
                "PolicyDocument.Statement[0] (Effect Allow, Action *, Resource *)",
                false
            ),
            (
                "ByBranch",
                "PolicyDocument.Statement[0] (Effect Allow, Action *, Resource *) when IsProd is false",
                false
            ),
            (
                "Unknown",
                "PolicyDocument.Statement[0] (Effect Allow, PolicyDocument.Statement[0].Action is not resolved (parameter Open has no Default), Resource *) may match",
                true
            ),
            (
                "SubText",
                "PolicyDocument.Statement[1] (Effect Allow, Action *, Resource *)",
                false
            ),
            (
                "WholeUnknown",
                "PolicyDocument is not resolved (parameter Open has no Default) may match",
                true
            ),
        ])
    );
}

#[test]
fn public_principals_without_a_condition_fire_in_resource_and_trust_documents() {
    let template = r#"Resources:
  Public:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [q]
      PolicyDocument: {Statement: [{Effect: Allow, Principal: '*', Action: sqs:SendMessage, Resource: '*'}]}
  PublicAws:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: [t]
      PolicyDocument: {Statement: [{Effect: Allow, Principal: {AWS: ['arn:aws:iam::1:root', '*']}, Action: sns:Publish, Resource: '*'}]}
  Conditioned:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: b
      PolicyDocument: {Statement: [{Effect: Allow, Principal: '*', Action: s3:GetObject, Resource: '*', Condition: {StringEquals: {aws:SourceVpce: vpce-1}}}]}
  Account:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy: {Statement: [{Effect: Allow, Principal: {AWS: arn:aws:iam::1:root}, Action: 'kms:*', Resource: '*'}]}
  Anyone:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {AWS: '*'}, Action: sts:AssumeRole}]}
"#;
    assert_eq!(
        fired(PUBLIC, template),
        expected(&[
            (
                "Public",
                "PolicyDocument.Statement[0] (Effect Allow, Principal *, no Condition)",
                false
            ),
            (
                "PublicAws",
                "PolicyDocument.Statement[0] (Effect Allow, Principal AWS *, no Condition)",
                false
            ),
            (
                "Anyone",
                "AssumeRolePolicyDocument.Statement[0] (Effect Allow, Principal AWS *, no Condition)",
                false
            ),
        ])
    );
}

#[test]
fn accounts_and_resources_are_no_wildcard_whatever_their_value() {
    // Principals and resources written as pseudo parameters, a resource's
    // ARN or id, or an account's root ARN built with Fn::Sub: not known,
    // but never "*". A parameter without a Default, or a custom resource's
    // attribute, may be anything.
    let template = r#"Parameters:
  Open: {Type: String}
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties: {AssumeRolePolicyDocument: {Statement: []}}
  Custom:
    Type: Custom::Principal
  Account:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Statement:
          - {Effect: Allow, Principal: {AWS: !Ref AWS::AccountId}, Action: 'kms:*', Resource: '*'}
          - {Effect: Allow, Principal: {AWS: !Sub 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root'}, Action: 'kms:*', Resource: '*'}
          - {Effect: Allow, Principal: {AWS: [!GetAtt Role.Arn, !Ref Role]}, Action: 'kms:*', Resource: '*'}
          - {Effect: Allow, Principal: {Service: !Sub 'logs.${AWS::Region}.${AWS::URLSuffix}'}, Action: 'kms:*', Resource: '*'}
  ByParameter:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [q]
      PolicyDocument: {Statement: [{Effect: Allow, Principal: {AWS: !Ref Open}, Action: sqs:SendMessage, Resource: '*'}]}
  ByCustom:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [q]
      PolicyDocument: {Statement: [{Effect: Allow, Principal: !GetAtt Custom.Principal, Action: sqs:SendMessage, Resource: '*'}]}
"#;
    assert_eq!(
        fired(PUBLIC, template),
        expected(&[
            (
                "ByParameter",
                "PolicyDocument.Statement[0] (Effect Allow, PolicyDocument.Statement[0].Principal.AWS is not resolved (parameter Open has no Default), no Condition) may match",
                true
            ),
            (
                "ByCustom",
                "PolicyDocument.Statement[0] (Effect Allow, PolicyDocument.Statement[0].Principal is not resolved (Fn::GetAtt Custom.Principal), no Condition) may match",
                true
            ),
        ])
    );
    // Resources: a bucket's objects by its ARN, or its name, are not "*".
    let template = r#"Resources:
  Bucket: {Type: AWS::S3::Bucket}
  Scoped:
    Type: AWS::IAM::Policy
    Properties:
      PolicyDocument:
        Statement:
          - {Effect: Allow, Action: '*', Resource: [!GetAtt Bucket.Arn, !Sub '${Bucket.Arn}/*', !Sub 'arn:${AWS::Partition}:s3:::${Bucket}/*']}
"#;
    assert_eq!(fired(ADMIN, template), expected(&[]));
}

#[test]
fn a_required_statement_that_is_missing_fires() {
    let template = r#"Parameters:
  Secure: {Type: String}
Conditions:
  IsProd: !Equals [!Ref AWS::AccountId, '1']
Resources:
  TlsOnly:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: b
      PolicyDocument:
        Statement:
          - {Effect: Deny, Principal: '*', Action: 's3:*', Resource: '*', Condition: {Bool: {'aws:SecureTransport': 'false'}}}
  Allows:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: b
      PolicyDocument: {Statement: [{Effect: Allow, Principal: '*', Action: 's3:GetObject', Resource: '*'}]}
  OnlyInProd:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: b
      PolicyDocument:
        Statement:
          - !If [IsProd, {Effect: Deny, Principal: {AWS: '*'}, Action: '*', Resource: '*', Condition: {Bool: {aws:securetransport: false}}}, !Ref AWS::NoValue]
  Unknown:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: b
      PolicyDocument:
        Statement:
          - {Effect: Deny, Principal: '*', Action: 's3:*', Resource: '*', Condition: {Bool: {'aws:SecureTransport': !Ref Secure}}}
"#;
    let missing = "has no statement with (Effect Deny, Principal *, Action s3:*, Condition Bool aws:SecureTransport false)";
    assert_eq!(
        fired(TLS_ONLY, template),
        expected(&[
            ("Allows", &format!("PolicyDocument {missing}"), false),
            (
                "OnlyInProd",
                &format!("PolicyDocument {missing} when IsProd is false"),
                false
            ),
            (
                "Unknown",
                "PolicyDocument may have no statement with (Effect Deny, Principal *, Action s3:*, Condition Bool aws:SecureTransport false)",
                true
            ),
        ])
    );
}

#[test]
fn policy_ruledata_that_is_wrong_is_refused_saying_what_is_wrong() {
    for (ruledata, says) in [
        (
            "{forbid: {effect: Allow}, require: {effect: Deny}}",
            "forbid or require",
        ),
        ("{}", "forbid or require"),
        ("{forbid: {effect: allow}}", "unknown variant `allow`"),
        (
            "{forbid: {effect: Allow, action: all}}",
            "unknown field `action`",
        ),
        (
            "{forbid: {effect: Allow, actions: everything}}",
            "must be all, service-wildcard or a list",
        ),
        (
            "{forbid: {effect: Allow, actions: [PassRole]}}",
            "not an action such as iam:PassRole",
        ),
        (
            "{forbid: {effect: Allow, resources: some}}",
            "can only be all",
        ),
        (
            "{forbid: {effect: Allow, condition: {Bool: {a: 1, b: 2}}}}",
            "one key",
        ),
        (
            "{documents: [inline], forbid: {effect: Allow}}",
            "unknown variant `inline`",
        ),
        (
            "{types: [AWS::S3::Bucket], forbid: {effect: Allow}}",
            "has no policy document",
        ),
    ] {
        let message = refused("policy", ruledata);
        assert!(message.contains(says), "{ruledata}: {message}");
    }
}
