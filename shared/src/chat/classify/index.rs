//! Keywords indexed by their first letter. Typo tolerance keeps the first letter, so a
//! message need only visit the keywords that start with a letter one of its words starts
//! with — a third of them, typically — instead of asking every keyword to look.

use super::keyword::{Keyword, Message};

pub(super) struct Indexed<T> {
    keywords: Vec<(Keyword, T)>,
    /// Sorted by letter: the keywords starting with it.
    by_letter: Vec<(char, Vec<u32>)>,
}

impl<T: Copy> Indexed<T> {
    pub(super) fn new(entries: impl IntoIterator<Item = (Keyword, T)>) -> Indexed<T> {
        let keywords: Vec<(Keyword, T)> = entries.into_iter().filter(|(k, _)| k.first_letter().is_some()).collect();
        let mut by_letter: Vec<(char, Vec<u32>)> = Vec::new();
        for (i, (keyword, _)) in keywords.iter().enumerate() {
            let Some(letter) = keyword.first_letter() else { continue };
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            match by_letter.binary_search_by_key(&letter, |(c, _)| *c) {
                Ok(at) => by_letter[at].1.push(i),
                Err(at) => by_letter.insert(at, (letter, vec![i])),
            }
        }
        Indexed { keywords, by_letter }
    }

    /// Parses `raw` keywords, each with its tag.
    pub(super) fn parse<'a>(raw: impl IntoIterator<Item = (&'a str, T)>) -> Indexed<T> {
        Indexed::new(raw.into_iter().map(|(k, tag)| (Keyword::parse(k), tag)))
    }

    /// Every keyword that matches the message: itself, its tag and where it matched.
    pub(super) fn matches<'a>(
        &'a self,
        message: &'a Message,
    ) -> impl Iterator<Item = (&'a Keyword, T, Vec<usize>)> + 'a {
        message
            .letters()
            .filter_map(|letter| {
                let at = self.by_letter.binary_search_by_key(&letter, |(c, _)| *c).ok()?;
                Some(self.by_letter[at].1.iter())
            })
            .flatten()
            .filter_map(|&i| {
                let (keyword, tag) = &self.keywords[i as usize];
                keyword.find(message).map(|positions| (keyword, *tag, positions))
            })
    }

    pub(super) fn any(&self, message: &Message) -> bool {
        self.matches(message).next().is_some()
    }
}
