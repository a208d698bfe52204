//! Numbers that identify a person: CBU/CVU, cards, CUIT/CUIL, phones, DNI.
//!
//! The text is cut into *spans*: digit groups joined by short separator clusters
//! ("+54 9 (11) 4567-8901", "30.123.456"). Groups glued to letters ("KB5034441",
//! "i7-1165G7", "STI-20261122-AB12CD", "0x80070005") belong to codes and are dropped. The
//! rest of each span is partitioned left to right into entities, trying the longest run
//! of groups first, so two phones typed side by side stay two whole phones and a date
//! next to a phone stays a date.

use super::checks::{card_issuer_plausible, cbu_is_valid, cuit_is_valid, luhn_is_valid};
use super::context::{Context, Hint};
use super::{Finding, PiiKind};

#[derive(Debug, Clone)]
struct Group<'t> {
    start: usize,
    end: usize,
    digits: &'t str,
}

/// A run of digit groups. One is reused for every span of a message, so reading spans
/// allocates only when a message has more groups than any before it.
#[derive(Debug, Default)]
struct Span<'t> {
    /// Byte offset where a leading '+' or '(' starts, if the span has one.
    prefix_start: Option<usize>,
    plus: bool,
    groups: Vec<Group<'t>>,
    /// `seps[i]` joins `groups[i]` and `groups[i + 1]`.
    seps: Vec<&'t str>,
    /// Every group's digits back to back, with where each group starts in it, so that
    /// candidates are slices rather than fresh strings.
    all_digits: String,
    offsets: Vec<usize>,
    lens: Vec<usize>,
}

const MAX_SEPARATOR_CHARS: usize = 3;

/// The text is normalised ([`super::normalise`]): no-break spaces are spaces and every
/// dash is '-', so separators are ASCII and the span reader works on bytes.
fn is_separator(b: u8) -> bool {
    matches!(b, b' ' | b'-' | b'.' | b'/' | b'(' | b')')
}

/// At most two marks besides spaces, and not the same mark twice ("- ", " / ", "(").
fn separator_cluster_ok(cluster: &[u8]) -> bool {
    let mut marks = cluster.iter().filter(|b| **b != b' ');
    match (marks.next(), marks.next(), marks.next()) {
        (None, ..) | (Some(_), None, _) => true,
        (Some(a), Some(b), None) => a != b,
        _ => false,
    }
}

/// Appends the numbers of `text`, which must be [`super::normalise`]d, to `out`; what
/// `out` already holds (the e-mail addresses) is taken, and no number overlaps it.
pub fn find(text: &str, out: &mut Vec<Finding>) {
    let taken = out.len();
    let bytes = text.as_bytes();
    let context = Context::new(text);
    // Room for the usual spans up front: growing five lists costs more than the reading.
    let mut span = Span {
        groups: Vec::with_capacity(8),
        seps: Vec::with_capacity(8),
        all_digits: String::with_capacity(32),
        offsets: Vec::with_capacity(9),
        lens: Vec::with_capacity(8),
        ..Span::default()
    };
    let mut scratch = Scratch::default();
    let mut i = 0;
    while i < bytes.len() {
        // Digits are ASCII, and no byte of a multi-byte character is ASCII.
        if !bytes[i].is_ascii_digit() || inside(&out[..taken], i) {
            i += 1;
            continue;
        }
        i = read_span(text, i, &mut span);
        classify_span(&context, text, &span, taken, &mut scratch, out);
    }
}

fn inside(taken: &[Finding], byte: usize) -> bool {
    taken.iter().any(|f| f.start <= byte && byte < f.end)
}

