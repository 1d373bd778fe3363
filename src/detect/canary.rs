//! Known-secret canaries: secrets the operator (or the request itself) names, found in a text
//! verbatim, in part, and in the forms a model produces when it is talked into leaking one.
//!
//! **Semantics.** The text is read through a *view*: `%HH` escapes decoded, then separators
//! dropped (ASCII whitespace, `-`, `.`, and the invisible characters U+200B–U+200D, U+2060,
//! U+FEFF, U+00AD), so `s k-p r o j` and `sk%2Dproj` read as `skproj`. Each canary contributes
//! *forms*, normalised the same way: the secret itself and reversed (class *plain*), its hex
//! encoding (*hex*, matched case-insensitively), and its base64 encoding in the standard and
//! URL-safe alphabets at the three byte alignments, keeping only the characters that depend on
//! the secret alone, so a secret inside a longer base64 run is found (*base64*). A *leak* is a
//! run of the view that is a substring of some form of its class and at least as long as the
//! class's threshold: `min_run` characters for plain (12 by default), `2 × min_run` hex digits,
//! `⌈4 × min_run / 3⌉ − 1` base64 characters (the ones a run of `min_run` bytes always fixes).
//! Findings are the unions of overlapping leaks, as raw spans from the first to the last
//! character read (separators inside included).
//!
//! **How.** Per class, one suffix automaton over all its forms (joined by a symbol no text
//! byte can be) gives, byte by byte, the length of the longest suffix of the view read so far
//! that occurs in a form (matching statistics). A run is a leak once that length reaches the
//! threshold; it grows while the length does.
//!
//! **Streaming.** [`CanaryScan`] carries the automaton states across pushes, so its findings
//! are those of the whole text whatever the cuts. What it holds back is exactly the current
//! matched suffix (the longest, over classes), which could still grow into a leak, and an
//! unfinished `%` escape: on prose, almost nothing.
//!
//! Canary values live in memory only; `Debug` shows counts, findings hold a fingerprint.

use super::{Finding, Fingerprint, Span};
use crate::rules::{Confidence, Kind};

/// Shortest run of a canary that counts as a leak unless configured otherwise.
pub const DEFAULT_MIN_RUN: usize = 12;
/// `min_run` below this would flag ordinary words.
pub const LEAST_MIN_RUN: usize = 8;

/// Why a canary set could not be built. Never includes a canary's value.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CanaryError {
    #[error("min_run must be at least {LEAST_MIN_RUN} (got {0})")]
    MinRun(usize),
    #[error(
        "canary {index} has {len} characters after separators are removed; canaries need at least min_run ({min_run})"
    )]
    TooShort { index: usize, len: usize, min_run: usize },
}

/// Compiled canaries. Build once per configuration (or per request, for secrets found in it);
/// share behind an `Arc`.
pub struct CanarySet {
    classes: [Class; 3],
    count: usize,
    min_run: usize,
}

impl std::fmt::Debug for CanarySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CanarySet").field("count", &self.count).field("min_run", &self.min_run).finish_non_exhaustive()
    }
}

/// One class of forms: its automaton, its threshold, whether the view is lower-cased for it,
/// and the same class's forms of [`BACKGROUND`].
struct Class {
    sam: SuffixAutomaton,
    threshold: usize,
    fold_case: bool,
    background: std::sync::Arc<SuffixAutomaton>,
}

