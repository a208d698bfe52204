//! Short answers with a fixed meaning: yes, no, "I want a technician", "start over",
//! and a best guess at the language the visitor writes in.

use super::Locale;
use crate::text::words;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    Yes,
    No,
    Technician,
    Restart,
}

// The phrases below are written folded (lowercase, no accents: a test checks it), so they
// are compared with the visitor's folded words as they are, word by word, without
// copying or splitting them into a list on every message.

fn starts_with_phrase(tokens: &[String], phrase: &str) -> bool {
    let mut tokens = tokens.iter();
    phrase.split(' ').all(|p| tokens.next().is_some_and(|t| t == p))
}

fn contains_phrase(tokens: &[String], phrase: &str) -> bool {
    let (first, rest) = phrase.split_once(' ').unwrap_or((phrase, ""));
    // The rest of the phrase is read only where its first word is found.
    tokens
        .iter()
        .enumerate()
        .any(|(i, t)| t == first && (rest.is_empty() || starts_with_phrase(&tokens[i + 1..], rest)))
}

const RESTART: &[&str] = &[
    "empezar de nuevo",
    "empezar de cero",
    "volver a empezar",
    "reiniciar chat",
    "reiniciar el chat",
    "reiniciar conversacion",
    "nueva consulta",
    "otra consulta",
    "otro problema",
    "tengo otro problema",
    "nuevo problema",
    "start over",
    "restart",
    "new problem",
    "another problem",
    "reset",
    "reiniciar",
    "menu",
    "inicio",
];

const TECHNICIAN_WORDS: &[&str] = &[
    "tecnico",
    "tecnica",
    "tecnicos",
    "humano",
    "humana",
    "persona",
    "operador",
    "operadora",
    "agente",
    "whatsapp",
    "wsp",
    "wpp",
    "technician",
    "human",
    "agent",
    "person",
    "someone",
    "alguien",
    "representante",
    "soporte",
];

const TECHNICIAN_PHRASES: &[&str] = &[
    "hablar con",
    "quiero un",
    "quiero una",
    "necesito un",
    "necesito una",
    "pasame con",
    "pasame a",
    "comunicarme con",
    "talk to",
    "speak to",
    "speak with",
    "talk with",
    "real person",
    "por whatsapp",
    "quiero hablar",
    "contactar",
];

/// Technician words that are also apps a visitor may have trouble with.
const CHANNELS: &[&str] = &["whatsapp", "wsp", "wpp"];

/// Ways of saying an app misbehaves.
const APP_TROUBLE: &[&str] = &[
    "no abre",
    "no anda",
    "no funciona",
    "no me deja",
    "no carga",
    "no llegan",
    "no me llegan",
    "no envia",
    "no manda",
    "se cierra",
    "se cerro",
    "se traba",
    "doesn't",
    "won't",
    "not working",
    "keeps",
];

fn says_app_trouble(tokens: &[String]) -> bool {
    APP_TROUBLE.iter().any(|p| contains_phrase(tokens, p))
}

const YES_START: &[&str] = &[
    "si",
    "sii",
    "sip",
    "yes",
    "yep",
    "yeah",
    "dale",
    "listo",
    "perfecto",
    "genial",
    "joya",
    "barbaro",
    "ya anda",
    "ya funciona",
    "funciono",
    "anduvo",
    "solucionado",
    "resuelto",
    "arreglado",
    "claro",
    "obvio",
    "por supuesto",
    "sure",
    "it works",
    "fixed",
    "solved",
    "crear",
    "crealo",
    "hacelo",
];

const YES_ANYWHERE: &[&str] = &[
    "se soluciono",
    "se arreglo",
    "ya anda",
    "ya funciona",
    "funciono",
    "anduvo",
    "it works",
    "it worked",
    "that worked",
    "problem solved",
];

const NO_START: &[&str] = &[
    "no",
    "nop",
    "nope",
    "nah",
    "negativo",
    "para nada",
    "tampoco",
    "todavia no",
    "aun no",
    "sigue igual",
    "sigo igual",
    "igual",
    "nada",
    "not",
];

const NO_ANYWHERE: &[&str] = &[
    "sigue igual",
    "sigo igual",
    "sigue sin",
    "sigue fallando",
    "no funciono",
    "no se soluciono",
    "no anduvo",
    "no se arreglo",
    "still",
    "not fixed",
    "didn't work",
    "didnt work",
    "doesn't work",
];

/// What a short reply means, if it means one of the fixed intents.
pub fn detect(text: &str) -> Option<Intent> {
    let tokens = words(text);
    if tokens.is_empty() {
        return None;
    }
    let short = tokens.len() <= 4;
    if short && RESTART.iter().any(|p| starts_with_phrase(&tokens, p) && p.split(' ').count() + 1 >= tokens.len()) {
        return Some(Intent::Restart);
    }
    let person_word = tokens.iter().find(|t| TECHNICIAN_WORDS.contains(&t.as_str()));
    if let Some(word) = person_word {
        let asks_by_phrase = TECHNICIAN_PHRASES.iter().any(|p| contains_phrase(&tokens, p));
        // "whatsapp no abre" is the app's trouble, not a wish to go on by WhatsApp.
        let other_person_word =
            tokens.iter().any(|t| TECHNICIAN_WORDS.contains(&t.as_str()) && !CHANNELS.contains(&t.as_str()));
        let channel_only = CHANNELS.contains(&word.as_str()) && !other_person_word;
        let wants_person = !channel_only || asks_by_phrase || !says_app_trouble(&tokens);
        if wants_person && (tokens.len() <= 6 || asks_by_phrase) {
            return Some(Intent::Technician);
        }
    }
    if NO_ANYWHERE.iter().any(|p| contains_phrase(&tokens, p)) {
        return Some(Intent::No);
    }
    if YES_ANYWHERE.iter().any(|p| contains_phrase(&tokens, p)) {
        return Some(Intent::Yes);
    }
    if tokens.len() <= 8 {
        if NO_START.iter().any(|p| starts_with_phrase(&tokens, p)) {
            return Some(Intent::No);
        }
        if YES_START.iter().any(|p| starts_with_phrase(&tokens, p)) {
            return Some(Intent::Yes);
        }
    }
    None
}

