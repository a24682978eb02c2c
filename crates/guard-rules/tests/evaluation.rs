//! Evaluating rules files: failures per resource, messages, skips, and
//! every way a rules file or an evaluation is refused.

use guard_rules::{
    Evaluation, FailureKind, GuardData, GuardError, GuardFailure, GuardRules, MAX_MESSAGE_CHARS,
    MAX_NESTING, MAX_RULES_BYTES, Options, Status, evaluate, evaluate_with, limits,
};
use serde_json::{Value, json};

fn rules_file(name: &str) -> GuardRules {
    let path = format!("{}/tests/rules/{name}.guard", env!("CARGO_MANIFEST_DIR"));
    GuardRules::parse(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn data(value: Value) -> GuardData {
    GuardData::from_json(&value).unwrap()
}

/// Evaluates with and without the shortcuts, which must agree.
fn run(rules: &GuardRules, template: &GuardData) -> Evaluation {
    let with = evaluate(rules, template).unwrap();
    let without = evaluate_with(rules, template, Options::REFERENCE).unwrap();
    assert_eq!(with.verdicts, without.verdicts);
    assert_eq!(with.failures, without.failures);
    with
}

/// (rule, resource) of each failure.
fn failing(evaluation: &Evaluation) -> Vec<(&str, Option<&str>)> {
    evaluation
        .failures
        .iter()
        .map(|f| (f.rule.as_str(), f.resource.as_deref()))
        .collect()
}

/// A template with a bit of everything the rules below look at.
fn estate() -> GuardData {
    data(json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {"Environment": {"Type": "String", "Default": "prod"}},
        "Resources": {
            "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {}}},
            "GoodBucket": {"Type": "AWS::S3::Bucket", "Properties": {
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": true, "BlockPublicPolicy": true,
                    "IgnorePublicAcls": true, "RestrictPublicBuckets": true},
                "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": {"Fn::GetAtt": ["Key", "Arn"]}}}]},
                "VersioningConfiguration": {"Status": "Enabled"}}},
            "OpenBucket": {"Type": "AWS::S3::Bucket", "Properties": {
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": false, "BlockPublicPolicy": true,
                    "IgnorePublicAcls": true, "RestrictPublicBuckets": false}}},
            "BareBucket": {"Type": "AWS::S3::Bucket"},
            "AppPolicy": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": {"Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
                {"Effect": "Allow", "Action": ["s3:PutObject", "*"], "Resource": "*"}]}}},
            "AdminRole": {"Type": "AWS::IAM::Role", "Properties": {
                "AssumeRolePolicyDocument": {},
                "Policies": [{"PolicyName": "admin", "PolicyDocument": {
                    "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}}]}},
            "PublicDb": {"Type": "AWS::RDS::DBInstance", "Properties": {
                "Engine": "mysql", "PubliclyAccessible": true, "StorageEncrypted": true}},
            "PlainDb": {"Type": "AWS::RDS::DBInstance", "Properties": {"Engine": "postgres"}},
            "Trail": {"Type": "AWS::CloudTrail::Trail", "Properties": {
                "IsLogging": true, "EnableLogFileValidation": false}},
            "ValidatedTrail": {"Type": "AWS::CloudTrail::Trail", "Properties": {
                "IsLogging": true, "EnableLogFileValidation": true}},
        }
    }))
}

// --- The right failures, per resource ----------------------------------------

#[test]
fn s3_public_access_block() {
    let evaluation = run(&rules_file("s3_public_access_blocked"), &estate());
    assert_eq!(
        evaluation.status("S3_BUCKET_PUBLIC_ACCESS_BLOCKED"),
        Some(Status::Fail)
    );
    assert_eq!(
        failing(&evaluation),
        [
            ("S3_BUCKET_PUBLIC_ACCESS_BLOCKED", Some("OpenBucket")),
            ("S3_BUCKET_PUBLIC_ACCESS_BLOCKED", Some("BareBucket")),
        ]
    );
    // Two settings are false on OpenBucket: one failure, both messages.
    let open = &evaluation.failures[0].message;
    assert!(open.contains("BlockPublicAcls Value=false"), "{open}");
    assert!(open.contains("RestrictPublicBuckets Value=false"), "{open}");
    // The custom message of the clause that failed for BareBucket.
    let bare = &evaluation.failures[1].message;
    assert!(
        bare.starts_with(
            "S3_BUCKET_PUBLIC_ACCESS_BLOCKED: S3 buckets must set PublicAccessBlockConfiguration"
        ),
        "{bare}"
    );
}

