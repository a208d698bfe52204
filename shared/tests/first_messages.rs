//! The held-apart evaluation of the conversation: realistic first messages (typos
//! included) and the knowledge-base category a technician would start from. Reports the
//! share that reaches that category's steps at once, and holds it above the bar.

use sti_shared::chat::{self, Conversation, Input, Locale, State};

/// The share of first messages that must reach the right steps at once.
const TARGET: f64 = 0.9;

fn first_messages() -> Vec<(String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/first_messages.tsv");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (message, category) = l.split_once('\t').unwrap_or_else(|| panic!("no tab in {l:?}"));
            (message.to_owned(), category.to_owned())
        })
        .collect()
}

/// The conversation right after the visitor skipped giving a name.
fn asking_for_the_problem(locale: Locale) -> Conversation {
    let started = Conversation::new(locale);
    chat::respond(&started, Input::Button("skip_name"), &[]).conversation
}

#[test]
fn first_messages_reach_the_right_steps() {
    let messages = first_messages();
    assert!(messages.len() >= 60, "{} messages", messages.len());
    let mut misses = Vec::new();
    for (message, expected) in &messages {
        // Classification reads both languages whatever the session's locale.
        let before = asking_for_the_problem(Locale::Es);
        assert_eq!(before.state, State::AskProblem);
        let masked = sti_shared::pii::mask_pii(message);
        let turn = chat::respond(&before, Input::Text { raw: message, masked: &masked }, &[]);
        let reached =
            turn.conversation.state == State::Steps && turn.conversation.category.as_deref() == Some(expected);
        if !reached {
            misses.push(format!(
                "{message:?}: wanted {expected}, got {:?} in {:?}",
                turn.conversation.category, turn.conversation.state
            ));
        }
    }
    let share = 1.0 - misses.len() as f64 / messages.len() as f64;
    println!("{:.1} % of {} first messages reach the right steps at once", share * 100.0, messages.len());
    assert!(share >= TARGET, "{:.3} < {TARGET}:\n{}", share, misses.join("\n"));
}
