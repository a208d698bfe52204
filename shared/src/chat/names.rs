//! Understanding "how should I call you?": "me llamo Ana", "soy Juan Pablo", "I'm Ann",
//! or just "maría josé", properly capitalised; and telling names from everything else.

use crate::text::{capitalize_first, fold};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameAnswer {
    /// A name, capitalised for display, and whatever followed it ("soy Ana, no me anda
    /// internet" → rest "no me anda internet").
    Name {
        name: String,
        rest: String,
    },
    /// The visitor prefers not to say.
    Declined,
    Rejected(RejectReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectReason {
    Greeting,
    HasDigits,
    Email,
    Rude,
    DontKnow,
    NotAName,
}

const DECLINE: &[&str] = &[
    "prefiero no decirlo",
    "prefiero no decir",
    "prefiero no",
    "no quiero decirlo",
    "no quiero decir",
    "no te lo voy a decir",
    "no importa",
    "anonimo",
    "anonima",
    "sin nombre",
    "paso",
    "prefer not to say",
    "rather not say",
    "i'd rather not",
    "skip",
    "no thanks",
    "anonymous",
    "none of your business",
];

const DONT_KNOW: &[&str] = &["no se", "nose", "ni idea", "no sé", "i don't know", "dunno", "idk"];

const GREETINGS: &[&str] = &[
    "hola",
    "holaa",
    "holis",
    "buenas",
    "buen",
    "buenos",
    "dias",
    "tardes",
    "noches",
    "que",
    "tal",
    "hi",
    "hello",
    "hey",
    "good",
    "morning",
    "afternoon",
    "evening",
    "saludos",
    "como",
    "estas",
    "andas",
    "va",
];

const RUDE: &[&str] = &[
    "boludo", "boluda", "pelotudo", "pelotuda", "idiota", "estupido", "estupida", "imbecil", "forro", "forra",
    "tarado", "tarada", "mierda", "puto", "puta", "carajo", "concha", "culo", "gil", "garca", "choto", "pija", "verga",
    "tonto", "tonta", "inutil", "bot", "robot", "maquina", "fuck", "fucking", "shit", "stupid", "idiot", "bitch",
    "asshole", "dumb", "moron",
];

/// Words that are never part of a name: common replies, pronouns, tech words…
const NOT_NAME_WORDS: &[&str] = &[
    "no",
    "si",
    "yes",
    "ok",
    "okay",
    "dale",
    "gracias",
    "thanks",
    "nada",
    "nadie",
    "ninguno",
    "yo",
    "vos",
    "usted",
    "tu",
    "el",
    "ella",
    "mi",
    "me",
    "my",
    "the",
    "un",
    "una",
    "es",
    "soy",
    "llamo",
    "nombre",
    "name",
    "quiero",
    "necesito",
    "tengo",
    "ayuda",
    "help",
    "problema",
    "computadora",
    "compu",
    "pc",
    "notebook",
    "impresora",
    "internet",
    "wifi",
    "celular",
    "anda",
    "funciona",
    "porque",
    "para",
    "por",
    "con",
    "test",
    "prueba",
    "asdf",
    "qwerty",
    "xd",
    "jaja",
    "jajaja",
    "jeje",
    "lol",
    "hmm",
    "eh",
    "este",
    "esto",
    "eso",
    "aca",
    "usuario",
    "user",
    "cliente",
    "tecnico",
    "humano",
    "whatsapp",
    "empezar",
    "nuevo",
    "reiniciar",
    "restart",
    "de",
    "del",
    "la",
    "las",
    "los",
    "y",
    "and",
];

/// Lowercase particles inside compound names ("María de los Ángeles").
const PARTICLES: &[&str] = &["de", "del", "la", "las", "los", "y", "da", "das", "do", "dos", "di", "van", "von", "der"];

const INTRODUCTIONS: &[&[&str]] = &[
    &["me", "llamo"],
    &["mi", "nombre", "es"],
    &["my", "name", "is"],
    &["my", "name's"],
    &["me", "dicen"],
    &["llamame"],
    &["decime"],
    &["call", "me"],
    &["soy"],
    &["i'm"],
    &["im"],
    &["i", "am"],
    &["this", "is"],
    &["it's"],
    &["es"],
];

const MAX_NAME_WORDS: usize = 4;
const MAX_WORD_CHARS: usize = 24;

pub fn parse_name(input: &str) -> NameAnswer {
    let original = original_words(input);
    let folded_words: Vec<String> = original.iter().map(|(w, _)| fold(w)).collect();
    let joined = folded_words.join(" ");
    if DECLINE.iter().any(|d| joined == *d || joined.starts_with(&format!("{d} "))) {
        return NameAnswer::Declined;
    }
    if DONT_KNOW.iter().any(|d| joined == fold(d)) {
        return NameAnswer::Rejected(RejectReason::DontKnow);
    }
    if input.contains('@') {
        return NameAnswer::Rejected(RejectReason::Email);
    }
    if folded_words.iter().any(|w| RUDE.contains(&w.as_str())) {
        return NameAnswer::Rejected(RejectReason::Rude);
    }

    // Skip greetings ("hola, soy Ana"), then an introduction ("me llamo").
    let mut at = 0;
    while at < folded_words.len() && GREETINGS.contains(&folded_words[at].as_str()) {
        at += 1;
    }
    let introduced = INTRODUCTIONS.iter().find(|intro| {
        folded_words.len() >= at + intro.len()
            && folded_words[at..at + intro.len()].iter().zip(intro.iter()).all(|(a, b)| a == b)
    });
    if let Some(intro) = introduced {
        at += intro.len();
    }
    if at >= folded_words.len() {
        return NameAnswer::Rejected(if at > 0 { RejectReason::Greeting } else { RejectReason::NotAName });
    }

    // The name runs until punctuation that ends it or a word that starts a new clause.
    let mut name_words = Vec::new();
    let mut consumed_to = None;
    for (k, (word, ends_clause)) in original.iter().enumerate().skip(at) {
        let folded_word = &folded_words[k];
        if name_words.len() >= MAX_NAME_WORDS || (k > at && is_clause_start(folded_word)) {
            consumed_to = Some(k);
            break;
        }
        name_words.push(word.as_str());
        if *ends_clause {
            consumed_to = Some(k + 1);
            break;
        }
    }
    let rest = consumed_to.map(|k| rest_from(input, &original, k)).unwrap_or_default();
    if !rest.is_empty() && introduced.is_none() && at == 0 {
        // A bare first word followed by more text is a sentence, not a name.
        return NameAnswer::Rejected(RejectReason::NotAName);
    }
    match validate(&name_words) {
        Ok(name) => NameAnswer::Name { name, rest },
        Err(reason) => NameAnswer::Rejected(reason),
    }
}

fn is_clause_start(folded_word: &str) -> bool {
    matches!(
        folded_word,
        "y" | "and"
            | "tengo"
            | "necesito"
            | "quiero"
            | "no"
            | "mi"
            | "me"
            | "my"
            | "i"
            | "te"
            | "que"
            | "porque"
            | "pero"
            | "but"
            | "con"
            | "from"
            | "desde"
            | "hay"
            | "tiene"
            | "anda"
    )
}

/// Words of the original text (case and accents kept), each with whether punctuation
/// that closes a clause follows it.
fn original_words(input: &str) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = input.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let joiner = matches!(c, '\'' | '’' | '-')
            && !current.is_empty()
            && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        if c.is_alphanumeric() || joiner {
            current.push(if c == '’' { '\'' } else { c });
            continue;
        }
        if !current.is_empty() {
            out.push((std::mem::take(&mut current), false));
        }
        if matches!(c, ',' | '.' | ';' | ':' | '!' | '?' | '(' | '\n')
            && let Some(last) = out.last_mut()
        {
            last.1 = true;
        }
    }
    if !current.is_empty() {
        out.push((current, false));
    }
    out
}

