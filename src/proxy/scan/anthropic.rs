//! Anthropic Messages answers through the redactors: streamed ([`MessagesStream`], event by
//! event) and whole ([`scan_message`]).
//!
//! Streams: one [`StreamRedactor`](crate::stream::StreamRedactor) per content block (by its
//! `index`), fed the block's initial text in `content_block_start` and then its deltas
//! (`text_delta`, `input_json_delta`, `thinking_delta`). Each delta's text is replaced by what
//! the redactor releases; what it still holds is flushed in a `content_block_delta` of the
//! block's own delta type written just before the block's `content_block_stop`. Opaque tokens
//! (`signature_delta`, a thinking block's `signature`, `redacted_thinking.data`) pass
//! untouched; every other string of every event, of known and unknown types alike, is
//! redacted on its own (fail closed). Events nothing changed in go out as their original
//! bytes.
//!
//! Under `block` the stream ends the way a model ends an answer it will not give: the safe
//! prefix, `content_block_stop` for every open block, a `message_delta` with
//! `stop_reason: "refusal"`, `message_stop` — and nothing after. An upstream that breaks off
//! gets an Anthropic `error` event (the SDKs raise), held text dropped.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{event_of, redact_string, redact_strings, text_event, write_event, Detectors, Flow, Outcome, Reported};
use crate::{
    protocol::{
        anthropic::{self, Channel, EventType, TextKind},
        sse,
    },
    stream::{Action, Policy, Status, StreamRedactor},
};

/// One content block of a stream.
#[derive(Debug)]
struct Block {
    /// The kind of its text (from its start, or its first delta), for the flush delta.
    kind: Option<TextKind>,
    /// `None` once finished (at its stop, or before a `message_delta`).
    redactor: Option<StreamRedactor>,
    /// Its `content_block_start` went out (a stop may be written for it).
    started: bool,
    /// Its `content_block_stop` went out.
    stopped: bool,
}

/// A streamed Messages answer, scanned event by event. Same shape as
/// [`ChatStream`](super::ChatStream): `item` per upstream item, `end` when the body ends,
/// `fail` when it breaks.
#[derive(Debug)]
pub struct MessagesStream {
    rules: Detectors,
    policy: Policy,
    blocks: BTreeMap<u64, Block>,
    /// The latest `usage.output_tokens`, for the `message_delta` written on a block.
    output_tokens: u64,
    /// A `message_start` came, and no `message_stop` yet.
    open: bool,
    /// `message_stop` came.
    done: bool,
    /// Ended here (blocked, failed, or the upstream's own `error` event).
    over: bool,
    /// Findings since the caller last took them.
    pub findings: Vec<Reported>,
}

impl MessagesStream {
    pub fn new(rules: impl Into<Detectors>, policy: Policy) -> MessagesStream {
        MessagesStream {
            rules: rules.into(),
            policy,
            blocks: BTreeMap::new(),
            output_tokens: 0,
            open: false,
            done: false,
            over: false,
            findings: Vec::new(),
        }
    }