#[test]
fn bucket_encryption_with_a_custom_message() {
    let evaluation = run(&rules_file("s3_bucket_encrypted"), &estate());
    let message = "S3_BUCKET_SSE_ENABLED: Violation: S3 buckets must be encrypted at rest \
                   Fix: set BucketEncryption to SSE-S3 (AES256) or SSE-KMS (aws:kms)";
    assert_eq!(
        evaluation.failures,
        ["OpenBucket", "BareBucket"].map(|id| GuardFailure {
            rule: "S3_BUCKET_SSE_ENABLED".to_string(),
            resource: Some(id.to_string()),
            kind: FailureKind::NotCompliant,
            message: message.to_string(),
        })
    );
}

/// Guard reads its data as YAML, which refuses DEL, most C1 controls and
/// U+FFFE/U+FFFF written as they are: a template holding them (in a value
/// or a logical id) is still evaluated, not an error.
#[test]
fn characters_yaml_refuses_written_raw_are_read_all_the_same() {
    for odd in ['\u{7f}', '\u{80}', '\u{9f}', '\u{fffe}', '\u{ffff}'] {
        let bucket = format!("Bucket{odd}");
        let template = data(json!({"Resources": {
            bucket.clone(): {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": format!("logs{odd}")}},
        }}));
        let evaluation = run(&rules_file("s3_bucket_encrypted"), &template);
        assert_eq!(
            failing(&evaluation),
            [("S3_BUCKET_SSE_ENABLED", Some(bucket.as_str()))],
            "{odd:?}"
        );
    }
}

#[test]
fn iam_policies_and_roles_with_a_star_action() {
    let evaluation = run(&rules_file("iam_no_wildcard_action"), &estate());
    assert_eq!(
        failing(&evaluation),
        [
            ("IAM_POLICY_NO_WILDCARD_ACTION", Some("AppPolicy")),
            ("IAM_ROLE_INLINE_NO_WILDCARD_ACTION", Some("AdminRole")),
        ]
    );
    assert_eq!(
        evaluation.failures[1].message,
        "IAM_ROLE_INLINE_NO_WILDCARD_ACTION: inline role policies must not allow every action (\"*\")"
    );
}

#[test]
fn public_or_unencrypted_databases_with_guards_own_messages() {
    let evaluation = run(&rules_file("rds_instance_private_encrypted"), &estate());
    assert_eq!(
        failing(&evaluation),
        [
            ("RDS_INSTANCE_NOT_PUBLIC", Some("PublicDb")),
            ("RDS_STORAGE_ENCRYPTED", Some("PlainDb")),
        ]
    );
    // Guard's messages say what was compared, without its `[L:0,C:0]` noise.
    let public = &evaluation.failures[0].message;
    assert!(
        public.starts_with("RDS_INSTANCE_NOT_PUBLIC: Check was not compliant"),
        "{public}"
    );
    assert!(
        public.contains("/Resources/PublicDb/Properties/PubliclyAccessible"),
        "{public}"
    );
    assert!(!public.contains("[L:"), "{public}");
    let plain = &evaluation.failures[1].message;
    assert!(plain.contains("[StorageEncrypted]"), "{plain}");
    assert!(!plain.contains('\n'));
}

#[test]
fn cloudtrail_log_validation_in_a_type_block() {
    let evaluation = run(&rules_file("cloudtrail_log_validation"), &estate());
    assert_eq!(
        failing(&evaluation),
        [("CLOUDTRAIL_LOG_FILE_VALIDATION_ENABLED", Some("Trail"))]
    );
}

#[test]
fn a_when_on_the_template_that_skips() {
    let rules = rules_file("prod_buckets_versioned");
    let evaluation = run(&rules, &estate());
    assert_eq!(
        failing(&evaluation),
        [
            ("PROD_BUCKETS_VERSIONED", Some("OpenBucket")),
            ("PROD_BUCKETS_VERSIONED", Some("BareBucket")),
        ]
    );
    // Not production: the condition is false, the rule skips, nothing fails.
    let mut test = estate().json().parse::<Value>().unwrap();
    test["Parameters"]["Environment"]["Default"] = json!("test");
    let evaluation = run(&rules, &data(test));
    assert_eq!(
        evaluation.status("PROD_BUCKETS_VERSIONED"),
        Some(Status::Skip)
    );
    assert!(evaluation.failures.is_empty());
    assert!(!evaluation.skipped, "Guard ran: the rules read Parameters");
}

#[test]
fn a_when_on_selected_resources_that_skips() {
    let rules = rules_file("s3_bucket_encrypted");
    let queues = data(json!({"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}));
    let evaluation = run(&rules, &queues);
    assert_eq!(
        evaluation.status("S3_BUCKET_SSE_ENABLED"),
        Some(Status::Skip)
    );
    assert!(evaluation.failures.is_empty());
    assert!(evaluation.skipped, "no bucket: Guard need not run");
    let evaluation = evaluate_with(&rules, &queues, Options::REFERENCE).unwrap();
    assert!(!evaluation.skipped);
}

#[test]
fn lets_and_rules_of_two_items_never_meet() {
    // Two items with the same let and rule names, selecting different types.
    let buckets = GuardRules::parse(
        "let selected = Resources.*[ Type == 'AWS::S3::Bucket' ]
         rule TAGGED when %selected !empty { %selected.Properties.Tags exists }",
    )
    .unwrap();
    let queues = GuardRules::parse(
        "let selected = Resources.*[ Type == 'AWS::SQS::Queue' ]
         rule TAGGED when %selected !empty { %selected.Properties.Tags !exists }",
    )
    .unwrap();
    let template = data(json!({"Resources": {
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {}},
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"Tags": []}},
    }}));
    assert_eq!(
        failing(&run(&buckets, &template)),
        [("TAGGED", Some("Bucket"))]
    );
    assert_eq!(
        failing(&run(&queues, &template)),
        [("TAGGED", Some("Queue"))]
    );
    // And again in the other order, on the same prepared template.
    assert_eq!(
        failing(&run(&queues, &template)),
        [("TAGGED", Some("Queue"))]
    );
    assert_eq!(
        failing(&run(&buckets, &template)),
        [("TAGGED", Some("Bucket"))]
    );
}

#[test]
fn a_failure_tied_to_no_resource_is_template_level() {
    let rules = GuardRules::parse(
        "rule HAS_TRAIL { Resources.*[ Type == 'AWS::CloudTrail::Trail' ] !empty
                          << every template needs a trail >> }
         rule HAS_ENV { Parameters.Environment exists }",
    )
    .unwrap();
    let evaluation = run(
        &rules,
        &data(json!({"Resources": {"B": {"Type": "AWS::S3::Bucket"}}})),
    );
    assert_eq!(
        failing(&evaluation),
        [("HAS_TRAIL", None), ("HAS_ENV", None)]
    );
    assert_eq!(
        evaluation.failures[0].message,
        "HAS_TRAIL: every template needs a trail"
    );
}

