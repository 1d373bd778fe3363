//! OpenAI Responses (`POST /v1/responses`): where the text is, and the events the proxy
//! writes itself.
//!
//! A streamed answer is a sequence of typed events (`event: <type>\ndata: <json>\n\n`, each
//! JSON with its `type` and a `sequence_number`, no `[DONE]`): `response.created` and
//! `response.in_progress` carry the response envelope; each output item is announced
//! (`response.output_item.added`), its parts too (`response.content_part.added`,
//! `response.reasoning_summary_part.added`), then its text streams as `….delta` events and is
//! repeated whole in the matching `….done`, in the part's and the item's `….done`, and in
//! the final `response.completed` (or `response.incomplete`, `response.failed`).
//!
//! Text lives in *channels* ([`Slot`]): one per output item and part — a message's content
//! parts (`output_text`, `refusal`), a reasoning item's summary parts and reasoning text, a
//! tool call's arguments (`function_call`, `custom_tool_call`'s `input`, `mcp_call`,
//! `code_interpreter_call`'s `code`), and the audio transcript. Some fields are opaque
//! payloads handed over untouched ([`OPAQUE`]): encrypted reasoning, base64 images and audio.
//!
//! This module reads and writes JSON values; it never decides what is a secret.

use serde_json::{json, Map, Value};

/// The kind of text a channel carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TextKind {
    /// A message's `output_text` part (`response.output_text.*`).
    OutputText,
    /// A message's `refusal` part (`response.refusal.*`).
    Refusal,
    /// A reasoning item's `content[i]` (`response.reasoning_text.*`).
    ReasoningText,
    /// A reasoning item's `summary[i]` (`response.reasoning_summary_text.*`).
    SummaryText,
    /// A `function_call`'s `arguments`.
    FunctionArguments,
    /// A `custom_tool_call`'s `input`.
    CustomToolInput,
    /// An `mcp_call`'s `arguments`.
    McpArguments,
    /// A `code_interpreter_call`'s `code`.
    Code,
    /// The transcript of audio output (`response.audio.transcript.*`).
    Transcript,
}

/// Where in an output item a channel's text sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// `content[content_index]`, a part.
    Content,
    /// `summary[summary_index]`, a part.
    Summary,
    /// A field of the item itself.
    Item,
}

const KINDS: [TextKind; 9] = [
    TextKind::OutputText,
    TextKind::Refusal,
    TextKind::ReasoningText,
    TextKind::SummaryText,
    TextKind::FunctionArguments,
    TextKind::CustomToolInput,
    TextKind::McpArguments,
    TextKind::Code,
    TextKind::Transcript,
];