/// Text that many secrets share and ordinary text contains: the DER headers every key of a
/// type starts with, common JWT headers, the names secrets are stored under (key-file armour
/// is not part of a canary at all: [`strip_armour`]). A run of a canary that lies wholly inside one of these (in the same form) is not a
/// leak of *that* canary: another RSA key's first bytes or `access_token` in an answer are not
/// the key the operator named. A run that goes on into the canary's own characters is.
const BACKGROUND: &[&str] = &[
    // DER prefixes of PKCS#8 / PKCS#1 / SEC1 keys and certificates, in base64.
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ",
    "MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQ",
    "MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQ",
    "MIIJQgIBADANBgkqhkiG9w0BAQEFAASCCSwwggkoAgEAAoICAQ",
    "MIIJQwIBADANBgkqhkiG9w0BAQEFAASCCS0wggkpAgEAAoICAQ",
    "MIIJQQIBADANBgkqhkiG9w0BAQEFAASCCSswggknAgEAAoICAQ",
    "MIIEowIBAAKCAQEA",
    "MIIEpAIBAAKCAQEA",
    "MIIEpQIBAAKCAQEA",
    "MIIJKAIBAAKCAgEA",
    "MIIJKQIBAAKCAgEA",
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg",
    "MHcCAQEEI",
    "AwEHoUQDQgAE",
    "MIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEA",
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA",
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAA",
    "AAAAB3NzaC1yc2EAAAADAQABAAABAQ",
    "AAAAC3NzaC1lZDI1NTE5AAAA",
    "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBA",
    // JWT headers.
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
    "eyJhbGciOiJIUzM4NCIsInR5cCI6IkpXVCJ9",
    "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9",
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9",
    "eyJhbGciOiJSUzI1NiIsImtpZCI6",
    "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9",
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9",
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9",
    "eyJhbGciOiJIUzI1NiJ9",
    "eyJhbGciOiJSUzI1NiJ9",
    "eyJhbGciOiJub25lIn0",
    // Where secrets are kept, and how they are sent.
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "client_id",
    "api_key",
    "apikey",
    "secret_key",
    "secret_access_key",
    "access_key_id",
    "private_key",
    "private_key_id",
    "password",
    "passwd",
    "Authorization: Bearer ",
    "Authorization: Basic ",
    "x-api-key",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SESSION_TOKEN",
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GITHUB_TOKEN",
    "DATABASE_URL",
    "SECRET_KEY_BASE",
    "aws_secret_access_key",
    "aws_access_key_id",
    "\"type\": \"service_account\"",
    "https://",
    "http://",
    "postgresql://",
    "postgres://",
    "mysql://",
    "mongodb+srv://",
    "mongodb://",
    "redis://",
    "amqp://",
    "@localhost:",
    "@127.0.0.1:",
    "googleapis.com",
    "amazonaws.com",
];

/// A key file's armour (`-----BEGIN …-----`) and header lines (`Proc-Type:`, …) are the same
/// in every key of its type: a canary is the rest.
fn strip_armour(secret: &str) -> std::borrow::Cow<'_, str> {
    static ARMOUR: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let armour = ARMOUR.get_or_init(|| {
        regex::Regex::new(
            r"-----(?:BEGIN|END) [A-Z0-9 ]{1,40}-----|(?m)^(?:Proc-Type|DEK-Info|Comment|Version): [^\n]*$",
        )
        .ok()
    });
    match armour {
        Some(re) if secret.contains("-----") => re.replace_all(secret, ""),
        _ => secret.into(),
    }
}

/// What `-----BEGIN …-----` lines name.
const ARMOURED: &[&str] = &[
    "RSA PRIVATE KEY",
    "PRIVATE KEY",
    "EC PRIVATE KEY",
    "DSA PRIVATE KEY",
    "OPENSSH PRIVATE KEY",
    "ENCRYPTED PRIVATE KEY",
    "PGP PRIVATE KEY BLOCK",
    "PGP PUBLIC KEY BLOCK",
    "PGP MESSAGE",
    "PGP SIGNATURE",
    "CERTIFICATE",
    "CERTIFICATE REQUEST",
    "PUBLIC KEY",
    "RSA PUBLIC KEY",
];

/// The background's forms per class, built once.
fn background() -> &'static [std::sync::Arc<SuffixAutomaton>; 3] {
    static BG: std::sync::OnceLock<[std::sync::Arc<SuffixAutomaton>; 3]> = std::sync::OnceLock::new();
    BG.get_or_init(|| {
        let mut forms = forms_of(BACKGROUND, false);
        // Key files are often stored base64-encoded (Kubernetes secrets): their armour then
        // reads as base64 text, and so does a canary that is such a file.
        for kind in ARMOURED {
            for line in [format!("-----BEGIN {kind}-----\n"), format!("\n-----END {kind}-----\n")] {
                for offset in 0..3 {
                    forms[PLAIN].push(normalize(&base64_fixed(line.as_bytes(), offset, STANDARD)));
                }
            }
        }
        forms.map(|f| std::sync::Arc::new(SuffixAutomaton::new(&f)))
    })
}

