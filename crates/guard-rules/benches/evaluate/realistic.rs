//! A realistic estate and a realistic policy, generated.
//!
//! The template is what a team's service stack looks like once it has
//! grown: functions with their roles, log groups and alarms, queues,
//! topics, tables, buckets, an API, a cluster behind a load balancer, a
//! database, a trail, keys. About 20 resource types, most resources
//! compliant, some not.
//!
//! The policy is 200 Guard items written the way published rules are
//! (registry-style `let`s with the `Metadata.guard.SuppressedRules` filter,
//! type blocks, plain filters, custom messages) over 50 resource types,
//! most of which a given stack does not use, and a few that look at the
//! whole template (Parameters, Outputs, every resource).

use serde_json::{Map, Value, json};

/// A template whose compact JSON is about `bytes` long.
pub fn template(bytes: usize) -> Value {
    let mut resources = Map::new();
    let mut i = 0;
    let mut size = 200;
    while size < bytes {
        for (id, resource) in service(i) {
            size += id.len() + resource.to_string().len() + 4;
            resources.insert(id, resource);
        }
        i += 1;
    }
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Generated service estate for the guard-rules benchmark",
        "Parameters": {
            "Environment": {"Type": "String", "Default": "prod", "AllowedValues": ["test", "prod"]},
            "DbPassword": {"Type": "String", "NoEcho": true},
            "VpcId": {"Type": "AWS::EC2::VPC::Id"},
            "SubnetIds": {"Type": "List<AWS::EC2::Subnet::Id>"},
        },
        "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Environment"}, "prod"]}},
        "Resources": resources,
        "Outputs": {
            "ApiUrl": {"Value": {"Fn::Sub": "https://${Api}.execute-api.${AWS::Region}.amazonaws.com/prod"}},
            "TableName": {"Value": {"Ref": "Table0"}, "Export": {"Name": "table-0"}},
        },
    })
}

fn tags(i: usize) -> Value {
    json!([
        {"Key": "team", "Value": format!("team-{}", i % 7)},
        {"Key": "service", "Value": format!("service-{i}")},
        {"Key": "cost-center", "Value": format!("cc-{}", 1000 + i % 13)},
    ])
}

