//! OpenAI Chat Completions and legacy Completions: where the text is.
//!
//! A streamed chunk (`chat.completion.chunk` / `text_completion`) and a whole response
//! (`chat.completion`) carry text in *channels*: per choice, the `content`, `refusal`,
//! `reasoning_content` / `reasoning` strings, each tool call's `function.arguments` (and the
//! deprecated `function_call.arguments`), or the legacy `text`. Streams send each channel as
//! deltas; a response holds it whole. Everything else in the JSON (ids, roles, usage, tool
//! names, unknown fields) is left where it is, in its order (`serde_json` keeps key order and
//! number text here).
//!
//! Logprobs carry the same text again, token by token: [`take_logprobs`] lifts them off a
//! choice as [`Token`]s with their byte lengths so the caller can hold them back with the
//! text they cover, and [`put_logprobs`] writes the ones it releases.
//!
//! This module changes JSON values; it never decides what is a secret.

use serde_json::{Map, Value};

/// Which API a body belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    /// `POST /v1/chat/completions`
    Chat,
    /// `POST /v1/completions`
    Completions,
}

/// A text field of one choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Content,
    Refusal,
    /// `reasoning_content` (DeepSeek, vLLM) .
    ReasoningContent,
    /// `reasoning` (Ollama, OpenRouter, llama.cpp).
    Reasoning,
    /// `tool_calls[i].function.arguments`, by the tool call's `index`.
    ToolArguments(u64),
    /// The deprecated `function_call.arguments`.
    FunctionArguments,
    /// Legacy completions' `text`.
    Text,
}

/// The channels that are plain string fields of a `delta` / `message`, by key.
pub const SIMPLE_FIELDS: [(&str, Field); 4] = [
    ("content", Field::Content),
    ("refusal", Field::Refusal),
    ("reasoning_content", Field::ReasoningContent),
    ("reasoning", Field::Reasoning),
];

/// One text channel of a response: a field of a choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Channel {
    pub choice: u64,
    pub field: Field,
}

impl std::fmt::Display for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = self.choice;
        match self.field {
            Field::Content => write!(f, "choices[{c}].content"),
            Field::Refusal => write!(f, "choices[{c}].refusal"),
            Field::ReasoningContent => write!(f, "choices[{c}].reasoning_content"),
            Field::Reasoning => write!(f, "choices[{c}].reasoning"),
            Field::ToolArguments(i) => write!(f, "choices[{c}].tool_calls[{i}].function.arguments"),
            Field::FunctionArguments => write!(f, "choices[{c}].function_call.arguments"),
            Field::Text => write!(f, "choices[{c}].text"),
        }
    }
}

/// Whether a body is a stream chunk (`delta`) or a whole response (`message`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Chunk,
    Whole,
}

fn container(api: Api, shape: Shape) -> Option<&'static str> {
    match (api, shape) {
        (Api::Chat, Shape::Chunk) => Some("delta"),
        (Api::Chat, Shape::Whole) => Some("message"),
        (Api::Completions, _) => None,
    }
}

/// The `index` of a choice (its position if it has none).
pub fn choice_index(choice: &Value, position: usize) -> u64 {
    choice.get("index").and_then(Value::as_u64).unwrap_or(position as u64)
}

/// The choices of a body, if it has any.
pub fn choices_mut(body: &mut Value) -> Option<&mut Vec<Value>> {
    body.get_mut("choices")?.as_array_mut()
}

/// Calls `f` for every text channel present in `choice`, with the string to read or replace.
/// Channels come in a fixed order per choice: simple fields, then tool calls, then legacy.
pub fn for_each_channel(
    choice: &mut Value,
    index: u64,
    api: Api,
    shape: Shape,
    mut f: impl FnMut(Channel, &mut String),
) {
    let ch = |field| Channel { choice: index, field };
    let Some(obj) = choice.as_object_mut() else { return };
    if api == Api::Completions {
        if let Some(Value::String(s)) = obj.get_mut("text") {
            f(ch(Field::Text), s);
        }
        return;
    }
    let Some(Value::Object(inner)) = container(api, shape).and_then(|c| obj.get_mut(c)) else { return };
    for (key, value) in inner.iter_mut() {
        if let Some(&(_, field)) = SIMPLE_FIELDS.iter().find(|(k, _)| k == key) {
            if let Value::String(s) = value {
                f(ch(field), s);
            }
            continue;
        }
        match (key.as_str(), value) {
            ("tool_calls", Value::Array(calls)) => {
                for (pos, call) in calls.iter_mut().enumerate() {
                    let i = call.get("index").and_then(Value::as_u64).unwrap_or(pos as u64);
                    if let Some(Value::String(s)) = call.get_mut("function").and_then(|fun| fun.get_mut("arguments")) {
                        f(ch(Field::ToolArguments(i)), s);
                    }
                }
            }
            ("function_call", Value::Object(call)) => {
                if let Some(Value::String(s)) = call.get_mut("arguments") {
                    f(ch(Field::FunctionArguments), s);
                }
            }
            _ => {}
        }
    }
}

