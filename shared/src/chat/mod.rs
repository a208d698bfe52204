//! The conversation: a pure state machine from (conversation so far, visitor input) to
//! (next conversation, reply). Nothing here does I/O; the chat handler persists the
//! result and carries out the one side effect the engine may ask for (opening a ticket).

pub mod classify;
mod engine;
mod feedback;
pub mod intents;
pub mod kb;
pub mod names;
pub mod replies;
mod stored_attempt;
mod turn_line;

pub use engine::{greet, is_known_button, replace_steps, respond, steps_request, ticket_opened, ticket_unavailable};
pub use feedback::{CaseEnd, CaseOutcome, Feedback};
pub use replies::{PrivacyTerms, button_label};
pub use stored_attempt::steps_by_reference;
pub use turn_line::TurnLine;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    Es,
    En,
}

impl Locale {
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::Es => "es",
            Locale::En => "en",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    AskName,
    AskProblem,
    Clarify,
    Steps,
    Solved,
    OfferTicket,
    TicketCreated,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::AskName => "ask_name",
            State::AskProblem => "ask_problem",
            State::Clarify => "clarify",
            State::Steps => "steps",
            State::Solved => "solved",
            State::OfferTicket => "offer_ticket",
            State::TicketCreated => "ticket_created",
        }
    }
}

/// A quick-reply button: what it shows and what it sends back as `value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuickReply {
    pub text: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub text: String,
    pub options: Vec<QuickReply>,
}

/// How a round of steps ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pending,
    Solved,
    NotSolved,
    Escalated,
}

/// One round of steps shown to the visitor, for the ticket's "what was tried".
/// (De)serialised by `stored_attempt`: see [`steps_by_reference`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub category: String,
    pub round: u8,
    /// Knowledge-base steps are borrowed from it: decoding a session copies none of them.
    pub steps: Vec<Cow<'static, str>>,
    pub outcome: Outcome,
}

/// Everything the engine remembers between turns. Stored with the session; the
/// problem description is stored masked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    pub state: State,
    pub locale: Locale,
    pub name: Option<String>,
    pub name_attempts: u8,
    /// The current case: incremented when the visitor starts over or brings a new
    /// problem after the last one was closed. One ticket per case.
    pub case_no: u32,
    pub category: Option<String>,
    pub round: u8,
    pub problem: Option<String>,
    pub attempts: Vec<Attempt>,
    pub ticket_id: Option<String>,
    /// Uploads whose analysis the bot already commented on.
    pub noted_uploads: Vec<String>,
}

impl Conversation {
    pub fn new(locale: Locale) -> Conversation {
        Conversation {
            state: State::AskName,
            locale,
            name: None,
            name_attempts: 0,
            case_no: 1,
            category: None,
            round: 0,
            problem: None,
            attempts: Vec::new(),
            ticket_id: None,
            noted_uploads: Vec::new(),
        }
    }

    /// The knowledge-base title of the current problem, in the conversation's language.
    pub fn category_title(&self) -> Option<&'static str> {
        self.category.as_deref().and_then(kb::category).map(|c| c.title(self.locale))
    }
}

/// What the visitor sent this turn.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// Free text: `raw` for understanding it, `masked` for anything remembered.
    Text { raw: &'a str, masked: &'a str },
    /// A quick-reply button's value.
    Button(&'a str),
}

/// A finished image analysis the bot has not mentioned yet.
#[derive(Debug, Clone)]
pub struct ImageNote {
    pub upload_id: String,
    pub hint: Option<crate::images::ImageHint>,
    pub width: u32,
    pub height: u32,
    /// What a vision model saw on it (smart mode), masked.
    pub description: Option<String>,
}

/// What the chat handler must do besides replying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    None,
    /// The visitor accepted a ticket: open it (idempotently per case) and answer with
    /// [`ticket_opened`].
    OpenTicket,
}

#[derive(Debug, Clone)]
pub struct Turn {
    pub conversation: Conversation,
    pub reply: Reply,
    pub action: Action,
}

/// "el equipo no enciende" → "El equipo no enciende".
pub fn capitalize_sentence(s: &str) -> String {
    crate::text::capitalize_first(s)
}

#[cfg(test)]
mod tests;
