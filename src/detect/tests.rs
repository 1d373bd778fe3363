//! Engine tests on small inline rule sets, so they do not move when `patterns/` changes.

use proptest::prelude::*;

use super::*;
use crate::{
    rules,
    test_rules::{rule, set},
};

/// `(rule id, secret text)` of every finding.
fn found(set: &RuleSet, text: &str) -> Vec<(String, String)> {
    set.scan(text.as_bytes())
        .iter()
        .map(|f| (set.rule(f.rule).id.clone(), text[f.secret.range()].to_string()))
        .collect()
}

fn check(set: &RuleSet, text: &str, expected: &[(&str, &str)]) {
    let got = found(set, text);
    let want: Vec<(String, String)> = expected.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    assert_eq!(got, want, "text: {text:?}");
    assert_eq!(set.scan(text.as_bytes()), set.scan_exhaustive(text.as_bytes()), "windowed != exhaustive: {text:?}");
}

#[test]
fn secret_group_and_whole_match() {
    let s = set(&(rule("with-group", r"tok_(?P<secret>[a-z0-9]{8})", &["tok_"], "")
        + &rule("no-group", r"\bzz[0-9]{6}\b", &["zz"], "")));
    check(&s, "a tok_abcd1234 b", &[("with-group", "abcd1234")]);
    check(&s, "id zz918273 end", &[("no-group", "zz918273")]);
    check(&s, "TOK_ABCD1234", &[]); // keyword is case-insensitive, the regex is not
}

#[test]
fn short_keyword_never_hides_a_longer_one() {
    let s =
        set(&(rule("short", r"\bnpm [a-z]{4}\b", &["npm"], "")
            + &rule("long", r"npm_(?P<secret>[a-z]{6})", &["npm_"], "")));
    check(&s, "npm_qwerty and npm zxcv", &[("long", "qwerty"), ("short", "npm zxcv")]);
}

#[test]
fn look_around_sees_bytes_outside_the_window() {
    // The window of the hit `foo` starts at `ab`; `\b` there must see the `x` before it.
    let s = set(&rule("lb", r"\b[a-z]{2}foo", &["foo"], ""));
    check(&s, "xabfoo", &[]);
    check(&s, " abfoo", &[("lb", "abfoo")]);
}

#[test]
fn windows_of_one_rule_merge_and_matches_do_not_repeat() {
    let s = set(&rule("r", r"k[0-9]{1,3}k", &["k"], ""));
    check(&s, "k1k2k3k k44k", &[("r", "k1k"), ("r", "k3k"), ("r", "k44k")]);
}

#[test]
fn specific_rule_beats_generic_on_overlap() {
    let s = set(&(rule(
        "generic-assign",
        r"(?i)key\s{0,2}=\s{0,2}(?P<secret>[A-Za-z0-9_]{10,40})",
        &["key"],
        "tags = [\"generic\"]",
    ) + &rule("vendor", r"\bvnd_[A-Za-z0-9]{12}\b", &["vnd_"], "")));
    check(&s, "KEY=vnd_Q2w9E4r7T1y5", &[("vendor", "vnd_Q2w9E4r7T1y5")]);
    check(&s, "KEY=Q2w9E4r7T1y5U8i3", &[("generic-assign", "Q2w9E4r7T1y5U8i3")]);
}

#[test]
fn filters_reject_low_entropy_placeholders_and_allowed() {
    let s =
        set(&rule("r", r"sec_(?P<secret>[A-Za-z0-9]{12})", &["sec_"], "entropy = 3.0\nallow = [\"DOCS\", '''^Z9''']"));
    check(&s, "sec_Q2w9E4r7T1y5", &[("r", "Q2w9E4r7T1y5")]);
    check(&s, "sec_aaaabbbbaaaa", &[]); // entropy
    check(&s, "sec_EXAMPLEkey12", &[]); // placeholder word
    check(&s, "sec_Q2w9DOCSr7T1", &[]); // allow word
    check(&s, "sec_Z9w9E4r7T1y5", &[]); // allow regex
}