/// Appends `text` to `field` of a streamed `choice`, creating the field (and the `delta`, the
/// tool call entry) if the chunk has none: how held text is flushed into the chunk that
/// carries `finish_reason`.
pub fn append_channel(choice: &mut Value, api: Api, field: Field, text: &str) {
    let Some(obj) = choice.as_object_mut() else { return };
    let append = |slot: &mut Value| match slot {
        Value::String(s) => s.push_str(text),
        other => *other = Value::String(text.to_owned()),
    };
    if api == Api::Completions {
        append(obj.entry("text").or_insert(Value::Null));
        return;
    }
    let delta = obj.entry("delta").or_insert_with(|| Value::Object(Map::new()));
    if !delta.is_object() {
        *delta = Value::Object(Map::new());
    }
    let Some(delta) = delta.as_object_mut() else { return };
    match field {
        Field::ToolArguments(i) => {
            let calls = delta.entry("tool_calls").or_insert_with(|| Value::Array(Vec::new()));
            if !calls.is_array() {
                *calls = Value::Array(Vec::new());
            }
            let Some(calls) = calls.as_array_mut() else { return };
            let pos = match calls.iter().position(|c| c.get("index").and_then(Value::as_u64) == Some(i)) {
                Some(pos) => pos,
                None => {
                    calls.push(serde_json::json!({ "index": i, "function": { "arguments": "" } }));
                    calls.len() - 1
                }
            };
            let Some(call) = calls[pos].as_object_mut() else { return };
            let fun = call.entry("function").or_insert_with(|| Value::Object(Map::new()));
            if let Some(fun) = fun.as_object_mut() {
                append(fun.entry("arguments").or_insert(Value::Null));
            }
        }
        Field::FunctionArguments => {
            let call = delta.entry("function_call").or_insert_with(|| Value::Object(Map::new()));
            if let Some(call) = call.as_object_mut() {
                append(call.entry("arguments").or_insert(Value::Null));
            }
        }
        other => {
            let key = SIMPLE_FIELDS.iter().find(|(_, f)| *f == other).map_or("content", |(k, _)| k);
            append(delta.entry(key).or_insert(Value::Null));
        }
    }
}

/// The choice's `finish_reason`, if set.
pub fn finish_reason(choice: &Value) -> Option<&str> {
    choice.get("finish_reason").and_then(Value::as_str)
}

pub fn set_finish_reason(choice: &mut Value, reason: &str) {
    if let Some(obj) = choice.as_object_mut() {
        obj.insert("finish_reason".into(), Value::String(reason.into()));
    }
}

/// One logprobs entry and the bytes of text it covers; `None` if it is not a well-formed
/// token (see [`token_len`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub entry: Value,
    pub len: Option<usize>,
}

/// A Completions logprobs entry's length in bytes of text, if it is well formed: a token (and
/// the alternatives in its `top_logprobs`, keyed by token) of at most
/// [`MAX_TOKEN_BYTES`](super::responses::MAX_TOKEN_BYTES). Tokens are never scanned: a longer
/// "token" could carry a whole secret past the text's redaction. Chat Completions entries
/// have the Responses API's shape ([`super::responses::token_len`]).
fn completion_token_len(entry: &Map<String, Value>) -> Option<usize> {
    use super::responses::MAX_TOKEN_BYTES;
    let token = entry.get("tokens").and_then(Value::as_str).filter(|t| t.len() <= MAX_TOKEN_BYTES)?;
    match entry.get("top_logprobs") {
        None | Some(Value::Null) => Some(token.len()),
        Some(Value::Object(alts)) if alts.keys().all(|k| k.len() <= MAX_TOKEN_BYTES) => Some(token.len()),
        Some(_) => None,
    }
}

/// Which text a logprobs list covers: chat has `content` and `refusal` lists; completions
/// one set of parallel arrays over `text`.
fn logprob_fields(api: Api) -> &'static [Field] {
    match api {
        Api::Chat => &[Field::Content, Field::Refusal],
        Api::Completions => &[Field::Text],
    }
}

const PARALLEL: [&str; 4] = ["tokens", "token_logprobs", "top_logprobs", "text_offset"];

