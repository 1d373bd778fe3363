//! Where a rule's keyword sits in its matches.
//!
//! If every match of a regex begins with one of a finite set of strings and each of those
//! strings contains a keyword within its first `p` bytes, then every match starts at most `p`
//! bytes before a keyword occurrence. The engine then tries the regex *anchored* at the
//! `p + 1` positions before each keyword hit instead of searching a window around it — a
//! failing anchored attempt dies after a few bytes. The analysis is conservative: when the
//! prefix set is not finite and small, it answers `None` and the engine uses windows.

use regex_syntax::hir::{Class, Hir, HirKind};

use super::shape::has_secret;
pub use super::shape::{bytes_of, first_bytes, positions, secret_hir, ByteSet};

/// Most prefixes tracked before giving up.
const MAX_PREFIXES: usize = 512;
/// Longest prefix tracked.
const MAX_PREFIX_LEN: usize = 64;
/// Largest byte class expanded into alternatives; wider classes become one wildcard byte.
const MAX_CLASS: usize = 8;
/// The wider class limit tried when the narrow one finds no bound.
const WIDE_CLASS: usize = 16;
/// Largest repetition count expanded into alternatives.
const MAX_REPEAT: u32 = 8;
/// Stands for "any byte" in a prefix; never part of a keyword.
const WILD: u8 = 0;
/// Marks where the `secret` group begins inside a prefix; never a regex byte (checked).
const MARK: u8 = 1;

/// Where matches can start relative to a keyword hit: for each offset `d`, the lower-cased
/// text (with [`WILD`] for any byte) that the `d` bytes before the keyword must be.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Lead {
    /// `(d, heads)`, by increasing `d`: a match may start `d` bytes before a keyword hit when
    /// those `d` bytes equal one of `heads` (each exactly `d` bytes long).
    pub offsets: Vec<(usize, Vec<Vec<u8>>)>,
    /// Bytes that can directly precede the keyword in a match starting before it: when the
    /// text's byte there is not one of them, only offset 0 can hold a match.
    before: [bool; 256],
    /// How far before a keyword the `secret` part of a match can begin, and through which
    /// bytes: the streaming redactor's bound for keywords that have not arrived yet.
    pub secret_reach: Reach,
    /// How many bytes after a keyword's start the `secret` part of a match begins at the
    /// earliest (0 when it can begin at or before the keyword).
    pub secret_after: usize,
}

/// What decides where a [`Lead`] puts the starts of a hit.
pub type StartKey<'a> = (&'a [(usize, Vec<Vec<u8>>)], &'a [bool; 256]);

/// "Can begin up to `back` bytes before a keyword, and every byte in between is in `class`."
/// The class is over original (not lower-cased) bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Reach {
    pub back: usize,
    pub class: ByteSet,
}

impl Lead {
    /// What decides the starts of a hit: rules whose keys are equal try the same starts.
    pub fn start_key(&self) -> StartKey<'_> {
        (&self.offsets, &self.before)
    }

    /// The largest offset.
    pub fn max(&self) -> usize {
        self.offsets.last().map_or(0, |(d, _)| *d)
    }

    /// Calls `f(start)` for every position where a match could start given a keyword hit at
    /// `hit` in the lower-cased text `lower`.
    #[inline]
    pub fn starts(&self, lower: &[u8], hit: usize, mut f: impl FnMut(usize)) {
        let only_zero = hit == 0 || !self.before[lower[hit - 1] as usize];
        for (d, heads) in &self.offsets {
            if only_zero && *d > 0 {
                break;
            }
            let Some(start) = hit.checked_sub(*d) else { break };
            let text = &lower[start..hit];
            if heads.iter().any(|h| h.iter().zip(text).all(|(&p, &t)| p == WILD || p == t)) {
                f(start);
            }
        }
    }
}

/// The keyword offsets of every match, if the regex's prefixes bound them.
/// `keywords` are lower-case; matching is ASCII case-insensitive.
pub(super) fn lead(hir: &Hir, keywords: &[String]) -> Option<Lead> {
    if keywords.is_empty() {
        return None;
    }
    // Narrow classes keep the prefix sets small; wider ones catch rules whose keyword starts
    // with one of many delimiters (` cio`, `"cio`, …). Take the first that bounds the keyword.
    // Expanding long counted repetitions of one string (`A{20,23}`) reaches keywords that sit
    // behind them, but multiplies other rules' prefix sets, so it is tried last.
    // Following optional pieces into what comes after them does the same. The first set of
    // limits that bounds the keyword wins.
    let mut tries = Vec::new();
    for optional in [false, true] {
        for long_counts in [false, true] {
            // A narrow limit of 1 turns every class into a wildcard: fewer alternatives, so
            // the prefixes reach further.
            for max_class in [MAX_CLASS, WIDE_CLASS, 1] {
                tries.push(Limits { max_class, long_counts, optional });
            }
        }
    }
    tries.into_iter().find_map(|limits| lead_with(hir, keywords, limits))
}

