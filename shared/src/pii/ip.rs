//! IP addresses. A public address locates the visitor's home or office and is masked; a
//! LAN, loopback or link-local address, a subnet mask and the public DNS resolvers
//! everyone types are support data and stay.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{Finding, PiiKind};

/// Resolvers people set by hand ("puse el DNS 8.8.8.8"): public, but nobody's.
const WELL_KNOWN: &[[u8; 4]] = &[
    [8, 8, 8, 8],
    [8, 8, 4, 4],
    [1, 1, 1, 1],
    [1, 0, 0, 1],
    [9, 9, 9, 9],
    [149, 112, 112, 112],
    [208, 67, 222, 222],
    [208, 67, 220, 220],
];

/// Whether an IPv4 address can point at a person's connection.
pub fn v4_is_personal(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    let shared = a == 100 && (64..=127).contains(&b);
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || shared
        || a == 0
        || a >= 240
        || a == 255
        || WELL_KNOWN.contains(&ip.octets()))
}

/// A client's address as a log line may show it: a public one is personal data and
/// appears as transcripts show it (`[IP]`), any other (loopback, LAN) as it is.
pub fn loggable(ip: IpAddr) -> Cow<'static, str> {
    let personal = match ip {
        IpAddr::V4(v4) => v4_is_personal(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4_is_personal(v4),
            None => v6_is_personal(v6),
        },
    };
    if personal { Cow::Borrowed(PiiKind::Ip.placeholder()) } else { Cow::Owned(ip.to_string()) }
}

fn v6_is_personal(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    // Global unicast (2000::/3), except documentation (2001:db8::/32) and the resolvers.
    let global = (0x2000..=0x3fff).contains(&first);
    let documentation = first == 0x2001 && ip.segments()[1] == 0x0db8;
    let resolver = matches!(
        ip.segments(),
        [0x2001, 0x4860, 0x4860, 0, 0, 0, 0, 0x8888 | 0x8844] | [0x2606, 0x4700, 0x4700, 0, 0, 0, 0, 0x1111 | 0x1001]
    );
    global && !documentation && !resolver
}

fn is_v6_char(b: u8) -> bool {
    b.is_ascii_hexdigit() || b == b':' || b == b'.'
}

/// Appends the public IPv6 addresses of `text` to `out` (IPv4 ones are read with the
/// other numbers). Only the tokens around a colon are read: "CUIL: 20-…" has one, an
/// address at least two.
pub fn find_v6(text: &str, out: &mut Vec<Finding>) {
    let bytes = text.as_bytes();
    let mut read_to = 0;
    for (colon, _) in text.match_indices(':') {
        if colon < read_to {
            continue;
        }
        let mut start = colon;
        while start > 0 && is_v6_char(bytes[start - 1]) {
            start -= 1;
        }
        let mut end = colon;
        while end < bytes.len() && is_v6_char(bytes[end]) {
            end += 1;
        }
        read_to = end;
        let glued_before = start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
        let glued_after = bytes.get(end).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
        let candidate = text[start..end].trim_end_matches(['.', ':']);
        let colons = candidate.bytes().filter(|b| *b == b':').count();
        if !glued_before
            && !glued_after
            && colons >= 2
            && let Ok(ip) = candidate.parse::<Ipv6Addr>()
            && v6_is_personal(ip)
        {
            out.push(Finding { start, end: start + candidate.len(), kind: PiiKind::Ip });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_v4_is_personal_lan_and_resolvers_are_not() {
        for personal in ["181.45.23.118", "200.51.12.9", "190.2.3.4"] {
            assert!(v4_is_personal(personal.parse().unwrap_or(Ipv4Addr::UNSPECIFIED)), "{personal}");
        }
        for support in [
            "192.168.1.100",
            "10.0.0.1",
            "172.16.5.4",
            "127.0.0.1",
            "169.254.1.1",
            "8.8.8.8",
            "255.255.255.0",
            "100.64.0.1",
        ] {
            assert!(!v4_is_personal(support.parse().unwrap_or(Ipv4Addr::UNSPECIFIED)), "{support}");
        }
    }

    #[test]
    fn public_v6_is_found_lan_and_link_local_are_not() {
        let found = |t: &str| {
            let mut out = Vec::new();
            find_v6(t, &mut out);
            out.iter().map(|f| t[f.start..f.end].to_owned()).collect::<Vec<_>>()
        };
        assert_eq!(found("mi ip es 2800:810:4a2:1b::7c3, ¿sirve?"), ["2800:810:4a2:1b::7c3"]);
        assert_eq!(found("ipv6 2001:4860:4860::8888 (dns)"), Vec::<String>::new());
        assert_eq!(found("fe80::1c2b:3a4f:fe5d:6e7f y ::1 y fd00::1"), Vec::<String>::new());
        assert_eq!(found("son las 10:30:15 y el mac 00:1a:2b:3c:4d:5e"), Vec::<String>::new());
    }

    #[test]
    fn a_clients_public_address_is_masked_in_logs_a_local_one_is_not() {
        let logged = |ip: &str| loggable(ip.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))).into_owned();
        for personal in ["181.45.23.118", "2800:810:4a2:1b::7c3", "::ffff:181.45.23.118"] {
            assert_eq!(logged(personal), "[IP]", "{personal}");
        }
        for local in ["127.0.0.1", "::1", "192.168.1.100", "fd00::1"] {
            assert_eq!(logged(local), local);
        }
    }
}