impl TextKind {
    /// The event type prefix of its `.delta` and `.done` events.
    pub fn stem(self) -> &'static str {
        match self {
            TextKind::OutputText => "response.output_text",
            TextKind::Refusal => "response.refusal",
            TextKind::ReasoningText => "response.reasoning_text",
            TextKind::SummaryText => "response.reasoning_summary_text",
            TextKind::FunctionArguments => "response.function_call_arguments",
            TextKind::CustomToolInput => "response.custom_tool_call_input",
            TextKind::McpArguments => "response.mcp_call_arguments",
            TextKind::Code => "response.code_interpreter_call_code",
            TextKind::Transcript => "response.audio.transcript",
        }
    }

    /// The key of the whole text in its `.done` event (the transcript's carries none).
    pub fn done_key(self) -> Option<&'static str> {
        match self {
            TextKind::OutputText | TextKind::ReasoningText | TextKind::SummaryText => Some("text"),
            TextKind::Refusal => Some("refusal"),
            TextKind::FunctionArguments | TextKind::McpArguments => Some("arguments"),
            TextKind::CustomToolInput => Some("input"),
            TextKind::Code => Some("code"),
            TextKind::Transcript => None,
        }
    }

    pub fn place(self) -> Place {
        match self {
            TextKind::OutputText | TextKind::Refusal | TextKind::ReasoningText => Place::Content,
            TextKind::SummaryText => Place::Summary,
            _ => Place::Item,
        }
    }

    /// The key of the text in its part or item.
    pub fn key(self) -> &'static str {
        match self {
            TextKind::Refusal => "refusal",
            TextKind::FunctionArguments | TextKind::McpArguments => "arguments",
            TextKind::CustomToolInput => "input",
            TextKind::Code => "code",
            _ => "text",
        }
    }

    /// The kind of a content or summary part, by its `type`.
    pub fn of_part(part: &Value) -> Option<TextKind> {
        match part.get("type").and_then(Value::as_str)? {
            "output_text" => Some(TextKind::OutputText),
            "refusal" => Some(TextKind::Refusal),
            "reasoning_text" => Some(TextKind::ReasoningText),
            "summary_text" => Some(TextKind::SummaryText),
            _ => None,
        }
    }

    /// The kind of an item's own text field, by the item's `type`.
    pub fn of_item(item: &Value) -> Option<TextKind> {
        match item.get("type").and_then(Value::as_str)? {
            "function_call" => Some(TextKind::FunctionArguments),
            "custom_tool_call" => Some(TextKind::CustomToolInput),
            "mcp_call" => Some(TextKind::McpArguments),
            "code_interpreter_call" => Some(TextKind::Code),
            _ => None,
        }
    }

    /// The `type` of a part of this kind.
    pub fn part_type(self) -> &'static str {
        match self {
            TextKind::OutputText => "output_text",
            TextKind::Refusal => "refusal",
            TextKind::ReasoningText => "reasoning_text",
            TextKind::SummaryText => "summary_text",
            _ => "",
        }
    }
}

/// One text channel: output item `output`, its kind, and the part's index (content or
/// summary index; 0 for an item's own field).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot {
    pub output: u64,
    pub kind: TextKind,
    pub part: u64,
}

impl std::fmt::Display for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (o, p) = (self.output, self.part);
        match self.kind.place() {
            Place::Content => write!(f, "output[{o}].content[{p}].{}", self.kind.key()),
            Place::Summary => write!(f, "output[{o}].summary[{p}].text"),
            Place::Item if self.kind == TextKind::Transcript => write!(f, "audio.transcript"),
            Place::Item => write!(f, "output[{o}].{}", self.kind.key()),
        }
    }
}

/// What an event is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    /// A channel's `….delta`.
    Delta(TextKind),
    /// A channel's `….done` (its whole text again).
    Done(TextKind),
    /// `response.content_part.added` / `response.reasoning_summary_part.added`.
    PartAdded,
    /// `response.content_part.done` / `response.reasoning_summary_part.done`.
    PartDone,
    ItemAdded,
    ItemDone,
    /// `response.created`, `response.in_progress`, `response.queued`: the envelope so far.
    Progress,
    /// `response.completed`, `response.incomplete`, `response.failed`: the whole response.
    Final,
    /// The stream's `error` event.
    Error,
    /// A type this proxy has no channel for (annotations, tool-call progress, audio bytes,
    /// new types): forwarded, its strings scanned on their own.
    Other,
}

impl EventType {
    pub fn of(value: &Value, name: Option<&str>) -> EventType {
        let Some(ty) = value.get("type").and_then(Value::as_str).or(name) else { return EventType::Other };
        match ty {
            "response.content_part.added" | "response.reasoning_summary_part.added" => EventType::PartAdded,
            "response.content_part.done" | "response.reasoning_summary_part.done" => EventType::PartDone,
            "response.output_item.added" => EventType::ItemAdded,
            "response.output_item.done" => EventType::ItemDone,
            "response.created" | "response.in_progress" | "response.queued" => EventType::Progress,
            "response.completed" | "response.incomplete" | "response.failed" => EventType::Final,
            "error" => EventType::Error,
            _ => {
                for kind in KINDS {
                    if let Some(rest) = ty.strip_prefix(kind.stem()) {
                        match rest {
                            ".delta" => return EventType::Delta(kind),
                            ".done" => return EventType::Done(kind),
                            _ => {}
                        }
                    }
                }
                EventType::Other
            }
        }
    }
}

