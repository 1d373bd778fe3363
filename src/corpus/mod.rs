//! Deterministic generator of labeled synthetic documents: LLM-answer-like text with secrets
//! planted in their providers' published formats (checksums included), and hard negatives.
//!
//! Everything is a pure function of the seed (a SplitMix64 stream per document), so a corpus
//! can be regenerated anywhere. Layout:
//! - `rng`: the RNG and character helpers;
//! - `kinds`: the table of secret kinds (one generator per token format), `formats`: the
//!   generators it shares;
//! - `blocks`: secrets that come with their own surrounding text (PEM blocks, service-account
//!   JSON, credential files, HTTP headers);
//! - `styles`: the ways a value is written into a document (.env, YAML, JSON, CI, shell), and
//!   `inline`: single values in code, curl, logs and prose;
//! - `negatives`: hard negatives (digests, example keys, placeholders) and filler sections;
//! - `text`: prose pools.

mod blocks;
mod formats;
mod inline;
mod kinds;
mod negatives;
mod rng;
mod styles;
mod text;

use std::ops::Range;

pub use kinds::kind_names;
pub use rng::Rng;

/// A secret planted in a [`Document`]: `text[start..end]` is exactly the value to remove.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planted {
    pub start: usize,
    pub end: usize,
    /// Generator name, e.g. `github-pat`, `aws-access-key-id`.
    pub kind: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    pub text: String,
    pub planted: Vec<Planted>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Corpus {
    pub positives: Vec<Document>,
    pub negatives: Vec<Document>,
}

impl Document {
    /// `{"text": ..., "secrets": [{"value": ..., "kind": ...}]}`
    pub fn to_json_line(&self) -> String {
        let secrets: Vec<_> = self
            .planted
            .iter()
            .map(|p| serde_json::json!({ "value": &self.text[p.start..p.end], "kind": p.kind }))
            .collect();
        serde_json::json!({ "text": &self.text, "secrets": secrets }).to_string()
    }
}

/// `positives` documents with 1–4 planted secrets each and `negatives` documents with none.
pub fn generate(seed: u64, positives: usize, negatives: usize) -> Corpus {
    let picker = kinds::Picker::new(seed);
    let positives = (0..positives)
        .map(|i| {
            let mut r = Rng::derive(seed, 1, i as u64);
            let n = *[1, 1, 2, 2, 2, 3, 3, 4].get(r.below(8)).unwrap_or(&1);
            let specs: Vec<_> = (0..n).map(|j| picker.spec(i * 4 + j)).collect();
            styles::positive_document(&mut r, &specs)
        })
        .collect();
    let negatives = (0..negatives)
        .map(|i| {
            let mut r = Rng::derive(seed, 2, i as u64);
            negatives::negative_document(&mut r)
        })
        .collect();
    Corpus { positives, negatives }
}

/// LLM-answer-like prose and markdown without secrets, about `bytes` long.
pub fn prose(seed: u64, bytes: usize) -> String {
    let mut r = Rng::derive(seed, 3, 0);
    let mut b = Builder::default();
    while b.text.len() < bytes {
        negatives::prose_chunk(&mut r, &mut b);
    }
    b.text
}

/// Code-heavy text (fences, JSON, YAML, shell) without secrets, about `bytes` long.
pub fn code(seed: u64, bytes: usize) -> String {
    let mut r = Rng::derive(seed, 4, 0);
    let mut b = Builder::default();
    while b.text.len() < bytes {
        negatives::code_chunk(&mut r, &mut b);
    }
    b.text
}

/// Text with a planted secret every few hundred bytes, about `bytes` long.
pub fn secret_dense(seed: u64, bytes: usize) -> String {
    secret_dense_document(seed, bytes).text
}

/// [`secret_dense`] with its labels.
pub fn secret_dense_document(seed: u64, bytes: usize) -> Document {
    let mut r = Rng::derive(seed, 5, 0);
    let picker = kinds::Picker::new(seed);
    let mut b = Builder::default();
    let mut i = 0;
    while b.text.len() < bytes {
        if r.chance(50) {
            b.push(&text::paragraph(&mut r));
            b.push("\n\n");
        } else {
            negatives::small_chunk(&mut r, &mut b);
        }
        styles::secret_section(&mut r, &mut b, picker.spec(i));
        b.push("\n");
        i += 1;
    }
    b.finish()
}

/// A value as written in a document, with the byte range of the secret inside it
/// (a connection string whose password is the secret, a token that is all secret).
#[derive(Clone, Debug)]
pub(crate) struct Val {
    pub text: String,
    pub secret: Range<usize>,
}

impl Val {
    pub fn whole(text: String) -> Val {
        let secret = 0..text.len();
        Val { text, secret }
    }

    pub fn parts(before: &str, secret: &str, after: &str) -> Val {
        let start = before.len();
        Val { text: format!("{before}{secret}{after}"), secret: start..start + secret.len() }
    }
}

/// A document under construction: text plus the spans planted so far.
#[derive(Default, Debug)]
pub(crate) struct Builder {
    pub text: String,
    pub planted: Vec<Planted>,
}

impl Builder {
    pub fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }

    pub fn line(&mut self, s: &str) {
        self.text.push_str(s);
        self.text.push('\n');
    }

    /// Appends a secret that is entirely the planted span.
    pub fn secret(&mut self, s: &str, kind: &'static str) {
        let start = self.text.len();
        self.text.push_str(s);
        self.planted.push(Planted { start, end: self.text.len(), kind });
    }

    /// Appends a value, planting its secret range.
    pub fn val(&mut self, v: &Val, kind: &'static str) {
        let base = self.text.len();
        self.text.push_str(&v.text);
        self.planted.push(Planted { start: base + v.secret.start, end: base + v.secret.end, kind });
    }

    pub fn ends_with_newline(&self) -> bool {
        self.text.is_empty() || self.text.ends_with('\n')
    }

    pub fn finish(mut self) -> Document {
        self.planted.sort_by_key(|p| p.start);
        Document { text: self.text, planted: self.planted }
    }
}

#[cfg(test)]
mod tests;
