//! Where a body's text meets its redactor: whole JSON bodies (requests, non-streamed
//! answers) and streamed Chat Completions / Completions answers, event by event; Anthropic
//! Messages answers in [`anthropic`] (the same redactors, the same helpers).
//!
//! Pure: no IO, no clocks. Every piece of text goes through a [`StreamRedactor`] — a whole
//! string is one push and a finish — so there is one redaction path, and a streamed channel
//! releases exactly what the one-shot redaction of its whole text would.
//!
//! Streams ([`ChatStream`]): one redactor per choice per channel. A chunk's channel deltas are
//! replaced by what their redactors release (often `""` while a candidate is held); logprobs
//! tokens are held with the text they cover and dropped where they overlap a redacted secret;
//! held text is flushed into the chunk that carries the choice's `finish_reason` (or a chunk
//! of our own before `[DONE]` if none came). Every other string of a chunk (tool names,
//! error messages, unknown fields) is redacted on its own. Unchanged events are forwarded as
//! their original bytes. Under `block`, the stream ends with a chunk whose `finish_reason` is
//! `"content_filter"` for every open choice, then `data: [DONE]`.

pub mod anthropic;
mod fast;
mod feed;
pub mod responses;
#[cfg(test)]
mod test_support;

use std::{
    collections::{BTreeMap, BTreeSet, VecDeque},
    sync::Arc,
};

use serde_json::Value;

use crate::{
    detect::{
        canary::CanarySet, disclosure::DisclosureSet, prompt_leak::PromptSet, Finding, Fingerprint, RuleSet, Span,
    },
    protocol::{
        openai::{self, Api, Channel, Field, Shape, Token},
        sse,
    },
    rules::Kind,
    stream::{Action, Policy, Status, StreamRedactor},
};

pub use anthropic::MessagesStream;
pub use feed::Feed;
pub use responses::ResponsesStream;

/// What a body's text is scanned with: the rule set, and the canaries in force for this
/// request (configured ones, and the secrets found in the request when its answer is
/// scanned). Cheap to clone.
#[derive(Clone, Debug)]
pub struct Detectors {
    pub rules: Arc<RuleSet>,
    pub canaries: Vec<Arc<CanarySet>>,
    /// The request's system and developer instructions, for answers, with the action for
    /// their leaks.
    pub prompt: Option<(Arc<PromptSet>, Action)>,
    /// Disclosure requests, for answers, with the action for them.
    pub disclosure: Option<(Arc<DisclosureSet>, Action)>,
}

impl From<Arc<RuleSet>> for Detectors {
    fn from(rules: Arc<RuleSet>) -> Detectors {
        Detectors { rules, canaries: Vec::new(), prompt: None, disclosure: None }
    }
}

impl Detectors {
    pub fn redactor(&self, policy: Policy) -> StreamRedactor {
        let mut r = StreamRedactor::with_canaries(self.rules.clone(), &self.canaries, policy);
        if let Some((prompt, action)) = &self.prompt {
            r = r.with_prompt(prompt.clone(), *action);
        }
        if let Some((set, action)) = &self.disclosure {
            r = r.with_disclosure(set.clone(), *action);
        }
        r
    }

    /// The same without the answer-only detectors (system-prompt leaks, disclosure
    /// requests): for fields of an answer that echo the request (the Responses API's
    /// `instructions`, tool definitions), which would otherwise read as a recital of the
    /// prompt. Secrets and canaries are still found there.
    pub fn echo(&self) -> Detectors {
        Detectors { prompt: None, disclosure: None, ..self.clone() }
    }
}

/// A finding as the proxy reports it (audit log, metrics): where, which rule, what was done.
/// Never the secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reported {
    /// Where in the body: `choices[0].content`, `messages[2].content[1].text`, …
    pub location: String,
    pub kind: Kind,
    /// The rule (for [`Kind::Secret`]).
    pub rule: usize,
    pub fingerprint: Fingerprint,
}

impl Reported {
    pub fn of(location: String, f: &Finding) -> Reported {
        Reported { location, kind: f.kind, rule: f.rule, fingerprint: f.fingerprint }
    }