/// The forms of `secrets` per class (see the module docs); `reversed` adds reversed plain forms.
fn forms_of<S: AsRef<str>>(secrets: &[S], reversed: bool) -> [Vec<Vec<u8>>; 3] {
    let mut forms: [Vec<Vec<u8>>; 3] = Default::default();
    for secret in secrets {
        let secret = secret.as_ref();
        if reversed {
            let rev: String = secret.chars().rev().collect();
            forms[PLAIN].push(normalize(rev.as_bytes()));
        }
        forms[PLAIN].push(normalize(secret.as_bytes()));
        forms[HEX].push(hex(secret.as_bytes()));
        for alphabet in [STANDARD, URL_SAFE] {
            for offset in 0..3 {
                forms[BASE64].push(normalize(&base64_fixed(secret.as_bytes(), offset, alphabet)));
            }
        }
    }
    forms
}

const PLAIN: usize = 0;
const HEX: usize = 1;
const BASE64: usize = 2;

impl CanarySet {
    /// Compiles `secrets`; each must keep at least `min_run` characters once separators are
    /// removed. Duplicates and empty lines are fine.
    pub fn new<S: AsRef<str>>(secrets: &[S], min_run: usize) -> Result<CanarySet, CanaryError> {
        if min_run < LEAST_MIN_RUN {
            return Err(CanaryError::MinRun(min_run));
        }
        let mut kept = Vec::new();
        for (index, secret) in secrets.iter().enumerate() {
            let secret = secret.as_ref();
            if secret.trim().is_empty() {
                continue;
            }
            let secret = strip_armour(secret);
            let len = normalize(secret.as_bytes()).len();
            if len < min_run {
                return Err(CanaryError::TooShort { index: index + 1, len, min_run });
            }
            kept.push(secret);
        }
        let count = kept.len();
        let mut forms = forms_of(&kept, true);
        let thresholds = [min_run, 2 * min_run, (4 * min_run).div_ceil(3) - 1];
        let bg = background();
        let classes = [PLAIN, HEX, BASE64].map(|c| Class {
            sam: SuffixAutomaton::new(&std::mem::take(&mut forms[c])),
            threshold: thresholds[c],
            fold_case: c == HEX,
            background: bg[c].clone(),
        });
        Ok(CanarySet { classes, count, min_run })
    }

    /// Like [`CanarySet::new`], but secrets too short to be canaries are left out (for
    /// secrets found in a request, which no one chose).
    pub fn skipping_short<S: AsRef<str>>(secrets: &[S], min_run: usize) -> Result<CanarySet, CanaryError> {
        let long: Vec<&str> = secrets
            .iter()
            .map(AsRef::as_ref)
            .filter(|s| normalize(strip_armour(s).as_bytes()).len() >= min_run)
            .collect();
        CanarySet::new(&long, min_run)
    }

    /// How many canaries the set holds.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn min_run(&self) -> usize {
        self.min_run
    }

    /// Leaks in a whole text, in order.
    pub fn scan(&self, text: &[u8]) -> Vec<Finding> {
        let mut scan = CanaryScan::default();
        let mut out = Vec::new();
        scan.advance(self, text, 0, true, &mut out);
        out
    }
}

/// Separators dropped from the view (besides the invisible characters).
fn is_separator(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'-' | b'.')
}

