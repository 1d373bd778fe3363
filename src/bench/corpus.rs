//! The text a pattern set is measured on: files of a directory, a labeled JSONL file, or the
//! built-in generator — as documents with, when labels exist, the spans of their secrets.

use std::path::Path;

use anyhow::{bail, Context};
use serde::Deserialize;

/// One document and, if the corpus is labeled, where its secrets are.
#[derive(Clone, Debug)]
pub struct Document {
    /// A file name or `#<line>` of a JSONL file, for reports.
    pub name: String,
    pub text: String,
    /// Byte ranges of the labeled secrets (empty when labeled and clean).
    pub labels: Vec<Label>,
}

/// A labeled secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub start: usize,
    pub end: usize,
    /// The rule expected to find it (JSONL `rule`), or the generator's kind.
    pub rule: Option<String>,
}

/// The documents of a run.
#[derive(Clone, Debug)]
pub struct Corpus {
    /// Where it came from, for reports.
    pub source: String,
    pub documents: Vec<Document>,
    /// Whether the documents carry labels (precision and recall are only measured then).
    pub labeled: bool,
}

impl Corpus {
    pub fn bytes(&self) -> usize {
        self.documents.iter().map(|d| d.text.len()).sum()
    }

    pub fn secrets(&self) -> usize {
        self.documents.iter().map(|d| d.labels.len()).sum()
    }
}

/// `n` generated documents (deterministic for a seed): two in three with 1–4 planted secrets
/// in valid formats, the rest hard negatives (hashes, UUIDs, placeholders, base64 blobs).
pub fn generate(seed: u64, n: usize) -> Corpus {
    let positives = (2 * n).div_ceil(3);
    let c = crate::corpus::generate(seed, positives, n - positives);
    let documents = c
        .positives
        .into_iter()
        .chain(c.negatives)
        .enumerate()
        .map(|(i, d)| Document {
            name: format!("generated/{:06}", i + 1),
            labels: d
                .planted
                .iter()
                .map(|p| Label { start: p.start, end: p.end, rule: Some(p.kind.to_owned()) })
                .collect(),
            text: d.text,
        })
        .collect();
    Corpus { source: format!("generated ({n} documents, seed {seed})"), documents, labeled: true }
}

#[derive(Deserialize)]
struct JsonDoc {
    text: String,
    #[serde(default)]
    secrets: Vec<JsonSecret>,
}

#[derive(Deserialize)]
struct JsonSecret {
    value: String,
    #[serde(default)]
    rule: Option<String>,
}

/// Labels of a `secretgate corpus` directory (`labels.jsonl`: file and secret spans).
#[derive(Deserialize)]
struct FileLabels {
    file: String,
    #[serde(default)]
    secrets: Vec<SpanLabel>,
}

#[derive(Deserialize)]
struct SpanLabel {
    start: usize,
    end: usize,
    #[serde(default)]
    kind: Option<String>,
}

/// Loads a corpus: a `.jsonl` file (`{"text": …, "secrets": [{"value": …, "rule": …}]}` per
/// line; every occurrence of a value is a labeled secret), or a directory of text files
/// (recursively; labeled when it holds a `labels.jsonl` as `secretgate corpus` writes it).
pub fn load(path: &Path) -> anyhow::Result<Corpus> {
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if meta.is_dir() {
        return load_dir(path);
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse_jsonl(&path.display().to_string(), &text)
}

/// A JSONL corpus from its text. Errors name the line, never its content.
pub fn parse_jsonl(source: &str, text: &str) -> anyhow::Result<Corpus> {
    let mut documents = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let doc: JsonDoc = serde_json::from_str(line).map_err(|e| {
            anyhow::anyhow!("{source}:{}: not a corpus line ({}, column {})", i + 1, kind(&e), e.column())
        })?;
        let mut labels = Vec::new();
        for s in &doc.secrets {
            if s.value.is_empty() {
                bail!("{source}:{}: a secret with an empty value", i + 1);
            }
            let found: Vec<usize> = doc.text.match_indices(s.value.as_str()).map(|(at, _)| at).collect();
            if found.is_empty() {
                bail!("{source}:{}: a labeled secret does not occur in the text", i + 1);
            }
            labels.extend(found.into_iter().map(|at| Label {
                start: at,
                end: at + s.value.len(),
                rule: s.rule.clone(),
            }));
        }
        labels.sort_by_key(|l| (l.start, l.end));
        labels.dedup_by(|a, b| a.start == b.start && a.end == b.end);
        documents.push(Document { name: format!("#{}", i + 1), text: doc.text, labels });
    }
    if documents.is_empty() {
        bail!("{source}: no documents");
    }
    Ok(Corpus { source: source.to_owned(), documents, labeled: true })
}