    /// Its name in logs and metrics: the rule's id, or `canary`.
    pub fn label<'a>(&self, rules: &'a RuleSet) -> &'a str {
        match self.kind {
            Kind::Canary => "canary",
            Kind::SystemPromptLeak => "system-prompt-leak",
            Kind::DisclosureRequest => "disclosure-request",
            _ => &rules.rule(self.rule).id,
        }
    }
}

/// One whole text through a redactor (a push and a finish): the released text, the
/// findings, and whether it blocked.
struct Whole {
    text: String,
    findings: Vec<Finding>,
    status: Status,
}

/// `text` through a redactor as one push and a finish.
///
/// The holdback limit does not apply: it bounds what a stream keeps in memory, and a whole
/// string is in memory already. (With it, an overflow marker changed a string without a
/// finding, and callers that take "no finding" for "unchanged" forwarded the original bytes:
/// found by `adapter_anthropic`, a key in a `message_start` field went out.)
fn redact_whole(rules: &Detectors, policy: Policy, text: &str) -> Whole {
    let mut redactor = rules.redactor(Policy { max_holdback: usize::MAX, ..policy });
    let first = redactor.push(text);
    let mut out = first.text.to_owned();
    let mut findings = first.findings.to_vec();
    let rest = redactor.finish();
    out.push_str(&rest.text);
    findings.extend_from_slice(&rest.findings);
    Whole { text: out, findings, status: rest.status }
}

/// Redacts one whole string in place with `policy`; returns whether it blocked (then the
/// string is cut before the first secret).
pub fn redact_string(
    rules: &Detectors,
    policy: Policy,
    text: &mut String,
    location: &dyn Fn() -> String,
    out: &mut Vec<Reported>,
) -> bool {
    redact_string_keeping(rules, policy, text, location, out, None)
}

/// [`redact_string`], and the values of the secrets found (not canary leaks) appended to
/// `secrets` when given: the request's own secrets, protected in its answer as canaries.
/// They stay in memory for the request and are never logged.
fn redact_string_keeping(
    rules: &Detectors,
    policy: Policy,
    text: &mut String,
    location: &dyn Fn() -> String,
    out: &mut Vec<Reported>,
    secrets: Option<&mut Vec<String>>,
) -> bool {
    if text.is_empty() {
        return false;
    }
    let whole = redact_whole(rules, policy, text);
    if let Some(secrets) = secrets {
        for f in whole.findings.iter().filter(|f| f.kind == Kind::Secret) {
            secrets.extend(text.get(f.secret.range()).map(str::to_owned));
        }
    }
    if !whole.findings.is_empty() {
        let at = location();
        out.extend(whole.findings.iter().map(|f| Reported::of(at.clone(), f)));
    }
    if policy.action != Action::Report {
        *text = whole.text;
    }
    whole.status != Status::Open
}

/// Keys whose string values are identifiers or enums, never free text: not scanned.
pub(super) const IDENTIFIERS: &[&str] =
    &["id", "object", "model", "system_fingerprint", "role", "type", "finish_reason", "service_tier", "obfuscation"];

/// Redacts every string in `value` (but identifier fields), naming each by its path under
/// `root`. Returns whether any blocked.
pub fn redact_strings(
    rules: &Detectors,
    policy: Policy,
    value: &mut Value,
    root: &str,
    out: &mut Vec<Reported>,
) -> bool {
    let mut path = root.to_owned();
    walk(rules, policy, value, &mut path, out, &mut None)
}

/// [`redact_strings`] for a request: also returns the values of the secrets found in it
/// (see [`redact_string_keeping`]).
pub fn redact_request(
    rules: &Detectors,
    policy: Policy,
    value: &mut Value,
    out: &mut Vec<Reported>,
) -> (bool, Vec<String>) {
    let mut secrets = Some(Vec::new());
    let blocked = walk(rules, policy, value, &mut String::new(), out, &mut secrets);
    (blocked, secrets.unwrap_or_default())
}