/// Takes the logprobs tokens off `choice`, per field they cover, leaving empty lists in place
/// (so the shape stays). A token's length is its `bytes` (chat) or its `token` text; an entry
/// that is not a well-formed token has none.
pub fn take_logprobs(choice: &mut Value, api: Api) -> Vec<(Field, Vec<Token>)> {
    let mut out = Vec::new();
    let Some(lp) = choice.get_mut("logprobs").and_then(Value::as_object_mut) else { return out };
    match api {
        Api::Chat => {
            for (key, field) in [("content", Field::Content), ("refusal", Field::Refusal)] {
                if let Some(Value::Array(list)) = lp.get_mut(key) {
                    let tokens = std::mem::take(list)
                        .into_iter()
                        .map(|entry| Token { len: super::responses::token_len(&entry), entry })
                        .collect();
                    out.push((field, tokens));
                }
            }
        }
        Api::Completions => {
            let Some(Value::Array(tokens)) = lp.get("tokens") else { return out };
            let n = tokens.len();
            let mut columns: Vec<Vec<Value>> = PARALLEL
                .iter()
                .map(|k| match lp.get_mut(*k) {
                    Some(Value::Array(col)) => std::mem::take(col),
                    _ => Vec::new(),
                })
                .collect();
            let mut list = Vec::with_capacity(n);
            for i in 0..n {
                let mut entry = Map::new();
                for (k, col) in PARALLEL.iter().zip(columns.iter_mut()) {
                    if let Some(v) = col.get_mut(i) {
                        entry.insert((*k).to_owned(), std::mem::take(v));
                    }
                }
                let len = completion_token_len(&entry);
                list.push(Token { entry: Value::Object(entry), len });
            }
            out.push((Field::Text, list));
        }
    }
    out
}

/// Writes released tokens back onto `choice` (creating `logprobs` if the chunk had none).
pub fn put_logprobs(choice: &mut Value, api: Api, field: Field, tokens: Vec<Value>) {
    if !logprob_fields(api).contains(&field) {
        return;
    }
    let Some(obj) = choice.as_object_mut() else { return };
    let lp = obj.entry("logprobs").or_insert(Value::Null);
    if !lp.is_object() {
        *lp = match api {
            Api::Chat => serde_json::json!({ "content": null, "refusal": null }),
            Api::Completions => Value::Object(Map::new()),
        };
    }
    let Some(lp) = lp.as_object_mut() else { return };
    match api {
        Api::Chat => {
            let key = if field == Field::Refusal { "refusal" } else { "content" };
            let slot = lp.entry(key).or_insert(Value::Null);
            match slot {
                Value::Array(list) => list.extend(tokens),
                other => *other = Value::Array(tokens),
            }
        }
        Api::Completions => {
            for k in PARALLEL {
                let slot = lp.entry(k).or_insert(Value::Null);
                if !slot.is_array() {
                    *slot = Value::Array(Vec::new());
                }
            }
            for token in tokens {
                let Value::Object(mut entry) = token else { continue };
                for k in PARALLEL {
                    if let Some(Value::Array(col)) = lp.get_mut(k) {
                        col.push(entry.remove(k).unwrap_or(Value::Null));
                    }
                }
            }
        }
    }
}

/// The envelope of `chunk` (every top-level field but `choices`, `usage` and `obfuscation`)
/// with the given choices: for chunks the proxy writes itself (a flush, a content-filter end).
pub fn chunk_like(template: &Value, choices: Vec<Value>) -> Value {
    let mut obj = Map::new();
    if let Some(t) = template.as_object() {
        for (k, v) in t {
            match k.as_str() {
                "choices" => {}
                "usage" | "obfuscation" => {}
                _ => {
                    obj.insert(k.clone(), v.clone());
                }
            }
        }
    }
    obj.insert("choices".into(), Value::Array(choices));
    Value::Object(obj)
}

/// An empty streamed choice: `delta: {}` (or `text: ""`), no logprobs, the given finish reason.
pub fn empty_choice(api: Api, index: u64, finish_reason: Option<&str>) -> Value {
    let reason = finish_reason.map_or(Value::Null, |r| Value::String(r.into()));
    match api {
        Api::Chat => serde_json::json!({ "index": index, "delta": {}, "logprobs": null, "finish_reason": reason }),
        Api::Completions => {
            serde_json::json!({ "index": index, "text": "", "logprobs": null, "finish_reason": reason })
        }
    }
}

/// An error in OpenAI's JSON shape.
pub fn error_body(message: &str, kind: &str, code: &str) -> Value {
    serde_json::json!({ "error": { "message": message, "type": kind, "param": null, "code": code } })
}

#[cfg(test)]
mod tests;