fn index(value: &Value, key: &str) -> u64 {
    value.get(key).and_then(Value::as_u64).unwrap_or(0)
}

/// The channel of a `.delta` or `.done` event of `kind`.
pub fn event_slot(event: &Value, kind: TextKind) -> Slot {
    let part = match kind.place() {
        Place::Content => index(event, "content_index"),
        Place::Summary => index(event, "summary_index"),
        Place::Item => 0,
    };
    Slot { output: index(event, "output_index"), kind, part }
}

/// The channel of a part event (`content_part.*`, `reasoning_summary_part.*`), by its part's
/// type.
pub fn part_slot(event: &Value) -> Option<Slot> {
    let kind = TextKind::of_part(event.get("part")?)?;
    Some(event_slot(event, kind))
}

/// The text of a string field `key` of `obj`.
fn string_mut<'a>(obj: &'a mut Value, key: &str) -> Option<&'a mut String> {
    match obj.get_mut(key)? {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// A `.delta` event's text.
pub fn delta_mut(event: &mut Value) -> Option<&mut String> {
    string_mut(event, "delta")
}

/// A `.done` event's whole text.
pub fn done_text_mut(event: &mut Value, kind: TextKind) -> Option<&mut String> {
    string_mut(event, kind.done_key()?)
}

/// A part's text (`text` or `refusal`).
pub fn part_text_mut(part: &mut Value) -> Option<(TextKind, &mut String)> {
    let kind = TextKind::of_part(part)?;
    string_mut(part, kind.key()).map(|s| (kind, s))
}

/// Calls `f` with every text channel of output item `item` (at output index `output`) and
/// the object its text is a field of (under [`TextKind::key`]): content parts, summary parts
/// (with their `logprobs`, if any), or the item itself for its own text field.
pub fn for_each_item_text(item: &mut Value, output: u64, mut f: impl FnMut(Slot, &mut Value)) {
    if let Some(kind) = TextKind::of_item(item) {
        if item.get(kind.key()).is_some_and(Value::is_string) {
            f(Slot { output, kind, part: 0 }, item);
        }
        return;
    }
    let Some(obj) = item.as_object_mut() else { return };
    for (key, value) in obj.iter_mut() {
        let place = match key.as_str() {
            "content" => Place::Content,
            "summary" => Place::Summary,
            _ => continue,
        };
        let Some(parts) = value.as_array_mut() else { continue };
        for (i, part) in parts.iter_mut().enumerate() {
            let Some(kind) = TextKind::of_part(part).filter(|k| k.place() == place) else { continue };
            if part.get(kind.key()).is_some_and(Value::is_string) {
                f(Slot { output, kind, part: i as u64 }, part);
            }
        }
    }
}

/// The text of a channel's container (a part, or an item for its own field).
pub fn text_mut(container: &mut Value, kind: TextKind) -> Option<&mut String> {
    string_mut(container, kind.key())
}

/// Keys whose string values are opaque payloads (encrypted reasoning, base64 images), handed
/// over untouched.
pub const OPAQUE: &[&str] = &["encrypted_content", "partial_image_b64"];

/// Takes the opaque payloads off an event or whole response — the [`OPAQUE`] keys anywhere,
/// an image generation call's `result`, `response.audio.delta`'s `delta` — leaving `null` in
/// their place (so key order stays). Give them back with [`put_opaque`].
pub fn take_opaque(value: &mut Value) -> Vec<(Vec<PathStep>, Value)> {
    let mut taken = Vec::new();
    if value.get("type").and_then(Value::as_str) == Some("response.audio.delta") {
        if let Some(slot) = value.get_mut("delta") {
            taken.push((vec![PathStep::Key("delta".into())], std::mem::take(slot)));
        }
    }
    take_opaque_at(value, &mut Vec::new(), &mut taken);
    taken
}

/// One step of a path into a JSON value.
#[derive(Clone, Debug)]
pub enum PathStep {
    Key(String),
    Index(usize),
}

fn take_opaque_at(value: &mut Value, path: &mut Vec<PathStep>, taken: &mut Vec<(Vec<PathStep>, Value)>) {
    match value {
        Value::Object(map) => {
            let image = map.get("type").and_then(Value::as_str) == Some("image_generation_call");
            for (k, v) in map.iter_mut() {
                if v.is_string() && (OPAQUE.contains(&k.as_str()) || image && k == "result") {
                    path.push(PathStep::Key(k.clone()));
                    taken.push((path.clone(), std::mem::take(v)));
                    path.pop();
                } else if v.is_object() || v.is_array() {
                    path.push(PathStep::Key(k.clone()));
                    take_opaque_at(v, path, taken);
                    path.pop();
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                path.push(PathStep::Index(i));
                take_opaque_at(v, path, taken);
                path.pop();
            }
        }
        _ => {}
    }
}

pub fn put_opaque(value: &mut Value, taken: Vec<(Vec<PathStep>, Value)>) {
    for (path, v) in taken {
        if let Some(slot) = value_at(value, &path) {
            *slot = v;
        }
    }
}

fn value_at<'a>(mut at: &'a mut Value, path: &[PathStep]) -> Option<&'a mut Value> {
    for step in path {
        at = match step {
            PathStep::Key(k) => at.get_mut(k.as_str())?,
            PathStep::Index(i) => at.get_mut(*i)?,
        };
    }
    Some(at)
}

