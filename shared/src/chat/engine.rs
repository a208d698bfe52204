//! The state machine. Every function takes the conversation by value and returns the
//! next one with its reply; nothing here fails.

use std::borrow::Cow;

use super::classify::{Classification, classify, names_a_problem};
use super::intents::{self, Intent};
use super::kb::{self, Category, GENERAL};
use super::names::{NameAnswer, RejectReason, parse_name};
use super::replies::{self, OfferReason, PrivacyTerms};
use super::{Action, Attempt, Conversation, ImageNote, Input, Outcome, QuickReply, Reply, State, Turn};

/// How much of the visitor's own description we keep for the ticket.
const MAX_PROBLEM_CHARS: usize = 600;
const MAX_NAME_ATTEMPTS: u8 = 2;

/// The first turn: a fresh conversation and the greeting with its privacy notice.
pub fn greet(locale: super::Locale, terms: PrivacyTerms) -> (Conversation, Reply) {
    let conversation = Conversation::new(locale);
    let reply = Reply { text: replies::greeting(locale, terms), options: Vec::new() };
    (conversation, reply)
}

/// What the visitor said, once buttons and fixed phrases are told apart from free text.
enum Said<'a> {
    Intent(Intent),
    Category(&'static Category),
    SkipName,
    Other,
    Ticket,
    NoTicket,
    Text { raw: &'a str, masked: &'a str },
}

/// Whether `value` is a quick-reply value the engine understands.
pub fn is_known_button(value: &str) -> bool {
    matches!(value, "yes" | "no" | "tech" | "restart" | "skip_name" | "other" | "ticket" | "no_ticket")
        || value.strip_prefix("cat:").and_then(kb::category).is_some()
}

