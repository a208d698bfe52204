//! What the support lead reads: how cases ended by category, the visitors' ratings, and
//! the technicians' work on tickets — over all time (`/api/metrics`, from the running
//! totals) or over a period of days (`sti report`, from the daily counters).

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::app::App;
use crate::chat::CaseOutcome;
use crate::counters::{Counter, FEEDBACK_BY, OUTCOMES};
use crate::error::Result;
use crate::services::operations::Figures;
use crate::time::{DAY_MS, utc_day};

/// How cases ended: per category and outcome, and the share the bot solved.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutcomeFigures {
    /// Cases the bot solved over cases that reached an outcome (solved, ticket or
    /// abandoned), to two decimals.
    pub solved_rate: Option<f64>,
    pub by_category: Vec<OutcomeLine>,
}

#[derive(Debug, Serialize)]
pub struct OutcomeLine {
    pub category: String,
    pub outcome: String,
    pub count: i64,
}

pub fn outcome_lines(f: &Figures) -> Vec<OutcomeLine> {
    f.with_prefix(OUTCOMES)
        .filter_map(|(key, count)| {
            let (category, outcome) = key.split_once('.')?;
            Some(OutcomeLine { category: category.to_owned(), outcome: outcome.to_owned(), count })
        })
        .filter(|l| l.count != 0)
        .collect()
}

/// `part / whole` to two decimals; none of nothing.
fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| ((part as f64 / whole as f64) * 100.0).round() / 100.0)
}

pub fn outcome_figures(f: &Figures) -> OutcomeFigures {
    let lines = outcome_lines(f);
    let solved: i64 = lines.iter().filter(|l| l.outcome.starts_with("solved")).map(|l| l.count).sum();
    let closed: i64 = lines.iter().map(|l| l.count).sum();
    OutcomeFigures { solved_rate: share(solved, closed), by_category: lines }
}

/// The visitors' ratings: totals, the share of good ones, and each outcome × category.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedbackFigures {
    pub up: i64,
    pub down: i64,
    /// `up / (up + down)`, to two decimals; absent before the first rating.
    pub satisfaction: Option<f64>,
    pub by_outcome: Vec<FeedbackLine>,
}

#[derive(Debug, Serialize)]
pub struct FeedbackLine {
    pub outcome: String,
    pub category: String,
    pub up: i64,
    pub down: i64,
}

pub fn feedback_lines(f: &Figures) -> Vec<FeedbackLine> {
    let mut lines: Vec<FeedbackLine> = Vec::new();
    for (key, value) in f.with_prefix(FEEDBACK_BY) {
        let mut parts = key.split('.');
        let (Some(outcome), Some(category), Some(rating), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let at = match lines.iter().position(|l| l.outcome == outcome && l.category == category) {
            Some(at) => at,
            None => {
                lines.push(FeedbackLine { outcome: outcome.to_owned(), category: category.to_owned(), up: 0, down: 0 });
                lines.len() - 1
            }
        };
        match rating {
            "up" => lines[at].up += value,
            "down" => lines[at].down += value,
            _ => {}
        }
    }
    lines
}

pub fn feedback_figures(f: &Figures) -> FeedbackFigures {
    let (up, down) = (f.get(Counter::FeedbackUp), f.get(Counter::FeedbackDown));
    FeedbackFigures { up, down, satisfaction: share(up, up + down), by_outcome: feedback_lines(f) }
}

/// Average minutes from a ticket to its resolution, to one decimal.
pub fn minutes_to_resolution(f: &Figures) -> f64 {
    (f.average(Counter::TicketResolutionMsTotal, Counter::TicketsResolved) / 60_000.0 * 10.0).round() / 10.0
}

/// The report of the days `from ..= to` (UTC).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub from: String,
    pub to: String,
    pub outcomes: OutcomeFigures,
    pub feedback: FeedbackFigures,
    pub tickets: TicketWork,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketWork {
    pub created: i64,
    pub resolved: i64,
    pub avg_minutes_to_resolution: f64,
}

impl Report {
    pub fn of(from: String, to: String, sums: BTreeMap<String, i64>) -> Report {
        let f = Figures::of_counters(sums);
        Report {
            outcomes: outcome_figures(&f),
            feedback: feedback_figures(&f),
            tickets: TicketWork {
                created: f.get(Counter::TicketsCreated),
                resolved: f.get(Counter::TicketsResolved),
                avg_minutes_to_resolution: minutes_to_resolution(&f),
            },
            from,
            to,
        }
    }

    /// The table a person reads: one row per category (and one for all), a column per
    /// outcome, then the ratings and the tickets.
    pub fn table(&self) -> String {
        let mut out = format!("Support report, {} to {} (UTC days)\n\n", self.from, self.to);
        let columns = CaseOutcome::ALL.map(CaseOutcome::as_str);
        let _ = write!(out, "{:<14}", "category");
        for c in columns.iter().chain(&["cases", "solved"]) {
            let _ = write!(out, "{c:>16}");
        }
        out.push('\n');
        let mut rows: BTreeMap<&str, [i64; 4]> = BTreeMap::new();
        for line in &self.outcomes.by_category {
            if let Some(i) = columns.iter().position(|c| *c == line.outcome) {
                rows.entry(&line.category).or_default()[i] += line.count;
            }
        }
        let all = rows.values().fold([0; 4], |acc, r| std::array::from_fn(|i| acc[i] + r[i]));
        for (category, counts) in rows.iter().map(|(c, n)| (*c, n)).chain(std::iter::once(("all", &all))) {
            let cases: i64 = counts.iter().sum();
            let _ = write!(out, "{category:<14}");
            for n in counts.iter().chain(std::iter::once(&cases)) {
                let _ = write!(out, "{n:>16}");
            }
            let _ = writeln!(out, "{:>16}", percent(share(counts[0] + counts[1], cases)));
        }
        let f = &self.feedback;
        let _ = writeln!(out, "\nratings: {} up, {} down; satisfaction {}", f.up, f.down, percent(f.satisfaction));
        let t = &self.tickets;
        let _ = writeln!(
            out,
            "tickets: {} opened, {} resolved; {} min to resolution on average",
            t.created, t.resolved, t.avg_minutes_to_resolution
        );
        out
    }
}

fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "-".to_owned(), |s| format!("{:.0} %", s * 100.0))
}