/// The longest token a logprobs entry may carry (tokenizers emit far shorter ones; a longer
/// "token" is not one, and could carry a whole secret past the text's redaction).
pub const MAX_TOKEN_BYTES: usize = 32;

/// A `logprobs` entry's length in bytes of text (its `token`, or its `bytes` when given), if
/// it is a well-formed entry: an object with a `token` of at most [`MAX_TOKEN_BYTES`], whose
/// `top_logprobs` alternatives (if any) are as short.
pub fn token_len(entry: &Value) -> Option<usize> {
    fn short(e: &Value) -> Option<&str> {
        e.get("token").and_then(Value::as_str).filter(|t| t.len() <= MAX_TOKEN_BYTES)
    }
    let token = short(entry)?;
    match entry.get("top_logprobs") {
        None | Some(Value::Null) => {}
        Some(Value::Array(alts)) if alts.iter().all(|a| a.get("token").is_none_or(|_| short(a).is_some())) => {}
        Some(_) => return None,
    }
    match entry.get("bytes").and_then(Value::as_array) {
        Some(bytes) => Some(bytes.len()),
        None => Some(token.len()),
    }
}

/// Takes an event's or part's `logprobs` (leaving an empty array): its entries, or — when it
/// is not an array — the value itself as one entry, which [`token_len`] refuses (so it is
/// dropped, and the event counts as changed). `None` when absent or null.
pub fn take_logprobs(obj: &mut Value) -> Option<Vec<Value>> {
    let slot = obj.get_mut("logprobs")?;
    match std::mem::replace(slot, Value::Array(Vec::new())) {
        Value::Array(items) => Some(items),
        Value::Null => {
            *slot = Value::Null;
            None
        }
        other => Some(vec![other]),
    }
}

pub fn put_logprobs(obj: &mut Value, entries: Vec<Value>) {
    if let Some(slot) = obj.get_mut("logprobs") {
        *slot = Value::Array(entries);
    }
}

/// The `sequence_number` of an event.
pub fn sequence_number(event: &Value) -> Option<u64> {
    event.get("sequence_number").and_then(Value::as_u64)
}

pub fn set_sequence_number(event: &mut Value, n: u64) {
    if let Some(obj) = event.as_object_mut() {
        obj.insert("sequence_number".into(), Value::from(n));
    }
}

