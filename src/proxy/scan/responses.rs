//! OpenAI Responses answers through the redactors: streamed ([`ResponsesStream`], event by
//! event) and whole ([`scan_response`]).
//!
//! Streams: one [`StreamRedactor`](crate::stream::StreamRedactor) per channel ([`Slot`]: an
//! output item's content part, summary part or own text field), fed the initial text of its
//! part or item and then its `.delta`s; each delta's text is replaced by what the redactor
//! releases, and `output_text` logprobs are held with the text they cover (dropped over a
//! secret). The same text comes again, whole, in the channel's `.done`, its part's and item's
//! `.done` and the final response: each of those carries exactly what the client received of
//! the channel (kept per channel as it goes out), never the upstream's text. What a redactor
//! still holds when its channel ends is flushed in a `.delta` of our own just before the event
//! that ends it. Sequence numbers are renumbered so that they stay consecutive when events are
//! added or dropped. Echoed request fields (`instructions`, tool definitions, …) are scanned
//! for secrets and canaries but not as answer text. Opaque payloads (encrypted reasoning,
//! base64 images and audio) pass untouched; every other string of every event, of known and
//! unknown types alike, is redacted on its own (fail closed). Events nothing changed in go
//! out as their original bytes.
//!
//! Under `block` the stream ends the way the API ends an incomplete answer: the safe prefix,
//! the `.done` events of every announced channel, part and item (items `incomplete`), then
//! `response.incomplete` with `incomplete_details.reason = "content_filter"`. An upstream
//! that breaks off gets an `error` event (the SDKs raise), held text dropped.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{
    event_of, overlaps, redact_strings, redact_whole, text_event, write_event, ChannelState, Detectors, Flow, Outcome,
    Reported,
};
use crate::{
    detect::Span,
    protocol::{
        responses::{self as wire, EventType, Place, Slot, TextKind},
        sse,
    },
    stream::{Action, Policy, Status},
};

/// One channel of a stream.
#[derive(Debug)]
struct ChannelRec {
    /// Redactor, secrets and held logprobs tokens (shared with Chat Completions streams).
    state: ChannelState,
    /// What the client has received of it.
    sent: String,
    /// Its `.done` went out.
    done: bool,
    /// A logprobs entry that was not a token came: no more of its tokens go out.
    tokens_broken: bool,
}

/// An announced output item or part: what it looked like when announced, and whether its
/// `.done` went out.
#[derive(Debug)]
struct Announced {
    value: Value,
    done: bool,
}

/// A streamed Responses answer, scanned event by event. Same shape as
/// [`ChatStream`](super::ChatStream): `item` per upstream item, `end` when the body ends,
/// `fail` when it breaks.
#[derive(Debug)]
pub struct ResponsesStream {
    rules: Detectors,
    /// For fields that echo the request (no answer-only detectors).
    echo: Detectors,
    policy: Policy,
    channels: BTreeMap<Slot, ChannelRec>,
    items: BTreeMap<u64, Announced>,
    parts: BTreeMap<Slot, Announced>,
    /// The latest response envelope (`response.created` / `in_progress`), as sent.
    envelope: Option<Value>,
    /// The sequence number of the next event out.
    next_seq: Option<u64>,
    /// A final event (`response.completed`, `incomplete`, `failed`) came.
    done: bool,
    /// Ended here (blocked, failed, or the upstream's own `error` event).
    over: bool,
    /// Findings since the caller last took them.
    pub findings: Vec<Reported>,
}

/// What handling one event did.
#[derive(Default)]
struct Effect {
    changed: bool,
    blocked: bool,
}

impl ResponsesStream {
    pub fn new(rules: impl Into<Detectors>, policy: Policy) -> ResponsesStream {
        let rules = rules.into();
        ResponsesStream {
            echo: rules.echo(),
            rules,
            policy,
            channels: BTreeMap::new(),
            items: BTreeMap::new(),
            parts: BTreeMap::new(),
            envelope: None,
            next_seq: None,
            done: false,
            over: false,
            findings: Vec::new(),
        }
    }

    /// Bytes held back over all channels now.
    pub fn held(&self) -> usize {
        self.channels.values().filter_map(|c| c.state.redactor.as_ref()).map(|r| r.held()).sum()
    }

