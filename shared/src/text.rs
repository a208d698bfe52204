//! Text helpers shared by the conversation engine and the PII masker: accent folding,
//! word splitting and a bounded edit distance for typo-tolerant matching.

/// Folds one character to lowercase ASCII where Spanish/Portuguese/French accents allow it
/// ("Á" → 'a', "ñ" → 'n'); other characters are lowercased unchanged.
pub fn fold_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    match c {
        'á' | 'à' | 'ä' | 'â' | 'ã' | 'Á' | 'À' | 'Ä' | 'Â' | 'Ã' => 'a',
        'é' | 'è' | 'ë' | 'ê' | 'É' | 'È' | 'Ë' | 'Ê' => 'e',
        'í' | 'ì' | 'ï' | 'î' | 'Í' | 'Ì' | 'Ï' | 'Î' => 'i',
        'ó' | 'ò' | 'ö' | 'ô' | 'õ' | 'Ó' | 'Ò' | 'Ö' | 'Ô' | 'Õ' => 'o',
        'ú' | 'ù' | 'ü' | 'û' | 'Ú' | 'Ù' | 'Ü' | 'Û' => 'u',
        'ñ' | 'Ñ' => 'n',
        'ç' | 'Ç' => 'c',
        _ => c.to_lowercase().next().unwrap_or(c),
    }
}

/// Lowercase, accent-free copy of `s`.
pub fn fold(s: &str) -> String {
    s.chars().map(fold_char).collect()
}

