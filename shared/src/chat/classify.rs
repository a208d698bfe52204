//! Problem classification: free text → knowledge-base category, tolerant of accents,
//! typos and word order. Every category's keywords score the words; then a named device
//! narrows the choice to its family (`devices`), and a request for help doing something
//! prefers a guide while a report of something broken prefers troubleshooting (`requests`).

use std::sync::LazyLock;

use super::kb::{self, Category, Kind};
use crate::text::{fuzzy_eq_sized, words};

/// One word of a keyword pattern.
struct PatternWord {
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

struct Keyword {
    words: Vec<PatternWord>,
    strength: Strength,
}

impl Keyword {
    fn parse(raw: &str) -> Keyword {
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

    fn first_letter(&self) -> Option<char> {
        self.words.first()?.word.chars().next()
    }

    /// The token positions of the first match. Phrase words must appear in order; one
    /// unrelated word may sit between two of them ("no enciende *la* pantalla").
    fn find(&self, message: &Message) -> Option<Vec<usize>> {
        let first = self.words.first()?;
        let tokens = message.tokens.len();
        // Typo tolerance keeps the first letter, so only tokens sharing it can start a match.
        let starts = message.starting_with(first.word.chars().next()?);
        starts.iter().find_map(|&start| {
            if !first.matches(message, start) {
                return None;
            }
            let mut positions = vec![start];
            for w in &self.words[1..] {
                let at = positions[positions.len() - 1];
                let found = (at + 1..tokens.min(at + 3)).find(|&k| w.matches(message, k))?;
                positions.push(found);
            }
            Some(positions)
        })
    }

    #[cfg(test)]
    fn matches(&self, tokens: &[String]) -> bool {
        self.find(&Message::new(tokens.to_vec())).is_some()
    }

    /// Longer phrases say more than single words.
    fn weight(&self) -> u32 {
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
struct Message {
    tokens: Vec<String>,
    /// Each token's length in characters.
    chars: Vec<usize>,
    /// Sorted by letter: every keyword of every category looks its first letter up here,
    /// and a binary search over a message's few distinct letters beats hashing each time.
    by_first_char: Vec<(char, Vec<usize>)>,
}

/// "leeenta" → "lenta", "nooo" → "no": a vowel typed three or more times in a row is one
/// vowel (no Spanish or English word has such a run; consonants may: "pppoe", "www").
fn collapse_runs(token: String) -> String {
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
    fn new(tokens: Vec<String>) -> Message {
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
    fn letters(&self) -> impl Iterator<Item = char> + '_ {
        self.by_first_char.iter().map(|(c, _)| *c)
    }

    /// Positions of the tokens that start with `letter`, in order.
    fn starting_with(&self, letter: char) -> &[usize] {
        match self.by_first_char.binary_search_by_key(&letter, |(c, _)| *c) {
            Ok(at) => &self.by_first_char[at].1,
            Err(_) => &[],
        }
    }
}

/// A category's score from its keywords' matches (weight, positions): each keyword adds
/// its weight if it matched at least one word no other keyword of the category used
/// ("lento" and "lenta" both matching "lenta" count once).
fn category_score(mut matches: Vec<(u32, Vec<usize>)>, message: &Message) -> u32 {
    if matches.is_empty() {
        return 0;
    }
    let mut used = vec![false; message.tokens.len()];
    matches.sort_by_key(|m| std::cmp::Reverse(m.0));
    let mut score = 0;
    for (weight, positions) in matches {
        if positions.iter().any(|&p| !used[p]) {
            score += weight;
            for p in positions {
                used[p] = true;
            }
        }
    }
    score
}

/// Every category's keywords, tagged with the category's place in `kb::categories()`.
static COMPILED: LazyLock<(Vec<&'static Category>, Indexed<u16>)> = LazyLock::new(|| {
    let categories: Vec<&'static Category> = kb::categories().collect();
    let keywords = categories.iter().enumerate().flat_map(|(i, c)| {
        let tag = u16::try_from(i).unwrap_or(u16::MAX);
        c.keywords.iter().map(move |k| (*k, tag))
    });
    let index = Indexed::parse(keywords);
    (categories, index)
});

/// Phrases that say something is wrong without saying what.
const VAGUE: &[&str] = &[
    "no anda",
    "no funciona",
    "no me anda",
    "no me funciona",
    "anda mal",
    "funciona mal",
    "problema",
    "problemas",
    "ayuda",
    "ayudame",
    "se rompio",
    "esta rota",
    "esta roto",
    "falla",
    "fallando",
    "no va",
    "algo raro",
    "cosa rara",
    "computadora",
    "compu",
    "pc",
    "notebook",
    "laptop",
    "equipo",
    "maquina",
    "help",
    "not working",
    "doesn't work",
    "doesnt work",
    "broken",
    "issue",
    "problem",
    "something wrong",
    "computer",
    "error",
];

static VAGUE_COMPILED: LazyLock<Indexed<()>> = LazyLock::new(|| Indexed::parse(VAGUE.iter().map(|k| (*k, ()))));

/// How a description of a problem was understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Classification {
    /// One category clearly fits.
    Category(&'static str),
    /// Several categories fit equally well: ask which.
    Ambiguous(Vec<&'static str>),
    /// Something is wrong, but the text doesn't say what.
    Vague,
    /// A concrete description that matches nothing we know.
    Unknown,
}

/// Scores every category against `text`, best first; categories that match nothing are left out.
pub fn scores(text: &str) -> Vec<(&'static str, u32)> {
    scores_of(&Message::new(words(text))).into_iter().map(|(c, s)| (c.id, s)).collect()
}

fn scores_of(message: &Message) -> Vec<(&'static Category, u32)> {
    let (categories, index) = &*COMPILED;
    let mut found: Vec<(u16, u32, Vec<usize>)> =
        index.matches(message).map(|(keyword, tag, positions)| (tag, keyword.weight(), positions)).collect();
    found.sort_by_key(|(tag, _, _)| *tag);
    let mut scored: Vec<(&'static Category, u32)> = Vec::new();
    let mut found = found.into_iter().peekable();
    while let Some((tag, weight, positions)) = found.next() {
        let mut matches = vec![(weight, positions)];
        while let Some((_, weight, positions)) = found.next_if(|(next, _, _)| *next == tag) {
            matches.push((weight, positions));
        }
        let Some(&category) = categories.get(usize::from(tag)) else { continue };
        let score = category_score(matches, message);
        if score > 0 {
            scored.push((category, score));
        }
    }
    scored.sort_by_key(|s| std::cmp::Reverse(s.1));
    scored
}

/// The scored categories the message is about, best first: a named device keeps its
/// family's (or, when none of them matched, or a request matched no guide, the family's
/// first of the wanted kind); devices that share nothing each keep their best, as equals;
/// then a request
/// keeps the guides and a report the faults, when any of those are left.
fn focus(message: &Message, scored: Vec<(&'static Category, u32)>) -> Vec<(&'static Category, u32)> {
    // Read only when it can change the answer: most messages match one kind only.
    let want_cell = std::cell::OnceCell::new();
    let want = || *want_cell.get_or_init(|| requests::want(message));
    let families = devices::families(message);
    let mut pool = scored;
    if !families.is_empty() {
        let allowed = devices::allowed(&families);
        pool.retain(|(c, _)| allowed.contains(&c.id));
        // A request about a device with a guide gets it, even worded unlike its keywords;
        // a report keeps what its words matched (a TV's guide covers its troubles too).
        let lacks_guide = !pool.is_empty()
            && !pool.iter().any(|(c, _)| c.kind == Kind::Guide)
            && families.iter().flat_map(|f| f.iter()).any(|id| kb::category(id).is_some_and(|c| c.kind == Kind::Guide))
            && want() == requests::Want::Task;
        if pool.is_empty() || lacks_guide {
            pool = family_defaults(&families, want());
        } else if families.len() > 1 && !devices::share_any(&families) {
            pool = best_of_each(&families, pool);
        }
    }
    let both_kinds = pool.iter().any(|(c, _)| c.kind == Kind::Guide) && pool.iter().any(|(c, _)| c.kind == Kind::Fault);
    let kind = match (both_kinds, both_kinds.then(want)) {
        (true, Some(requests::Want::Task)) => Kind::Guide,
        (true, Some(requests::Want::Fix)) => Kind::Fault,
        _ => return pool,
    };
    pool.retain(|(c, _)| c.kind == kind);
    pool
}

/// The best-scored category of each family that has one, all at the best score: the
/// visitor is asked which device to start with.
fn best_of_each(
    families: &[&'static [&'static str]],
    pool: Vec<(&'static Category, u32)>,
) -> Vec<(&'static Category, u32)> {
    let top = pool.first().map_or(0, |(_, s)| *s);
    let mut picked: Vec<(&'static Category, u32)> = Vec::new();
    for family in families {
        if let Some((c, _)) = pool.iter().find(|(c, _)| family.contains(&c.id))
            && !picked.iter().any(|(p, _)| p.id == c.id)
        {
            picked.push((c, top));
        }
    }
    if picked.len() > 1 { picked } else { pool }
}

/// Each named device's first category of the wanted kind (its first at all otherwise),
/// equally likely.
fn family_defaults(families: &[&'static [&'static str]], want: requests::Want) -> Vec<(&'static Category, u32)> {
    let wanted = if want == requests::Want::Task { Kind::Guide } else { Kind::Fault };
    let mut defaults: Vec<(&'static Category, u32)> = Vec::new();
    for family in families {
        let members = || family.iter().filter_map(|id| kb::category(id));
        let Some(pick) = members().find(|c| c.kind == wanted).or_else(|| members().next()) else { continue };
        if !defaults.iter().any(|(c, _)| c.id == pick.id) {
            defaults.push((pick, 1));
        }
    }
    defaults
}

pub fn classify(text: &str) -> Classification {
    let message = Message::new(words(text));
    let scored: Vec<(&'static str, u32)> =
        focus(&message, scores_of(&message)).into_iter().map(|(c, s)| (c.id, s)).collect();
    match scored.as_slice() {
        [] => {
            let n = message.tokens.len();
            if n <= 4 || VAGUE_COMPILED.any(&message) { Classification::Vague } else { Classification::Unknown }
        }
        [(only, _)] => Classification::Category(only),
        [(first, best), (_, second), ..] if best > second => Classification::Category(first),
        [(_, best), ..] => {
            Classification::Ambiguous(scored.iter().take_while(|(_, s)| s == best).map(|(id, _)| *id).take(4).collect())
        }
    }
}

/// True when `text` names a problem of a known category with some confidence.
pub fn names_a_problem(text: &str) -> bool {
    matches!(classify(text), Classification::Category(_) | Classification::Ambiguous(_))
}

mod devices;
mod index;
mod requests;

use index::Indexed;
#[cfg(test)]
mod tests;