/// Fixed replies are read as such; "sí"/"no" only where a yes/no question is open, so
/// "no tengo internet" stays a description of a problem.
fn read(input: Input<'_>, state: State) -> Said<'_> {
    match input {
        Input::Button(value) => match value {
            "yes" => Said::Intent(Intent::Yes),
            "no" => Said::Intent(Intent::No),
            "tech" => Said::Intent(Intent::Technician),
            "restart" => Said::Intent(Intent::Restart),
            "skip_name" => Said::SkipName,
            "other" => Said::Other,
            "ticket" => Said::Ticket,
            "no_ticket" => Said::NoTicket,
            other => match other.strip_prefix("cat:").and_then(kb::category) {
                Some(category) => Said::Category(category),
                None => Said::Other,
            },
        },
        Input::Text { raw, masked } => match intents::detect(raw) {
            Some(Intent::Yes | Intent::No) if !matches!(state, State::Steps | State::OfferTicket) => {
                Said::Text { raw, masked }
            }
            Some(intent) => Said::Intent(intent),
            None => Said::Text { raw, masked },
        },
    }
}

/// One turn of the conversation.
pub fn respond(conversation: &Conversation, input: Input<'_>, images: &[ImageNote]) -> Turn {
    let mut c = conversation.clone();
    let shared_a_secret = matches!(input, Input::Text { raw, masked }
        if masked.matches(SECRET).count() > raw.matches(SECRET).count());
    if let Input::Text { raw, .. } = input
        && let Some(locale) = intents::detect_locale(raw)
    {
        c.locale = locale;
    }
    let said = read(input, c.state);
    let mut turn = match said {
        Said::Intent(Intent::Restart) => restart(c),
        Said::Intent(Intent::Technician) if c.state == State::TicketCreated => ticket_reminder(c),
        Said::Intent(Intent::Technician) => offer_ticket(c, OfferReason::Asked),
        said => match conversation.state {
            State::AskName => on_name(c, said),
            State::AskProblem | State::Clarify => on_problem(c, said),
            State::Steps => on_steps(c, said),
            State::OfferTicket => on_offer(c, said),
            State::Solved | State::TicketCreated => on_closed(c, said),
        },
    };
    // A ticket reply is written after the ticket exists; its notes wait for the next turn.
    if turn.action == Action::None {
        note_images(&mut turn, images);
    }
    if shared_a_secret {
        turn.reply.text.push_str("\n\n");
        turn.reply.text.push_str(replies::never_share_secrets(turn.conversation.locale));
    }
    turn
}

const SECRET: &str = "[SECRET]";

fn reply(c: Conversation, text: String, options: Vec<QuickReply>) -> Turn {
    Turn { conversation: c, reply: Reply { text, options }, action: Action::None }
}

fn on_name(mut c: Conversation, said: Said<'_>) -> Turn {
    let (raw, masked) = match said {
        Said::SkipName => return ask_problem(c),
        Said::Category(category) => return start_steps(c, category),
        Said::Text { raw, masked } => (raw, masked),
        // "sí", "no" and other fixed replies are not names.
        Said::Intent(_) | Said::Other | Said::Ticket | Said::NoTicket => ("", ""),
    };
    match parse_name(raw) {
        NameAnswer::Name { name, rest } => {
            c.name = Some(name);
            if !rest.is_empty() && names_a_problem(&rest) {
                return on_problem_text(c, &rest, masked);
            }
            ask_problem(c)
        }
        NameAnswer::Declined => ask_problem(c),
        // An address where a name was asked is not an e-mail problem: only what else the
        // message says can be one ("ana@gmail.com no me llegan los correos").
        NameAnswer::Rejected(RejectReason::Email) if names_a_problem(&without_addresses(masked)) => {
            let rest = without_addresses(masked);
            on_problem_text(c, &rest, masked)
        }
        NameAnswer::Rejected(reason) if reason != RejectReason::Email && names_a_problem(raw) => {
            on_problem_text(c, raw, masked)
        }
        NameAnswer::Rejected(reason) => {
            c.name_attempts += 1;
            if c.name_attempts >= MAX_NAME_ATTEMPTS {
                return ask_problem(c);
            }
            let locale = c.locale;
            reply(c, replies::name_rejected(locale, reason), vec![replies::decline_name_option(locale)])
        }
    }
}

/// The masked text without its e-mail placeholders.
fn without_addresses(masked: &str) -> String {
    masked.replace(crate::pii::PiiKind::Email.placeholder(), " ").split_whitespace().collect::<Vec<_>>().join(" ")
}

fn ask_problem(mut c: Conversation) -> Turn {
    c.state = State::AskProblem;
    let text = replies::ask_problem(c.locale, c.name.as_deref());
    let options = replies::problem_shortcuts(c.locale);
    reply(c, text, options)
}

fn on_problem(c: Conversation, said: Said<'_>) -> Turn {
    match said {
        Said::Category(category) => start_steps(c, category),
        Said::Text { raw, masked } => on_problem_text(c, raw, masked),
        Said::Other => {
            let mut c = c;
            c.state = State::AskProblem;
            let text = replies::describe_freely(c.locale);
            reply(c, text, Vec::new())
        }
        // "sí"/"no" without a problem on the table: ask what it is about.
        Said::Intent(_) | Said::SkipName | Said::Ticket | Said::NoTicket => clarify(c, &[]),
    }
}

fn remember_problem(c: &mut Conversation, masked: &str) {
    let masked = masked.trim();
    if masked.is_empty() {
        return;
    }
    let combined = match c.problem.take() {
        Some(before) if !before.contains(masked) => format!("{before} / {masked}"),
        Some(before) => before,
        None => masked.to_owned(),
    };
    c.problem = Some(combined.chars().take(MAX_PROBLEM_CHARS).collect());
}

fn on_problem_text(mut c: Conversation, raw: &str, masked: &str) -> Turn {
    remember_problem(&mut c, masked);
    match classify(raw) {
        Classification::Category(id) => match kb::category(id) {
            Some(category) => start_steps(c, category),
            None => start_steps(c, &GENERAL),
        },
        Classification::Ambiguous(ids) => clarify(c, &ids),
        // A second vague answer gets the general steps rather than another question.
        Classification::Vague if c.state != State::Clarify => clarify(c, &[]),
        Classification::Vague | Classification::Unknown => start_steps(c, &GENERAL),
    }
}

/// What a vague first message is asked about: the devices people bring most.
const VAGUE_CHOICES: &[&str] = &["power", "slow", "internet", "printer", "input", "phone"];

fn clarify(mut c: Conversation, candidates: &[&str]) -> Turn {
    c.state = State::Clarify;
    let locale = c.locale;
    let ambiguous = !candidates.is_empty();
    let mut options: Vec<QuickReply> = if ambiguous {
        candidates.iter().filter_map(|id| kb::category(id)).map(|cat| replies::category_option(locale, cat)).collect()
    } else {
        kb::categories()
            .filter(|cat| VAGUE_CHOICES.contains(&cat.id))
            .map(|cat| replies::category_option(locale, cat))
            .collect()
    };
    options.push(replies::other_option(locale));
    let text = replies::clarify(locale, c.name.as_deref(), ambiguous);
    reply(c, text, options)
}

fn start_steps(mut c: Conversation, category: &'static Category) -> Turn {
    c.category = Some(category.id.to_owned());
    show_steps(c, category, 1)
}

/// Attempts a case remembers (and a ticket reports).
pub const MAX_ATTEMPTS: usize = 8;

fn show_steps(mut c: Conversation, category: &'static Category, round: u8) -> Turn {
    let locale = c.locale;
    let steps: Vec<Cow<'static, str>> = category.steps(locale, round).iter().map(|s| Cow::Borrowed(*s)).collect();
    c.state = State::Steps;
    c.round = round;
    let text = replies::steps(locale, category, round, &steps);
    // A case keeps its latest attempts only: it lives in the session item, which must stay small.
    if c.attempts.len() >= MAX_ATTEMPTS {
        c.attempts.remove(0);
    }
    c.attempts.push(Attempt { category: category.id.to_owned(), round, steps, outcome: Outcome::Pending });
    reply(c, text, replies::solved_options(locale))
}

fn close_attempt(c: &mut Conversation, outcome: Outcome) {
    if let Some(last) = c.attempts.last_mut()
        && last.outcome == Outcome::Pending
    {
        last.outcome = outcome;
    }
}

fn current_category(c: &Conversation) -> &'static Category {
    c.category.as_deref().and_then(kb::category).unwrap_or(&GENERAL)
}

