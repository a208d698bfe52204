//! `mask_pii`: replaces personal data in free text with placeholders, keeping what a
//! technician needs (dates, prices, order and ticket numbers, error codes, versions, KB
//! numbers, ports, hardware models).
//!
//! Masked: emails → `[EMAIL]`, CBU/CVU → `[CBU]`, CUIT/CUIL → `[CUIT]`, DNI → `[DNI]`,
//! payment cards → `[CARD]` (and a CVV named as such → `[CVV]`), phones → `[PHONE]`,
//! IBANs → `[IBAN]`, public IP addresses → `[IP]`, and passwords, PINs, security codes
//! and remote-access ids → `[SECRET]`.
//! Identifiers with check digits are masked on their check digits alone; without a
//! check digit (DNI, phones) the shape of the number and the words around it decide.

mod checks;
mod context;
mod email;
mod iban;
pub mod ip;
mod normalise;
mod numbers;
mod secrets;

pub use checks::{card_issuer_plausible, cbu_is_valid, cuit_is_valid, luhn_is_valid};
pub use normalise::normalise;

/// The kind of personal data found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PiiKind {
    Email,
    Cbu,
    Cuit,
    Dni,
    Card,
    Cvv,
    Phone,
    /// A password, PIN, security code or remote-access id or code.
    Secret,
    Iban,
    /// A public IP address (a LAN address is support data).
    Ip,
}

impl PiiKind {
    pub fn placeholder(self) -> &'static str {
        match self {
            PiiKind::Email => "[EMAIL]",
            PiiKind::Cbu => "[CBU]",
            PiiKind::Cuit => "[CUIT]",
            PiiKind::Dni => "[DNI]",
            PiiKind::Card => "[CARD]",
            PiiKind::Cvv => "[CVV]",
            PiiKind::Phone => "[PHONE]",
            PiiKind::Secret => "[SECRET]",
            PiiKind::Iban => "[IBAN]",
            PiiKind::Ip => "[IP]",
        }
    }
}

/// A byte range of the input holding personal data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub start: usize,
    pub end: usize,
    pub kind: PiiKind,
}

/// Every piece of personal data in `text`, in order, without overlaps. The text must be
/// [`normalise`]d: the scanners rely on its ASCII separators and signs.
fn find_pii(text: &str) -> Vec<Finding> {
    find_pii_in_lines(text, std::slice::from_ref(&(0..text.len())))
}

/// [`find_pii`] over lines joined into `text` (ranges `lines`): numbers and addresses
/// are read across them, a keyword's secret only within its own line.
fn find_pii_in_lines(text: &str, lines: &[std::ops::Range<usize>]) -> Vec<Finding> {
    let marks = Marks::of(text);
    let mut findings = Vec::new();
    // Most messages have no '@', no spelled-out address, no secret and no digit: one
    // pass over the bytes skips those scans.
    if marks.at {
        email::find_plain(text, &mut findings);
    }
    if marks.spelled_at {
        email::find_spelled(text, &mut findings);
    }
    if marks.secret_word {
        for line in lines {
            let from = findings.len();
            secrets::find(&text[line.clone()], &mut findings);
            for f in &mut findings[from..] {
                f.start += line.start;
                f.end += line.start;
            }
        }
        if lines.len() > 1 {
            // "mi contraseña es" then "Gato#2024": a line that starts with the value the
            // line before was about to give.
            let mut across = Vec::new();
            secrets::find(text, &mut across);
            findings.extend(across.into_iter().filter(|f| lines[1..].iter().any(|line| line.start == f.start)));
        }
    }
    if marks.colon {
        ip::find_v6(text, &mut findings);
    }
    dedupe(&mut findings);
    if marks.digit {
        numbers::find(text, &mut findings);
        dedupe(&mut findings);
    }
    findings
}

/// What one pass over a message's bytes says is worth looking for.
#[derive(Default)]
struct Marks {
    at: bool,
    spelled_at: bool,
    secret_word: bool,
    colon: bool,
    digit: bool,
}

impl Marks {
    fn of(text: &str) -> Marks {
        let bytes = text.as_bytes();
        let mut marks = Marks::default();
        let mut previous_alphanumeric = false;
        for (i, &b) in bytes.iter().enumerate() {
            let alphanumeric = b.is_ascii_alphanumeric();
            match b {
                b'0'..=b'9' => marks.digit = true,
                b'@' => marks.at = true,
                b':' => marks.colon = true,
                // "[at]", "(at)", "{at}".
                b']' | b')' | b'}' => {
                    marks.spelled_at |= i >= 2 && bytes[i - 2] | 0x20 == b'a' && bytes[i - 1] | 0x20 == b't';
                }
                _ if alphanumeric && !previous_alphanumeric => {
                    marks.spelled_at |= b | 0x20 == b'a' && email::spells_at(&bytes[i..]);
                    marks.secret_word = marks.secret_word || secrets::trigger_at(bytes, i);
                }
                _ => {}
            }
            previous_alphanumeric = alphanumeric;
        }
        marks
    }
}