/// One service: a few resources, varied by `i`.
fn service(i: usize) -> Vec<(String, Value)> {
    let mut out = vec![
        (
            format!("Function{i}"),
            json!({"Type": "AWS::Lambda::Function", "Properties": {
                "FunctionName": format!("service-{i}-handler"),
                "Runtime": if i.is_multiple_of(9) { "nodejs16.x" } else { "nodejs20.x" },
                "Handler": "index.handler",
                "Role": {"Fn::GetAtt": [format!("FunctionRole{i}"), "Arn"]},
                "Code": {"S3Bucket": "artifacts-bucket", "S3Key": format!("service-{i}/code.zip")},
                "MemorySize": 256, "Timeout": 30,
                "ReservedConcurrentExecutions": if i.is_multiple_of(4) { Value::Null } else { json!(10) },
                "TracingConfig": {"Mode": if i.is_multiple_of(3) { "PassThrough" } else { "Active" }},
                "Environment": {"Variables": {
                    "TABLE": {"Ref": format!("Table{}", i / 4)},
                    "QUEUE_URL": {"Ref": format!("Queue{i}")},
                    "LOG_LEVEL": "info", "STAGE": {"Ref": "Environment"},
                }},
                "VpcConfig": if i.is_multiple_of(2) { json!({"SubnetIds": {"Ref": "SubnetIds"}, "SecurityGroupIds": [{"Ref": format!("FunctionSg{i}")}]}) } else { Value::Null },
                "DeadLetterConfig": {"TargetArn": {"Fn::GetAtt": [format!("Dlq{i}"), "Arn"]}},
                "Tags": tags(i),
            }}),
        ),
        (
            format!("FunctionRole{i}"),
            json!({"Type": "AWS::IAM::Role", "Properties": {
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
                "ManagedPolicyArns": ["arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"],
                "Policies": [{"PolicyName": "access", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
                     "Resource": {"Fn::GetAtt": [format!("Table{}", i / 4), "Arn"]}},
                    {"Effect": "Allow", "Action": if i.is_multiple_of(11) { json!("*") } else { json!(["sqs:SendMessage", "sqs:ReceiveMessage"]) },
                     "Resource": {"Fn::GetAtt": [format!("Queue{i}"), "Arn"]}},
                ]}}],
                "Tags": tags(i),
            }}),
        ),
        (
            format!("FunctionLogs{i}"),
            json!({"Type": "AWS::Logs::LogGroup", "Properties": {
                "LogGroupName": {"Fn::Sub": format!("/aws/lambda/service-{i}-handler")},
                "RetentionInDays": if i.is_multiple_of(5) { 7 } else { 90 },
                "KmsKeyId": if i.is_multiple_of(2) { json!({"Fn::GetAtt": ["LogsKey", "Arn"]}) } else { Value::Null },
            }}),
        ),
        (
            format!("FunctionErrors{i}"),
            json!({"Type": "AWS::CloudWatch::Alarm", "Properties": {
                "AlarmDescription": format!("Errors of service {i}"),
                "Namespace": "AWS/Lambda", "MetricName": "Errors",
                "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": format!("Function{i}")}}],
                "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 5, "Threshold": 1,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "AlarmActions": [{"Ref": "AlertsTopic"}],
            }}),
        ),
        (
            format!("Queue{i}"),
            json!({"Type": "AWS::SQS::Queue", "Properties": {
                "VisibilityTimeout": 180, "MessageRetentionPeriod": 1209600,
                "KmsMasterKeyId": if i.is_multiple_of(6) { Value::Null } else { json!("alias/aws/sqs") },
                "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": [format!("Dlq{i}"), "Arn"]}, "maxReceiveCount": 5},
                "Tags": tags(i),
            }}),
        ),
        (
            format!("Dlq{i}"),
            json!({"Type": "AWS::SQS::Queue", "Properties": {"MessageRetentionPeriod": 1209600, "SqsManagedSseEnabled": true}}),
        ),
    ];
    if i.is_multiple_of(2) {
        out.push((
            format!("FunctionSg{i}"),
            json!({"Type": "AWS::EC2::SecurityGroup", "Properties": {
                "GroupDescription": format!("service {i}"), "VpcId": {"Ref": "VpcId"},
                "SecurityGroupIngress": if i.is_multiple_of(10) {
                    json!([{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}])
                } else { json!([]) },
                "SecurityGroupEgress": [{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}],
            }}),
        ));
    }
    if i.is_multiple_of(4) {
        out.push((
            format!("Table{}", i / 4),
            json!({"Type": "AWS::DynamoDB::Table", "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": i.is_multiple_of(8)},
                "SSESpecification": {"SSEEnabled": true},
                "Tags": tags(i),
            }}),
        ));
        out.push((
            format!("Bucket{}", i / 4),
            json!({"Type": "AWS::S3::Bucket", "Metadata": if i.is_multiple_of(16) {
                    json!({"guard": {"SuppressedRules": ["S3_BUCKET_LOGGING_ENABLED"]}})
                } else { json!({}) },
                "Properties": {
                "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": if i.is_multiple_of(12) { "AES256" } else { "aws:kms" }}}]},
                "PublicAccessBlockConfiguration": {"BlockPublicAcls": true, "BlockPublicPolicy": true,
                    "IgnorePublicAcls": true, "RestrictPublicBuckets": !i.is_multiple_of(20)},
                "VersioningConfiguration": {"Status": "Enabled"},
                "LoggingConfiguration": {"DestinationBucketName": {"Ref": "AccessLogs"}},
                "Tags": tags(i),
            }}),
        ));
        out.push((
            format!("Topic{}", i / 4),
            json!({"Type": "AWS::SNS::Topic", "Properties": {
                "KmsMasterKeyId": if i.is_multiple_of(8) { Value::Null } else { json!("alias/aws/sns") },
                "Subscription": [{"Protocol": "sqs", "Endpoint": {"Fn::GetAtt": [format!("Queue{i}"), "Arn"]}}],
            }}),
        ));
    }
    if i.is_multiple_of(10) {
        out.push((
            format!("Db{}", i / 10),
            json!({"Type": "AWS::RDS::DBInstance", "DeletionPolicy": "Snapshot", "Properties": {
                "Engine": "postgres", "EngineVersion": "16.3", "DBInstanceClass": "db.t4g.medium",
                "AllocatedStorage": 100, "StorageEncrypted": !i.is_multiple_of(20),
                "PubliclyAccessible": i.is_multiple_of(30), "MultiAZ": true,
                "MasterUsername": "app", "MasterUserPassword": {"Ref": "DbPassword"},
                "BackupRetentionPeriod": 7, "DeletionProtection": true,
                "Tags": tags(i),
            }}),
        ));
        out.push((
            format!("Cluster{}", i / 10),
            json!({"Type": "AWS::ECS::Service", "Properties": {
                "Cluster": "shared", "DesiredCount": 2, "LaunchType": "FARGATE",
                "TaskDefinition": {"Ref": format!("Task{}", i / 10)},
                "NetworkConfiguration": {"AwsvpcConfiguration": {"AssignPublicIp": "DISABLED",
                    "Subnets": {"Ref": "SubnetIds"}}},
            }}),
        ));
        out.push((
            format!("Task{}", i / 10),
            json!({"Type": "AWS::ECS::TaskDefinition", "Properties": {
                "Cpu": "512", "Memory": "1024", "NetworkMode": "awsvpc", "RequiresCompatibilities": ["FARGATE"],
                "ContainerDefinitions": [{"Name": "app", "Image": "public.ecr.aws/docker/library/node:20",
                    "Privileged": false, "ReadonlyRootFilesystem": !i.is_multiple_of(20),
                    "PortMappings": [{"ContainerPort": 8080}],
                    "LogConfiguration": {"LogDriver": "awslogs", "Options": {"awslogs-group": "app"}}}],
            }}),
        ));
        out.push((
            format!("Listener{}", i / 10),
            json!({"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {
                "LoadBalancerArn": {"Ref": "LoadBalancer"}, "Port": 443, "Protocol": "HTTPS",
                "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
                "Certificates": [{"CertificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc"}],
                "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": format!("Targets{}", i / 10)}}],
            }}),
        ));
    }
    if i == 0 {
        out.extend([
            ("LogsKey".to_string(), json!({"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": true,
                "KeyPolicy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                    "Principal": {"AWS": {"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:root"}}, "Action": "kms:*", "Resource": "*"}]}}})),
            ("AlertsTopic".to_string(), json!({"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": "alias/aws/sns"}})),
            ("AccessLogs".to_string(), json!({"Type": "AWS::S3::Bucket", "Properties": {
                "BucketEncryption": {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
                "PublicAccessBlockConfiguration": {"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true}}})),
            ("Trail".to_string(), json!({"Type": "AWS::CloudTrail::Trail", "Properties": {"IsLogging": true,
                "S3BucketName": {"Ref": "AccessLogs"}, "EnableLogFileValidation": true, "IsMultiRegionTrail": true}})),
            ("Api".to_string(), json!({"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "api",
                "EndpointConfiguration": {"Types": ["REGIONAL"]}}})),
            ("ApiStage".to_string(), json!({"Type": "AWS::ApiGateway::Stage", "Properties": {"RestApiId": {"Ref": "Api"},
                "StageName": "prod", "TracingEnabled": true,
                "MethodSettings": [{"ResourcePath": "/*", "HttpMethod": "*", "LoggingLevel": "INFO", "DataTraceEnabled": false}]}})),
            ("LoadBalancer".to_string(), json!({"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {
                "Scheme": "internet-facing", "Subnets": {"Ref": "SubnetIds"},
                "LoadBalancerAttributes": [{"Key": "access_logs.s3.enabled", "Value": "true"},
                    {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"}]}})),
        ]);
    }
    out
}

/// A check on one property, in the forms published rules use.
struct Check {
    id: &'static str,
    resource_type: &'static str,
    /// Clauses on one selected resource (`Properties.X == …`).
    clauses: &'static str,
    message: &'static str,
}

/// Checks on the types this estate uses, and on many it does not.
const CHECKS: &[Check] = &[
    Check {
        id: "LAMBDA_RUNTIME_SUPPORTED",
        resource_type: "AWS::Lambda::Function",
        clauses: "Properties.Runtime not in ['nodejs16.x', 'nodejs14.x', 'python3.7', 'python3.8', 'java8']",
        message: "Lambda functions use a supported runtime",
    },
    Check {
        id: "LAMBDA_INSIDE_VPC",
        resource_type: "AWS::Lambda::Function",
        clauses: "Properties.VpcConfig.SubnetIds exists",
        message: "Lambda functions run inside a VPC",
    },
    Check {
        id: "LAMBDA_CONCURRENCY_CHECK",
        resource_type: "AWS::Lambda::Function",
        clauses: "Properties.ReservedConcurrentExecutions exists",
        message: "Lambda functions reserve their concurrency",
    },
    Check {
        id: "LAMBDA_DLQ_CHECK",
        resource_type: "AWS::Lambda::Function",
        clauses: "Properties.DeadLetterConfig.TargetArn exists",
        message: "Lambda functions have a dead-letter queue",
    },
    Check {
        id: "LAMBDA_TRACING_ACTIVE",
        resource_type: "AWS::Lambda::Function",
        clauses: "Properties.TracingConfig.Mode == 'Active'",
        message: "Lambda functions trace with X-Ray",
    },
    Check {
        id: "IAM_NO_INLINE_STAR_ACTION",
        resource_type: "AWS::IAM::Role",
        clauses: "Properties.Policies[*].PolicyDocument.Statement[*] { when Effect == 'Allow' { Action != '*' } }",
        message: "roles do not allow every action",
    },
    Check {
        id: "IAM_ROLE_NO_ADMIN_POLICY",
        resource_type: "AWS::IAM::Role",
        clauses: "Properties.ManagedPolicyArns[*] != 'arn:aws:iam::aws:policy/AdministratorAccess'",
        message: "roles do not have AdministratorAccess",
    },
    Check {
        id: "IAM_POLICY_NO_STAR_ACTION",
        resource_type: "AWS::IAM::Policy",
        clauses: "Properties.PolicyDocument.Statement[*] { when Effect == 'Allow' { Action != '*' } }",
        message: "policies do not allow every action",
    },
    Check {
        id: "IAM_MANAGED_POLICY_NO_STAR",
        resource_type: "AWS::IAM::ManagedPolicy",
        clauses: "Properties.PolicyDocument.Statement[*] { when Effect == 'Allow' { Action != '*' } }",
        message: "managed policies do not allow every action",
    },
    Check {
        id: "IAM_USER_NO_POLICIES",
        resource_type: "AWS::IAM::User",
        clauses: "Properties.Policies not exists",
        message: "users get permissions from groups",
    },
    Check {
        id: "CW_LOGGROUP_RETENTION_PERIOD_CHECK",
        resource_type: "AWS::Logs::LogGroup",
        clauses: "Properties.RetentionInDays >= 30",
        message: "log groups keep logs for 30 days or more",
    },
    Check {
        id: "CLOUDWATCH_LOG_GROUP_ENCRYPTED",
        resource_type: "AWS::Logs::LogGroup",
        clauses: "Properties.KmsKeyId exists",
        message: "log groups are encrypted with KMS",
    },
    Check {
        id: "CLOUDWATCH_ALARM_ACTION_CHECK",
        resource_type: "AWS::CloudWatch::Alarm",
        clauses: "Properties.AlarmActions exists\n        Properties.AlarmActions !empty",
        message: "alarms notify someone",
    },
    Check {
        id: "SQS_QUEUE_ENCRYPTED",
        resource_type: "AWS::SQS::Queue",
        clauses: "Properties.KmsMasterKeyId exists or Properties.SqsManagedSseEnabled == true",
        message: "queues are encrypted",
    },
    Check {
        id: "SQS_RETENTION_MAX",
        resource_type: "AWS::SQS::Queue",
        clauses: "Properties.MessageRetentionPeriod <= 1209600",
        message: "queues keep messages 14 days at most",
    },
    Check {
        id: "SNS_ENCRYPTED_KMS",
        resource_type: "AWS::SNS::Topic",
        clauses: "Properties.KmsMasterKeyId exists",
        message: "topics are encrypted with KMS",
    },
    Check {
        id: "DYNAMODB_PITR_ENABLED",
        resource_type: "AWS::DynamoDB::Table",
        clauses: "Properties.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled == true",
        message: "tables have point-in-time recovery",
    },
    Check {
        id: "DYNAMODB_TABLE_ENCRYPTED_KMS",
        resource_type: "AWS::DynamoDB::Table",
        clauses: "Properties.SSESpecification.SSEEnabled == true",
        message: "tables are encrypted with KMS",
    },
    Check {
        id: "S3_BUCKET_SSE_ENABLED",
        resource_type: "AWS::S3::Bucket",
        clauses: "Properties.BucketEncryption.ServerSideEncryptionConfiguration[*].ServerSideEncryptionByDefault.SSEAlgorithm in ['aws:kms', 'AES256']",
        message: "buckets are encrypted at rest",
    },
    Check {
        id: "S3_BUCKET_KMS_ENCRYPTED",
        resource_type: "AWS::S3::Bucket",
        clauses: "Properties.BucketEncryption.ServerSideEncryptionConfiguration[*].ServerSideEncryptionByDefault.SSEAlgorithm == 'aws:kms'",
        message: "buckets are encrypted with KMS",
    },
    Check {
        id: "S3_BUCKET_PUBLIC_ACCESS_BLOCKED",
        resource_type: "AWS::S3::Bucket",
        clauses: "Properties.PublicAccessBlockConfiguration.BlockPublicAcls == true\n        Properties.PublicAccessBlockConfiguration.BlockPublicPolicy == true\n        Properties.PublicAccessBlockConfiguration.IgnorePublicAcls == true\n        Properties.PublicAccessBlockConfiguration.RestrictPublicBuckets == true",
        message: "buckets block public access",
    },
    Check {
        id: "S3_BUCKET_VERSIONING_ENABLED",
        resource_type: "AWS::S3::Bucket",
        clauses: "Properties.VersioningConfiguration.Status == 'Enabled'",
        message: "buckets are versioned",
    },
    Check {
        id: "S3_BUCKET_LOGGING_ENABLED",
        resource_type: "AWS::S3::Bucket",
        clauses: "Properties.LoggingConfiguration exists",
        message: "buckets log access",
    },
    Check {
        id: "EC2_SG_NO_SSH_FROM_WORLD",
        resource_type: "AWS::EC2::SecurityGroup",
        clauses: "Properties.SecurityGroupIngress[*] { when FromPort == 22 { CidrIp != '0.0.0.0/0' } }",
        message: "security groups do not admit SSH from the world",
    },
    Check {
        id: "EC2_SG_DESCRIBED",
        resource_type: "AWS::EC2::SecurityGroup",
        clauses: "Properties.GroupDescription exists",
        message: "security groups say what they are for",
    },
    Check {
        id: "RDS_STORAGE_ENCRYPTED",
        resource_type: "AWS::RDS::DBInstance",
        clauses: "Properties.StorageEncrypted == true",
        message: "databases encrypt their storage",
    },
    Check {
        id: "RDS_INSTANCE_PUBLIC_ACCESS_CHECK",
        resource_type: "AWS::RDS::DBInstance",
        clauses: "Properties.PubliclyAccessible not exists or Properties.PubliclyAccessible == false",
        message: "databases are not public",
    },
    Check {
        id: "RDS_MULTI_AZ_SUPPORT",
        resource_type: "AWS::RDS::DBInstance",
        clauses: "Properties.MultiAZ == true",
        message: "databases are multi-AZ",
    },
    Check {
        id: "RDS_INSTANCE_DELETION_PROTECTION_ENABLED",
        resource_type: "AWS::RDS::DBInstance",
        clauses: "Properties.DeletionProtection == true",
        message: "databases are protected from deletion",
    },
    Check {
        id: "DB_INSTANCE_BACKUP_ENABLED",
        resource_type: "AWS::RDS::DBInstance",
        clauses: "Properties.BackupRetentionPeriod >= 7",
        message: "databases keep a week of backups",
    },
    Check {
        id: "ECS_TASK_NOT_PRIVILEGED",
        resource_type: "AWS::ECS::TaskDefinition",
        clauses: "Properties.ContainerDefinitions[*].Privileged != true",
        message: "containers are not privileged",
    },
    Check {
        id: "ECS_CONTAINERS_READONLY_ACCESS",
        resource_type: "AWS::ECS::TaskDefinition",
        clauses: "Properties.ContainerDefinitions[*].ReadonlyRootFilesystem == true",
        message: "containers have a read-only root",
    },
    Check {
        id: "ECS_NO_PUBLIC_IP",
        resource_type: "AWS::ECS::Service",
        clauses: "Properties.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp != 'ENABLED'",
        message: "services get no public IP",
    },
    Check {
        id: "ELBV2_LISTENER_HTTPS",
        resource_type: "AWS::ElasticLoadBalancingV2::Listener",
        clauses: "Properties.Protocol in ['HTTPS', 'TLS']",
        message: "listeners encrypt traffic",
    },
    Check {
        id: "ELBV2_DROP_INVALID_HEADERS",
        resource_type: "AWS::ElasticLoadBalancingV2::LoadBalancer",
        clauses: "Properties.LoadBalancerAttributes[ Key == 'routing.http.drop_invalid_header_fields.enabled' ].Value == 'true'",
        message: "load balancers drop invalid headers",
    },
    Check {
        id: "CLOUDTRAIL_LOG_FILE_VALIDATION_ENABLED",
        resource_type: "AWS::CloudTrail::Trail",
        clauses: "Properties.EnableLogFileValidation == true",
        message: "trails validate their log files",
    },
    Check {
        id: "CLOUDTRAIL_MULTI_REGION",
        resource_type: "AWS::CloudTrail::Trail",
        clauses: "Properties.IsMultiRegionTrail == true",
        message: "trails cover every region",
    },
    Check {
        id: "KMS_KEY_ROTATION",
        resource_type: "AWS::KMS::Key",
        clauses: "Properties.EnableKeyRotation == true",
        message: "keys rotate",
    },
    Check {
        id: "API_GW_STAGE_TRACING",
        resource_type: "AWS::ApiGateway::Stage",
        clauses: "Properties.TracingEnabled == true",
        message: "API stages trace with X-Ray",
    },
    Check {
        id: "API_GW_STAGE_LOGGING",
        resource_type: "AWS::ApiGateway::Stage",
        clauses: "Properties.MethodSettings[*].LoggingLevel in ['INFO', 'ERROR']",
        message: "API stages log",
    },
    Check {
        id: "EBS_VOLUME_ENCRYPTED",
        resource_type: "AWS::EC2::Volume",
        clauses: "Properties.Encrypted == true",
        message: "volumes are encrypted",
    },
    Check {
        id: "EC2_INSTANCE_IMDSV2",
        resource_type: "AWS::EC2::LaunchTemplate",
        clauses: "Properties.LaunchTemplateData.MetadataOptions.HttpTokens == 'required'",
        message: "instances require IMDSv2",
    },
    Check {
        id: "EC2_INSTANCE_NO_PUBLIC_IP",
        resource_type: "AWS::EC2::Instance",
        clauses: "Properties.NetworkInterfaces[*].AssociatePublicIpAddress != true",
        message: "instances get no public IP",
    },
    Check {
        id: "EFS_ENCRYPTED_CHECK",
        resource_type: "AWS::EFS::FileSystem",
        clauses: "Properties.Encrypted == true",
        message: "file systems are encrypted",
    },
    Check {
        id: "REDSHIFT_CLUSTER_ENCRYPTED",
        resource_type: "AWS::Redshift::Cluster",
        clauses: "Properties.Encrypted == true",
        message: "warehouses are encrypted",
    },
    Check {
        id: "REDSHIFT_NOT_PUBLIC",
        resource_type: "AWS::Redshift::Cluster",
        clauses: "Properties.PubliclyAccessible != true",
        message: "warehouses are not public",
    },
    Check {
        id: "ELASTICACHE_REPL_GRP_ENCRYPTED_AT_REST",
        resource_type: "AWS::ElastiCache::ReplicationGroup",
        clauses: "Properties.AtRestEncryptionEnabled == true",
        message: "caches are encrypted at rest",
    },
    Check {
        id: "ELASTICACHE_REPL_GRP_ENCRYPTED_IN_TRANSIT",
        resource_type: "AWS::ElastiCache::ReplicationGroup",
        clauses: "Properties.TransitEncryptionEnabled == true",
        message: "caches are encrypted in transit",
    },
    Check {
        id: "OPENSEARCH_ENCRYPTED_AT_REST",
        resource_type: "AWS::OpenSearchService::Domain",
        clauses: "Properties.EncryptionAtRestOptions.Enabled == true",
        message: "search domains are encrypted",
    },
    Check {
        id: "OPENSEARCH_NODE_TO_NODE",
        resource_type: "AWS::OpenSearchService::Domain",
        clauses: "Properties.NodeToNodeEncryptionOptions.Enabled == true",
        message: "search nodes encrypt their traffic",
    },
    Check {
        id: "NEPTUNE_CLUSTER_ENCRYPTED",
        resource_type: "AWS::Neptune::DBCluster",
        clauses: "Properties.StorageEncrypted == true",
        message: "graph databases are encrypted",
    },
    Check {
        id: "DOCDB_CLUSTER_ENCRYPTED",
        resource_type: "AWS::DocDB::DBCluster",
        clauses: "Properties.StorageEncrypted == true",
        message: "document databases are encrypted",
    },
    Check {
        id: "RDS_CLUSTER_ENCRYPTED",
        resource_type: "AWS::RDS::DBCluster",
        clauses: "Properties.StorageEncrypted == true",
        message: "database clusters are encrypted",
    },
    Check {
        id: "MSK_IN_CLUSTER_ENCRYPTED",
        resource_type: "AWS::MSK::Cluster",
        clauses: "Properties.EncryptionInfo.EncryptionInTransit.InCluster == true",
        message: "Kafka encrypts in the cluster",
    },
    Check {
        id: "KINESIS_STREAM_ENCRYPTED",
        resource_type: "AWS::Kinesis::Stream",
        clauses: "Properties.StreamEncryption exists",
        message: "streams are encrypted",
    },
    Check {
        id: "FIREHOSE_ENCRYPTED",
        resource_type: "AWS::KinesisFirehose::DeliveryStream",
        clauses: "Properties.DeliveryStreamEncryptionConfigurationInput exists",
        message: "delivery streams are encrypted",
    },
    Check {
        id: "SAGEMAKER_NOTEBOOK_NO_DIRECT_INTERNET",
        resource_type: "AWS::SageMaker::NotebookInstance",
        clauses: "Properties.DirectInternetAccess == 'Disabled'",
        message: "notebooks have no direct internet access",
    },
    Check {
        id: "SAGEMAKER_ENDPOINT_KMS",
        resource_type: "AWS::SageMaker::EndpointConfig",
        clauses: "Properties.KmsKeyId exists",
        message: "endpoints are encrypted",
    },
    Check {
        id: "CODEBUILD_PROJECT_ENCRYPTED",
        resource_type: "AWS::CodeBuild::Project",
        clauses: "Properties.EncryptionKey exists",
        message: "build projects are encrypted",
    },
    Check {
        id: "CODEBUILD_NO_PRIVILEGED",
        resource_type: "AWS::CodeBuild::Project",
        clauses: "Properties.Environment.PrivilegedMode != true",
        message: "builds are not privileged",
    },
    Check {
        id: "STEPFUNCTIONS_LOGGING",
        resource_type: "AWS::StepFunctions::StateMachine",
        clauses: "Properties.LoggingConfiguration exists",
        message: "state machines log",
    },
    Check {
        id: "SECRETS_ROTATION",
        resource_type: "AWS::SecretsManager::Secret",
        clauses: "Properties.KmsKeyId exists",
        message: "secrets use a customer key",
    },
    Check {
        id: "WAF_LOGGING",
        resource_type: "AWS::WAFv2::WebACL",
        clauses: "Properties.VisibilityConfig.CloudWatchMetricsEnabled == true",
        message: "web ACLs publish metrics",
    },
    Check {
        id: "CLOUDFRONT_VIEWER_HTTPS",
        resource_type: "AWS::CloudFront::Distribution",
        clauses: "Properties.DistributionConfig.DefaultCacheBehavior.ViewerProtocolPolicy != 'allow-all'",
        message: "distributions require HTTPS",
    },
    Check {
        id: "CLOUDFRONT_LOGGING",
        resource_type: "AWS::CloudFront::Distribution",
        clauses: "Properties.DistributionConfig.Logging exists",
        message: "distributions log",
    },
    Check {
        id: "ECR_SCAN_ON_PUSH",
        resource_type: "AWS::ECR::Repository",
        clauses: "Properties.ImageScanningConfiguration.ScanOnPush == true",
        message: "repositories scan images",
    },
    Check {
        id: "ECR_IMMUTABLE_TAGS",
        resource_type: "AWS::ECR::Repository",
        clauses: "Properties.ImageTagMutability == 'IMMUTABLE'",
        message: "image tags are immutable",
    },
    Check {
        id: "EKS_SECRETS_ENCRYPTED",
        resource_type: "AWS::EKS::Cluster",
        clauses: "Properties.EncryptionConfig exists",
        message: "Kubernetes secrets are encrypted",
    },
    Check {
        id: "EKS_ENDPOINT_NO_PUBLIC_ACCESS",
        resource_type: "AWS::EKS::Cluster",
        clauses: "Properties.ResourcesVpcConfig.EndpointPublicAccess != true",
        message: "Kubernetes endpoints are private",
    },
    Check {
        id: "AUTOSCALING_LAUNCH_CONFIG_NO_PUBLIC_IP",
        resource_type: "AWS::AutoScaling::LaunchConfiguration",
        clauses: "Properties.AssociatePublicIpAddress != true",
        message: "launch configurations assign no public IP",
    },
    Check {
        id: "BACKUP_PLAN_MIN_FREQUENCY",
        resource_type: "AWS::Backup::BackupPlan",
        clauses: "Properties.BackupPlan.BackupPlanRule[*].Lifecycle.DeleteAfterDays >= 35",
        message: "backups are kept 35 days",
    },
    Check {
        id: "GLUE_JOB_ENCRYPTED",
        resource_type: "AWS::Glue::SecurityConfiguration",
        clauses: "Properties.EncryptionConfiguration.S3Encryptions[*].S3EncryptionMode != 'DISABLED'",
        message: "Glue jobs encrypt their output",
    },
    Check {
        id: "ATHENA_WORKGROUP_ENCRYPTED",
        resource_type: "AWS::Athena::WorkGroup",
        clauses: "Properties.WorkGroupConfiguration.ResultConfiguration.EncryptionConfiguration exists",
        message: "query results are encrypted",
    },
    Check {
        id: "DAX_ENCRYPTED",
        resource_type: "AWS::DAX::Cluster",
        clauses: "Properties.SSESpecification.SSEEnabled == true",
        message: "DAX clusters are encrypted",
    },
    Check {
        id: "MQ_NOT_PUBLIC",
        resource_type: "AWS::AmazonMQ::Broker",
        clauses: "Properties.PubliclyAccessible != true",
        message: "brokers are not public",
    },
    Check {
        id: "TRANSFER_SERVER_NO_FTP",
        resource_type: "AWS::Transfer::Server",
        clauses: "Properties.Protocols[*] != 'FTP'",
        message: "transfer servers do not speak FTP",
    },
    Check {
        id: "APPSYNC_LOGGING",
        resource_type: "AWS::AppSync::GraphQLApi",
        clauses: "Properties.LogConfig exists",
        message: "GraphQL APIs log",
    },
    Check {
        id: "EMR_KERBEROS",
        resource_type: "AWS::EMR::Cluster",
        clauses: "Properties.KerberosAttributes exists",
        message: "EMR clusters use Kerberos",
    },
];

/// Items that look at the whole template.
const WHOLE_TEMPLATE: &[&str] = &[
    "rule PARAMETERS_NO_PLAIN_PASSWORDS {\n    Parameters.*[ this.Type == 'String' ] {\n        when this.NoEcho not exists {\n            this.Default !exists or this.Default != /(?i)password/\n        }\n    }\n}",
    "rule OUTPUTS_EXPORT_NAMED {\n    Outputs.*[ Export exists ].Export.Name exists\n    << exported outputs are named >>\n}",
    "rule DATABASES_HAVE_SNAPSHOT_POLICY {\n    Resources.*[ Type in ['AWS::RDS::DBInstance', 'AWS::RDS::DBCluster'] ] {\n        DeletionPolicy exists\n    }\n    Parameters.DbPassword.NoEcho == true\n}",
    "let taggable = Resources.*[ Properties.Tags exists ]\nrule TAGS_HAVE_TEAM when %taggable !empty {\n    %taggable.Properties.Tags[ Key == 'team' ] !empty\n    << tagged resources name their team >>\n}",
    "rule TEMPLATE_HAS_DESCRIPTION { Description exists }",
];

/// 200 items: every check, in one of three forms, then more of the same
/// checks under other ids, then the whole-template items.
pub fn items() -> Vec<String> {
    let mut items: Vec<String> = WHOLE_TEMPLATE.iter().map(|s| s.to_string()).collect();
    let mut n = 0;
    while items.len() < 200 {
        let check = &CHECKS[n % CHECKS.len()];
        let id = if n < CHECKS.len() {
            check.id.to_string()
        } else {
            format!("{}_{}", check.id, n / CHECKS.len())
        };
        items.push(item(check, &id, n % 3));
        n += 1;
    }
    items
}

fn item(check: &Check, id: &str, form: usize) -> String {
    let Check {
        resource_type,
        clauses,
        message,
        ..
    } = check;
    let var = id.to_lowercase();
    // A custom message belongs to a clause; a block takes none.
    let ends_in_block = clauses.ends_with('}');
    match form {
        // As the Guard Rules Registry writes them.
        0 => {
            let message = if ends_in_block {
                String::new()
            } else {
                format!(
                    "\n        <<\n            Violation: {message}\n            Fix: see the {id} runbook\n        >>"
                )
            };
            format!(
                "#\n# {id}\n#\nlet {var} = Resources.*[ Type == '{resource_type}'\n  Metadata.guard.SuppressedRules not exists or\n  Metadata.guard.SuppressedRules.* != \"{id}\"\n]\n\nrule {id} when %{var} !empty {{\n    %{var} {{\n        {clauses}{message}\n    }}\n}}\n"
            )
        }
        // A type block.
        1 => format!(
            "# {message}\nrule {id} {{\n    {resource_type} {{\n        {clauses}\n    }}\n}}\n"
        ),
        // A plain filter and a block.
        _ => {
            let message = if ends_in_block {
                String::new()
            } else {
                format!(" << {message} >>")
            };
            format!(
                "rule {id} {{\n    Resources.*[ Type == '{resource_type}' ] {{\n        {clauses}{message}\n    }}\n}}\n"
            )
        }
    }
}