fn on_steps(mut c: Conversation, said: Said<'_>) -> Turn {
    match said {
        Said::Intent(Intent::Yes) => {
            close_attempt(&mut c, Outcome::Solved);
            c.state = State::Solved;
            let locale = c.locale;
            let text = replies::solved(locale, c.name.as_deref());
            reply(c, text, vec![replies::another_problem_option(locale)])
        }
        Said::Intent(Intent::No) => {
            close_attempt(&mut c, Outcome::NotSolved);
            let category = current_category(&c);
            if c.round < 2 && category.id != GENERAL.id {
                show_steps(c, category, 2)
            } else {
                offer_ticket(c, OfferReason::StepsFailed)
            }
        }
        Said::Ticket => {
            close_attempt(&mut c, Outcome::Escalated);
            open_ticket(c)
        }
        Said::Category(category) => {
            close_attempt(&mut c, Outcome::NotSolved);
            start_steps(c, category)
        }
        Said::Text { raw, masked } => match classify(raw) {
            Classification::Category(id) if Some(id) != c.category.as_deref() => {
                close_attempt(&mut c, Outcome::NotSolved);
                remember_problem(&mut c, masked);
                start_steps(c, kb::category(id).unwrap_or(&GENERAL))
            }
            _ => steps_reask(c),
        },
        Said::Intent(_) | Said::SkipName | Said::Other | Said::NoTicket => steps_reask(c),
    }
}

fn steps_reask(c: Conversation) -> Turn {
    let locale = c.locale;
    reply(c, replies::steps_reask(locale), replies::solved_options(locale))
}

fn offer_ticket(mut c: Conversation, reason: OfferReason) -> Turn {
    if reason == OfferReason::Asked {
        close_attempt(&mut c, Outcome::Escalated);
    }
    let reason = if reason == OfferReason::StepsFailed && current_category(&c).id == GENERAL.id {
        OfferReason::Unknown
    } else {
        reason
    };
    c.state = State::OfferTicket;
    let locale = c.locale;
    let text = replies::offer_ticket(locale, c.name.as_deref(), reason);
    reply(c, text, replies::ticket_options(locale))
}

fn open_ticket(mut c: Conversation) -> Turn {
    c.state = State::OfferTicket;
    Turn { conversation: c, reply: Reply { text: String::new(), options: Vec::new() }, action: Action::OpenTicket }
}

fn on_offer(c: Conversation, said: Said<'_>) -> Turn {
    let locale = c.locale;
    match said {
        Said::Intent(Intent::Yes) | Said::Ticket => open_ticket(c),
        Said::Intent(Intent::No) | Said::NoTicket => {
            reply(c, replies::ticket_declined(locale), replies::after_decline_options(locale))
        }
        Said::Category(category) => start_steps(c, category),
        Said::Text { raw, masked } if names_a_problem(raw) => on_problem_text(c, raw, masked),
        _ => reply(c, replies::offer_reask(locale), replies::ticket_options(locale)),
    }
}

