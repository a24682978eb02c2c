//! cfn-hook: the rules table applied to every stack operation in the
//! account, as a CloudFormation Lambda Hook, with the engine, the rules and
//! the verdicts of Static_Check (cfn-validate).
//!
//! CloudFormation invokes the function before it provisions a stack, a
//! change set or a resource, and waits 30 s for its answer ([`answer`]).
//! One invocation:
//!
//! 1. Read the event ([`event::decode`]): a stack or change set's payload
//!    URL, or a resource's properties. A delete succeeds at once: it
//!    provisions nothing.
//! 2. For a stack or change set, fetch the payload from its presigned URL
//!    through the [`PayloadSource`] port (in Lambda [`HttpPayloads`]:
//!    `https` on S3 only, capped in time and bytes) and read it
//!    ([`payload`]): the template, and a change set's changes.
//! 3. Load the rules through the [`RulesSource`] port (in Lambda the
//!    `RULES_TABLE` table, read only: an empty one stands for the rules it
//!    is seeded with, as cfn-validate would seed it).
//! 4. Judge ([`judge::judge`]): the template scored as Static_Check scores
//!    it (crate `scoring`), on a blocking thread the runner can stop, Guard
//!    items in bounded worker processes of this binary (`guard-worker`); for
//!    a change set, only findings on what it creates or changes count; for
//!    a stack's update under `HOOK_BASELINE=previous`, only findings its
//!    previous template did not have.
//! 5. Answer ([`decision::decide`]): `SUCCESS`, or `FAILED` with
//!    `NonCompliant`, and one annotation per rule applied.
//!
//! Whatever cannot be used — the event, the payload URL or the payload,
//! the template, the rules — is answered `FAILED`/`InternalFailure`, saying
//! why: never a pass. The [`runner`] answers each invocation exactly once,
//! by its own deadline ([`runner::DEADLINE`], well within CloudFormation's
//! 30 s), a panic included. The presigned URL's query, a credential, never
//! reaches a log, a message or an annotation ([`PayloadUrl`]).
//!
//! Start with [`Hook::answer`], then [`judge`] and [`decision`].

#![warn(missing_docs)]

pub mod answer;
pub mod decision;
pub mod event;
pub mod fetch;
pub mod judge;
pub mod payload;
pub mod payload_url;
pub mod runner;
pub mod settings;

use aws_config::SdkConfig;
use guard_worker::Worker;
use pipeline_job::Invocation;
use rules_table::{AsSeeded, RulesSource, RulesTable};
use serde_json::Value;
use template_rules::Thresholds;
use tracing::{info, warn};

pub use answer::{HookAnswer, HookStatus};
pub use decision::Flagged;
pub use fetch::{FetchError, GivenPayload, HttpPayloads, PayloadSource};
pub use judge::HookBaseline;
pub use payload_url::{PayloadUrl, UrlPolicy};
pub use settings::HookSettings;

use crate::answer::MessageLimit;
use crate::event::{HookEvent, InvocationPoint, Target};
use crate::judge::Subject;

/// The Hook: its rules, where payloads come from, and what verdicts do.
#[derive(Debug, Clone)]
pub struct Hook<R, P> {
    rules: R,
    payloads: P,
    thresholds: Thresholds,
    flagged: Flagged,
    url_policy: UrlPolicy,
    baseline: HookBaseline,
    guard_memory_limit: usize,
    /// Where Guard runs: always a bounded worker process.
    guard: Worker,
}

/// The Hook Lambda runs: the rules table (read only), payloads over HTTPS.
pub type AwsHook = Hook<AsSeeded, HttpPayloads>;

impl AwsHook {
    /// The rules table named in `settings`, through a client made from
    /// `sdk`, and an HTTP client for payloads.
    pub fn from_sdk(sdk: &SdkConfig, settings: HookSettings) -> Result<AwsHook, FetchError> {
        let table = RulesTable::new(
            aws_sdk_dynamodb::Client::new(sdk),
            settings.scoring.rules_table.clone(),
        )
        .read_as_seeded();
        let payloads = HttpPayloads::new(settings.url_policy)?;
        Ok(Hook::new(table, payloads, settings))
    }
}

