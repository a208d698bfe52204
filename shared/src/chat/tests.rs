use super::*;
use crate::images::ImageHint;

const TERMS: PrivacyTerms = PrivacyTerms { session_hours: 48, upload_days: 30, ticket_days: 90, backup_days: None };

/// Drives a conversation with plain text turns; each text is masked with `mask_pii`
/// exactly as the handler does.
struct Script {
    c: Conversation,
    last: Reply,
    action: Action,
}

impl Script {
    fn start(locale: Locale) -> Script {
        let (c, last) = greet(locale, TERMS);
        Script { c, last, action: Action::None }
    }

    fn say(&mut self, text: &str) -> &mut Script {
        let masked = crate::pii::mask_pii(text);
        self.apply(Input::Text { raw: text, masked: &masked }, &[])
    }

    fn tap(&mut self, value: &str) -> &mut Script {
        assert!(is_known_button(value), "unknown button {value}");
        self.apply(Input::Button(value), &[])
    }

    fn apply(&mut self, input: Input<'_>, images: &[ImageNote]) -> &mut Script {
        let turn = respond(&self.c, input, images);
        self.c = turn.conversation;
        self.last = turn.reply;
        self.action = turn.action;
        self
    }

    fn state(&self) -> State {
        self.c.state
    }

    fn has_option(&self, value: &str) -> bool {
        self.last.options.iter().any(|o| o.value == value)
    }
}

#[test]
fn greeting_asks_the_name_and_explains_privacy() {
    let s = Script::start(Locale::Es);
    assert_eq!(s.state(), State::AskName);
    assert!(s.last.text.contains("¿Cómo te llamás?"));
    assert!(s.last.text.contains("48 horas") && s.last.text.contains("30 días") && s.last.text.contains("90 días"));
    assert!(s.last.text.contains("descargar o borrar"));
    let en = Script::start(Locale::En);
    assert!(en.last.text.contains("What's your name?") && en.last.text.contains("erase"));
}

#[test]
fn full_flow_to_a_ticket() {
    let mut s = Script::start(Locale::Es);
    s.say("me llamo ana");
    assert_eq!(s.state(), State::AskProblem);
    assert_eq!(s.c.name.as_deref(), Some("Ana"));
    assert!(s.last.text.contains("Ana"));

    s.say("la impresora no imprime, mi mail es ana@example.com");
    assert_eq!(s.state(), State::Steps);
    assert_eq!(s.c.category.as_deref(), Some("printer"));
    assert!(s.last.text.contains("1. ") && s.last.text.contains("¿Se solucionó?"));
    assert!(s.has_option("yes") && s.has_option("no") && s.has_option("tech"));
    assert_eq!(s.c.problem.as_deref(), Some("la impresora no imprime, mi mail es [EMAIL]"));

    s.say("No, sigo igual");
    assert_eq!(s.state(), State::Steps);
    assert_eq!(s.c.round, 2);
    assert!(s.last.text.contains("otros pasos"));

    s.tap("no");
    assert_eq!(s.state(), State::OfferTicket);
    assert!(s.has_option("ticket"));

    s.say("sí");
    assert_eq!(s.action, Action::OpenTicket);
    let (c, reply) = ticket_opened(&s.c, "STI-20261122-ABC123");
    assert_eq!(c.state, State::TicketCreated);
    assert!(reply.text.contains("STI-20261122-ABC123"));
    // The card beside the message is the link: no URL spills into the text.
    assert!(!reply.text.contains("http") && reply.text.chars().count() < 200, "{}", reply.text);
    let outcomes: Vec<Outcome> = c.attempts.iter().map(|a| a.outcome).collect();
    assert_eq!(outcomes, vec![Outcome::NotSolved, Outcome::NotSolved]);
    assert_eq!(c.attempts[0].steps.len(), kb::category("printer").map(|k| k.steps_es.len()).unwrap_or(0));
}

#[test]
fn solved_after_first_steps() {
    let mut s = Script::start(Locale::Es);
    s.say("soy Juan Pablo").say("no tengo internet").say("sí, ya anda!");
    assert_eq!(s.state(), State::Solved);
    assert_eq!(s.c.attempts[0].outcome, Outcome::Solved);
    assert!(s.last.text.contains("Juan Pablo"));
    assert!(s.has_option("restart"));
}