/// How far [`prefixes`] expands.
#[derive(Clone, Copy)]
struct Limits {
    /// Largest byte class expanded into alternatives.
    max_class: usize,
    /// Whether counted repetitions of a single string expand past `MAX_REPEAT`.
    long_counts: bool,
    /// Whether an optional piece also yields the exact empty prefix (so the prefixes go on
    /// with what follows it).
    optional: bool,
}

fn lead_with(hir: &Hir, keywords: &[String], limits: Limits) -> Option<Lead> {
    let set = prefixes(hir, limits)?;
    let mut by_offset: std::collections::BTreeMap<usize, Vec<Vec<u8>>> = Default::default();
    let mut secret_reach = Reach::default();
    let mut secret_after = usize::MAX;
    for (marked, _) in &set {
        // `MARK` stands where the `secret` group begins; without one the secret is the whole
        // match (no group) or begins after this prefix (so after the keyword).
        let mark = marked.iter().position(|&b| b == MARK);
        let p: Vec<u8> = marked.iter().copied().filter(|&b| b != MARK).collect();
        let first = keywords.iter().filter_map(|k| p.windows(k.len()).position(|w| w == k.as_bytes())).min()?;
        let secret_start = match mark {
            Some(m) => m,
            // The secret begins after this prefix (which holds the keyword).
            None if has_secret(hir) => p.len(),
            None => 0,
        };
        secret_after = secret_after.min(secret_start.saturating_sub(first));
        if secret_start < first {
            secret_reach.back = secret_reach.back.max(first - secret_start);
            for &b in &p[secret_start..first] {
                if b == WILD {
                    secret_reach.class = ByteSet::ALL;
                } else {
                    secret_reach.class.insert_folded(b);
                }
            }
        }
        by_offset.entry(first).or_default().push(p[..first].to_vec());
    }
    let offsets: Vec<(usize, Vec<Vec<u8>>)> = by_offset
        .into_iter()
        .map(|(d, mut heads)| {
            heads.sort_unstable();
            heads.dedup();
            (d, heads)
        })
        .collect();
    let mut before = [false; 256];
    for head in offsets.iter().flat_map(|(_, heads)| heads) {
        match head.last() {
            Some(&WILD) => before = [true; 256],
            Some(&b) => {
                before[b as usize] = true;
                // Heads are lower-cased; the text they are compared with is too.
                before[b.to_ascii_uppercase() as usize] = true;
            }
            None => {}
        }
    }
    Some(Lead { offsets, before, secret_reach, secret_after })
}

/// For a rule whose keyword can sit anywhere in its matches: the bytes a match can hold from
/// where its secret begins on, and the bytes the secret can begin with — so that a keyword
/// still to come can only reach back through those. `None` when in every branch of the regex
/// a keyword comes before the secret (then the secret begins after the keyword).
pub fn secret_reach_of_windowed(hir: &Hir, keywords: &[String]) -> Option<(ByteSet, ByteSet)> {
    if !has_secret(hir) {
        // No `secret` group: the whole match is the secret, and a keyword the regex does not
        // spell out (`secret_?key` for `secret_key`) says nothing of where it begins (found by
        // `rule_loader`: `(?:dj_)?secret_?key=…` streamed `dj_` before its redaction).
        return Some((bytes_of(hir), first_bytes(hir).0));
    }
    let branches = match hir.kind() {
        HirKind::Alternation(b) => b.as_slice(),
        _ => std::slice::from_ref(hir),
    };
    let (mut class, mut first) = (ByteSet::default(), ByteSet::default());
    let mut any = false;
    for b in branches.iter().filter(|b| has_secret(b)) {
        let (from_secret, secret) = match b.kind() {
            HirKind::Concat(items) => {
                let Some(i) = items.iter().position(has_secret) else { continue };
                // Some run of items right before the secret always holds a keyword, or what
                // comes before the secret always ends with one.
                if (0..i).rev().any(|j| lead(&Hir::concat(items[j..i].to_vec()), keywords).is_some())
                    || ends_with_keyword(&Hir::concat(items[..i].to_vec()), keywords)
                {
                    continue;
                }
                // What follows the secret matters only if a keyword fits in it.
                let shortest = keywords.iter().map(String::len).min().unwrap_or(0);
                let after = Hir::concat(items[i + 1..].to_vec());
                let to =
                    if after.properties().maximum_len().is_some_and(|m| m < shortest) { i + 1 } else { items.len() };
                (Hir::concat(items[i..to].to_vec()), secret_hir(&items[i]).unwrap_or(&items[i]).clone())
            }
            _ => return Some((ByteSet::ALL, ByteSet::ALL)),
        };
        any = true;
        class.union(&bytes_of(&from_secret));
        first.union(&first_bytes(&secret).0);
    }
    any.then_some((class, first))
}

