//! In-flight redaction of one text channel: [`StreamRedactor`] takes the deltas of a streamed
//! answer and releases, after each, the longest prefix whose redaction is already decided.
//!
//! **Invariant.** For every text and every way of cutting it into deltas, the concatenation
//! of everything released equals [`crate::detect::redact`] of the whole text, and the
//! findings are the same (with the `block` policy: the text before the first secret). It
//! holds by construction: the findings come from [`Frontier`], which makes exactly the
//! one-shot engine's attempts, each once its outcome can no longer change; text is released
//! only up to the frontier's bound, before which no undecided secret can begin.
//!
//! **Holdback.** What stays back is what could still become (part of) a secret: text after
//! an undecided candidate start (an anchored DFA walk still alive), a keyword prefix at the
//! end whose rules' secrets include the keyword, and the bytes a secret can span before a
//! keyword still to come (a rule like `[a-z0-9]{36}NRAL` holds back a trailing run of
//! `[a-z0-9]`). Prose without such runs flows through as it arrives.
//!
//! **Bounded memory.** More than [`Policy::max_holdback`] bytes held back is an overflow:
//! by default the stream is blocked (fail closed); [`Overflow::Redact`] replaces the held
//! text with a marker instead. Held text is never released unscanned.
//!
//! Steady-state [`StreamRedactor::push`] allocates nothing: buffers and regex caches are
//! reused, and the buffer is trimmed in place.
//!
//! **Canaries.** With a [`CanarySet`] ([`StreamRedactor::with_canaries`]), a [`CanaryScan`]
//! reads the same buffer; the bound is the earlier of the two, and findings of both are
//! applied in start order. A finding is only applied once the bound has passed its end, and
//! no unreported finding of either kind begins before the bound, so every finding that starts
//! before it is known by then: the order, and so the output, does not depend on the cuts.
//! Where a canary leak and a secret overlap, the union is redacted (a finding inside text
//! already redacted adds no marker).

use std::sync::Arc;

use crate::{
    detect::{
        canary::{CanaryScan, CanarySet},
        disclosure::{answer::AnswerScan, DisclosureSet},
        prompt_leak::{PromptScan, PromptSet},
        Finding, Frontier, RuleSet, Style,
    },
    rules::Kind,
};

/// What to do with a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Replace the secret (see [`Style`]) and go on.
    Redact(Style),
    /// Release the text before the first secret, then nothing more.
    Block,
    /// Release everything unchanged; only report findings.
    Report,
}

/// What to do when more than `max_holdback` bytes would have to be held back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Overflow {
    /// Stop releasing (fail closed).
    #[default]
    Block,
    /// Replace the held text with `[REDACTED:holdback-overflow]` and go on after it.
    Redact,
}

/// The marker that replaces held text on [`Overflow::Redact`].
pub const OVERFLOW_MARKER: &str = "[REDACTED:holdback-overflow]";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    pub action: Action,
    /// Most bytes held back at once (16 KiB by default: PEM blocks are long).
    pub max_holdback: usize,
    pub on_overflow: Overflow,
}

impl Default for Policy {
    fn default() -> Self {
        Policy { action: Action::Redact(Style::Label), max_holdback: 16 * 1024, on_overflow: Overflow::Block }
    }
}

/// Whether the stream still releases text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Status {
    #[default]
    Open,
    /// A secret was found under [`Action::Block`].
    BlockedSecret,
    /// The holdback limit was exceeded under [`Overflow::Block`].
    BlockedOverflow,
}

/// What one push released.
#[derive(Debug)]
pub struct Release<'a> {
    /// Safe to forward now (redactions applied).
    pub text: &'a str,
    /// Findings that became final, in text order; spans are offsets into the whole stream.
    pub findings: &'a [Finding],
    pub status: Status,
}

/// What [`StreamRedactor::finish`] returns: the rest.
#[derive(Debug)]
pub struct Finished {
    pub text: String,
    pub findings: Vec<Finding>,
    pub status: Status,
}

/// Buffers are trimmed once this many bytes before the still-needed part have piled up.
const TRIM_AT: usize = 4096;

/// Redacts one text channel as it streams. See the module docs.
#[derive(Debug)]
pub struct StreamRedactor {
    rules: Arc<RuleSet>,
    policy: Policy,
    frontier: Frontier,
    canaries: Vec<(Arc<CanarySet>, CanaryScan)>,
    /// The request's instructions, and what to do when the answer repeats them.
    prompt: Option<(Arc<PromptSet>, PromptScan, Action)>,
    /// Disclosure requests (injected instructions, exfiltration links) in the answer, and what
    /// to do with them.
    disclosure: Option<(Arc<DisclosureSet>, AnswerScan, Action)>,
    /// System-prompt leaks and disclosure requests found under `Report` (flag): they change no
    /// text, so they hold none back and go out with the next release.
    flagged: Vec<Finding>,
    /// The stream from `base` on.
    buf: String,
    lower: Vec<u8>,
    base: usize,
    /// Stream position up to which output has been produced.
    released: usize,
    /// Final findings from the frontier, in order, not yet written.
    ready: Vec<Finding>,
    out: String,
    found: Vec<Finding>,
    status: Status,
}

