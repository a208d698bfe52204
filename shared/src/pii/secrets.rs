//! Secrets: the value after a credential keyword ("mi contraseña es Hunter2!", "pin
//! 4821", "password=…", "código de seguridad 737") and remote-access ids and codes
//! (TeamViewer, AnyDesk, RustDesk, Chrome Remote Desktop, Quick Assist). Whoever reads a
//! ticket must not be able to log in as the visitor or take over their computer.
//!
//! What support needs stays: "la contraseña no me la acepta", "olvidé mi contraseña",
//! "la contraseña de windows", the name of a Wi-Fi network.

use super::{Finding, PiiKind};
use crate::text::fold_char;

/// A word of the text: letters and digits, folded (lowercase, no accents).
struct Word {
    start: usize,
    end: usize,
    folded: String,
}

fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut current: Option<Word> = None;
    for (at, c) in text.char_indices() {
        if c.is_alphanumeric() {
            let word = current.get_or_insert_with(|| Word { start: at, end: at, folded: String::new() });
            word.folded.push(fold_char(c));
            word.end = at + c.len_utf8();
        } else if let Some(word) = current.take() {
            out.push(word);
        }
    }
    out.extend(current);
    out
}

/// Word beginnings that may start a credential or a remote-access tool, or the word of
/// one that says what a "código" is, by first letter (lowercase ASCII).
fn triggers(first: u8) -> &'static [&'static [u8]] {
    match first {
        // "confirmá", "verificá" (imperatives in every set of steps) name nothing: only
        // the nouns do ("código de verificación").
        b'c' => &[b"contrase", b"clave", b"chrome", b"confirmaci", b"confirmat"],
        b'p' => &[b"pass", b"pwd", b"pin"],
        b't' => &[b"token", b"teamv", b"team v"],
        b'o' => &[b"otp"],
        b'a' => &[b"anyde", b"any d", b"asistenc", b"acceso", b"access", b"autentic"],
        b'r' => &[b"rustd", b"rust d", b"remot"],
        b'u' => &[b"ultrav", b"unlock"],
        b's' => &[b"supremo", b"segurid", b"security"],
        b'q' => &[b"quick"],
        b'e' => &[b"escritor"],
        b'v' => &[b"verificaci", b"verificat"],
        b'd' => &[b"desbloq"],
        _ => &[],
    }
}

/// Whether the word starting at byte `i` may begin one (a false alarm only costs
/// reading the words around it). Its first four letters decide most words at once.
pub fn trigger_at(bytes: &[u8], i: usize) -> bool {
    let lower = |k: usize| bytes.get(i + k).map_or(b' ', u8::to_ascii_lowercase);
    let maybe = matches!(
        [lower(0), lower(1), lower(2), lower(3)],
        [b'p', b'w', b'd', _]
            | [b'p', b'i', b'n', _]
            | [b'o', b't', b'p', _]
            | [b'c', b'o', b'n', b't' | b'f']
            | [b'c', b'l', b'a', b'v']
            | [b'c', b'h', b'r', b'o']
            | [b'p', b'a', b's', b's']
            | [b't', b'o', b'k', b'e']
            | [b't', b'e', b'a', b'm']
            | [b'a', b'n', b'y', b'd' | b' ']
            | [b'a', b's', b'i', b's']
            | [b'a', b'c', b'c', b'e']
            | [b'a', b'u', b't', b'e']
            | [b'r', b'u', b's', b't']
            | [b'r', b'e', b'm', b'o']
            | [b'u', b'l', b't', b'r']
            | [b'u', b'n', b'l', b'o']
            | [b's', b'u', b'p', b'r']
            | [b's', b'e', b'g', b'u']
            | [b's', b'e', b'c', b'u']
            | [b'q', b'u', b'i', b'c']
            | [b'e', b's', b'c', b'r']
            | [b'v', b'e', b'r', b'i']
            | [b'd', b'e', b's', b'b']
    );
    maybe && triggers(lower(0)).iter().any(|t| bytes.get(i..i + t.len()).is_some_and(|w| w.eq_ignore_ascii_case(t)))
}

/// How far before a trigger its keyword may start ("código de " before "seguridad").
const LOOK_BEHIND: usize = 24;
/// How far after a trigger a value or an id is looked for.
const LOOK_AHEAD: usize = 320;

/// The words naming a credential at `words[i..]`: how many, or 0.
fn credential_at(words: &[Word], i: usize) -> usize {
    let w = |k: usize| words.get(i + k).map(|w| w.folded.as_str());
    match w(0) {
        Some(
            "contrasena" | "contrasenas" | "clave" | "password" | "passwd" | "pass" | "pwd" | "pin" | "token"
            | "passcode" | "otp" | "passphrase",
        ) => 1,
        Some("codigo" | "code") => {
            let of = usize::from(w(1) == Some("de"));
            match w(1 + of) {
                Some("seguridad" | "verificacion" | "acceso" | "confirmacion" | "desbloqueo" | "autenticacion") => {
                    2 + of
                }
                _ => 0,
            }
        }
        Some("security" | "verification" | "access" | "confirmation" | "unlock") if w(1) == Some("code") => 2,
        _ => 0,
    }
}

