//! Problem classification: free text → knowledge-base category, tolerant of accents,
//! typos and word order. Every category's keywords score the words; then a named device
//! narrows the choice to its family (`devices`), and a request for help doing something
//! prefers a guide while a report of something broken prefers troubleshooting (`requests`).

use std::sync::LazyLock;

use super::kb::{self, Category, Kind};
use crate::text::words;

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
/// then a request keeps the guides and a report the faults, when any of those are left.
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
mod keyword;
mod requests;

use index::Indexed;
use keyword::Message;
#[cfg(test)]
mod tests;
