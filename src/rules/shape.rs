//! What the matches of a regex are made of, read off its syntax tree: the bytes they can
//! contain, begin with, or hold at each leading position, and where the `secret` group sits.
//! The streaming redactor uses these to bound what a secret still to come can cover.

use regex_syntax::hir::{Class, Hir, HirKind};

/// A set of bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ByteSet([u64; 4]);

impl ByteSet {
    pub const ALL: ByteSet = ByteSet([u64::MAX; 4]);

    pub fn insert(&mut self, b: u8) {
        self.0[(b >> 6) as usize] |= 1 << (b & 63);
    }
    /// Inserts `b` and, for ASCII letters, its other case.
    pub fn insert_folded(&mut self, b: u8) {
        self.insert(b);
        self.insert(b.to_ascii_uppercase());
        self.insert(b.to_ascii_lowercase());
    }
    #[inline]
    pub fn contains(&self, b: u8) -> bool {
        self.0[(b >> 6) as usize] & (1 << (b & 63)) != 0
    }
    pub fn intersect(&mut self, other: &ByteSet) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a &= b;
        }
    }
    pub fn union(&mut self, other: &ByteSet) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a |= b;
        }
    }
    pub fn is_subset(&self, other: &ByteSet) -> bool {
        self.0.iter().zip(other.0).all(|(a, b)| a & !b == 0)
    }
}

/// Most positions [`positions`] describes.
const MAX_POSITIONS: usize = 16;

/// For the first positions of every match of `hir`, the bytes that can stand there, and
/// whether the expression always matches exactly that many bytes.
pub fn positions(hir: &Hir) -> (Vec<ByteSet>, bool) {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => (Vec::new(), true),
        HirKind::Literal(lit) => {
            let sets: Vec<ByteSet> = lit
                .0
                .iter()
                .map(|&b| {
                    let mut s = ByteSet::default();
                    s.insert(b);
                    s
                })
                .collect();
            (sets, true)
        }
        HirKind::Class(_) => (vec![bytes_of(hir)], true),
        HirKind::Capture(cap) => positions(&cap.sub),
        HirKind::Repetition(rep) => {
            let (one, fixed) = positions(&rep.sub);
            if fixed && !one.is_empty() {
                let mut all = Vec::new();
                for _ in 0..rep.min {
                    if all.len() >= MAX_POSITIONS {
                        break;
                    }
                    all.extend_from_slice(&one);
                }
                let exact = rep.max == Some(rep.min) && all.len() < MAX_POSITIONS;
                all.truncate(MAX_POSITIONS);
                (all, exact)
            } else if rep.min >= 1 {
                (one, false)
            } else {
                (Vec::new(), false)
            }
        }
        HirKind::Concat(items) => {
            let mut all = Vec::new();
            for item in items {
                let (p, fixed) = positions(item);
                all.extend(p);
                if !fixed || all.len() >= MAX_POSITIONS {
                    all.truncate(MAX_POSITIONS);
                    return (all, false);
                }
            }
            (all, true)
        }
        HirKind::Alternation(branches) => {
            let each: Vec<(Vec<ByteSet>, bool)> = branches.iter().map(positions).collect();
            let len = each.iter().map(|(p, _)| p.len()).min().unwrap_or(0);
            let fixed = each.iter().all(|(p, f)| *f && p.len() == len);
            let merged = (0..len)
                .map(|i| {
                    let mut set = ByteSet::default();
                    for (p, _) in &each {
                        set.union(&p[i]);
                    }
                    set
                })
                .collect();
            (merged, fixed)
        }
    }
}

/// The bytes a match of `hir` can begin with, and whether it can be empty.
pub fn first_bytes(hir: &Hir) -> (ByteSet, bool) {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => (ByteSet::default(), true),
        HirKind::Literal(lit) => {
            let mut set = ByteSet::default();
            set.insert(lit.0[0]);
            (set, false)
        }
        HirKind::Class(_) => (bytes_of(hir), false),
        HirKind::Capture(cap) => first_bytes(&cap.sub),
        HirKind::Repetition(rep) => {
            let (set, empty) = first_bytes(&rep.sub);
            (set, empty || rep.min == 0)
        }
        HirKind::Concat(items) => {
            let mut set = ByteSet::default();
            for item in items {
                let (s, empty) = first_bytes(item);
                set.union(&s);
                if !empty {
                    return (set, false);
                }
            }
            (set, true)
        }
        HirKind::Alternation(branches) => {
            let mut set = ByteSet::default();
            let mut empty = false;
            for b in branches {
                let (s, e) = first_bytes(b);
                set.union(&s);
                empty |= e;
            }
            (set, empty)
        }
    }
}

/// Every byte a match of `hir` can contain.
pub fn bytes_of(hir: &Hir) -> ByteSet {
    let mut set = ByteSet::default();
    collect_bytes(hir, &mut set);
    set
}

fn collect_bytes(hir: &Hir, set: &mut ByteSet) {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(lit) => lit.0.iter().for_each(|&b| set.insert(b)),
        HirKind::Class(Class::Bytes(c)) => {
            c.iter().flat_map(|r| r.start()..=r.end()).for_each(|b| set.insert(b));
        }
        HirKind::Class(Class::Unicode(c)) => {
            for r in c.iter() {
                for ch in r.start()..=r.end() {
                    if ch.is_ascii() {
                        set.insert(ch as u8);
                    } else {
                        (0x80..=0xFF).for_each(|b| set.insert(b));
                        break;
                    }
                }
            }
        }
        HirKind::Capture(cap) => collect_bytes(&cap.sub, set),
        HirKind::Repetition(rep) => collect_bytes(&rep.sub, set),
        HirKind::Concat(items) | HirKind::Alternation(items) => items.iter().for_each(|h| collect_bytes(h, set)),
    }
}

/// The sub-expression of the `secret` group, if there is one.
pub fn secret_hir(hir: &Hir) -> Option<&Hir> {
    match hir.kind() {
        HirKind::Capture(cap) if cap.name.as_deref() == Some("secret") => Some(&cap.sub),
        HirKind::Capture(cap) => secret_hir(&cap.sub),
        HirKind::Repetition(rep) => secret_hir(&rep.sub),
        HirKind::Concat(items) | HirKind::Alternation(items) => items.iter().find_map(secret_hir),
        _ => None,
    }
}

/// Whether the regex has a capture group named `secret`.
pub(super) fn has_secret(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Capture(cap) => cap.name.as_deref() == Some("secret") || has_secret(&cap.sub),
        HirKind::Repetition(rep) => has_secret(&rep.sub),
        HirKind::Concat(items) | HirKind::Alternation(items) => items.iter().any(has_secret),
        _ => false,
    }
}
