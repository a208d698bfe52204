//! Spans: digit groups joined by short separator clusters, read from normalised text,
//! and whether a number is glued to the letters of a code.

#[derive(Debug, Clone)]
pub(super) struct Group<'t> {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) digits: &'t str,
}

/// A run of digit groups. One is reused for every span of a message, so reading spans
/// allocates only when a message has more groups than any before it.
#[derive(Debug, Default)]
pub(super) struct Span<'t> {
    /// Byte offset where a leading '+' or '(' starts, if the span has one.
    pub(super) prefix_start: Option<usize>,
    pub(super) plus: bool,
    pub(super) groups: Vec<Group<'t>>,
    /// `seps[i]` joins `groups[i]` and `groups[i + 1]`.
    pub(super) seps: Vec<&'t str>,
    /// Every group's digits back to back, with where each group starts in it, so that
    /// candidates are slices rather than fresh strings.
    pub(super) all_digits: String,
    pub(super) offsets: Vec<usize>,
    pub(super) lens: Vec<usize>,
}

pub(super) const MAX_SEPARATOR_CHARS: usize = 3;

/// The text is normalised ([`super::normalise`]): no-break spaces are spaces and every
/// dash is '-', so separators are ASCII and the span reader works on bytes.
pub(super) fn is_separator(b: u8) -> bool {
    matches!(b, b' ' | b'-' | b'.' | b'/' | b'(' | b')' | b',' | b'_')
}

/// At most two marks besides spaces, and not the same mark twice ("- ", " / ", "(");
/// a comma or an underscore only on its own ("30,123,456", "4111_1111"), as a comma and a
/// space end a clause.
pub(super) fn separator_cluster_ok(cluster: &[u8]) -> bool {
    if cluster.iter().any(|b| matches!(b, b',' | b'_')) {
        return cluster.len() == 1;
    }
    let mut marks = cluster.iter().filter(|b| **b != b' ');
    match (marks.next(), marks.next(), marks.next()) {
        (None, ..) | (Some(_), None, _) => true,
        (Some(a), Some(b), None) => a != b,
        _ => false,
    }
}

/// Reads into `span` the span whose first digit is at byte `first`; returns the byte
/// after it.
pub(super) fn read_span<'t>(text: &'t str, first: usize, span: &mut Span<'t>) -> usize {
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
pub(super) fn glued_left(text: &str, first: usize) -> bool {
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
pub(super) fn glued_right(text: &str, after: usize) -> bool {
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