#[test]
fn technician_escape_works_from_any_state() {
    // How to reach each state, and that state.
    let setups: &[(&[&str], State)] = &[
        (&[], State::AskName),
        (&["Ana"], State::AskProblem),
        (&["Ana", "no anda"], State::Clarify),
        (&["Ana", "la pc está lenta"], State::Steps),
        (&["Ana", "la pc está lenta", "sí"], State::Solved),
        (&["Ana", "la pc está lenta", "no", "no"], State::OfferTicket),
    ];
    for (setup, reached) in setups {
        let mut s = Script::start(Locale::Es);
        for text in *setup {
            s.say(text);
        }
        assert_eq!(s.state(), *reached, "setup {setup:?}");
        s.say("quiero hablar con un técnico");
        assert_eq!(s.state(), State::OfferTicket, "from {reached:?}");
        s.tap("ticket");
        assert_eq!(s.action, Action::OpenTicket, "from {reached:?}");
    }
    // With a ticket already open, asking again points to it instead of opening another.
    let mut s = Script::start(Locale::Es);
    s.say("Ana").say("quiero hablar con un técnico").tap("ticket");
    let (c, _) = ticket_opened(&s.c, "STI-20260101-ABCDEF");
    s.c = c;
    assert_eq!(s.state(), State::TicketCreated);
    s.say("quiero hablar con un técnico");
    assert_ne!(s.action, Action::OpenTicket, "no second ticket for the same case");
    assert!(s.last.text.contains("STI-20260101-ABCDEF"), "{}", s.last.text);
}

#[test]
fn restart_keeps_the_name_and_opens_a_new_case() {
    let mut s = Script::start(Locale::Es);
    s.say("Ana").say("no prende la compu").say("empezar de nuevo");
    assert_eq!(s.state(), State::AskProblem);
    assert_eq!(s.c.name.as_deref(), Some("Ana"));
    assert_eq!(s.c.case_no, 2);
    assert!(s.c.attempts.is_empty() && s.c.category.is_none());
}

#[test]
fn two_failed_names_continue_without_one() {
    let mut s = Script::start(Locale::Es);
    s.say("12345");
    assert_eq!(s.state(), State::AskName);
    assert!(s.has_option("skip_name"));
    s.say("jajaja");
    assert_eq!(s.state(), State::AskProblem);
    assert_eq!(s.c.name, None);
}

#[test]
fn declining_the_name_moves_on() {
    let mut s = Script::start(Locale::Es);
    s.tap("skip_name");
    assert_eq!(s.state(), State::AskProblem);
    let mut s = Script::start(Locale::Es);
    s.say("prefiero no decirlo");
    assert_eq!(s.state(), State::AskProblem);
}

#[test]
fn a_problem_instead_of_a_name_goes_straight_to_steps() {
    let mut s = Script::start(Locale::Es);
    s.say("hola, mi impresora no imprime nada");
    assert_eq!(s.state(), State::Steps);
    assert_eq!(s.c.category.as_deref(), Some("printer"));
    let mut s = Script::start(Locale::Es);
    s.say("soy Ana, no me anda el wifi");
    assert_eq!(s.c.name.as_deref(), Some("Ana"));
    assert_eq!(s.c.category.as_deref(), Some("internet"));
}

#[test]
fn vague_problems_get_one_clarifying_question() {
    let mut s = Script::start(Locale::Es);
    s.say("Ana").say("no anda");
    assert_eq!(s.state(), State::Clarify);
    assert!(s.has_option("cat:power") && s.has_option("other"));
    s.tap("cat:printer");
    assert_eq!(s.state(), State::Steps);
    assert_eq!(s.c.category.as_deref(), Some("printer"));

    let mut s = Script::start(Locale::Es);
    s.say("Ana").say("no anda").say("tengo un problema");
    assert_eq!(s.state(), State::Steps, "second vague answer gets general steps");
    assert_eq!(s.c.category.as_deref(), Some("general"));
}

#[test]
fn unknown_problems_get_general_steps_and_a_ticket_offer() {
    let mut s = Script::start(Locale::Es);
    s.say("Ana").say("necesito que me presupuesten el mantenimiento anual de las cámaras de seguridad");
    assert_eq!(s.state(), State::Steps);
    assert_eq!(s.c.category.as_deref(), Some("general"));
    assert!(s.last.text.contains("técnico"));
    s.tap("no");
    assert_eq!(s.state(), State::OfferTicket, "general steps have no second round");
}

