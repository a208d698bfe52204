//! IBANs: a country code, two check digits and up to 30 letters and digits, written
//! whole or in groups of four ("DE89 3704 0044 0532 0130 00"); proven by mod-97.

/// The IBAN registry: each country's IBAN length. A country not in it has no IBAN.
const LENGTHS: &[(&[u8; 2], usize)] = &[
    (b"AD", 24),
    (b"AE", 23),
    (b"AL", 28),
    (b"AT", 20),
    (b"AZ", 28),
    (b"BA", 20),
    (b"BE", 16),
    (b"BG", 22),
    (b"BH", 22),
    (b"BR", 29),
    (b"BY", 28),
    (b"CH", 21),
    (b"CR", 22),
    (b"CY", 28),
    (b"CZ", 24),
    (b"DE", 22),
    (b"DK", 18),
    (b"DO", 28),
    (b"EE", 20),
    (b"EG", 29),
    (b"ES", 24),
    (b"FI", 18),
    (b"FO", 18),
    (b"FR", 27),
    (b"GB", 22),
    (b"GE", 22),
    (b"GI", 23),
    (b"GL", 18),
    (b"GR", 27),
    (b"GT", 28),
    (b"HR", 21),
    (b"HU", 28),
    (b"IE", 22),
    (b"IL", 23),
    (b"IQ", 23),
    (b"IS", 26),
    (b"IT", 27),
    (b"JO", 30),
    (b"KW", 30),
    (b"KZ", 20),
    (b"LB", 28),
    (b"LC", 32),
    (b"LI", 21),
    (b"LT", 20),
    (b"LU", 20),
    (b"LV", 21),
    (b"MC", 27),
    (b"MD", 24),
    (b"ME", 22),
    (b"MK", 19),
    (b"MR", 27),
    (b"MT", 31),
    (b"MU", 30),
    (b"NL", 18),
    (b"NO", 15),
    (b"PK", 24),
    (b"PL", 28),
    (b"PS", 29),
    (b"PT", 25),
    (b"QA", 29),
    (b"RO", 24),
    (b"RS", 22),
    (b"SA", 24),
    (b"SC", 31),
    (b"SE", 24),
    (b"SI", 19),
    (b"SK", 24),
    (b"SM", 27),
    (b"ST", 25),
    (b"SV", 28),
    (b"TL", 23),
    (b"TN", 24),
    (b"TR", 26),
    (b"UA", 29),
    (b"VA", 22),
    (b"VG", 24),
    (b"XK", 20),
];

fn length_for(country: &[u8]) -> Option<usize> {
    LENGTHS.iter().find(|(code, _)| code.as_slice() == country).map(|(_, len)| *len)
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

/// The end of the IBAN whose country code starts at byte `start`, if one does there (the
/// number reader asks where two letters at a word's start are followed by digits).
pub fn at(bytes: &[u8], start: usize) -> Option<usize> {
    let head = bytes.get(start..start + 4)?;
    let shaped = head[0].is_ascii_alphabetic()
        && head[1].is_ascii_alphabetic()
        && head[2].is_ascii_digit()
        && head[3].is_ascii_digit()
        && (start == 0 || !bytes[start - 1].is_ascii_alphanumeric());
    if shaped { read_iban(bytes, start) } else { None }
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
            // A group that would make it longer than an IBAN can be ends it (the words
            // after one are read as groups too, and cut off here).
            break;
        }
        cuts.push((chars.len(), at));
        match bytes.get(at..at + 2) {
            Some([b' ' | b'-', next]) if next.is_ascii_alphanumeric() => at += 1,
            _ => break,
        }
    }
    let wanted = length_for(&chars[..2])?;
    let &(_, end) = cuts.iter().find(|(len, _)| *len == wanted)?;
    // A bank account number is mostly digits: words after a country code are not one.
    let digits = chars[4..wanted].iter().filter(|c| c.is_ascii_digit()).count();
    (digits >= 6 && iban_is_valid(&chars[..wanted])).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pii::mask_pii;

    #[test]
    fn finds_ibans_whole_grouped_and_in_any_case() {
        for (text, masked) in [
            ("IBAN DE89 3704 0044 0532 0130 00 gracias", "IBAN [IBAN] gracias"),
            ("es DE89370400440532013000.", "es [IBAN]."),
            ("cuentaES9121000418450200051332", "cuentaES9121000418450200051332"),
            ("mi cuenta es9121000418450200051332 en Madrid", "mi cuenta [IBAN] en Madrid"),
            ("ES91 2100 0418 4502 0005 1332", "[IBAN]"),
            ("gb82 west 1234 5698 7654 32 y nada más", "[IBAN] y nada más"),
            ("GB82-WEST-1234-5698-7654-32", "[IBAN]"),
            ("a FR7630006000011234567890189 por favor", "a [IBAN] por favor"),
        ] {
            assert_eq!(mask_pii(text), masked, "{text}");
        }
    }

    #[test]
    fn leaves_what_fails_the_check_or_the_length() {
        assert_eq!(at(b"DE89 3704 0044 0532 0130 01", 0), None, "one digit off");
        assert_eq!(mask_pii("KB5034441 y KB5034442"), "KB5034441 y KB5034442");
        assert_eq!(mask_pii("KB4344541 gracias"), "KB4344541 gracias", "no country KB");
        assert_eq!(mask_pii("ES12 gracias por la ayuda de hoy"), "ES12 gracias por la ayuda de hoy");
        assert_eq!(at(b"AB12 3456 7890 1234 5678", 0), None);
    }

    #[test]
    fn mod_97() {
        assert!(iban_is_valid(b"DE89370400440532013000"));
        assert!(!iban_is_valid(b"DE88370400440532013000"));
        assert!(!iban_is_valid(b"DE89"));
    }
}