fn walk(
    rules: &Detectors,
    policy: Policy,
    value: &mut Value,
    path: &mut String,
    out: &mut Vec<Reported>,
    secrets: &mut Option<Vec<String>>,
) -> bool {
    let mut blocked = false;
    let len = path.len();
    match value {
        Value::String(s) => {
            let p = path.clone();
            blocked |= redact_string_keeping(rules, policy, s, &|| p.clone(), out, secrets.as_mut());
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                path.push_str(&format!("[{i}]"));
                blocked |= walk(rules, policy, item, path, out, secrets);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                // Logprobs repeat the text token by token: handled with the text they cover
                // (token lists: an array, or an object of arrays; anything else is scanned).
                if k == "logprobs" && is_token_lists(v) || v.is_string() && IDENTIFIERS.contains(&k.as_str()) {
                    continue;
                }
                if !path.is_empty() {
                    path.push('.');
                }
                // Paths go into audit logs: a key that is not a plain name (it could be
                // anything a client sent, a secret included) is logged as `<key>`.
                if k.len() <= 40 && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
                    path.push_str(k);
                } else {
                    path.push_str("<key>");
                }
                blocked |= walk(rules, policy, v, path, out, secrets);
                path.truncate(len);
            }
        }
        _ => {}
    }
    blocked
}

/// Whether a `logprobs` value has the shape of token lists (Chat Completions' object of
/// arrays, the Responses API's array, or null).
fn is_token_lists(v: &Value) -> bool {
    match v {
        Value::Null | Value::Array(_) => true,
        Value::Object(map) => map.values().all(|x| x.is_null() || x.is_array()),
        _ => false,
    }
}

/// What scanning a whole body did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Reported>,
    /// A finding under `block`.
    pub blocked: bool,
}

/// Scans a whole (non-streamed) Chat Completions or Completions answer in place: every
/// channel redacted (under `block`: cut before the first secret, `finish_reason` set to
/// `content_filter`), logprobs over a secret dropped, every other string redacted.
pub fn scan_answer(rules: &Detectors, policy: Policy, api: Api, body: &mut Value) -> Outcome {
    let mut out = Outcome::default();
    let mut texts = take_channels(body, api, Shape::Whole);
    out.blocked |= redact_strings(rules, policy, body, "", &mut out.findings);
    let Some(choices) = openai::choices_mut(body) else { return out };
    for (pos, choice) in choices.iter_mut().enumerate() {
        let index = openai::choice_index(choice, pos);
        let logprobs = openai::take_logprobs(choice, api);
        let mut cut = false;
        let mut secrets: BTreeMap<Field, (Vec<Span>, usize)> = BTreeMap::new();
        openai::for_each_channel(choice, index, api, Shape::Whole, |ch, slot| {
            let Some(text) = texts.pop_front() else { return };
            let whole = redact_whole(rules, policy, &text);
            let spans = whole.findings.iter().map(|f| f.secret).collect();
            for f in &whole.findings {
                out.findings.push(Reported::of(ch.to_string(), f));
            }
            // Text up to here reached the client (all of it unless blocked).
            let blocked = whole.status != Status::Open;
            let released = if blocked { whole.findings.first().map_or(0, |f| f.secret.start) } else { text.len() };
            cut |= blocked;
            secrets.insert(ch.field, (spans, released));
            *slot = if policy.action == Action::Report { text } else { whole.text };
        });
        for (field, tokens) in logprobs {
            let (spans, released) = secrets.get(&field).cloned().unwrap_or_default();
            let mut at = 0;
            let mut keep = Vec::new();
            for t in tokens {
                // An entry that is not a token: where the rest lie is unknown, none goes.
                let Some(len) = t.len.or((policy.action == Action::Report).then_some(0)) else { break };
                let span = Span { start: at, end: at + len };
                at = span.end;
                if span.end <= released
                    && (policy.action == Action::Report || !spans.iter().any(|s| overlaps(*s, span)))
                {
                    keep.push(t.entry);
                }
            }
            openai::put_logprobs(choice, api, field, keep);
        }
        if cut {
            openai::set_finish_reason(choice, "content_filter");
            out.blocked = true;
        }
    }
    out
}

fn overlaps(a: Span, b: Span) -> bool {
    a.start < b.end && b.start < a.end
}

/// Takes every channel's string out of `body` (leaving `""`), in visiting order.
fn take_channels(body: &mut Value, api: Api, shape: Shape) -> VecDeque<String> {
    let mut texts = VecDeque::new();
    if let Some(choices) = openai::choices_mut(body) {
        for (pos, choice) in choices.iter_mut().enumerate() {
            let index = openai::choice_index(choice, pos);
            openai::for_each_channel(choice, index, api, shape, |_, s| texts.push_back(std::mem::take(s)));
        }
    }
    texts
}

