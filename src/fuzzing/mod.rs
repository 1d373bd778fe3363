//! Fuzz target bodies: each takes libFuzzer's raw input and panics when its oracle fails.
//!
//! They live in the library, not in `fuzz/`, so that two drivers share one body: the
//! cargo-fuzz crate in `fuzz/` (coverage-guided, libFuzzer; see `fuzz/README.md`), and a
//! stable test (`tests/it/fuzz.rs`) that runs every target over its seeds ([`seeds`]) and
//! over the crash inputs kept in `tests/data/fuzz-regressions/`, so the harnesses cannot rot
//! and every finding stays fixed. Not an API: hidden from the docs, changed at will.
//!
//! Oracles, target by target ([`Target`]):
//! - `sse_decoder`: any bytes cut anywhere decode to what one push decodes (events, comments
//!   and the error, if any); re-decoding the items' raw bytes gives the same events; every
//!   event re-encodes to itself.
//! - `adapter_*`: upstream bytes cut anywhere, through the [`Feed`](crate::proxy::scan::Feed)
//!   the proxy runs and the route's scanner: the output is a well-formed event stream that
//!   ends on an item boundary; in the structured mode (events built from templates with a
//!   generated key planted in their text) the key never goes out whole; Chat Completions and
//!   Completions give the same events with and without the fast path (data compared as JSON).
//! - `stream_redactor`: a text cut anywhere releases exactly its one-shot redaction and
//!   findings (redact, block, report), with the built-in rules, a small set built to hit the
//!   streaming traps, and with canaries (any cut = one push).
//! - `rule_loader`, `gitleaks_import`: any text is rules or a typed error, never a panic, in
//!   bounded time and memory; rules that load give the same findings keyword-driven and
//!   exhaustively, and streamed as in one shot, on their own examples.

mod adapter;
mod rules;
pub mod seeds;
mod sse;
mod stream;

use std::sync::{Arc, OnceLock};

use crate::RuleSet;

/// The fuzz targets, by their names in `fuzz/fuzz_targets/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    SseDecoder,
    AdapterChat,
    AdapterCompletions,
    AdapterResponses,
    AdapterAnthropic,
    StreamRedactor,
    RuleLoader,
    GitleaksImport,
}

impl Target {
    pub const ALL: [Target; 8] = [
        Target::SseDecoder,
        Target::AdapterChat,
        Target::AdapterCompletions,
        Target::AdapterResponses,
        Target::AdapterAnthropic,
        Target::StreamRedactor,
        Target::RuleLoader,
        Target::GitleaksImport,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Target::SseDecoder => "sse_decoder",
            Target::AdapterChat => "adapter_chat",
            Target::AdapterCompletions => "adapter_completions",
            Target::AdapterResponses => "adapter_responses",
            Target::AdapterAnthropic => "adapter_anthropic",
            Target::StreamRedactor => "stream_redactor",
            Target::RuleLoader => "rule_loader",
            Target::GitleaksImport => "gitleaks_import",
        }
    }

    /// For the adapters: the upstream body an input makes and what the client gets.
    pub fn explain(self, data: &[u8]) -> String {
        match self {
            Target::AdapterChat => adapter::explain(adapter::Api::Chat, data),
            Target::AdapterCompletions => adapter::explain(adapter::Api::Completions, data),
            Target::AdapterResponses => adapter::explain(adapter::Api::Responses, data),
            Target::AdapterAnthropic => adapter::explain(adapter::Api::Anthropic, data),
            _ => String::new(),
        }
    }

    /// Runs the target's body on one input; panics if an oracle fails.
    pub fn run(self, data: &[u8]) {
        match self {
            Target::SseDecoder => sse::run(data),
            Target::AdapterChat => adapter::run(adapter::Api::Chat, data),
            Target::AdapterCompletions => adapter::run(adapter::Api::Completions, data),
            Target::AdapterResponses => adapter::run(adapter::Api::Responses, data),
            Target::AdapterAnthropic => adapter::run(adapter::Api::Anthropic, data),
            Target::StreamRedactor => stream::run(data),
            Target::RuleLoader => rules::run_loader(data),
            Target::GitleaksImport => rules::run_gitleaks(data),
        }
    }
}

/// A fuzz input read as a chunking and a body. Byte 0 says how many chunk lengths follow
/// (mod 16); the rest is the body, cut into pieces of those lengths in turn. A zero length is
/// an empty push in the first round and a one-byte piece after it; no lengths: one piece.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    lens: &'a [u8],
    pub body: &'a [u8],
}

impl<'a> Input<'a> {
    pub fn read(data: &'a [u8]) -> Input<'a> {
        let Some((&n, rest)) = data.split_first() else { return Input { lens: &[], body: &[] } };
        let n = (n as usize % 16).min(rest.len());
        let (lens, body) = rest.split_at(n);
        Input { lens, body }
    }

    /// Writes an input: `lens` (at most 15) then `body`. For seeds and tests.
    pub fn write(lens: &[u8], body: &[u8]) -> Vec<u8> {
        let lens = &lens[..lens.len().min(15)];
        let mut out = Vec::with_capacity(1 + lens.len() + body.len());
        out.push(lens.len() as u8);
        out.extend_from_slice(lens);
        out.extend_from_slice(body);
        out
    }

    /// Where to cut a text of `len` bytes: increasing offsets (repeats are empty pieces), each
    /// moved forward until `ok` accepts it (a character boundary, say); `len` is not included.
    pub fn cuts(&self, len: usize, ok: impl Fn(usize) -> bool) -> Vec<usize> {
        let mut cuts = Vec::new();
        if self.lens.is_empty() {
            return cuts;
        }
        let mut at = 0;
        for round in 0.. {
            for &l in self.lens {
                let l = if l == 0 && round > 0 { 1 } else { l as usize };
                at += l;
                while at < len && !ok(at) {
                    at += 1;
                }
                if at >= len {
                    return cuts;
                }
                cuts.push(at);
            }
        }
        cuts
    }

    /// The body cut into pieces (see [`Input::cuts`]).
    pub fn pieces(&self) -> Vec<&'a [u8]> {
        let body = self.body;
        let mut out = Vec::new();
        let mut at = 0;
        for c in self.cuts(body.len(), |_| true) {
            out.push(&body[at..c]);
            at = c;
        }
        out.push(&body[at..]);
        out
    }
}

/// The built-in rules, compiled once per process.
fn builtin() -> Arc<RuleSet> {
    static SET: OnceLock<Arc<RuleSet>> = OnceLock::new();
    SET.get_or_init(|| Arc::new(RuleSet::builtin().expect("the built-in rules compile"))).clone()
}
