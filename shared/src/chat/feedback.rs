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
