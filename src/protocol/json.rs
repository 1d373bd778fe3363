//! A validating JSON walker over raw bytes that reports where each leaf value sits (its path
//! and byte span) without building a tree.
//!
//! Stream chunks are small JSON documents in which only a few string values (the deltas)
//! change; parsing each into a `serde_json::Value` and writing it back costs more than the
//! scan itself. With the spans, the proxy replaces just those strings in the original bytes.
//! Anything unusual (a key with escapes, a lone surrogate, nesting deeper than [`MAX_DEPTH`])
//! is reported as [`Unsupported`] and the caller takes the tree path instead.
//!
//! [`parse`] is the tree path's parser: `serde_json`, refusing documents with a key twice in
//! one object — parsers disagree on which of the two counts, so a value the proxy never read
//! could be the one a client reads (and forwarding unchanged bytes would forward it unscanned).

use std::ops::Range;

/// Deeper documents are left to `serde_json` (which has its own limit).
pub const MAX_DEPTH: usize = 32;

/// One step of a path: an object key (raw, escape-free) or an array index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// The kind of a leaf value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leaf {
    /// A string; the span includes the quotes.
    String,
    Number,
    /// `true` / `false`.
    Bool,
    Null,
}

/// The document is not plain enough (or not valid) for the walker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unsupported;

/// A JSON document as a tree, or `None` if it is not JSON or an object in it has a key twice
/// (see the module docs): the caller then treats it as text.
pub fn parse(text: &str) -> Option<serde_json::Value> {
    use serde::de::DeserializeSeed;
    let value = serde_json::from_str(text).ok()?;
    Unique.deserialize(&mut serde_json::Deserializer::from_str(text)).ok()?;
    Some(value)
}

/// Reads a document and fails on a key seen twice in one object.
struct Unique;

impl<'de> serde::de::DeserializeSeed<'de> for Unique {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Unique {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JSON without a key twice in an object")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Unique)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut keys = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !keys.insert(key) {
                return Err(serde::de::Error::custom("a key twice in one object"));
            }
            map.next_value_seed(Unique)?;
        }
        Ok(())
    }
}

/// Walks `text`, calling `visit(path, leaf, span)` for every leaf value, in document order.
/// Empty objects and arrays are not reported; an object with a key twice is [`Unsupported`].
/// The visitor may stop the walk with `Err(Unsupported)`.
pub fn walk<'a>(
    text: &'a str,
    mut visit: impl FnMut(&[Seg<'a>], Leaf, Range<usize>) -> Result<(), Unsupported>,
) -> Result<(), Unsupported> {
    let mut w = Walker { b: text.as_bytes(), text, pos: 0, path: Vec::with_capacity(8) };
    w.ws();
    w.value(&mut visit)?;
    w.ws();
    if w.pos != w.b.len() {
        return Err(Unsupported);
    }
    Ok(())
}

struct Walker<'a> {
    b: &'a [u8],
    text: &'a str,
    pos: usize,
    path: Vec<Seg<'a>>,
}

