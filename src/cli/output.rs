//! Turning findings into lines: positions (line, column) and masked previews.

use crate::detect::Finding;

/// 1-based line and column (in characters) of byte offset `at`, computed incrementally for
/// findings sorted by offset.
pub(crate) struct LineIndex<'a> {
    text: &'a [u8],
    at: usize,
    line: usize,
    line_start: usize,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a [u8]) -> Self {
        LineIndex { text, at: 0, line: 1, line_start: 0 }
    }

    pub fn position(&mut self, offset: usize) -> (usize, usize) {
        if offset < self.at {
            *self = LineIndex::new(self.text);
        }
        for (i, &b) in self.text[self.at..offset].iter().enumerate() {
            if b == b'\n' {
                self.line += 1;
                self.line_start = self.at + i + 1;
            }
        }
        self.at = offset;
        let column = self.text[self.line_start..offset].iter().filter(|&&b| b & 0xC0 != 0x80).count() + 1;
        (self.line, column)
    }
}

/// At most 4 characters of a secret, and never more than a quarter of it, then `…`.
pub(crate) fn preview(text: &[u8], f: &Finding) -> String {
    let secret = String::from_utf8_lossy(&text[f.secret.range()]);
    let chars = secret.chars().count();
    let shown = (chars / 4).min(4);
    let mut out: String = secret.chars().take(shown).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let text = "ab\ncé𝄞x\n".as_bytes();
        let mut idx = LineIndex::new(text);
        assert_eq!(idx.position(0), (1, 1));
        assert_eq!(idx.position(3), (2, 1));
        let x = text.iter().position(|&b| b == b'x').expect("x");
        assert_eq!(idx.position(x), (2, 4));
        assert_eq!(idx.position(1), (1, 2));
    }
}