#[test]
fn validators_gate_checksummed_tokens() {
    let s = set(&rule("gh", r"\bghp_[A-Za-z0-9]{36}\b", &["ghp_"], "validator = \"github-crc32\""));
    let body = "zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ";
    let crc = validate::base62_crc32(body.as_bytes());
    let good = format!("ghp_{body}{}", std::str::from_utf8(&crc).expect("ascii"));
    check(&s, &format!("token {good}"), &[("gh", &good)]);
    check(&s, &format!("token {body}AAAAAA"), &[]);
    check(&s, "token ghp_zQWBuTSOoRi4A9spHcVY5ncnsDkxkJAAAAAA", &[]);
}

#[test]
fn spans_never_cut_characters() {
    // `.` is byte-oriented; the span is widened to whole characters.
    let s = set(&rule("r", r"pw:(?P<secret>.{4})", &["pw:"], ""));
    let text = "pw:abé€x";
    let f = s.scan(text.as_bytes());
    assert_eq!(f.len(), 1);
    assert!(text.is_char_boundary(f[0].secret.start) && text.is_char_boundary(f[0].secret.end));
    let out = redact(text.as_bytes(), &f, &s, Style::Mask);
    // `.{4}` takes the 4 bytes `a`, `b` and both bytes of `é`: three characters, three stars.
    assert_eq!(String::from_utf8(out).expect("utf-8"), "pw:***€x");
    // `.{3}` ends inside `é`; the secret is widened to the whole character.
    let s = set(&rule("r", r"pw:(?P<secret>.{3})", &["pw:"], ""));
    assert_eq!(found(&s, "pw:abé!"), vec![("r".to_string(), "abé".to_string())]);
}

#[test]
fn redaction_styles() {
    let s = set(&rule("tok", r"tok_(?P<secret>[a-z0-9]{8})", &["tok_"], ""));
    let text = "a tok_abcd1234 b";
    let f = s.scan(text.as_bytes());
    let r = |style| String::from_utf8(redact(text.as_bytes(), &f, &s, style)).expect("utf-8");
    assert_eq!(r(Style::Label), "a tok_[REDACTED:tok] b");
    assert_eq!(r(Style::Mask), "a tok_******** b");
    assert_eq!(r(Style::Hash), format!("a tok_[REDACTED:tok:{}] b", Fingerprint::of(b"abcd1234")));
    assert_eq!(Fingerprint::of(b"abcd1234").to_string().len(), 16);
}

#[test]
fn duplicate_ids_are_rejected() {
    let t = rule("same", "a_[0-9]{3}", &["a_"], "") + &rule("same", "b_[0-9]{3}", &["b_"], "");
    let e = RuleSet::new(rules::parse("dup.toml", &t).expect("parse")).expect_err("duplicate");
    assert!(e.to_string().contains("duplicate id"), "{e}");
}

fn mixed_rules() -> RuleSet {
    set(&(rule("a", r"\bab_[a-z0-9]{4,8}\b", &["ab_"], "")
        + &rule("b", r"(?i)key[=:](?P<secret>[a-z0-9]{3,6})", &["key"], "tags = [\"generic\"]")
        + &rule("c", r"x{1,2}y[0-9]{2}", &["y"], "")
        + &rule("d", r"\b[0-9]{3}-[0-9]{2}\b", &[], "")))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// The windowed search finds exactly what running every regex over the whole text finds.
    #[test]
    fn windowed_equals_exhaustive(text in "([ab_kKeEyY=:xy0-9é -]|ab_|key=|xy){0,60}") {
        let s = mixed_rules();
        prop_assert_eq!(s.scan(text.as_bytes()), s.scan_exhaustive(text.as_bytes()));
    }

    /// Redaction only touches secret spans and output is valid UTF-8.
    #[test]
    fn redaction_keeps_text_outside_secrets(text in "([ab_key=:xy0-9é€ -]|ab_|key=){0,60}") {
        let s = mixed_rules();
        let f = s.scan(text.as_bytes());
        let out = String::from_utf8(redact(text.as_bytes(), &f, &s, Style::Label));
        prop_assert!(out.is_ok());
        for w in f.windows(2) {
            prop_assert!(w[0].secret.end <= w[1].secret.start);
        }
        if f.is_empty() {
            prop_assert_eq!(out.ok(), Some(text.clone()));
        }
    }
}