impl<R, P> Hook<R, P>
where
    R: RulesSource,
    P: PayloadSource,
{
    /// A Hook over these ports, with `settings`' thresholds, flagged mode,
    /// payload URL policy, baseline and Guard memory.
    pub fn new(rules: R, payloads: P, settings: HookSettings) -> Self {
        Hook {
            rules,
            payloads,
            thresholds: settings.scoring.thresholds,
            flagged: settings.flagged,
            url_policy: settings.url_policy,
            baseline: settings.baseline,
            guard_memory_limit: settings.scoring.guard_memory_limit,
            guard: Worker::new(),
        }
    }

    /// The Guard workers to run items in: by default this executable's
    /// (the `cfn-hook` binary serves them, as `cicd` does); tests of the
    /// Hook in process give the binary's.
    pub fn with_guard_worker(mut self, worker: Worker) -> Self {
        self.guard = worker;
        self
    }

    /// The answer to one invocation: steps 1 to 5 of the crate
    /// documentation. Never an error: what stops the check is an
    /// `InternalFailure` answer.
    pub async fn answer(&self, event: Value, invocation: Invocation) -> HookAnswer {
        let event = match event::decode(&event) {
            Ok(event) => event,
            Err(e) => {
                warn!(error = %e.message, "the event cannot be read");
                return decision::no_verdict(
                    e.client_request_token.clone(),
                    &e.to_string(),
                    MessageLimit::CloudControl,
                );
            }
        };
        info!(
            target_type = event.target.kind(),
            invocation_point = event.invocation_point.as_str(),
            stack_id = event.stack_id.as_deref().unwrap_or(""),
            change_set_id = event.change_set_id.as_deref().unwrap_or(""),
            target = event.target_logical_id.as_deref().unwrap_or(""),
            "invoked"
        );
        let token = event.client_request_token.clone();
        let limit = match event.target {
            Target::Resource { .. } => MessageLimit::CloudControl,
            _ => MessageLimit::CloudFormation,
        };
        let what = what(&event);
        if event.invocation_point == InvocationPoint::Delete {
            return decision::deleting(&what, token);
        }
        match self.judge(&event, what, invocation).await {
            Ok(answer) => answer,
            Err(message) => {
                warn!(error = %message, "no verdict");
                decision::no_verdict(token, &message, limit)
            }
        }
    }

    async fn judge(
        &self,
        event: &HookEvent,
        what: String,
        invocation: Invocation,
    ) -> Result<HookAnswer, String> {
        let subject = self.subject(event, what).await?;
        let table = self.rules.name().to_string();
        let items = self
            .rules
            .items()
            .await
            .map_err(|e| format!("the rules cannot be read: {e}"))?;
        let thresholds = self.thresholds;
        let judged = scoring::on_blocking_thread(
            &invocation,
            self.guard_memory_limit,
            self.guard.clone(),
            move |options| {
                let rules = scoring::rule_set(&table, items)?;
                judge::judge(&subject, &rules, &table, &thresholds, options)
            },
        )
        .await
        .map_err(|e| e.to_string())?;
        let answer = decision::decide(
            &judged,
            &self.thresholds,
            self.flagged,
            event.client_request_token.clone(),
        );
        info!(status = answer.status(), verdict = %judged.report.verdict, risk = judged.report.risk, findings = judged.report.active_findings().count(), existing = judged.report.existing_count(), unresolved = judged.report.unresolved_count(), suppressed = judged.report.suppressed_count(), not_counted = judged.context.len(), "judged");
        Ok(answer)
    }

    /// What the event asks to judge: a resource's properties, or the
    /// template (and changes) its payload holds.
    async fn subject(&self, event: &HookEvent, what: String) -> Result<Subject, String> {
        let payload_url = |payload: &Option<String>| -> Result<PayloadUrl, String> {
            let text = payload
                .as_deref()
                .ok_or("the Hook's event has no requestData.payload to fetch the template from")?;
            PayloadUrl::parse(text, self.url_policy)
                .map_err(|e| format!("the payload URL is refused: {e}"))
        };
        match &event.target {
            Target::Resource {
                resource_type,
                logical_id,
                properties,
            } => {
                let properties = properties.as_ref().ok_or_else(|| {
                    format!("the Hook's event has no properties for {what} (requestData.targetModel.resourceProperties)")
                })?;
                Ok(Subject::resource(
                    what,
                    resource_type,
                    logical_id,
                    properties,
                ))
            }
            Target::Stack { payload } => {
                let bytes = self.fetch(&payload_url(payload)?).await?;
                let payload = payload::stack(&bytes).map_err(|e| e.to_string())?;
                let subject = Subject::stack(what, payload.template);
                // Only an update has a template before it; an empty one
                // (none given) leaves every finding counted.
                let over_previous = self.baseline == HookBaseline::Previous
                    && event.invocation_point == InvocationPoint::Update
                    && !payload.previous_template.is_empty();
                Ok(if over_previous {
                    info!("judging only what the update adds to the previous template");
                    subject.over_previous(payload.previous_template)
                } else {
                    subject
                })
            }
            Target::ChangeSet { payload } => {
                let bytes = self.fetch(&payload_url(payload)?).await?;
                let payload = payload::change_set(&bytes).map_err(|e| e.to_string())?;
                Ok(Subject::change_set(
                    what,
                    payload.template,
                    payload.changed_resources,
                ))
            }
        }
    }

    async fn fetch(&self, url: &PayloadUrl) -> Result<Vec<u8>, String> {
        let bytes = self.payloads.fetch(url).await.map_err(|e| e.0)?;
        info!(payload = %url, bytes = bytes.len(), "fetched the payload");
        Ok(bytes)
    }
}

/// How messages name the target: `stack web`, `change set
/// arn:…:changeSet/c1/…`, `resource BastionSg (AWS::EC2::SecurityGroup)`.
fn what(event: &HookEvent) -> String {
    let name = event.target_logical_id.as_deref().filter(|n| !n.is_empty());
    let shown = |n: &str| pipeline_job::limits::truncate(n, 256);
    match &event.target {
        Target::Stack { .. } => match name {
            Some(name) => format!("stack {}", shown(name)),
            None => "the stack".to_string(),
        },
        Target::ChangeSet { .. } => match name.or(event.change_set_id.as_deref()) {
            Some(name) => format!("change set {}", shown(name)),
            None => "the change set".to_string(),
        },
        Target::Resource {
            resource_type,
            logical_id,
            ..
        } => format!("resource {} ({resource_type})", shown(logical_id)),
    }
}
