//! The hyperscan engine against the regex engine, in both modes: same findings (rule, span,
//! secret span, fingerprint) on inline rule sets, on every built-in rule's examples and
//! negative examples, on the labeled corpus and on long generated texts; rules hyperscan
//! cannot take still find their examples; the assertions the translation keeps mean what they
//! mean in Rust, for every pair of bytes.

use std::sync::LazyLock;

use proptest::prelude::*;

use super::*;
use crate::test_rules::{rule, set};

const MODES: [Mode; 2] = [Mode::Regexes, Mode::Keywords];

/// Asserts the engines agree on `text`; returns the findings.
fn same(hs: &HyperscanScanner<'_>, text: &[u8]) -> Vec<Finding> {
    let want = hs.rules().scan(text);
    let got = hs.scan(text);
    assert_eq!(
        got,
        want,
        "{:?}: hyperscan != regex on {:?}",
        hs.mode(),
        String::from_utf8_lossy(&text[..text.len().min(300)])
    );
    got
}

fn ids(set: &RuleSet, found: &[Finding]) -> Vec<String> {
    found.iter().map(|f| set.rule(f.rule).id.clone()).collect()
}

fn mixed_rules() -> RuleSet {
    set(&(rule("a", r"\bab_[a-z0-9]{4,8}\b", &["ab_"], "")
        + &rule("b", r"(?i)key[=:](?P<secret>[a-z0-9]{3,6})", &["key"], "tags = [\"generic\"]")
        + &rule("c", r"x{1,2}y[0-9]{2}", &["y"], "")
        + &rule("d", r"\b[0-9]{3}-[0-9]{2}\b", &[], "")
        + &rule("e", r"(?m)^pw=(?P<secret>[a-z]{4,8})$", &["pw="], "")
        + &rule("f", r"\Atop_[a-z]{3}|end_[a-z]{3}\z", &["top_", "end_"], "")))
}

#[test]
fn inline_rules_agree() {
    let s = mixed_rules();
    for mode in MODES {
        let hs = HyperscanScanner::with_mode(&s, mode).expect("database");
        assert!(hs.fallbacks().is_empty(), "{:?}", hs.fallbacks());
        for text in [
            "ab_q1w2 KEY=zz9 xy42 123-45",
            "top_abc\npw=hunter\nxxy12 end_xyz",
            "x top_abc pw=abcd pw=abcdefghij end_xy",
            "ab_q1w2e3r4t5 ab_q1w2-é 999-99-9",
            "",
        ] {
            same(&hs, text.as_bytes());
        }
        assert_eq!(ids(&s, &same(&hs, b"top_abc\npw=hunter\nend_xyz")), ["f", "e", "f"]);
    }
}

static MIXED: LazyLock<RuleSet> = LazyLock::new(mixed_rules);
static MIXED_HS: LazyLock<[HyperscanScanner<'static>; 2]> =
    LazyLock::new(|| MODES.map(|m| HyperscanScanner::with_mode(&MIXED, m).expect("database")));

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn hyperscan_equals_regex(text in "([ab_kKeEyY=:xy0-9é\n -]|ab_|key=|xy|pw=|top_|end_){0,60}") {
        let want = MIXED.scan(text.as_bytes());
        for hs in MIXED_HS.iter() {
            prop_assert_eq!(&hs.scan(text.as_bytes()), &want);
        }
    }
}

/// `q a b q` for every pair of bytes `a b`, one per line: a rule with an assertion between
/// `a` and `b` must find exactly the same pairs with both engines.
fn every_byte_pair() -> Vec<u8> {
    let mut text = Vec::with_capacity(65536 * 6);
    for a in 0..=255u8 {
        for b in 0..=255u8 {
            text.extend_from_slice(&[b'\n', b'q', a, b, b'q', b'\n']);
        }
    }
    text
}

