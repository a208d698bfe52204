//! Text as the masker reads it. Compatibility forms are folded by NFKC (fullwidth digits
//! "１１ ４５６７", ligatures, superscripts), the dashes and minus signs people paste are
//! mapped to '-', and invisible characters (zero-width spaces and joiners, soft hyphens,
//! byte-order marks) are dropped, so that no formatting trick keeps a number or an address
//! out of sight.

use std::borrow::Cow;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}')
}

/// Latin-1 letters and Spanish punctuation that NFKC maps to themselves (unlike "ª",
/// "²", "½", the no-break space or the soft hyphen, which it folds or we drop).
fn is_stable_latin(c: char) -> bool {
    matches!(c, '¡' | '¿' | '«' | '»' | '°' | '·' | 'À'..='Ö' | 'Ø'..='ö' | 'ø'..='ÿ')
}

fn is_dash(c: char) -> bool {
    matches!(
        c,
        '\u{2010}'
            | '\u{2011}'
            | '\u{2012}'
            | '\u{2013}'
            | '\u{2014}'
            | '\u{2015}'
            | '\u{2212}'
            | '\u{FE58}'
            | '\u{FE63}'
            | '\u{FF0D}'
    )
}

/// What NFKC (plus our dash and invisible rules) makes of a character on its own, for the
/// characters whose folding does not depend on their neighbours; `None` for the rest.
fn fold_alone(c: char) -> Option<Option<char>> {
    match c {
        _ if c.is_ascii() || is_stable_latin(c) => Some(Some(c)),
        _ if is_dash(c) => Some(Some('-')),
        _ if is_invisible(c) => Some(None),
        '\u{00A0}' | '\u{3000}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' => Some(Some(' ')),
        // Fullwidth ASCII ("１１ ４５６７", "ａｎａ＠ｍａｉｌ"), except the fullwidth hyphen-minus,
        // which is a dash.
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).map(Some),
        _ => None,
    }
}

/// `text` folded character by character when every character allows it.
fn fold_simple(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if let Some(folded) = fold_alone(c)? {
            out.push(folded);
        }
    }
    Some(out)
}

/// `text` ready for masking; borrowed when it is already (the usual case: ASCII, or
/// Spanish with its precomposed accents).
pub fn normalise(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    // Spanish text is ASCII plus a few accented letters that NFKC leaves as they are:
    // one pass decides it without the normaliser's tables.
    if text.chars().all(|c| c.is_ascii() || is_stable_latin(c)) {
        return Cow::Borrowed(text);
    }
    // Pasted numbers and addresses: fullwidth forms, no-break spaces, dashes and
    // invisible characters, folded one character at a time.
    if let Some(folded) = fold_simple(text) {
        return Cow::Owned(folded);
    }
    let plain = !text.chars().any(|c| is_invisible(c) || is_dash(c));
    if plain && is_nfkc_quick(text.chars()) == IsNormalized::Yes {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.nfkc() {
        if is_dash(c) {
            out.push('-');
        } else if !is_invisible(c) {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn folds_what_hides_numbers_and_addresses() {
        assert_eq!(normalise("１１ ４５６７ ８９０１"), "11 4567 8901");
        assert_eq!(normalise("11\u{2011}4567\u{2010}8901 \u{2212}5"), "11-4567-8901 -5");
        assert_eq!(normalise("ana\u{200B}@exam\u{00AD}ple.com"), "ana@example.com");
        assert_eq!(normalise("\u{FEFF}hola\u{00A0}mundo"), "hola mundo");
    }

    #[test]
    fn leaves_ordinary_text_alone_and_borrowed() {
        for text in ["la impresora no imprime", "¿Qué pasó con el módem? Ñandú, pingüino", ""] {
            assert!(matches!(normalise(text), std::borrow::Cow::Borrowed(t) if t == text), "{text}");
        }
    }

    #[test]
    fn the_latin_fast_path_agrees_with_nfkc() {
        use unicode_normalization::UnicodeNormalization;
        for c in (0xA0u32..=0xFF).filter_map(char::from_u32).filter(|c| super::is_stable_latin(*c)) {
            assert_eq!(c.to_string().nfkc().collect::<String>(), c.to_string(), "{c:?} is not NFKC-stable");
        }
    }

    #[test]
    fn folding_alone_agrees_with_nfkc() {
        use unicode_normalization::UnicodeNormalization;
        let mut checked = 0;
        for c in (0u32..=0xFFFF).filter_map(char::from_u32) {
            let Some(alone) = super::fold_alone(c) else { continue };
            let by_nfkc: String = c
                .to_string()
                .nfkc()
                .filter(|c| !super::is_invisible(*c))
                .map(|c| if super::is_dash(c) { '-' } else { c })
                .collect();
            assert_eq!(alone.map(String::from).unwrap_or_default(), by_nfkc, "{c:?}");
            checked += 1;
        }
        assert!(checked > 300, "only {checked} characters take the simple path");
        // A combining mark composes with what precedes it: never the simple path.
        assert_eq!(normalise("e\u{301} １"), "é 1");
    }

    #[test]
    fn is_idempotent() {
        for text in ["ＡＢＣ １２３", "x\u{2013}y", "ﬁn ½ m²", "a\u{200D}b"] {
            let once = normalise(text).into_owned();
            assert_eq!(normalise(&once), once);
        }
    }
}