/// What the caller does after an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// The stream is over (blocked, or an error event was written): stop reading upstream.
    Stop,
}

/// A streamed answer's scanner, whatever the API ([`ChatStream`], [`MessagesStream`],
/// [`ResponsesStream`]): fed one upstream item at a time, it writes what the client gets.
pub trait AnswerStream: Send {
    /// Handles one upstream item, writing what to send to the client into `out`.
    fn item(&mut self, item: sse::Item, out: &mut Vec<u8>) -> Flow;
    /// The upstream body ended: writes an error event if the answer was cut short.
    fn end(&mut self, out: &mut Vec<u8>);
    /// The upstream broke: ends the stream with the API's error event, held text dropped.
    fn fail(&mut self, message: &str, out: &mut Vec<u8>);
    /// Bytes held back now.
    fn held(&self) -> usize;
    /// The findings since the last call.
    fn take_findings(&mut self) -> Vec<Reported>;
}

/// The scanners' own methods, as the trait's.
macro_rules! answer_stream {
    ($ty:ty) => {
        impl AnswerStream for $ty {
            fn item(&mut self, item: sse::Item, out: &mut Vec<u8>) -> Flow {
                <$ty>::item(self, item, out)
            }
            fn end(&mut self, out: &mut Vec<u8>) {
                <$ty>::end(self, out)
            }
            fn fail(&mut self, message: &str, out: &mut Vec<u8>) {
                <$ty>::fail(self, message, out)
            }
            fn held(&self) -> usize {
                <$ty>::held(self)
            }
            fn take_findings(&mut self) -> Vec<Reported> {
                std::mem::take(&mut self.findings)
            }
        }
    };
}

answer_stream!(ChatStream);
answer_stream!(MessagesStream);
answer_stream!(ResponsesStream);

/// An upstream item's event and raw bytes; blank lines go straight to `out`, and comments
/// too, their text redacted like any other string (clients ignore them, but they reach the
/// client) — `None` for both.
fn event_of(
    item: sse::Item,
    rules: &Detectors,
    policy: Policy,
    findings: &mut Vec<Reported>,
    out: &mut Vec<u8>,
) -> Option<(sse::Event, Vec<u8>)> {
    match item {
        sse::Item::Blank { raw } => {
            out.extend_from_slice(&raw);
            None
        }
        sse::Item::Comment { text, raw } => {
            let mut scanned = text.clone();
            // A keep-alive comment holds no secret: its bytes go as they came. One that does
            // goes redacted (under block, cut before the secret; the stream goes on: a comment
            // is not the answer).
            redact_string(rules, redact_policy(policy), &mut scanned, &|| "comment".to_owned(), findings);
            if scanned == text {
                out.extend_from_slice(&raw);
            } else {
                out.push(b':');
                out.extend_from_slice(scanned.replace(['\r', '\n'], " ").as_bytes());
                out.push(b'\n');
            }
            None
        }
        sse::Item::Event { event, raw } => Some((event, raw)),
    }
}

/// `policy` with `block` and `report` turned into `redact` (for text that is not the answer).
pub(super) fn redact_policy(policy: Policy) -> Policy {
    match policy.action {
        Action::Redact(_) => policy,
        _ => Policy { action: Action::Redact(Default::default()), ..policy },
    }
}

/// `event` as it came, or with new data (same `event:` name and other fields).
fn write_event(event: &sse::Event, raw: &[u8], data: Option<String>, out: &mut Vec<u8>) {
    match data {
        None => out.extend_from_slice(raw),
        Some(data) => sse::encode(&sse::Event { data, has_data: true, ..event.clone() }, out),
    }
}

/// An event whose data is not JSON, scanned as text and written (unless a block left
/// nothing of it). Returns whether it blocked.
fn text_event(
    rules: &Detectors,
    policy: Policy,
    event: &sse::Event,
    raw: &[u8],
    findings: &mut Vec<Reported>,
    out: &mut Vec<u8>,
) -> bool {
    let mut data = event.data.clone();
    let blocked = redact_string(rules, policy, &mut data, &|| "data".to_owned(), findings);
    if !blocked || !data.is_empty() {
        write_event(event, raw, (data != event.data).then_some(data), out);
    }
    blocked
}