const EN_WORDS: &[&str] = &[
    "the", "my", "is", "it", "i", "i'm", "im", "doesn't", "don't", "won't", "can't", "cant", "not", "hello", "hi",
    "please", "with", "and", "to", "computer", "laptop", "this", "what", "how", "help", "working", "work", "name",
    "yes", "thanks", "screen", "printer", "when", "have", "has", "keeps",
];

const ES_WORDS: &[&str] = &[
    "el",
    "la",
    "los",
    "las",
    "mi",
    "es",
    "de",
    "que",
    "y",
    "se",
    "me",
    "anda",
    "tengo",
    "hola",
    "por",
    "con",
    "una",
    "un",
    "compu",
    "computadora",
    "funciona",
    "llamo",
    "soy",
    "nombre",
    "gracias",
    "pantalla",
    "impresora",
    "cuando",
    "tiene",
    "sigue",
    "esta",
    "como",
    "para",
    "sin",
];

/// The language `text` is written in, when it is clear enough to switch to it.
pub fn detect_locale(text: &str) -> Option<Locale> {
    let tokens = words(text);
    let en = tokens.iter().filter(|t| EN_WORDS.contains(&t.as_str())).count();
    let es = tokens.iter().filter(|t| ES_WORDS.contains(&t.as_str())).count();
    if en >= 2 && en > es * 2 {
        Some(Locale::En)
    } else if es >= 2 && es > en * 2 {
        Some(Locale::Es)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phrase_is_written_as_the_words_it_is_compared_with() {
        let lists = [
            RESTART,
            TECHNICIAN_WORDS,
            TECHNICIAN_PHRASES,
            YES_START,
            YES_ANYWHERE,
            NO_START,
            NO_ANYWHERE,
            EN_WORDS,
            ES_WORDS,
            CHANNELS,
            APP_TROUBLE,
        ];
        for phrase in lists.iter().flat_map(|list| list.iter()) {
            assert_eq!(words(phrase).join(" "), *phrase, "write {phrase:?} folded, one space between words");
        }
    }

    #[test]
    fn phrases_match_whole_words_in_order() {
        let tokens = words("no, sigo igual que antes");
        assert!(starts_with_phrase(&tokens, "no"));
        assert!(starts_with_phrase(&tokens, "no sigo igual"));
        assert!(!starts_with_phrase(&tokens, "sigo igual"));
        assert!(!starts_with_phrase(&tokens[..1], "no sigo"));
        assert!(contains_phrase(&tokens, "sigo igual"));
        assert!(contains_phrase(&tokens, "antes"));
        assert!(!contains_phrase(&tokens, "igual sigo"));
        assert!(!contains_phrase(&tokens, "que antes despues"));
        assert!(!contains_phrase(&tokens, "sig"));
    }

    #[test]
    fn reads_fixed_intents() {
        let cases = [
            ("sí", Some(Intent::Yes)),
            ("Si, ya anda!", Some(Intent::Yes)),
            ("funcionó, gracias", Some(Intent::Yes)),
            ("dale", Some(Intent::Yes)),
            ("yes it works", Some(Intent::Yes)),
            ("no", Some(Intent::No)),
            ("No, sigo igual", Some(Intent::No)),
            ("sigue igual que antes", Some(Intent::No)),
            ("no se solucionó", Some(Intent::No)),
            ("todavía no", Some(Intent::No)),
            ("still broken", Some(Intent::No)),
            ("quiero hablar con un técnico", Some(Intent::Technician)),
            ("humano", Some(Intent::Technician)),
            ("pasame con alguien por whatsapp", Some(Intent::Technician)),
            ("talk to a human please", Some(Intent::Technician)),
            ("empezar de nuevo", Some(Intent::Restart)),
            ("reiniciar", Some(Intent::Restart)),
            ("start over", Some(Intent::Restart)),
            ("ya probé reiniciar la compu y nada", None),
            ("mi whatsapp no me deja mandar fotos desde la computadora del trabajo", None),
            ("whatsapp no abre", None),
            ("el wsp no anda", None),
            ("por whatsapp", Some(Intent::Technician)),
            ("prefiero seguir por whatsapp, no anda nada", Some(Intent::Technician)),
            ("la impresora hace ruido", None),
        ];
        for (text, expected) in cases {
            assert_eq!(detect(text), expected, "text {text:?}");
        }
    }

    #[test]
    fn guesses_the_language_only_when_clear() {
        assert_eq!(detect_locale("my computer doesn't turn on"), Some(Locale::En));
        assert_eq!(detect_locale("hi, I'm Ann"), Some(Locale::En));
        assert_eq!(detect_locale("la compu no anda"), Some(Locale::Es));
        assert_eq!(detect_locale("ok"), None);
        assert_eq!(detect_locale("Ana"), None);
    }
}