/// The words naming a remote-access tool at `words[i..]`: how many, or 0.
fn remote_tool_at(words: &[Word], i: usize) -> usize {
    let w = |k: usize| words.get(i + k).map(|w| w.folded.as_str());
    match (w(0), w(1), w(2)) {
        (Some("teamviewer" | "anydesk" | "rustdesk" | "ultraviewer" | "supremo"), ..) => 1,
        (Some("team"), Some("viewer"), _) | (Some("any"), Some("desk"), _) | (Some("rust"), Some("desk"), _) => 2,
        (Some("quick"), Some("assist"), _) | (Some("asistencia"), Some("rapida"), _) => 2,
        (Some("escritorio" | "acceso"), Some("remoto"), _) | (Some("remote"), Some("desktop" | "access"), _) => 2,
        (Some("chrome"), Some("remote"), Some("desktop")) => 3,
        _ => 0,
    }
}

/// Words between a credential keyword and its value that say whose or which it is.
fn is_qualifier(word: &str) -> bool {
    matches!(
        word,
        "de" | "del"
            | "la"
            | "el"
            | "mi"
            | "tu"
            | "su"
            | "of"
            | "my"
            | "the"
            | "for"
            | "your"
            | "wifi"
            | "wi"
            | "fi"
            | "red"
            | "cuenta"
            | "tarjeta"
            | "windows"
            | "correo"
            | "mail"
            | "email"
            | "gmail"
            | "hotmail"
            | "outlook"
            | "router"
            | "modem"
            | "banco"
            | "home"
            | "usuario"
            | "user"
            | "nueva"
            | "new"
            | "actual"
            | "current"
            | "acceso"
            | "admin"
            | "administrador"
            | "celular"
            | "telefono"
            | "pc"
            | "compu"
            | "notebook"
            | "account"
            | "network"
            | "network's"
            | "facebook"
            | "instagram"
            | "netflix"
            | "homebanking"
            | "sim"
            | "chip"
            | "bloqueo"
            | "pantalla"
            | "equipo"
            | "computadora"
            | "laptop"
            | "phone"
            | "ahora"
            | "now"
            | "temporal"
            | "provisoria"
            | "provisional"
            | "sistema"
            | "app"
            | "aplicacion"
            | "internet"
            | "zoom"
            | "teams"
            | "skype"
            | "whatsapp"
            | "apple"
            | "icloud"
            | "google"
            | "microsoft"
            | "cajero"
            | "debito"
            | "credito"
    )
}

fn is_connector(word: &str) -> bool {
    matches!(word, "es" | "is" | "era" | "sera" | "seria" | "was" | "quedo" | "puse" | "set" | "sigue" | "son")
}

/// Words that follow "la contraseña es" without being one: what people say about it.
fn is_ordinary(word: &str) -> bool {
    matches!(
        word,
        "la" | "el"
            | "lo"
            | "los"
            | "las"
            | "un"
            | "una"
            | "muy"
            | "demasiado"
            | "demasiada"
            | "incorrecta"
            | "incorrecto"
            | "correcta"
            | "correcto"
            | "larga"
            | "largo"
            | "corta"
            | "corto"
            | "nueva"
            | "nuevo"
            | "vieja"
            | "viejo"
            | "igual"
            | "misma"
            | "mismo"
            | "valida"
            | "invalida"
            | "segura"
            | "debil"
            | "fuerte"
            | "obligatoria"
            | "requerida"
            | "necesaria"
            | "distinta"
            | "otra"
            | "otro"
            | "diferente"
            | "mala"
            | "buena"
            | "wrong"
            | "incorrect"
            | "correct"
            | "invalid"
            | "too"
            | "very"
            | "not"
            | "a"
            | "an"
            | "same"
            | "different"
            | "old"
            | "expired"
            | "vencida"
            | "expirada"
            | "caducada"
            | "bloqueada"
            | "blocked"
            | "locked"
            | "no"
            | "de"
            | "del"
            | "con"
            | "que"
            | "sin"
            | "para"
            | "por"
            | "case"
            | "sensible"
            | "required"
            | "needed"
            | "ok"
            | "bien"
            | "mal"
            | "esa"
            | "esta"
            | "this"
            | "that"
            | "it"
            | "eso"
            | "esto"
            | "cual"
            | "which"
            | "what"
            | "siempre"
            | "always"
            | "never"
            | "nunca"
            | "y"
            | "and"
            | "o"
            | "or"
            | "en"
            | "in"
            | "mi"
            | "my"
            | "su"
            | "tu"
            | "your"
            | "his"
            | "her"
            | "el/la"
            | "facil"
            | "easy"
            | "simple"
            | "dificil"
            | "hard"
            | "temporal"
            | "provisoria"
            | "correctamente"
            | "tambien"
            | "also"
            | "ya"
            | "already"
            | "aun"
            | "still"
            | "todavia"
            | "solo"
            | "only"
            | "just"
            | "reset"
            | "resetear"
            | "cambiar"
            | "change"
            | "changed"
            | "cambiada"
            | "olvidada"
            | "forgotten"
    )
}

