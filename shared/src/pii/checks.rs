//! Check-digit validators for Argentine identifiers and payment cards. Inputs are ASCII
//! digit strings; anything else is simply invalid.

/// The values of exactly `N` ASCII digits, on the stack: the validators run for every
/// candidate number of every message.
fn digit_values<const N: usize>(digits: &str) -> Option<[u32; N]> {
    let bytes = digits.as_bytes();
    if bytes.len() != N {
        return None;
    }
    let mut values = [0; N];
    for (value, byte) in values.iter_mut().zip(bytes) {
        *value = char::from(*byte).to_digit(10)?;
    }
    Some(values)
}

/// CBU/CVU: 22 digits in two blocks, each closed by a weighted mod-10 check digit.
pub fn cbu_is_valid(digits: &str) -> bool {
    let Some(d) = digit_values::<22>(digits) else {
        return false;
    };
    let check = |block: &[u32], weights: &[u32]| {
        let sum: u32 = block.iter().zip(weights).map(|(a, b)| a * b).sum();
        (10 - sum % 10) % 10
    };
    check(&d[0..7], &[7, 1, 3, 9, 7, 1, 3]) == d[7]
        && check(&d[8..21], &[3, 9, 7, 1, 3, 9, 7, 1, 3, 9, 7, 1, 3]) == d[21]
}

/// CUIT/CUIL/CDI: 11 digits, a known type prefix and a mod-11 check digit.
pub fn cuit_is_valid(digits: &str) -> bool {
    let Some(d) = digit_values::<11>(digits) else {
        return false;
    };
    let prefix = d[0] * 10 + d[1];
    if !matches!(prefix, 20 | 23 | 24 | 25 | 26 | 27 | 30 | 33 | 34) {
        return false;
    }
    let weights = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    let sum: u32 = d[..10].iter().zip(weights).map(|(a, b)| a * b).sum();
    let expected = match 11 - sum % 11 {
        11 => 0,
        10 => 9,
        r => r,
    };
    expected == d[10]
}

/// The Luhn checksum used by every payment card number (and, alas, by IMEIs).
pub fn luhn_is_valid(digits: &str) -> bool {
    if digits.len() < 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .map(|b| u32::from(b - b'0'))
        .enumerate()
        .map(|(i, v)| {
            if i % 2 == 1 {
                let dbl = v * 2;
                if dbl > 9 { dbl - 9 } else { dbl }
            } else {
                v
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn prefix_in(digits: &str, len: usize, low: u32, high: u32) -> bool {
    digits.get(..len).and_then(|p| p.parse::<u32>().ok()).is_some_and(|p| (low..=high).contains(&p))
}

/// Whether the issuer prefix fits a real card network for a number of this length
/// (Visa, Mastercard, Amex, Diners, Discover, JCB, Maestro, Cabal, Naranja). Long
/// order numbers that happen to pass Luhn rarely also fit a network.
pub fn card_issuer_plausible(digits: &str) -> bool {
    let visa = digits.starts_with('4');
    match digits.len() {
        13 => visa,
        14 => prefix_in(digits, 2, 36, 36) || prefix_in(digits, 2, 38, 38) || prefix_in(digits, 3, 300, 305),
        15 => prefix_in(digits, 2, 34, 34) || prefix_in(digits, 2, 37, 37),
        16 => {
            visa || prefix_in(digits, 2, 51, 55)
                || prefix_in(digits, 4, 2221, 2720)
                || prefix_in(digits, 4, 6011, 6011)
                || prefix_in(digits, 2, 65, 65)
                || prefix_in(digits, 3, 644, 649)
                || prefix_in(digits, 4, 3528, 3589)
                || prefix_in(digits, 4, 5896, 5896)
                || prefix_in(digits, 4, 6042, 6043)
                || prefix_in(digits, 2, 50, 50)
                || prefix_in(digits, 2, 56, 58)
                || prefix_in(digits, 2, 60, 69)
        }
        17..=19 => visa || prefix_in(digits, 2, 50, 50) || prefix_in(digits, 2, 56, 69),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cbu_check_digits() {
        assert!(cbu_is_valid("2850590940090418135201"));
        assert!(cbu_is_valid("0170099220000067797370"));
        assert!(!cbu_is_valid("2850590940090418135202"), "second check digit");
        assert!(!cbu_is_valid("2850591940090418135201"), "first check digit");
        assert!(!cbu_is_valid("285059094009041813520"), "length");
        assert!(!cbu_is_valid("28505909400904181352x1"));
    }

    #[test]
    fn cuit_check_digit() {
        assert!(cuit_is_valid("20123456786"));
        assert!(cuit_is_valid("27123456780"));
        assert!(cuit_is_valid("30500010912"));
        assert!(!cuit_is_valid("20123456787"));
        assert!(!cuit_is_valid("21123456786"), "unknown prefix");
        assert!(!cuit_is_valid("2012345678"));
    }

    #[test]
    fn luhn_and_networks() {
        assert!(luhn_is_valid("4111111111111111"));
        assert!(luhn_is_valid("5555555555554444"));
        assert!(luhn_is_valid("378282246310005"));
        assert!(!luhn_is_valid("4111111111111112"));
        assert!(card_issuer_plausible("4111111111111111"));
        assert!(card_issuer_plausible("378282246310005"));
        assert!(card_issuer_plausible("2223000048400011"));
        assert!(!card_issuer_plausible("352099001761481"), "an IMEI is not an Amex");
        assert!(!card_issuer_plausible("2000004567891234"), "marketplace order ids");
        assert!(!card_issuer_plausible("1234567890123"));
    }
}