/// Length of an invisible character starting `bytes`, if one does.
fn invisible(bytes: &[u8]) -> Option<usize> {
    match bytes {
        [0xE2, 0x80, 0x8B..=0x8D, ..] | [0xE2, 0x81, 0xA0, ..] | [0xEF, 0xBB, 0xBF, ..] => Some(3),
        [0xC2, 0xAD, ..] => Some(2),
        _ => None,
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// One step of the view over `bytes` (the unread text): `Some((consumed, byte))`, with `byte`
/// `None` for a dropped separator; `None` when an escape may still be completing (`more`).
fn view_step(bytes: &[u8], more: bool) -> Option<(usize, Option<u8>)> {
    let b = *bytes.first()?;
    if b == b'%' {
        match (bytes.get(1).map(|&h| hex_value(h)), bytes.get(2).map(|&l| hex_value(l))) {
            (Some(Some(h)), Some(Some(l))) => {
                let d = h << 4 | l;
                return Some((3, (!is_separator(d)).then_some(d)));
            }
            (None, _) | (Some(Some(_)), None) if more => return None,
            _ => return Some((1, Some(b))),
        }
    }
    if let Some(n) = invisible(bytes) {
        return Some((n, None));
    }
    Some((1, (!is_separator(b)).then_some(b)))
}

/// The view of a whole string (forms are normalised exactly as texts are read).
fn normalize(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while let Some((n, b)) = view_step(&bytes[at..], false) {
        out.extend(b);
        at += n;
    }
    out
}

fn hex(bytes: &[u8]) -> Vec<u8> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes.iter().flat_map(|&b| [DIGITS[(b >> 4) as usize], DIGITS[(b & 15) as usize]]).collect()
}

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The base64 characters of `offset` unknown bytes followed by `bytes` that depend on
/// `bytes` alone (character `j` covers bits `[6j, 6j + 6)` of the stream), and the last one
/// as an encoder writes it when `bytes` end the data (padded with zero bits).
fn base64_fixed(bytes: &[u8], offset: usize, alphabet: &[u8; 64]) -> Vec<u8> {
    let bits = |i: usize| -> u32 {
        // Bit i of the stream (MSB first): the secret's, then zeros.
        bytes.get(i / 8 - offset).map_or(0, |byte| u32::from(byte >> (7 - i % 8) & 1))
    };
    let (first, end) = ((8 * offset).div_ceil(6), (8 * (offset + bytes.len())).div_ceil(6));
    (first..end)
        .map(|j| {
            let v = (0..6).fold(0u32, |v, k| v << 1 | bits(6 * j + k));
            alphabet[v as usize]
        })
        .collect()
}

/// A suffix automaton over several strings joined by a symbol no text byte can be: it
/// recognises exactly their substrings. Transitions per state in a small sorted list; the
/// root's in a table (most text bytes fall back to it).
pub(crate) struct SuffixAutomaton {
    len: Vec<u32>,
    link: Vec<u32>,
    next: Vec<Vec<(u16, u32)>>,
    root_next: Box<[u32; 256]>,
}

const NONE: u32 = u32::MAX;
const JOIN: u16 = 256;

impl SuffixAutomaton {
    fn new(strings: &[Vec<u8>]) -> SuffixAutomaton {
        let mut sam = SuffixAutomaton::build(strings.iter().map(|s| s.iter().map(|&b| u16::from(b))), JOIN);
        for &(c, t) in &sam.next[0] {
            if c < 256 {
                sam.root_next[c as usize] = t;
            }
        }
        sam
    }

    /// Over sequences of symbols (word ids, say) below `u16::MAX`; step with
    /// [`SuffixAutomaton::step_symbol`].
    pub(crate) fn from_symbols(sequences: &[Vec<u16>]) -> SuffixAutomaton {
        SuffixAutomaton::build(sequences.iter().map(|s| s.iter().copied()), u16::MAX)
    }

    fn build<I: Iterator<Item = u16>>(strings: impl Iterator<Item = I>, join: u16) -> SuffixAutomaton {
        let mut sam = SuffixAutomaton {
            len: vec![0],
            link: vec![NONE],
            next: vec![Vec::new()],
            root_next: Box::new([NONE; 256]),
        };
        let mut last = 0u32;
        for s in strings {
            for c in s {
                last = sam.extend(last, c);
            }
            last = sam.extend(last, join);
        }
        sam
    }

    /// [`SuffixAutomaton::step`] for a symbol automaton.
    pub(crate) fn step_symbol(&self, state: u32, len: u32, c: u16) -> (u32, u32) {
        self.follow(state, len, |s| self.get(s, c))
    }

    /// From `(state, len)`, the longest suffix that `next` (a state's transition on the new
    /// symbol) extends, and its state after the symbol: suffix links until one has it.
    fn follow(&self, state: u32, len: u32, next: impl Fn(u32) -> u32) -> (u32, u32) {
        let (mut s, mut l) = (state, len);
        loop {
            let t = next(s);
            if t != NONE {
                return (t, l + 1);
            }
            if s == 0 {
                return (0, 0);
            }
            s = self.link[s as usize];
            l = self.len[s as usize];
        }
    }

    fn get(&self, state: u32, c: u16) -> u32 {
        let edges = &self.next[state as usize];
        edges.binary_search_by_key(&c, |e| e.0).map_or(NONE, |i| edges[i].1)
    }

    fn set(&mut self, state: u32, c: u16, to: u32) {
        let edges = &mut self.next[state as usize];
        match edges.binary_search_by_key(&c, |e| e.0) {
            Ok(i) => edges[i].1 = to,
            Err(i) => edges.insert(i, (c, to)),
        }
    }

    /// The classic online construction (one symbol appended).
    fn extend(&mut self, last: u32, c: u16) -> u32 {
        let cur = self.len.len() as u32;
        self.len.push(self.len[last as usize] + 1);
        self.link.push(NONE);
        self.next.push(Vec::new());
        let mut p = last;
        while p != NONE && self.get(p, c) == NONE {
            self.set(p, c, cur);
            p = self.link[p as usize];
        }
        if p == NONE {
            self.link[cur as usize] = 0;
            return cur;
        }
        let q = self.get(p, c);
        if self.len[p as usize] + 1 == self.len[q as usize] {
            self.link[cur as usize] = q;
            return cur;
        }
        let clone = self.len.len() as u32;
        self.len.push(self.len[p as usize] + 1);
        self.link.push(self.link[q as usize]);
        self.next.push(self.next[q as usize].clone());
        while p != NONE && self.get(p, c) == q {
            self.set(p, c, clone);
            p = self.link[p as usize];
        }
        self.link[q as usize] = clone;
        self.link[cur as usize] = clone;
        cur
    }

    /// Whether `bytes` (lower-cased first with `fold`) occur in one of the strings.
    fn contains(&self, bytes: &[u8], fold: bool) -> bool {
        let mut s = 0u32;
        for &b in bytes {
            let b = if fold { b.to_ascii_lowercase() } else { b };
            s = if s == 0 { self.root_next[b as usize] } else { self.get(s, u16::from(b)) };
            if s == NONE {
                return false;
            }
        }
        true
    }

    /// Follows byte `b` from `(state, len)`: the longest suffix of the text read so far plus
    /// `b` that is a substring.
    fn step(&self, state: u32, len: u32, b: u8) -> (u32, u32) {
        self.follow(state, len, |s| if s == 0 { self.root_next[b as usize] } else { self.get(s, u16::from(b)) })
    }
}

/// Leaks found by a scan and not reported yet: raw spans, sorted, disjoint (overlapping leaks
/// merge). Shared by the canary and system-prompt scans.
#[derive(Debug, Default)]
pub(crate) struct OpenLeaks(Vec<Span>);

impl OpenLeaks {
    pub(crate) fn add(&mut self, mut s: Span) {
        let open = &mut self.0;
        let i = open.partition_point(|o| o.end <= s.start);
        let mut j = i;
        while j < open.len() && open[j].start < s.end {
            s.start = s.start.min(open[j].start);
            s.end = s.end.max(open[j].end);
            j += 1;
        }
        open.splice(i..j, [s]);
    }

    pub(crate) fn first_start(&self) -> Option<usize> {
        self.0.first().map(|s| s.start)
    }

    /// Reports, as findings of `kind`, the leaks that end by `bound` (nothing before it can
    /// grow any more); `text` holds the stream from `base`. Returns the bound lowered to the
    /// first leak still open.
    pub(crate) fn release(
        &mut self,
        kind: Kind,
        bound: usize,
        text: &[u8],
        base: usize,
        out: &mut Vec<Finding>,
    ) -> usize {
        let done = self.0.partition_point(|s| s.end <= bound);
        out.extend(self.0.drain(..done).map(|s| Finding {
            rule: 0,
            kind,
            secret: s,
            span: s,
            confidence: Confidence::High,
            fingerprint: Fingerprint::of(text.get(s.start - base..s.end - base).unwrap_or_default()),
        }));
        self.first_start().map_or(bound, |start| start.min(bound))
    }
}

/// The incremental scan of one text against a [`CanarySet`]; see the module docs.
#[derive(Debug, Default)]
pub struct CanaryScan {
    /// Raw end of the text read so far (bytes before it have been through the view).
    read: usize,
    /// Per class: automaton state and matched length (in view bytes).
    states: [(u32, u32); 3],
    /// Raw start of each view byte still needed, and the byte (trimmed from the front).
    view: Vec<usize>,
    view_bytes: Vec<u8>,
    /// Raw end of the last view byte.
    view_end: usize,
    open: OpenLeaks,
}

impl CanaryScan {
    /// Reads `[self.read, base + text.len())` of the stream whose bytes from `base` on are
    /// `text`; `end` says nothing follows. Appends final leaks to `out` and returns the release
    /// bound: no unreported leak begins before it, and every reported one ends before it.
    pub fn advance(&mut self, set: &CanarySet, text: &[u8], base: usize, end: bool, out: &mut Vec<Finding>) -> usize {
        let to = base + text.len();
        while self.read < to {
            let Some((n, b)) = view_step(&text[self.read - base..], !end) else { break };
            if let Some(b) = b {
                self.view.push(self.read);
                self.view_bytes.push(b);
                self.view_end = self.read + n;
                let v = self.view.len();
                for (c, class) in set.classes.iter().enumerate() {
                    let byte = if class.fold_case { b.to_ascii_lowercase() } else { b };
                    let (s, l) = class.sam.step(self.states[c].0, self.states[c].1, byte);
                    self.states[c] = (s, l);
                    let l = l as usize;
                    // A run wholly inside shared background text is not this canary's. Runs
                    // are rare, so the background is only read over one when there is one.
                    if l >= class.threshold && !class.background.contains(&self.view_bytes[v - l..], class.fold_case) {
                        let start = self.view[v - l];
                        self.open.add(Span { start, end: self.view_end });
                    }
                }
            }
            self.read += n;
        }
        let bound = if end {
            self.states = Default::default();
            to
        } else {
            let held = self.states.iter().map(|s| s.1 as usize).max().unwrap_or(0);
            let v = self.view.len();
            let from = if held == 0 { self.read } else { self.view[v - held] };
            from.min(self.read)
        };
        let bound = self.open.release(Kind::Canary, bound, text, base, out);
        self.trim();
        bound
    }

    /// Earliest raw position this scan still needs of the text.
    pub fn keep_from(&self) -> usize {
        let held = self.states.iter().map(|s| s.1 as usize).max().unwrap_or(0);
        let v = self.view.len();
        let view_from = if held == 0 { self.read } else { self.view[v - held] };
        self.open.first_start().map_or(view_from, |s| s.min(view_from)).min(self.read)
    }

    /// Forgets everything before `at` and starts over there (after an overflow).
    pub fn reset(&mut self, at: usize) {
        *self = CanaryScan { read: at.max(self.read), ..CanaryScan::default() };
    }

    /// Drops view positions no held suffix can reach back to.
    fn trim(&mut self) {
        let held = self.states.iter().map(|s| s.1 as usize).max().unwrap_or(0);
        let drop = self.view.len() - held;
        if drop >= 1024 && drop * 2 >= self.view.len() {
            self.view.drain(..drop);
            self.view_bytes.drain(..drop);
        }
    }
}

#[cfg(test)]
mod tests;
