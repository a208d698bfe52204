//! Email addresses, plain ("ana.p@mail.com") and spelled out to dodge filters
//! ("ana arroba gmail punto com", "ana [at] mail [dot] com").

use super::Finding;
use super::PiiKind;

fn is_local_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-' | '\'')
}

fn is_domain_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '-')
}

/// Plain addresses around every '@' of `text`, which is [`super::normalise`]d (so a
/// fullwidth '＠' is already '@').
pub fn find_plain(text: &str, out: &mut Vec<Finding>) {
    for (at, _) in text.match_indices('@') {
        // "ana @gmail.com", "ana@ gmail.com": one space on either side still joins them.
        let local = text[..at].strip_suffix(' ').filter(|l| l.ends_with(is_local_char)).unwrap_or(&text[..at]);
        let start =
            local.len() - local.chars().rev().take_while(|c| is_local_char(*c)).map(char::len_utf8).sum::<usize>();
        let start = start + local[start..].len() - local[start..].trim_start_matches(['.', '-', '\'']).len();
        let after = &text[at + 1..];
        let rest = after.strip_prefix(' ').filter(|r| r.starts_with(char::is_alphanumeric)).unwrap_or(after);
        let domain = &rest[..rest.len() - rest.trim_start_matches(is_domain_char).len()];
        let domain = domain.trim_end_matches(['.', '-']);
        if start == local.len() || domain.is_empty() || !domain_looks_real(domain) {
            continue;
        }
        let end = text.len() - rest.len() + domain.len();
        out.push(Finding { start, end, kind: PiiKind::Email });
    }
}

fn domain_looks_real(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty())
        && labels.last().is_some_and(|tld| tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic))
}

const AT_WORDS: &[&str] = &["arroba", "(at)", "[at]", "{at}", "(arroba)", "[arroba]"];
const DOT_WORDS: &[&str] = &["punto", "(dot)", "[dot]", "{dot}", "dot", "(punto)", "[punto]"];
const TLDS: &[&str] =
    &["com", "net", "org", "ar", "edu", "gob", "gov", "io", "es", "info", "co", "uy", "cl", "mx", "br"];

/// Whether `word` (bytes from a word's start) is "arroba", the word that spells an '@'.
pub fn spells_at(word: &[u8]) -> bool {
    word.get(..6).is_some_and(|w| w.eq_ignore_ascii_case(b"arroba"))
}

/// Spelled-out addresses: `local AT domain (DOT label)+` where AT/DOT are words.
pub fn find_spelled(text: &str, out: &mut Vec<Finding>) {
    let tokens = tokens_with_offsets(text);
    for (i, &(_, _, word)) in tokens.iter().enumerate() {
        let lower = crate::text::fold(word);
        if i == 0 || !AT_WORDS.contains(&lower.as_str()) {
            continue;
        }
        let (local_start, _, local) = tokens[i - 1];
        if !local.chars().all(is_local_char) || !local.chars().any(char::is_alphanumeric) {
            continue;
        }
        let Some((first_label, mut end)) = tokens.get(i + 1).map(|&(_, e, w)| (w, e)) else {
            continue;
        };
        let mut labels = vec![crate::text::fold(first_label)];
        let mut j = i + 2;
        while j + 1 < tokens.len() && DOT_WORDS.contains(&crate::text::fold(tokens[j].2).as_str()) {
            labels.push(crate::text::fold(tokens[j + 1].2));
            end = tokens[j + 1].1;
            j += 2;
        }
        let flattened: Vec<&str> = labels.iter().flat_map(|l| l.split('.')).collect();
        let has_known_tld = flattened.last().is_some_and(|tld| TLDS.contains(tld));
        let labels_ok = flattened.iter().all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'));
        if flattened.len() >= 2 && has_known_tld && labels_ok {
            out.push(Finding { start: local_start, end, kind: PiiKind::Email });
        }
    }
}

/// Whitespace-separated tokens with byte offsets, trailing punctuation trimmed.
fn tokens_with_offsets(text: &str) -> Vec<(usize, usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                let raw = &text[s..i];
                let trimmed = raw.trim_end_matches([',', ';', ':', '!', '?', '.']);
                let trimmed = trimmed.trim_start_matches(['¿', '¡', '"']);
                if !trimmed.is_empty() {
                    let offset = s + raw.find(trimmed).unwrap_or(0);
                    out.push((offset, offset + trimmed.len(), trimmed));
                }
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    out
}
