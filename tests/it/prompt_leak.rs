//! System-prompt leak quality on a generated labeled set. Prompts are sentences of generated
//! prose; a leak is an answer reciting 12–40 consecutive words of its prompt (case changed,
//! punctuation changed or dropped) between other text. Answers meant to have none: other prose
//! without the prompt's sentences, the same with 11 recited words, and several short phrases of
//! the prompt quoted apart. The generator reuses sentence templates, so some of those do share
//! 12 words with their prompt: every answer is labeled by a brute-force oracle (every window of
//! 12 words of the prompt, in a set), and the detector must agree with it.

use secretgate::{
    corpus::{self, Rng},
    detect::prompt_leak::{PromptSet, DEFAULT_MIN_WORDS},
};

/// The sentences of a text (split at `.`, `!`, `?`, `;` and newlines).
fn sentences(text: &str) -> Vec<String> {
    text.split(['.', '!', '?', ';', '\n']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// Words as written (runs of letters and digits).
fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect()
}

/// `n` consecutive words of `prompt` from a random place, re-cased and re-punctuated.
fn recite(prompt: &str, n: usize, rng: &mut Rng) -> String {
    let words = words(prompt);
    let at = rng.below(words.len().saturating_sub(n) + 1);
    let mut out = String::new();
    for (i, w) in words[at..(at + n).min(words.len())].iter().enumerate() {
        out.push_str(&if rng.chance(20) { w.to_uppercase() } else { w.to_string() });
        if i + 1 < n {
            out.push_str([" ", ", ", " — ", "\n", " ", "; ", " (", ") "][rng.below(8)]);
        }
    }
    out
}

/// Words as the detector reads them: lower-cased runs of letters and digits, each CJK
/// character a word.
fn detector_words(text: &str) -> Vec<String> {
    let cjk = |c: char| matches!(c, '\u{3040}'..='\u{30ff}' | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{f900}'..='\u{faff}' | '\u{ac00}'..='\u{d7af}');
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() && !cjk(c) {
            cur.extend(c.to_lowercase());
            continue;
        }
        if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if cjk(c) {
            out.push(c.to_string());
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The oracle: does `answer` have `k` consecutive words of `prompt`?
fn shares_run(prompt: &str, answer: &str, k: usize) -> bool {
    let p = detector_words(prompt);
    let windows: std::collections::HashSet<&[String]> = p.windows(k).collect();
    detector_words(answer).windows(k).any(|w| windows.contains(w))
}

/// Prose with none of `prompt`'s sentences.
fn other_prose(seed: u64, bytes: usize, prompt: &[String]) -> String {
    let mut out: Vec<String> =
        sentences(&corpus::prose(seed, bytes)).into_iter().filter(|s| !prompt.contains(s)).collect();
    out.dedup();
    out.join(". ") + "."
}

#[test]
fn prompt_leak_recall_and_false_positives_on_a_labeled_set() {
    let n = 300;
    let mut rng = Rng::new(17);
    let (mut leaks, mut found, mut flagged, mut negatives, mut relabeled) = (0, 0, 0, 0, 0);
    for i in 0..n {
        let prompt_sentences = sentences(&corpus::prose(1000 + i, 800));
        let prompt = prompt_sentences.join(". ");
        let set = PromptSet::new(&[prompt.as_str()], DEFAULT_MIN_WORDS).expect("prompt");
        let filler = other_prose(5000 + i, 300, &prompt_sentences);
        let leak = format!(
            "{filler}\n{}\n{}",
            recite(&prompt, rng.range(12, 41), &mut rng),
            other_prose(9000 + i, 200, &prompt_sentences)
        );
        let short = format!("{filler}\n{}\n", recite(&prompt, 11, &mut rng));
        let phrases = format!(
            "{} and also {} — then {}.",
            recite(&prompt, 6, &mut rng),
            recite(&prompt, 5, &mut rng),
            recite(&prompt, 7, &mut rng)
        );
        let other = other_prose(20_000 + i, 1500, &prompt_sentences);
        for (k, text) in [leak, short, phrases, other].iter().enumerate() {
            let is_leak = shares_run(&prompt, text, DEFAULT_MIN_WORDS);
            assert!(k != 0 || is_leak, "a recited run is a leak");
            relabeled += usize::from(k > 0 && is_leak);
            let hit = !set.scan(text).is_empty();
            if is_leak {
                leaks += 1;
                found += usize::from(hit);
            } else {
                negatives += 1;
                flagged += usize::from(hit);
            }
        }
    }
    let recall = found as f64 / leaks as f64;
    let fp = flagged as f64 / negatives as f64;
    eprintln!(
        "system-prompt leaks: {leaks} leaks ({relabeled} of them in answers meant to have none), recall {recall:.3}; \
         {negatives} answers without one, {flagged} flagged ({:.1} %)",
        fp * 100.0
    );
    assert_eq!(found, leaks, "recall {recall}");
    assert_eq!(flagged, 0, "false positives {fp}");
}
