//! Seed inputs for each target, made from the repository's own data: the built-in rule files
//! and the test fixtures (rules), the generated corpus (texts with planted secrets), and
//! event streams in each API's wire format (adapters, decoder). Generated, not committed:
//! `cargo run --example fuzz_seeds` writes them where `fuzz/` reads its corpus.

use super::{adapter, Input, Target};
use crate::corpus;

/// Chunkings seeds are written with: one piece, bytes one by one, small and odd pieces.
const CHUNKINGS: &[&[u8]] = &[&[], &[1], &[3, 0, 7], &[16, 5, 1, 64]];

/// Fixture rule files, beside the built-in ones.
const FIXTURES: &[&str] = &[
    include_str!("../../tests/data/rules.toml"),
    include_str!("../../tests/data/broken-regex.toml"),
    include_str!("../../tests/data/bad-negative.toml"),
];
const GITLEAKS: &str = include_str!("../../tests/data/gitleaks.toml");

/// The seeds of one target.
pub fn seeds(target: Target) -> Vec<Vec<u8>> {
    match target {
        Target::SseDecoder => {
            let mut bodies: Vec<Vec<u8>> = [
                "data: a\n\n",
                "data:a\r\n\r\ndata: b\r\rdata: c\ndata: d\n\n",
                ": keep-alive\n\nevent: delta\nid: 7\nretry: 100\ndata: {}\n\n",
                "unknown: field\n: comment\ndata: x\n\nid: a\0b\n\n",
                "data: no blank line at end",
                "data: é✓\r\n\r\ndata: [DONE]\r\n\r\n",
            ]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();
            for api in adapter::APIS {
                bodies.push(adapter::sample_stream(api));
            }
            bodies.iter().flat_map(|b| CHUNKINGS.iter().map(|c| Input::write(c, b))).collect()
        }
        Target::AdapterChat | Target::AdapterCompletions | Target::AdapterResponses | Target::AdapterAnthropic => {
            let api = match target {
                Target::AdapterChat => adapter::Api::Chat,
                Target::AdapterCompletions => adapter::Api::Completions,
                Target::AdapterResponses => adapter::Api::Responses,
                _ => adapter::Api::Anthropic,
            };
            let mut out = Vec::new();
            for (i, lens) in CHUNKINGS.iter().enumerate() {
                for policy in 0..4u8 {
                    // Raw mode: a whole stream; ops mode: the same events with the key planted.
                    let mut raw = vec![policy];
                    raw.extend_from_slice(&adapter::sample_stream(api));
                    out.push(Input::write(lens, &raw));
                    let mut ops = vec![0x80 | policy];
                    ops.extend_from_slice(&adapter::sample_ops(api, i));
                    out.push(Input::write(lens, &ops));
                }
            }
            out
        }
        Target::StreamRedactor => {
            let c = corpus::generate(7, 12, 4);
            let mut out = Vec::new();
            for (i, doc) in c.positives.iter().chain(&c.negatives).enumerate() {
                let text = &doc.text.as_bytes()[..doc.text.len().min(2048)];
                let mode = (i % 3) as u8;
                let mut body = vec![mode];
                body.extend_from_slice(text);
                out.push(Input::write(CHUNKINGS[i % CHUNKINGS.len()], &body));
            }
            for text in [
                "key = abc-12345 and ghp_ab12 token_zz9-x7 sk-abc12 xcioab12 ab12cdNRAL",
                "leaked: s k - p r o j - X a 9 d K 2 m Q 7 v L p ok AKIAQWERTY234567ABCD",
                "id AKIAQWERTY234567ABCD end sk-proj-Xa9dK2mQ7vLp4RtW8zNcB3yH é 日本",
            ] {
                for mode in 0..3u8 {
                    let mut body = vec![mode];
                    body.extend_from_slice(text.as_bytes());
                    out.push(Input::write(&[1], &body));
                    out.push(Input::write(&[5, 2], &body));
                }
            }
            out
        }
        Target::RuleLoader => {
            let mut out: Vec<Vec<u8>> = FIXTURES.iter().map(|f| f.as_bytes().to_vec()).collect();
            out.push(GITLEAKS.as_bytes().to_vec());
            for (_, file) in crate::rules::BUILTIN {
                out.extend(rule_blocks(file).map(String::into_bytes));
            }
            out
        }
        Target::GitleaksImport => {
            let mut out = vec![GITLEAKS.as_bytes().to_vec()];
            let header = GITLEAKS.split("\n[[rules]]").next().unwrap_or_default();
            out.extend(rule_blocks(GITLEAKS).skip(1).map(|r| format!("{header}\n{r}").into_bytes()));
            out.extend(rule_blocks(GITLEAKS).skip(1).map(String::into_bytes));
            out
        }
    }
}

/// A rule file cut before each `[[rules]]`: the head, then each rule on its own.
fn rule_blocks(file: &str) -> impl Iterator<Item = String> + '_ {
    file.split("\n[[rules]]")
        .enumerate()
        .map(|(i, part)| if i == 0 { part.to_owned() } else { format!("[[rules]]{part}") })
}
