//! How a case ended, as the visitor rates it, and one such rating.

use serde::{Deserialize, Serialize};

use super::State;

/// What a case ended in, as the visitor rates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseEnd {
    Solved,
    Ticket,
}

impl CaseEnd {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseEnd::Solved => "solved",
            CaseEnd::Ticket => "ticket",
        }
    }

    /// The outcome the conversation is at, if it is at one.
    pub fn of(state: State) -> Option<CaseEnd> {
        match state {
            State::Solved => Some(CaseEnd::Solved),
            State::TicketCreated => Some(CaseEnd::Ticket),
            _ => None,
        }
    }
}

/// One rating, kept with the session (exported with it, erased with it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Feedback {
    pub case_no: u32,
    pub outcome: CaseEnd,
    pub up: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub at: i64,
}

impl Feedback {
    /// Whether the conversation is at a case end the visitor has not rated yet.
    pub fn can_rate(given: &[Feedback], state: State, case_no: u32) -> bool {
        CaseEnd::of(state).is_some_and(|end| !given.iter().any(|f| f.case_no == case_no && f.outcome == end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_closed_case_not_yet_rated_can_be_rated() {
        let given = [Feedback { case_no: 1, outcome: CaseEnd::Solved, up: true, comment: None, at: 0 }];
        assert!(!Feedback::can_rate(&given, State::Solved, 1), "rated already");
        assert!(Feedback::can_rate(&given, State::TicketCreated, 1), "another outcome of the same case");
        assert!(Feedback::can_rate(&given, State::Solved, 2), "the next case");
        for open in [State::AskName, State::AskProblem, State::Clarify, State::Steps, State::OfferTicket] {
            assert!(!Feedback::can_rate(&[], open, 1), "{open:?}");
        }
    }
}

/// How a case ended, as the support lead counts it: solved by the bot's first or second
/// round of steps, handed to a technician, or left by the visitor at the steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseOutcome {
    SolvedRound1,
    SolvedRound2,
    Ticket,
    Abandoned,
}

impl CaseOutcome {
    pub const ALL: [CaseOutcome; 4] =
        [CaseOutcome::SolvedRound1, CaseOutcome::SolvedRound2, CaseOutcome::Ticket, CaseOutcome::Abandoned];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseOutcome::SolvedRound1 => "solved_round_1",
            CaseOutcome::SolvedRound2 => "solved_round_2",
            CaseOutcome::Ticket => "ticket",
            CaseOutcome::Abandoned => "abandoned",
        }
    }

    /// Whether the conversation waits on the visitor to say how the bot's steps went (or
    /// whether to open a ticket): a case left there long enough (`CASE_ABANDONED_AFTER`)
    /// counts as abandoned.
    pub fn awaited(c: &super::Conversation) -> bool {
        matches!(c.state, State::Steps | State::OfferTicket)
    }

    /// The category a case of `c` is counted under.
    pub fn category_of(c: &super::Conversation) -> &'static str {
        c.category.as_deref().and_then(super::kb::category).map(|k| k.id).unwrap_or(super::kb::GENERAL.id)
    }

    /// The outcome a turn reached, going from `before` to `after`, with the case's
    /// category; `None` when the turn closed no case.
    pub fn reached(before: &super::Conversation, after: &super::Conversation) -> Option<(&'static str, CaseOutcome)> {
        let category = CaseOutcome::category_of;
        if after.ticket_id.is_some() && after.ticket_id != before.ticket_id {
            return Some((category(after), CaseOutcome::Ticket));
        }
        let solved_now =
            after.state == State::Solved && (before.state != State::Solved || before.case_no != after.case_no);
        if solved_now {
            let outcome = if before.round <= 1 { CaseOutcome::SolvedRound1 } else { CaseOutcome::SolvedRound2 };
            return Some((category(before), outcome));
        }
        None
    }
}

#[cfg(test)]
mod outcome_tests {
    use super::*;
    use crate::chat::{Conversation, Input, Locale, respond, ticket_opened};

    fn say(c: &Conversation, text: &str) -> Conversation {
        respond(c, Input::Text { raw: text, masked: text }, &[]).conversation
    }

    fn tap(c: &Conversation, value: &str) -> Conversation {
        respond(c, Input::Button(value), &[]).conversation
    }

    #[test]
    fn a_case_is_counted_once_when_it_closes() {
        let named = say(&Conversation::new(Locale::Es), "soy Ana");
        let steps = say(&named, "la impresora no imprime");
        assert_eq!(CaseOutcome::reached(&named, &steps), None, "steps close nothing");
        let solved = tap(&steps, "yes");
        assert_eq!(CaseOutcome::reached(&steps, &solved), Some(("printer", CaseOutcome::SolvedRound1)));
        let round2 = tap(&steps, "no");
        let solved2 = tap(&round2, "yes");
        assert_eq!(CaseOutcome::reached(&round2, &solved2), Some(("printer", CaseOutcome::SolvedRound2)));
        let offered = tap(&round2, "tech");
        let (ticketed, _) = ticket_opened(&offered, "STI-20261205-ABCDEF");
        assert_eq!(CaseOutcome::reached(&offered, &ticketed), Some(("printer", CaseOutcome::Ticket)));
        assert_eq!(CaseOutcome::reached(&ticketed, &ticketed), None, "the same ticket again counts nothing");
        let after = say(&solved, "gracias");
        assert_eq!(CaseOutcome::reached(&solved, &after), None);
    }

    #[test]
    fn only_steps_and_a_ticket_offer_wait_on_the_visitor() {
        let named = say(&Conversation::new(Locale::Es), "soy Ana");
        let steps = say(&named, "la impresora no imprime");
        let round2 = tap(&steps, "no");
        let offered = tap(&round2, "tech");
        for waiting in [&steps, &round2] {
            assert!(CaseOutcome::awaited(waiting), "{:?}", waiting.state);
        }
        assert_eq!(offered.state, State::OfferTicket);
        assert!(CaseOutcome::awaited(&offered));
        let (ticketed, _) = ticket_opened(&offered, "STI-20261205-ABCDEF");
        for closed in [&Conversation::new(Locale::Es), &named, &tap(&steps, "yes"), &ticketed] {
            assert!(!CaseOutcome::awaited(closed), "{:?}", closed.state);
        }
        assert_eq!(CaseOutcome::category_of(&steps), "printer");
        assert_eq!(CaseOutcome::category_of(&named), "general");
    }
}
