//! Anthropic Messages (`POST /v1/messages`): where the text is, and the events the proxy
//! writes itself.
//!
//! A streamed answer is a sequence of typed events, each `event: <type>\ndata: <json>\n\n`:
//! `message_start` (the message envelope and usage), then per content block
//! `content_block_start` (the block, possibly with initial text), `content_block_delta`s and
//! `content_block_stop`, then `message_delta` (stop reason, final usage) and `message_stop`;
//! `ping` and `error` may come at any point. A whole answer is a `message` object with a
//! `content` array of the same blocks.
//!
//! Text lives in one *channel* per content block (by its `index`): `text` blocks'
//! `text` (`text_delta.text`), tool calls' `input` (`input_json_delta.partial_json`, the
//! JSON text of the input in pieces), `thinking` blocks' `thinking` (`thinking_delta`).
//! Some fields are opaque tokens the API checks when they come back (a thinking block's
//! `signature`, a `redacted_thinking` block's `data`): they are handed over untouched.
//!
//! This module reads and writes JSON values; it never decides what is a secret. Clients
//! dispatch on the `event:` name (the SDKs skip events without one), so every event written
//! here carries it.

use serde_json::{json, Value};

/// What an event is, from its JSON `type` (or its `event:` name when the JSON has none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    MessageStart,
    ContentBlockStart,
    ContentBlockDelta,
    ContentBlockStop,
    MessageDelta,
    MessageStop,
    Ping,
    Error,
    /// A type this proxy does not know (yet): forwarded, its strings still scanned.
    Other,
}

impl EventType {
    pub fn of(value: &Value, name: Option<&str>) -> EventType {
        let ty = value.get("type").and_then(Value::as_str).or(name);
        match ty {
            Some("message_start") => EventType::MessageStart,
            Some("content_block_start") => EventType::ContentBlockStart,
            Some("content_block_delta") => EventType::ContentBlockDelta,
            Some("content_block_stop") => EventType::ContentBlockStop,
            Some("message_delta") => EventType::MessageDelta,
            Some("message_stop") => EventType::MessageStop,
            Some("ping") => EventType::Ping,
            Some("error") => EventType::Error,
            _ => EventType::Other,
        }
    }
}

/// The kind of text a content block carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TextKind {
    /// `text` blocks: `text`, streamed as `text_delta.text`.
    Text,
    /// Tool calls (`tool_use`, `server_tool_use`, `mcp_tool_use`): the JSON text of `input`,
    /// streamed as `input_json_delta.partial_json`.
    InputJson,
    /// `thinking` blocks: `thinking`, streamed as `thinking_delta.thinking`.
    Thinking,
}

impl TextKind {
    /// The kind of a content block, by its `type`.
    pub fn of_block(block: &Value) -> Option<TextKind> {
        match block.get("type").and_then(Value::as_str)? {
            "text" => Some(TextKind::Text),
            "tool_use" | "server_tool_use" | "mcp_tool_use" => Some(TextKind::InputJson),
            "thinking" => Some(TextKind::Thinking),
            _ => None,
        }
    }

    /// The kind of a delta, by its `type`.
    pub fn of_delta(delta: &Value) -> Option<TextKind> {
        match delta.get("type").and_then(Value::as_str)? {
            "text_delta" => Some(TextKind::Text),
            "input_json_delta" => Some(TextKind::InputJson),
            "thinking_delta" => Some(TextKind::Thinking),
            _ => None,
        }
    }

    pub fn delta_type(self) -> &'static str {
        match self {
            TextKind::Text => "text_delta",
            TextKind::InputJson => "input_json_delta",
            TextKind::Thinking => "thinking_delta",
        }
    }

    /// The key of the text in a delta.
    pub fn delta_key(self) -> &'static str {
        match self {
            TextKind::Text => "text",
            TextKind::InputJson => "partial_json",
            TextKind::Thinking => "thinking",
        }
    }

    /// The key of the text in a whole block (`input` is a JSON value, not a string).
    pub fn block_key(self) -> &'static str {
        match self {
            TextKind::Text => "text",
            TextKind::InputJson => "input",
            TextKind::Thinking => "thinking",
        }
    }
}

/// One text channel of an answer: a content block's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Channel {
    pub index: u64,
    pub kind: TextKind,
}

impl std::fmt::Display for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "content[{}].{}", self.index, self.kind.block_key())
    }
}

/// The event's content block `index`.
pub fn index(event: &Value) -> Option<u64> {
    event.get("index").and_then(Value::as_u64)
}

