//! `adapter_chat`, `adapter_completions`, `adapter_responses`, `adapter_anthropic`: upstream
//! bytes through the proxy's [`Feed`] and the route's answer scanner.
//!
//! Input: the chunking ([`Input`]), then a mode byte, then the body. Mode bits 0–1 pick the
//! policy (redact; block; redact with a small holdback that overflows into a marker; block
//! with a small holdback). Bit 7 clear: the body is the upstream's bytes as they are (no
//! panic, well-formed output). Bit 7 set: the body is a list of *ops*, `[op][len][len bytes]`,
//! each a template event of the API with its text taken from the op's bytes — and, when bit
//! 7 of `len` is set, a key generated from the input planted in that text with a space on
//! either side (a word of its own, which the rules find whatever surrounds it) — or raw
//! bytes between events. A logprobs template makes the chunk's text one token: a short text
//! is a token, a long one is not (and must not carry a secret past the text's redaction).
//! Templates only put text where the API carries the answer's text or
//! the proxy scans every string (error messages), never in opaque fields (signatures,
//! encrypted content) or identifiers, so a planted key must never go out whole.

use serde_json::{json, Value};

use super::{builtin, Input};
use crate::{
    protocol::{openai, sse},
    proxy::scan::{AnswerStream, ChatStream, Detectors, Feed, MessagesStream, ResponsesStream},
    stream::{Action, Overflow, Policy},
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Api {
    Chat,
    Completions,
    Responses,
    Anthropic,
}

/// The decoder's line limit here: small enough that inputs reach it.
const MAX_LINE: usize = 4096;

fn policy(mode: u8) -> Policy {
    match mode & 3 {
        0 => Policy::default(),
        1 => Policy { action: Action::Block, ..Policy::default() },
        2 => Policy { max_holdback: 64, on_overflow: Overflow::Redact, ..Policy::default() },
        _ => Policy { action: Action::Block, max_holdback: 64, ..Policy::default() },
    }
}

fn scanner(api: Api, policy: Policy, fast: bool) -> Box<dyn AnswerStream> {
    let rules = Detectors::from(builtin());
    match api {
        Api::Chat | Api::Completions => {
            let which = if api == Api::Chat { openai::Api::Chat } else { openai::Api::Completions };
            let s = ChatStream::new(which, rules, policy);
            Box::new(if fast { s } else { s.without_fast_path() })
        }
        Api::Responses => Box::new(ResponsesStream::new(rules, policy)),
        Api::Anthropic => Box::new(MessagesStream::new(rules, policy)),
    }
}

/// The body through a fresh scanner, cut into `pieces`; what the client gets.
fn through(api: Api, policy: Policy, fast: bool, pieces: &[&[u8]]) -> Vec<u8> {
    let mut feed = Feed::new(MAX_LINE, scanner(api, policy, fast));
    let mut out = Vec::new();
    for piece in pieces {
        let _ = feed.push(piece, &mut out);
        let _ = feed.answer().held();
        let _ = feed.answer().take_findings();
        if feed.is_ended() {
            break;
        }
    }
    feed.end(&mut out);
    out
}

/// What a client reads of an output: each event's name and id, and its data as JSON (so
/// whitespace the fast path keeps and the tree path drops does not count) or as text; each
/// comment.
type Read = Vec<(Option<String>, Option<String>, Result<Value, String>)>;

fn read(out: &[u8]) -> Read {
    let mut d = sse::Decoder::new(usize::MAX);
    d.push(out);
    let mut seen = Vec::new();
    while let Ok(Some(item)) = d.next_item() {
        match item {
            sse::Item::Event { event, .. } => {
                let data = serde_json::from_str(&event.data).map_err(|_| event.data.clone());
                seen.push((event.event, event.id, data));
            }
            sse::Item::Comment { text, .. } => seen.push((None, None, Err(format!(":{text}")))),
            sse::Item::Blank { .. } => {}
        }
    }
    seen
}

/// The output is an event stream a client reads without error, ending on an item boundary.
fn well_formed(out: &[u8]) {
    let mut d = sse::Decoder::new(usize::MAX);
    d.push(out);
    while d.next_item().expect("the output is a well-formed event stream").is_some() {}
    assert_eq!(d.finish(), Ok(()), "the output ends inside an event");
}

pub(super) fn run(api: Api, data: &[u8]) {
    let input = Input::read(data);
    let Some((&mode, body)) = input.body.split_first() else { return };
    let policy = policy(mode);
    let (bytes, key) = if mode & 0x80 == 0 { (body.to_vec(), None) } else { built(api, data, body) };
    let pieces = Input { body: &bytes, ..input }.pieces();
    let out = through(api, policy, true, &pieces);
    well_formed(&out);
    if let Some(key) = key {
        let found = memchr::memmem::find(&out, key.as_bytes());
        assert!(found.is_none(), "the planted key went out whole");
    }
    if matches!(api, Api::Chat | Api::Completions) {
        let slow = through(api, policy, false, &pieces);
        assert!(read(&out) == read(&slow), "the fast path and the tree path wrote different events");
    }
}

/// A key for this input: `sk-proj-` and 48 characters from a hash of the input, so the
/// fuzzer cannot learn it and write it into the raw parts of the body itself; drawn again
/// until the rules find it on its own (a random draw can look like a placeholder).
fn key_for(data: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let rules = builtin();
    loop {
        let mut key = String::from("sk-proj-");
        for _ in 0..48 {
            h ^= h << 13;
            h ^= h >> 7;
            h ^= h << 17;
            key.push(ALPHABET[(h % ALPHABET.len() as u64) as usize] as char);
        }
        let found = rules.scan(format!(" {key} ").as_bytes());
        if found.iter().any(|f| f.secret.start == 1 && f.secret.end == key.len() + 1) {
            return key;
        }
    }
}

/// The body built from ops (see the module docs), and the key planted in it if any was.
fn built(api: Api, data: &[u8], mut ops: &[u8]) -> (Vec<u8>, Option<String>) {
    let key = key_for(data);
    let mut planted = false;
    let mut out = Vec::new();
    while let [op, len, rest @ ..] = ops {
        let n = (*len as usize & 0x7f).min(rest.len());
        let (bytes, next) = rest.split_at(n);
        ops = next;
        let templates = templates(api);
        let which = *op as usize % (templates.len() + 1);
        let index = u64::from(*op) / (templates.len() as u64 + 1) % 3;
        if which == templates.len() {
            // Raw bytes between events (never the key: it is not in the input).
            out.extend_from_slice(bytes);
            continue;
        }
        let mut text = String::from_utf8_lossy(bytes).into_owned();
        if len & 0x80 != 0 {
            let mid = (0..=text.len() / 2).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
            text.insert_str(mid, &format!(" {key} "));
            planted = true;
        }
        out.extend_from_slice(&templates[which](index, &text));
    }
    (out, planted.then_some(key))
}

type Template = fn(u64, &str) -> Vec<u8>;

fn data(v: Value) -> Vec<u8> {
    format!("data: {v}\n\n").into_bytes()
}

fn typed(v: Value) -> Vec<u8> {
    let name = v["type"].as_str().unwrap_or("message").to_owned();
    format!("event: {name}\ndata: {v}\n\n").into_bytes()
}

/// Text as a comment line or as non-JSON data (line ends taken out: they would end the line).
fn comment(_: u64, t: &str) -> Vec<u8> {
    format!(":{}\n\n", t.replace(['\r', '\n'], " ")).into_bytes()
}

fn text_data(_: u64, t: &str) -> Vec<u8> {
    format!("data: {}\n\n", t.replace(['\r', '\n'], " ")).into_bytes()
}

fn templates(api: Api) -> &'static [Template] {
    match api {
        Api::Chat => &[
            |i, t| {
                data(
                    json!({"id": "c", "object": "chat.completion.chunk", "model": "m", "choices": [{"index": i, "delta": {"role": "assistant", "content": t}}]}),
                )
            },
            |i, t| data(json!({"choices": [{"index": i, "delta": {"content": t}, "finish_reason": null}]})),
            |i, t| data(json!({"choices": [{"index": i, "delta": {"refusal": t}}]})),
            |i, t| data(json!({"choices": [{"index": i, "delta": {"reasoning_content": t}}]})),
            |i, t| {
                data(
                    json!({"choices": [{"index": i, "delta": {"tool_calls": [{"index": i, "id": "call", "type": "function", "function": {"name": "f", "arguments": t}}]}}]}),
                )
            },
            |i, t| data(json!({"choices": [{"index": i, "delta": {"function_call": {"arguments": t}}}]})),
            |i, t| {
                data(
                    json!({"choices": [{"index": i, "delta": {"content": t}, "logprobs": {"content": [{"token": t, "bytes": t.as_bytes(), "logprob": -0.1, "top_logprobs": []}]}}]}),
                )
            },
            |i, t| data(json!({"choices": [{"index": i, "delta": {"content": t}, "finish_reason": "stop"}]})),
            |i, _| data(json!({"choices": [{"index": i, "delta": {}, "finish_reason": "length"}]})),
            |_, t| data(json!({"error": {"message": t, "type": "server_error"}})),
            |_, t| data(json!({"choices": [], "usage": {"prompt_tokens": 1}, "note": t})),
            |_, _| b"data: [DONE]\n\n".to_vec(),
            comment,
            text_data,
        ],
        Api::Completions => &[
            |i, t| {
                data(
                    json!({"id": "c", "object": "text_completion", "model": "m", "choices": [{"index": i, "text": t}]}),
                )
            },
            |i, t| data(json!({"choices": [{"index": i, "text": t, "finish_reason": null}]})),
            |i, t| {
                data(
                    json!({"choices": [{"index": i, "text": t, "logprobs": {"tokens": [t], "token_logprobs": [-0.1], "top_logprobs": [{}], "text_offset": [0]}}]}),
                )
            },
            |i, t| data(json!({"choices": [{"index": i, "text": t, "finish_reason": "stop"}]})),
            |i, _| data(json!({"choices": [{"index": i, "text": "", "finish_reason": "length"}]})),
            |_, t| data(json!({"error": {"message": t}})),
            |_, _| b"data: [DONE]\n\n".to_vec(),
            comment,
            text_data,
        ],
        Api::Anthropic => &[
            |_, t| {
                typed(
                    json!({"type": "message_start", "message": {"id": "m", "type": "message", "role": "assistant", "content": [], "stop_reason": null, "usage": {"output_tokens": 1}, "note": t}}),
                )
            },
            |i, t| {
                typed(json!({"type": "content_block_start", "index": i, "content_block": {"type": "text", "text": t}}))
            },
            |i, t| {
                typed(
                    json!({"type": "content_block_start", "index": i, "content_block": {"type": "tool_use", "id": "t", "name": "f", "input": {"k": t}}}),
                )
            },
            |i, t| {
                typed(
                    json!({"type": "content_block_start", "index": i, "content_block": {"type": "thinking", "thinking": t, "signature": ""}}),
                )
            },
            |i, t| {
                typed(json!({"type": "content_block_delta", "index": i, "delta": {"type": "text_delta", "text": t}}))
            },
            |i, t| {
                typed(
                    json!({"type": "content_block_delta", "index": i, "delta": {"type": "input_json_delta", "partial_json": t}}),
                )
            },
            |i, t| {
                typed(
                    json!({"type": "content_block_delta", "index": i, "delta": {"type": "thinking_delta", "thinking": t}}),
                )
            },
            |i, _| {
                typed(
                    json!({"type": "content_block_delta", "index": i, "delta": {"type": "signature_delta", "signature": "c2ln"}}),
                )
            },
            |i, _| typed(json!({"type": "content_block_stop", "index": i})),
            |_, t| {
                typed(
                    json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": t}, "usage": {"output_tokens": 5}}),
                )
            },
            |_, _| typed(json!({"type": "message_stop"})),
            |_, _| typed(json!({"type": "ping"})),
            |_, t| typed(json!({"type": "error", "error": {"type": "overloaded_error", "message": t}})),
            comment,
            text_data,
        ],
        Api::Responses => &[
            |_, t| {
                typed(
                    json!({"type": "response.created", "sequence_number": 0, "response": {"id": "r", "object": "response", "status": "in_progress", "output": [], "instructions": t}}),
                )
            },
            |i, _| {
                typed(
                    json!({"type": "response.output_item.added", "output_index": i, "item": {"id": "m", "type": "message", "role": "assistant", "content": []}}),
                )
            },
            |i, t| {
                typed(
                    json!({"type": "response.content_part.added", "output_index": i, "content_index": 0, "part": {"type": "output_text", "text": t, "annotations": []}}),
                )
            },
            |i, t| {
                typed(
                    json!({"type": "response.output_text.delta", "output_index": i, "content_index": 0, "delta": t, "logprobs": []}),
                )
            },
            |i, t| {
                typed(json!({"type": "response.output_text.done", "output_index": i, "content_index": 0, "text": t}))
            },
            |i, t| {
                typed(
                    json!({"type": "response.content_part.done", "output_index": i, "content_index": 0, "part": {"type": "output_text", "text": t}}),
                )
            },
            |i, t| {
                typed(
                    json!({"type": "response.output_item.done", "output_index": i, "item": {"id": "m", "type": "message", "content": [{"type": "output_text", "text": t}]}}),
                )
            },
            |i, t| {
                typed(
                    json!({"type": "response.output_item.added", "output_index": i, "item": {"id": "f", "type": "function_call", "name": "f", "arguments": t}}),
                )
            },
            |i, t| typed(json!({"type": "response.function_call_arguments.delta", "output_index": i, "delta": t})),
            |i, t| typed(json!({"type": "response.function_call_arguments.done", "output_index": i, "arguments": t})),
            |i, t| {
                typed(
                    json!({"type": "response.output_item.added", "output_index": i, "item": {"id": "rs", "type": "reasoning", "summary": [{"type": "summary_text", "text": t}]}}),
                )
            },
            |i, t| {
                typed(
                    json!({"type": "response.reasoning_summary_text.delta", "output_index": i, "summary_index": 0, "delta": t}),
                )
            },
            |i, t| typed(json!({"type": "response.refusal.delta", "output_index": i, "content_index": 0, "delta": t})),
            |_, t| {
                typed(
                    json!({"type": "response.completed", "response": {"id": "r", "status": "completed", "output": [{"type": "message", "content": [{"type": "output_text", "text": t}]}]}}),
                )
            },
            |_, t| typed(json!({"type": "error", "code": "server_error", "message": t})),
            comment,
            text_data,
        ],
    }
}

