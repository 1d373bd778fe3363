use std::collections::BTreeSet;

use super::*;
use crate::detect::validate::check;
use crate::rules::Validator;

fn corpus() -> Corpus {
    generate(42, 400, 150)
}

#[test]
fn same_seed_same_corpus() {
    assert_eq!(generate(7, 80, 40), generate(7, 80, 40));
    assert_ne!(generate(7, 80, 40).positives, generate(8, 80, 40).positives);
    assert_eq!(prose(1, 5000), prose(1, 5000));
    assert_eq!(code(2, 5000), code(2, 5000));
    assert_eq!(secret_dense(3, 5000), secret_dense(3, 5000));
}

#[test]
fn planted_spans_are_inside_the_text_on_char_boundaries() {
    let c = corpus();
    for (i, d) in c.positives.iter().enumerate() {
        assert!(!d.planted.is_empty(), "positive {i} has no secret");
        let mut last_end = 0;
        for p in &d.planted {
            assert!(p.start < p.end && p.end <= d.text.len(), "doc {i}: bad span {p:?}");
            assert!(d.text.is_char_boundary(p.start) && d.text.is_char_boundary(p.end), "doc {i}: {p:?}");
            assert!(p.start >= last_end, "doc {i}: overlapping spans");
            last_end = p.end;
            let v = &d.text[p.start..p.end];
            assert_eq!(v.trim(), v, "doc {i}: {} span has surrounding whitespace", p.kind);
            assert!(v.len() >= 8, "doc {i}: {} span too short: {v:?}", p.kind);
        }
    }
    for d in &c.negatives {
        assert!(d.planted.is_empty());
    }
}

#[test]
fn documents_vary_in_length_and_script() {
    let c = corpus();
    let lens: Vec<usize> = c.positives.iter().chain(&c.negatives).map(|d| d.text.len()).collect();
    assert!(lens.iter().any(|&n| n < 600), "no short documents");
    assert!(lens.iter().any(|&n| n > 4000), "no long documents");
    assert!(c.positives.iter().any(|d| !d.text.is_ascii()));
    assert!(c.negatives.iter().any(|d| !d.text.is_ascii()));
    assert!(c.positives.iter().any(|d| d.planted.len() >= 3));
}

#[test]
fn github_and_npm_tokens_pass_their_checksum() {
    let c = generate(9, 1500, 0);
    let mut seen = 0;
    for d in &c.positives {
        for p in &d.planted {
            let v = &d.text[p.start..p.end];
            let crc = matches!(
                p.kind,
                "github-pat" | "github-oauth-token" | "github-user-token" | "github-app-token" | "github-refresh-token"
            );
            if crc {
                assert!(check(Validator::GithubCrc32, v.as_bytes()), "{v}");
                seen += 1;
            }
            if p.kind == "npm-token" {
                assert!(check(Validator::NpmCrc32, v.as_bytes()), "{v}");
                seen += 1;
            }
            if p.kind == "jwt" {
                assert!(check(Validator::Jwt, v.as_bytes()), "{v}");
            }
        }
    }
    assert!(seen > 30, "only {seen} checksummed tokens");
}

#[test]
fn every_kind_is_generated() {
    let c = generate(11, 1500, 0);
    let planted: BTreeSet<&str> = c.positives.iter().flat_map(|d| d.planted.iter().map(|p| p.kind)).collect();
    assert!(planted.len() >= 120, "only {} kinds", planted.len());
    // Every spec shows up (block specs plant their own kind names, checked by count above).
    let names = kind_names();
    let value_specs_missing: Vec<_> = names
        .iter()
        .filter(|n| {
            matches!(kinds::SPECS.iter().find(|s| s.name == **n).map(|s| &s.shape), Some(kinds::Shape::Value { .. }))
        })
        .filter(|n| !planted.contains(**n))
        .collect();
    assert!(value_specs_missing.is_empty(), "{value_specs_missing:?}");
}

#[test]
fn json_lines_carry_the_values() {
    let c = generate(5, 20, 5);
    for d in c.positives.iter().chain(&c.negatives) {
        let v: serde_json::Value = serde_json::from_str(&d.to_json_line()).expect("valid json");
        assert_eq!(v["text"], d.text.as_str());
        let secrets = v["secrets"].as_array().expect("array");
        assert_eq!(secrets.len(), d.planted.len());
        for (s, p) in secrets.iter().zip(&d.planted) {
            assert_eq!(s["value"], &d.text[p.start..p.end]);
            assert_eq!(s["kind"], p.kind);
        }
    }
}

#[test]
fn bench_texts_have_the_requested_size() {
    for n in [1_000, 50_000] {
        for t in [prose(1, n), code(2, n), secret_dense(3, n)] {
            assert!(t.len() >= n && t.len() < n + 12_000, "{} for {n}", t.len());
        }
    }
    let dense = secret_dense_document(3, 50_000);
    assert!(dense.planted.len() >= 50_000 / 1500, "{} secrets", dense.planted.len());
}
