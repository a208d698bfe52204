//! Identifiers: random where they grant access (sessions, uploads, ticket links),
//! readable where people type them (ticket numbers).

use std::fmt;

use serde::{Deserialize, Serialize};

/// The operating system's random number generator failed; no identifier can be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the operating system's random number generator is unavailable")]
pub struct RandomUnavailable;

/// Bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], RandomUnavailable> {
    random_bytes_from(&OsRandom)
}

/// Where identifiers' random bits come from: the operating system, or a test's source
/// (one that fails, or one that keeps drawing the same bits).
pub trait Randomness: Send + Sync {
    fn fill(&self, buf: &mut [u8]) -> Result<(), RandomUnavailable>;
}

/// The operating system's CSPRNG.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

impl Randomness for OsRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), RandomUnavailable> {
        getrandom::fill(buf).map_err(|_| RandomUnavailable)
    }
}

pub fn random_bytes_from<const N: usize>(random: &dyn Randomness) -> Result<[u8; N], RandomUnavailable> {
    let mut buf = [0u8; N];
    random.fill(&mut buf)?;
    Ok(buf)
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 0xF) as usize] as char);
    }
    s
}

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("malformed {0}")]
pub struct MalformedId(pub &'static str);

/// An identifier made of a prefix and 128 random bits in lowercase hex.
macro_rules! random_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn generate() -> Result<$name, RandomUnavailable> {
                $name::generate_from(&OsRandom)
            }

            pub fn generate_from(random: &dyn Randomness) -> Result<$name, RandomUnavailable> {
                Ok($name(format!("{}{}", $prefix, hex(&random_bytes_from::<16>(random)?))))
            }

            pub fn parse(s: &str) -> Result<$name, MalformedId> {
                match s.strip_prefix($prefix) {
                    Some(rest) if is_lower_hex(rest, 32) => Ok($name(s.to_owned())),
                    _ => Err(MalformedId($what)),
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

random_id!(
    /// `web-` and 128 random bits: a session, and the bearer secret of its data.
    SessionId,
    "web-",
    "session id"
);
random_id!(
    /// `upl-` and 128 random bits: an uploaded image.
    UploadId,
    "upl-",
    "upload id"
);

/// Unambiguous characters for ticket numbers people read aloud (no 0/O, 1/I/L).
const TICKET_ALPHABET: &[u8; 30] = b"23456789ABCDEFGHJKMNPQRSTUVWXY";

/// `STI-YYYYMMDD-XXXXXX`: short enough to dictate; access needs the token as well.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TicketId(String);

impl TicketId {
    pub fn generate(now_ms: i64) -> Result<TicketId, RandomUnavailable> {
        TicketId::generate_from(now_ms, &OsRandom)
    }

    pub fn generate_from(now_ms: i64, random: &dyn Randomness) -> Result<TicketId, RandomUnavailable> {
        let date = crate::time::utc_date_compact(now_ms);
        let suffix: String = random_bytes_from::<6>(random)?
            .iter()
            .map(|b| TICKET_ALPHABET[(*b as usize) % TICKET_ALPHABET.len()] as char)
            .collect();
        Ok(TicketId(format!("STI-{date}-{suffix}")))
    }

    pub fn parse(s: &str) -> Result<TicketId, MalformedId> {
        let parts: Vec<&str> = s.split('-').collect();
        let ok = parts.len() == 3
            && parts[0] == "STI"
            && parts[1].len() == 8
            && parts[1].bytes().all(|b| b.is_ascii_digit())
            && parts[2].len() == 6
            && parts[2].bytes().all(|b| TICKET_ALPHABET.contains(&b));
        if ok { Ok(TicketId(s.to_owned())) } else { Err(MalformedId("ticket id")) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// 128 random bits in hex: the secret part of a ticket link.
pub fn access_token() -> Result<String, RandomUnavailable> {
    access_token_from(&OsRandom)
}

pub fn access_token_from(random: &dyn Randomness) -> Result<String, RandomUnavailable> {
    Ok(hex(&random_bytes_from::<16>(random)?))
}

pub fn is_access_token(s: &str) -> bool {
    is_lower_hex(s, 32)
}

/// A short, non-reversible tag for a session id, for logs that operators read: lines of
/// one session can be told apart and followed, but the tag is no credential (the id's
/// 128 random bits cannot be recovered from 48 bits of its hash).
pub fn session_tag(session_id: &str) -> String {
    format!("s-{}", sha256_hex(session_id.as_bytes(), 6))
}

/// The first `bytes` bytes of the SHA-256 of `input`, in lowercase hex.
fn sha256_hex(input: &[u8], bytes: usize) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(input)[..bytes])
}

/// How a bearer token (a resume token) is stored: its whole SHA-256, never the token.
pub fn token_hash(token: &str) -> String {
    sha256_hex(token.as_bytes(), 32)
}

/// The name a session's files go under in blob storage: 96 bits of a hash of its id, so
/// that object keys, presigned URLs, S3 access logs and the local blob directory never
/// carry the id itself (a bearer credential for the session's data). Not reversible: the
/// id's 128 random bits cannot be recovered from it.
pub fn storage_tag(session_id: &str) -> String {
    format!("t{}", sha256_hex(format!("sti-storage-v1:{session_id}").as_bytes(), 12))
}

pub fn is_storage_tag(s: &str) -> bool {
    s.strip_prefix('t').is_some_and(|h| is_lower_hex(h, 24))
}

/// Request ids: ours are a keyed hash (SipHash, its key drawn from the operating system
/// once per process) of a per-process counter: unique, not guessable from one another, and
/// with no system call per request, where 12 fresh random bytes cost one on every answer.
/// A caller's id is accepted when short and plain ([`is_acceptable_request_id`]).
pub fn request_id() -> String {
    use std::hash::BuildHasher;
    static KEY: std::sync::OnceLock<std::hash::RandomState> = std::sync::OnceLock::new();
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let key = KEY.get_or_init(std::hash::RandomState::new);
    let (high, low) = (key.hash_one((n, 0u8)), key.hash_one((n, 1u8)));
    let mut bytes = [0u8; 12];
    bytes[..8].copy_from_slice(&high.to_be_bytes());
    bytes[8..].copy_from_slice(&low.to_be_bytes()[..4]);
    hex(&bytes)
}

pub fn is_acceptable_request_id(s: &str) -> bool {
    (8..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Client-chosen idempotency keys for chat messages.
pub fn is_valid_message_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_round_trip_and_reject_lookalikes() {
        let id = SessionId::generate().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(id.as_str().len(), 4 + 32);
        assert_eq!(SessionId::parse(id.as_str()), Ok(id.clone()));
        assert_ne!(SessionId::generate().ok(), Some(id));
        for bad in [
            "",
            "web-",
            "web-XYZ",
            "web-0123456789abcdef0123456789abcdeF",
            "sess-0123456789abcdef0123456789abcdef",
            "web-0123456789abcdef0123456789abcdef0",
            "web-../../etc/passwd",
        ] {
            assert!(SessionId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ticket_ids_are_readable_and_validated() {
        let id = TicketId::generate(1_763_769_600_000).unwrap_or_else(|e| panic!("{e}")); // 2025-11-22
        assert!(id.as_str().starts_with("STI-20251122-"), "{id}");
        assert_eq!(TicketId::parse(id.as_str()), Ok(id));
        for bad in [
            "STI-20251122-ABC12",
            "STI-2025112-ABCDEF",
            "TCK-20251122-ABCDEF",
            "STI-20251122-ABCDE0",
            "STI-20251122-abcdef",
        ] {
            assert!(TicketId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn upload_ids_and_tokens() {
        let id = UploadId::generate().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(UploadId::parse(id.as_str()), Ok(id));
        assert!(UploadId::parse("upl-zz").is_err());
        assert!(access_token().is_ok_and(|t| is_access_token(&t)));
        assert!(!is_access_token("short"));
    }

    #[test]
    fn message_and_request_ids() {
        assert!(is_valid_message_id("m-1:2.3_x"));
        assert!(!is_valid_message_id(""));
        assert!(!is_valid_message_id(&"x".repeat(65)));
        assert!(!is_valid_message_id("a b"));
        assert!(is_acceptable_request_id(&request_id()));
        let ids: std::collections::HashSet<String> = (0..10_000).map(|_| request_id()).collect();
        assert_eq!(ids.len(), 10_000, "request ids never repeat");
        assert!(ids.iter().all(|id| is_lower_hex(id, 24)), "24 hex digits, as before");
        assert!(!is_acceptable_request_id("<script>"));
    }
}