/// One channel of a stream: its redactor, the secrets found so far, and the logprobs tokens
/// it holds back.
#[derive(Debug)]
struct ChannelState {
    /// `None` once finished.
    redactor: Option<StreamRedactor>,
    secrets: Vec<Span>,
    tokens: VecDeque<(Span, Value)>,
    /// Where the next logprobs token starts in the channel's text.
    token_at: usize,
    /// An entry that was not a well-formed token came: where the next ones lie in the text is
    /// unknown, so none of this channel's tokens go out any more.
    tokens_broken: bool,
    /// Finished without a block: every token may go.
    complete: bool,
}

impl ChannelState {
    fn new(rules: &Detectors, policy: Policy) -> ChannelState {
        ChannelState {
            redactor: Some(rules.redactor(policy)),
            secrets: Vec::new(),
            tokens: VecDeque::new(),
            token_at: 0,
            tokens_broken: false,
            complete: false,
        }
    }

    /// Tokens whose text has been released, minus those over a secret. Once the channel is
    /// finished, the rest go if it ended open and are dropped if it blocked.
    fn release_tokens(&mut self, report: bool) -> Vec<Value> {
        let released = match &self.redactor {
            Some(r) => r.released(),
            None if self.complete => usize::MAX,
            None => {
                self.tokens.clear();
                0
            }
        };
        let mut out = Vec::new();
        while let Some((span, _)) = self.tokens.front() {
            if span.end > released {
                break;
            }
            let span = *span;
            let Some((_, entry)) = self.tokens.pop_front() else { break };
            if report || !self.secrets.iter().any(|s| overlaps(*s, span)) {
                out.push(entry);
            }
        }
        out
    }
}

/// A streamed Chat Completions or Completions answer, scanned event by event.
#[derive(Debug)]
pub struct ChatStream {
    api: Api,
    rules: Detectors,
    policy: Policy,
    channels: BTreeMap<Channel, ChannelState>,
    /// Choices seen, and those whose `finish_reason` came.
    seen: BTreeSet<u64>,
    finished: BTreeSet<u64>,
    /// The first chunk's envelope (id, model, …), for the chunks written here.
    template: Option<Value>,
    done: bool,
    over: bool,
    /// Whether plain delta chunks take the fast path (`fast.rs`).
    fast: bool,
    /// Chunks that took it.
    fast_hits: usize,
    /// Findings since the caller last took them.
    pub findings: Vec<Reported>,
}

impl ChatStream {
    pub fn new(api: Api, rules: impl Into<Detectors>, policy: Policy) -> ChatStream {
        ChatStream {
            api,
            rules: rules.into(),
            policy,
            channels: BTreeMap::new(),
            seen: BTreeSet::new(),
            finished: BTreeSet::new(),
            template: None,
            done: false,
            over: false,
            fast: true,
            fast_hits: 0,
            findings: Vec::new(),
        }
    }

    /// How many chunks took the fast path (for tests and benchmarks).
    pub fn fast_hits(&self) -> usize {
        self.fast_hits
    }

    /// Every chunk through the tree path (for differential tests and benchmarks).
    pub fn without_fast_path(mut self) -> ChatStream {
        self.fast = false;
        self
    }

    /// Bytes held back over all channels now.
    pub fn held(&self) -> usize {
        self.channels.values().filter_map(|c| c.redactor.as_ref()).map(StreamRedactor::held).sum()
    }

    /// Whether the stream was ended here (blocked or failed).
    pub fn is_over(&self) -> bool {
        self.over
    }

    /// Handles one upstream item, writing what to send to the client into `out`.
    pub fn item(&mut self, item: sse::Item, out: &mut Vec<u8>) -> Flow {
        if self.over {
            return Flow::Stop;
        }
        let Some((event, raw)) = event_of(item, &self.rules, self.policy, &mut self.findings, out) else {
            return Flow::Continue;
        };
        if event.data.trim() == "[DONE]" {
            if self.flush_open(out) {
                return Flow::Stop;
            }
            self.done = true;
            out.extend_from_slice(&raw);
            return Flow::Continue;
        }
        let plain = event.event.is_none() && event.id.is_none() && event.retry.is_none();
        if let Ok(blocked) = self.fast_chunk(&event.data, &raw, plain, out) {
            self.fast_hits += 1;
            return if blocked { self.block(out) } else { Flow::Continue };
        }
        let Some(mut value) = crate::protocol::json::parse(&event.data) else {
            // Not JSON (or a key twice in an object): scanned as text.
            let blocked = text_event(&self.rules, self.policy, &event, &raw, &mut self.findings, out);
            return if blocked { self.block(out) } else { Flow::Continue };
        };
        let (changed, blocked) = self.chunk(&mut value);
        if !changed {
            out.extend_from_slice(&raw);
        } else if plain {
            // The common case, written without an intermediate string.
            out.extend_from_slice(b"data: ");
            if serde_json::to_writer(&mut *out, &value).is_err() {
                out.extend_from_slice(b"null");
            }
            out.extend_from_slice(b"\n\n");
        } else {
            write_event(&event, &raw, Some(value.to_string()), out);
        }
        if blocked {
            return self.block(out);
        }
        Flow::Continue
    }

