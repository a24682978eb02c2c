//! The DynamoDB client `cicd rules` and `cicd validate --table` use: the
//! standard AWS configuration (environment, profile), with the command's
//! `--endpoint-url` and `--region` on top.

use aws_config::{BehaviorVersion, Region};

/// Where to send DynamoDB requests.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct Endpoint {
    /// Send DynamoDB requests here instead of AWS (a local emulator, say).
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// AWS region; by default the one your AWS configuration names.
    #[arg(long, global = true)]
    pub region: Option<String>,
}

pub async fn dynamodb(endpoint: &Endpoint) -> aws_sdk_dynamodb::Client {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(url) = &endpoint.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(region) = &endpoint.region {
        loader = loader.region(Region::new(region.clone()));
    }
    aws_sdk_dynamodb::Client::new(&loader.load().await)
}