/// Sorts the findings and drops any that overlaps one before it (the longer wins a tie).
fn dedupe(findings: &mut Vec<Finding>) {
    findings.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
    let mut covered_to = None;
    findings.retain(|f| match covered_to {
        Some(end) if f.start < end => false,
        _ => {
            covered_to = Some(f.end);
            true
        }
    });
}

/// `text` with every piece of personal data replaced by its placeholder. The text is
/// [`normalise`]d first, so what comes back is in that form.
pub fn mask_pii(text: &str) -> String {
    let text = &*normalise(text);
    let findings = find_pii(text);
    if findings.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for f in findings {
        out.push_str(&text[at..f.start]);
        out.push_str(f.kind.placeholder());
        at = f.end;
    }
    out.push_str(&text[at..]);
    out
}

/// A visitor's new line masked together with their previous one (`previous`, already
/// masked), so that a number split over two messages ("tarjeta 4111 1111" then "1111
/// 1111") is caught: returns the new line masked and, when the join revealed personal
/// data reaching into the previous line, that line rewritten.
pub fn mask_across(previous: &str, text: &str) -> (String, Option<String>) {
    let current = normalise(text);
    // Most lines cannot continue the one before (no number, address or credential to
    // complete): masked alone, at the cost of one pass.
    if !may_continue(previous, &current) {
        return (mask_pii(&current), None);
    }
    let joined = format!("{previous} {current}");
    let boundary = previous.len() + 1;
    let findings = find_pii_in_lines(&joined, &[0..previous.len(), boundary..joined.len()]);
    let mut rewritten = String::with_capacity(previous.len());
    let mut at = 0;
    let mut current_masked = String::with_capacity(current.len());
    let mut current_at = boundary;
    for f in &findings {
        if f.start < previous.len() && !is_placeholder(&joined[f.start..f.end.min(previous.len())]) {
            rewritten.push_str(&joined[at..f.start]);
            rewritten.push_str(f.kind.placeholder());
            at = f.end.min(previous.len());
        }
        if f.end > boundary {
            let start = f.start.max(boundary);
            current_masked.push_str(&joined[current_at..start]);
            current_masked.push_str(f.kind.placeholder());
            current_at = f.end;
        }
    }
    current_masked.push_str(&joined[current_at.max(boundary)..]);
    // Whatever the line alone would mask stays masked.
    let mut current_masked = mask_pii(&current_masked);
    continue_placeholder(previous, &mut current_masked);
    if at == 0 {
        return (current_masked, None);
    }
    rewritten.push_str(&joined[at..previous.len()]);
    (current_masked, Some(rewritten))
}

/// Whether `current` may complete personal data that `previous` began: a number (or
/// its placeholder) or a credential word before, digits or an address's part after.
fn may_continue(previous: &str, current: &str) -> bool {
    let marks = Marks::of(previous);
    let starts = current.trim_start().bytes().next();
    marks.digit
        || marks.secret_word
        || marks.spelled_at
        || previous.trim_end().ends_with(['@', ']'])
        || starts.is_some_and(|b| b.is_ascii_digit() || matches!(b, b'@' | b'+' | b'(' | b'.' | b'-'))
}

/// The previous line ended with a masked number and this one starts with digits ("mi cel
/// es [PHONE]" then "5555"): they are its rest.
fn continue_placeholder(previous: &str, current: &mut String) {
    let Some(placeholder) = previous.trim_end().rsplit(' ').next().filter(|w| is_placeholder(w)) else {
        return;
    };
    let lead = current.len() - current.trim_start().len();
    let run =
        current[lead..].bytes().take_while(|b| b.is_ascii_digit() || matches!(b, b' ' | b'-' | b'.' | b'/')).count();
    let run = current[lead..lead + run].trim_end_matches([' ', '-', '.', '/']).len();
    let digits = current[lead..lead + run].bytes().filter(u8::is_ascii_digit).count();
    let glued = current[lead + run..].starts_with(|c: char| c.is_alphanumeric());
    if digits >= 3 && !glued {
        current.replace_range(lead..lead + run, placeholder);
    }
}

fn is_placeholder(s: &str) -> bool {
    s.strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_uppercase()))
}

#[cfg(test)]
mod tests;