/// Whether every match of `hir` holds a keyword within a bounded distance of its end: the
/// prefixes of the reversed expression contain a reversed keyword.
fn ends_with_keyword(hir: &Hir, keywords: &[String]) -> bool {
    let reversed: Vec<String> =
        keywords.iter().map(|k| String::from_utf8_lossy(&k.bytes().rev().collect::<Vec<u8>>()).into_owned()).collect();
    lead(&reverse(hir), &reversed).is_some()
}

/// The expression matching the reversed strings (look-arounds dropped: prefix analysis
/// ignores them anyway).
fn reverse(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Hir::empty(),
        HirKind::Literal(lit) => Hir::literal(lit.0.iter().rev().copied().collect::<Vec<u8>>()),
        HirKind::Class(_) => hir.clone(),
        HirKind::Capture(cap) => reverse(&cap.sub),
        HirKind::Repetition(rep) => Hir::repetition(regex_syntax::hir::Repetition {
            min: rep.min,
            max: rep.max,
            greedy: rep.greedy,
            sub: Box::new(reverse(&rep.sub)),
        }),
        HirKind::Concat(items) => Hir::concat(items.iter().rev().map(reverse).collect()),
        HirKind::Alternation(branches) => Hir::alternation(branches.iter().map(reverse).collect()),
    }
}

/// A prefix of a match: its lower-cased bytes and whether it is a whole match of the
/// expression it came from (then what follows the expression can be appended).
type Prefix = (Vec<u8>, bool);

