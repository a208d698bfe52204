//! One reading of a run of groups: which kind of number it is, by shape, check digits
//! and the keyword nearby.

use super::spans::{Group, Span};
use crate::pii::PiiKind;
use crate::pii::checks::{card_issuer_plausible, cbu_is_valid, cuit_is_valid, luhn_is_valid};
use crate::pii::context::Hint;

/// The order in which interpretations are tried for a run of groups.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Pass {
    /// Shapes and check digits, keeping only kinds the nearby keyword agrees with.
    ShapeFittingHint,
    /// Whatever the keyword names, if the length fits.
    Hint,
    /// Shapes and check digits alone.
    Shape,
}

pub(super) struct Candidate<'a> {
    pub(super) span: &'a Span<'a>,
    pub(super) from: usize,
    pub(super) to: usize,
    pub(super) hint: Option<Hint>,
    pub(super) amount_after: bool,
}

impl Candidate<'_> {
    pub(super) fn groups(&self) -> &[Group<'_>] {
        &self.span.groups[self.from..=self.to]
    }

    pub(super) fn seps(&self) -> &[&str] {
        &self.span.seps[self.from..self.to]
    }

    pub(super) fn digits(&self) -> &str {
        &self.span.all_digits[self.span.offsets[self.from]..self.span.offsets[self.to + 1]]
    }

    pub(super) fn lens(&self) -> &[usize] {
        &self.span.lens[self.from..=self.to]
    }

    pub(super) fn uniform_seps(&self, allowed: &[&str]) -> bool {
        let seps = self.seps();
        seps.iter().all(|s| allowed.contains(s)) && seps.windows(2).all(|w| w[0] == w[1])
    }

    pub(super) fn plus(&self) -> bool {
        self.from == 0 && self.span.plus
    }

    pub(super) fn classify(&self, pass: Pass) -> Option<PiiKind> {
        let digits = self.digits();
        if self.hint == Some(Hint::Keep) {
            // Support words keep their numbers, but a CUIT proven by its prefix and check
            // digit is a CUIT whatever precedes it ("facturá a 20-12345678-6"): invoices
            // go to CUITs, while order and ticket numbers seldom pass both checks.
            let proven_cuit = digits.len() == 11 && self.cuit_shaped() && cuit_is_valid(digits);
            return proven_cuit.then_some(PiiKind::Cuit);
        }
        let kind = match pass {
            Pass::ShapeFittingHint => {
                self.classify_by_shape(digits).filter(|kind| self.hint.is_none_or(|hint| hint_allows(hint, *kind)))
            }
            Pass::Hint => self.classify_by_hint(digits),
            Pass::Shape => self.classify_by_shape(digits),
        }?;
        // Next to a price or a unit only a number proven by its check digits is personal.
        let amount = self.hint == Some(Hint::Amount) || self.amount_after;
        let proven = matches!(kind, PiiKind::Cbu | PiiKind::Card | PiiKind::Cuit);
        (!amount || proven).then_some(kind)
    }

    pub(super) fn classify_by_shape(&self, d: &str) -> Option<PiiKind> {
        let n = d.len();
        if n == 22 && cbu_is_valid(d) {
            return Some(PiiKind::Cbu);
        }
        if (13..=19).contains(&n) && self.card_shaped() && luhn_is_valid(d) && card_issuer_plausible(d) {
            return Some(PiiKind::Card);
        }
        if n == 11 && self.cuit_shaped() && cuit_is_valid(d) {
            return Some(PiiKind::Cuit);
        }
        if self.phone_shaped(d) {
            return Some(PiiKind::Phone);
        }
        if self.dni_shaped(d) {
            return Some(PiiKind::Dni);
        }
        None
    }

    /// With a keyword naming the number, looser shapes count (typos in check digits,
    /// unusual grouping), as long as the length fits what the keyword names.
    pub(super) fn classify_by_hint(&self, d: &str) -> Option<PiiKind> {
        let n = d.len();
        let no_marks = self.seps().iter().all(|s| !s.contains('/'));
        match self.hint? {
            Hint::Cbu if (20..=23).contains(&n) => Some(PiiKind::Cbu),
            Hint::Card if (13..=19).contains(&n) => Some(PiiKind::Card),
            Hint::Cvv if (3..=4).contains(&n) && self.groups().len() == 1 => Some(PiiKind::Cvv),
            Hint::Cuit if (10..=11).contains(&n) => Some(PiiKind::Cuit),
            Hint::Cuit | Hint::Dni if (7..=8).contains(&n) && (no_marks || self.grouped_like_dni()) => {
                Some(PiiKind::Dni)
            }
            Hint::Dni if n == 11 => Some(PiiKind::Cuit),
            Hint::Phone if (6..=15).contains(&n) && no_marks && !self.looks_like_ip() => Some(PiiKind::Phone),
            _ => None,
        }
    }

    pub(super) fn card_shaped(&self) -> bool {
        let lens = self.lens();
        if lens.len() == 1 {
            return true;
        }
        if !self.uniform_seps(&[" ", "-", ".", "_"]) {
            return false;
        }
        let fours = lens.len() >= 3
            && lens[..lens.len() - 1].iter().all(|&l| l == 4)
            && (1..=4).contains(&lens[lens.len() - 1]);
        fours || lens == [4, 6, 5] || lens == [4, 6, 4]
    }

    pub(super) fn cuit_shaped(&self) -> bool {
        let lens = self.lens();
        matches!(lens, [11] | [2, 8, 1] | [2, 2, 3, 3, 1] | [10, 1] | [2, 9])
    }

    pub(super) fn looks_like_ip(&self) -> bool {
        let groups = self.groups();
        groups.len() == 4
            && self.seps().iter().all(|s| *s == ".")
            && groups.iter().all(|g| g.digits.len() <= 3 && g.digits.parse::<u32>().is_ok_and(|v| v <= 255))
    }

    /// "30.123.456", "30/123/456", "30,123,456", "30 123 456".
    pub(super) fn grouped_like_dni(&self) -> bool {
        matches!(self.lens(), [1, 3, 3] | [2, 3, 3]) && self.uniform_seps(&[".", "/", ",", " "])
    }

    pub(super) fn phone_shaped(&self, d: &str) -> bool {
        // Dots and slashes are a date's or a version's marks, except all alike in a
        // phone's grouping ("11.4444.5555", "11/4444/5555").
        let seps_ok = self.seps().iter().all(|s| !s.contains('.') && !s.contains('/'))
            || (self.grouped_like_phone()
                && (self.uniform_seps(&["."]) || self.uniform_seps(&["/"]))
                && !self.looks_like_ip());
        if !seps_ok {
            return false;
        }
        let n = d.len();
        let area_start = |s: &str| s.as_bytes().first().is_some_and(|b| (b'1'..=b'3').contains(b));
        if self.plus() {
            return (8..=15).contains(&n);
        }
        let international = d.strip_prefix("0054").or_else(|| d.strip_prefix("54").filter(|_| (12..=13).contains(&n)));
        if let Some(rest) = international {
            let rest = rest.strip_prefix('9').filter(|r| r.len() == 10).unwrap_or(rest);
            return rest.len() == 10 && area_start(rest);
        }
        if let Some(rest) = d.strip_prefix('0') {
            // 0800/0810/0600 lines belong to companies, not to people.
            if rest.starts_with('8') || rest.starts_with('6') {
                return false;
            }
            return (rest.len() == 10 && area_start(rest)) || (rest.len() == 12 && has_15_after_area(rest));
        }
        let lens = self.lens();
        match n {
            10 => area_start(d) || self.grouped_like_phone(),
            11 => d.starts_with('9') && area_start(&d[1..]),
            12 => has_15_after_area(d),
            8 => lens == [4, 4] && self.seps().iter().all(|s| s.trim() == "-") && !lens_are_years(self.groups()),
            7 => lens == [3, 4] && self.seps().iter().all(|s| s.trim() == "-"),
            _ => false,
        }
    }

    /// "(555) 123-4567", "555-123-4567": ten digits in a phone's usual grouping.
    pub(super) fn grouped_like_phone(&self) -> bool {
        let lens = self.lens();
        matches!(lens, [3, 3, 4] | [2, 4, 4] | [3, 7] | [4, 6] | [4, 2, 4])
    }

    pub(super) fn dni_shaped(&self, d: &str) -> bool {
        let lens = self.lens();
        let dotted = matches!(lens, [1, 3, 3] | [2, 3, 3]) && self.seps().iter().all(|s| *s == ".");
        let spaced = lens == [2, 3, 3] && self.seps().iter().all(|s| *s == " ");
        let contiguous_with_hint = lens.len() == 1 && self.hint == Some(Hint::Dni);
        (dotted || spaced || contiguous_with_hint) && !d.starts_with('0') && (7..=8).contains(&d.len())
    }
}

pub(super) fn hint_allows(hint: Hint, kind: PiiKind) -> bool {
    match hint {
        Hint::Dni | Hint::Cuit => matches!(kind, PiiKind::Dni | PiiKind::Cuit),
        Hint::Cbu => kind == PiiKind::Cbu,
        Hint::Card | Hint::Cvv => matches!(kind, PiiKind::Card | PiiKind::Cvv),
        Hint::Phone => kind == PiiKind::Phone,
        Hint::Keep | Hint::Amount => true,
    }
}

pub(super) fn has_15_after_area(d: &str) -> bool {
    d.len() == 12
        && d.as_bytes().first().is_some_and(|b| (b'1'..=b'3').contains(b))
        && (2..=4).any(|a| d.get(a..a + 2) == Some("15"))
}

pub(super) fn lens_are_years(groups: &[Group<'_>]) -> bool {
    groups.iter().all(|g| g.digits.parse::<u32>().is_ok_and(|y| (1900..=2199).contains(&y)))
}