/// The report of the last `days` days, today (UTC, by the app's clock) included.
pub async fn last_days(app: &App, days: u32) -> Result<Report> {
    let now = app.now_ms();
    let (from, to) = (utc_day(now - i64::from(days.max(1) - 1) * DAY_MS), utc_day(now));
    let sums = app.backend().counters.daily_sums(&from, &to).await?;
    Ok(Report::of(from, to, sums))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sums(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    #[test]
    fn the_table_has_a_row_per_category_and_one_for_all() {
        let report = Report::of(
            "2026-11-30".into(),
            "2026-12-06".into(),
            sums(&[
                ("outcomes.printer.solved_round_1", 2),
                ("outcomes.printer.abandoned", 1),
                ("outcomes.internet.ticket", 1),
                ("outcomes.internet.abandoned", 0),
                ("feedback.up", 3),
                ("feedback.down", 1),
                ("tickets.created", 1),
                ("tickets.resolved", 1),
                ("tickets.resolutionMsTotal", 90 * 60_000),
            ]),
        );
        assert_eq!(report.outcomes.solved_rate, Some(0.5));
        assert_eq!(report.outcomes.by_category.len(), 3, "a count moved back to zero is no line");
        let table = report.table();
        let rows: Vec<Vec<&str>> = table.lines().map(|l| l.split_whitespace().collect()).collect();
        assert_eq!(rows[0], ["Support", "report,", "2026-11-30", "to", "2026-12-06", "(UTC", "days)"]);
        assert_eq!(rows[2], ["category", "solved_round_1", "solved_round_2", "ticket", "abandoned", "cases", "solved"]);
        assert_eq!(rows[3], ["internet", "0", "0", "1", "0", "1", "0", "%"]);
        assert_eq!(rows[4], ["printer", "2", "0", "0", "1", "3", "67", "%"]);
        assert_eq!(rows[5], ["all", "2", "0", "1", "1", "4", "50", "%"]);
        assert!(table.contains("ratings: 3 up, 1 down; satisfaction 75 %"), "{table}");
        assert!(table.contains("tickets: 1 opened, 1 resolved; 90 min to resolution on average"), "{table}");
    }

    #[test]
    fn an_empty_period_says_so_without_dividing_by_zero() {
        let table = Report::of("2026-12-06".into(), "2026-12-06".into(), BTreeMap::new()).table();
        assert!(table.contains("all                          0"), "{table}");
        assert!(table.contains("satisfaction -"), "{table}");
    }
}