    /// Whether the stream was ended here (blocked or failed).
    pub fn is_over(&self) -> bool {
        self.over
    }

    fn report(&self) -> bool {
        self.policy.action == Action::Report
    }

    /// The next sequence number, for an event written here.
    fn seq(&mut self) -> u64 {
        let n = self.next_seq.unwrap_or(0);
        self.next_seq = Some(n + 1);
        n
    }

    /// Gives an upstream event the next sequence number; returns whether that changed it.
    fn renumber(&mut self, value: &mut Value) -> bool {
        let Some(theirs) = wire::sequence_number(value) else { return false };
        let ours = self.next_seq.unwrap_or(theirs);
        self.next_seq = Some(ours + 1);
        if ours != theirs {
            wire::set_sequence_number(value, ours);
        }
        ours != theirs
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
        // A channel's delta holds its text, logprobs and padding: no payload to set aside.
        let opaque = if matches!(ty, EventType::Delta(_)) { Vec::new() } else { wire::take_opaque(&mut value) };
        let effect = match ty {
            EventType::Delta(kind) => self.delta(kind, &mut value),
            EventType::Done(kind) => self.channel_done(kind, &mut value, out),
            EventType::PartAdded => self.part_added(&mut value),
            EventType::PartDone => self.part_done(&mut value, out),
            EventType::ItemAdded => self.item_added(&mut value),
            EventType::ItemDone => self.item_done(&mut value, out),
            EventType::Progress => self.progress(&mut value),
            EventType::Final => self.final_response(&mut value, out),
            EventType::Error | EventType::Other => self.strings(&mut value, false),
        };
        wire::put_opaque(&mut value, opaque);
        if effect.blocked {
            // A delta carries the safe prefix of its channel; any other event is cut.
            if matches!(ty, EventType::Delta(_)) {
                self.renumber(&mut value);
                write_event(&event, &raw, Some(value.to_string()), out);
            }
            return self.block(out);
        }
        let renumbered = self.renumber(&mut value);
        if effect.changed || renumbered {
            write_event(&event, &raw, Some(value.to_string()), out);
        } else {
            out.extend_from_slice(&raw);
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
        if self.envelope.is_some() || !self.channels.is_empty() || !self.items.is_empty() {
            // No final event: the answer may have been cut mid-secret, so held text is
            // dropped, not flushed.
            self.fail("the upstream stream ended before the answer was complete", out);
        }
    }

    /// Ends the stream with an `error` event (the SDKs raise); held text is dropped.
    pub fn fail(&mut self, message: &str, out: &mut Vec<u8>) {
        if self.over {
            return;
        }
        self.over = true;
        let seq = self.seq();
        wire::encode(&wire::error_event(message, seq), out);
    }

    /// Every string of `value` redacted on its own (with the echo detectors when `echo`).
    fn strings(&mut self, value: &mut Value, echo: bool) -> Effect {
        // An event's `item_id` names an output item, like the item's own `id` (which
        // `redact_strings` passes over as an identifier): not text.
        let item_id = value.get_mut("item_id").filter(|v| v.is_string()).map(std::mem::take);
        let before = self.findings.len();
        let rules = if echo { &self.echo } else { &self.rules };
        let blocked = redact_strings(rules, self.policy, value, "", &mut self.findings);
        if let (Some(id), Some(slot)) = (item_id, value.get_mut("item_id")) {
            *slot = id;
        }
        Effect { changed: self.findings.len() > before && !self.report(), blocked }
    }

    fn channel(&mut self, slot: Slot) -> &mut ChannelRec {
        let (rules, policy) = (&self.rules, self.policy);
        self.channels.entry(slot).or_insert_with(|| ChannelRec {
            state: ChannelState::new(rules, policy),
            sent: String::new(),
            done: false,
            tokens_broken: false,
        })
    }

    /// `text` through `slot`'s redactor (or on its own if the channel is finished); the
    /// logprobs tokens covering it (output text) held with it. Returns what to send, the
    /// tokens to send, and whether it blocked.
    fn push(&mut self, slot: Slot, text: &str, tokens: Option<Vec<Value>>) -> (String, Vec<Value>, bool) {
        let report = self.report();
        let (rules, policy) = (&self.rules, self.policy);
        let rec = self.channels.entry(slot).or_insert_with(|| ChannelRec {
            state: ChannelState::new(rules, policy),
            sent: String::new(),
            done: false,
            tokens_broken: false,
        });
        let mut found = Vec::new();
        let (released, blocked) = match rec.state.redactor.as_mut() {
            Some(redactor) => {
                let release = redactor.push(text);
                for f in release.findings {
                    rec.state.secrets.push(f.secret);
                    found.push(Reported::of(slot.to_string(), f));
                }
                (release.text.to_owned(), release.status != Status::Open)
            }
            // Text after the channel's end (its `.done`, its item's, the final response) is
            // not the API's: it could complete a secret whose start went out in the flush, so
            // it is dropped, not scanned on its own.
            None => (String::new(), false),
        };
        rec.sent.push_str(&released);
        for entry in tokens.into_iter().flatten() {
            // After an entry that is not a token, where the next ones lie in the text is
            // unknown: none of this channel's tokens go out any more.
            match wire::token_len(&entry).filter(|_| !rec.tokens_broken) {
                Some(len) => {
                    let span = Span { start: rec.state.token_at, end: rec.state.token_at + len };
                    rec.state.token_at = span.end;
                    rec.state.tokens.push_back((span, entry));
                }
                None => {
                    rec.tokens_broken = true;
                    rec.state.tokens.clear();
                }
            }
        }
        let tokens = rec.state.release_tokens(report);
        self.findings.extend(found);
        (released, tokens, blocked)
    }

    /// Finishes `slot`'s redactor if it is open, writing what it held as a `.delta` of our own.
    /// Returns whether that blocked.
    fn flush(&mut self, slot: Slot, item_id: Option<&str>, out: &mut Vec<u8>) -> bool {
        let report = self.report();
        let Some(rec) = self.channels.get_mut(&slot) else { return false };
        let Some(redactor) = rec.state.redactor.take() else { return false };
        let rest = redactor.finish();
        for f in &rest.findings {
            rec.state.secrets.push(f.secret);
            self.findings.push(Reported::of(slot.to_string(), f));
        }
        let blocked = rest.status != Status::Open;
        rec.state.complete = !blocked;
        rec.sent.push_str(&rest.text);
        let tokens = rec.state.release_tokens(report);
        // Under block, what came before the secret still goes out (the client's text and
        // the `.done` events written on block must agree).
        if !rest.text.is_empty() || !tokens.is_empty() {
            self.emit_delta(slot, item_id, &rest.text, tokens, out);
        }
        blocked
    }

    /// Writes a `.delta` of our own for `slot`.
    fn emit_delta(&mut self, slot: Slot, item_id: Option<&str>, text: &str, tokens: Vec<Value>, out: &mut Vec<u8>) {
        let item_id = item_id.map(str::to_owned).or_else(|| self.item_id(slot.output));
        let tokens = (slot.kind == TextKind::OutputText).then_some(tokens);
        let seq = self.seq();
        wire::encode(&wire::delta_event(slot, item_id.as_deref(), text, tokens, seq), out);
    }

    /// Flushes every open channel (in slot order). Returns whether any blocked.
    fn flush_all(&mut self, out: &mut Vec<u8>) -> bool {
        let open: Vec<Slot> =
            self.channels.iter().filter(|(_, c)| c.state.redactor.is_some()).map(|(s, _)| *s).collect();
        open.into_iter().any(|slot| self.flush(slot, None, out))
    }

    fn item_id(&self, output: u64) -> Option<String> {
        self.items.get(&output)?.value.get("id")?.as_str().map(str::to_owned)
    }

    /// Makes `container`'s text (and logprobs) for `slot` what the client received: the
    /// channel flushed if still open; text of a channel that streamed none is sent as its
    /// deltas first when its item was announced, and otherwise redacted whole (and kept, for
    /// later events). Returns whether it blocked.
    fn settle(&mut self, slot: Slot, container: &mut Value, item_id: Option<&str>, out: &mut Vec<u8>) -> bool {
        // Text for a channel that streamed none, in an item the client knows of: it goes out
        // as the channel's deltas first, so that what clients add up matches.
        let fresh =
            self.channels.get(&slot).is_none_or(|c| c.state.redactor.as_ref().is_some_and(|r| r.received() == 0));
        let text = wire::text_mut(container, slot.kind).filter(|t| !t.is_empty()).map(|t| t.clone());
        if let Some(text) = text.filter(|_| fresh && self.items.contains_key(&slot.output)) {
            let (released, tokens, blocked) = self.push(slot, &text, None);
            if !released.is_empty() {
                self.emit_delta(slot, item_id, &released, tokens, out);
            }
            if blocked {
                return true;
            }
        }
        if self.flush(slot, item_id, out) {
            return true;
        }
        let report = self.report();
        let Some(text) = wire::text_mut(container, slot.kind) else { return false };
        if !self.channels.contains_key(&slot) {
            let whole = redact_whole(&self.rules, self.policy, text);
            let mut state = ChannelState {
                redactor: None,
                secrets: Vec::new(),
                tokens: Default::default(),
                token_at: 0,
                tokens_broken: false,
                complete: false,
            };
            for f in &whole.findings {
                state.secrets.push(f.secret);
                self.findings.push(Reported::of(slot.to_string(), f));
            }
            let blocked = whole.status != Status::Open;
            state.complete = !blocked;
            if blocked {
                return true;
            }
            let sent = if report { text.clone() } else { whole.text };
            self.channels.insert(slot, ChannelRec { state, sent, done: false, tokens_broken: false });
        }
        let Some(rec) = self.channels.get(&slot) else { return false };
        if *text != rec.sent {
            text.clone_from(&rec.sent);
        }
        if let Some(entries) = wire::take_logprobs(container) {
            wire::put_logprobs(container, keep_tokens(entries, &rec.state.secrets, usize::MAX, report));
        }
        false
    }

    fn delta(&mut self, kind: TextKind, value: &mut Value) -> Effect {
        let slot = wire::event_slot(value, kind);
        let text = wire::delta_mut(value).map(std::mem::take);
        let tokens = if kind == TextKind::OutputText { wire::take_logprobs(value) } else { None };
        let had_tokens = tokens.as_ref().is_some_and(|t| !t.is_empty());
        let mut effect = self.strings(value, false);
        let Some(text) = text else {
            if let Some(t) = tokens {
                wire::put_logprobs(value, t);
            }
            return effect;
        };
        let (released, tokens, blocked) = self.push(slot, &text, tokens);
        effect.changed |= released != text || had_tokens || !tokens.is_empty();
        effect.blocked |= blocked;
        if let Some(slot) = wire::delta_mut(value) {
            *slot = released;
        }
        if kind == TextKind::OutputText {
            wire::put_logprobs(value, tokens);
        }
        effect
    }

    fn channel_done(&mut self, kind: TextKind, value: &mut Value, out: &mut Vec<u8>) -> Effect {
        let slot = wire::event_slot(value, kind);
        let item_id = value.get("item_id").and_then(Value::as_str).map(str::to_owned);
        let key = kind.done_key();
        // Only a string is the channel's text; anything else stays and is scanned as it is.
        let text = key.and_then(|k| value.get_mut(k)).filter(|v| v.is_string()).map(std::mem::take);
        let tokens = wire::take_logprobs(value);
        let mut effect = self.strings(value, false);
        // The done event's own text and logprobs, settled as a part would be.
        let mut container = serde_json::Map::new();
        if let Some(t) = text {
            container.insert(kind.key().into(), t);
        }
        if let Some(t) = &tokens {
            container.insert("logprobs".into(), Value::Array(t.clone()));
        }
        let mut container = Value::Object(container);
        let before = wire::text_mut(&mut container, kind).map(|s| s.clone());
        if self.settle(slot, &mut container, item_id.as_deref(), out) {
            effect.blocked = true;
            return effect;
        }
        if key.is_none() {
            // No text of its own (the transcript's): the channel simply ends.
            if let Some(rec) = self.channels.get_mut(&slot) {
                rec.done = true;
            }
        }
        if let (Some(k), Some(Value::String(t))) = (key, container.get_mut(kind.key()).map(std::mem::take)) {
            effect.changed |= before.as_deref() != Some(t.as_str());
            if let Some(v) = value.get_mut(k) {
                *v = Value::String(t);
            }
        }
        if let Some(entries) = container.get_mut("logprobs").map(std::mem::take) {
            effect.changed |= tokens.as_ref().map(|t| t.len()) != entries.as_array().map(Vec::len);
            if let Some(v) = value.get_mut("logprobs") {
                *v = entries;
            }
        }
        if let Some(rec) = self.channels.get_mut(&slot) {
            rec.done = true;
        }
        effect
    }

    /// Opens a channel with the initial text of a part or item (usually empty).
    fn open_with(&mut self, slot: Slot, container: &mut Value) -> Effect {
        let mut effect = Effect::default();
        let Some(text) = wire::text_mut(container, slot.kind).map(std::mem::take) else { return effect };
        self.channel(slot);
        if !text.is_empty() {
            let (released, _, blocked) = self.push(slot, &text, None);
            effect.changed |= released != text;
            effect.blocked |= blocked;
            if let Some(t) = wire::text_mut(container, slot.kind) {
                *t = released;
            }
        }
        effect
    }

    fn part_added(&mut self, value: &mut Value) -> Effect {
        let Some(slot) = wire::part_slot(value) else { return self.strings(value, false) };
        let Some(mut part) = value.get_mut("part").map(std::mem::take) else { return Effect::default() };
        let text = wire::text_mut(&mut part, slot.kind).map(std::mem::take);
        let mut effect = self.strings(&mut part, false);
        let other = self.strings(value, false);
        effect.changed |= other.changed;
        effect.blocked |= other.blocked;
        if let (Some(t), Some(slot_text)) = (text, wire::text_mut(&mut part, slot.kind)) {
            *slot_text = t;
        }
        let opened = self.open_with(slot, &mut part);
        effect.changed |= opened.changed;
        effect.blocked |= opened.blocked;
        if !effect.blocked {
            // (A blocked event is not sent: its part was never announced.)
            self.parts.insert(slot, Announced { value: part.clone(), done: false });
        }
        if let Some(v) = value.get_mut("part") {
            *v = part;
        }
        effect
    }

    fn part_done(&mut self, value: &mut Value, out: &mut Vec<u8>) -> Effect {
        let Some(slot) = wire::part_slot(value) else { return self.strings(value, false) };
        let item_id = value.get("item_id").and_then(Value::as_str).map(str::to_owned);
        let Some(mut part) = value.get_mut("part").map(std::mem::take) else { return Effect::default() };
        let before = part.clone();
        let text = wire::text_mut(&mut part, slot.kind).map(std::mem::take);
        let mut effect = self.strings(&mut part, false);
        let other = self.strings(value, false);
        effect.changed |= other.changed;
        effect.blocked |= other.blocked;
        if let (Some(t), Some(slot_text)) = (text, wire::text_mut(&mut part, slot.kind)) {
            *slot_text = t;
        }
        if self.settle(slot, &mut part, item_id.as_deref(), out) {
            effect.blocked = true;
            return effect;
        }
        effect.changed |= part != before;
        if let Some(p) = self.parts.get_mut(&slot) {
            p.done = true;
        }
        if let Some(v) = value.get_mut("part") {
            *v = part;
        }
        effect
    }

    /// An output item's channels taken out (leaving `""`), the item's other strings
    /// redacted, the channels put back and each handed to `each` with its container (until
    /// one blocks). Returns the item's effect.
    fn with_item_texts(
        &mut self,
        item: &mut Value,
        output: u64,
        mut each: impl FnMut(&mut Self, Slot, &mut Value) -> Effect,
    ) -> Effect {
        let mut texts = Vec::new();
        wire::for_each_item_text(item, output, |slot, c| texts.push(wire::text_mut(c, slot.kind).map(std::mem::take)));
        let mut effect = self.strings(item, false);
        let mut texts = texts.into_iter();
        wire::for_each_item_text(item, output, |slot, c| {
            if let (Some(Some(t)), Some(s)) = (texts.next(), wire::text_mut(c, slot.kind)) {
                *s = t;
            }
            if !effect.blocked {
                let e = each(self, slot, c);
                effect.changed |= e.changed;
                effect.blocked |= e.blocked;
            }
        });
        effect
    }

    fn item_added(&mut self, value: &mut Value) -> Effect {
        let output = value.get("output_index").and_then(Value::as_u64).unwrap_or(0);
        let Some(mut item) = value.get_mut("item").map(std::mem::take) else { return self.strings(value, false) };
        let mut effect = self.with_item_texts(&mut item, output, |s, slot, c| s.open_with(slot, c));
        let other = self.strings(value, false);
        effect.changed |= other.changed;
        effect.blocked |= other.blocked;
        if !effect.blocked {
            self.items.insert(output, Announced { value: item.clone(), done: false });
        }
        if let Some(v) = value.get_mut("item") {
            *v = item;
        }
        effect
    }

    fn item_done(&mut self, value: &mut Value, out: &mut Vec<u8>) -> Effect {
        let output = value.get("output_index").and_then(Value::as_u64).unwrap_or(0);
        let Some(mut item) = value.get_mut("item").map(std::mem::take) else { return self.strings(value, false) };
        let before = item.clone();
        let item_id = item.get("id").and_then(Value::as_str).map(str::to_owned);
        let mut effect = self.with_item_texts(&mut item, output, |s, slot, c| Effect {
            changed: false,
            blocked: s.settle(slot, c, item_id.as_deref(), out),
        });
        if effect.blocked {
            return effect;
        }
        // Channels of the item that this event does not list end here too.
        let open: Vec<Slot> =
            self.channels.range(first_slot(output)..first_slot(output + 1)).map(|(s, _)| *s).collect();
        for slot in open {
            if self.flush(slot, item_id.as_deref(), out) {
                effect.blocked = true;
                return effect;
            }
        }
        let other = self.strings(value, false);
        effect.changed |= other.changed || item != before;
        effect.blocked |= other.blocked;
        match self.items.get_mut(&output) {
            Some(i) => {
                i.value.clone_from(&item);
                i.done = true;
            }
            None => {
                self.items.insert(output, Announced { value: item.clone(), done: true });
            }
        }
        for (_, p) in self.parts.range_mut(first_slot(output)..first_slot(output + 1)) {
            p.done = true;
        }
        if let Some(v) = value.get_mut("item") {
            *v = item;
        }
        effect
    }

    /// The response of a `response.created` / `in_progress` / `queued`: echoed fields scanned
    /// as echoes, output items (usually none yet) on their own; kept as the envelope.
    fn progress(&mut self, value: &mut Value) -> Effect {
        let Some(mut response) = value.get_mut("response").map(std::mem::take) else {
            return self.strings(value, false);
        };
        let output = response.get_mut("output").map(std::mem::take);
        let mut effect = self.strings(&mut response, true);
        if let Some(mut output) = output {
            let e = self.strings(&mut output, false);
            effect.changed |= e.changed;
            effect.blocked |= e.blocked;
            if let Some(v) = response.get_mut("output") {
                *v = output;
            }
        }
        let other = self.strings(value, false);
        effect.changed |= other.changed;
        effect.blocked |= other.blocked;
        self.envelope = Some(response.clone());
        if let Some(v) = value.get_mut("response") {
            *v = response;
        }
        effect
    }

    /// `response.completed` / `incomplete` / `failed`: every open channel flushed, every
    /// output text made what the client received.
    fn final_response(&mut self, value: &mut Value, out: &mut Vec<u8>) -> Effect {
        if self.flush_all(out) {
            return Effect { changed: false, blocked: true };
        }
        let Some(mut response) = value.get_mut("response").map(std::mem::take) else {
            self.done = true;
            return self.strings(value, false);
        };
        let before = response.clone();
        let output = response.get_mut("output").map(std::mem::take);
        let mut effect = self.strings(&mut response, true);
        if let Some(mut output) = output {
            if let Some(items) = output.as_array_mut() {
                for (i, item) in items.iter_mut().enumerate() {
                    let item_id = item.get("id").and_then(Value::as_str).map(str::to_owned);
                    let e = self.with_item_texts(item, i as u64, |s, slot, c| Effect {
                        changed: false,
                        blocked: s.settle(slot, c, item_id.as_deref(), out),
                    });
                    effect.blocked |= e.blocked;
                    if effect.blocked {
                        return effect;
                    }
                }
            }
            if let Some(v) = response.get_mut("output") {
                *v = output;
            }
        }
        let other = self.strings(value, false);
        effect.changed |= other.changed || response != before;
        effect.blocked |= other.blocked;
        self.done = true;
        if let Some(v) = value.get_mut("response") {
            *v = response;
        }
        effect
    }

    /// An announced item as it stands: its parts and texts as the client received them.
    fn assembled(&self, output: u64) -> Option<Value> {
        let announced = self.items.get(&output)?;
        let mut item = announced.value.clone();
        if announced.done {
            return Some(item);
        }
        for (slot, part) in self.parts.range(first_slot(output)..first_slot(output + 1)) {
            let key = if slot.kind.place() == Place::Summary { "summary" } else { "content" };
            let Some(list) = item.get_mut(key).and_then(Value::as_array_mut) else { continue };
            let at = slot.part as usize;
            if at < list.len() {
                list[at] = part.value.clone();
            } else if at == list.len() {
                list.push(part.value.clone());
            }
        }
        wire::for_each_item_text(&mut item, output, |slot, c| {
            if let (Some(rec), Some(t)) = (self.channels.get(&slot), wire::text_mut(c, slot.kind)) {
                t.clone_from(&rec.sent);
            }
        });
        Some(item)
    }

    /// Ends the stream after a block: the `.done` of every announced channel, part and item
    /// not yet done (items `incomplete`), then `response.incomplete` (content filter).
    fn block(&mut self, out: &mut Vec<u8>) -> Flow {
        self.over = true;
        for rec in self.channels.values_mut() {
            rec.state.redactor = None;
        }
        let outputs: Vec<u64> = self.items.iter().filter(|(_, i)| !i.done).map(|(o, _)| *o).collect();
        for output in outputs {
            let item_id = self.item_id(output);
            let range = first_slot(output)..first_slot(output + 1);
            let channels: Vec<(Slot, String)> = self
                .channels
                .range(range.clone())
                .filter(|(_, c)| !c.done)
                .map(|(s, c)| (*s, c.sent.clone()))
                .collect();
            for (slot, sent) in channels {
                if slot.kind.done_key().is_some() {
                    let seq = self.seq();
                    if let Some(e) = wire::done_event(slot, item_id.as_deref(), &sent, seq) {
                        wire::encode(&e, out);
                    }
                }
            }
            let parts: Vec<(Slot, Value)> =
                self.parts.range(range).filter(|(_, p)| !p.done).map(|(s, p)| (*s, p.value.clone())).collect();
            for (slot, mut part) in parts {
                if let (Some(rec), Some(t)) = (self.channels.get(&slot), wire::text_mut(&mut part, slot.kind)) {
                    t.clone_from(&rec.sent);
                }
                let seq = self.seq();
                wire::encode(&wire::part_done_event(slot, item_id.as_deref(), part, seq), out);
            }
            if let Some(mut item) = self.assembled(output) {
                wire::set_status(&mut item, "incomplete");
                let seq = self.seq();
                wire::encode(&wire::item_done_event(output, item.clone(), seq), out);
                if let Some(i) = self.items.get_mut(&output) {
                    i.value = item;
                    i.done = true;
                }
            }
        }
        if !self.done {
            let mut response = self.envelope.clone().unwrap_or_else(|| serde_json::json!({ "object": "response" }));
            let outputs: Vec<u64> = self.items.keys().copied().collect();
            let items: Vec<Value> = outputs.into_iter().filter_map(|o| self.assembled(o)).collect();
            if let Some(obj) = response.as_object_mut() {
                obj.insert("output".into(), Value::Array(items));
            }
            wire::set_content_filtered(&mut response);
            let seq = self.seq();
            wire::encode(&wire::incomplete_event(response, seq), out);
        }
        Flow::Stop
    }
}

/// The first slot of output item `output` (slots order by output first).
fn first_slot(output: u64) -> Slot {
    Slot { output, kind: TextKind::OutputText, part: 0 }
}

/// Logprobs entries whose text lies within the first `released` bytes and over no secret
/// (all of those released under report).
fn keep_tokens(entries: Vec<Value>, secrets: &[Span], released: usize, report: bool) -> Vec<Value> {
    let mut at = 0;
    let mut keep = Vec::new();
    for entry in entries {
        // An entry that is not a token: where the rest lie is unknown, none go.
        let Some(len) = wire::token_len(&entry) else { return Vec::new() };
        let span = Span { start: at, end: at + len };
        at = span.end;
        if span.end <= released && (report || !secrets.iter().any(|s| overlaps(*s, span))) {
            keep.push(entry);
        }
    }
    keep
}

/// Scans a whole (non-streamed) response in place: every output text redacted (logprobs over
/// a secret dropped), echoed request fields scanned as echoes, every other string on its
/// own, opaque payloads untouched. Under `block`: the output cut before the first secret (a
/// blocked part keeps its safe prefix, a blocked tool call goes, later items go), the
/// response `incomplete` with reason `content_filter`.
pub fn scan_response(rules: &Detectors, policy: Policy, response: &mut Value) -> Outcome {
    let mut out = Outcome::default();
    let report = policy.action == Action::Report;
    let opaque = wire::take_opaque(response);
    let mut output = response.get_mut("output").map(std::mem::take);
    out.blocked |= redact_strings(&rules.echo(), policy, response, "", &mut out.findings);
    let mut cut: Option<usize> = None;
    if let Some(items) = output.as_mut().and_then(Value::as_array_mut) {
        for (i, item) in items.iter_mut().enumerate() {
            let output = i as u64;
            let mut texts = Vec::new();
            wire::for_each_item_text(item, output, |slot, c| {
                texts.push((slot, wire::text_mut(c, slot.kind).map(std::mem::take).unwrap_or_default()));
            });
            let mut blocked = redact_strings(rules, policy, item, &format!("output[{i}]"), &mut out.findings);
            let mut texts = texts.into_iter();
            // Where the item is cut: (place, parts kept), or the whole item.
            let mut cut_at: Option<Option<(Place, usize)>> = None;
            wire::for_each_item_text(item, output, |slot, c| {
                let Some((_, text)) = texts.next() else { return };
                if blocked || cut_at.is_some() {
                    return;
                }
                let whole = redact_whole(rules, policy, &text);
                for f in &whole.findings {
                    out.findings.push(Reported::of(slot.to_string(), f));
                }
                let spans: Vec<Span> = whole.findings.iter().map(|f| f.secret).collect();
                let stopped = whole.status != Status::Open;
                let released = if stopped { whole.findings.first().map_or(0, |f| f.secret.start) } else { text.len() };
                let empty = whole.text.is_empty();
                if let Some(t) = wire::text_mut(c, slot.kind) {
                    *t = if report { text } else { whole.text };
                }
                if let Some(entries) = wire::take_logprobs(c) {
                    wire::put_logprobs(c, keep_tokens(entries, &spans, released, report));
                }
                if stopped {
                    cut_at = Some(match slot.kind.place() {
                        Place::Item => None,
                        place => Some((place, slot.part as usize + usize::from(!empty))),
                    });
                }
            });
            if let Some(at) = cut_at {
                blocked = true;
                match at {
                    None => {
                        cut = Some(i);
                        break;
                    }
                    Some((place, keep)) => {
                        let key = if place == Place::Summary { "summary" } else { "content" };
                        if let Some(list) = item.get_mut(key).and_then(Value::as_array_mut) {
                            list.truncate(keep);
                        }
                        wire::set_status(item, "incomplete");
                    }
                }
            }
            if blocked {
                cut = Some(i + 1);
                break;
            }
        }
        if let Some(n) = cut {
            items.truncate(n);
        }
    }
    if let (Some(output), Some(slot)) = (output, response.get_mut("output")) {
        *slot = output;
    }
    wire::put_opaque(response, opaque);
    if cut.is_some() || out.blocked {
        wire::set_content_filtered(response);
        out.blocked = true;
    }
    out
}

#[cfg(test)]
mod tests;
