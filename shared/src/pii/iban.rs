//! IBANs: a country code, two check digits and up to 30 letters and digits, written
//! whole or in groups of four ("DE89 3704 0044 0532 0130 00"); proven by mod-97.

use super::{Finding, PiiKind};

/// Lengths of the IBANs people here are most likely to paste; other countries may have
/// any length from 15 to 34.
fn length_for(country: &[u8]) -> Option<usize> {
    Some(match country {
        b"DE" | b"GB" | b"IE" => 22,
        b"ES" | b"SE" => 24,
        b"FR" | b"IT" | b"MC" => 27,
        b"NL" => 18,
        b"BE" => 16,
        b"PT" => 25,
        b"CH" | b"LI" => 21,
        b"AT" | b"LU" => 20,
        b"PL" => 28,
        b"BR" => 29,
        b"UY" => 28,
        _ => return None,
    })
}

/// The mod-97 check of ISO 13616 over `chars` (ASCII letters and digits, uppercase).
pub fn iban_is_valid(chars: &[u8]) -> bool {
    if !(15..=34).contains(&chars.len()) {
        return false;
    }
    let rotated = chars[4..].iter().chain(&chars[..4]);
    let mut remainder: u32 = 0;
    for &c in rotated {
        let value = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return false,
        };
        remainder = if value >= 10 { (remainder * 100 + value) % 97 } else { (remainder * 10 + value) % 97 };
    }
    remainder == 1
}

/// Appends the IBANs of `text` to `out`.
pub fn find(text: &str, out: &mut Vec<Finding>) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i + 4 <= bytes.len() {
        let starts_word = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let head = &bytes[i..i + 4];
        if !(starts_word
            && head[0].is_ascii_alphabetic()
            && head[1].is_ascii_alphabetic()
            && head[2].is_ascii_digit()
            && head[3].is_ascii_digit())
        {
            i += 1;
            continue;
        }
        match read_iban(bytes, i) {
            Some(end) => {
                out.push(Finding { start: i, end, kind: PiiKind::Iban });
                i = end;
            }
            None => i += 1,
        }
    }
}

/// The end of an IBAN starting at `start`, if one does: characters read group by group
/// (single spaces or dashes between groups), cut only where a group ends.
fn read_iban(bytes: &[u8], start: usize) -> Option<usize> {
    let mut chars = Vec::with_capacity(34);
    let mut cuts = Vec::new();
    let mut at = start;
    loop {
        let group_start = at;
        while at < bytes.len() && bytes[at].is_ascii_alphanumeric() && chars.len() < 34 {
            chars.push(bytes[at].to_ascii_uppercase());
            at += 1;
        }
        if at == group_start || (at < bytes.len() && bytes[at].is_ascii_alphanumeric()) {
            // A group longer than an IBAN can be: not one.
            if at > group_start && chars.len() >= 34 {
                return None;
            }
            break;
        }
        cuts.push((chars.len(), at));
        match bytes.get(at..at + 2) {
            Some([b' ' | b'-', next]) if next.is_ascii_alphanumeric() => at += 1,
            _ => break,
        }
    }
    let wanted = length_for(&chars[..2]);
    cuts.iter()
        .rev()
        .filter(|(len, _)| wanted.is_none_or(|w| w == *len))
        .find(|(len, _)| iban_is_valid(&chars[..*len]))
        .map(|(_, end)| *end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        find(text, &mut out);
        out.iter().map(|f| &text[f.start..f.end]).collect()
    }

    #[test]
    fn finds_ibans_whole_grouped_and_in_any_case() {
        assert_eq!(masked("IBAN DE89 3704 0044 0532 0130 00 gracias"), ["DE89 3704 0044 0532 0130 00"]);
        assert_eq!(masked("es DE89370400440532013000."), ["DE89370400440532013000"]);
        assert_eq!(masked("cuentaES9121000418450200051332"), Vec::<&str>::new(), "glued to a word");
        assert_eq!(masked("mi cuenta es9121000418450200051332 en Madrid"), ["es9121000418450200051332"]);
        assert_eq!(masked("ES91 2100 0418 4502 0005 1332"), ["ES91 2100 0418 4502 0005 1332"]);
        assert_eq!(masked("gb82 west 1234 5698 7654 32 y nada más"), ["gb82 west 1234 5698 7654 32"]);
        assert_eq!(masked("GB82-WEST-1234-5698-7654-32"), ["GB82-WEST-1234-5698-7654-32"]);
    }

    #[test]
    fn leaves_what_fails_the_check_or_the_length() {
        assert!(masked("DE89 3704 0044 0532 0130 01").is_empty(), "one digit off");
        assert!(masked("KB5034441 y KB5034442").is_empty());
        assert!(masked("modelo AB12 3456 7890 1234 5678").is_empty());
    }

    #[test]
    fn mod_97() {
        assert!(iban_is_valid(b"DE89370400440532013000"));
        assert!(!iban_is_valid(b"DE88370400440532013000"));
        assert!(!iban_is_valid(b"DE89"));
    }
}
