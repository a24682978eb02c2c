//! Whether sources together cover every IPv4 or every IPv6 address.

use ipnet::IpNet;

/// Which address family a set of sources covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Family {
    V4,
    V6,
}

impl Family {
    pub fn of(net: &IpNet) -> Family {
        match net {
            IpNet::V4(_) => Family::V4,
            IpNet::V6(_) => Family::V6,
        }
    }

    fn bits(self) -> u8 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }

    pub fn every_address(self) -> &'static str {
        match self {
            Family::V4 => "every IPv4 address",
            Family::V6 => "every IPv6 address",
        }
    }
}

/// How many addresses a block of `prefix` holds, saturating at `u128::MAX`.
fn size(family: Family, prefix: u8) -> u128 {
    let host_bits = u32::from(family.bits().saturating_sub(prefix));
    1u128.checked_shl(host_bits).unwrap_or(u128::MAX)
}

/// Whether blocks of these prefix lengths could cover the family at all:
/// a cheap test that settles almost every group without aggregating.
pub(super) fn could_cover(family: Family, prefixes: impl Iterator<Item = u8>) -> bool {
    let all = size(family, 0);
    let mut total: u128 = 0;
    for prefix in prefixes {
        total = total.saturating_add(size(family, prefix));
        if total >= all {
            return true;
        }
    }
    false
}

/// [`could_cover`] for blocks counted by prefix length (`counts[p]` blocks
/// of length `p`).
pub(super) fn could_cover_counted(family: Family, counts: &[usize; 129]) -> bool {
    let all = size(family, 0);
    let mut total: u128 = 0;
    for (prefix, &n) in counts.iter().enumerate() {
        if n == 0 {
            continue;
        }
        let prefix = u8::try_from(prefix).unwrap_or(u8::MAX);
        total = total.saturating_add(size(family, prefix).saturating_mul(n as u128));
        if total >= all {
            return true;
        }
    }
    false
}

/// Whether `nets` (all of `family`) cover every address of it, and if not,
/// whether `unplaced` more blocks of `some_prefix` length, at addresses not
/// known, could fill what is left.
pub(super) fn covers(family: Family, nets: &[IpNet], unplaced: usize, some_prefix: u8) -> Coverage {
    let gaps = gaps(family, nets);
    if gaps.is_empty() {
        return Coverage::Covered;
    }
    if unplaced == 0 {
        return Coverage::Not;
    }
    // Each unknown block fills at most one aligned block of its size.
    let shift = u32::from(family.bits().saturating_sub(some_prefix));
    let block = |address: u128| address.checked_shr(shift).unwrap_or(0);
    let mut needed: u128 = 0;
    let mut last = None;
    for (start, end) in gaps {
        let (first, final_) = (block(start), block(end));
        let first = match last {
            Some(previous) if previous == first => first + 1,
            _ => first,
        };
        if final_ >= first {
            needed = needed.saturating_add(final_ - first + 1);
        }
        last = Some(final_);
        if needed > unplaced as u128 {
            return Coverage::Not;
        }
    }
    Coverage::Possibly
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Coverage {
    Covered,
    /// Covered if blocks whose addresses are not known fall in the right places.
    Possibly,
    Not,
}

/// The address ranges `nets` leave uncovered, in order (as `u128`s).
fn gaps(family: Family, nets: &[IpNet]) -> Vec<(u128, u128)> {
    let of_family: Vec<IpNet> = nets
        .iter()
        .copied()
        .filter(|n| Family::of(n) == family)
        .collect();
    let last = match family {
        Family::V4 => u128::from(u32::MAX),
        Family::V6 => u128::MAX,
    };
    let mut gaps = Vec::new();
    let mut next: Option<u128> = Some(0);
    for net in IpNet::aggregate(&of_family) {
        let (start, end) = match net {
            IpNet::V4(n) => (
                u128::from(u32::from(n.network())),
                u128::from(u32::from(n.broadcast())),
            ),
            IpNet::V6(n) => (u128::from(n.network()), u128::from(n.broadcast())),
        };
        if let Some(from) = next
            && start > from
        {
            gaps.push((from, start - 1));
        }
        next = end.checked_add(1);
    }
    if let Some(from) = next
        && from <= last
    {
        gaps.push((from, last));
    }
    gaps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn halves_and_eighths_cover_the_family() {
        assert_eq!(
            covers(Family::V4, &nets(&["0.0.0.0/1", "128.0.0.0/1"]), 0, 0),
            Coverage::Covered
        );
        let eighths: Vec<String> = (0..256).map(|i| format!("{i}.0.0.0/8")).collect();
        let eighths: Vec<&str> = eighths.iter().map(String::as_str).collect();
        assert_eq!(covers(Family::V4, &nets(&eighths), 0, 0), Coverage::Covered);
        assert_eq!(
            covers(Family::V4, &nets(&eighths[1..]), 0, 0),
            Coverage::Not
        );
        // One /8 at an address not known could be the one missing.
        assert_eq!(
            covers(Family::V4, &nets(&eighths[1..]), 1, 8),
            Coverage::Possibly
        );
        // But not two missing ones.
        assert_eq!(
            covers(Family::V4, &nets(&eighths[2..]), 1, 8),
            Coverage::Not
        );
        assert_eq!(
            covers(Family::V6, &nets(&["::/1", "8000::/1"]), 0, 0),
            Coverage::Covered
        );
        assert_eq!(covers(Family::V6, &nets(&["::/1"]), 0, 0), Coverage::Not);
    }

    #[test]
    fn the_cheap_test_never_rules_out_a_cover() {
        assert!(could_cover(Family::V4, [1, 1].into_iter()));
        assert!(!could_cover(Family::V4, [1, 2].into_iter()));
        assert!(could_cover(Family::V6, [1, 2, 2].into_iter()));
        assert!(!could_cover(Family::V4, std::iter::repeat_n(8, 255)));
    }
}