/// A `.delta` event for `slot`, written before its `.done` to carry text that was held back.
/// `item_id` names the output item; `logprobs` only for output text.
pub fn delta_event(slot: Slot, item_id: Option<&str>, text: &str, logprobs: Option<Vec<Value>>, seq: u64) -> Value {
    let mut e = Map::new();
    e.insert("type".into(), Value::from(format!("{}.delta", slot.kind.stem())));
    e.insert("sequence_number".into(), Value::from(seq));
    if slot.kind != TextKind::Transcript {
        e.insert("item_id".into(), item_id.map_or(Value::Null, Value::from));
        e.insert("output_index".into(), Value::from(slot.output));
    }
    match slot.kind.place() {
        Place::Content => {
            e.insert("content_index".into(), Value::from(slot.part));
        }
        Place::Summary => {
            e.insert("summary_index".into(), Value::from(slot.part));
        }
        Place::Item => {}
    }
    e.insert("delta".into(), Value::from(text));
    if slot.kind == TextKind::OutputText {
        e.insert("logprobs".into(), Value::Array(logprobs.unwrap_or_default()));
    }
    Value::Object(e)
}

/// A `.done` event for `slot` with its whole text, for a channel a block cut short.
pub fn done_event(slot: Slot, item_id: Option<&str>, text: &str, seq: u64) -> Option<Value> {
    let key = slot.kind.done_key()?;
    let mut e = delta_event(slot, item_id, "", None, seq);
    let obj = e.as_object_mut()?;
    obj.insert("type".into(), Value::from(format!("{}.done", slot.kind.stem())));
    obj.remove("delta");
    obj.insert(key.into(), Value::from(text));
    if slot.kind == TextKind::OutputText {
        obj.insert("logprobs".into(), Value::Array(Vec::new()));
    }
    Some(e)
}

/// The `….part.done` event for a part (`part` as it ends).
pub fn part_done_event(slot: Slot, item_id: Option<&str>, part: Value, seq: u64) -> Value {
    let (ty, key) = match slot.kind.place() {
        Place::Summary => ("response.reasoning_summary_part.done", "summary_index"),
        _ => ("response.content_part.done", "content_index"),
    };
    json!({
        "type": ty,
        "sequence_number": seq,
        "item_id": item_id,
        "output_index": slot.output,
        key: slot.part,
        "part": part,
    })
}

pub fn item_done_event(output: u64, item: Value, seq: u64) -> Value {
    json!({ "type": "response.output_item.done", "sequence_number": seq, "output_index": output, "item": item })
}

/// Marks a response (an envelope from `response.created`, or a whole answer) as cut short by
/// the content filter: `status: "incomplete"`, `incomplete_details.reason = "content_filter"`.
pub fn set_content_filtered(response: &mut Value) {
    if let Some(obj) = response.as_object_mut() {
        obj.insert("status".into(), Value::from("incomplete"));
        obj.insert("incomplete_details".into(), json!({ "reason": "content_filter" }));
    }
}

/// Sets an item's `status` (when it has one).
pub fn set_status(item: &mut Value, status: &str) {
    if let Some(obj) = item.as_object_mut() {
        if obj.contains_key("status") {
            obj.insert("status".into(), Value::from(status));
        }
    }
}

/// `response.incomplete` with the given response.
pub fn incomplete_event(response: Value, seq: u64) -> Value {
    json!({ "type": "response.incomplete", "sequence_number": seq, "response": response })
}

/// The stream's `error` event for a failure of the proxy's own: the typed fields the SDKs
/// read (`code`, `message`), and an `error` object, which makes the OpenAI SDKs raise.
pub fn error_event(message: &str, seq: u64) -> Value {
    json!({
        "type": "error",
        "sequence_number": seq,
        "code": "upstream_error",
        "message": message,
        "param": null,
        "error": { "type": "upstream_error", "code": "upstream_error", "message": message, "param": null },
    })
}