/// Reads into `span` the span whose first digit is at byte `first`; returns the byte
/// after it.
fn read_span<'t>(text: &'t str, first: usize, span: &mut Span<'t>) -> usize {
    let bytes = text.as_bytes();
    span.groups.clear();
    span.seps.clear();
    span.all_digits.clear();
    span.offsets.clear();
    span.lens.clear();
    span.prefix_start = None;
    span.plus = false;
    match first.checked_sub(1).map(|b| bytes[b]) {
        Some(b'+') => {
            span.plus = true;
            span.prefix_start = Some(first - 1);
        }
        Some(b'(') => {
            span.prefix_start = Some(first - 1);
            if first > 1 && bytes[first - 2] == b'+' {
                span.plus = true;
                span.prefix_start = Some(first - 2);
            }
        }
        _ => {}
    }
    let mut i = first;
    loop {
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let digits = &text[start..i];
        span.groups.push(Group { start, end: i, digits });
        span.offsets.push(span.all_digits.len());
        span.all_digits.push_str(digits);
        span.lens.push(digits.len());
        let mut j = i;
        while j < bytes.len() && j - i < MAX_SEPARATOR_CHARS && is_separator(bytes[j]) {
            j += 1;
        }
        if j > i && j < bytes.len() && bytes[j].is_ascii_digit() && separator_cluster_ok(&bytes[i..j]) {
            span.seps.push(&text[i..j]);
            i = j;
            continue;
        }
        break;
    }
    span.offsets.push(span.all_digits.len());
    i
}

/// True when the number starting at byte `first` continues a code made of letters
/// ("KB5034441", "STI-2026…").
fn glued_left(text: &str, first: usize) -> bool {
    let mut behind = text[..first].chars().rev();
    let Some(before) = behind.next() else {
        return false;
    };
    if before.is_alphanumeric() || before == '_' || before == '@' {
        return true;
    }
    if before == '/' && text[..first - 1].ends_with("wa.me") {
        // wa.me/<number> is a WhatsApp link to a person's phone.
        return false;
    }
    let two_before = behind.next();
    match before {
        '-' | '/' | '\\' | ':' => two_before.is_some_and(|c| c.is_alphanumeric()),
        '.' => two_before.is_some_and(|c| c.is_ascii_digit()),
        _ => false,
    }
}

/// True when letters follow the number ending at byte `after` as part of the same token
/// ("1165G7", "500GB").
fn glued_right(text: &str, after: usize) -> bool {
    let mut ahead = text[after..].chars();
    let Some(next) = ahead.next() else {
        return false;
    };
    if next.is_alphanumeric() || next == '_' || next == '@' {
        return true;
    }
    let two_after = ahead.next();
    match next {
        '-' | '_' | '/' | '\\' => two_after.is_some_and(|c| c.is_alphanumeric()),
        '.' => two_after.is_some_and(|c| c.is_ascii_digit() || c.is_lowercase()),
        _ => false,
    }
}

/// Per-span working lists, reused across the spans of a message.
#[derive(Default)]
struct Scratch {
    /// What follows each group.
    after_hints: Vec<Option<Hint>>,
    /// (first group, last group, index in `out`) of each entity read in the span; kept
    /// ones (dates, company lines) have no finding.
    entities: Vec<(usize, usize, Option<usize>)>,
}

