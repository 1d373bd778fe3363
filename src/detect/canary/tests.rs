//! Each transformed form of a canary, found where it was planted; runs too short, other
//! secrets and ordinary text not found; the view's escapes; errors that never show a value.

use base64::Engine;

use super::*;

/// Made up for the tests: shaped like a project key, not one.
const SECRET: &str = "sk-proj-Xa9dK2mQ7vLp4RtW8zNcB3yH";

fn set() -> CanarySet {
    CanarySet::new(&[SECRET, "ghp_0Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk9Lz"], DEFAULT_MIN_RUN).expect("canaries")
}

/// `form` planted between markers: exactly one finding, exactly over `form`.
fn check_found(form: &str) {
    let text = format!("the value is <<{form}>> as requested.");
    let found = set().scan(text.as_bytes());
    let at = text.find(form).expect("planted");
    let spans: Vec<Span> = found.iter().map(|f| f.secret).collect();
    assert_eq!(spans, [Span { start: at, end: at + form.len() }], "form {form:?}");
    assert!(found.iter().all(|f| f.kind == Kind::Canary));
}

fn check_missed(text: &str) {
    assert_eq!(set().scan(text.as_bytes()), [], "text {text:?}");
}

fn spaced(s: &str, sep: &str) -> String {
    s.chars().map(String::from).collect::<Vec<_>>().join(sep)
}

#[test]
fn verbatim_and_partial_runs() {
    check_found(SECRET);
    check_found(&SECRET[8..20]); // 12 characters
    check_missed(&format!("<<{}>>", &SECRET[3..15])); // 12 with a dash: 11 read
    check_found(&SECRET[10..]);
    check_missed(&format!("<<{}>>", &SECRET[8..19])); // 11
    check_missed("an ordinary sentence about project keys and how to rotate them");
}

#[test]
fn reversed() {
    let rev: String = SECRET.chars().rev().collect();
    check_found(&rev);
    check_found(&rev[2..16]);
}

#[test]
fn separators_between_characters() {
    for sep in [" ", "-", ".", "\n", " - ", "\u{200b}", "\u{2060}", "\u{feff}", "\u{ad}"] {
        check_found(&spaced(SECRET, sep));
        check_found(&spaced(&SECRET[8..22], sep));
    }
}

#[test]
fn hex_in_either_case_and_spaced() {
    let hex: String = SECRET.bytes().map(|b| format!("{b:02x}")).collect();
    check_found(&hex);
    check_found(&hex.to_uppercase());
    check_found(&hex[6..40]);
    let spaced: Vec<String> = SECRET.bytes().map(|b| format!("{b:02X}")).collect();
    check_found(&spaced.join(" "));
    check_missed(&format!("<<{}>>", &hex[0..22])); // 11 bytes
}

#[test]
fn url_encoding() {
    let all: String = SECRET.bytes().map(|b| format!("%{b:02X}")).collect();
    check_found(&all);
    check_found(&SECRET.replace('-', "%2D"));
    check_found(&SECRET.replace('-', "%2d").replace('X', "%58"));
}

#[test]
fn base64_at_any_alignment_inside_a_longer_run() {
    for engine in [base64::engine::general_purpose::STANDARD, base64::engine::general_purpose::URL_SAFE_NO_PAD] {
        check_found(engine.encode(SECRET).trim_end_matches('='));
        for pad in 0..3 {
            let mut bytes = b"{\"k\":\"".to_vec()[..pad + 1].to_vec();
            bytes.extend_from_slice(SECRET.as_bytes());
            bytes.extend_from_slice(b"\"}\n");
            let run = engine.encode(&bytes);
            let text = format!("config blob: {run} end");
            let found = set().scan(text.as_bytes());
            let at = text.find(&run).expect("run");
            assert_eq!(found.len(), 1, "pad {pad}: {found:?}");
            let s = found[0].secret;
            assert!(s.start >= at && s.end <= at + run.len(), "inside the run");
            assert!(s.end - s.start >= SECRET.len() * 4 / 3 - 2, "covers the secret's characters");
        }
        // A part of it: 18 bytes of the secret in the middle of other data.
        let mut bytes = b"prefix-data:".to_vec();
        bytes.extend_from_slice(&SECRET.as_bytes()[5..23]);
        let run = engine.encode(&bytes);
        assert_eq!(set().scan(run.as_bytes()).len(), 1, "partial run in base64");
    }
    let other = base64::engine::general_purpose::STANDARD.encode("a different config value entirely, nothing secret");
    check_missed(&other);
}

#[test]
fn overlapping_leaks_become_one_finding() {
    // The plain run and its hex after it are two findings.
    let hex: String = SECRET.bytes().map(|b| format!("{b:02x}")).collect();
    let text = format!("{SECRET} then {hex}");
    assert_eq!(set().scan(text.as_bytes()).len(), 2);
    // Two canaries where the tail of one is the head of the other: a text running from the
    // first into the second is one leak, the union of both runs.
    let (a, b) = ("AbCdEfGhIjKlMnOpQrSt1234", "MnOpQrSt1234ZyXwVuTsRq");
    let set = CanarySet::new(&[a, b], 12).expect("canaries");
    let text = format!("<<{a}ZyXwVuTsRq>>");
    let spans: Vec<Span> = set.scan(text.as_bytes()).iter().map(|f| f.secret).collect();
    assert_eq!(spans, [Span { start: 2, end: text.len() - 2 }]);
}

#[test]
fn escapes_and_invisibles_in_the_view() {
    assert_eq!(normalize(b"a%2Db c.d\xe2\x80\x8be%zz%4"), b"abcde%zz%4");
    assert_eq!(view_step(b"%4", true), None, "an escape may still be arriving");
    assert_eq!(view_step(b"%4", false), Some((1, Some(b'%'))));
}

#[test]
fn base64_fixed_characters_match_a_real_encoder() {
    let e = base64::engine::general_purpose::STANDARD;
    let secret = b"0123456789abcdef";
    for offset in 0..3 {
        let mut bytes = vec![0xAAu8; offset];
        bytes.extend_from_slice(secret);
        let full = e.encode(&bytes);
        let fixed = String::from_utf8(base64_fixed(secret, offset, STANDARD)).expect("ascii");
        assert!(full.contains(&fixed), "offset {offset}: {fixed} in {full}");
        assert!(fixed.len() >= secret.len() * 4 / 3 - 2);
    }
}

#[test]
fn errors_never_show_the_value() {
    let short = CanarySet::new(&["abc-def-ghi"], DEFAULT_MIN_RUN).expect_err("too short");
    assert_eq!(short, CanaryError::TooShort { index: 1, len: 9, min_run: 12 });
    assert!(!short.to_string().contains("abc"));
    assert_eq!(CanarySet::new(&[SECRET], 4).expect_err("min_run"), CanaryError::MinRun(4));
    let debug = format!("{:?}", set());
    assert!(!debug.contains("Xa9d") && debug.contains("count: 2"), "{debug}");
    assert_eq!(CanarySet::new(&["", "  "], 12).expect("blank lines").len(), 0);
}