#[test]
fn assertions_mean_the_same_for_every_byte() {
    let text = every_byte_pair();
    for (assertion, min) in [(r"\b", 10_000), (r"\B", 10_000), (r"(?m:^)", 200), (r"(?m:$)", 200), (r"\b{start}", 1000)]
    {
        let s = set(&rule("r", &format!(r"(?s-u)q.{assertion}.q"), &["q"], ""));
        let hs = HyperscanScanner::new(&s).expect("database");
        assert!(hs.fallbacks().is_empty(), "{assertion}: {:?}", hs.fallbacks());
        let found = same(&hs, &text);
        assert!(found.len() >= min, "{assertion}: {} matches", found.len());
    }
    // Anchors at the ends of the text.
    let s = set(&rule("r", r"(?s-u)\Aq.|.q\z", &["q"], ""));
    let hs = HyperscanScanner::new(&s).expect("database");
    assert_eq!(same(&hs, b"qaxq").len(), 2);
    assert_eq!(same(&hs, b" qaq ").len(), 0);
}

#[test]
fn dropped_assertions_only_widen() {
    // CRLF-aware anchors and half word boundaries are dropped for hyperscan; the regex still
    // decides.
    let s = set(&(rule("crlf", r"(?mR)^k_[a-z]{3}$", &["k_"], "")
        + &rule("half", r"\b{start-half}h_[a-z]{3}\b{end-half}", &["h_"], "")));
    let hs = HyperscanScanner::new(&s).expect("database");
    assert!(hs.fallbacks().is_empty());
    for text in ["k_abc\r\nk_abd\rk_abcd\nxk_abc", "h_abc xh_abc h_abcd h_abc_ é h_abc"] {
        same(&hs, text.as_bytes());
    }
}

#[test]
fn rules_hyperscan_cannot_take_fall_back_and_still_find_their_examples() {
    let s = set(&(rule("unbounded", r"tok_[a-z]+", &["tok_"], "")
        + &rule("unicode", r"(?u)uni_[à-ÿ]{2}", &["uni_"], "")
        + &rule("quoted", r#"(?i)key=["'](?P<secret>[a-z0-9]{4,8})["']"#, &["key"], "")
        + &rule("bare", r"(?i)key=(?P<secret>[a-z0-9]+)\b", &["key"], "")
        + &rule("any", r"\bnokw[0-9]{3}\b", &[], "")
        + &rule("plain", r"pl_[0-9]{4}", &["pl_"], "")));
    assert!(s.rule(2).lead.is_some() && s.group_of[2] == s.group_of[3], "quoted and bare share starts");
    let text = "tok_abc uni_éè KEY='q1w2e3' key=z9y8x7 nokw123 pl_1234 uni_ab";
    for mode in MODES {
        let hs = HyperscanScanner::with_mode(&s, mode).expect("database");
        let reasons: Vec<(&str, &Reason)> =
            hs.fallbacks().iter().map(|f| (s.rule(f.rule).id.as_str(), &f.reason)).collect();
        let expected = [
            ("unbounded", &Reason::Unbounded),
            ("unicode", &Reason::Syntax("a Unicode class with non-ASCII characters".into())),
            ("quoted", &Reason::AnchorGroup(3)),
            ("bare", &Reason::Unbounded),
        ];
        assert_eq!(reasons, if mode == Mode::Regexes { &expected[..] } else { &[] });
        assert_eq!(ids(&s, &same(&hs, text.as_bytes())), ["unbounded", "unicode", "quoted", "bare", "any", "plain"]);
        for f in hs.fallbacks() {
            assert!(f.describe(&s).starts_with("hyperscan engine: searched through its keywords"));
        }
    }
    // `rules check` notes them, one line per rule, and finds no disagreement.
    let notes: Vec<String> = crate::detect::check::notes(&s).iter().map(ToString::to_string).collect();
    assert_eq!(notes.len(), 4);
    assert!(notes[0].starts_with("note: test.toml: rule `unbounded`: hyperscan engine:"), "{}", notes[0]);
    let (_, problems) = crate::detect::check::check(&s);
    assert!(problems.iter().all(|p| !p.message.contains("hyperscan")), "{problems:?}");
}

#[test]
fn an_anchor_hyperscan_rejects_is_dropped_or_the_rule_falls_back() {
    // Hyperscan takes no start anchor inside a pattern: the expression loses its anchors.
    let s = set(&rule("mid", r"x_\n(?m:^)[a-z]{3}", &["x_"], ""));
    let hs = HyperscanScanner::new(&s).expect("database");
    assert!(hs.fallbacks().is_empty(), "{:?}", hs.fallbacks());
    assert_eq!(same(&hs, b"x_\nabc x_abc").len(), 1);
}

#[test]
fn long_repetitions_stay_exact() {
    // Long counted repetitions are written open-ended for hyperscan; the regex decides.
    let s = set(&rule("big", r"big_(?:[a-z]{1,9}[0-9]{1,9}){2,300}!", &["big_"], ""));
    let hs = HyperscanScanner::new(&s).expect("database");
    let text = format!("x big_{}! big_a1b2! big_a1! big_{}!", "ab12".repeat(200), "ab12".repeat(301));
    assert_eq!(same(&hs, text.as_bytes()).len(), 2);
}

#[test]
fn keywords_are_ascii_case_insensitive() {
    let s = set(&(rule("r", r"(?i)k\.ey_[a-z]+", &["k.ey_"], "") + &rule("u", r"é_[a-z]{2}", &["é_"], "")));
    for mode in MODES {
        let hs = HyperscanScanner::with_mode(&s, mode).expect("database");
        assert_eq!(same(&hs, "K.EY_abc k.Ey_x kxey_abc é_ab É_ab".as_bytes()).len(), 3);
    }
}

#[test]
fn a_scanner_is_shared_across_threads() {
    fn shared<T: Send + Sync>(_: &T) {}
    let [regexes, keywords] = &*MIXED_HS;
    shared(regexes);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for text in ["ab_q1w2 key=zz9", "top_abc\npw=hunter", "xy42 123-45"] {
                    assert_eq!(regexes.scan(text.as_bytes()), keywords.scan(text.as_bytes()));
                }
            });
        }
    });
}

