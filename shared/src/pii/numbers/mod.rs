//! Numbers that identify a person: CBU/CVU, cards, CUIT/CUIL, phones, DNI, IBANs and
//! public IPv4 addresses.
//!
//! The text is cut into *spans*: digit groups joined by short separator clusters
//! ("+54 9 (11) 4567-8901", "30.123.456"). Groups glued to letters ("KB5034441",
//! "i7-1165G7", "STI-20261122-AB12CD", "0x80070005") belong to codes and are dropped. The
//! rest of each span is partitioned left to right into entities, trying the longest run
//! of groups first, so two phones typed side by side stay two whole phones and a date
//! next to a phone stays a date.

use super::Finding;
use super::context::{Context, Hint};

mod candidate;
mod spans;

use candidate::{Candidate, Pass};
use spans::{Span, glued_left, glued_right, read_span};

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
        // "DE89 3704…": two letters that start a word, then the check digits.
        if i >= 2
            && let Some(end) = super::iban::at(bytes, i - 2)
        {
            out.push(Finding { start: i - 2, end, kind: super::PiiKind::Iban });
            i = end;
            continue;
        }
        i = read_span(text, i, &mut span);
        classify_span(&context, text, &span, taken, &mut scratch, out);
    }
}

fn inside(taken: &[Finding], byte: usize) -> bool {
    taken.iter().any(|f| f.start <= byte && byte < f.end)
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
    // "DNI30123456", "cel1145678901": a keyword glued to its number names it.
    let glued_hint = span.prefix_start.is_none().then(|| glued_keyword(text, span.groups[0].start)).flatten();
    // Drop groups glued to letters, together with the groups tied to them by marks
    // other than spaces ("i7-1165G7", "TCK-20240115-1a2b3c").
    if span.prefix_start.is_none() && glued_hint.is_none() && glued_left(text, span.groups[0].start) {
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
    let span_before = glued_hint.or_else(|| context.before(span.groups[lo.min(span.groups.len() - 1)].start));
    let entities = &mut scratch.entities;
    entities.clear();
    let mut i = lo;
    while i < hi {
        if let Some(len) = ipv4_len(span, i, hi) {
            let (start, end) = (span.groups[i].start, span.groups[i + len - 1].end);
            let ip = text[start..end].parse().is_ok_and(super::ip::v4_is_personal);
            if ip && span_before != Some(Hint::Keep) && !out[..taken].iter().any(|f| f.start < end && start < f.end) {
                out.push(Finding { start, end, kind: super::PiiKind::Ip });
                entities.push((i, i + len - 1, Some(out.len() - 1)));
            } else {
                entities.push((i, i + len - 1, None));
            }
            i += len;
            continue;
        }
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
        // A run tied to its neighbour without a space ("4444.5555", "30.123.456-7") is
        // that number's tail however short.
        let tied = |sep: usize| span.seps.get(sep).is_some_and(|s| !s.contains(' '));
        let before = entities.iter().find(|(_, j, _)| j + 1 == run_start).and_then(|e| e.2);
        let after = entities.iter().find(|(from, _, _)| *from == k).and_then(|e| e.2);
        let long = digits >= LEFTOVER_DIGITS;
        let before = before.filter(|_| long || (run_start > 0 && tied(run_start - 1)));
        let after = after.filter(|_| long || (k > 0 && tied(k - 1)));
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

/// Four groups at `i` joined by dots, each up to 255: an IPv4 address.
fn ipv4_len(span: &Span<'_>, i: usize, hi: usize) -> Option<usize> {
    let octet =
        |k: usize| span.groups[k].digits.len() <= 3 && span.groups[k].digits.parse::<u16>().is_ok_and(|v| v <= 255);
    let dotted = (i + 4 <= hi) && (i..i + 3).all(|k| span.seps[k] == ".") && (i..i + 4).all(octet);
    dotted.then_some(4)
}

/// The PII keyword written against the number starting at byte `first`, if any.
fn glued_keyword(text: &str, first: usize) -> Option<Hint> {
    let before = &text[..first];
    let letters = before.len() - before.trim_end_matches(|c: char| c.is_alphabetic()).len();
    let word_start = first - letters;
    let at_word_start = text[..word_start].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
    if letters == 0 || letters > 12 || !at_word_start {
        return None;
    }
    match super::context::keyword_hint(&crate::text::fold(&before[word_start..])) {
        Some(Hint::Keep | Hint::Amount) | None => None,
        hint => hint,
    }
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