    /// Upstream ended the body. Returns an error event if the answer was cut short.
    pub fn end(&mut self, out: &mut Vec<u8>) {
        if self.over || self.done {
            return;
        }
        if self.channels.values().any(|c| c.redactor.is_some()) {
            // No `finish_reason`, no `[DONE]`: the answer may have been cut mid-secret, so
            // the held text is dropped, not flushed.
            self.fail("the upstream stream ended before the answer was complete", out);
        }
    }

    /// Ends the stream with an OpenAI-style error event (the SDKs raise `APIError`); held
    /// text is dropped.
    pub fn fail(&mut self, message: &str, out: &mut Vec<u8>) {
        if self.over {
            return;
        }
        self.over = true;
        let body = openai::error_body(message, "upstream_error", "upstream_error");
        sse::encode_data(&body.to_string(), out);
    }

    /// Scans one JSON chunk in place. Returns (changed, blocked).
    fn chunk(&mut self, value: &mut Value) -> (bool, bool) {
        let (api, policy, report) = (self.api, self.policy, self.policy.action == Action::Report);
        let mut texts = take_channels(value, api, Shape::Chunk);
        let before = self.findings.len();
        let mut blocked = redact_strings(&self.rules, policy, value, "", &mut self.findings);
        let mut changed = self.findings.len() > before && !report;
        if self.template.is_none() && value.get("choices").is_some() {
            self.template = Some(openai::chunk_like(value, Vec::new()));
        }
        let Some(choices) = openai::choices_mut(value) else { return (changed, blocked) };
        let (rules, channels, findings) = (&self.rules, &mut self.channels, &mut self.findings);
        let mut flushed_choices = Vec::new();
        for (pos, choice) in choices.iter_mut().enumerate() {
            let index = openai::choice_index(choice, pos);
            self.seen.insert(index);
            let logprobs = openai::take_logprobs(choice, api);
            let had_logprobs = !logprobs.is_empty();
            openai::for_each_channel(choice, index, api, Shape::Chunk, |ch, slot| {
                let Some(text) = texts.pop_front() else { return };
                let state = channels.entry(ch).or_insert_with(|| ChannelState::new(rules, policy));
                let Some(redactor) = state.redactor.as_mut() else {
                    // Text after this channel's finish: scan it on its own.
                    let mut text = text;
                    blocked |= redact_string(rules, policy, &mut text, &|| ch.to_string(), findings);
                    *slot = text;
                    changed = true;
                    return;
                };
                let release = redactor.push(&text);
                for f in release.findings {
                    state.secrets.push(f.secret);
                    findings.push(Reported::of(ch.to_string(), f));
                }
                blocked |= release.status != Status::Open;
                if release.text != text {
                    changed = true;
                }
                *slot = release.text.to_owned();
            });
            for (field, tokens) in logprobs {
                let state = channels
                    .entry(Channel { choice: index, field })
                    .or_insert_with(|| ChannelState::new(rules, policy));
                for Token { entry, len } in tokens {
                    match len.filter(|_| !state.tokens_broken) {
                        Some(len) => {
                            let span = Span { start: state.token_at, end: state.token_at + len };
                            state.token_at = span.end;
                            state.tokens.push_back((span, entry));
                        }
                        None => {
                            state.tokens_broken = true;
                            state.tokens.clear();
                        }
                    }
                }
            }
            let finishing = openai::finish_reason(choice).is_some() && !blocked;
            // Channels of this choice: flush at finish, release logprobs tokens.
            for (ch, state) in channels.range_mut(Channel { choice: index, field: Field::Content }..) {
                if ch.choice != index {
                    break;
                }
                if finishing {
                    if let Some(redactor) = state.redactor.take() {
                        let rest = redactor.finish();
                        for f in &rest.findings {
                            state.secrets.push(f.secret);
                            findings.push(Reported::of(ch.to_string(), f));
                        }
                        blocked |= rest.status != Status::Open;
                        state.complete = rest.status == Status::Open;
                        if !rest.text.is_empty() {
                            openai::append_channel(choice, api, ch.field, &rest.text);
                            changed = true;
                        }
                    }
                }
                let tokens = state.release_tokens(report);
                if had_logprobs || !tokens.is_empty() {
                    changed |= !tokens.is_empty() || had_logprobs;
                    openai::put_logprobs(choice, api, ch.field, tokens);
                }
            }
            if finishing && !blocked {
                flushed_choices.push(index);
            }
            if blocked && !self.finished.contains(&index) && openai::finish_reason(choice).is_some() {
                // The content-filter chunk that follows carries this choice's end.
                if let Some(obj) = choice.as_object_mut() {
                    obj.insert("finish_reason".into(), Value::Null);
                }
                changed = true;
            }
        }
        self.finished.extend(flushed_choices);
        (changed, blocked)
    }