/// The text after the `k`-th word, trimmed of leading punctuation.
fn rest_from(input: &str, original: &[(String, bool)], k: usize) -> String {
    if k >= original.len() {
        return String::new();
    }
    // Find the k-th word's position by walking the same word sequence.
    let mut search_from = 0;
    for (word, _) in &original[..k] {
        if let Some(pos) = input[search_from..].find(word.as_str()) {
            search_from += pos + word.len();
        }
    }
    input[search_from..].trim_start_matches(|c: char| !c.is_alphanumeric()).trim().to_owned()
}

fn validate(name_words: &[&str]) -> Result<String, RejectReason> {
    if name_words.is_empty() {
        return Err(RejectReason::NotAName);
    }
    if name_words.iter().any(|w| w.chars().any(|c| c.is_ascii_digit())) {
        return Err(RejectReason::HasDigits);
    }
    let folded: Vec<String> = name_words.iter().map(|w| fold(w)).collect();
    if folded.iter().all(|w| GREETINGS.contains(&w.as_str())) {
        return Err(RejectReason::Greeting);
    }
    for (i, w) in folded.iter().enumerate() {
        let particle_inside = i > 0 && i + 1 < folded.len() && PARTICLES.contains(&w.as_str());
        if particle_inside {
            continue;
        }
        let letters = w.chars().filter(|c| c.is_alphabetic()).count();
        if letters < 2 || w.chars().count() > MAX_WORD_CHARS {
            return Err(RejectReason::NotAName);
        }
        if !w.chars().all(|c| c.is_alphabetic() || c == '\'' || c == '-') {
            return Err(RejectReason::NotAName);
        }
        if NOT_NAME_WORDS.contains(&w.as_str()) || GREETINGS.contains(&w.as_str()) {
            return Err(RejectReason::NotAName);
        }
        if !has_vowel(w) || repeated_letters(w) {
            return Err(RejectReason::NotAName);
        }
    }
    Ok(capitalize_name(name_words))
}