#[test]
fn verdicts_name_every_rule_in_file_order() {
    let rules = GuardRules::parse(
        "rule B_PASSES { Resources exists }
         rule A_FAILS { Resources.Nope exists }
         rule C_SKIPS when Parameters.Nope exists { Resources exists }
         # The same name twice: Guard checks both; one failing fails it.
         rule A_FAILS { Resources exists }",
    )
    .unwrap();
    assert_eq!(rules.rule_names(), ["B_PASSES", "A_FAILS", "C_SKIPS"]);
    let evaluation = run(
        &rules,
        &data(json!({"Resources": {"B": {"Type": "AWS::S3::Bucket"}}})),
    );
    let verdicts: Vec<(&str, Status)> = evaluation
        .verdicts
        .iter()
        .map(|v| (v.rule.as_str(), v.status))
        .collect();
    assert_eq!(
        verdicts,
        [
            ("B_PASSES", Status::Pass),
            ("A_FAILS", Status::Fail),
            ("C_SKIPS", Status::Skip)
        ]
    );
}

#[test]
fn an_undecidable_condition_is_not_a_pass() {
    // Guard skips a rule whose condition compares a string with a number.
    let rules = GuardRules::parse(
        "let volumes = Resources.*[ Type == 'AWS::EC2::Volume' ]
         rule LARGE_VOLUMES_ENCRYPTED when %volumes.Properties.Size > 100 {
             %volumes.Properties.Encrypted == true
         }",
    )
    .unwrap();
    let template = data(json!({"Resources": {"V": {"Type": "AWS::EC2::Volume",
        "Properties": {"Size": "500", "Encrypted": false}}}}));
    let evaluation = run(&rules, &template);
    assert_eq!(
        evaluation.status("LARGE_VOLUMES_ENCRYPTED"),
        Some(Status::Skip)
    );
    assert_eq!(evaluation.failures.len(), 1);
    let failure = &evaluation.failures[0];
    assert_eq!(failure.kind, FailureKind::Undecided);
    assert_eq!(failure.resource, None);
    assert!(
        failure.message.starts_with(
            "LARGE_VOLUMES_ENCRYPTED: the rule did not apply because one of its conditions could not be decided"
        ),
        "{}",
        failure.message
    );
    // With a number, it is decided.
    let template = data(json!({"Resources": {"V": {"Type": "AWS::EC2::Volume",
        "Properties": {"Size": 500, "Encrypted": false}}}}));
    let evaluation = run(&rules, &template);
    assert_eq!(
        failing(&evaluation),
        [("LARGE_VOLUMES_ENCRYPTED", Some("V"))]
    );
    assert_eq!(evaluation.failures[0].kind, FailureKind::NotCompliant);
}