#[test]
fn an_empty_set_finds_nothing() {
    let s = RuleSet::new(Vec::new()).expect("empty set");
    for mode in MODES {
        let hs = HyperscanScanner::with_mode(&s, mode).expect("no database needed");
        assert!(hs.scan(b"anything").is_empty());
    }
}

#[test]
fn the_translation_writes_bytes_and_groups_only() {
    let hir = crate::rules::hir_of(r"(?i)a(?P<secret>[+.]{2,})\bé|x??").expect("parses");
    let e = pattern::expression(&hir, true).expect("translates");
    assert_eq!(e.text, r"(?:[\x41\x61](?:(?:[\x2b\x2e]){2,})\b\xc3\xa9|(?:[\x58\x78]){0,1})");
    assert!(!e.widened);
    let hir = crate::rules::hir_of(r"\Aa{3,100}\z").expect("parses");
    assert_eq!(pattern::expression(&hir, true).expect("translates").text, r"\A(?:a){3,}\z");
    assert_eq!(pattern::expression(&hir, false).expect("translates").text, r"(?:a){3,}");
    assert_eq!(pattern::keyword(b"a-1"), (r"a\x2d1".to_string(), PatternFlags::CASELESS));
    assert_eq!(pattern::keyword("é-a".as_bytes()), (r"\xc3\xa9\x2d[aA]".to_string(), PatternFlags::empty()));
}