fn has_vowel(word: &str) -> bool {
    word.chars().any(|c| matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y'))
}

/// "aaaa", "jjjj": keyboard mashing, not names.
fn repeated_letters(word: &str) -> bool {
    let chars: Vec<char> = word.chars().collect();
    chars.windows(3).any(|w| w[0] == w[1] && w[1] == w[2])
}

/// "maría JOSÉ de los ángeles" → "María José de los Ángeles"; "o'brien" → "O'Brien";
/// "jean-pierre" → "Jean-Pierre".
pub fn capitalize_name(name_words: &[&str]) -> String {
    name_words
        .iter()
        .enumerate()
        .map(|(i, word)| {
            let lower = word.to_lowercase();
            let is_particle = i > 0 && i + 1 < name_words.len() && PARTICLES.contains(&fold(&lower).as_str());
            if is_particle { lower } else { capitalize_parts(&lower) }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn capitalize_parts(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut part = String::new();
    for c in word.chars() {
        if c == '\'' || c == '-' {
            out.push_str(&capitalize_apostrophe_part(&part, c));
            part.clear();
        } else {
            part.push(c);
        }
    }
    out.push_str(&capitalize_first(&part));
    out
}

/// Capitalises one piece before a joiner: "o'" → "O'", "d'" → "D'", "jean-" → "Jean-".
fn capitalize_apostrophe_part(part: &str, joiner: char) -> String {
    let mut s = capitalize_first(part);
    s.push(joiner);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(input: &str) -> Option<String> {
        match parse_name(input) {
            NameAnswer::Name { name, .. } => Some(name),
            _ => None,
        }
    }

    #[test]
    fn accepts_names_in_their_usual_forms() {
        let cases = [
            ("me llamo Ana", "Ana"),
            ("soy Juan Pablo", "Juan Pablo"),
            ("mi nombre es María José", "María José"),
            ("ana", "Ana"),
            ("I'm Ann", "Ann"),
            ("my name is John Smith", "John Smith"),
            ("hola, soy lucía", "Lucía"),
            ("Buenas! me llamo Martín", "Martín"),
            ("MARÍA DE LOS ÁNGELES", "María de los Ángeles"),
            ("o'brien", "O'Brien"),
            ("jean-pierre", "Jean-Pierre"),
            ("iñaki", "Iñaki"),
            ("  josé   luis  ", "José Luis"),
            ("call me Bob", "Bob"),
            ("Soy Ana, y no me anda internet", "Ana"),
            ("me dicen Pepe", "Pepe"),
            ("Hi, I am Sarah", "Sarah"),
            ("d'angelo", "D'Angelo"),
            ("Juan de la Cruz", "Juan de la Cruz"),
            ("soy Ana.", "Ana"),
        ];
        for (input, expected) in cases {
            assert_eq!(name(input).as_deref(), Some(expected), "input {input:?}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_name() {
        let cases = [
            ("hola", RejectReason::Greeting),
            ("buenas tardes", RejectReason::Greeting),
            ("no sé", RejectReason::DontKnow),
            ("12345", RejectReason::HasDigits),
            ("soy ana123", RejectReason::HasDigits),
            ("ana@mail.com", RejectReason::Email),
            ("boludo", RejectReason::Rude),
            ("sos un idiota", RejectReason::Rude),
            ("asdf", RejectReason::NotAName),
            ("jjjjj", RejectReason::NotAName),
            ("x", RejectReason::NotAName),
            ("ok", RejectReason::NotAName),
            ("sí", RejectReason::NotAName),
            ("gracias", RejectReason::NotAName),
            ("mi compu no anda", RejectReason::NotAName),
            ("?", RejectReason::NotAName),
            ("", RejectReason::NotAName),
            ("hrtkl", RejectReason::NotAName),
        ];
        for (input, reason) in cases {
            assert_eq!(parse_name(input), NameAnswer::Rejected(reason), "input {input:?}");
        }
    }

    #[test]
    fn understands_declining() {
        for input in ["prefiero no decirlo", "Prefiero no decirlo, gracias", "anónimo", "I'd rather not say", "skip"] {
            assert_eq!(parse_name(input), NameAnswer::Declined, "input {input:?}");
        }
    }

    #[test]
    fn keeps_what_follows_the_name() {
        match parse_name("soy Ana, no me anda internet") {
            NameAnswer::Name { name, rest } => {
                assert_eq!(name, "Ana");
                assert_eq!(rest, "no me anda internet");
            }
            other => panic!("{other:?}"),
        }
        match parse_name("me llamo Juan Pablo y la impresora no imprime") {
            NameAnswer::Name { name, rest } => {
                assert_eq!(name, "Juan Pablo");
                assert_eq!(rest, "y la impresora no imprime");
            }
            other => panic!("{other:?}"),
        }
    }
}