    /// Flushes every channel not yet finished into one chunk of our own (before `[DONE]`).
    /// Returns whether that blocked (the stream is then ended).
    fn flush_open(&mut self, out: &mut Vec<u8>) -> bool {
        let open: Vec<Channel> = self.channels.iter().filter(|(_, s)| s.redactor.is_some()).map(|(c, _)| *c).collect();
        if open.is_empty() {
            return false;
        }
        let mut choices: BTreeMap<u64, Value> = BTreeMap::new();
        let mut blocked = false;
        for ch in open {
            let Some(state) = self.channels.get_mut(&ch) else { continue };
            let Some(redactor) = state.redactor.take() else { continue };
            let rest = redactor.finish();
            for f in &rest.findings {
                state.secrets.push(f.secret);
                self.findings.push(Reported::of(ch.to_string(), f));
            }
            blocked |= rest.status != Status::Open;
            state.complete = rest.status == Status::Open;
            let choice = choices.entry(ch.choice).or_insert_with(|| openai::empty_choice(self.api, ch.choice, None));
            if !rest.text.is_empty() {
                openai::append_channel(choice, self.api, ch.field, &rest.text);
            }
            let tokens = state.release_tokens(self.policy.action == Action::Report);
            if !tokens.is_empty() {
                openai::put_logprobs(choice, self.api, ch.field, tokens);
            }
        }
        let template = self.template.clone().unwrap_or(Value::Null);
        let chunk = openai::chunk_like(&template, choices.into_values().collect());
        sse::encode_data(&chunk.to_string(), out);
        if blocked {
            self.block(out);
        }
        blocked
    }

    /// Ends the stream after a block: a `content_filter` chunk for every open choice, then
    /// `[DONE]`.
    fn block(&mut self, out: &mut Vec<u8>) -> Flow {
        self.over = true;
        let open: Vec<Value> = self
            .seen
            .iter()
            .filter(|i| !self.finished.contains(i))
            .map(|&i| openai::empty_choice(self.api, i, Some("content_filter")))
            .collect();
        let choices =
            if open.is_empty() { vec![openai::empty_choice(self.api, 0, Some("content_filter"))] } else { open };
        let template = self.template.clone().unwrap_or(Value::Null);
        sse::encode_data(&openai::chunk_like(&template, choices).to_string(), out);
        sse::encode_data("[DONE]", out);
        Flow::Stop
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_never_carry_a_key_a_client_sent() {
        let rules = Arc::new(RuleSet::builtin().expect("rules"));
        let key = "sk-proj-7ku8dr1aRNQPTDZTe1tzT3BlbkFJjD7yqHBEReY65dHmyWR2";
        let mut body = serde_json::json!({ "messages": [{ key: format!("also {key}") }] });
        let mut out = Vec::new();
        redact_strings(&Detectors::from(rules), Policy::default(), &mut body, "", &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].location, "messages[0].<key>");
        assert!(!body.to_string().contains(&format!("also {key}")));
    }
}
