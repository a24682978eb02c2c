//! The `relation` kind: resources that must (or must not) be named by
//! others of the template; references that cannot be resolved are
//! unresolved, never satisfied or violated.

mod support;

use support::one_rule::{expected, findings, refused};

const FLOW_LOGS: &str = "{types: [AWS::EC2::VPC], referenced-by: {types: [AWS::EC2::FlowLog], path: ResourceId, where: {path: ResourceType, equals: VPC, missing: fails}}}";
const TLS_POLICY: &str = "{types: [AWS::S3::Bucket], name: BucketName, referenced-by: {types: [AWS::S3::BucketPolicy], path: Bucket, document: PolicyDocument,
  has-statement: {effect: Deny, principals: public, actions: ['s3:*'], condition: {Bool: {aws:SecureTransport: false}}}}}";
const NO_USER_POLICIES: &str = "{types: [AWS::IAM::User], must: not-exist, referenced-by: {types: [AWS::IAM::Policy, AWS::IAM::ManagedPolicy], path: 'Users[*]'}}";

fn fired(ruledata: &str, template: &str) -> Vec<(String, String, bool)> {
    findings("relation", ruledata, template)
}

#[test]
fn a_resource_no_other_names_fires() {
    let template = "Parameters:
  VpcId: {Type: String}
Conditions:
  Logged: !Equals [!Ref AWS::AccountId, '1']
Resources:
  ByRef: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}
  ByGetAtt: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.1.0.0/16}}
  BySub: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.2.0.0/16}}
  Unlogged: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.3.0.0/16}}
  WrongType: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.4.0.0/16}}
  Sometimes: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.5.0.0/16}}
  L1: {Type: AWS::EC2::FlowLog, Properties: {ResourceId: !Ref ByRef, ResourceType: VPC, TrafficType: ALL}}
  L2: {Type: AWS::EC2::FlowLog, Properties: {ResourceId: !GetAtt ByGetAtt.VpcId, ResourceType: VPC, TrafficType: ALL}}
  L3: {Type: AWS::EC2::FlowLog, Properties: {ResourceId: !Sub '${BySub}', ResourceType: VPC, TrafficType: ALL}}
  L4: {Type: AWS::EC2::FlowLog, Properties: {ResourceId: !Ref VpcId, ResourceType: VPC, TrafficType: ALL}}
  L5: {Type: AWS::EC2::FlowLog, Properties: {ResourceId: !Ref WrongType, ResourceType: Subnet, TrafficType: ALL}}
  L6:
    Type: AWS::EC2::FlowLog
    Condition: Logged
    Properties: {ResourceId: !Ref Sometimes, ResourceType: VPC, TrafficType: ALL}
";
    assert_eq!(
        fired(FLOW_LOGS, template),
        expected(&[
            // A parameter cannot hold the id of a VPC this stack creates.
            (
                "Unlogged",
                "no AWS::EC2::FlowLog names it in ResourceId",
                false
            ),
            (
                "WrongType",
                "AWS::EC2::FlowLog L5 names it in ResourceId, but ResourceType is Subnet, not VPC",
                false
            ),
            (
                "Sometimes",
                "no AWS::EC2::FlowLog names it in ResourceId when Logged is false",
                false
            ),
        ])
    );
}

