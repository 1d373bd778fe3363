//! Where a rule's keyword sits in its matches.
//!
//! If every match of a regex begins with one of a finite set of strings and each of those
//! strings contains a keyword within its first `p` bytes, then every match starts at most `p`
//! bytes before a keyword occurrence. The engine then tries the regex *anchored* at the
//! `p + 1` positions before each keyword hit instead of searching a window around it — a
//! failing anchored attempt dies after a few bytes. The analysis is conservative: when the
//! prefix set is not finite and small, it answers `None` and the engine uses windows.

use regex_syntax::hir::{Class, Hir, HirKind};

/// Most prefixes tracked before giving up.
const MAX_PREFIXES: usize = 512;
/// Longest prefix tracked.
const MAX_PREFIX_LEN: usize = 64;
/// Largest byte class expanded into alternatives; wider classes become one wildcard byte.
const MAX_CLASS: usize = 8;
/// Largest repetition count expanded into alternatives.
const MAX_REPEAT: u32 = 8;
/// Stands for "any byte" in a prefix; never part of a keyword.
const WILD: u8 = 0;

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
}

impl Lead {
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
    let (set, _) = prefixes(hir)?;
    let mut by_offset: std::collections::BTreeMap<usize, Vec<Vec<u8>>> = Default::default();
    for p in &set {
        let first = keywords.iter().filter_map(|k| p.windows(k.len()).position(|w| w == k.as_bytes())).min()?;
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
    Some(Lead { offsets, before })
}

/// Lower-cased strings one of which begins every match, and whether they are whole matches
/// (so a following item can be appended). `None` when the set grows too large.
fn prefixes(hir: &Hir) -> Option<(Vec<Vec<u8>>, bool)> {
    let open = |set| Some((set, false));
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Some((vec![Vec::new()], true)),
        HirKind::Literal(lit) => Some((vec![lit.0.to_ascii_lowercase()], true)),
        HirKind::Class(class) => {
            let mut bytes: Vec<u8> = match class {
                Class::Bytes(c) => c.iter().flat_map(|r| r.start()..=r.end()).take(MAX_CLASS * 4 + 1).collect(),
                Class::Unicode(c) => c
                    .iter()
                    .flat_map(|r| r.start()..=r.end())
                    .take(MAX_CLASS * 4 + 1)
                    .map(|ch| if ch.is_ascii() { ch as u8 } else { 0x80 })
                    .collect(),
            };
            bytes.iter_mut().for_each(|b| *b = b.to_ascii_lowercase());
            bytes.sort_unstable();
            bytes.dedup();
            if bytes.len() > MAX_CLASS || bytes.contains(&0x80) || bytes.contains(&WILD) {
                return Some((vec![vec![WILD]], true));
            }
            Some((bytes.into_iter().map(|b| vec![b]).collect(), true))
        }
        HirKind::Capture(cap) => prefixes(&cap.sub),
        HirKind::Repetition(rep) => {
            let (one, exact) = prefixes(&rep.sub)?;
            match rep.max {
                // A short counted repetition of a whole-match piece: every count is an alternative.
                Some(max) if exact && max <= MAX_REPEAT => {
                    let mut all = Vec::new();
                    let mut current: Vec<Vec<u8>> = vec![Vec::new()];
                    for count in 0..=max {
                        if count >= rep.min {
                            all.extend(current.iter().cloned());
                        }
                        if count == max {
                            break;
                        }
                        current = join(&current, &one)?;
                    }
                    all.sort_unstable();
                    all.dedup();
                    (all.len() <= MAX_PREFIXES).then_some((all, true))
                }
                _ if rep.min == 0 => open(vec![Vec::new()]),
                // At least one iteration: its prefixes begin the match.
                _ => open(one),
            }
        }
        HirKind::Concat(items) => {
            let mut acc: Vec<Vec<u8>> = vec![Vec::new()];
            for item in items {
                let (next, exact) = prefixes(item)?;
                let Some(joined) = join(&acc, &next) else { return open(acc) };
                acc = joined;
                if !exact || acc.iter().any(|s| s.len() >= MAX_PREFIX_LEN) {
                    return open(acc);
                }
            }
            Some((acc, true))
        }
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            let mut exact = true;
            for b in branches {
                let (set, e) = prefixes(b)?;
                exact &= e;
                all.extend(set);
                if all.len() > MAX_PREFIXES {
                    return None;
                }
            }
            all.sort_unstable();
            all.dedup();
            Some((all, exact))
        }
    }
}

/// Every `a` followed by every `b`, truncated to `MAX_PREFIX_LEN`; `None` if too many.
fn join(a: &[Vec<u8>], b: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    if a.len() * b.len() > MAX_PREFIXES {
        return None;
    }
    let mut joined = Vec::with_capacity(a.len() * b.len());
    for x in a {
        for y in b {
            let mut s = x.clone();
            s.extend_from_slice(y);
            s.truncate(MAX_PREFIX_LEN);
            joined.push(s);
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

    #[test]
    fn offsets() {
        assert_eq!(offset(r"\b(?P<secret>ghp_[A-Za-z0-9]{36})\b", &["ghp_"]), Some(0));
        assert_eq!(offset(r"(?:\\[nrt]|\b)(?P<secret>mlsn\.[a-f0-9]{64})", &["mlsn."]), Some(2));
        assert_eq!(
            offset(r"(?i)(?:pass(?:word|wd)|pwd)\s{0,3}=\s{0,3}(?P<secret>\S{8,64})", &["password", "passwd", "pwd"]),
            Some(0)
        );
        assert_eq!(offset(r"(?i)x-api-key:\s{0,2}(?P<secret>[a-z]{8})", &["api-key"]), Some(2));
        assert_eq!(offset(r"[A-Za-z0-9_.-]{0,40}token=(?P<secret>\w{8,64})", &["token"]), None);
        assert_eq!(offset(r"[a-z]{3}_(?:live|test)_[a-z]{8}", &["_live_", "_test_"]), Some(3));
        assert_eq!(offset(r"(?:sk|rk)_(?:live|test)_[a-z]{8}", &["_live_", "_test_"]), Some(2));
        assert_eq!(offset(r"(?:^|[^A-Za-z0-9_-])(?P<secret>sk-proj-[A-Za-z0-9]{20})", &["sk-proj-"]), Some(1));
        assert_eq!(offset(r"[A-Za-z0-9]{3}\dQ~[A-Za-z0-9]{31}", &["q~"]), Some(4));
        assert_eq!(offset(r"\s{0,2}(?i:token)=", &["token"]), Some(2));
        assert_eq!(offset(r"\s{0,20}(?i:token)=", &["token"]), None);
        // A keyword missing from one branch means no bound.
        assert_eq!(offset(r"(?:abc_|def_)[0-9]{4}", &["abc_"]), None);
    }
}
