//! `stream_redactor`: any text cut anywhere releases its one-shot redaction.

use std::sync::{Arc, OnceLock};

use super::{builtin, Input};
use crate::{
    detect::{canary::CanarySet, redact},
    rules,
    stream::{Action, Policy, Status, StreamRedactor},
    Finding, RuleSet, Style,
};

/// Rules built to hit the streaming traps (look-around at a cut, keywords inside keywords,
/// secrets that begin before their keyword, generic assignments): the stream tests' set.
fn traps() -> Arc<RuleSet> {
    static SET: OnceLock<Arc<RuleSet>> = OnceLock::new();
    SET.get_or_init(|| {
        let rule = |id: &str, regex: &str, keywords: &str, extra: &str| {
            format!(
                "[[rules]]\nid = \"{id}\"\ntitle = \"t\"\nregex = '''{regex}'''\nkeywords = [{keywords}]\n\
                 confidence = \"high\"\n{extra}\nexamples = [\"x\"]\nnegative_examples = [\"y\"]\n\n"
            )
        };
        let text = rule("tok", r"\b(?P<secret>ghp_[a-z0-9]{4})\b", "\"ghp_\"", "")
            + &rule("nral", r"\b(?P<secret>[a-z0-9]{6}NRAL)\b", "\"nral\"", "")
            + &rule("cio", r"[ =](?P<secret>cio[a-z0-9]{4})\b", "\" cio\", \"=cio\"", "")
            + &rule(
                "gen",
                r"(?:key|token)[ =_]{1,3}(?P<secret>[a-z0-9-]{5,12})",
                "\"key\", \"token\"",
                "tags = [\"generic\"]",
            )
            + &rule("sk", r"sk-(?P<secret>[a-z0-9]{3,8})", "\"sk-\"", "");
        let rules = rules::parse("traps.toml", &text).expect("the trap rules parse");
        Arc::new(RuleSet::new(rules).expect("the trap rules compile"))
    })
    .clone()
}

/// Canaries: made up, one AWS-key shaped so that the built-in rules find it too.
fn canaries() -> Arc<CanarySet> {
    static SET: OnceLock<Arc<CanarySet>> = OnceLock::new();
    SET.get_or_init(|| {
        let secrets = ["AKIAQWERTY234567ABCD", "sk-proj-Xa9dK2mQ7vLp4RtW8zNcB3yH"];
        Arc::new(CanarySet::new(&secrets, 12).expect("canaries"))
    })
    .clone()
}

/// `text` cut at `cuts` through `r`: everything released, the findings, the status.
fn stream(mut r: StreamRedactor, text: &str, cuts: &[usize]) -> (String, Vec<Finding>, Status) {
    let (mut out, mut found) = (String::new(), Vec::new());
    let mut at = 0;
    for &c in cuts.iter().chain([&text.len()]) {
        let rel = r.push(&text[at..c]);
        out.push_str(rel.text);
        found.extend_from_slice(rel.findings);
        at = c;
    }
    let fin = r.finish();
    out.push_str(&fin.text);
    found.extend(fin.findings);
    (out, found, fin.status)
}

/// The stream invariant for one chunking, under redact, block and report.
fn against_one_shot(rules: &Arc<RuleSet>, text: &str, cuts: &[usize]) {
    let want = rules.scan(text.as_bytes());
    let redacted = redact(text.as_bytes(), &want, rules, Style::Label);
    let (out, found, status) = stream(StreamRedactor::new(rules.clone(), Policy::default()), text, cuts);
    assert_eq!(status, Status::Open);
    assert_eq!(found, want, "findings differ; cuts {cuts:?}");
    assert_eq!(out.as_bytes(), redacted, "released text differs; cuts {cuts:?}");

    let block = Policy { action: Action::Block, ..Policy::default() };
    let (out, found, status) = stream(StreamRedactor::new(rules.clone(), block), text, cuts);
    match want.first() {
        Some(first) => {
            assert_eq!(status, Status::BlockedSecret);
            assert_eq!(out, text[..first.secret.start], "block released past the first secret");
            assert_eq!(found, want[..1]);
        }
        None => assert_eq!((out.as_str(), status), (text, Status::Open)),
    }

    let report = Policy { action: Action::Report, ..Policy::default() };
    let (out, found, _) = stream(StreamRedactor::new(rules.clone(), report), text, cuts);
    assert_eq!((out.as_str(), found), (text, want), "report differs; cuts {cuts:?}");
}

/// Canary leaks are a pure function of the text: any chunking gives what one push gives.
fn canaries_against_one_push(text: &str, cuts: &[usize]) {
    let rules = builtin();
    for policy in [
        Policy::default(),
        Policy { action: Action::Block, ..Policy::default() },
        Policy { action: Action::Report, ..Policy::default() },
    ] {
        let run =
            |cuts: &[usize]| stream(StreamRedactor::with_canaries(rules.clone(), &[canaries()], policy), text, cuts);
        assert_eq!(run(cuts), run(&[]), "cuts {cuts:?} policy {policy:?}");
    }
}

/// Input: the chunking, then a mode byte (which rules), then the text (lossy UTF-8).
pub(super) fn run(data: &[u8]) {
    let input = Input::read(data);
    let Some((&mode, body)) = input.body.split_first() else { return };
    let text = String::from_utf8_lossy(body);
    let cuts = input.cuts(text.len(), |c| text.is_char_boundary(c));
    match mode % 3 {
        0 => against_one_shot(&builtin(), &text, &cuts),
        1 => against_one_shot(&traps(), &text, &cuts),
        _ => canaries_against_one_push(&text, &cuts),
    }
}