    /// Bytes held back over all blocks now.
    pub fn held(&self) -> usize {
        self.blocks.values().filter_map(|b| b.redactor.as_ref()).map(StreamRedactor::held).sum()
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
        let Some(mut value) = crate::protocol::json::parse(&event.data) else {
            // Not JSON (or a key twice in an object): scanned as text.
            let blocked = text_event(&self.rules, self.policy, &event, &raw, &mut self.findings, out);
            return if blocked { self.block(out) } else { Flow::Continue };
        };
        let ty = EventType::of(&value, event.event.as_deref());
        if let Some(n) = anthropic::output_tokens(&value) {
            self.output_tokens = n;
        }
        let (changed, blocked) = match ty {
            EventType::ContentBlockStart => self.block_start(&mut value),
            EventType::ContentBlockDelta => self.block_delta(&mut value),
            EventType::ContentBlockStop => {
                let index = anthropic::index(&value);
                if index.is_some_and(|i| self.flush(i, out)) {
                    return self.block(out);
                }
                if let Some(block) = index.and_then(|i| self.blocks.get_mut(&i)) {
                    block.stopped = true;
                }
                self.strings(&mut value)
            }
            EventType::MessageDelta | EventType::MessageStop => {
                // Blocks still open have ended too: flush them before the message ends.
                let open: Vec<u64> =
                    self.blocks.iter().filter(|(_, b)| b.redactor.is_some()).map(|(i, _)| *i).collect();
                for i in open {
                    if self.flush(i, out) {
                        return self.block(out);
                    }
                }
                if ty == EventType::MessageStop {
                    self.open = false;
                    self.done = true;
                }
                self.strings(&mut value)
            }
            EventType::MessageStart => {
                self.open = true;
                self.strings(&mut value)
            }
            EventType::Ping | EventType::Error | EventType::Other => self.strings(&mut value),
        };
        if blocked && ty != EventType::ContentBlockDelta {
            // A delta carries the safe prefix of its block; any other event is cut: what a
            // block's start holds (a tool call's whole input) cannot be cut before the
            // secret, and a block never started is not stopped.
            if ty == EventType::ContentBlockStart {
                if let Some(b) = anthropic::index(&value).and_then(|i| self.blocks.get_mut(&i)) {
                    b.started = false;
                }
            }
            return self.block(out);
        }
        if changed {
            write_event(&event, &raw, Some(value.to_string()), out);
        } else {
            out.extend_from_slice(&raw);
        }
        if blocked {
            return self.block(out);
        }
        if ty == EventType::Error {
            // The upstream ended the answer with its own error: nothing held goes out.
            self.over = true;
            return Flow::Stop;
        }
        Flow::Continue
    }

    /// Upstream ended the body. Writes an error event if the answer was cut short.
    pub fn end(&mut self, out: &mut Vec<u8>) {
        if self.over || self.done {
            return;
        }
        if self.open || self.blocks.values().any(|b| b.redactor.is_some()) {
            // No `message_stop`: the answer may have been cut mid-secret, so held text is
            // dropped, not flushed.
            self.fail("the upstream stream ended before the answer was complete", out);
        }
    }

    /// Ends the stream with an Anthropic `error` event (the SDKs raise); held text is dropped.
    pub fn fail(&mut self, message: &str, out: &mut Vec<u8>) {
        if self.over {
            return;
        }
        self.over = true;
        anthropic::encode(&anthropic::error_body("api_error", message), out);
    }

    /// Every string of `value` but the block texts, opaque tokens and identifiers, redacted
    /// on its own. Returns (changed, blocked).
    fn strings(&mut self, value: &mut Value) -> (bool, bool) {
        let before = self.findings.len();
        let blocked = redact_strings(&self.rules, self.policy, value, "", &mut self.findings);
        (self.findings.len() > before && self.policy.action != Action::Report, blocked)
    }

    fn block_start(&mut self, value: &mut Value) -> (bool, bool) {
        let index = anthropic::index(value);
        let Some(block) = value.get_mut("content_block") else { return self.strings(value) };
        let kind = TextKind::of_block(block);
        let opaque = anthropic::take_opaque(block);
        let mut text = anthropic::block_text_mut(block).map(|(_, s)| std::mem::take(s));
        let mut input = anthropic::block_input_mut(block).map(std::mem::take);
        let (mut changed, mut blocked) = self.strings(value);
        let Some(block) = value.get_mut("content_block") else { return (changed, blocked) };
        if let Some(i) = index {
            let state =
                self.blocks.entry(i).or_insert_with(|| Block { kind, redactor: None, started: false, stopped: false });
            state.kind = state.kind.or(kind);
            state.started = true;
            if state.redactor.is_none() && !state.stopped {
                state.redactor = Some(self.rules.redactor(self.policy));
            }
        }
        if let (Some(t), Some((_, slot))) = (text.take(), anthropic::block_text_mut(block)) {
            let ch = Channel { index: index.unwrap_or(0), kind: kind.unwrap_or(TextKind::Text) };
            let (released, b) = self.push(index, ch, t.clone());
            changed |= released != t;
            blocked |= b;
            *slot = released;
        }
        if let (Some(mut v), Some(slot)) = (input.take(), anthropic::block_input_mut(block)) {
            let location = Channel { index: index.unwrap_or(0), kind: TextKind::InputJson }.to_string();
            let before = self.findings.len();
            blocked |= redact_input(&self.rules, self.policy, &mut v, &location, &mut self.findings);
            changed |= self.findings.len() > before && self.policy.action != Action::Report;
            *slot = v;
        }
        anthropic::put_opaque(block, opaque);
        (changed, blocked)
    }

