//! `sti report [--since 7d] [--json]`: how cases ended, the ratings and the tickets over
//! the last days, from the store's daily counters (either backend).

use std::process::ExitCode;

use sti_shared::app::Hosting;
use sti_shared::services::report;
use sti_shared::time::{DAY_MS, parse_duration_ms};

use crate::store::{StoreArgs, open_app};

/// Whole days covered by `since` ("7d", "36h": rounded up), or why not.
pub fn days(since: &str) -> Result<u32, String> {
    let ms = parse_duration_ms(since).ok_or_else(|| format!("--since {since}: expected a period such as 7d or 48h"))?;
    let days = ms / DAY_MS + i64::from(ms % DAY_MS != 0);
    u32::try_from(days).ok().filter(|d| *d <= 3_660).ok_or_else(|| format!("--since {since}: at most 3660d"))
}

pub async fn run(since: &str, json: bool, store: &StoreArgs) -> ExitCode {
    let days = match days(since) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("sti report: {e}");
            return ExitCode::from(2);
        }
    };
    let config = match store.config("report") {
        Ok(c) => c,
        Err(code) => return code,
    };
    let app = match open_app(config, Hosting::default(), "report").await {
        Ok(app) => app,
        Err(code) => return code,
    };
    let report = match report::last_days(&app, days).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sti report: {e}");
            return ExitCode::FAILURE;
        }
    };
    if json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("sti report: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        print!("{}", report.table());
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_is_whole_days_rounded_up() {
        assert_eq!(days("7d"), Ok(7));
        assert_eq!(days("36h"), Ok(2));
        assert_eq!(days("1m"), Ok(1));
        for bad in ["", "7", "seven days", "0d", "99999d"] {
            assert!(days(bad).is_err(), "{bad}");
        }
    }
}