/// Splits folded text into words: runs of letters and digits; an apostrophe inside a word
/// is kept ("i'm", "don't") so English contractions stay whole.
pub fn words(s: &str) -> Vec<String> {
    // Folded as it is read (one char for one char): no folded copy of the text, no list of
    // its chars, only the words, each allocated once at its size (a word grown char by
    // char in its own string would be reallocated on its way to its length).
    let mut chars = s.chars().map(fold_char).peekable();
    let mut out = Vec::new();
    let mut current = String::with_capacity(s.len().min(64));
    while let Some(c) = chars.next() {
        let inner_apostrophe =
            (c == '\'' || c == '’') && !current.is_empty() && chars.peek().is_some_and(|n| n.is_alphanumeric());
        if c.is_alphanumeric() {
            current.push(c);
        } else if inner_apostrophe {
            current.push('\'');
        } else if !current.is_empty() {
            out.push(current.as_str().to_owned());
            current.clear();
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Longest word the stack-only fast path of [`edit_distance_within`] handles.
const STACK_WORD: usize = 32;

/// Damerau–Levenshtein (optimal string alignment) distance, giving up early once it is
/// certain to exceed `max`; returns `None` in that case. Words up to 32 characters are
/// compared without touching the heap.
pub fn edit_distance_within(a: &str, b: &str, max: usize) -> Option<usize> {
    edit_distance_within_sized(a, a.chars().count(), b, b.chars().count(), max)
}

/// [`edit_distance_within`] given both words' lengths in characters.
fn edit_distance_within_sized(a: &str, a_len: usize, b: &str, b_len: usize, max: usize) -> Option<usize> {
    let mut a_buf = ['\0'; STACK_WORD];
    let mut b_buf = ['\0'; STACK_WORD];
    if a_len.abs_diff(b_len) > max {
        return None;
    }
    if a_len > STACK_WORD || b_len > STACK_WORD {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        return osa_within(
            &a,
            &b,
            max,
            &mut vec![0; b.len() + 1],
            &mut vec![0; b.len() + 1],
            &mut vec![0; b.len() + 1],
        );
    }
    for (slot, c) in a_buf.iter_mut().zip(a.chars()) {
        *slot = c;
    }
    for (slot, c) in b_buf.iter_mut().zip(b.chars()) {
        *slot = c;
    }
    let mut rows = [[0usize; STACK_WORD + 1]; 3];
    let [prev2, prev, cur] = &mut rows;
    osa_within(&a_buf[..a_len], &b_buf[..b_len], max, prev2, prev, cur)
}

fn osa_within(
    a: &[char],
    b: &[char],
    max: usize,
    prev2: &mut [usize],
    prev: &mut [usize],
    cur: &mut [usize],
) -> Option<usize> {
    let width = b.len() + 1;
    for (j, slot) in prev[..width].iter_mut().enumerate() {
        *slot = j;
    }
    let (mut prev2, mut prev, mut cur) = (prev2, prev, cur);
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(prev2[j - 2] + 1);
            }
            cur[j] = best;
            row_min = row_min.min(best);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    let d = prev[b.len()];
    (d <= max).then_some(d)
}

/// How many typos a word of this length may carry and still match a keyword. Short
/// words must be exact: "mal" is not "mail", "red" is not "rey".
pub fn typo_budget(len: usize) -> usize {
    match len {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// True when `word` is `keyword` up to the typos its length allows. The first letter
/// must agree: people rarely mistype it, and it keeps "mouse" from matching "house".
/// Both lengths are in characters, counted once by the caller: a keyword list is compared
/// against the same few words many times, and most pairs are told apart by length alone.
pub fn fuzzy_eq_sized(word: &str, word_chars: usize, keyword: &str, keyword_chars: usize) -> bool {
    if word == keyword {
        return true;
    }
    let budget = typo_budget(keyword_chars);
    if budget == 0 || word_chars.abs_diff(keyword_chars) > budget || word.chars().next() != keyword.chars().next() {
        return false;
    }
    // Most keywords allow one typo, and folded words are ASCII: no table needed for that.
    if budget == 1 && word.is_ascii() && keyword.is_ascii() {
        return within_one_edit(word.as_bytes(), keyword.as_bytes());
    }
    edit_distance_within_sized(word, word_chars, keyword, keyword_chars, budget).is_some()
}

/// Whether `a` and `b` (different) are one substitution, insertion, deletion or swap of
/// neighbours apart: the optimal-string-alignment distance ≤ 1, in one pass.
fn within_one_edit(a: &[u8], b: &[u8]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let at = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    if short.len() == long.len() {
        if at == short.len() {
            return true;
        }
        let substituted = short[at + 1..] == long[at + 1..];
        let swapped = at + 1 < short.len()
            && short[at] == long[at + 1]
            && short[at + 1] == long[at]
            && short[at + 2..] == long[at + 2..];
        substituted || swapped
    } else {
        long.len() == short.len() + 1 && short[at..] == long[at + 1..]
    }
}

/// Uppercases the first character of `word` (which may be multi-byte).
pub fn capitalize_first(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_one_edit_shortcut_agrees_with_the_table() {
        let words = [
            "mouse",
            "mause",
            "muose",
            "mous",
            "mousse",
            "house",
            "impresora",
            "imprsora",
            "impresroa",
            "lenta",
            "lento",
            "elnta",
            "lentaa",
            "lnta",
            "teclado",
            "teclaco",
            "tecaldo",
            "router",
            "ruoter",
            "ab",
            "ba",
            "a",
        ];
        for a in words {
            for b in words {
                if a == b {
                    continue;
                }
                let table = edit_distance_within(a, b, 1).is_some();
                assert_eq!(within_one_edit(a.as_bytes(), b.as_bytes()), table, "{a} / {b}");
            }
        }
    }

    fn fuzzy_eq(word: &str, keyword: &str) -> bool {
        fuzzy_eq_sized(word, word.chars().count(), keyword, keyword.chars().count())
    }

    #[test]
    fn folds_accents_and_case() {
        assert_eq!(fold("Ñandú ÁRBOL Über Ça"), "nandu arbol uber ca");
    }

    #[test]
    fn splits_words_keeping_contractions() {
        assert_eq!(words("Hola, I'm Ann! ¿La PC no-anda?"), vec!["hola", "i'm", "ann", "la", "pc", "no", "anda"]);
        assert_eq!(words("'quoted'"), vec!["quoted"]);
    }

    #[test]
    fn edit_distance_counts_transpositions_once() {
        assert_eq!(edit_distance_within("impresora", "imrpesora", 2), Some(1));
        assert_eq!(edit_distance_within("teclado", "teclao", 1), Some(1));
        assert_eq!(edit_distance_within("mouse", "house", 1), Some(1));
        assert_eq!(edit_distance_within("virus", "wifi", 2), None);
        assert_eq!(edit_distance_within("", "abc", 3), Some(3));
        let long_a = "a".repeat(40);
        let long_b = format!("{}b", "a".repeat(39));
        assert_eq!(edit_distance_within(&long_a, &long_b, 1), Some(1), "heap path for long words");
    }

    #[test]
    fn fuzzy_eq_respects_length_budget() {
        assert!(fuzzy_eq(&fold("contraseña"), "contrasena"));
        assert!(fuzzy_eq("contrasea", "contrasena"));
        assert!(fuzzy_eq("impresroa", "impresora"));
        assert!(!fuzzy_eq("red", "rey"), "short words must match exactly");
        assert!(!fuzzy_eq("mal", "mail"));
        assert!(!fuzzy_eq("house", "mouse"), "first letter must agree");
        assert!(fuzzy_eq("lenta", "lento"));
    }

    #[test]
    fn capitalizes_multibyte_first_letter() {
        assert_eq!(capitalize_first("ángel"), "Ángel");
        assert_eq!(capitalize_first(""), "");
    }
}