/// Writes `event` (a JSON object with a `type`) as `event: <type>\ndata: <json>\n\n`.
pub fn encode(event: &Value, out: &mut Vec<u8>) {
    let name = event.get("type").and_then(Value::as_str).unwrap_or("message");
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\ndata: ");
    if serde_json::to_writer(&mut *out, event).is_err() {
        out.extend_from_slice(b"null");
    }
    out.extend_from_slice(b"\n\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_and_slots() {
        let e = json!({"type": "response.output_text.delta", "output_index": 2, "content_index": 1, "delta": "x"});
        assert_eq!(EventType::of(&e, None), EventType::Delta(TextKind::OutputText));
        assert_eq!(event_slot(&e, TextKind::OutputText), Slot { output: 2, kind: TextKind::OutputText, part: 1 });
        let e = json!({"type": "response.reasoning_summary_text.done", "output_index": 0, "summary_index": 3});
        assert_eq!(EventType::of(&e, None), EventType::Done(TextKind::SummaryText));
        assert_eq!(event_slot(&e, TextKind::SummaryText).part, 3);
        for (ty, want) in [
            ("response.function_call_arguments.delta", EventType::Delta(TextKind::FunctionArguments)),
            ("response.audio.transcript.delta", EventType::Delta(TextKind::Transcript)),
            ("response.audio.delta", EventType::Other),
            ("response.output_text.annotation.added", EventType::Other),
            ("response.reasoning_summary_part.added", EventType::PartAdded),
            ("response.failed", EventType::Final),
            ("response.something_new.delta", EventType::Other),
        ] {
            assert_eq!(EventType::of(&json!({ "type": ty }), None), want, "{ty}");
        }
    }

    #[test]
    fn item_texts_are_found_by_item_and_part_type() {
        let mut item = json!({"type": "reasoning", "id": "rs_1", "encrypted_content": "gAAA",
            "summary": [{"type": "summary_text", "text": "a"}, {"type": "summary_text", "text": "b"}],
            "content": [{"type": "reasoning_text", "text": "c"}]});
        let mut seen = Vec::new();
        for_each_item_text(&mut item, 4, |slot, c| {
            seen.push((slot.to_string(), text_mut(c, slot.kind).map(|s| s.clone()).unwrap_or_default()))
        });
        assert_eq!(
            seen,
            [
                ("output[4].summary[0].text".to_owned(), "a".to_owned()),
                ("output[4].summary[1].text".to_owned(), "b".to_owned()),
                ("output[4].content[0].text".to_owned(), "c".to_owned())
            ]
        );
        let mut call = json!({"type": "function_call", "name": "f", "arguments": "{\"a\":1}", "call_id": "call_1"});
        let mut seen = Vec::new();
        for_each_item_text(&mut call, 1, |slot, _| seen.push(slot.to_string()));
        assert_eq!(seen, ["output[1].arguments"]);
    }

    #[test]
    fn opaque_payloads_are_taken_and_put_back_in_place() {
        let mut v = json!({"type": "response.completed", "response": {"output": [
            {"type": "reasoning", "encrypted_content": "gAAAAB", "summary": []},
            {"type": "image_generation_call", "result": "iVBORw0KGgo", "status": "completed"},
            {"type": "message", "content": [{"type": "output_text", "text": "result"}]}]}});
        let before = v.clone();
        let taken = take_opaque(&mut v);
        assert_eq!(taken.len(), 2);
        assert_eq!(v["response"]["output"][0]["encrypted_content"], Value::Null);
        assert_eq!(v["response"]["output"][2]["content"][0]["text"], "result", "a message's text is no payload");
        put_opaque(&mut v, taken);
        assert_eq!(v, before);
        let mut audio = json!({"type": "response.audio.delta", "delta": "UklGRg==", "sequence_number": 3});
        assert_eq!(take_opaque(&mut audio).len(), 1);
    }

    #[test]
    fn written_events_carry_their_indexes() {
        let slot = Slot { output: 1, kind: TextKind::SummaryText, part: 2 };
        let d = delta_event(slot, Some("rs_1"), "abc", None, 7);
        assert_eq!(
            d,
            json!({"type": "response.reasoning_summary_text.delta", "sequence_number": 7, "item_id": "rs_1",
                "output_index": 1, "summary_index": 2, "delta": "abc"})
        );
        let done = done_event(Slot { output: 0, kind: TextKind::OutputText, part: 0 }, Some("msg_1"), "t", 9);
        assert_eq!(done.as_ref().map(|d| &d["text"]), Some(&json!("t")));
        assert_eq!(done.as_ref().map(|d| &d["logprobs"]), Some(&json!([])));
        assert!(done_event(Slot { output: 0, kind: TextKind::Transcript, part: 0 }, None, "t", 9).is_none());
    }
}
