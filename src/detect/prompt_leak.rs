//! System-prompt leaks: an answer that reproduces a long run of the request's own system or
//! developer instructions (`kind = system-prompt-leak`).
//!
//! **Semantics.** Texts are read as *words*: maximal runs of alphanumeric characters,
//! lower-cased, except that each CJK character is a word of its own; everything else
//! (spaces, punctuation, markup) only separates words. A leak is a run of at least
//! `min_words` consecutive words of the answer that occurs, word for word, in one of the
//! prompts; overlapping leaks are one finding, from the first character of its first word to
//! the last of its last.
//!
//! **How.** The prompts' words get small ids; one suffix automaton over the id sequences gives,
//! word by word, the longest run of the answer's last words that occurs in a prompt (a word not
//! in any prompt ends every run). Where the issue suggested rolling hashes of word windows, the
//! automaton also knows how far a run could still grow, which is what streaming needs.
//!
//! **Streaming.** [`PromptScan`] holds back the current run (it may still become a leak) and a
//! word still being written; no more. Its findings do not depend on where pushes end.

use std::collections::HashMap;

use super::{
    canary::{OpenLeaks, SuffixAutomaton},
    Finding, Span,
};
use crate::rules::Kind;

/// Shortest run of a prompt's words that counts as a leak unless configured otherwise.
pub const DEFAULT_MIN_WORDS: usize = 12;

/// The request's system and developer instructions, ready to be recognised in its answer.
pub struct PromptSet {
    vocabulary: HashMap<String, u16>,
    sam: SuffixAutomaton,
    min_words: usize,
}

impl std::fmt::Debug for PromptSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PromptSet").field("words", &self.vocabulary.len()).field("min_words", &self.min_words).finish()
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3040}'..='\u{30ff}' | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{f900}'..='\u{faff}' | '\u{ac00}'..='\u{d7af}')
}

/// The words of a whole text with their byte spans.
fn words(text: &str) -> Vec<(String, Span)> {
    let mut out = Vec::new();
    let mut current: Option<(String, usize)> = None;
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() && !is_cjk(c) {
            current.get_or_insert_with(|| (String::new(), i)).0.extend(c.to_lowercase());
            continue;
        }
        if let Some((w, start)) = current.take() {
            out.push((w, Span { start, end: i }));
        }
        if is_cjk(c) {
            out.push((c.to_string(), Span { start: i, end: i + c.len_utf8() }));
        }
    }
    if let Some((w, start)) = current.take() {
        out.push((w, Span { start, end: text.len() }));
    }
    out
}

impl PromptSet {
    /// `None` when no prompt has `min_words` words (nothing could leak) or `min_words` is 0.
    pub fn new<S: AsRef<str>>(prompts: &[S], min_words: usize) -> Option<PromptSet> {
        if min_words == 0 {
            return None;
        }
        let mut vocabulary: HashMap<String, u16> = HashMap::new();
        let mut sequences = Vec::new();
        for p in prompts {
            let ws = words(p.as_ref());
            if ws.len() < min_words {
                continue;
            }
            let mut ids = Vec::with_capacity(ws.len());
            for (w, _) in ws {
                let next = vocabulary.len();
                // Ids are 16 bits (the automaton's symbols, one kept for joins): a prompt with
                // more distinct words than that has its rarest ones read as unknown.
                if next >= usize::from(u16::MAX - 1) && !vocabulary.contains_key(&w) {
                    ids.push(u16::MAX - 1);
                    continue;
                }
                ids.push(*vocabulary.entry(w).or_insert(next as u16));
            }
            sequences.push(ids);
        }
        if sequences.is_empty() {
            return None;
        }
        let sam = SuffixAutomaton::from_symbols(&sequences);
        Some(PromptSet { vocabulary, sam, min_words })
    }

    pub fn min_words(&self) -> usize {
        self.min_words
    }

    /// Leaks in a whole text.
    pub fn scan(&self, text: &str) -> Vec<Finding> {
        let mut scan = PromptScan::default();
        let mut out = Vec::new();
        scan.advance(self, text, 0, true, &mut out);
        out
    }
}

/// The incremental scan of one text against a [`PromptSet`].
#[derive(Debug, Default)]
pub struct PromptScan {
    /// Raw end of the text read so far.
    read: usize,
    /// The word being read (lower-cased) and where it began.
    partial: Option<(String, usize)>,
    /// Automaton state and run length (in words).
    state: (u32, u32),
    /// Spans of the words of the current run (and a few before; trimmed).
    spans: Vec<Span>,
    open: OpenLeaks,
}

impl PromptScan {
    /// Reads `[self.read, base + text.len())` of the stream whose characters from `base` on
    /// are `text` (on a character boundary); `end`: nothing follows. Appends final leaks and
    /// returns the release bound, as [`super::canary::CanaryScan::advance`] does.
    pub fn advance(&mut self, set: &PromptSet, text: &str, base: usize, end: bool, out: &mut Vec<Finding>) -> usize {
        let from = self.read - base;
        for (i, c) in text[from..].char_indices() {
            let at = self.read + i;
            if c.is_alphanumeric() && !is_cjk(c) {
                self.partial.get_or_insert_with(|| (String::new(), at)).0.extend(c.to_lowercase());
                continue;
            }
            if let Some((w, start)) = self.partial.take() {
                self.word(set, &w, Span { start, end: at });
            }
            if is_cjk(c) {
                self.word(set, &c.to_string(), Span { start: at, end: at + c.len_utf8() });
            }
        }
        self.read = base + text.len();
        if end {
            if let Some((w, start)) = self.partial.take() {
                self.word(set, &w, Span { start, end: self.read });
            }
            self.state = (0, 0);
        }
        let run = self.state.1 as usize;
        let mut bound = if run > 0 { self.spans[self.spans.len() - run].start } else { self.read };
        if let Some((_, start)) = &self.partial {
            bound = bound.min(*start);
        }
        let bound = self.open.release(Kind::SystemPromptLeak, bound, text.as_bytes(), base, out);
        let keep = run.max(1);
        if self.spans.len() > 1024 && self.spans.len() > 2 * keep {
            self.spans.drain(..self.spans.len() - keep);
        }
        bound
    }

    /// Earliest raw position this scan still needs.
    pub fn keep_from(&self) -> usize {
        let run = self.state.1 as usize;
        let mut keep = if run > 0 { self.spans[self.spans.len() - run].start } else { self.read };
        if let Some((_, start)) = &self.partial {
            keep = keep.min(*start);
        }
        self.open.first_start().map_or(keep, |s| s.min(keep))
    }

    /// Starts over at `at` (after an overflow).
    pub fn reset(&mut self, at: usize) {
        *self = PromptScan { read: at.max(self.read), ..PromptScan::default() };
    }

    fn word(&mut self, set: &PromptSet, w: &str, span: Span) {
        self.spans.push(span);
        self.state = match set.vocabulary.get(w) {
            Some(&id) => set.sam.step_symbol(self.state.0, self.state.1, id),
            None => (0, 0),
        };
        let run = self.state.1 as usize;
        if run >= set.min_words {
            let start = self.spans[self.spans.len() - run].start;
            self.open.add(Span { start, end: span.end });
        }
    }
}