/// Characters that end a sentence: a value is never looked for past one.
fn ends_clause(gap: &str) -> bool {
    gap.contains(['.', ',', ';', '?', '!', '\n', '(', ')']) && !gap.trim().is_empty()
}

const MAX_VALUE_BYTES: usize = 128;

/// The token starting at byte `at` (a quoted one whole), without trailing punctuation.
fn token_at(text: &str, at: usize) -> Option<(usize, usize)> {
    let rest = &text[at..];
    // A placeholder of an earlier masking ("[SECRET]") is no value: masking is idempotent.
    if let Some(inner) = rest.strip_prefix('[')
        && inner.find(']').is_some_and(|k| k > 0 && inner[..k].bytes().all(|b| b.is_ascii_uppercase()))
    {
        return None;
    }
    let first = rest.chars().next()?;
    if let Some(close) = match first {
        '"' => Some('"'),
        '\'' => Some('\''),
        '`' => Some('`'),
        '«' => Some('»'),
        '“' => Some('”'),
        '‘' => Some('’'),
        _ => None,
    } {
        let inner = &rest[first.len_utf8()..];
        let len = inner.find(close).filter(|len| *len > 0 && *len <= MAX_VALUE_BYTES)?;
        return Some((at, at + first.len_utf8() + len + close.len_utf8()));
    }
    let len = rest.find(char::is_whitespace).unwrap_or(rest.len()).min(MAX_VALUE_BYTES);
    let len = rest.floor_char_boundary(len);
    let token = rest[..len].trim_end_matches(['.', ',', ';', ':', '?', ')', ']', '}', '"', '\'', '»', '”', '’']);
    (!token.is_empty()).then_some((at, at + token.len()))
}

/// A token that reads like a password typed without "es": letters and digits mixed, or
/// digits, or symbols inside.
fn looks_secret(token: &str) -> bool {
    let digits = token.chars().filter(char::is_ascii_digit).count();
    let letters = token.chars().filter(|c| c.is_alphabetic()).count();
    let symbols = token.chars().count() - digits - letters;
    token.chars().count() >= 3 && (digits > 0 || (symbols > 0 && letters > 0))
}

/// The value of the credential whose keyword ends at `words[next - 1]`, if it is given.
fn credential_value(text: &str, words: &[Word], next: usize) -> Option<(usize, usize)> {
    let mut pos = words[next - 1].end;
    for (step, j) in (0..6).zip(next..) {
        let upto = words.get(j).map_or(text.len(), |w| w.start);
        let gap = &text[pos..upto];
        let gap_trimmed = gap.trim_start();
        // "password: x", "clave=x", "pin -> 1234": the mark gives the value.
        if let Some(rest) = gap_trimmed.strip_prefix([':', '=']).or_else(|| gap_trimmed.strip_prefix("->")) {
            let at = upto - rest.trim_start().len();
            let (start, end) = token_at(text, at)?;
            let value = &text[start..end];
            return (!is_ordinary(&crate::text::fold(value))).then_some((start, end));
        }
        if ends_clause(gap) {
            return None;
        }
        // An opening quote after the keyword: the quoted text is the value. (A quote
        // right against the keyword closes a quotation: «tocá "Olvidé mi contraseña"».)
        if gap.starts_with(char::is_whitespace) && gap_trimmed.starts_with(['"', '\'', '«', '“', '‘', '`']) {
            return token_at(text, upto - gap_trimmed.len());
        }
        let word = words.get(j)?;
        if is_connector(&word.folded) {
            let after = &text[word.end..];
            let after = after.trim_start().trim_start_matches([':', '=']).trim_start();
            let at = text.len() - after.len();
            let (start, end) = token_at(text, at)?;
            let value_word = crate::text::fold(text[start..end].trim_matches(|c: char| !c.is_alphanumeric()));
            return (!is_ordinary(&value_word) && !value_word.is_empty()).then_some((start, end));
        }
        if step == 0 {
            let (start, end) = token_at(text, word.start)?;
            if looks_secret(&text[start..end]) && !is_ordinary(&word.folded) {
                return Some((start, end));
            }
        }
        if !is_qualifier(&word.folded) {
            return None;
        }
        pos = word.end;
    }
    None
}

