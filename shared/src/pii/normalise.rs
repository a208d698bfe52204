//! Text as the masker reads it. Compatibility forms are folded by NFKC (fullwidth digits
//! "１１ ４５６７", ligatures, superscripts), the dashes and minus signs people paste are
//! mapped to '-', ideographic full stops to '.', line and paragraph separators to spaces,
//! and invisible characters (Unicode's default-ignorable code points: zero-width spaces
//! and joiners, soft hyphens, byte-order marks, the combining grapheme joiner, bidi
//! controls…) are dropped, so that no formatting trick keeps a number or an address out
//! of sight. Variation selectors are dropped only next to a digit: after an emoji they
//! choose how it is drawn.

use std::borrow::Cow;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

/// Default-ignorable code points (DerivedCoreProperties.txt), less the variation
/// selectors (see [`is_variation_selector`]).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{FE00}'..='\u{FE0F}')
}

/// Marks that end a sentence or split a number the way '.' does.
fn is_dot(c: char) -> bool {
    matches!(c, '\u{3002}' | '\u{FF61}')
}

fn is_line_break(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}')
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
        _ if is_dot(c) => Some(Some('.')),
        _ if is_line_break(c) => Some(Some(' ')),
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

fn next_is_digit(from_selector: &str) -> bool {
    from_selector.chars().nth(1).is_some_and(|c| c.is_ascii_digit())
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
    let special = |c: char| is_invisible(c) || is_dash(c) || is_dot(c) || is_line_break(c);
    let selector_by_digit = |(i, c): (usize, char)| {
        is_variation_selector(c) && (text[..i].ends_with(|p: char| p.is_ascii_digit()) || next_is_digit(&text[i..]))
    };
    let plain = !text.chars().any(special) && !text.char_indices().any(selector_by_digit);
    if plain && is_nfkc_quick(text.chars()) == IsNormalized::Yes {
        return Cow::Borrowed(text);
    }
    let folded: Vec<char> = text.nfkc().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in folded.iter().enumerate() {
        let by_digit = |k: Option<usize>| k.and_then(|k| folded.get(k)).is_some_and(char::is_ascii_digit);
        if is_dash(c) {
            out.push('-');
        } else if is_dot(c) {
            out.push('.');
        } else if is_line_break(c) {
            out.push(' ');
        } else if is_variation_selector(c) && (by_digit(i.checked_sub(1)) || by_digit(Some(i + 1))) {
            // Between digits it only hides a number; a keycap ("1️⃣") keeps its digit.
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
        assert_eq!(normalise("4111\u{034F}1111\u{2028}1111\u{2029}1111"), "41111111 1111 1111");
        assert_eq!(normalise("30\u{202E}123\u{2066}456"), "30123456");
        assert_eq!(normalise("ana@gmail\u{3002}com"), "ana@gmail.com");
        assert_eq!(normalise("4111\u{FE0F}1111"), "41111111");
    }

    #[test]
    fn emoji_keep_how_they_are_drawn() {
        assert_eq!(normalise("gracias ❤\u{FE0F}"), "gracias ❤\u{FE0F}");
        assert_eq!(normalise("👩\u{200D}💻 hola"), "👩💻 hola");
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
                .map(|c| match c {
                    _ if super::is_dash(c) => '-',
                    _ if super::is_dot(c) => '.',
                    _ if super::is_line_break(c) => ' ',
                    _ => c,
                })
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