/// A content block's opaque field (`signature` of a thinking block or a `signature_delta`,
/// `data` of a `redacted_thinking` block), if it has one: the key.
fn opaque_key(obj: &Value) -> Option<&'static str> {
    match obj.get("type").and_then(Value::as_str)? {
        "thinking" | "signature_delta" => Some("signature"),
        "redacted_thinking" => Some("data"),
        _ => None,
    }
}

/// Takes the opaque field off a block or delta, leaving `null` in its place (so key order
/// stays); give it back with [`put_opaque`].
pub fn take_opaque(obj: &mut Value) -> Option<(&'static str, Value)> {
    let key = opaque_key(obj)?;
    let slot = obj.get_mut(key)?;
    Some((key, std::mem::take(slot)))
}

pub fn put_opaque(obj: &mut Value, taken: Option<(&'static str, Value)>) {
    let Some((key, value)) = taken else { return };
    if let Some(slot) = obj.get_mut(key) {
        *slot = value;
    }
}

/// The streamed text of a `content_block_delta` and its kind (`text_delta.text`,
/// `input_json_delta.partial_json`, `thinking_delta.thinking`).
pub fn delta_text_mut(event: &mut Value) -> Option<(TextKind, &mut String)> {
    let delta = event.get_mut("delta")?;
    let kind = TextKind::of_delta(delta)?;
    match delta.get_mut(kind.delta_key())? {
        Value::String(s) => Some((kind, s)),
        _ => None,
    }
}

/// The text of a whole content block (`text`, `thinking`; `None` for tool calls, whose
/// `input` is a value: [`block_input_mut`]).
pub fn block_text_mut(block: &mut Value) -> Option<(TextKind, &mut String)> {
    let kind = TextKind::of_block(block).filter(|k| *k != TextKind::InputJson)?;
    match block.get_mut(kind.block_key())? {
        Value::String(s) => Some((kind, s)),
        _ => None,
    }
}

/// A tool call block's `input`.
pub fn block_input_mut(block: &mut Value) -> Option<&mut Value> {
    (TextKind::of_block(block)? == TextKind::InputJson).then(|| block.get_mut("input")).flatten()
}

/// `message_start.message` (stream) or the message itself (whole answer).
pub fn content_mut(message: &mut Value) -> Option<&mut Vec<Value>> {
    message.get_mut("content")?.as_array_mut()
}

/// The `usage.output_tokens` of a `message_start` (in its `message`) or `message_delta`.
pub fn output_tokens(event: &Value) -> Option<u64> {
    let usage = event.get("usage").or_else(|| event.get("message")?.get("usage"))?;
    usage.get("output_tokens").and_then(Value::as_u64)
}

/// A `content_block_delta` carrying `text` for block `index`.
pub fn delta_event(index: u64, kind: TextKind, text: &str) -> Value {
    let mut delta = serde_json::Map::new();
    delta.insert("type".into(), Value::from(kind.delta_type()));
    delta.insert(kind.delta_key().into(), Value::from(text));
    json!({ "type": "content_block_delta", "index": index, "delta": delta })
}

pub fn block_stop_event(index: u64) -> Value {
    json!({ "type": "content_block_stop", "index": index })
}

/// The `message_delta` that ends a blocked answer: `stop_reason: "refusal"`, usage as far
/// as it is known.
pub fn refusal_delta_event(output_tokens: u64) -> Value {
    json!({
        "type": "message_delta",
        "delta": { "stop_reason": "refusal", "stop_sequence": null },
        "usage": { "output_tokens": output_tokens },
    })
}

pub fn message_stop_event() -> Value {
    json!({ "type": "message_stop" })
}

/// Sets a whole message's `stop_reason` to `refusal` (and `stop_sequence` to null).
pub fn set_refusal(message: &mut Value) {
    if let Some(obj) = message.as_object_mut() {
        obj.insert("stop_reason".into(), Value::from("refusal"));
        obj.insert("stop_sequence".into(), Value::Null);
    }
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

/// The error `type` Anthropic uses for an HTTP status.
pub fn error_type(status: u16) -> &'static str {
    match status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        503 | 529 => "overloaded_error",
        _ => "api_error",
    }
}

/// An error in Anthropic's JSON shape (a response body, or the data of an `error` event).
pub fn error_body(kind: &str, message: &str) -> Value {
    json!({ "type": "error", "error": { "type": kind, "message": message } })
}

#[cfg(test)]
mod tests;
