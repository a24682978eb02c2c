//! Addresses a health check must not reach.
//!
//! The check fetches whatever URL the pipeline gives it, so it must not
//! become a way to read what only the function's own host can: the instance
//! metadata service (169.254.169.254, and `fd00:ec2::254` on Nitro
//! instances) and, more generally, link-local addresses (169.254.0.0/16,
//! fe80::/10), where such services live. An IPv6 spelling of an IPv4 address
//! (`::ffff:169.254.169.254`, `::169.254.169.254`, `64:ff9b::169.254.169.254`)
//! is judged as that IPv4 address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The instance metadata service's IPv4 address.
pub const METADATA_V4: Ipv4Addr = Ipv4Addr::new(169, 254, 169, 254);

/// The instance metadata service's IPv6 address (Nitro instances). Not
/// link-local, but it answers the same questions.
pub const METADATA_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254);

/// Why `ip` must not be checked, or `None` if it may be.
pub fn refusal_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => {
            if v6 == METADATA_V6 {
                Some("the instance metadata address")
            } else if v6.segments()[0] & 0xffc0 == 0xfe80 {
                Some("link-local")
            } else {
                embedded_v4(v6).and_then(v4_reason)
            }
        }
    }
}

/// Whether `ip` must not be checked (see [`refusal_reason`]).
pub fn is_refused(ip: IpAddr) -> bool {
    refusal_reason(ip).is_some()
}

fn v4_reason(v4: Ipv4Addr) -> Option<&'static str> {
    if v4 == METADATA_V4 {
        Some("the instance metadata address")
    } else if v4.is_link_local() {
        Some("link-local")
    } else {
        None
    }
}

/// The IPv4 address an IPv6 address stands for: IPv4-mapped
/// (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`, deprecated but still
/// routed by some stacks) or NAT64 (`64:ff9b::a.b.c.d`).
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = v6.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    let compatible = s[..6].iter().all(|&x| x == 0);
    let nat64 = s[0] == 0x64 && s[1] == 0xff9b && s[2..6].iter().all(|&x| x == 0);
    (compatible || nat64).then_some(low)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(text: &str) -> Option<&'static str> {
        refusal_reason(text.parse().unwrap())
    }

    #[test]
    fn ipv4_link_local_and_metadata_are_refused() {
        assert_eq!(
            reason("169.254.169.254"),
            Some("the instance metadata address")
        );
        assert_eq!(reason("169.254.170.2"), Some("link-local"));
        assert_eq!(reason("169.254.0.0"), Some("link-local"));
        assert_eq!(reason("169.254.255.255"), Some("link-local"));
    }

    #[test]
    fn neighbours_of_link_local_are_allowed() {
        for ok in [
            "169.253.255.255",
            "169.255.0.0",
            "127.0.0.1",
            "10.0.0.1",
            "0.0.0.0",
        ] {
            assert_eq!(reason(ok), None, "{ok}");
        }
    }

    #[test]
    fn ipv6_link_local_is_refused_across_the_whole_slash_10() {
        assert_eq!(reason("fe80::1"), Some("link-local"));
        assert_eq!(reason("febf:ffff::1"), Some("link-local"));
        assert_eq!(reason("fec0::1"), None);
        assert_eq!(reason("fe7f::1"), None);
        assert_eq!(reason("::1"), None);
        assert_eq!(reason("2001:db8::1"), None);
    }

    #[test]
    fn the_ipv6_metadata_address_is_refused() {
        assert_eq!(
            reason("fd00:ec2::254"),
            Some("the instance metadata address")
        );
        assert_eq!(reason("fd00:ec2::253"), None);
    }

    #[test]
    fn ipv6_spellings_of_a_link_local_ipv4_address_are_refused() {
        assert_eq!(
            reason("::ffff:169.254.169.254"),
            Some("the instance metadata address")
        );
        assert_eq!(reason("::ffff:a9fe:1"), Some("link-local"));
        assert_eq!(
            reason("::169.254.169.254"),
            Some("the instance metadata address")
        );
        assert_eq!(
            reason("64:ff9b::169.254.169.254"),
            Some("the instance metadata address")
        );
        assert_eq!(reason("::ffff:127.0.0.1"), None);
        assert_eq!(reason("64:ff9b::1.2.3.4"), None);
    }
}