/// Long texts are walked in several lanes; a keyword straddling a lane boundary must still be
/// found exactly once.
#[test]
fn keywords_across_lane_boundaries() {
    let s = mixed_rules();
    for len in [4096usize, 5000, 8191, 20_000] {
        for shift in 0..6 {
            let mut text = vec![b' '; len];
            // Plant tokens so that some straddle each of the (up to 8) lane boundaries.
            for l in 1..8 {
                let at = (len * l / 8).saturating_sub(shift);
                let token = b"ab_q1w2e3 key=zz9 xy42";
                if at + token.len() < len {
                    text[at..at + token.len()].copy_from_slice(token);
                }
            }
            let text = String::from_utf8(text).expect("ascii");
            let windowed = s.scan(text.as_bytes());
            assert_eq!(windowed, s.scan_exhaustive(text.as_bytes()), "len {len} shift {shift}");
            assert_eq!(windowed.len(), 7 * 3, "len {len} shift {shift}");
        }
    }
}

/// A branch without the `secret` group lets a rule consume a known non-secret form, so the
/// leftmost-first iteration skips it instead of reporting it or a piece of it.
#[test]
fn matches_without_the_secret_group_are_not_reported() {
    let s = set(&rule("tok", r"(?i)(?:(?:next|page)_?token|token=(?P<secret>[A-Za-z0-9]{10,20}))", &["token"], ""));
    check(&s, "next_token=Q2w9E4r7T1y5U8i3", &[]);
    check(&s, "pagetoken", &[]);
    check(&s, "x access_token=Q2w9E4r7T1y5U8i3", &[("tok", "Q2w9E4r7T1y5U8i3")]);
}

/// Anchored rules with the same keywords and lead share one start list and one multi-pattern
/// pre-test; each still iterates its own matches.
#[test]
fn grouped_anchored_rules_each_find_their_matches() {
    let s = set(&(rule("quoted", r#"(?i)key=["'](?P<secret>[a-z0-9]{4,8})["']"#, &["key"], "")
        + &rule("bare", r"(?i)key=(?P<secret>[a-z0-9]{4,8})\b", &["key"], "")));
    assert_eq!(s.groups.iter().filter(|g| g.rules.len() == 2 && g.dfa.is_some()).count(), 1);
    check(
        &s,
        "KEY='q1w2e3' and key=z9y8x7 key=\"abcd\"",
        &[("quoted", "q1w2e3"), ("bare", "z9y8x7"), ("quoted", "abcd")],
    );
    check(&s, "key=zz key: none", &[]);
}

/// One `Scratch` used with two rule sets in turn (a set reloaded while a thread keeps its
/// scratch): each scan finds what a fresh scratch finds, and no cache of one set's regexes
/// reaches the other's.
#[test]
fn a_scratch_moves_between_rule_sets() {
    let a =
        set(&(rule("a-tok", r"tok_(?P<secret>[a-z0-9]{8})", &["tok_"], "")
            + &rule("a-zz", r"\bzz[0-9]{6}\b", &["zz"], "")));
    let b = set(&(rule("b-zz", r"zz(?P<secret>[0-9]{6,9})\b", &["zz"], "")
        + &rule("b-tok", r"\btok_[a-z]{4}[0-9]{4}", &["tok_"], "")));
    let text = b"tok_abcd1234 and zz91827364 and zz918273";
    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    for set in [&a, &b, &a, &b] {
        set.scan_with(text, &mut scratch, &mut out);
        assert_eq!(out, set.scan(text));
        assert!(!out.is_empty());
    }
}
