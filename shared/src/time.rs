//! Wall-clock helpers. Stored times are Unix milliseconds (UTC).

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub const SECOND_MS: i64 = 1_000;
pub const MINUTE_MS: i64 = 60 * SECOND_MS;
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
pub const DAY_MS: i64 = 24 * HOUR_MS;

pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Where the application reads the time. Expiry, retention, rate-limit windows, signed
/// URLs and the circuit breaker all read it, so a test moves time instead of sleeping.
pub trait Clock: Send + Sync {
    /// Unix milliseconds (UTC), for stored times.
    fn now_ms(&self) -> i64;
    /// A monotonic reading, for intervals (the circuit breaker's windows and cool-down).
    fn monotonic(&self) -> Instant;
}

/// The system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        now_ms()
    }

    fn monotonic(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that moves only when told to: both readings advance together.
#[derive(Debug)]
pub struct ManualClock {
    start_ms: i64,
    start: Instant,
    elapsed_ms: AtomicI64,
}

impl ManualClock {
    /// Starts at the system's time: stored records and real signatures stay plausible.
    pub fn new() -> ManualClock {
        ManualClock::starting_at(now_ms())
    }

    pub fn starting_at(start_ms: i64) -> ManualClock {
        ManualClock { start_ms, start: Instant::now(), elapsed_ms: AtomicI64::new(0) }
    }

    pub fn advance(&self, by: Duration) {
        self.elapsed_ms.fetch_add(ms(by), Ordering::AcqRel);
    }
}

impl Default for ManualClock {
    fn default() -> ManualClock {
        ManualClock::new()
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.start_ms + self.elapsed_ms.load(Ordering::Acquire)
    }

    fn monotonic(&self) -> Instant {
        self.start + Duration::from_millis(self.elapsed_ms.load(Ordering::Acquire).max(0) as u64)
    }
}

/// "90s", "15m", "48h", "30d" → milliseconds (positive).
pub fn parse_duration_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (num, unit) = s.split_at(split);
    let n: i64 = num.parse().ok().filter(|n| *n > 0)?;
    let unit_ms = match unit.trim() {
        "ms" => 1,
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

/// "22/11/2026 14:05" in `zone` (an IANA name; UTC if unknown): how people read a time.
pub fn local_datetime(ms: i64, zone: &str) -> String {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => t.to_zoned(tz).strftime("%d/%m/%Y %H:%M").to_string(),
        Err(_) => rfc3339(ms),
    }
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

/// "2026-11-22": the UTC day that daily counters are kept by.
pub fn utc_day(ms: i64) -> String {
    let d = datetime(ms);
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The start of a UTC day written as [`utc_day`] writes it, in epoch milliseconds.
pub fn parse_day(day: &str) -> Option<i64> {
    let mut parts = day.splitn(3, '-').map(|p| p.parse::<i32>().ok());
    let (Some(Some(y)), Some(Some(m)), Some(Some(d))) = (parts.next(), parts.next(), parts.next()) else {
        return None;
    };
    let month = time::Month::try_from(u8::try_from(m).ok()?).ok()?;
    let date = time::Date::from_calendar_date(y, month, u8::try_from(d).ok()?).ok()?;
    Some(date.midnight().assume_utc().unix_timestamp() * SECOND_MS)
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
        assert_eq!(utc_day(1_763_769_600_000 - 1), "2025-11-21");
        assert_eq!(utc_day(1_763_769_600_000), "2025-11-22");
        assert_eq!(parse_day("2025-11-22"), Some(1_763_769_600_000));
        for bad in ["2025-13-01", "2025-11", "yesterday", "2025-02-30", ""] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_manual_clock_moves_only_when_told_and_both_readings_together() {
        let clock = ManualClock::starting_at(1_000);
        let before = clock.monotonic();
        assert_eq!((clock.now_ms(), clock.now_ms()), (1_000, 1_000));
        clock.advance(Duration::from_millis(2_500));
        assert_eq!(clock.now_ms(), 3_500);
        assert_eq!(clock.monotonic() - before, Duration::from_millis(2_500));
        assert!((SystemClock.now_ms() - now_ms()).abs() < 1_000);
    }

    #[test]
    fn durations_are_a_positive_number_and_a_unit() {
        assert_eq!(parse_duration_ms("250ms"), Some(250));
        // 2026-12-05T22:31:00Z is 19:31 in Buenos Aires (UTC-3, no daylight saving).
        assert_eq!(local_datetime(1_796_509_860_000, "America/Argentina/Buenos_Aires"), "05/12/2026 19:31");
        assert_eq!(local_datetime(1_796_509_860_000, "Europe/Madrid"), "05/12/2026 23:31");
        assert_eq!(local_datetime(1_796_509_860_000, "Nowhere/Else"), "05/12/2026 22:31");
        assert_eq!(parse_duration_ms("90s"), Some(90 * SECOND_MS));
        assert_eq!(parse_duration_ms("15m"), Some(15 * MINUTE_MS));
        assert_eq!(parse_duration_ms(" 48h "), Some(48 * HOUR_MS));
        assert_eq!(parse_duration_ms("30d"), Some(30 * DAY_MS));
        for bad in ["0s", "h", "5", "5w", "-5s", "1.5h", ""] {
            assert_eq!(parse_duration_ms(bad), None, "{bad}");
        }
    }
}
