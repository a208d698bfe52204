//! The bot's lines as the transcript stores them: masked, like every line. Most of what
//! a turn spends on masking went to the bot's longest lines, the knowledge base's steps,
//! which are the same few hundred texts for every visitor: those are masked once per
//! process and remembered, the rest (names, smart-mode steps, image notes) every time.
//! Only the knowledge base's own replies are remembered, never anything a visitor or a
//! model wrote.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::chat::{Locale, kb, replies};
use crate::pii::mask_pii;

/// `text` masked, from the memo when it is one of the knowledge base's replies.
pub fn masked_bot_line(text: &str) -> String {
    match known_replies().get(text) {
        Some(masked) => masked.get_or_init(|| mask_pii(text)).clone(),
        None => mask_pii(text),
    }
}

/// Every set of steps exactly as the engine words it (each category, round and
/// language), each with its masked form once a turn has needed it.
fn known_replies() -> &'static HashMap<String, OnceLock<String>> {
    static KNOWN: OnceLock<HashMap<String, OnceLock<String>>> = OnceLock::new();
    KNOWN.get_or_init(|| knowledge_base_replies().map(|text| (text, OnceLock::new())).collect())
}

fn knowledge_base_replies() -> impl Iterator<Item = String> {
    // The wording depends on the round only as "first" or "another": two rounds cover it.
    [Locale::Es, Locale::En].into_iter().flat_map(|locale| {
        kb::categories().chain(std::iter::once(&kb::GENERAL)).flat_map(move |category| {
            [1, 2].into_iter().map(move |round| replies::steps(locale, category, round, category.steps(locale, round)))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::{self, Input, PrivacyTerms};

    #[test]
    fn every_line_comes_out_as_masking_it_would_make_it() {
        let known: Vec<String> = knowledge_base_replies().collect();
        assert!(known.len() > 50, "{} replies", known.len());
        for text in &known {
            assert_eq!(masked_bot_line(text), mask_pii(text), "{text}");
            // Remembered: the second time is the same.
            assert_eq!(masked_bot_line(text), mask_pii(text), "{text}");
        }
        for text in ["Tu correo ana.perez@gmail.com quedó anotado.", "Llamá al 11 4567-8901", ""] {
            assert_eq!(masked_bot_line(text), mask_pii(text), "{text}");
        }
    }

    #[test]
    fn only_the_knowledge_bases_own_replies_are_remembered() {
        let terms = PrivacyTerms { session_hours: 48, upload_days: 30, ticket_days: 90, backup_days: None };
        let (mut conversation, _) = chat::greet(Locale::Es, terms);
        let mut remembered = 0;
        for said in ["hola, me llamo Ana", "mi notebook no prende", "no, sigo igual"] {
            let masked = mask_pii(said);
            let turn = chat::respond(&conversation, Input::Text { raw: said, masked: &masked }, &[]);
            remembered += usize::from(known_replies().contains_key(&turn.reply.text));
            conversation = turn.conversation;
        }
        assert_eq!(remembered, 2, "both rounds of steps are the knowledge base's, the greeting by name is not");
        let steps = knowledge_base_replies().next().unwrap_or_default();
        // A line that only contains one (an image note or a warning appended) is masked afresh.
        let longer = format!("{steps}\n\nMi mail es ana.perez@gmail.com");
        assert!(!known_replies().contains_key(&longer));
        assert!(masked_bot_line(&longer).ends_with("Mi mail es [EMAIL]"));
        for visitor_words in ["ana.perez@gmail.com", "me llamo Ana"] {
            assert!(!known_replies().contains_key(visitor_words));
        }
    }
}