impl<'a> Walker<'a> {
    fn ws(&mut self) {
        while self.pos < self.b.len() && matches!(self.b[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn value(
        &mut self,
        visit: &mut impl FnMut(&[Seg<'a>], Leaf, Range<usize>) -> Result<(), Unsupported>,
    ) -> Result<(), Unsupported> {
        if self.path.len() > MAX_DEPTH {
            return Err(Unsupported);
        }
        let start = self.pos;
        match self.peek().ok_or(Unsupported)? {
            b'{' => {
                self.pos += 1;
                self.ws();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(());
                }
                let mut keys: Vec<&'a str> = Vec::new();
                loop {
                    self.ws();
                    let key = self.string()?;
                    let raw = &self.text[key.start + 1..key.end - 1];
                    // Keys are escape-free here, so equal keys are equal bytes.
                    if raw.contains('\\') || keys.contains(&raw) {
                        return Err(Unsupported);
                    }
                    keys.push(raw);
                    self.ws();
                    if self.peek() != Some(b':') {
                        return Err(Unsupported);
                    }
                    self.pos += 1;
                    self.ws();
                    self.path.push(Seg::Key(raw));
                    self.value(visit)?;
                    self.path.pop();
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(());
                        }
                        _ => return Err(Unsupported),
                    }
                }
            }
            b'[' => {
                self.pos += 1;
                self.ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(());
                }
                let mut i = 0;
                loop {
                    self.ws();
                    self.path.push(Seg::Index(i));
                    self.value(visit)?;
                    self.path.pop();
                    i += 1;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(());
                        }
                        _ => return Err(Unsupported),
                    }
                }
            }
            b'"' => {
                let span = self.string()?;
                visit(&self.path, Leaf::String, span)
            }
            b't' | b'f' | b'n' => {
                let (word, leaf): (&[u8], Leaf) = match self.b[start] {
                    b't' => (b"true", Leaf::Bool),
                    b'f' => (b"false", Leaf::Bool),
                    _ => (b"null", Leaf::Null),
                };
                if !self.b[start..].starts_with(word) {
                    return Err(Unsupported);
                }
                self.pos += word.len();
                visit(&self.path, leaf, start..self.pos)
            }
            b'-' | b'0'..=b'9' => {
                self.number()?;
                visit(&self.path, Leaf::Number, start..self.pos)
            }
            _ => Err(Unsupported),
        }
    }

    /// A string token; returns its span with the quotes. Checks escapes (and that `\u`
    /// surrogates pair up) but decodes nothing.
    fn string(&mut self) -> Result<Range<usize>, Unsupported> {
        let start = self.pos;
        if self.peek() != Some(b'"') {
            return Err(Unsupported);
        }
        self.pos += 1;
        loop {
            let rest = &self.b[self.pos..];
            let at = memchr::memchr2(b'"', b'\\', rest).ok_or(Unsupported)?;
            if rest[..at].iter().any(|&c| c < 0x20) {
                return Err(Unsupported);
            }
            self.pos += at;
            match self.b[self.pos] {
                b'"' => {
                    self.pos += 1;
                    return Ok(start..self.pos);
                }
                _ => {
                    let (_, used) = escape(&self.b[self.pos..])?;
                    self.pos += used;
                }
            }
        }
    }

    fn number(&mut self) -> Result<(), Unsupported> {
        let digits = |w: &mut Walker| {
            let s = w.pos;
            while w.peek().is_some_and(|c| c.is_ascii_digit()) {
                w.pos += 1;
            }
            if w.pos == s {
                Err(Unsupported)
            } else {
                Ok(())
            }
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        // JSON's integer part: `0`, or digits without a leading zero (serde_json, and so the
        // tree path, refuses `00` and `01`).
        if self.peek() == Some(b'0') {
            self.pos += 1;
            if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                return Err(Unsupported);
            }
        } else {
            digits(self)?;
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            digits(self)?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            digits(self)?;
        }
        Ok(())
    }
}

/// One escape at the start of `b` (which begins with `\`): the character and the bytes used.
fn escape(b: &[u8]) -> Result<(char, usize), Unsupported> {
    let c = match b.get(1).ok_or(Unsupported)? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let hi = hex4(b.get(2..6).ok_or(Unsupported)?)?;
            if (0xD800..0xDC00).contains(&hi) {
                if b.get(6..8) != Some(b"\\u") {
                    return Err(Unsupported);
                }
                let lo = hex4(b.get(8..12).ok_or(Unsupported)?)?;
                if !(0xDC00..0xE000).contains(&lo) {
                    return Err(Unsupported);
                }
                let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                return Ok((char::from_u32(c).ok_or(Unsupported)?, 12));
            }
            return Ok((char::from_u32(hi).ok_or(Unsupported)?, 6));
        }
        _ => return Err(Unsupported),
    };
    Ok((c, 2))
}

fn hex4(b: &[u8]) -> Result<u32, Unsupported> {
    let mut v = 0;
    for &c in b {
        v = v * 16 + (c as char).to_digit(16).ok_or(Unsupported)?;
    }
    Ok(v)
}

/// The text of a string token (quotes included in `token`), escapes decoded, appended to `out`.
pub fn unescape(token: &str, out: &mut String) -> Result<(), Unsupported> {
    let inner = token.get(1..token.len().saturating_sub(1)).ok_or(Unsupported)?;
    let b = inner.as_bytes();
    let mut at = 0;
    while at < b.len() {
        match memchr::memchr(b'\\', &b[at..]) {
            None => {
                out.push_str(&inner[at..]);
                break;
            }
            Some(i) => {
                out.push_str(&inner[at..at + i]);
                let (c, used) = escape(&b[at + i..])?;
                out.push(c);
                at += i + used;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