fn on_closed(c: Conversation, said: Said<'_>) -> Turn {
    match said {
        Said::Text { raw, masked } if names_a_problem(raw) => on_problem_text(new_case(c), raw, masked),
        Said::Category(category) => start_steps(new_case(c), category),
        Said::Other => on_problem(new_case(c), Said::Other),
        _ if c.state == State::TicketCreated => ticket_reminder(c),
        _ => {
            let locale = c.locale;
            reply(c, replies::anything_else(locale), vec![replies::another_problem_option(locale)])
        }
    }
}

fn ticket_reminder(c: Conversation) -> Turn {
    let locale = c.locale;
    let id = c.ticket_id.clone().unwrap_or_default();
    reply(c, replies::ticket_reminder(locale, &id), vec![replies::another_problem_option(locale)])
}

fn new_case(mut c: Conversation) -> Conversation {
    c.case_no += 1;
    c.category = None;
    c.round = 0;
    c.problem = None;
    c.attempts.clear();
    c.ticket_id = None;
    c.state = State::AskProblem;
    c
}

fn restart(c: Conversation) -> Turn {
    let c = new_case(c);
    let locale = c.locale;
    let text = replies::restarted(locale, c.name.as_deref());
    reply(c, text, replies::problem_shortcuts(locale))
}

/// The steps a turn just showed, when it showed some: (category title, round, steps
/// tried before in this case), for asking a model for better ones.
pub fn steps_request(before: &Conversation, turn: &Turn) -> Option<(&'static str, u8, Vec<String>)> {
    let shown = turn.conversation.attempts.len() > before.attempts.len() || turn.conversation.case_no != before.case_no;
    let last = turn.conversation.attempts.last().filter(|_| shown && turn.conversation.state == State::Steps)?;
    // A guide is written with care the model may not take (the remote-assistance code goes
    // to our technician only; apps from official stores only): it is shown as it is.
    let category = kb::category(&last.category).filter(|c| c.kind == kb::Kind::Fault)?;
    let tried = turn.conversation.attempts[..turn.conversation.attempts.len() - 1]
        .iter()
        .flat_map(|a| a.steps.iter().map(|s| s.to_string()))
        .collect();
    Some((category.title(turn.conversation.locale), last.round, tried))
}

/// Puts `steps` in place of the knowledge-base steps this turn showed.
pub fn replace_steps(turn: &mut Turn, steps: Vec<String>) {
    let locale = turn.conversation.locale;
    let Some(last) = turn.conversation.attempts.last_mut() else {
        return;
    };
    let Some(category) = kb::category(&last.category) else {
        return;
    };
    let before = replies::steps(locale, category, last.round, &last.steps);
    let after = replies::steps(locale, category, last.round, &steps);
    turn.reply.text = turn.reply.text.replace(&before, &after);
    last.steps = steps.into_iter().map(Cow::Owned).collect();
}

/// The reply once the handler opened (or found) the ticket of this case.
pub fn ticket_opened(conversation: &Conversation, ticket_id: &str) -> (Conversation, Reply) {
    let mut c = conversation.clone();
    close_attempt(&mut c, Outcome::Escalated);
    c.state = State::TicketCreated;
    c.ticket_id = Some(ticket_id.to_owned());
    let locale = c.locale;
    let reply = Reply {
        text: replies::ticket_opened(locale, c.name.as_deref(), ticket_id),
        options: vec![replies::another_problem_option(locale)],
    };
    (c, reply)
}

/// The reply when no more tickets may be opened for now.
pub fn ticket_unavailable(conversation: &Conversation) -> (Conversation, Reply) {
    let mut c = conversation.clone();
    c.state = State::OfferTicket;
    let locale = c.locale;
    let reply =
        Reply { text: replies::ticket_unavailable(locale), options: vec![replies::another_problem_option(locale)] };
    (c, reply)
}

fn note_images(turn: &mut Turn, images: &[ImageNote]) {
    let locale = turn.conversation.locale;
    let notes: Vec<String> = images
        .iter()
        .filter(|img| !turn.conversation.noted_uploads.contains(&img.upload_id))
        .map(|img| replies::image_note(locale, img.hint, img.width, img.height, img.description.as_deref()))
        .collect();
    if notes.is_empty() {
        return;
    }
    for img in images {
        if !turn.conversation.noted_uploads.contains(&img.upload_id) {
            turn.conversation.noted_uploads.push(img.upload_id.clone());
        }
    }
    let notes = notes.join("\n");
    turn.reply.text = if turn.reply.text.is_empty() { notes } else { format!("{notes}\n\n{}", turn.reply.text) };
}