impl StreamRedactor {
    /// A redactor for one channel. Cheap: the rule set is shared and compiled already.
    pub fn new(rules: Arc<RuleSet>, policy: Policy) -> StreamRedactor {
        StreamRedactor::with_canaries(rules, &[], policy)
    }

    /// A redactor that also finds the leaks of `canaries` (see the module docs).
    pub fn with_canaries(rules: Arc<RuleSet>, canaries: &[Arc<CanarySet>], policy: Policy) -> StreamRedactor {
        StreamRedactor {
            rules,
            policy,
            frontier: Frontier::new(),
            canaries: canaries.iter().filter(|c| !c.is_empty()).map(|c| (c.clone(), CanaryScan::default())).collect(),
            prompt: None,
            disclosure: None,
            flagged: Vec::new(),
            buf: String::new(),
            lower: Vec::new(),
            base: 0,
            released: 0,
            ready: Vec::new(),
            out: String::new(),
            found: Vec::new(),
            status: Status::Open,
        }
    }

    /// Also finds system-prompt leaks of `prompt` (see `detect::prompt_leak`), handled by
    /// `action` rather than the policy's. With `Report` (flag them only) they hold nothing back
    /// and are reported as soon as they are decided: the released text is the same for every
    /// cut, and so is the set of findings, but not always their order.
    pub fn with_prompt(mut self, prompt: Arc<PromptSet>, action: Action) -> StreamRedactor {
        self.prompt = Some((prompt, PromptScan::default(), action));
        self
    }

    /// Also finds disclosure requests in the text (see `detect::disclosure::answer`), handled
    /// by `action` rather than the policy's; with `Report` they hold nothing back, as with
    /// [`StreamRedactor::with_prompt`].
    pub fn with_disclosure(mut self, set: Arc<DisclosureSet>, action: Action) -> StreamRedactor {
        self.disclosure = Some((set, AnswerScan::default(), action));
        self
    }

