//! Keywords indexed by their first letter, and under it by their first word. Typo
//! tolerance keeps the first letter, so a message need only visit the keywords that start
//! with a letter one of its words starts with — a third of them, typically — instead of
//! asking every keyword to look; and keywords that open with the same word ("no enciende",
//! "no prende", "no carga": 625 keywords, 420 first words) ask about it once.

use super::keyword::{Keyword, Message};

pub(super) struct Indexed<T> {
    keywords: Vec<(Keyword, T)>,
    /// Sorted by letter: the keywords starting with it, grouped by their first word.
    by_letter: Vec<(char, Vec<FirstWord>)>,
}

/// Keywords (their places in `keywords`, in order) that open with the same word.
struct FirstWord {
    members: Vec<u32>,
}

impl<T: Copy> Indexed<T> {
    pub(super) fn new(entries: impl IntoIterator<Item = (Keyword, T)>) -> Indexed<T> {
        let keywords: Vec<(Keyword, T)> = entries.into_iter().filter(|(k, _)| k.first_letter().is_some()).collect();
        let mut by_letter: Vec<(char, Vec<FirstWord>)> = Vec::new();
        for (i, (keyword, _)) in keywords.iter().enumerate() {
            let (Some(letter), Some(word)) = (keyword.first_letter(), keyword.first_word()) else { continue };
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            let at = match by_letter.binary_search_by_key(&letter, |(c, _)| *c) {
                Ok(at) => at,
                Err(at) => {
                    by_letter.insert(at, (letter, Vec::new()));
                    at
                }
            };
            let groups = &mut by_letter[at].1;
            let same = groups.iter_mut().find(|g| keywords[g.members[0] as usize].0.first_word() == Some(word));
            match same {
                Some(group) => group.members.push(i),
                None => groups.push(FirstWord { members: vec![i] }),
            }
        }
        Indexed { keywords, by_letter }
    }

    /// Parses `raw` keywords, each with its tag.
    pub(super) fn parse<'a>(raw: impl IntoIterator<Item = (&'a str, T)>) -> Indexed<T> {
        Indexed::new(raw.into_iter().map(|(k, tag)| (Keyword::parse(k), tag)))
    }

    /// Every keyword that matches the message: itself, its tag and where it matched; by
    /// the message's letters, and under each letter in the order the keywords were given.
    pub(super) fn matches<'a>(
        &'a self,
        message: &'a Message,
    ) -> impl Iterator<Item = (&'a Keyword, T, Vec<usize>)> + 'a {
        message.letters().flat_map(move |letter| self.matches_from(message, letter))
    }

    fn matches_from<'a>(&'a self, message: &Message, letter: char) -> Vec<(&'a Keyword, T, Vec<usize>)> {
        let Ok(at) = self.by_letter.binary_search_by_key(&letter, |(c, _)| *c) else {
            return Vec::new();
        };
        let tokens = message.starting_with(letter);
        let mut found: Vec<(u32, Vec<usize>)> = Vec::new();
        let mut starts = Vec::with_capacity(tokens.len());
        for group in &self.by_letter[at].1 {
            let opener = &self.keywords[group.members[0] as usize].0;
            starts.clear();
            starts.extend(tokens.iter().copied().filter(|&t| opener.first_matches(message, t)));
            if starts.is_empty() {
                continue;
            }
            for &i in &group.members {
                if let Some(positions) = self.keywords[i as usize].0.find_from(message, &starts) {
                    found.push((i, positions));
                }
            }
        }
        // The order a category's score and the first device named depend on.
        found.sort_unstable_by_key(|(i, _)| *i);
        found
            .into_iter()
            .map(|(i, positions)| {
                let (keyword, tag) = &self.keywords[i as usize];
                (keyword, *tag, positions)
            })
            .collect()
    }

    pub(super) fn any(&self, message: &Message) -> bool {
        self.matches(message).next().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::kb;
    use crate::text::words;

    /// Every keyword asked on its own, in the order they were given, per letter: what the
    /// index answered before keywords were grouped by their first word.
    fn one_by_one<'a, T: Copy>(index: &'a Indexed<T>, message: &Message) -> Vec<(&'a Keyword, T, Vec<usize>)> {
        let mut found = Vec::new();
        for letter in message.letters() {
            for (keyword, tag) in &index.keywords {
                if keyword.first_letter() == Some(letter)
                    && let Some(positions) = keyword.find(message)
                {
                    found.push((keyword, *tag, positions));
                }
            }
        }
        found
    }

    #[test]
    fn grouping_by_first_word_finds_the_same_matches_in_the_same_order() {
        let index =
            Indexed::parse(kb::categories().enumerate().flat_map(|(i, c)| c.keywords.iter().map(move |k| (*k, i))));
        let corpus = [
            include_str!("../../../tests/fixtures/first_messages.tsv"),
            include_str!("../../../tests/fixtures/visitor_words.tsv"),
        ];
        let mut compared = 0;
        let mut matched = 0;
        for line in corpus.iter().flat_map(|c| c.lines()) {
            let message = Message::new(words(line));
            let grouped: Vec<_> = index.matches(&message).map(|(k, tag, at)| (k as *const Keyword, tag, at)).collect();
            let alone: Vec<_> =
                one_by_one(&index, &message).into_iter().map(|(k, tag, at)| (k as *const Keyword, tag, at)).collect();
            assert_eq!(grouped, alone, "{line}");
            compared += 1;
            matched += usize::from(!grouped.is_empty());
        }
        assert!(compared > 200 && matched > 150, "{compared} messages, {matched} with matches");
    }
}