fn kind(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "invalid JSON",
        serde_json::error::Category::Data => "missing or mistyped field",
        serde_json::error::Category::Eof => "truncated",
    }
}

fn load_dir(dir: &Path) -> anyhow::Result<Corpus> {
    let mut files = Vec::new();
    collect(dir, dir, &mut files)?;
    files.sort();
    let labels_path = dir.join("labels.jsonl");
    let mut labels: std::collections::HashMap<String, Vec<Label>> = Default::default();
    let labeled = labels_path.is_file();
    if labeled {
        let text =
            std::fs::read_to_string(&labels_path).with_context(|| format!("reading {}", labels_path.display()))?;
        for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let l: FileLabels = serde_json::from_str(line)
                .map_err(|e| anyhow::anyhow!("{}:{}: not a label line ({})", labels_path.display(), i + 1, kind(&e)))?;
            let spans = l.secrets.into_iter().map(|s| Label { start: s.start, end: s.end, rule: s.kind }).collect();
            labels.insert(l.file, spans);
        }
    }
    let mut documents = Vec::new();
    for rel in files {
        if rel == "labels.jsonl" {
            continue;
        }
        let path = dir.join(&rel);
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        // Binary files are not text a model would write.
        if bytes.contains(&0) {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let doc_labels = labels.remove(&rel).unwrap_or_default();
        if let Some(l) = doc_labels.iter().find(|l| l.start > l.end || l.end > text.len()) {
            bail!("{}: a label ({}..{}) lies outside {rel}", labels_path.display(), l.start, l.end);
        }
        documents.push(Document { name: rel, text, labels: doc_labels });
    }
    if documents.is_empty() {
        bail!("{}: no text files", dir.display());
    }
    Ok(Corpus { source: dir.display().to_string(), documents, labeled })
}

/// Relative paths (with `/`) of the files below `dir`.
fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            collect(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_labels_every_occurrence_and_names_bad_lines() {
        let text = concat!(
            r#"{"text": "a KEY1 b KEY1", "secrets": [{"value": "KEY1", "rule": "r"}]}"#,
            "\n\n",
            r#"{"text": "clean"}"#,
            "\n"
        );
        let c = parse_jsonl("t.jsonl", text).expect("parses");
        assert_eq!(c.documents.len(), 2);
        assert_eq!(c.documents[0].labels.len(), 2);
        assert_eq!(c.documents[0].labels[1], Label { start: 9, end: 13, rule: Some("r".into()) });
        assert!(c.documents[1].labels.is_empty());
        let err = parse_jsonl("t.jsonl", "{\"text\": 1}\n").expect_err("bad line").to_string();
        assert!(err.starts_with("t.jsonl:1: not a corpus line"), "{err}");
        let err = parse_jsonl("t.jsonl", r#"{"text": "x", "secrets": [{"value": "sk-not-there"}]}"#)
            .expect_err("missing value")
            .to_string();
        assert!(!err.contains("sk-not-there"), "an error never quotes a secret: {err}");
    }

    #[test]
    fn generated_corpus_is_labeled_and_mixed() {
        let c = generate(3, 30);
        assert_eq!(c.documents.len(), 30);
        assert_eq!(c.documents.iter().filter(|d| !d.labels.is_empty()).count(), 20);
        for d in &c.documents {
            for l in &d.labels {
                assert!(l.start < l.end && l.end <= d.text.len());
            }
        }
    }
}