/// Ids and codes of a remote-access tool named just before: digit runs of 6 to 13
/// digits ("1 234 567 890"), AnyDesk aliases ("juan@ad"), and codes of letters and digits.
fn remote_values(text: &str, words: &[Word], next: usize, out: &mut Vec<Finding>) {
    let reach = words.get(next - 1).map_or(text.len(), |w| w.end + 120).min(text.len());
    let mut j = next;
    while let Some(word) = words.get(j).filter(|w| w.start < reach) {
        if matches!(word.folded.as_str(), "version" | "v" | "build") {
            j += 2;
            continue;
        }
        // A run of digit words joined by single spaces or dashes.
        if word.folded.bytes().all(|b| b.is_ascii_digit()) && !glued_to_letters(text, word) {
            let mut last = j;
            let mut digits = word.folded.len();
            while let Some(w) = words.get(last + 1) {
                let gap = &text[words[last].end..w.start];
                if !(matches!(gap, " " | "-" | "." | " - ") && w.folded.bytes().all(|b| b.is_ascii_digit())) {
                    break;
                }
                digits += w.folded.len();
                last += 1;
            }
            if (6..=13).contains(&digits) {
                out.push(Finding { start: word.start, end: words[last].end, kind: PiiKind::Secret });
            }
            j = last + 1;
            continue;
        }
        if text[word.end..].starts_with("@ad") && !text[word.end + 3..].starts_with(|c: char| c.is_alphanumeric()) {
            out.push(Finding { start: word.start, end: word.end + 3, kind: PiiKind::Secret });
        } else if is_access_code(text, words, j) {
            out.push(Finding { start: word.start, end: word.end, kind: PiiKind::Secret });
        }
        j += 1;
    }
}

/// "AB12CD" (a Quick Assist code) or a code of letters and digits right after "código",
/// "code", "id" or "clave": 6 to 12 characters, both letters and digits. Lowercase words
/// glued to a number ("windows11") are not codes.
fn is_access_code(text: &str, words: &[Word], j: usize) -> bool {
    let word = &words[j];
    let raw = &text[word.start..word.end];
    let shaped = (6..=12).contains(&raw.len())
        && raw.bytes().any(|b| b.is_ascii_digit())
        && raw.bytes().any(|b| b.is_ascii_alphabetic())
        && raw.bytes().all(|b| b.is_ascii_alphanumeric());
    let named = j > 0 && matches!(words[j - 1].folded.as_str(), "codigo" | "code" | "id" | "clave" | "password");
    shaped && (named || !raw.bytes().any(|b| b.is_ascii_lowercase()))
}

fn glued_to_letters(text: &str, word: &Word) -> bool {
    text[..word.start].chars().next_back().is_some_and(|c| c == '-' || c == '_')
        && text[..word.start].trim_end_matches(['-', '_']).chars().next_back().is_some_and(char::is_alphabetic)
}

/// Appends the secrets of `text` (normalised) to `out`: around each word that may start
/// one ([`trigger_at`]), the words are read.
pub fn find(text: &str, out: &mut Vec<Finding>) {
    let bytes = text.as_bytes();
    let mut previous_alphanumeric = false;
    let mut read_to = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let alphanumeric = b.is_ascii_alphanumeric();
        if alphanumeric && !previous_alphanumeric && i >= read_to && trigger_at(bytes, i) {
            let from = text.floor_char_boundary(i.saturating_sub(LOOK_BEHIND));
            let to = text.floor_char_boundary((i + LOOK_AHEAD).min(text.len()));
            let before = out.len();
            find_in(&text[from..to], out);
            for f in &mut out[before..] {
                f.start += from;
                f.end += from;
            }
            // The next trigger inside what was just read was read with it.
            read_to = to.saturating_sub(LOOK_AHEAD / 2).max(i + 1);
        }
        previous_alphanumeric = alphanumeric;
    }
}

/// The secrets of a stretch of text, read word by word.
fn find_in(text: &str, out: &mut Vec<Finding>) {
    let words = words(text);
    // A first word cut by the look-behind names nothing, as no keyword is a word's tail.
    let mut i = 0;
    while i < words.len() {
        let credential = credential_at(&words, i);
        if credential > 0 {
            if let Some((start, end)) = credential_value(text, &words, i + credential) {
                out.push(Finding { start, end, kind: PiiKind::Secret });
                i = words.partition_point(|w| w.start < end);
                continue;
            }
            i += credential;
            continue;
        }
        let tool = remote_tool_at(&words, i);
        if tool > 0 {
            remote_values(text, &words, i + tool, out);
            i += tool;
            continue;
        }
        i += 1;
    }
}
