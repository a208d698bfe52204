//! A chat turn's line in the application log: metadata only — the session's version, the
//! conversation's state, the knowledge base's category and a character count — built from
//! our own values. Every other line is masked on its way to the log; this one is the only
//! line a turn writes, and masking it found nothing to mask while costing ~3 % of the
//! runtime threads' CPU (its numbers send the masker into its number scanner). A
//! [`TurnLine`] can only be made here, so nothing else reaches the log unmasked; the tests
//! check that masking leaves every such line as it is.

use super::{State, kb};

pub struct TurnLine(String);

impl TurnLine {
    /// `category` is named only when it is one of the knowledge base's ("other" when not).
    pub fn new(version: u64, state: State, category: Option<&str>, chars: usize) -> TurnLine {
        let category = match category {
            None => "none",
            Some(id) => kb::category(id).map_or("other", |c| c.id),
        };
        TurnLine(format!("turn {version} → {} (category {category}, {chars} chars)", state.as_str()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pii::mask_pii;

    const STATES: [State; 7] = [
        State::AskName,
        State::AskProblem,
        State::Clarify,
        State::Steps,
        State::Solved,
        State::OfferTicket,
        State::TicketCreated,
    ];

    fn categories() -> Vec<Option<&'static str>> {
        [None, Some("general"), Some("not a category"), Some("Juan Pérez, +54 9 11 5555-1234")]
            .into_iter()
            .chain(kb::categories().map(|c| Some(c.id)))
            .collect()
    }

    /// Nothing of the visitor's can be in a turn's line: it is our words, a state's name,
    /// a category of the knowledge base's (or "none"/"other") and two numbers.
    #[test]
    fn a_turn_line_holds_only_our_own_values() {
        let ids: Vec<&str> = kb::categories().map(|c| c.id).chain(["general", "none", "other"]).collect();
        for version in [0, 1, 199, u64::MAX] {
            for state in STATES {
                for category in categories() {
                    let line = TurnLine::new(version, state, category, 53);
                    let rest = line.as_str().strip_prefix(&format!("turn {version} → {} (category ", state.as_str()));
                    let named = rest.and_then(|r| r.strip_suffix(", 53 chars)"));
                    assert!(named.is_some_and(|id| ids.contains(&id)), "{}", line.as_str());
                }
            }
        }
    }

    /// What masking it would do: nothing, for any turn the default limits allow (200 turns,
    /// 2,000 characters) and well past them. (Six digits beside a category named after
    /// phones would be masked as a phone number: a false positive, which skipping the
    /// masker spares the line.)
    #[test]
    fn masking_leaves_every_turn_line_as_it_is() {
        let mut lines = 0;
        for version in [0, 1, 7, 42, 199, 1_000, 65_535, 99_999] {
            for state in STATES {
                for category in categories() {
                    for chars in [0, 1, 53, 2_000, 99_999] {
                        let line = TurnLine::new(version, state, category, chars);
                        assert_eq!(mask_pii(line.as_str()), line.as_str());
                        lines += 1;
                    }
                }
            }
        }
        assert!(lines > 3_000, "{lines}");
    }

    #[test]
    fn only_the_knowledge_bases_categories_are_named() {
        let named = TurnLine::new(3, State::Steps, Some("display"), 53);
        assert_eq!(named.as_str(), "turn 3 → steps (category display, 53 chars)");
        let stray = TurnLine::new(3, State::Steps, Some("juan@example.com"), 53);
        assert_eq!(stray.as_str(), "turn 3 → steps (category other, 53 chars)");
        assert_eq!(TurnLine::new(1, State::AskName, None, 0).as_str(), "turn 1 → ask_name (category none, 0 chars)");
    }
}