    /// Feeds `delta`; returns what is now safe to emit and the findings completed.
    pub fn push(&mut self, delta: &str) -> Release<'_> {
        self.out.clear();
        self.found.clear();
        if self.status == Status::Open {
            self.buf.push_str(delta);
            self.lower.extend(delta.bytes().map(|b| b.to_ascii_lowercase()));
            self.step(false);
            self.trim();
        }
        Release { text: &self.out, findings: &self.found, status: self.status }
    }

    /// Ends the stream: everything still held is decided and released (or not, if blocked).
    pub fn finish(mut self) -> Finished {
        self.out.clear();
        self.found.clear();
        if self.status == Status::Open {
            self.step(true);
        }
        Finished { text: self.out, findings: self.found, status: self.status }
    }

    /// Bytes received so far.
    pub fn received(&self) -> usize {
        self.base + self.buf.len()
    }

    /// Bytes of input released so far (the rest is held back, or blocked).
    pub fn released(&self) -> usize {
        self.released
    }

    /// Bytes held back now.
    pub fn held(&self) -> usize {
        self.received() - self.released
    }

    pub fn status(&self) -> Status {
        self.status
    }

    /// What holds the text back now (for holdback reports).
    pub fn held_by(&self) -> crate::detect::Why {
        self.frontier.why
    }

    fn step(&mut self, end: bool) {
        let before = self.ready.len();
        let mut bound =
            self.frontier.advance(&self.rules, self.buf.as_bytes(), &self.lower, self.base, end, &mut self.ready);
        for (set, scan) in &mut self.canaries {
            bound = bound.min(scan.advance(set, self.buf.as_bytes(), self.base, end, &mut self.ready));
        }
        match &mut self.prompt {
            Some((set, scan, Action::Report)) => {
                scan.advance(set, &self.buf, self.base, end, &mut self.flagged);
            }
            Some((set, scan, _)) => bound = bound.min(scan.advance(set, &self.buf, self.base, end, &mut self.ready)),
            None => {}
        }
        match &mut self.disclosure {
            Some((set, scan, Action::Report)) => {
                scan.advance(set, &self.buf, self.base, end, &mut self.flagged);
            }
            Some((set, scan, _)) => bound = bound.min(scan.advance(set, &self.buf, self.base, end, &mut self.ready)),
            None => {}
        }
        if (!self.canaries.is_empty() || self.prompt.is_some() || self.disclosure.is_some())
            && self.ready.len() > before
        {
            let rank = |k: Kind| match k {
                Kind::Canary => 1,
                Kind::SystemPromptLeak => 2,
                Kind::DisclosureRequest => 3,
                _ => 0,
            };
            self.ready.sort_by_key(|f| (f.secret.start, std::cmp::Reverse(f.secret.end), rank(f.kind)));
        }
        let to = self.received();
        self.emit(bound);
        self.found.append(&mut self.flagged);
        if self.status == Status::Open && to - self.released > self.policy.max_holdback {
            match self.policy.on_overflow {
                Overflow::Block => self.status = Status::BlockedOverflow,
                Overflow::Redact => {
                    self.out.push_str(OVERFLOW_MARKER);
                    self.released = to;
                    self.ready.clear();
                    self.frontier.reset(to);
                    for (_, scan) in &mut self.canaries {
                        scan.reset(to);
                    }
                    if let Some((_, scan, _)) = &mut self.prompt {
                        scan.reset(to);
                    }
                    if let Some((_, scan, _)) = &mut self.disclosure {
                        scan.reset(to);
                    }
                }
            }
        }
    }

    /// Writes the text up to `bound` (floored to a character boundary) with the ready
    /// findings applied.
    fn emit(&mut self, bound: usize) {
        if matches!(self.policy.action, Action::Report) {
            // Findings are reported once the bound passes them (so in one order whatever the
            // cuts); the text goes out as it comes.
            let n = self.ready.iter().take_while(|f| f.secret.end <= bound).count();
            self.found.extend(self.ready.drain(..n));
            self.copy_to(self.received());
            return;
        }
        let mut bound = bound.clamp(self.released, self.received());
        while !self.buf.is_char_boundary(bound - self.base) {
            bound -= 1;
        }
        let mut i = 0;
        while i < self.ready.len() && self.ready[i].secret.end <= bound {
            let f = self.ready[i];
            i += 1;
            self.found.push(f);
            let action = match (&self.prompt, &self.disclosure, f.kind) {
                (Some((_, _, action)), _, Kind::SystemPromptLeak) => *action,
                (_, Some((_, _, action)), Kind::DisclosureRequest) => *action,
                _ => self.policy.action,
            };
            // Inside text already redacted (a canary leak over a secret, a disclosure request
            // around one) a finding adds no marker — but one whose action is to block still
            // ends the stream.
            if f.secret.end <= self.released && action != Action::Block {
                continue;
            }
            // A secret never begins in released text (the frontier's bound); should it, the
            // part still here is redacted all the same.
            let start = f.secret.start.max(self.released);
            match action {
                Action::Report => continue,
                Action::Block => {
                    self.copy_to(start);
                    self.status = Status::BlockedSecret;
                    self.ready.clear();
                    return;
                }
                Action::Redact(style) => {
                    self.copy_to(start);
                    let secret =
                        &self.buf.as_bytes()[f.secret.start.max(self.base) - self.base..f.secret.end - self.base];
                    style.write_replacement(&mut self.out, &self.rules, &f, secret);
                    self.released = self.released.max(f.secret.end);
                }
            }
        }
        self.ready.drain(..i);
        // A finding not applied yet is never released, whatever the bound.
        let bound = self.ready.first().map_or(bound, |f| bound.min(f.secret.start.max(self.released)));
        self.copy_to(bound);
    }

    /// Appends the text from `released` to `to` unchanged.
    fn copy_to(&mut self, to: usize) {
        if to > self.released {
            self.out.push_str(&self.buf[self.released - self.base..to - self.base]);
            self.released = to;
        }
    }

    /// Drops the part of the buffer nobody needs any more, in place.
    fn trim(&mut self) {
        if self.buf.len() < 2 * TRIM_AT {
            return;
        }
        let mut keep = self.frontier.keep_from(&self.rules, self.released);
        for (_, scan) in &self.canaries {
            keep = keep.min(scan.keep_from());
        }
        if let Some((_, scan, _)) = &self.prompt {
            keep = keep.min(scan.keep_from());
        }
        if let Some((_, scan, _)) = &self.disclosure {
            keep = keep.min(scan.keep_from());
        }
        let mut keep = keep.max(self.base);
        if keep - self.base < TRIM_AT || keep - self.base < self.buf.len() / 2 {
            return;
        }
        while !self.buf.is_char_boundary(keep - self.base) {
            keep -= 1;
        }
        let n = keep - self.base;
        self.buf.drain(..n);
        self.lower.drain(..n);
        self.base = keep;
    }
}

#[cfg(test)]
mod tests;
