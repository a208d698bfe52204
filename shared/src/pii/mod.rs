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
mod ip;
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
    let mut findings = Vec::new();
    // Most messages have no '@', no spelled-out address and no digit: skip those scans.
    if text.as_bytes().contains(&b'@') {
        email::find_plain(text, &mut findings);
    }
    if email::may_have_spelled_address(text) {
        email::find_spelled(text, &mut findings);
    }
    secrets::find(text, &mut findings);
    if text.as_bytes().contains(&b':') {
        ip::find_v6(text, &mut findings);
    }
    dedupe(&mut findings);
    if text.bytes().any(|b| b.is_ascii_digit()) {
        iban::find(text, &mut findings);
        dedupe(&mut findings);
        numbers::find(text, &mut findings);
        dedupe(&mut findings);
    }
    findings
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

#[cfg(test)]
mod tests;