#[test]
fn english_visitors_get_english() {
    let mut s = Script::start(Locale::Es);
    s.say("Hi, I'm Ann");
    assert_eq!(s.c.locale, Locale::En);
    assert_eq!(s.c.name.as_deref(), Some("Ann"));
    s.say("my printer is not printing");
    assert!(s.last.text.contains("Did that fix it?"), "{}", s.last.text);
    s.tap("no");
    assert!(s.last.text.contains("other steps"));
}

#[test]
fn steps_state_understands_a_new_problem_and_reasks_otherwise() {
    let mut s = Script::start(Locale::Es);
    s.say("Ana").say("la pc está lenta").say("ok");
    assert_eq!(s.state(), State::Steps);
    assert!(s.last.text.contains("¿Pudiste probar"));
    s.say("ahora tampoco tengo sonido en los parlantes");
    assert_eq!(s.c.category.as_deref(), Some("sound"));
    assert_eq!(s.c.attempts[0].outcome, Outcome::NotSolved);
}

#[test]
fn after_a_ticket_a_new_problem_starts_a_new_case() {
    let mut s = Script::start(Locale::Es);
    s.say("Ana").say("no tengo internet").say("técnico").tap("ticket");
    let (c, _) = ticket_opened(&s.c, "STI-20261122-AAAAAA");
    s.c = c;
    s.say("gracias");
    assert_eq!(s.state(), State::TicketCreated);
    assert!(s.last.text.contains("STI-20261122-AAAAAA"));
    s.say("ahora el mouse no funciona");
    assert_eq!(s.state(), State::Steps);
    assert_eq!(s.c.case_no, 2);
    assert_eq!(s.c.ticket_id, None);
}

#[test]
fn declined_ticket_can_be_taken_later() {
    let mut s = Script::start(Locale::Es);
    s.say("Ana").say("técnico").tap("no_ticket");
    assert_eq!(s.state(), State::OfferTicket);
    assert!(s.has_option("ticket"));
    s.tap("ticket");
    assert_eq!(s.action, Action::OpenTicket);
}

#[test]
fn image_notes_are_mentioned_once() {
    let s = Script::start(Locale::Es);
    let images = [ImageNote {
        upload_id: "upl-1".into(),
        hint: Some(ImageHint::TooDark),
        width: 640,
        height: 480,
        description: None,
    }];
    let turn = respond(&s.c, Input::Text { raw: "Ana", masked: "Ana" }, &images);
    assert!(turn.reply.text.starts_with("📷"));
    assert!(turn.reply.text.contains("muy oscura"));
    assert_eq!(turn.conversation.noted_uploads, vec!["upl-1".to_owned()]);
    let again = respond(&turn.conversation, Input::Text { raw: "no prende", masked: "no prende" }, &images);
    assert!(!again.reply.text.contains("📷"));
}

#[test]
fn ticket_quota_reply_keeps_the_offer_open() {
    let mut s = Script::start(Locale::Es);
    s.say("Ana").say("técnico");
    let (c, reply) = ticket_unavailable(&s.c);
    assert_eq!(c.state, State::OfferTicket);
    assert!(reply.text.contains("última hora"));
}

#[test]
fn buttons_are_validated() {
    for ok in ["yes", "no", "tech", "restart", "skip_name", "other", "ticket", "no_ticket", "cat:printer"] {
        assert!(is_known_button(ok), "{ok}");
    }
    for bad in ["", "cat:", "cat:nope", "YES", "drop table"] {
        assert!(!is_known_button(bad), "{bad}");
    }
}

#[test]
fn every_category_has_valid_step_sets() {
    for category in kb::categories().chain(std::iter::once(&kb::GENERAL)) {
        for (label, steps) in [
            ("steps_es", category.steps_es),
            ("more_es", category.more_es),
            ("steps_en", category.steps_en),
            ("more_en", category.more_en),
        ] {
            assert!((3..=6).contains(&steps.len()), "{} {label} has {} steps", category.id, steps.len());
        }
        assert_eq!(category.steps_es.len(), category.steps_en.len(), "{} translations", category.id);
        assert_eq!(category.more_es.len(), category.more_en.len(), "{} translations", category.id);
    }
    assert!(kb::categories().count() >= 14);
}