#[test]
fn the_streaming_pass_reports_the_same_ends_whatever_the_deltas() {
    let [hs, _] = &*MIXED_HS;
    let pass = hs.streaming_pass().expect("streaming database");
    assert!(pass.stream_bytes() > 0 && pass.database_bytes() > 0);
    let text = "top_abc ab_q1w2 KEY=zz9 xy42 123-45\npw=hunter\nxxy12 ab_q1w2e3r4t5 end_xyz";
    let ends_in = |chunk: usize| {
        let mut ends = Vec::new();
        let mut stream = pass.open().expect("stream");
        for piece in text.as_bytes().chunks(chunk) {
            stream.push(piece, &mut ends).expect("scan");
        }
        stream.finish(&mut ends).expect("close");
        ends.sort_unstable();
        ends
    };
    let whole = ends_in(text.len());
    for n in [1, 2, 3, 5, 7] {
        assert_eq!(ends_in(n), whole, "deltas of {n}");
    }
    // Every finding's match ends where its rule's pattern reported an end (`end_xyz\z` only
    // at the close).
    let found = MIXED.scan(text.as_bytes());
    assert_eq!(found.len(), 8, "{found:?}");
    for f in &found {
        let reported = |&(id, end): &(u32, u64)| {
            hs.targets.get(id as usize) == Some(&Target::Rule(f.rule)) && end as usize == f.span.end
        };
        assert!(whole.iter().any(reported), "no end for {:?}", f.span);
    }
    // A stream dropped without `finish` is closed by its drop.
    let mut open = pass.open().expect("stream");
    open.push(b"ab_q1", &mut Vec::new()).expect("scan");
    drop(open);
}

// The built-in rules.

static BUILTIN: LazyLock<RuleSet> = LazyLock::new(|| RuleSet::builtin().expect("built-in rules"));
static BUILTIN_HS: LazyLock<[HyperscanScanner<'static>; 2]> =
    LazyLock::new(|| MODES.map(|m| HyperscanScanner::with_mode(&BUILTIN, m).expect("database")));

#[test]
fn builtin_rules_all_go_to_hyperscan() {
    let [regexes, _] = &*BUILTIN_HS;
    assert_eq!(regexes.fallbacks(), &[]);
}

#[test]
fn builtin_rules_examples_agree() {
    let mut examples = 0;
    for hs in BUILTIN_HS.iter() {
        for r in BUILTIN.rules() {
            for text in r.examples.iter().chain(&r.negative_examples) {
                same(hs, text.as_bytes());
                examples += 1;
            }
        }
    }
    assert!(examples > 4 * BUILTIN.len(), "{examples} examples");
}

#[test]
fn builtin_rules_agree_on_the_corpus() {
    let corpus = crate::corpus::generate(0x5EC2_E76A, 2000, 1000);
    let (mut scratch, mut got, mut want) = (Scratch::default(), Vec::new(), Vec::new());
    let mut findings = 0;
    for d in corpus.positives.iter().chain(&corpus.negatives) {
        BUILTIN.scan_with(d.text.as_bytes(), &mut scratch, &mut want);
        for hs in BUILTIN_HS.iter() {
            hs.scan_with(d.text.as_bytes(), &mut scratch, &mut got);
            assert_eq!(got, want, "{:?} on the document: {:?}", hs.mode(), &d.text[..d.text.len().min(300)]);
        }
        findings += want.len();
    }
    assert!(findings > 4000, "{findings} findings");
}

#[test]
fn builtin_rules_agree_on_long_texts() {
    // Many hits per region, windows merging across hyperscan's reports, 8 keyword lanes.
    let (mut scratch, mut got, mut want) = (Scratch::default(), Vec::new(), Vec::new());
    for text in
        [crate::corpus::prose(1, 1 << 20), crate::corpus::code(2, 1 << 20), crate::corpus::secret_dense(3, 1 << 20)]
    {
        BUILTIN.scan_with(text.as_bytes(), &mut scratch, &mut want);
        for hs in BUILTIN_HS.iter() {
            hs.scan_with(text.as_bytes(), &mut scratch, &mut got);
            assert!(got == want, "{:?}: {} vs {} findings on a long text", hs.mode(), got.len(), want.len());
        }
    }
}