// --- Messages ---------------------------------------------------------------------

#[test]
fn messages_are_one_line_and_bounded() {
    let long = "word ".repeat(2_000);
    let rules = GuardRules::parse(&format!(
        "rule LONG {{ Resources.*.Properties.A == 1 <<\n{long}\n>> }}"
    ))
    .unwrap();
    let template = data(json!({"Resources": {"X": {"Type": "T", "Properties": {"A": 2}}}}));
    let failure = &run(&rules, &template).failures[0];
    assert_eq!(failure.message.chars().count(), MAX_MESSAGE_CHARS);
    assert!(failure.message.starts_with("LONG: word word"));
    assert!(failure.message.ends_with('…'));

    // Guard's own message quotes the value it looked at; a large one is cut.
    let big: serde_json::Map<String, Value> = (0..500)
        .map(|i| (format!("Key{i}"), json!("value")))
        .collect();
    let rules = GuardRules::parse("rule MISSING { Resources.*.Properties.Nope exists }").unwrap();
    let template = data(json!({"Resources": {"X": {"Type": "T", "Properties": big}}}));
    let failure = &run(&rules, &template).failures[0];
    assert!(failure.message.chars().count() <= MAX_MESSAGE_CHARS);
}

#[test]
fn many_failed_clauses_on_one_resource_are_summarised() {
    let clauses: String = (0..6)
        .map(|i| format!("Properties.P{i} exists << P{i} is required >>\n"))
        .collect();
    let rules = GuardRules::parse(&format!(
        "rule REQUIRED {{ Resources.*[ Type == 'T' ] {{ {clauses} }} }}"
    ))
    .unwrap();
    let template = data(json!({"Resources": {"X": {"Type": "T", "Properties": {}}}}));
    let evaluation = run(&rules, &template);
    assert_eq!(evaluation.failures.len(), 1);
    assert_eq!(
        evaluation.failures[0].message,
        "REQUIRED: P0 is required; P1 is required; P2 is required (and 3 more)"
    );
}