#[test]
fn conversation_round_trips_through_json() {
    let mut s = Script::start(Locale::Es);
    s.say("Ana").say("pantalla azul");
    let json = serde_json::to_string(&s.c).unwrap_or_default();
    let back: Conversation = serde_json::from_str(&json).unwrap_or_else(|_| Conversation::new(Locale::En));
    assert_eq!(back, s.c);
    assert!(json.contains("\"state\":\"steps\""));
}

#[test]
fn model_steps_replace_the_knowledge_base_ones() {
    let mut s = Script::start(Locale::Es);
    s.say("Ana");
    let before = s.c.clone();
    let masked = "no tengo internet";
    let mut turn = respond(&before, Input::Text { raw: masked, masked }, &[]);
    let (title, round, tried) = steps_request(&before, &turn).unwrap_or_else(|| panic!("steps were shown"));
    assert_eq!((title, round, tried.len()), ("no tenés internet o Wi-Fi", 1, 0));
    replace_steps(&mut turn, vec!["Uno".into(), "Dos".into(), "Tres".into()]);
    assert!(turn.reply.text.contains("1. Uno\n2. Dos\n3. Tres"), "{}", turn.reply.text);
    assert!(!turn.reply.text.contains("router"), "no knowledge-base step left");
    assert_eq!(turn.conversation.attempts[0].steps, vec!["Uno", "Dos", "Tres"]);
    // A turn that shows no new steps asks for none.
    let after = respond(&turn.conversation, Input::Text { raw: "ok", masked: "ok" }, &[]);
    assert!(steps_request(&turn.conversation, &after).is_none());
}

#[test]
fn image_notes_say_what_a_vision_model_saw() {
    use crate::chat::replies::image_note;
    let plain = image_note(Locale::Es, None, 800, 600, None);
    assert_eq!(plain, "📷 Recibí tu imagen (800×600); la sumo al ticket si hace falta.");
    let seen = image_note(Locale::Es, None, 800, 600, Some("Una pantalla azul de Windows."));
    assert_eq!(
        seen,
        "📷 Recibí tu imagen (800×600). Veo: Una pantalla azul de Windows. La sumo al ticket si hace falta."
    );
    let hinted = image_note(Locale::En, Some(ImageHint::Blurry), 800, 600, Some("A router"));
    assert!(hinted.starts_with("📷 Got your image. I can see: A router. ") && hinted.contains("blurry"), "{hinted}");
    assert_eq!(image_note(Locale::En, None, 10, 10, Some("  ")), image_note(Locale::En, None, 10, 10, None));
}

#[test]
fn the_privacy_notice_says_what_backups_keep_only_where_there_are_backups() {
    for locale in [Locale::Es, Locale::En] {
        let (_, plain) = greet(locale, TERMS);
        assert!(!plain.text.contains("35"), "{}", plain.text);
        let with_backups = PrivacyTerms { backup_days: Some(35), ..TERMS };
        let (_, notice) = greet(locale, with_backups);
        assert!(notice.text.contains("35"), "{}", notice.text);
        assert!(notice.text.contains("contraseñas") || notice.text.contains("passwords"), "{}", notice.text);
    }
}

#[test]
fn every_button_the_bot_offers_has_its_label_for_the_transcript() {
    use crate::chat::replies::{problem_shortcuts, solved_options, ticket_options};
    for locale in [Locale::Es, Locale::En] {
        for option in solved_options(locale).into_iter().chain(ticket_options(locale)).chain(problem_shortcuts(locale))
        {
            assert!(is_known_button(&option.value), "{}", option.value);
            let label = crate::chat::button_label(locale, &option.value);
            assert_eq!(label.as_deref(), Some(option.text.as_str()), "{}", option.value);
        }
    }
    assert_eq!(crate::chat::button_label(Locale::Es, "no").as_deref(), Some("No"));
    assert_eq!(crate::chat::button_label(Locale::En, "tech").as_deref(), Some("Talk to a technician"));
    assert_eq!(crate::chat::button_label(Locale::Es, "cat:printer").as_deref(), Some("La impresora no imprime"));
    assert_eq!(crate::chat::button_label(Locale::Es, "cat:nope"), None);
    assert_eq!(crate::chat::button_label(Locale::Es, "launch"), None);
}