#[test]
fn a_required_statement_is_looked_for_in_the_document_of_the_resource_that_names_it() {
    let template = r#"Parameters:
  Target: {Type: String}
  Named: {Type: String, Default: fixed-name}
Resources:
  Secured: {Type: AWS::S3::Bucket}
  Allowing: {Type: AWS::S3::Bucket}
  ByName: {Type: AWS::S3::Bucket, Properties: {BucketName: !Ref Named}}
  Imported: {Type: AWS::S3::Bucket, Properties: {BucketName: shared}}
  Alone: {Type: AWS::S3::Bucket}
  P1:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Secured
      PolicyDocument:
        Statement: [{Effect: Deny, Principal: '*', Action: 's3:*', Resource: '*', Condition: {Bool: {aws:SecureTransport: false}}}]
  P2:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Allowing
      PolicyDocument:
        Statement: [{Effect: Allow, Principal: {AWS: arn:aws:iam::1:root}, Action: 's3:GetObject', Resource: '*'}]
  P3:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: fixed-name
      PolicyDocument:
        Statement: [{Effect: Deny, Principal: '*', Action: '*', Resource: '*', Condition: {Bool: {aws:SecureTransport: 'false'}}}]
  P4:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref Target
      PolicyDocument:
        Statement: [{Effect: Deny, Principal: '*', Action: '*', Resource: '*', Condition: {Bool: {aws:SecureTransport: 'false'}}}]
"#;
    assert_eq!(
        fired(TLS_POLICY, template),
        expected(&[
            (
                "Allowing",
                "AWS::S3::BucketPolicy P2 names it in Bucket, but PolicyDocument has no statement with (Effect Deny, Principal *, Action s3:*, Condition Bool aws:SecureTransport false)",
                false
            ),
            // Its name is written: a policy whose bucket is not known may be its.
            (
                "Imported",
                "AWS::S3::BucketPolicy P4 may name it in Bucket (parameter Target has no Default)",
                true
            ),
            (
                "Alone",
                "no AWS::S3::BucketPolicy names it in Bucket",
                false
            ),
        ])
    );
}

#[test]
fn a_resource_that_must_not_be_named_fires_where_it_is() {
    let template = "Parameters:
  Someone: {Type: String}
Resources:
  Alice: {Type: AWS::IAM::User}
  Bob: {Type: AWS::IAM::User}
  Carol: {Type: AWS::IAM::User, Properties: {UserName: carol}}
  P:
    Type: AWS::IAM::Policy
    Properties: {PolicyName: p, Users: [!Ref Alice], PolicyDocument: {Statement: []}}
  Q:
    Type: AWS::IAM::ManagedPolicy
    Properties: {Users: [!Ref Someone], PolicyDocument: {Statement: []}}
";
    assert_eq!(
        fired(NO_USER_POLICIES, template),
        expected(&[("Alice", "AWS::IAM::Policy P names it in Users[0]", false)])
    );
    // With the user's name known to the rule, a policy for an unknown user may be Carol's.
    let named = NO_USER_POLICIES.replace("must: not-exist,", "must: not-exist, name: UserName,");
    assert_eq!(
        fired(&named, template),
        expected(&[
            ("Alice", "AWS::IAM::Policy P names it in Users[0]", false),
            (
                "Carol",
                "AWS::IAM::ManagedPolicy Q may name it in Users[0] (parameter Someone has no Default)",
                true
            ),
        ])
    );
}

#[test]
fn relation_ruledata_that_is_wrong_is_refused_saying_what_is_wrong() {
    for (ruledata, says) in [
        ("{types: [AWS::EC2::VPC]}", "missing field `referenced-by`"),
        (
            "{types: [AWS::EC2::VPC], referenced-by: {types: [AWS::EC2::FlowLog]}}",
            "missing field `path`",
        ),
        (
            "{types: [AWS::EC2::VPC], referenced-by: {types: [AWS::EC2::FlowLog], path: ResourceId, document: PolicyDocument}}",
            "go together",
        ),
        (
            "{types: [AWS::EC2::VPC], must: never, referenced-by: {types: [AWS::EC2::FlowLog], path: ResourceId}}",
            "unknown variant `never`",
        ),
        (
            "{types: [AWS::EC2::VPC], referenced-by: {types: [AWS::EC2::FlowLog], path: ResourceId, wehre: {}}}",
            "unknown field `wehre`",
        ),
    ] {
        let message = refused("relation", ruledata);
        assert!(message.contains(says), "{ruledata}: {message}");
    }
}
