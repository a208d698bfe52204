//! Who may call the API from a browser, as `ALLOWED_ORIGINS` says, and whether an
//! `Origin` header is one of them.

/// Who may call the API from a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// Exactly these origins (scheme://host[:port]).
    List(Vec<String>),
    /// Any http://localhost or http://127.0.0.1 origin: the development default.
    Loopback,
}

impl AllowedOrigins {
    pub fn allows(&self, origin: &str) -> bool {
        match self {
            AllowedOrigins::List(list) => list.iter().any(|o| o == "*" || o.eq_ignore_ascii_case(origin)),
            AllowedOrigins::Loopback => {
                let rest = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://"));
                rest.is_some_and(is_loopback_authority)
            }
        }
    }
}

/// `localhost`, `127.0.0.1` or `[::1]`, with or without a port.
fn is_loopback_authority(authority: &str) -> bool {
    let (host, port) = match authority.strip_prefix('[') {
        // An IPv6 host is bracketed and holds colons of its own.
        Some(bracketed) => match bracketed.split_once(']') {
            Some((host, after)) if after.is_empty() || after.starts_with(':') => (host, after.trim_start_matches(':')),
            _ => return false,
        },
        None => authority.split_once(':').unwrap_or((authority, "")),
    };
    matches!(host, "localhost" | "127.0.0.1" | "::1") && port.bytes().all(|b| b.is_ascii_digit())
}

impl AllowedOrigins {
    /// A comma-separated list of origins (`https://example.com`, `*` outside production);
    /// the message says what is wrong with it.
    pub fn parse(list: &str, production: bool) -> Result<AllowedOrigins, String> {
        let origins: Vec<String> =
            list.split(',').map(|o| o.trim().trim_end_matches('/').to_owned()).filter(|o| !o.is_empty()).collect();
        if let Some(bad) = origins.iter().find(|o| !valid_origin(o)) {
            return Err(format!("{bad:?} is not an origin like https://example.com"));
        }
        if production && origins.iter().any(|o| o == "*") {
            return Err("\"*\" is not allowed in production".to_owned());
        }
        Ok(AllowedOrigins::List(origins))
    }
}

fn valid_origin(o: &str) -> bool {
    if o == "*" {
        return true;
    }
    let Some(rest) = o.strip_prefix("https://").or_else(|| o.strip_prefix("http://")) else {
        return false;
    };
    !rest.is_empty() && !rest.contains('/') && !rest.contains(' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_allows_only_local_origins() {
        let loopback = AllowedOrigins::Loopback;
        for ok in ["http://localhost", "http://localhost:5173", "http://127.0.0.1:3000", "https://[::1]:8443"] {
            assert!(loopback.allows(ok), "{ok}");
        }
        for no in ["https://evil.example", "http://localhost.evil.example", "null", "file://", "localhost"] {
            assert!(!loopback.allows(no), "{no}");
        }
    }

    #[test]
    fn lists_are_exact_and_case_insensitive() {
        let list =
            AllowedOrigins::parse("https://a.example, https://B.example/", false).unwrap_or_else(|e| panic!("{e}"));
        assert!(list.allows("https://a.example") && list.allows("https://b.example"));
        assert!(!list.allows("https://a.example.evil") && !list.allows("http://a.example"));
        assert!(AllowedOrigins::parse("*", false).is_ok_and(|any| any.allows("https://anything.example")));
        assert!(AllowedOrigins::parse("*", true).is_err());
        assert!(AllowedOrigins::parse("example.com", false).is_err());
        assert!(AllowedOrigins::parse("https://a.example/path", false).is_err());
    }
}
