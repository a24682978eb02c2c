//! The `property` kind: requirements on property values, judged on every
//! value a property may take, failing closed.

mod support;

use support::one_rule::{expected, findings, refused, rules};
use template_rules::{RuleItem, Template, Thresholds, evaluate};

fn fired(ruledata: &str, template: &str) -> Vec<(String, String, bool)> {
    findings("property", ruledata, template)
}

fn one(ruledata: &str, template: &str) -> (String, bool) {
    let found = fired(ruledata, template);
    assert_eq!(found.len(), 1, "{found:?}");
    let (_, reason, unresolved) = found.into_iter().next().unwrap();
    (reason, unresolved)
}

const VERSIONING: &str = "{types: [AWS::S3::Bucket], require: {path: VersioningConfiguration.Status, equals: Enabled, missing: fails}}";

#[test]
fn a_value_that_is_not_the_one_required_fires_and_says_so() {
    let template = "Resources:
  Off: {Type: AWS::S3::Bucket, Properties: {VersioningConfiguration: {Status: Suspended}}}
  On: {Type: AWS::S3::Bucket, Properties: {VersioningConfiguration: {Status: Enabled}}}
  Unset: {Type: AWS::S3::Bucket}
  Other: {Type: AWS::SNS::Topic}
";
    assert_eq!(
        fired(VERSIONING, template),
        [
            (
                "Off".to_string(),
                "VersioningConfiguration.Status is Suspended, not Enabled".to_string(),
                false
            ),
            (
                "Unset".to_string(),
                "VersioningConfiguration is not set".to_string(),
                false
            ),
        ]
    );
}

