//! Name resolution that refuses names resolving to refused addresses.
//!
//! Checking the URL's host once before the request would leave a gap: the
//! name could resolve differently when the connection is made (DNS
//! rebinding), and redirects bring new names. So the check is made where
//! the addresses are used: every name the HTTP client connects to, the
//! first URL's and every redirect target's, is resolved here.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::addr;

/// A name that resolved to an address the check must not reach.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{host} resolves to {address}, which is {reason}")]
pub struct RefusedName {
    pub host: String,
    pub address: IpAddr,
    pub reason: &'static str,
}

/// The system resolver (getaddrinfo, through tokio), with optional fixed
/// answers for some names (like `/etc/hosts`; tests use them to give a
/// name any address), refusing link-local answers unless allowed.
#[derive(Debug, Clone, Default)]
pub(crate) struct GuardedResolver {
    pub(crate) allow_link_local: bool,
    /// Lowercase name → its addresses.
    pub(crate) fixed: HashMap<String, Vec<IpAddr>>,
}

impl GuardedResolver {
    /// The addresses of `host`, or why they cannot be used.
    pub(crate) async fn lookup(
        &self,
        host: &str,
    ) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
        let addresses: Vec<SocketAddr> = match self.fixed.get(&host.to_ascii_lowercase()) {
            Some(ips) => ips.iter().map(|ip| SocketAddr::new(*ip, 0)).collect(),
            None => tokio::net::lookup_host((host, 0)).await?.collect(),
        };
        if !self.allow_link_local {
            // One bad answer refuses the name: a name that points at the
            // metadata service at all is not a service to check.
            for address in &addresses {
                if let Some(reason) = addr::refusal_reason(address.ip()) {
                    return Err(Box::new(RefusedName {
                        host: host.to_string(),
                        address: address.ip(),
                        reason,
                    }));
                }
            }
        }
        Ok(addresses)
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let resolver = self.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addresses = resolver.lookup(&host).await?;
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver(allow: bool) -> GuardedResolver {
        let mut fixed = HashMap::new();
        fixed.insert(
            "metadata.test".to_string(),
            vec![
                "127.0.0.1".parse().unwrap(),
                "169.254.169.254".parse().unwrap(),
            ],
        );
        fixed.insert("app.test".to_string(), vec!["127.0.0.1".parse().unwrap()]);
        GuardedResolver {
            allow_link_local: allow,
            fixed,
        }
    }

    #[tokio::test]
    async fn a_name_with_any_refused_address_is_refused() {
        let error = resolver(false).lookup("Metadata.TEST").await.unwrap_err();
        let refused = error.downcast_ref::<RefusedName>().unwrap();
        assert_eq!(
            refused.address,
            "169.254.169.254".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            error.to_string(),
            "Metadata.TEST resolves to 169.254.169.254, which is the instance metadata address"
        );
    }

    #[tokio::test]
    async fn allowed_link_local_and_ordinary_names_resolve() {
        assert_eq!(
            resolver(true).lookup("metadata.test").await.unwrap().len(),
            2
        );
        assert_eq!(
            resolver(false).lookup("app.test").await.unwrap(),
            vec!["127.0.0.1:0".parse::<SocketAddr>().unwrap()]
        );
        assert!(resolver(false).lookup("localhost").await.is_ok());
    }
}