#[test]
fn steps_open_with_the_problem_as_a_heading_in_both_languages() {
    let printer = kb::category("printer").unwrap_or(&kb::GENERAL);
    let es = crate::chat::replies::steps(Locale::Es, printer, 1, &["Uno"]);
    assert!(es.starts_with("La impresora no imprime: probemos esto.\n\n1. Uno"), "{es}");
    let en = crate::chat::replies::steps(Locale::En, printer, 1, &["One"]);
    assert!(en.starts_with("The printer doesn't print: let's try this.\n\n1. One"), "{en}");
    assert!(!es.contains("para la") && !en.contains("for the"), "no title glued into a sentence");
}

/// "I need help doing something": the guide, step by step, with its own heading and
/// question; "no" brings the second way, then a technician. Never the troubleshooting
/// of a fault, in either language.
#[test]
fn a_request_gets_a_guide_and_its_second_way() {
    let mut s = Script::start(Locale::Es);
    s.say("Ana").say("quiero instalar anydesk para que me ayuden");
    assert_eq!((s.state(), s.c.category.as_deref()), (State::Steps, Some("remote_help")));
    assert!(s.last.text.starts_with("Instalar una app de asistencia remota: te guío paso a paso."), "{}", s.last.text);
    assert!(s.last.text.contains("anydesk.com") && s.last.text.contains("Nunca le des ese número"), "{}", s.last.text);
    assert!(s.last.text.ends_with("¿Pudiste hacerlo?"), "{}", s.last.text);
    s.tap("no");
    assert_eq!((s.state(), s.c.round), (State::Steps, 2));
    assert!(
        s.last.text.starts_with("Probemos de otra forma:") && s.last.text.contains("Asistencia rápida"),
        "{}",
        s.last.text
    );
    s.tap("no");
    assert_eq!(s.state(), State::OfferTicket);

    let mut en = Script::start(Locale::En);
    en.say("Bob").say("how do I change my wifi password?");
    assert_eq!(en.c.category.as_deref(), Some("router_setup"));
    assert!(en.last.text.starts_with("Setting up the router: here's how, step by step."), "{}", en.last.text);
    en.tap("no");
    assert!(
        en.last.text.contains("PPPoE") && en.last.text.contains("technician"),
        "the WAN and the early ticket: {}",
        en.last.text
    );
}

/// Every guide, in both languages, has concrete steps for both rounds, and the remote-help
/// one warns against giving its code to anyone but our technician.
#[test]
fn every_guide_has_two_rounds_in_both_languages() {
    let guides: Vec<_> = kb::categories().filter(|c| c.kind == kb::Kind::Guide).collect();
    assert!(guides.len() >= 7, "{}", guides.len());
    for g in &guides {
        for (locale, round) in [(Locale::Es, 1), (Locale::Es, 2), (Locale::En, 1), (Locale::En, 2)] {
            assert!(g.steps(locale, round).len() >= 3, "{} {locale:?} round {round}", g.id);
        }
    }
    let remote = kb::category("remote_help").unwrap_or(&kb::GENERAL);
    assert!(remote.steps_es.iter().any(|s| s.contains("Nunca")) && remote.steps_en.iter().any(|s| s.contains("Never")));
}

/// Smart mode rewrites troubleshooting steps, never a guide: its warnings stay as written.
#[test]
fn the_model_is_asked_for_fault_steps_only() {
    let named = crate::chat::respond(&Conversation::new(Locale::Es), Input::Button("skip_name"), &[]).conversation;
    let guide = crate::chat::respond(
        &named,
        Input::Text { raw: "quiero instalar anydesk", masked: "quiero instalar anydesk" },
        &[],
    );
    assert_eq!(guide.conversation.category.as_deref(), Some("remote_help"));
    assert_eq!(crate::chat::steps_request(&named, &guide), None);
    let fault = crate::chat::respond(&named, Input::Text { raw: "el mouse no anda", masked: "el mouse no anda" }, &[]);
    assert_eq!(
        crate::chat::steps_request(&named, &fault).map(|(title, round, _)| (title, round)),
        Some(("el teclado o el mouse no andan", 1))
    );
}