fn classify_span(
    context: &Context<'_>,
    text: &str,
    span: &Span<'_>,
    taken: usize,
    scratch: &mut Scratch,
    out: &mut Vec<Finding>,
) {
    let mut lo = 0;
    let mut hi = span.groups.len();
    // Drop groups glued to letters, together with the groups tied to them by marks
    // other than spaces ("i7-1165G7", "TCK-20240115-1a2b3c").
    if span.prefix_start.is_none() && glued_left(text, span.groups[0].start) {
        lo = 1;
        while lo < hi && !span.seps[lo - 1].contains(' ') {
            lo += 1;
        }
    }
    if lo < hi && glued_right(text, span.groups[hi - 1].end) {
        hi -= 1;
        while hi > lo && !span.seps[hi - 1].contains(' ') {
            hi -= 1;
        }
    }
    // What follows each group, read once per span rather than once per candidate.
    let after_hints = &mut scratch.after_hints;
    after_hints.clear();
    after_hints.extend(span.groups.iter().map(|g| context.after(g.end)));
    let span_before = context.before(span.groups[lo.min(span.groups.len() - 1)].start);
    let entities = &mut scratch.entities;
    entities.clear();
    let mut i = lo;
    while i < hi {
        if let Some(len) = date_len(span, i, hi).or_else(|| company_line_len(span, i, hi)) {
            // Kept on purpose: no neighbour may swallow it as a leftover.
            entities.push((i, i + len - 1, None));
            i += len;
            continue;
        }
        let entity_start = span.groups[i].start;
        // What precedes the span speaks for every number in it ("factura 0001-50507440"):
        // the span's own groups are not words between a keyword and its number.
        let before_hint = span_before;
        // No entity is longer than MAX_ENTITY_DIGITS, so only the groups that fit in it
        // are candidates: the work per group is bounded, and a span costs linear time.
        let last = last_group_within(span, i, hi);
        let mut matched = None;
        'passes: for pass in [Pass::ShapeFittingHint, Pass::Hint, Pass::Shape] {
            for j in (i..=last).rev() {
                let after_hint = after_hints[j];
                let candidate = Candidate {
                    span,
                    from: i,
                    to: j,
                    hint: before_hint.or(after_hint),
                    amount_after: after_hint == Some(Hint::Amount),
                };
                if let Some(kind) = candidate.classify(pass) {
                    matched = Some((j, kind));
                    break 'passes;
                }
            }
        }
        match matched {
            Some((j, kind)) => {
                let end = span.groups[j].end;
                // A leading "+" or "(" belongs to the number; "(" only when its ")" is
                // inside too, so "(4567-8901)" keeps both parentheses outside the mask.
                let start = match span.prefix_start {
                    Some(prefix) if i == 0 && (span.plus || span.seps[..j].iter().any(|s| s.contains(')'))) => prefix,
                    _ => entity_start,
                };
                if !out[..taken].iter().any(|f| f.start < end && start < f.end) {
                    out.push(Finding { start, end, kind });
                    entities.push((i, j, Some(out.len() - 1)));
                }
                i = j + 1;
            }
            None => i += 1,
        }
    }
    cover_leftovers(span, lo, hi, entities, out);
}

/// Digits a leftover run must have to be taken for the rest of a neighbouring number.
const LEFTOVER_DIGITS: usize = 6;

/// Never half a number: a long run of groups left between or beside the entities of a
/// span (a CBU whose first blocks read as something else, a typo in one group) joins the
/// entity it touches instead of staying in clear.
fn cover_leftovers(
    span: &Span<'_>,
    lo: usize,
    hi: usize,
    entities: &[(usize, usize, Option<usize>)],
    out: &mut [Finding],
) {
    if !entities.iter().any(|e| e.2.is_some()) {
        return;
    }
    let mut k = lo;
    while k < hi {
        if let Some(&(_, j, _)) = entities.iter().find(|(from, _, _)| *from == k) {
            k = j + 1;
            continue;
        }
        let run_start = k;
        while k < hi && !entities.iter().any(|(from, _, _)| *from == k) {
            k += 1;
        }
        let digits = span.offsets[k] - span.offsets[run_start];
        if digits < LEFTOVER_DIGITS {
            continue;
        }
        let before = entities.iter().find(|(_, j, _)| j + 1 == run_start).and_then(|e| e.2);
        let after = entities.iter().find(|(from, _, _)| *from == k).and_then(|e| e.2);
        if let Some(index) = before {
            out[index].end = span.groups[k - 1].end;
        } else if let Some(index) = after {
            out[index].start = span.groups[run_start].start;
        }
    }
}

/// The most digits any entity has: a CBU/CVU (22), one more for a typo a keyword forgives.
const MAX_ENTITY_DIGITS: usize = 23;