/// Lower-cased strings one of which begins every match. `None` when the set grows too large.
fn prefixes(hir: &Hir, limits: Limits) -> Option<Vec<Prefix>> {
    let max_class = limits.max_class;
    let open = |set: Vec<Prefix>| Some(set.into_iter().map(|(p, _)| (p, false)).collect::<Vec<_>>());
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(vec![(Vec::new(), true)]),
        HirKind::Literal(lit) if lit.0.contains(&MARK) => None,
        HirKind::Literal(lit) => Some(vec![(lit.0.to_ascii_lowercase(), true)]),
        HirKind::Class(class) => {
            let mut bytes: Vec<u8> = match class {
                Class::Bytes(c) => c.iter().flat_map(|r| r.start()..=r.end()).take(max_class * 4 + 1).collect(),
                Class::Unicode(c) => c
                    .iter()
                    .flat_map(|r| r.start()..=r.end())
                    .take(max_class * 4 + 1)
                    .map(|ch| if ch.is_ascii() { ch as u8 } else { 0x80 })
                    .collect(),
            };
            bytes.iter_mut().for_each(|b| *b = b.to_ascii_lowercase());
            bytes.sort_unstable();
            bytes.dedup();
            if bytes.len() > max_class || bytes.contains(&0x80) || bytes.contains(&WILD) || bytes.contains(&MARK) {
                return Some(vec![(vec![WILD], true)]);
            }
            Some(bytes.into_iter().map(|b| (vec![b], true)).collect())
        }
        HirKind::Capture(cap) if cap.name.as_deref() == Some("secret") => {
            let mut set = prefixes(&cap.sub, limits)?;
            set.iter_mut().for_each(|(p, _)| p.insert(0, MARK));
            Some(set)
        }
        HirKind::Capture(cap) => prefixes(&cap.sub, limits),
        HirKind::Repetition(rep) => {
            let one = prefixes(&rep.sub, limits)?;
            let exact = one.iter().all(|(_, e)| *e);
            match rep.max {
                // A short counted repetition of whole-match pieces: every count is an
                // alternative. A single string (`A{20,23}`, `[a-z0-9]{36}` as wildcards) adds
                // one alternative per count, so longer counts are fine too.
                Some(max) if exact && (max <= MAX_REPEAT || (limits.long_counts && one.len() == 1)) => {
                    let mut all = Vec::new();
                    let mut current: Vec<Prefix> = vec![(Vec::new(), true)];
                    for count in 0..=max {
                        if count >= rep.min {
                            all.extend(current.iter().cloned());
                        }
                        if count == max {
                            break;
                        }
                        // Too many or too long: every match still begins with one of the
                        // alternatives collected so far or with `count` copies; stop there.
                        let next = join(&current, &one).filter(|n| n.iter().all(|(p, _)| p.len() < MAX_PREFIX_LEN));
                        let Some(next) = next else {
                            all.extend(current.into_iter().map(|(p, _)| (p, false)));
                            return dedup(all);
                        };
                        current = next;
                    }
                    dedup(all)
                }
                // Not expanded: no copy (an exact empty prefix) or copies, which begin with
                // one of the piece's prefixes (whole only when at most one copy fits).
                Some(1) if limits.optional => {
                    let mut set = one;
                    if rep.min == 0 {
                        set.push((Vec::new(), true));
                    }
                    dedup(set)
                }
                _ if rep.min == 0 && limits.optional => {
                    let mut set: Vec<Prefix> = one.into_iter().map(|(p, _)| (p, false)).collect();
                    set.push((Vec::new(), true));
                    dedup(set)
                }
                _ if rep.min == 0 => Some(vec![(Vec::new(), false)]),
                // Unbounded, but the first `min` copies of a single string begin every match.
                None if limits.long_counts && exact && one.len() == 1 => {
                    let mut p = Vec::new();
                    for _ in 0..rep.min {
                        p.extend_from_slice(&one[0].0);
                        if p.len() >= MAX_PREFIX_LEN {
                            break;
                        }
                    }
                    p.truncate(MAX_PREFIX_LEN);
                    Some(vec![(p, false)])
                }
                // At least one iteration: its prefixes begin the match.
                _ => open(one),
            }
        }
        HirKind::Concat(items) => {
            let mut acc: Vec<Prefix> = vec![(Vec::new(), true)];
            for item in items {
                if !acc.iter().any(|(_, e)| *e) {
                    break;
                }
                let next = prefixes(item, limits)?;
                let Some(joined) = join(&acc, &next) else { return open(acc) };
                acc = joined;
            }
            Some(acc)
        }
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            for b in branches {
                all.extend(prefixes(b, limits)?);
                if all.len() > MAX_PREFIXES {
                    all = dedup(all)?;
                }
            }
            dedup(all)
        }
    }
}

/// Sorts and dedups; too many prefixes are cut shorter (cut ones are open) until they fit.
fn dedup(mut set: Vec<Prefix>) -> Option<Vec<Prefix>> {
    set.sort_unstable();
    set.dedup();
    while set.len() > MAX_PREFIXES {
        let longest = set.iter().map(|(p, _)| p.len()).max().unwrap_or(0);
        if longest == 0 {
            return None;
        }
        for (p, exact) in &mut set {
            if p.len() == longest {
                p.pop();
                *exact = false;
            }
        }
        set.sort_unstable();
        set.dedup();
    }
    Some(set)
}

