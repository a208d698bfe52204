//! How an [`Attempt`] is written and read.
//!
//! A round's steps are most of a session's bytes (up to eight rounds of four or five
//! sentences each, 4–6 KB of JSON), and every chat turn reads, decodes, encodes and
//! rewrites its session. A store whose files carry a format version (the embedded one: a
//! build refuses a file newer than itself) writes inside [`steps_by_reference`]: steps
//! that are exactly a knowledge-base round are then written as that round's language
//! (`"kbSteps":"es"`) instead of copied. Steps written by smart mode, or anything else the
//! knowledge base does not hold, are written in full, as everywhere else (tickets, the
//! data export, DynamoDB, which two Lambda versions share during a canary).
//!
//! Every build reads both forms. The exact words shown also stay in the transcript; a
//! knowledge-base edit shipped while a session lives changes the wording its later
//! ticket lists for that round, not what was tried.

use std::borrow::Cow;
use std::cell::Cell;

use serde::de::Deserializer;
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use super::{Attempt, Locale, Outcome, kb};

thread_local! {
    static BY_REFERENCE: Cell<bool> = const { Cell::new(false) };
}

/// Runs `encode` with knowledge-base steps written by reference (see the module).
pub fn steps_by_reference<T>(encode: impl FnOnce() -> T) -> T {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            BY_REFERENCE.set(self.0);
        }
    }
    let _restore = Restore(BY_REFERENCE.replace(true));
    encode()
}

/// The knowledge-base round whose steps `attempt` shows word for word, by its language.
fn knowledge_base_round(attempt: &Attempt) -> Option<Locale> {
    let category = kb::category(&attempt.category)?;
    [Locale::Es, Locale::En].into_iter().find(|&locale| {
        let known = category.steps(locale, attempt.round);
        known.len() == attempt.steps.len() && known.iter().zip(&attempt.steps).all(|(k, s)| *k == s.as_ref())
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Written<'a> {
    category: &'a str,
    round: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    kb_steps: Option<Locale>,
    #[serde(skip_serializing_if = "Option::is_none")]
    steps: Option<&'a [Cow<'static, str>]>,
    outcome: Outcome,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Read {
    category: String,
    round: u8,
    #[serde(default)]
    kb_steps: Option<Locale>,
    #[serde(default)]
    steps: Vec<String>,
    outcome: Outcome,
}

impl Serialize for Attempt {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let kb_steps = if BY_REFERENCE.get() { knowledge_base_round(self) } else { None };
        Written {
            category: &self.category,
            round: self.round,
            kb_steps,
            steps: if kb_steps.is_some() { None } else { Some(&self.steps) },
            outcome: self.outcome,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Attempt {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Attempt, D::Error> {
        let read = Read::deserialize(deserializer)?;
        let steps = match read.kb_steps {
            // A category a later build dropped from the knowledge base leaves the round
            // without its steps rather than the whole session unreadable.
            Some(locale) => kb::category(&read.category)
                .map(|c| c.steps(locale, read.round).iter().map(|s| Cow::Borrowed(*s)).collect())
                .unwrap_or_default(),
            None => read.steps.into_iter().map(Cow::Owned).collect(),
        };
        Ok(Attempt { category: read.category, round: read.round, steps, outcome: read.outcome })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kb_attempt(locale: Locale, round: u8) -> Attempt {
        let steps = match kb::category("printer") {
            Some(c) => c.steps(locale, round).iter().map(|s| Cow::Borrowed(*s)).collect(),
            None => panic!("the knowledge base has no printer category"),
        };
        Attempt { category: "printer".into(), round, steps, outcome: Outcome::NotSolved }
    }

    fn json(attempt: &Attempt) -> String {
        serde_json::to_string(attempt).unwrap_or_else(|e| panic!("{e}"))
    }

    fn read(json: &str) -> Attempt {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    #[test]
    fn knowledge_base_steps_are_written_by_reference_and_read_back_word_for_word() {
        for (locale, name) in [(Locale::Es, "es"), (Locale::En, "en")] {
            for round in [1, 2] {
                let attempt = kb_attempt(locale, round);
                let compact = steps_by_reference(|| json(&attempt));
                assert_eq!(
                    compact,
                    format!(r#"{{"category":"printer","round":{round},"kbSteps":"{name}","outcome":"not_solved"}}"#)
                );
                assert_eq!(read(&compact), attempt);
                assert!(compact.len() * 4 < json(&attempt).len(), "{compact}");
            }
        }
    }

    #[test]
    fn steps_the_knowledge_base_does_not_hold_are_written_in_full() {
        let mut smart = kb_attempt(Locale::Es, 1);
        smart.steps = vec!["Reiniciá el router.".into(), "Probá con cable.".into()];
        let mut one_changed = kb_attempt(Locale::Es, 1);
        one_changed.steps[0].to_mut().push('!');
        let mut one_fewer = kb_attempt(Locale::En, 2);
        one_fewer.steps.pop();
        let unknown = Attempt { category: "teleport".into(), ..kb_attempt(Locale::Es, 1) };
        for attempt in [smart, one_changed, one_fewer, unknown] {
            let written = steps_by_reference(|| json(&attempt));
            assert!(written.contains(r#""steps":["#) && !written.contains("kbSteps"), "{written}");
            assert_eq!(read(&written), attempt);
        }
    }

    #[test]
    fn outside_steps_by_reference_every_attempt_is_written_in_full() {
        let attempt = kb_attempt(Locale::Es, 1);
        let full = json(&attempt);
        assert!(full.contains(attempt.steps[0].as_ref()) && !full.contains("kbSteps"), "{full}");
        assert_eq!(read(&full), attempt);
        // The flag is scoped: it is off again after the closure, even one that panicked.
        let _ = std::panic::catch_unwind(|| steps_by_reference(|| panic!("encoder failed")));
        assert_eq!(json(&attempt), full);
    }

    #[test]
    fn an_attempt_written_before_references_existed_still_reads() {
        let old = r#"{"category":"printer","round":1,"steps":["Uno","Dos"],"outcome":"pending"}"#;
        let attempt = read(old);
        assert_eq!(attempt.steps, ["Uno", "Dos"]);
        assert_eq!(attempt.outcome, Outcome::Pending);
    }

    #[test]
    fn a_reference_to_a_category_the_knowledge_base_dropped_reads_without_steps() {
        let attempt = read(r#"{"category":"teleport","round":1,"kbSteps":"es","outcome":"solved"}"#);
        assert_eq!((attempt.category.as_str(), attempt.steps.len(), attempt.outcome), ("teleport", 0, Outcome::Solved));
    }
}