pub(super) const APIS: [Api; 4] = [Api::Chat, Api::Completions, Api::Responses, Api::Anthropic];

/// A plausible stream of the API: each template once, in order, with some text (seeds).
pub(super) fn sample_stream(api: Api) -> Vec<u8> {
    templates(api).iter().flat_map(|t| t(0, "Hello, here is the answer")).collect()
}

/// The same as ops, the key planted in every third text (which ones depends on `variant`),
/// then some raw bytes (seeds).
pub(super) fn sample_ops(api: Api, variant: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let text = b"Hello, here is the answer";
    for which in 0..templates(api).len() {
        out.push(which as u8);
        let plant = if (which + variant) % 3 == 0 { 0x80 } else { 0 };
        out.push(text.len() as u8 | plant);
        out.extend_from_slice(text);
    }
    out.push(templates(api).len() as u8);
    out.push(4);
    out.extend_from_slice(b"\r\n:x");
    out
}

/// The upstream body an input makes, and what the client gets (for looking at a finding).
pub(super) fn explain(api: Api, data: &[u8]) -> String {
    let input = Input::read(data);
    let Some((&mode, body)) = input.body.split_first() else { return String::new() };
    let (bytes, key) = if mode & 0x80 == 0 { (body.to_vec(), None) } else { built(api, data, body) };
    let pieces = Input { body: &bytes, ..input }.pieces();
    let out = through(api, policy(mode), true, &pieces);
    let mut shown = format!(
        "policy {:?}\nkey {key:?}\npieces {:?}\n--- upstream\n{}\n--- client\n{}",
        policy(mode),
        pieces.iter().map(|p| p.len()).collect::<Vec<_>>(),
        String::from_utf8_lossy(&bytes),
        String::from_utf8_lossy(&out)
    );
    if matches!(api, Api::Chat | Api::Completions) {
        let slow = through(api, policy(mode), false, &pieces);
        if slow != out {
            shown.push_str(&format!("\n--- client, tree path\n{}", String::from_utf8_lossy(&slow)));
        }
    }
    shown
}
