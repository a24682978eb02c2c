//! Name resolution that refuses names resolving to refused addresses.
//!
//! Checking the URL's host once before the request would leave a gap: the
//! name could resolve differently when the connection is made (DNS
//! rebinding), and redirects bring new names. So the check is made where
//! the addresses are used: every name the HTTP client connects to, the
//! first URL's and every redirect target's, is resolved here, and the
//! addresses returned are the ones the client connects to: the address
//! checked is the address connected to. (A host written as an address is
//! not resolved; [`crate::target`] checks it, for the first URL and every
//! redirect.)

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::addr::{self, Reason};
use crate::target::TargetPolicy;

/// A name that resolved to an address the check must not reach.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{host} resolves to {address}, which is {reason}")]
pub struct RefusedName {
    /// The name resolved.
    pub host: String,
    /// The refused address it resolved to.
    pub address: IpAddr,
    /// Why that address is refused.
    pub reason: Reason,
}

/// The system resolver (getaddrinfo, through tokio), with optional fixed
/// answers for some names (like `/etc/hosts`; tests use them to give a
/// name any address), refusing answers the policy does not allow.
#[derive(Debug, Clone, Default)]
pub(crate) struct GuardedResolver {
    pub(crate) policy: TargetPolicy,
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
        // One bad answer refuses the name: a name that points at the
        // metadata service at all is not a service to check.
        for address in &addresses {
            if let Some(reason) = addr::refused(address.ip(), self.policy) {
                return Err(Box::new(RefusedName {
                    host: host.to_string(),
                    address: address.ip(),
                    reason,
                }));
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
    use crate::addr::Kind;

    fn resolver(policy: TargetPolicy) -> GuardedResolver {
        let mut fixed = HashMap::new();
        fixed.insert(
            "metadata.test".to_string(),
            vec![
                "10.0.0.1".parse().unwrap(),
                "169.254.169.254".parse().unwrap(),
            ],
        );
        fixed.insert("app.test".to_string(), vec!["10.0.0.1".parse().unwrap()]);
        fixed.insert(
            "mapped.test".to_string(),
            vec!["::ffff:127.0.0.1".parse().unwrap()],
        );
        GuardedResolver { policy, fixed }
    }

    const LINK_LOCAL: TargetPolicy = TargetPolicy::LINK_LOCAL;
    const LOOPBACK: TargetPolicy = TargetPolicy::LOOPBACK;

    #[tokio::test]
    async fn a_name_with_any_refused_address_is_refused() {
        let error = resolver(TargetPolicy::default())
            .lookup("Metadata.TEST")
            .await
            .unwrap_err();
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
    async fn names_of_this_host_are_refused_unless_loopback_is_allowed() {
        for policy in [TargetPolicy::default(), LINK_LOCAL] {
            let error = resolver(policy).lookup("localhost").await.unwrap_err();
            let refused = error.downcast_ref::<RefusedName>().unwrap();
            assert_eq!(refused.reason.kind, Kind::Loopback);
            let error = resolver(policy).lookup("mapped.test").await.unwrap_err();
            assert_eq!(
                error.to_string(),
                "mapped.test resolves to ::ffff:127.0.0.1, which is loopback (it embeds 127.0.0.1)"
            );
        }
        assert!(resolver(LOOPBACK).lookup("localhost").await.is_ok());
        assert!(resolver(LOOPBACK).lookup("metadata.test").await.is_err());
    }

    #[tokio::test]
    async fn allowed_link_local_and_ordinary_names_resolve() {
        assert_eq!(
            resolver(LINK_LOCAL)
                .lookup("metadata.test")
                .await
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            resolver(TargetPolicy::default())
                .lookup("app.test")
                .await
                .unwrap(),
            vec!["10.0.0.1:0".parse::<SocketAddr>().unwrap()]
        );
    }
}
