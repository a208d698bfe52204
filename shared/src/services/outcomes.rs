//! How cases end, counted for the support lead: what a turn closed (moving the count of
//! a case that was first counted abandoned), and the sweep that counts the cases visitors
//! walked away from while the bot waited to hear how its steps went.

use crate::app::App;
use crate::chat::{CaseOutcome, Conversation};
use crate::counters::{daily, outcome_key};
use crate::ports::{Abandoned, CommitOutcome, DailyDelta, Riders, Session, StoreResult, TurnRecord};

/// What a turn changes in the outcome counters, and the session's abandonment mark after it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Closing {
    /// The outcome reached, with the case's category.
    pub reached: Option<(&'static str, CaseOutcome)>,
    pub totals: Vec<(&'static str, i64)>,
    pub daily: Vec<DailyDelta>,
    pub abandoned: Option<Abandoned>,
}

/// The counts of a turn that takes `before` to `after` at `now`. A case counted abandoned
/// that ends after all is taken off the abandoned count of the day it was put there, so
/// each case is counted once, under how it ended; a case left for another one stays
/// abandoned.
pub fn closing(before: &Session, after: &Conversation, now: i64) -> Closing {
    let reached = CaseOutcome::reached(&before.conversation, after);
    let mark = before.abandoned.clone().filter(|a| a.case_no == before.conversation.case_no);
    let mut closing = Closing { reached, ..Closing::default() };
    let Some((category, outcome)) = reached else {
        closing.abandoned = mark.filter(|a| a.case_no == after.case_no);
        return closing;
    };
    let key = outcome_key(category, outcome);
    closing.totals.push((key, 1));
    closing.daily.extend(daily(now, &[(key, 1)]));
    if let Some(mark) = mark {
        let key = outcome_key(&mark.category, CaseOutcome::Abandoned);
        closing.totals.push((key, -1));
        closing.daily.extend(daily(mark.at, &[(key, -1)]));
    }
    closing
}

impl Closing {
    /// Writes the counts (for a store that could not write them with the turn) and
    /// publishes the outcome as a metric.
    pub async fn count(&self, app: &App) {
        app.count_keyed(&self.totals).await;
        app.count_daily(&self.daily).await;
    }

    pub fn publish(&self) {
        if let Some((category, outcome)) = self.reached {
            crate::metrics::emf_case_outcome(category, outcome.as_str());
        }
    }
}

/// Sessions looked at per sweep.
pub const SWEEP_BATCH: usize = 100;

/// Counts as abandoned every case whose visitor has been silent at the bot's steps (or its
/// ticket offer) for `CASE_ABANDONED_AFTER`; returns how many. A case is
/// counted once: the mark is committed on the condition that the session did not move
/// meanwhile (a visitor who speaks first wins, and the case is not abandoned).
pub async fn count_abandoned(app: &App, now: i64) -> StoreResult<u64> {
    let sessions = &app.backend().sessions;
    let quiet_since = now - crate::time::ms(app.config().case_abandoned_after);
    let mut counted = 0;
    for id in sessions.idle_cases(quiet_since, now, SWEEP_BATCH).await? {
        let Some(session) = sessions.get(&id, now).await? else { continue };
        if session.waiting_since().is_none_or(|since| since > quiet_since) {
            continue;
        }
        let category = CaseOutcome::category_of(&session.conversation);
        let mark = Abandoned { case_no: session.conversation.case_no, at: now, category: category.to_owned() };
        let record = TurnRecord {
            expected_version: session.version,
            session: std::sync::Arc::new(Session { version: session.version + 1, abandoned: Some(mark), ..session }),
            entries: Vec::new(),
            rewritten: None,
            message_id: None,
            response_json: String::new(),
        };
        let key = outcome_key(category, CaseOutcome::Abandoned);
        let riders = Riders { counters: vec![(key, 1)], daily: daily(now, &[(key, 1)]), log: None };
        if let (CommitOutcome::Committed, written) = sessions.commit_turn_with(&record, &riders).await? {
            if !written {
                app.count_event(now, &[(key, 1)]).await;
            }
            crate::metrics::emf_case_outcome(category, CaseOutcome::Abandoned.as_str());
            counted += 1;
        }
    }
    if counted > 0 {
        tracing::info!(counted, "cases counted abandoned");
    }
    Ok(counted)
}

/// Counts abandoned cases every `every` until shutdown (`sti serve`; on AWS a schedule
/// invokes [`count_abandoned`] instead).
pub async fn run(app: App, every: std::time::Duration, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    while !*shutdown.borrow() {
        match count_abandoned(&app, app.now_ms()).await {
            Ok(n) if n as usize == SWEEP_BATCH => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "counting abandoned cases failed; will retry"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::{Input, Locale, respond};
    use crate::ids::SessionId;
    use crate::time::{DAY_MS, utc_day};

    const NOW: i64 = 1_764_979_200_000; // 2025-12-06T00:00:00Z

    fn say(c: &Conversation, text: &str) -> Conversation {
        respond(c, Input::Text { raw: text, masked: text }, &[]).conversation
    }

    fn session(conversation: Conversation, abandoned: Option<Abandoned>) -> Session {
        Session {
            id: SessionId::generate().unwrap_or_else(|e| panic!("{e}")),
            version: 3,
            created_at: NOW,
            updated_at: NOW,
            expires_at: NOW + DAY_MS,
            conversation,
            transcript_expires_at: 0,
            last_visitor_line: None,
            last_options: Vec::new(),
            feedback: Vec::new(),
            abandoned,
            chat_tat_us: None,
        }
    }

    fn steps() -> Conversation {
        say(&say(&Conversation::new(Locale::Es), "soy Ana"), "la impresora no imprime")
    }

    fn tap(c: &Conversation, value: &str) -> Conversation {
        respond(c, Input::Button(value), &[]).conversation
    }

    #[test]
    fn a_solved_case_counts_once_today() {
        let before = session(steps(), None);
        let after = tap(&before.conversation, "yes");
        let closing = closing(&before, &after, NOW);
        assert_eq!(closing.reached, Some(("printer", CaseOutcome::SolvedRound1)));
        assert_eq!(closing.totals, [("outcomes.printer.solved_round_1", 1)]);
        assert_eq!(closing.daily.len(), 1);
        assert_eq!((closing.daily[0].day.as_str(), closing.daily[0].delta), ("2025-12-06", 1));
        assert_eq!(closing.abandoned, None);
    }

    #[test]
    fn a_case_counted_abandoned_that_ends_after_all_moves_its_count_from_the_day_it_was_left() {
        let left_at = NOW - DAY_MS;
        let mark = Abandoned { case_no: 1, at: left_at, category: "printer".into() };
        let before = session(steps(), Some(mark));
        let after = tap(&before.conversation, "yes");
        let closing = closing(&before, &after, NOW);
        assert_eq!(closing.totals, [("outcomes.printer.solved_round_1", 1), ("outcomes.printer.abandoned", -1)]);
        let daily: Vec<(&str, &str, i64)> =
            closing.daily.iter().map(|d| (d.day.as_str(), d.name.as_str(), d.delta)).collect();
        assert_eq!(
            daily,
            [
                ("2025-12-06", "outcomes.printer.solved_round_1", 1),
                (utc_day(left_at).as_str(), "outcomes.printer.abandoned", -1)
            ]
        );
        assert_eq!(closing.abandoned, None, "the mark goes with the count");
    }

    #[test]
    fn the_mark_stays_while_the_case_goes_on_and_a_new_case_leaves_the_old_one_abandoned() {
        let mark = Abandoned { case_no: 1, at: NOW, category: "printer".into() };
        let before = session(steps(), Some(mark.clone()));
        let round2 = tap(&before.conversation, "no");
        let going_on = closing(&before, &round2, NOW);
        assert_eq!((going_on.totals.len(), going_on.abandoned), (0, Some(mark.clone())));

        let mut new_case = round2.clone();
        new_case.case_no = 2;
        let moved_on = closing(&before, &new_case, NOW);
        assert_eq!((moved_on.totals.len(), moved_on.abandoned), (0, None), "case 1 stays counted abandoned");
    }

    #[test]
    fn only_a_case_waiting_on_the_visitor_and_not_yet_counted_is_watched() {
        let waiting = session(steps(), None);
        assert_eq!(waiting.waiting_since(), Some(NOW));
        let counted = session(steps(), Some(Abandoned { case_no: 1, at: NOW, category: "printer".into() }));
        assert_eq!(counted.waiting_since(), None);
        let older_mark = session(steps(), Some(Abandoned { case_no: 0, at: NOW, category: "printer".into() }));
        assert!(older_mark.waiting_since().is_some(), "a mark of an earlier case does not cover this one");
        let solved = session(tap(&steps(), "yes"), None);
        assert_eq!(solved.waiting_since(), None);
    }
}
