//! Wall-clock helpers. Stored times are Unix milliseconds (UTC).

use std::time::{SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub const SECOND_MS: i64 = 1_000;
pub const MINUTE_MS: i64 = 60 * SECOND_MS;
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
pub const DAY_MS: i64 = 24 * HOUR_MS;

pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// "90s", "15m", "48h", "30d" → milliseconds (positive).
pub fn parse_duration_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (num, unit) = s.split_at(split);
    let n: i64 = num.parse().ok().filter(|n| *n > 0)?;
    let unit_ms = match unit.trim() {
        "s" => SECOND_MS,
        "m" => MINUTE_MS,
        "h" => HOUR_MS,
        "d" => DAY_MS,
        _ => return None,
    };
    n.checked_mul(unit_ms)
}

fn datetime(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// "2026-11-22T17:05:09.123Z"
pub fn rfc3339(ms: i64) -> String {
    datetime(ms).format(&Rfc3339).unwrap_or_else(|_| ms.to_string())
}

/// "20261122"
pub fn utc_date_compact(ms: i64) -> String {
    let d = datetime(ms);
    format!("{:04}{:02}{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A duration in whole milliseconds, for arithmetic with `now_ms()` timestamps.
pub fn ms(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc() {
        assert_eq!(utc_date_compact(1_763_769_600_000), "20251122");
        assert_eq!(rfc3339(1_763_769_600_123), "2025-11-22T00:00:00.123Z");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn durations_are_a_positive_number_and_a_unit() {
        assert_eq!(parse_duration_ms("90s"), Some(90 * SECOND_MS));
        assert_eq!(parse_duration_ms("15m"), Some(15 * MINUTE_MS));
        assert_eq!(parse_duration_ms(" 48h "), Some(48 * HOUR_MS));
        assert_eq!(parse_duration_ms("30d"), Some(30 * DAY_MS));
        for bad in ["0s", "h", "5", "5w", "-5s", "1.5h", ""] {
            assert_eq!(parse_duration_ms(bad), None, "{bad}");
        }
    }
}