/// The last group `j` (from `i`, before `hi`) such that groups `i..=j` hold at most
/// `MAX_ENTITY_DIGITS` digits; `i` itself when its own group is longer.
fn last_group_within(span: &Span<'_>, i: usize, hi: usize) -> usize {
    let budget = span.offsets[i] + MAX_ENTITY_DIGITS;
    // offsets[j + 1] is where group j ends in `all_digits`; it grows with j.
    let fitting = span.offsets[i + 1..=hi].partition_point(|&end| end <= budget);
    (i + fitting).saturating_sub(1).max(i)
}

/// Groups at `i` that form a date (15/03/2024, 2024-03-15, 15.03.24, 15/03): how many.
fn date_len(span: &Span<'_>, i: usize, hi: usize) -> Option<usize> {
    let g = |k: usize| span.groups.get(k).filter(|_| k < hi).map(|x| x.digits);
    let sep = |k: usize| span.seps.get(k).map(|s| s.trim());
    let num = |s: &str| s.parse::<u32>().ok();
    let day_month = |a: &str, b: &str| {
        a.len() <= 2
            && b.len() <= 2
            && matches!((num(a), num(b)), (Some(x), Some(y)) if (1..=31).contains(&x) && (1..=12).contains(&y) || (1..=12).contains(&x) && (1..=31).contains(&y))
    };
    let date_sep = |s: Option<&str>| matches!(s, Some("/") | Some("-") | Some("."));
    if let (Some(a), Some(b), Some(c)) = (g(i), g(i + 1), g(i + 2)) {
        let same_sep = sep(i) == sep(i + 1) && date_sep(sep(i));
        if same_sep && day_month(a, b) && (c.len() == 2 || c.len() == 4) {
            return Some(3);
        }
        if same_sep && a.len() == 4 && num(a).is_some_and(|y| (1900..=2199).contains(&y)) && day_month(c, b) {
            return Some(3);
        }
    }
    if let (Some(a), Some(b)) = (g(i), g(i + 1))
        && sep(i) == Some("/")
        && day_month(a, b)
    {
        return Some(2);
    }
    None
}

/// "0800-555-1234", "0810 222 3333": toll-free and shared-cost lines of companies.
fn company_line_len(span: &Span<'_>, i: usize, hi: usize) -> Option<usize> {
    for k in 0..hi - i {
        let digits = &span.all_digits[span.offsets[i]..span.offsets[i + k + 1]];
        let company_prefix =
            ["0800", "0810", "0822", "0600", "0610"].iter().any(|p| digits.starts_with(p) || p.starts_with(digits));
        if !company_prefix {
            return None;
        }
        if digits.len() >= 11 {
            return (digits.len() == 11).then_some(k + 1);
        }
    }
    None
}

/// The order in which interpretations are tried for a run of groups.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Shapes and check digits, keeping only kinds the nearby keyword agrees with.
    ShapeFittingHint,
    /// Whatever the keyword names, if the length fits.
    Hint,
    /// Shapes and check digits alone.
    Shape,
}

struct Candidate<'a> {
    span: &'a Span<'a>,
    from: usize,
    to: usize,
    hint: Option<Hint>,
    amount_after: bool,
}