#[test]
fn a_misspelt_property_is_judged_as_missing() {
    let template = "Resources:
  Typo: {Type: AWS::S3::Bucket, Properties: {VersioningConfiguration: {\"Status'\": Enabled}}}
";
    assert_eq!(
        one(VERSIONING, template),
        (
            "VersioningConfiguration.Status is not set".to_string(),
            false
        )
    );
    // With CloudFormation's default written into the rule, it is judged
    // as that value.
    let encrypted = "{types: [AWS::RDS::DBInstance], require: {path: StorageEncrypted, equals: true, default: false}}";
    let template = "Resources:
  Db: {Type: AWS::RDS::DBInstance, Properties: {StorageEncypted: true}}
";
    assert_eq!(
        one(encrypted, template),
        (
            "StorageEncrypted is not set (CloudFormation's default: false)".to_string(),
            false
        )
    );
}

#[test]
fn values_are_resolved_and_every_one_counts() {
    let template = "Parameters:
  Status: {Type: String, Default: Suspended}
  Chosen: {Type: String, Default: Enabled, AllowedValues: [Enabled, Suspended]}
  Open: {Type: String}
Mappings:
  Env: {prod: {Status: Enabled}, dev: {Status: Suspended}}
Conditions:
  IsProd: !Equals [!Ref AWS::AccountId, '1']
Resources:
  ByDefault: {Type: AWS::S3::Bucket, Properties: {VersioningConfiguration: {Status: !Ref Status}}}
  ByMapping: {Type: AWS::S3::Bucket, Properties: {VersioningConfiguration: {Status: !FindInMap [Env, !Ref AWS::Region, Status]}}}
  ByBranch: {Type: AWS::S3::Bucket, Properties: {VersioningConfiguration: {Status: !If [IsProd, Enabled, Suspended]}}}
  Allowed: {Type: AWS::S3::Bucket, Properties: {VersioningConfiguration: {Status: !Ref Chosen}}}
  Unknown: {Type: AWS::S3::Bucket, Properties: {VersioningConfiguration: {Status: !Ref Open}}}
  Sub: {Type: AWS::S3::Bucket, Properties: {VersioningConfiguration: {Status: !Sub '${Status}'}}}
";
    let found = fired(VERSIONING, template);
    let expected_found = [
        (
            "ByDefault",
            "VersioningConfiguration.Status is Suspended (default of parameter Status), not Enabled",
            false,
        ),
        (
            "ByMapping",
            "VersioningConfiguration.Status is Suspended, not Enabled",
            false,
        ),
        (
            "ByBranch",
            "VersioningConfiguration.Status is Suspended, not Enabled when IsProd is false",
            false,
        ),
        (
            "Allowed",
            "VersioningConfiguration.Status may be Suspended (allowed value of parameter Chosen), not Enabled (parameter Chosen may be set to Suspended, one of its AllowedValues)",
            true,
        ),
        (
            "Unknown",
            "VersioningConfiguration.Status is not resolved (parameter Open has no Default)",
            true,
        ),
        (
            "Sub",
            "VersioningConfiguration.Status is Suspended (default of parameter Status), not Enabled",
            false,
        ),
    ];
    assert_eq!(found, expected(&expected_found));
}

#[test]
fn a_container_written_with_if_or_left_out_is_judged_in_each_branch() {
    let template = "Conditions:
  IsProd: !Equals [!Ref AWS::AccountId, '1']
Resources:
  Left:
    Type: AWS::S3::Bucket
    Properties:
      VersioningConfiguration: !If [IsProd, {Status: Enabled}, !Ref AWS::NoValue]
  Whole:
    Type: AWS::S3::Bucket
    Properties: {VersioningConfiguration: !Ref Unknown}
Parameters:
  Unknown: {Type: String}
";
    assert_eq!(
        fired(VERSIONING, template),
        [
            (
                "Left".to_string(),
                "VersioningConfiguration is not set when IsProd is false".to_string(),
                false
            ),
            (
                "Whole".to_string(),
                "VersioningConfiguration is not known (parameter Unknown has no Default)"
                    .to_string(),
                true
            ),
        ]
    );
}

#[test]
fn booleans_and_numbers_written_as_text_compare_as_cloudformation_reads_them() {
    let rule = "{types: [AWS::RDS::DBInstance], require: [{path: StorageEncrypted, equals: true, default: false}, {path: BackupRetentionPeriod, at-least: 7, default: 1}]}";
    let template = "Resources:
  Text: {Type: AWS::RDS::DBInstance, Properties: {StorageEncrypted: 'True', BackupRetentionPeriod: '7'}}
  Numbers: {Type: AWS::RDS::DBInstance, Properties: {StorageEncrypted: true, BackupRetentionPeriod: 35}}
  Short: {Type: AWS::RDS::DBInstance, Properties: {StorageEncrypted: 'false', BackupRetentionPeriod: '3'}}
  Nonsense: {Type: AWS::RDS::DBInstance, Properties: {StorageEncrypted: yes please, BackupRetentionPeriod: a week}}
";
    assert_eq!(
        fired(rule, template),
        [
            (
                "Short".to_string(),
                "StorageEncrypted is false, not true; BackupRetentionPeriod is 3, less than 7"
                    .to_string(),
                false
            ),
            (
                "Nonsense".to_string(),
                "StorageEncrypted is yes please, not true; BackupRetentionPeriod is a week, not a number (at least 7 expected)".to_string(),
                false
            ),
        ]
    );
}

#[test]
fn every_item_of_a_list_is_read_and_an_item_left_out_is_none() {
    let rule = "{types: [AWS::ElasticLoadBalancingV2::Listener], require: {path: 'Certificates[*].CertificateArn', matches: '^arn:', missing: holds}}";
    let https = "{types: [AWS::ElasticLoadBalancing::LoadBalancer], require: {path: 'Listeners[*].Protocol', one-of: [HTTPS, SSL], missing: fails}}";
    let template = "Conditions:
  C: !Equals [!Ref AWS::Region, eu-west-1]
Resources:
  Lb:
    Type: AWS::ElasticLoadBalancing::LoadBalancer
    Properties:
      Listeners:
        - {Protocol: HTTPS, LoadBalancerPort: 443, InstancePort: 80}
        - !If [C, {Protocol: HTTP, LoadBalancerPort: 80, InstancePort: 80}, !Ref AWS::NoValue]
  NoListeners:
    Type: AWS::ElasticLoadBalancing::LoadBalancer
    Properties: {Listeners: []}
";
    assert_eq!(
        fired(https, template),
        [(
            "Lb".to_string(),
            "Listeners[1].Protocol is HTTP, not one of HTTPS, SSL when C is true".to_string(),
            false
        )]
    );
    assert!(
        fired(
            rule,
            "Resources:\n  L: {Type: AWS::ElasticLoadBalancingV2::Listener}\n"
        )
        .is_empty()
    );
}

#[test]
fn values_of_one_resource_are_read_in_the_same_branches() {
    // Aurora encrypts at the cluster: the rule is for other engines. Both
    // values depend on IsAurora, and are never mixed across its branches.
    let rule = "{types: [AWS::RDS::DBInstance],
      when: {path: Engine, not-one-of: [aurora-mysql, aurora-postgresql], missing: holds},
      require: {path: StorageEncrypted, equals: true, default: false}}";
    let template = "Conditions:
  IsAurora: !Equals [!Ref AWS::AccountId, '1']
Resources:
  Db:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: !If [IsAurora, aurora-mysql, mysql]
      StorageEncrypted: !If [IsAurora, false, true]
  Plain:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: !If [IsAurora, aurora-mysql, mysql]
      StorageEncrypted: false
";
    assert_eq!(
        fired(rule, template),
        [(
            "Plain".to_string(),
            "StorageEncrypted is false, not true when IsAurora is false".to_string(),
            false
        )]
    );
    // An engine that cannot be known may be one the rule is for.
    let unknown = "Parameters:
  Engine: {Type: String}
Resources:
  Db: {Type: AWS::RDS::DBInstance, Properties: {Engine: !Ref Engine}}
";
    assert_eq!(
        one(rule, unknown),
        (
            "StorageEncrypted is not set (CloudFormation's default: false), if the rule applies (parameter Engine has no Default)".to_string(),
            true
        )
    );
}

#[test]
fn any_of_several_ways_to_comply_is_enough() {
    let rule = "{types: [AWS::SQS::Queue], require: {any: [{path: KmsMasterKeyId, exists: true}, {path: SqsManagedSseEnabled, equals: true, missing: fails}]}}";
    let template = "Parameters:
  Key: {Type: String}
Resources:
  Kms: {Type: AWS::SQS::Queue, Properties: {KmsMasterKeyId: !Ref Key}}
  Managed: {Type: AWS::SQS::Queue, Properties: {SqsManagedSseEnabled: 'true'}}
  Neither: {Type: AWS::SQS::Queue, Properties: {SqsManagedSseEnabled: false}}
";
    assert_eq!(
        fired(rule, template),
        [(
            "Neither".to_string(),
            "KmsMasterKeyId is not set, and SqsManagedSseEnabled is false, not true".to_string(),
            false
        )]
    );
}

#[test]
fn includes_asks_for_one_item_of_a_list() {
    let rule = "{types: [AWS::EKS::Cluster], require: {path: 'Logging.ClusterLogging.EnabledTypes[*].Type', includes: audit, missing: fails}}";
    let template = "Parameters:
  Type: {Type: String}
Resources:
  Audited:
    Type: AWS::EKS::Cluster
    Properties: {Logging: {ClusterLogging: {EnabledTypes: [{Type: api}, {Type: audit}]}}}
  ApiOnly:
    Type: AWS::EKS::Cluster
    Properties: {Logging: {ClusterLogging: {EnabledTypes: [{Type: api}]}}}
  Unset: {Type: AWS::EKS::Cluster, Properties: {}}
  Open:
    Type: AWS::EKS::Cluster
    Properties: {Logging: {ClusterLogging: {EnabledTypes: [{Type: api}, {Type: !Ref Type}]}}}
";
    assert_eq!(
        fired(rule, template),
        [
            (
                "ApiOnly".to_string(),
                "Logging.ClusterLogging.EnabledTypes[*].Type does not include audit".to_string(),
                false
            ),
            (
                "Unset".to_string(),
                "Logging.ClusterLogging.EnabledTypes[*].Type does not include audit".to_string(),
                false
            ),
            (
                "Open".to_string(),
                "Logging.ClusterLogging.EnabledTypes[*].Type may not include audit (parameter Type has no Default)".to_string(),
                true
            ),
        ]
    );
}

#[test]
fn absent_and_exists_need_no_word_on_missing_values() {
    let rule = "{types: [AWS::IAM::Policy], require: {path: 'Users[*]', absent: true}}";
    let template = "Resources:
  OnUser: {Type: AWS::IAM::Policy, Properties: {Users: [alice]}}
  OnRole: {Type: AWS::IAM::Policy, Properties: {Roles: [r]}}
  Empty: {Type: AWS::IAM::Policy, Properties: {Users: []}}
";
    assert_eq!(
        fired(rule, template),
        [(
            "OnUser".to_string(),
            "Users[0] is set (alice)".to_string(),
            false
        )]
    );
}

#[test]
fn values_of_a_known_shape_are_decided_where_every_value_of_it_answers_alike() {
    let public = "{types: [AWS::Lambda::Permission], require: {path: Principal, not-equals: '*', missing: fails}}";
    let template = "Parameters:
  Open: {Type: String}
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties: {AssumeRolePolicyDocument: {}}
  Custom: {Type: Custom::Thing}
  Account: {Type: AWS::Lambda::Permission, Properties: {Action: lambda:InvokeFunction, FunctionName: f, Principal: !Ref AWS::AccountId}}
  Root: {Type: AWS::Lambda::Permission, Properties: {Action: lambda:InvokeFunction, FunctionName: f, Principal: !Sub 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root'}}
  Service: {Type: AWS::Lambda::Permission, Properties: {Action: lambda:InvokeFunction, FunctionName: f, Principal: !Sub 's3.${AWS::URLSuffix}'}}
  ByArn: {Type: AWS::Lambda::Permission, Properties: {Action: lambda:InvokeFunction, FunctionName: f, Principal: !GetAtt Role.Arn}}
  ByParameter: {Type: AWS::Lambda::Permission, Properties: {Action: lambda:InvokeFunction, FunctionName: f, Principal: !Ref Open}}
  ByCustom: {Type: AWS::Lambda::Permission, Properties: {Action: lambda:InvokeFunction, FunctionName: f, Principal: !GetAtt Custom.Principal}}
  Anyone: {Type: AWS::Lambda::Permission, Properties: {Action: lambda:InvokeFunction, FunctionName: f, Principal: '*'}}
";
    assert_eq!(
        fired(public, template),
        expected(&[
            (
                "ByParameter",
                "Principal is not resolved (parameter Open has no Default)",
                true
            ),
            (
                "ByCustom",
                "Principal is not resolved (Fn::GetAtt Custom.Principal)",
                true
            ),
            ("Anyone", "Principal is *", false),
        ])
    );
    // A resource's id is a name the template gives it, or a generated one:
    // never a literal such as `default` unless the template names it so.
    let subnet_group = "{types: [AWS::ElastiCache::CacheCluster], require: {path: CacheSubnetGroupName, not-equals: default, missing: fails}}";
    let template = "Resources:
  Private:
    Type: AWS::ElastiCache::SubnetGroup
    Properties: {Description: private, SubnetIds: [a, b]}
  Named:
    Type: AWS::ElastiCache::SubnetGroup
    Properties: {Description: private, CacheSubnetGroupName: !Sub '${AWS::StackName}-cache', SubnetIds: [a]}
  Default:
    Type: AWS::ElastiCache::SubnetGroup
    Properties: {Description: private, CacheSubnetGroupName: default, SubnetIds: [a]}
  ByRef: {Type: AWS::ElastiCache::CacheCluster, Properties: {CacheSubnetGroupName: !Ref Private}}
  ByName: {Type: AWS::ElastiCache::CacheCluster, Properties: {CacheSubnetGroupName: !Ref Named}}
  NamedDefault: {Type: AWS::ElastiCache::CacheCluster, Properties: {CacheSubnetGroupName: !Ref Default}}
  Written: {Type: AWS::ElastiCache::CacheCluster, Properties: {CacheSubnetGroupName: default}}
";
    assert_eq!(
        fired(subnet_group, template),
        expected(&[
            (
                "NamedDefault",
                "CacheSubnetGroupName is not resolved (Ref Default (the id of a resource, known once it is created))",
                true
            ),
            ("Written", "CacheSubnetGroupName is default", false),
        ])
    );
    // Comparisons the shape cannot decide stay unresolved: an account id
    // may be any 12 digits, a region any region.
    let account = "{types: [AWS::Lambda::Permission], require: {path: SourceAccount, not-equals: '123456789012', missing: holds}}";
    let template = "Resources:
  Mine: {Type: AWS::Lambda::Permission, Properties: {Action: a, FunctionName: f, Principal: s3.amazonaws.com, SourceAccount: !Ref AWS::AccountId}}
  Short: {Type: AWS::Lambda::Permission, Properties: {Action: a, FunctionName: f, Principal: s3.amazonaws.com, SourceAccount: !Sub '${AWS::AccountId}0'}}
";
    assert_eq!(
        fired(account, template),
        expected(&[(
            "Mine",
            "SourceAccount is not resolved (pseudo parameter AWS::AccountId)",
            true
        )])
    );
}

#[test]
fn written_in_template_tells_secrets_written_out_from_those_kept_elsewhere() {
    let rule = "{types: [AWS::RDS::DBInstance], require: {path: MasterUserPassword, written-in-template: false, missing: holds}}";
    let template = "Parameters:
  Given: {Type: String, NoEcho: true}
  Defaulted: {Type: String, NoEcho: true, Default: hunter2}
  Stored: {Type: 'AWS::SSM::Parameter::Value<String>', Default: /db/password}
  Chosen: {Type: String, Default: '{{resolve:ssm-secure:/db/password}}', AllowedValues: ['{{resolve:ssm-secure:/db/password}}', hunter2]}
Conditions:
  IsProd: !Equals [!Ref AWS::AccountId, '1']
Resources:
  Secret: {Type: AWS::SecretsManager::Secret, Properties: {GenerateSecretString: {}}}
  Literal: {Type: AWS::RDS::DBInstance, Properties: {MasterUserPassword: hunter2}}
  ByDefault: {Type: AWS::RDS::DBInstance, Properties: {MasterUserPassword: !Ref Defaulted}}
  ByBranch: {Type: AWS::RDS::DBInstance, Properties: {MasterUserPassword: !If [IsProd, !Ref Given, hunter2]}}
  ByAllowed: {Type: AWS::RDS::DBInstance, Properties: {MasterUserPassword: !Ref Chosen}}
  InPart: {Type: AWS::RDS::DBInstance, Properties: {MasterUserPassword: !Sub 'hunter2${Given}'}}
  Computed: {Type: AWS::RDS::DBInstance, Properties: {MasterUserPassword: !Base64 hunter2}}
  ByParameter: {Type: AWS::RDS::DBInstance, Properties: {MasterUserPassword: !Ref Given}}
  BySsm: {Type: AWS::RDS::DBInstance, Properties: {MasterUserPassword: !Ref Stored}}
  Dynamic: {Type: AWS::RDS::DBInstance, Properties: {MasterUserPassword: '{{resolve:secretsmanager:db:SecretString:password}}'}}
  BuiltDynamic: {Type: AWS::RDS::DBInstance, Properties: {MasterUserPassword: !Sub '{{resolve:secretsmanager:${Secret}::password}}'}}
  Joined: {Type: AWS::RDS::DBInstance, Properties: {MasterUserPassword: !Join ['', ['{{resolve:secretsmanager:', !Ref Secret, ':SecretString:password}}']]}}
  Managed: {Type: AWS::RDS::DBInstance, Properties: {ManageMasterUserPassword: true}}
";
    let found = fired(rule, template);
    assert_eq!(
        found,
        expected(&[
            (
                "Literal",
                "MasterUserPassword is written in the template",
                false
            ),
            (
                "ByDefault",
                "MasterUserPassword is written in the template (default of parameter Defaulted)",
                false
            ),
            (
                "ByBranch",
                "MasterUserPassword is written in the template when IsProd is false",
                false
            ),
            (
                "ByAllowed",
                "MasterUserPassword may be written in the template (allowed value of parameter Chosen) (parameter Chosen may be set to another of its AllowedValues)",
                true
            ),
            (
                "InPart",
                "MasterUserPassword may be written in the template, in whole or in part (parameter Given has no Default)",
                true
            ),
            (
                "Computed",
                "MasterUserPassword may be written in the template, in whole or in part (Fn::Base64)",
                true
            ),
        ])
    );
    // The secret itself never shows in a finding: neither in its reason
    // nor in what it says is not known.
    let parsed = Template::parse(template.as_bytes()).unwrap();
    let report = evaluate(&parsed, &rules("property", rule), &Thresholds::default()).unwrap();
    let shown = serde_json::to_string(&report.findings).unwrap();
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(
        refused(
            "property",
            "{types: [AWS::RDS::DBInstance], require: {path: P, written-in-template: false, default: x}}"
        )
        .contains("never written in the template")
    );
}

#[test]
fn list_items_are_selected_by_the_value_of_a_key_failing_closed() {
    let logs = "{types: [AWS::ElasticLoadBalancingV2::LoadBalancer], require: {path: 'LoadBalancerAttributes[Key=access_logs.s3.enabled].Value', equals: true, default: false}}";
    let many: String = (0..20)
        .map(|i| format!("{{Key: a{i}, Value: x}}, "))
        .collect();
    let template = format!(
        "Parameters:
  Attribute: {{Type: String}}
Conditions:
  IsProd: !Equals [!Ref AWS::AccountId, '1']
Resources:
  Late: {{Type: AWS::ElasticLoadBalancingV2::LoadBalancer, Properties: {{LoadBalancerAttributes: [{many}{{Key: access_logs.s3.enabled, Value: 'false'}}]}}}}
  On: {{Type: AWS::ElasticLoadBalancingV2::LoadBalancer, Properties: {{LoadBalancerAttributes: [{many}{{Key: access_logs.s3.enabled, Value: 'true'}}]}}}}
  Other: {{Type: AWS::ElasticLoadBalancingV2::LoadBalancer, Properties: {{LoadBalancerAttributes: [{{Key: access_logs.s3.bucket, Value: logs}}]}}}}
  Unknown: {{Type: AWS::ElasticLoadBalancingV2::LoadBalancer, Properties: {{LoadBalancerAttributes: [{{Key: !Ref Attribute, Value: 'true'}}]}}}}
  Twice: {{Type: AWS::ElasticLoadBalancingV2::LoadBalancer, Properties: {{LoadBalancerAttributes: [{{Key: access_logs.s3.enabled, Value: 'true'}}, {{Key: access_logs.s3.enabled, Value: 'false'}}]}}}}
  ByBranch: {{Type: AWS::ElasticLoadBalancingV2::LoadBalancer, Properties: {{LoadBalancerAttributes: [!If [IsProd, {{Key: access_logs.s3.enabled, Value: 'true'}}, !Ref AWS::NoValue]]}}}}
  Shaped: {{Type: AWS::ElasticLoadBalancingV2::LoadBalancer, Properties: {{LoadBalancerAttributes: [{{Key: !Ref AWS::Region, Value: 'true'}}]}}}}
"
    );
    assert_eq!(
        fired(logs, &template),
        expected(&[
            (
                "Late",
                "LoadBalancerAttributes[20].Value is false, not true",
                false
            ),
            (
                "Other",
                "LoadBalancerAttributes[Key=access_logs.s3.enabled] is not set (CloudFormation's default: false)",
                false
            ),
            (
                "Unknown",
                "LoadBalancerAttributes[0] is not known (parameter Attribute has no Default)",
                true
            ),
            (
                "Twice",
                "LoadBalancerAttributes[1].Value is false, not true",
                false
            ),
            (
                "ByBranch",
                "LoadBalancerAttributes[Key=access_logs.s3.enabled] is not set (CloudFormation's default: false) when IsProd is false",
                false
            ),
            // A region is never access_logs.s3.enabled: the attribute is not set.
            (
                "Shaped",
                "LoadBalancerAttributes[Key=access_logs.s3.enabled] is not set (CloudFormation's default: false)",
                false
            ),
        ])
    );
}

#[test]
fn ruledata_that_is_wrong_is_refused_saying_what_is_wrong() {
    for (ruledata, says) in [
        (
            "{type: [AWS::S3::Bucket], require: {path: A, exists: true}}",
            "unknown field `type`",
        ),
        (
            "{types: [AWS::S3::Bucket], require: {path: A, equal: x, missing: fails}}",
            "unknown field `equal`",
        ),
        (
            "{types: [AWS::S3::Bucket], require: {path: A, equals: x}}",
            "must say what a missing value means",
        ),
        (
            "{types: [AWS::S3::Bucket], require: {path: A, equals: x, one-of: [y], missing: fails}}",
            "more than one operator",
        ),
        (
            "{types: [AWS::S3::Bucket], require: {path: A}}",
            "has no operator",
        ),
        (
            "{types: [AWS::S3::Bucket], require: {equals: x, missing: fails}}",
            "has no path",
        ),
        (
            "{types: [AWS::S3::Bucket], require: {path: 'A[x]', exists: true}}",
            "not * or a number",
        ),
        (
            "{types: [AWS::S3::Bucket], require: {path: A, missing: sometimes, equals: x}}",
            "unknown variant `sometimes`",
        ),
        (
            "{types: [S3 Bucket], require: {path: A, exists: true}}",
            "is not a resource type",
        ),
        (
            "{types: [AWS::S3::Bucket], require: {path: A, exists: true, missing: fails}}",
            "exists and absent say themselves",
        ),
        (
            "{types: [AWS::S3::Bucket], require: {path: A, matches: '(', missing: fails}}",
            "not a valid regex",
        ),
        (
            "{types: [AWS::S3::Bucket], require: {path: A, at-least: many, missing: fails}}",
            "must be a number",
        ),
        ("{types: [AWS::S3::Bucket], require: []}", "empty list"),
        ("{types: [AWS::S3::Bucket]}", "missing field `require`"),
        ("types: [", "not YAML or JSON"),
    ] {
        let message = refused("property", ruledata);
        assert!(message.contains(says), "{ruledata}: {message}");
    }
}

#[test]
fn ruledata_is_stored_in_one_line_and_reads_back_the_same() {
    let set = rules(
        "property",
        "types: [AWS::S3::Bucket]\nrequire:\n  path: A\n  exists: true\n",
    );
    let item = RuleItem::from(&set.rules()[0]);
    let stored = item
        .ruledata
        .as_ref()
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    assert!(!stored.contains('\n'), "{stored}");
    let again = rules("property", &stored);
    assert_eq!(RuleItem::from(&again.rules()[0]).ruledata, item.ruledata);
}