#[test]
fn resource_ids_are_read_back_whatever_they_hold() {
    let rules = GuardRules::parse("rule R { Resources.*.Properties.A == 1 }").unwrap();
    let template = data(json!({"Resources": {
        "a/b": {"Type": "T", "Properties": {"A": 2}},
        "Ünïcødé": {"Type": "T", "Properties": {"A": 2}},
        "with space": {"Type": "T", "Properties": {"A": 1}},
        "Properties": {"Type": "T", "Properties": {"A": 2}},
    }}));
    let evaluation = run(&rules, &template);
    assert_eq!(
        failing(&evaluation),
        [
            ("R", Some("a/b")),
            ("R", Some("Ünïcødé")),
            ("R", Some("Properties"))
        ]
    );
}

// --- Rules that cannot be used ------------------------------------------------------

fn parse_error(text: &str) -> (Option<u32>, Option<u32>, String) {
    match GuardRules::parse(text) {
        Err(GuardError::Parse {
            line,
            column,
            message,
        }) => (line, column, message),
        other => panic!("{text:?}: {other:?}"),
    }
}

#[test]
fn parse_errors_give_the_position() {
    let text = "let buckets = Resources.*[ Type == 'AWS::S3::Bucket' ]\n\
                rule R when %buckets !empty {\n    %buckets.Properties.A == \n}\n";
    let (line, column, message) = parse_error(text);
    // Guard points at the end of the clause that has no right-hand side.
    assert_eq!((line, column), (Some(3), Some(29)));
    assert!(message.contains("near `}`"), "{message}");

    let (line, column, message) = parse_error("rule R {\n  Resources.*[ Type == ]\n}\n");
    assert_eq!((line, column), (Some(2), Some(23)));
    assert!(
        message.starts_with("expecting either a property access"),
        "{message}"
    );

    let (line, _, message) = parse_error("rule R { Resources exists ");
    assert_eq!(line, Some(1));
    assert!(!message.is_empty());

    // The error names the position, not the rest of the file.
    let tail = "rule OTHER { Resources exists }\n".repeat(1_000);
    let error = GuardRules::parse(&format!("rule R {{ Resources.A == }}\n{tail}")).unwrap_err();
    let shown = error.to_string();
    assert!(
        shown.starts_with("the Guard rules do not parse: line 1, column"),
        "{shown}"
    );
    assert!(shown.len() < 300, "{shown}");
}

#[test]
fn a_text_without_a_named_rule() {
    for text in [
        "",
        "   \n\n",
        "# only a comment\n",
        "let buckets = Resources.*[ Type == 'AWS::S3::Bucket' ]\n",
        // A parameterized rule is evaluated only when a rule calls it.
        "rule CHECK(values) { %values.Properties.A == 1 }\n",
    ] {
        assert_eq!(
            GuardRules::parse(text).unwrap_err(),
            GuardError::NoRule,
            "{text:?}"
        );
    }
}