impl Candidate<'_> {
    fn groups(&self) -> &[Group<'_>] {
        &self.span.groups[self.from..=self.to]
    }

    fn seps(&self) -> &[&str] {
        &self.span.seps[self.from..self.to]
    }

    fn digits(&self) -> &str {
        &self.span.all_digits[self.span.offsets[self.from]..self.span.offsets[self.to + 1]]
    }

    fn lens(&self) -> &[usize] {
        &self.span.lens[self.from..=self.to]
    }

    fn uniform_seps(&self, allowed: &[&str]) -> bool {
        let seps = self.seps();
        seps.iter().all(|s| allowed.contains(s)) && seps.windows(2).all(|w| w[0] == w[1])
    }

    fn plus(&self) -> bool {
        self.from == 0 && self.span.plus
    }

    fn classify(&self, pass: Pass) -> Option<PiiKind> {
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

    fn classify_by_shape(&self, d: &str) -> Option<PiiKind> {
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
    fn classify_by_hint(&self, d: &str) -> Option<PiiKind> {
        let n = d.len();
        let no_marks = self.seps().iter().all(|s| !s.contains('/'));
        match self.hint? {
            Hint::Cbu if (20..=23).contains(&n) => Some(PiiKind::Cbu),
            Hint::Card if (13..=19).contains(&n) => Some(PiiKind::Card),
            Hint::Cvv if (3..=4).contains(&n) && self.groups().len() == 1 => Some(PiiKind::Cvv),
            Hint::Cuit if (10..=11).contains(&n) => Some(PiiKind::Cuit),
            Hint::Cuit | Hint::Dni if (7..=8).contains(&n) && no_marks => Some(PiiKind::Dni),
            Hint::Dni if n == 11 => Some(PiiKind::Cuit),
            Hint::Phone if (6..=15).contains(&n) && no_marks && !self.looks_like_ip() => Some(PiiKind::Phone),
            _ => None,
        }
    }

    fn card_shaped(&self) -> bool {
        let lens = self.lens();
        if lens.len() == 1 {
            return true;
        }
        if !self.uniform_seps(&[" ", "-", "."]) {
            return false;
        }
        let fours = lens.len() >= 3
            && lens[..lens.len() - 1].iter().all(|&l| l == 4)
            && (1..=4).contains(&lens[lens.len() - 1]);
        fours || lens == [4, 6, 5] || lens == [4, 6, 4]
    }

    fn cuit_shaped(&self) -> bool {
        let lens = self.lens();
        matches!(lens, [11] | [2, 8, 1] | [2, 2, 3, 3, 1] | [10, 1] | [2, 9])
    }

    fn looks_like_ip(&self) -> bool {
        let groups = self.groups();
        groups.len() == 4
            && self.seps().iter().all(|s| *s == ".")
            && groups.iter().all(|g| g.digits.len() <= 3 && g.digits.parse::<u32>().is_ok_and(|v| v <= 255))
    }

    fn phone_shaped(&self, d: &str) -> bool {
        let seps_ok = self.seps().iter().all(|s| !s.contains('.') && !s.contains('/'));
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
    fn grouped_like_phone(&self) -> bool {
        let lens = self.lens();
        matches!(lens, [3, 3, 4] | [2, 4, 4] | [3, 7] | [4, 6] | [4, 2, 4])
    }

    fn dni_shaped(&self, d: &str) -> bool {
        let lens = self.lens();
        let dotted = matches!(lens, [1, 3, 3] | [2, 3, 3]) && self.seps().iter().all(|s| *s == ".");
        let spaced = lens == [2, 3, 3] && self.seps().iter().all(|s| *s == " ");
        let contiguous_with_hint = lens.len() == 1 && self.hint == Some(Hint::Dni);
        (dotted || spaced || contiguous_with_hint) && !d.starts_with('0') && (7..=8).contains(&d.len())
    }
}

fn hint_allows(hint: Hint, kind: PiiKind) -> bool {
    match hint {
        Hint::Dni | Hint::Cuit => matches!(kind, PiiKind::Dni | PiiKind::Cuit),
        Hint::Cbu => kind == PiiKind::Cbu,
        Hint::Card | Hint::Cvv => matches!(kind, PiiKind::Card | PiiKind::Cvv),
        Hint::Phone => kind == PiiKind::Phone,
        Hint::Keep | Hint::Amount => true,
    }
}

fn has_15_after_area(d: &str) -> bool {
    d.len() == 12
        && d.as_bytes().first().is_some_and(|b| (b'1'..=b'3').contains(b))
        && (2..=4).any(|a| d.get(a..a + 2) == Some("15"))
}

fn lens_are_years(groups: &[Group<'_>]) -> bool {
    groups.iter().all(|g| g.digits.parse::<u32>().is_ok_and(|y| (1900..=2199).contains(&y)))
}
