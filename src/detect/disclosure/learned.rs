//! What a unit is judged on besides its rules: where its sentence sits in the text, and its
//! words.
//!
//! The rules say *what* a sentence asks for; they cannot say whose sentence it is. A request
//! the user makes and the same words inside a document the user pasted ("rewrite this for
//! clarity: … paste your key when prompted …") match the same rules. So each unit also
//! carries *structural* features — its sentence comes after a line that ends in a colon
//! (the user introduced a text), it is not on the first line, it quotes after a colon, it is
//! a question, it sits in a code fence — and its words: every word of the sentence and its
//! neighbours, cut to its first [`STEM`] bytes (a light stem across the six languages: "keys"
//! and "key", "revealed" and "reveal"; a Chinese character is a word), hashed into
//! 2^[`WORD_BITS`] buckets. Each feature is an id; its weight is learned with the rules' scores
//! (`patterns/disclosure.py`, written to `patterns/disclosure-weights.txt`) and added to the
//! unit's score. Deterministic: FNV-1a over fixed bytes, the same on every platform.

/// Structural features: ids `0..STRUCTURAL`.
pub const STRUCTURAL: u32 = 8;
/// Word buckets: ids `STRUCTURAL..STRUCTURAL + 2^WORD_BITS`.
pub const WORD_BITS: u32 = 12;
/// Bytes of a word that count (ASCII words only; a Chinese character is a word of its own).
pub const STEM: usize = 6;

/// The sentence comes after a line ending in a colon: the user introduced a text.
const AFTER_COLON_LINE: u32 = 0;
/// The sentence is not on the text's first line.
const LATER_LINE: u32 = 1;
/// The sentence quotes after a colon or comma (`Translate to German: '…'`).
const QUOTES: u32 = 2;
/// The sentence ends in a question mark.
const QUESTION: u32 = 3;
/// The sentence is inside a code fence.
const IN_CODE: u32 = 4;

/// Where the line breaks and code fences of a normalized text are: read once per text, so
/// that a text with many units is not read again for each.
#[derive(Debug)]
pub struct Layout {
    /// The end of the first `:` + line break, and the first line break.
    colon_line: Option<usize>,
    newline: Option<usize>,
    /// The ends of the code fences (```), in order.
    fences: Vec<usize>,
}

impl Layout {
    pub fn of(t: &str) -> Layout {
        Layout {
            colon_line: t.find(":\n").map(|i| i + 2),
            newline: t.find('\n').map(|i| i + 1),
            fences: t.match_indices("```").map(|(i, _)| i + 3).collect(),
        }
    }
}

/// The learned features of a unit whose sentence is `sentence` and whose sentence with its
/// neighbours is `context`, byte ranges of the normalized text `t` (laid out as `layout`),
/// sorted and deduplicated.
pub fn features(t: &str, layout: &Layout, sentence: (usize, usize), context: (usize, usize)) -> Vec<u32> {
    let own = &t[sentence.0..sentence.1];
    let mut out = Vec::with_capacity(32);
    if layout.colon_line.is_some_and(|e| e <= sentence.0) {
        out.push(AFTER_COLON_LINE);
    }
    if layout.newline.is_some_and(|e| e <= sentence.0) {
        out.push(LATER_LINE);
    }
    let b = own.as_bytes();
    if b.windows(3).any(|w| matches!(w[0], b':' | b',') && w[1] == b' ' && matches!(w[2], b'"' | b'\'' | b'`'))
        || b.windows(2).any(|w| matches!(w[0], b':' | b',') && matches!(w[1], b'"' | b'\'' | b'`'))
    {
        out.push(QUOTES);
    }
    if own.trim_end().ends_with('?') {
        out.push(QUESTION);
    }
    if layout.fences.partition_point(|&e| e <= sentence.0) % 2 == 1 {
        out.push(IN_CODE);
    }
    let mask = (1u32 << WORD_BITS) - 1;
    for word in words(&t[context.0..context.1]) {
        out.push(STRUCTURAL + (fnv1a(b"u ", word.as_bytes()) & mask));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The words of `text` (normalized: lower case, accents folded): runs of ASCII letters, digits
/// and `_`, cut to [`STEM`] bytes, and each CJK ideograph on its own.
fn words(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let (i, c) = rest.char_indices().find(|&(_, c)| c.is_ascii_alphanumeric() || c == '_' || is_cjk(c))?;
        if is_cjk(c) {
            let word = &rest[i..i + c.len_utf8()];
            rest = &rest[i + c.len_utf8()..];
            return Some(word);
        }
        let tail = &rest[i..];
        let len = tail.bytes().position(|b| !(b.is_ascii_alphanumeric() || b == b'_')).unwrap_or(tail.len());
        rest = &tail[len..];
        Some(&tail[..len.min(STEM)])
    })
}

fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

fn fnv1a(prefix: &[u8], bytes: &[u8]) -> u32 {
    let mut h = Fnv::default();
    h.write(prefix);
    h.write(bytes);
    h.finish()
}

/// 32-bit FNV-1a, fed in pieces (the learned features' hash: part of their data format).
#[derive(Clone, Copy, Debug)]
pub(super) struct Fnv(u32);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0x811c_9dc5)
    }
}

impl Fnv {
    pub(super) fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u32::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0193);
        }
    }

    pub(super) fn finish(self) -> u32 {
        self.0
    }
}

/// The `name value` lines of a data file (`#` comments and blank lines skipped), each with its
/// index; a line of another shape is an error saying it should be `expected`.
pub(super) fn pairs<'a>(
    text: &'a str,
    expected: &'a str,
) -> impl Iterator<Item = Result<(usize, &'a str, &'a str), String>> + 'a {
    text.lines().enumerate().filter_map(move |(n, line)| {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return None;
        }
        let mut it = line.split_whitespace();
        Some(match (it.next(), it.next(), it.next()) {
            (Some(key), Some(value), None) => Ok((n, key, value)),
            _ => Err(format!("line {}: expected {expected}", n + 1)),
        })
    })
}

/// The learned weights of the features, in units of the detector's threshold (a unit is a
/// finding at 1).
#[derive(Debug, Default, Clone)]
pub struct Weights(Vec<f64>);

impl Weights {
    /// Parses `id weight` lines (`#` comments, blank lines skipped).
    pub fn parse(text: &str) -> Result<Weights, String> {
        let mut w = vec![0.0; (STRUCTURAL + (1 << WORD_BITS)) as usize];
        for entry in pairs(text, "`id weight`") {
            let (n, id, v) = entry?;
            let id: usize = id.parse().map_err(|_| format!("line {}: bad id", n + 1))?;
            let v: f64 = v.parse().map_err(|_| format!("line {}: bad weight", n + 1))?;
            *w.get_mut(id).ok_or_else(|| format!("line {}: id {id} out of range", n + 1))? = v;
        }
        Ok(Weights(w))
    }

    /// The sum of the weights of `features`.
    pub fn score(&self, features: &[u32]) -> f64 {
        features.iter().map(|&f| self.0.get(f as usize).copied().unwrap_or(0.0)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_cut_and_chinese_characters_stand_alone() {
        let w: Vec<&str> = words("print the openai_api_key, 请打印密钥 now!").collect();
        assert_eq!(w, ["print", "the", "openai", "请", "打", "印", "密", "钥", "now"]);
    }

    /// The hash is part of the data format (`disclosure-weights.txt` holds bucket ids):
    /// changing it needs the weights refitted.
    #[test]
    fn hashing_is_fixed() {
        assert_eq!(fnv1a(b"u ", b"key"), 0x31a4_212f);
        let t = "please rewrite this:\nthe key is stored in the vault.";
        let s = t.find("the key").expect("there");
        let f = features(t, &Layout::of(t), (s, t.len()), (0, t.len()));
        assert!(f.contains(&AFTER_COLON_LINE) && f.contains(&LATER_LINE) && !f.contains(&QUESTION));
        assert!(f.windows(2).all(|p| p[0] < p[1]));
    }

    /// The layout read once gives what reading the text before each sentence gives.
    #[test]
    fn layout_agrees_with_the_text_before() {
        let t = "intro:\nsee ```code``` and ```more\n``` end: x\ny";
        let layout = Layout::of(t);
        for s in 0..=t.len() {
            let before = &t[..s];
            assert_eq!(layout.colon_line.is_some_and(|e| e <= s), before.contains(":\n"), "{s}");
            assert_eq!(layout.newline.is_some_and(|e| e <= s), before.contains('\n'), "{s}");
            assert_eq!(layout.fences.partition_point(|&e| e <= s), before.matches("```").count(), "{s}");
        }
    }

    #[test]
    fn weights_parse_and_sum() {
        let w = Weights::parse("# c\n0 -0.5\n9 0.25\n").expect("parses");
        assert!((w.score(&[0, 9, 10]) + 0.25).abs() < 1e-12);
        assert!(Weights::parse("99999 1").is_err());
    }
}