    fn block_delta(&mut self, value: &mut Value) -> (bool, bool) {
        let index = anthropic::index(value);
        let opaque = value.get_mut("delta").and_then(anthropic::take_opaque);
        let text = anthropic::delta_text_mut(value).map(|(k, s)| (k, std::mem::take(s)));
        let (mut changed, mut blocked) = self.strings(value);
        if let Some((kind, t)) = text {
            let state = self.blocks.entry(index.unwrap_or(0)).or_insert_with(|| Block {
                kind: Some(kind),
                redactor: None,
                started: false,
                stopped: false,
            });
            state.kind = state.kind.or(Some(kind));
            if state.redactor.is_none() && !state.stopped && !state.started {
                // A delta without a start: its channel begins here.
                state.redactor = Some(self.rules.redactor(self.policy));
            }
            let (released, b) = self.push(index, Channel { index: index.unwrap_or(0), kind }, t.clone());
            changed |= released != t;
            blocked |= b;
            if let Some((_, slot)) = anthropic::delta_text_mut(value) {
                *slot = released;
            }
        }
        if let Some(delta) = value.get_mut("delta") {
            anthropic::put_opaque(delta, opaque);
        }
        (changed, blocked)
    }

    /// `text` through block `index`'s redactor (or on its own if the block is finished).
    /// Returns what to send and whether it blocked.
    fn push(&mut self, index: Option<u64>, ch: Channel, text: String) -> (String, bool) {
        let redactor = index.and_then(|i| self.blocks.get_mut(&i)).and_then(|b| b.redactor.as_mut());
        let Some(redactor) = redactor else {
            // Text after the block's end (or without an index): scanned on its own.
            let mut text = text;
            let blocked = redact_string(&self.rules, self.policy, &mut text, &|| ch.to_string(), &mut self.findings);
            return (text, blocked);
        };
        let release = redactor.push(&text);
        self.findings.extend(release.findings.iter().map(|f| Reported::of(ch.to_string(), f)));
        (release.text.to_owned(), release.status != Status::Open)
    }

    /// Finishes block `index`'s redactor and writes what it held as a delta of the block's
    /// type. Returns whether that blocked.
    fn flush(&mut self, index: u64, out: &mut Vec<u8>) -> bool {
        let Some(block) = self.blocks.get_mut(&index) else { return false };
        let Some(redactor) = block.redactor.take() else { return false };
        let kind = block.kind.unwrap_or(TextKind::Text);
        let rest = redactor.finish();
        let ch = Channel { index, kind };
        self.findings.extend(rest.findings.iter().map(|f| Reported::of(ch.to_string(), f)));
        if !rest.text.is_empty() {
            anthropic::encode(&anthropic::delta_event(index, kind, &rest.text), out);
        }
        rest.status != Status::Open
    }

    /// Ends the stream after a block: a stop for every open block, the refusal
    /// `message_delta`, `message_stop`.
    fn block(&mut self, out: &mut Vec<u8>) -> Flow {
        self.over = true;
        for (i, b) in &mut self.blocks {
            b.redactor = None;
            if b.started && !b.stopped {
                b.stopped = true;
                anthropic::encode(&anthropic::block_stop_event(*i), out);
            }
        }
        if !self.done {
            anthropic::encode(&anthropic::refusal_delta_event(self.output_tokens), out);
            anthropic::encode(&anthropic::message_stop_event(), out);
        }
        Flow::Stop
    }
}