#[test]
fn a_rule_that_errors_at_evaluation_is_an_error() {
    let template = data(json!({"Resources": {"X": {"Type": "T", "Properties": {"A": "a"}}}}));
    for (text, says) in [
        (
            "rule R { %undefined.Properties exists }",
            "Could not resolve variable",
        ),
        (
            "rule R { Resources.X.Properties.A == regex_replace(Resources.X.Properties.A, '(', 'b') }",
            "Regex",
        ),
    ] {
        let rules = GuardRules::parse(text).unwrap();
        for options in [Options::DEFAULT, Options::REFERENCE] {
            match evaluate_with(&rules, &template, options) {
                Err(GuardError::Evaluation(message)) => {
                    assert!(message.contains(says), "{message}")
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }
}

#[test]
fn rule_references_that_guard_cannot_run_are_refused() {
    let unsupported = |text: &str| match GuardRules::parse(text) {
        Err(GuardError::Unsupported(message)) => message,
        other => panic!("{text}: {other:?}"),
    };
    // Guard recurses without end on these, and the process aborts.
    let message = unsupported("rule A when A { Resources exists }");
    assert!(
        message.contains("refers back to itself (A → A)"),
        "{message}"
    );
    let message = unsupported(
        "rule A when B { Resources exists }
         rule B when C { Resources exists }
         rule C when A { Resources exists }",
    );
    assert!(message.contains("A → B → C → A"), "{message}");
    let message = unsupported("rule A when NOPE { Resources exists }");
    assert!(message.contains("rule A refers to rule NOPE, which this file does not define"));

    let chain = |n: usize| -> String {
        (0..n)
            .map(|i| format!("rule R{i} when R{} {{ Resources exists }}\n", i + 1))
            .collect::<String>()
            + &format!("rule R{n} {{ Resources exists }}\n")
    };
    assert!(GuardRules::parse(&chain(limits::MAX_RULE_CHAIN)).is_ok());
    let message = unsupported(&chain(limits::MAX_RULE_CHAIN + 1));
    assert!(
        message.contains("rule R0 starts a chain of more than 16 rule references"),
        "{message}"
    );
    let message = unsupported(&chain(2_000));
    assert!(message.contains("the limit is 16"), "{message}");
}

#[test]
fn long_queries_are_refused() {
    let query = |parts: usize| format!("rule R {{ Resources{} exists }}", ".*".repeat(parts - 1));
    assert!(GuardRules::parse(&query(limits::MAX_QUERY_PARTS)).is_ok());
    match GuardRules::parse(&query(limits::MAX_QUERY_PARTS + 1)) {
        Err(GuardError::Unsupported(message)) => {
            assert!(message.contains("33 parts; the limit is 32"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn texts_over_the_size_cap_are_refused() {
    let rule = "rule R { Resources exists }\n";
    let padding = "#".repeat(MAX_RULES_BYTES - rule.len() - 1) + "\n";
    assert!(GuardRules::parse(&(padding.clone() + rule)).is_ok());
    assert_eq!(
        GuardRules::parse(&(padding + "#" + rule)).unwrap_err(),
        GuardError::TooLarge {
            bytes: MAX_RULES_BYTES + 1,
            limit: MAX_RULES_BYTES
        }
    );
}

#[test]
fn nesting_past_the_cap_is_refused_before_guard_parses_it() {
    let nested = |depth: usize| {
        format!(
            "rule R {{\n{} Resources exists {}\n}}",
            "Resources.* { ".repeat(depth - 1),
            "}".repeat(depth - 1)
        )
    };
    assert!(GuardRules::parse(&nested(MAX_NESTING)).is_ok());
    let (line, column, message) = parse_error(&nested(MAX_NESTING + 1));
    assert_eq!(line, Some(2));
    // Each `Resources.* { ` is 14 characters; the first brace is on line 1.
    assert_eq!(column, Some(14 * (MAX_NESTING as u32 - 1) + 13));
    assert!(
        message.contains(&format!("nested more than {MAX_NESTING} levels")),
        "{message}"
    );
    // Thousands of levels: refused at once, no stack overflow.
    parse_error(&"[".repeat(MAX_RULES_BYTES));
    parse_error(&format!(
        "rule R {{ Resources.A == {}1 }}",
        "[".repeat(100_000)
    ));

    // Closing brackets inside strings, comments, messages and regexes do not
    // lower the count Guard's parser would see.
    for hidden in ["'x]'", "\"x}\"", "/x)/", "<< ]]] >>", "# ])}\n"] {
        let clause = format!("Resources.A == 1 {hidden} ");
        let text = format!(
            "rule R {{ {} {} }}",
            format!("Resources.* {{ {clause}").repeat(MAX_NESTING + 1),
            "}".repeat(MAX_NESTING + 1)
        );
        parse_error(&text);
    }
    // And opening ones inside them do not raise it.
    let text = format!(
        "rule R {{ Resources.A == 'x' << {} >> # {}\n Resources.B == /a\\[\\[\\[\\[b/ }}",
        "([{".repeat(50),
        "{".repeat(50)
    );
    assert!(
        GuardRules::parse(&text).is_ok(),
        "{:?}",
        GuardRules::parse(&text)
    );
}

/// The caps together keep Guard within a 2 MiB thread stack (the default
/// for spawned threads and tokio's blocking pool), in this debug build where
/// frames are largest.
#[test]
fn the_worst_rules_within_the_caps_fit_a_two_mib_stack() {
    let depth = MAX_NESTING - 2;
    let blocks = "Resources.* { ".repeat(depth - 2);
    let query = format!("Resources{}", ".*".repeat(limits::MAX_QUERY_PARTS - 1));
    let chain: String = (0..limits::MAX_RULE_CHAIN)
        .map(|i| {
            format!(
                "rule R{i} when R{} {{ {blocks} {query} exists {} }}\n",
                i + 1,
                "}".repeat(depth - 2)
            )
        })
        .collect();
    let text = format!(
        "{chain}rule R{} {{ {blocks} {query} exists {} }}\n",
        limits::MAX_RULE_CHAIN,
        "}".repeat(depth - 2)
    );
    let rules = GuardRules::parse(&text).unwrap();
    // A template as deep as Guard reads, for the query to walk into.
    let mut deep = json!("leaf");
    for _ in 0..guard_rules::MAX_DATA_DEPTH - 3 {
        deep = json!({"Deeper": deep});
    }
    let template = data(json!({"Resources": {"X": deep}}));
    let result = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let rules = GuardRules::parse(rules.text()).unwrap();
            evaluate(&rules, &template).map(|e| e.verdicts.len())
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(result, Ok(limits::MAX_RULE_CHAIN + 1));
}

// --- Templates ------------------------------------------------------------------------

#[test]
fn templates_nested_past_what_guard_reads_are_refused() {
    let nest = |depth: usize| {
        let mut value = json!(1);
        for _ in 0..depth {
            value = json!([value]);
        }
        value
    };
    let deepest =
        GuardData::from_json(&json!({"Resources": {"X": nest(guard_rules::MAX_DATA_DEPTH - 2)}}))
            .unwrap();
    // Guard reads it as JSON, to the bottom.
    let rules = GuardRules::parse("rule R { Resources.X exists }").unwrap();
    assert_eq!(
        evaluate(&rules, &deepest).unwrap().status("R"),
        Some(Status::Pass)
    );
    assert!(matches!(
        GuardData::from_json(&nest(guard_rules::MAX_DATA_DEPTH + 1)),
        Err(GuardError::Data(_))
    ));
}

#[test]
fn a_template_without_resources_is_evaluated_whole() {
    let rules = rules_file("s3_bucket_encrypted");
    for template in [
        json!({}),
        json!({"Resources": "none"}),
        json!(null),
        json!([1, 2]),
    ] {
        let template = data(template);
        assert!(!rules.skips(&template));
        assert_eq!(template.resource_count(), 0);
        let evaluation = run(&rules, &template);
        assert!(!evaluation.skipped);
        assert_eq!(
            evaluation.status("S3_BUCKET_SSE_ENABLED"),
            Some(Status::Skip)
        );
    }
}

#[test]
fn values_are_plain_data_that_can_cross_threads() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<GuardRules>();
    send_sync::<GuardData>();
    send_sync::<Evaluation>();
    send_sync::<GuardError>();

    // Many items on one prepared template, from several threads at once.
    let template = std::sync::Arc::new(estate());
    let names = [
        "s3_public_access_blocked",
        "s3_bucket_encrypted",
        "iam_no_wildcard_action",
        "rds_instance_private_encrypted",
        "cloudtrail_log_validation",
        "prod_buckets_versioned",
    ];
    let alone: Vec<Evaluation> = names
        .iter()
        .map(|name| evaluate(&rules_file(name), &template).unwrap())
        .collect();
    let threads: Vec<_> = names
        .iter()
        .map(|name| {
            let rules = rules_file(name);
            let template = template.clone();
            std::thread::spawn(move || evaluate(&rules, &template).unwrap())
        })
        .collect();
    let together: Vec<Evaluation> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(alone, together);
}

#[test]
fn a_long_report_is_read_whole() {
    // cfn_guard::run_checks returns only the last 8 KiB of a longer report;
    // a report with hundreds of failures must come back whole.
    let resources: serde_json::Map<String, Value> = (0..300)
        .map(|i| {
            (
                format!("Bucket{i}"),
                json!({"Type": "AWS::S3::Bucket", "Properties": {}}),
            )
        })
        .collect();
    let template = data(json!({"Resources": resources}));
    let evaluation = run(&rules_file("s3_bucket_encrypted"), &template);
    assert_eq!(evaluation.failures.len(), 300);
    assert_eq!(
        evaluation.failures[299].resource.as_deref(),
        Some("Bucket299")
    );
}

#[test]
fn an_item_that_errors_among_many_is_the_only_one_in_error() {
    let good = rules_file("s3_bucket_encrypted");
    let bad = GuardRules::parse(
        "let buckets = Resources.*[ Type == 'AWS::S3::Bucket' ]
         rule BROKEN when %buckets !empty { %undefined.Properties exists }",
    )
    .unwrap();
    let also_good = rules_file("s3_public_access_blocked");
    let template = estate();
    let results = guard_rules::evaluate_all(&[&good, &bad, &also_good], &template);
    assert_eq!(results.len(), 3);
    assert_eq!(results[0], evaluate(&good, &template));
    assert!(matches!(&results[1], Err(GuardError::Evaluation(m)) if m.contains("undefined")));
    assert_eq!(results[2], evaluate(&also_good, &template));
    assert_eq!(results[2].as_ref().unwrap().failures.len(), 2);
}

#[test]
fn an_item_that_would_take_too_much_memory_is_refused_unrun() {
    // As many rules as fit in the size cap, each failing on every resource:
    // Guard would keep a copy of every resource per rule (tens of GB, and
    // many minutes, measured on a 100 KB template).
    let resources: serde_json::Map<String, Value> = (0..250)
        .map(|i| {
            (
                format!("R{i}"),
                json!({"Type": "T", "Properties": {"Name": format!("resource {i}")}}),
            )
        })
        .collect();
    let template = data(json!({"Resources": resources}));
    let rule = |i: usize| format!("rule R{i} {{ Resources.*.Properties.Missing{i} exists }}\n");
    let mut text = String::new();
    let mut i = 0;
    while text.len() + rule(i).len() <= MAX_RULES_BYTES {
        text.push_str(&rule(i));
        i += 1;
    }
    let rules = GuardRules::parse(&text).unwrap();
    let estimate = rules.memory_estimate(&template);
    assert!(
        estimate > 2 * guard_rules::DEFAULT_MEMORY_LIMIT,
        "{estimate}"
    );
    let started = std::time::Instant::now();
    match evaluate(&rules, &template) {
        Err(GuardError::TooCostly { estimate: e, limit }) => {
            assert_eq!((e, limit), (estimate, guard_rules::DEFAULT_MEMORY_LIMIT));
        }
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let message = evaluate(&rules, &template).unwrap_err().to_string();
    assert!(
        message.starts_with("Guard would need about") && message.ends_with("the limit is 1073 MB"),
        "{message}"
    );

    // A caller with less memory sets its own limit; a small item fits.
    let small = rules_file("s3_bucket_encrypted");
    let estate = estate();
    let needed = small.memory_estimate(&estate);
    assert!(needed > 0 && needed < 10_000_000, "{needed}");
    let tight = guard_rules::Options {
        memory_limit: needed - 1,
        ..guard_rules::Options::DEFAULT
    };
    assert!(matches!(
        evaluate_with(&small, &estate, tight),
        Err(GuardError::TooCostly { .. })
    ));
    let enough = guard_rules::Options {
        memory_limit: needed,
        ..guard_rules::Options::DEFAULT
    };
    assert!(evaluate_with(&small, &estate, enough).is_ok());
    // An item skipped on a template would be shown only the placeholder,
    // and is skipped before any estimate is looked at.
    let queues = data(json!({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}));
    assert!(small.memory_estimate(&queues) < 100_000);
    let none = guard_rules::Options {
        memory_limit: 0,
        ..guard_rules::Options::DEFAULT
    };
    assert!(evaluate_with(&small, &queues, none).unwrap().skipped);
}
