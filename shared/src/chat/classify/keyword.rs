//! Keyword patterns and the message they are matched against: folded words, typos
//! allowed by length, stems, exact words, and phrases with one word of slack.

use crate::text::{fuzzy_eq_sized, words};

/// One word of a keyword pattern.
pub(super) struct PatternWord {
    word: String,
    chars: usize,
    stem: bool,
    exact: bool,
}

impl PatternWord {
    fn matches(&self, message: &Message, at: usize) -> bool {
        let token = &message.tokens[at];
        if self.stem {
            token.starts_with(&self.word)
        } else if self.exact {
            *token == self.word
        } else {
            fuzzy_eq_sized(token, message.chars[at], &self.word, self.chars)
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Strength {
    Weak,
    Normal,
    Strong,
}

pub(super) struct Keyword {
    words: Vec<PatternWord>,
    strength: Strength,
}

impl Keyword {
    pub(super) fn parse(raw: &str) -> Keyword {
        let (strength, raw) = match raw.as_bytes().first() {
            Some(b'!') => (Strength::Strong, &raw[1..]),
            Some(b'~') => (Strength::Weak, &raw[1..]),
            _ => (Strength::Normal, raw),
        };
        // `=word`: that word exactly, where a typo would make another word ("raton", "rato").
        let (exact, raw) = match raw.strip_prefix('=') {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        let mut out = Vec::new();
        for piece in raw.split_whitespace() {
            let stem = piece.ends_with('*');
            let tokens = words(piece.trim_end_matches('*'));
            let last = tokens.len().saturating_sub(1);
            for (i, word) in tokens.into_iter().enumerate() {
                out.push(PatternWord { chars: word.chars().count(), word, stem: stem && i == last, exact });
            }
        }
        Keyword { words: out, strength }
    }

    pub(super) fn first_letter(&self) -> Option<char> {
        self.words.first()?.word.chars().next()
    }

    /// The token positions of the first match. Phrase words must appear in order; one
    /// unrelated word may sit between two of them ("no enciende *la* pantalla"). (The
    /// index asks [`Keyword::find_from`] directly, once per first word.)
    #[cfg(test)]
    pub(super) fn find(&self, message: &Message) -> Option<Vec<usize>> {
        // Typo tolerance keeps the first letter, so only tokens sharing it can start a match.
        let starts = message.starting_with(self.first_letter()?);
        let starts: Vec<usize> = starts.iter().copied().filter(|&at| self.first_matches(message, at)).collect();
        self.find_from(message, &starts)
    }

    /// What the first word is: keywords that share it match it at the same tokens.
    pub(super) fn first_word(&self) -> Option<(&str, bool, bool)> {
        self.words.first().map(|w| (w.word.as_str(), w.stem, w.exact))
    }

    /// Whether the first word matches the token at `at`.
    pub(super) fn first_matches(&self, message: &Message, at: usize) -> bool {
        self.words.first().is_some_and(|w| w.matches(message, at))
    }

    /// [`Keyword::find`] from `starts`, the tokens its first word matches, in order.
    pub(super) fn find_from(&self, message: &Message, starts: &[usize]) -> Option<Vec<usize>> {
        let tokens = message.tokens.len();
        let after = |w: &PatternWord, at: usize| (at + 1..tokens.min(at + 3)).find(|&k| w.matches(message, k));
        let (_, rest) = self.words.split_first()?;
        let Some((second, more)) = rest.split_first() else {
            return starts.first().map(|&start| vec![start]);
        };
        starts.iter().find_map(|&start| {
            // Most starts fail at the second word: nothing is allocated before it matched.
            let mut at = after(second, start)?;
            let mut positions = Vec::with_capacity(self.words.len());
            positions.extend([start, at]);
            for w in more {
                at = after(w, at)?;
                positions.push(at);
            }
            Some(positions)
        })
    }

    #[cfg(test)]
    pub(super) fn matches(&self, tokens: &[String]) -> bool {
        self.find(&Message::new(tokens.to_vec())).is_some()
    }

    /// Longer phrases say more than single words.
    pub(super) fn weight(&self) -> u32 {
        let n = self.words.len() as u32;
        let normal = if n > 1 { 2 * n + 1 } else { 2 };
        match self.strength {
            Strength::Weak => 1,
            Strength::Normal => normal,
            Strength::Strong => normal + 3,
        }
    }
}

/// The visitor's words, folded, with where each first letter occurs.
pub(super) struct Message {
    pub(super) tokens: Vec<String>,
    /// Each token's length in characters.
    chars: Vec<usize>,
    /// Sorted by letter: every keyword of every category looks its first letter up here,
    /// and a binary search over a message's few distinct letters beats hashing each time.
    by_first_char: Vec<(char, Vec<usize>)>,
}

/// "leeenta" → "lenta", "nooo" → "no": a vowel typed three or more times in a row is one
/// vowel (no Spanish or English word has such a run; consonants may: "pppoe", "www").
pub(super) fn collapse_runs(token: String) -> String {
    let vowel = |b: u8| matches!(b, b'a' | b'e' | b'i' | b'o' | b'u');
    // Bytes first: most tokens have no run at all, and need no copy.
    if !token.as_bytes().windows(3).any(|w| vowel(w[0]) && w[0] == w[1] && w[1] == w[2]) {
        return token;
    }
    let chars: Vec<char> = token.chars().collect();
    let mut out = String::with_capacity(token.len());
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..].iter().take_while(|&&c| c == chars[i]).count();
        let keep = if run >= 3 && chars[i].is_ascii() && vowel(chars[i] as u8) { 1 } else { run };
        out.extend(std::iter::repeat_n(chars[i], keep));
        i += run;
    }
    out
}

impl Message {
    pub(super) fn new(tokens: Vec<String>) -> Message {
        let tokens: Vec<String> = tokens.into_iter().map(collapse_runs).collect();
        let mut by_first_char: Vec<(char, Vec<usize>)> = Vec::new();
        for (i, t) in tokens.iter().enumerate() {
            let Some(c) = t.chars().next() else { continue };
            match by_first_char.binary_search_by_key(&c, |(letter, _)| *letter) {
                Ok(at) => by_first_char[at].1.push(i),
                Err(at) => by_first_char.insert(at, (c, vec![i])),
            }
        }
        let chars = tokens.iter().map(|t| t.chars().count()).collect();
        Message { tokens, chars, by_first_char }
    }

    /// The letters its words start with.
    pub(super) fn letters(&self) -> impl Iterator<Item = char> + '_ {
        self.by_first_char.iter().map(|(c, _)| *c)
    }

    /// Positions of the tokens that start with `letter`, in order.
    pub(super) fn starting_with(&self, letter: char) -> &[usize] {
        match self.by_first_char.binary_search_by_key(&letter, |(c, _)| *c) {
            Ok(at) => &self.by_first_char[at].1,
            Err(_) => &[],
        }
    }
}