/// Redacts a tool call's `input` as the JSON text a stream would have carried (so rules that
/// read a key and its value together see both), and parses the result back; if a redaction
/// made it unparsable, every string of the input is redacted on its own instead. Returns
/// whether it blocked (the caller then drops the input's block).
fn redact_input(rules: &Detectors, policy: Policy, input: &mut Value, location: &str, out: &mut Vec<Reported>) -> bool {
    if input.is_null() || input.as_object().is_some_and(serde_json::Map::is_empty) {
        return false;
    }
    let mut text = input.to_string();
    let before = out.len();
    let blocked = redact_string(rules, policy, &mut text, &|| location.to_owned(), out);
    if blocked || out.len() == before || policy.action == Action::Report {
        return blocked;
    }
    match serde_json::from_str(&text) {
        Ok(v) => *input = v,
        Err(_) => {
            out.truncate(before);
            return every_string(rules, policy, input, location, out);
        }
    }
    false
}

/// Every string in `value`, keys like `id` and `type` included (a tool's input is free-form).
fn every_string(rules: &Detectors, policy: Policy, value: &mut Value, location: &str, out: &mut Vec<Reported>) -> bool {
    match value {
        Value::String(s) => redact_string(rules, policy, s, &|| location.to_owned(), out),
        Value::Array(items) => items.iter_mut().fold(false, |b, v| every_string(rules, policy, v, location, out) | b),
        Value::Object(map) => map.values_mut().fold(false, |b, v| every_string(rules, policy, v, location, out) | b),
        _ => false,
    }
}

/// Scans a whole (non-streamed) message in place: every text block's `text`, tool call's
/// `input` and thinking block's `thinking` redacted (opaque signatures untouched), every other
/// string on its own. Under `block`: the content cut before the first secret (the blocked
/// text block keeps its safe prefix; a blocked tool call is dropped; later blocks go) and
/// `stop_reason` set to `refusal`.
pub fn scan_message(rules: &Detectors, policy: Policy, message: &mut Value) -> Outcome {
    let mut out = Outcome::default();
    let mut content = message.get_mut("content").map(std::mem::take);
    out.blocked |= redact_strings(rules, policy, message, "", &mut out.findings);
    let mut cut: Option<usize> = None;
    if let Some(blocks) = content.as_mut().and_then(Value::as_array_mut) {
        for (i, block) in blocks.iter_mut().enumerate() {
            let index = i as u64;
            let opaque = anthropic::take_opaque(block);
            let text = anthropic::block_text_mut(block).map(|(k, s)| (k, std::mem::take(s)));
            let input = anthropic::block_input_mut(block).map(std::mem::take);
            let mut blocked = redact_strings(rules, policy, block, &format!("content[{i}]"), &mut out.findings);
            let mut keep = true;
            if let Some((kind, mut t)) = text {
                if redact_string(rules, policy, &mut t, &|| Channel { index, kind }.to_string(), &mut out.findings) {
                    blocked = true;
                    // An empty text block is not a valid block: only a safe prefix stays.
                    keep = !t.is_empty();
                }
                if let Some((_, slot)) = anthropic::block_text_mut(block) {
                    *slot = t;
                }
            }
            if let Some(mut v) = input {
                let location = Channel { index, kind: TextKind::InputJson }.to_string();
                if redact_input(rules, policy, &mut v, &location, &mut out.findings) {
                    // A tool call cut short would be a different call: it goes.
                    blocked = true;
                    keep = false;
                }
                if let Some(slot) = anthropic::block_input_mut(block) {
                    *slot = v;
                }
            }
            anthropic::put_opaque(block, opaque);
            if blocked {
                cut = Some(if keep { i + 1 } else { i });
                break;
            }
        }
        if let Some(n) = cut {
            blocks.truncate(n);
        }
    }
    if let (Some(content), Some(slot)) = (content, message.get_mut("content")) {
        *slot = content;
    }
    if cut.is_some() || out.blocked {
        anthropic::set_refusal(message);
        out.blocked = true;
    }
    out
}

#[cfg(test)]
mod tests;