/// Every exact `a` followed by every `b` (open `a`s stay as they are), truncated to
/// `MAX_PREFIX_LEN` (truncated ones are open); `None` if too many.
fn join(a: &[Prefix], b: &[Prefix]) -> Option<Vec<Prefix>> {
    let exact = a.iter().filter(|(_, e)| *e).count();
    if exact * b.len() + (a.len() - exact) > MAX_PREFIXES {
        return None;
    }
    let mut joined = Vec::with_capacity(exact * b.len() + a.len() - exact);
    for (x, x_exact) in a {
        if !x_exact {
            joined.push((x.clone(), false));
            continue;
        }
        for (y, y_exact) in b {
            let mut s = x.clone();
            s.extend_from_slice(y);
            let truncated = s.len() > MAX_PREFIX_LEN;
            s.truncate(MAX_PREFIX_LEN);
            joined.push((s, *y_exact && !truncated));
        }
    }
    joined.sort_unstable();
    joined.dedup();
    Some(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offset(pattern: &str, keywords: &[&str]) -> Option<usize> {
        let hir = regex_syntax::ParserBuilder::new().unicode(false).utf8(false).build().parse(pattern).expect("parses");
        let kws: Vec<String> = keywords.iter().map(|k| k.to_string()).collect();
        lead(&hir, &kws).map(|l| l.max())
    }

    #[test]
    fn starts_are_filtered_by_the_bytes_before_the_keyword() {
        let hir = regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .build()
            .parse(r"(?i)(?:(?:next|page)_?token|token=(?P<secret>\w{8}))")
            .expect("parses");
        let l = lead(&hir, &["token".to_string()]).expect("bounded");
        assert_eq!(l.max(), 5);
        let starts = |text: &str| {
            let hit = text.find("token").expect("keyword");
            let mut v = Vec::new();
            l.starts(text.as_bytes(), hit, |s| v.push(s));
            v
        };
        assert_eq!(starts("x access_token=abc"), vec![9]);
        assert_eq!(starts("next_token=abc"), vec![5, 0]);
        assert_eq!(starts("pagetoken"), vec![4, 0]);
        assert_eq!(starts("token"), vec![0]);
    }

    fn secret_reach(pattern: &str, keywords: &[&str]) -> Option<usize> {
        let hir = regex_syntax::ParserBuilder::new().unicode(false).utf8(false).build().parse(pattern).expect("parses");
        let kws: Vec<String> = keywords.iter().map(|k| k.to_string()).collect();
        lead(&hir, &kws).map(|l| l.secret_reach.back)
    }

    #[test]
    fn secret_reach_is_how_far_a_secret_begins_before_its_keyword() {
        // The context before the secret is part of the match, not of the secret.
        assert_eq!(secret_reach(r"(?:\\[nrt]|\b)(?P<secret>ghp_[a-z]{36})", &["ghp_"]), Some(0));
        assert_eq!(secret_reach(r#"[ \t"](?P<secret>cio[a-z]{32})"#, &[" cio", "\tcio", "\"cio"]), Some(0));
        assert_eq!(secret_reach(r"token=(?P<secret>\w{8})", &["token"]), Some(0));
        // No group: the whole match is the secret.
        assert_eq!(secret_reach(r"x{0,3}ab_[0-9]{4}", &["ab_"]), Some(3));
        assert_eq!(secret_reach(r"\b(?P<secret>[a-z0-9]{36}NRAL)\b", &["nral"]), Some(36));
        assert_eq!(secret_reach(r"(?P<secret>[a-z]{3}_(?:live|test)_[a-z]{8})", &["_live_", "_test_"]), Some(3));
    }

    #[test]
    fn offsets() {
        assert_eq!(offset(r"\b(?P<secret>ghp_[A-Za-z0-9]{36})\b", &["ghp_"]), Some(0));
        assert_eq!(offset(r"(?:\\[nrt]|\b)(?P<secret>mlsn\.[a-f0-9]{64})", &["mlsn."]), Some(2));
        assert_eq!(
            offset(r"(?i)(?:pass(?:word|wd)|pwd)\s{0,3}=\s{0,3}(?P<secret>\S{8,64})", &["password", "passwd", "pwd"]),
            Some(0)
        );
        assert_eq!(offset(r"(?i)x-api-key:\s{0,2}(?P<secret>[a-z]{8})", &["api-key"]), Some(2));
        // Long counts of one wildcard expand too (as a last resort): 41 offsets.
        assert_eq!(offset(r"[A-Za-z0-9_.-]{0,40}token=(?P<secret>\w{8,64})", &["token"]), Some(40));
        assert_eq!(offset(r"[ \t](?P<secret>A{20,23}[B-Z])", &["aaaaaaaaaaaaaaaaaaaa"]), Some(1));
        assert_eq!(offset(r"\b(?P<secret>[a-z0-9]{36}NRAL)\b", &["nral"]), Some(36));
        assert_eq!(offset(r"[a-z]{3}_(?:live|test)_[a-z]{8}", &["_live_", "_test_"]), Some(3));
        assert_eq!(offset(r"(?:sk|rk)_(?:live|test)_[a-z]{8}", &["_live_", "_test_"]), Some(2));
        assert_eq!(offset(r"(?:^|[^A-Za-z0-9_-])(?P<secret>sk-proj-[A-Za-z0-9]{20})", &["sk-proj-"]), Some(1));
        assert_eq!(offset(r"[A-Za-z0-9]{3}\dQ~[A-Za-z0-9]{31}", &["q~"]), Some(4));
        assert_eq!(offset(r"\s{0,2}(?i:token)=", &["token"]), Some(2));
        assert_eq!(offset(r"\s{0,20}(?i:token)=", &["token"]), Some(20));
        // A keyword missing from one branch means no bound.
        assert_eq!(offset(r"(?:abc_|def_)[0-9]{4}", &["abc_"]), None);
    }
}
