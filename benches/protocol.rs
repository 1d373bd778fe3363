//! The protocol adapters on the same answer: 200 KB of prose cut into 3–5 character deltas,
//! wrapped as a Chat Completions stream, an Anthropic Messages stream and a Responses stream
//! (each in its own wire format), and run through `ChatStream`, `MessagesStream` and
//! `ResponsesStream` — SSE decoding, JSON, a redactor per channel, re-encoding — as the proxy
//! does, without sockets.
//!
//! Baseline in the same run: `decode_only` (the SSE decoder over the same bytes, events
//! dropped). Report each adapter's time per event, and its ratio to the baseline and to
//! `chat`.
//!
//! `cargo bench --bench protocol`; `SECRETGATE_BENCH_KB` sets the text size (default 200).

use std::sync::OnceLock;

use divan::{black_box, counter::ItemsCount, Bencher};
use secretgate::{
    corpus,
    protocol::{openai::Api, sse},
    proxy::scan::{ChatStream, Flow, MessagesStream, ResponsesStream},
    stream::Policy,
};
use serde_json::json;

mod support;

use support::rules;

fn main() {
    divan::main();
}

fn deltas() -> &'static [String] {
    static DELTAS: OnceLock<Vec<String>> = OnceLock::new();
    DELTAS.get_or_init(|| {
        let kb = std::env::var("SECRETGATE_BENCH_KB").ok().and_then(|v| v.parse().ok()).unwrap_or(200usize);
        let text = corpus::prose(1, kb * 1000);
        let mut rng = corpus::Rng::new(7);
        let mut out = Vec::new();
        let mut rest = text.as_str();
        while !rest.is_empty() {
            let n = 3 + rng.below(3);
            let cut = rest.char_indices().nth(n).map_or(rest.len(), |(i, _)| i);
            let (d, tail) = rest.split_at(cut);
            out.push(d.to_owned());
            rest = tail;
        }
        out
    })
}

fn push(out: &mut Vec<u8>, name: Option<&str>, data: &serde_json::Value) {
    if let Some(name) = name {
        out.extend_from_slice(format!("event: {name}\n").as_bytes());
    }
    out.extend_from_slice(format!("data: {data}\n\n").as_bytes());
}

fn chat_body() -> &'static [u8] {
    static BODY: OnceLock<Vec<u8>> = OnceLock::new();
    BODY.get_or_init(|| {
        let mut out = Vec::new();
        let env = |delta: serde_json::Value, finish: serde_json::Value| {
            json!({"id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT", "object": "chat.completion.chunk", "created": 1741569952,
                "model": "gpt-4o-2024-08-06", "service_tier": "default", "system_fingerprint": "fp_f9f4fb6dbf",
                "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]})
        };
        push(&mut out, None, &env(json!({"role": "assistant", "content": "", "refusal": null}), json!(null)));
        for d in deltas() {
            push(&mut out, None, &env(json!({"content": d}), json!(null)));
        }
        push(&mut out, None, &env(json!({}), json!("stop")));
        out.extend_from_slice(b"data: [DONE]\n\n");
        out
    })
}

fn messages_body() -> &'static [u8] {
    static BODY: OnceLock<Vec<u8>> = OnceLock::new();
    BODY.get_or_init(|| {
        let mut out = Vec::new();
        push(&mut out, Some("message_start"), &json!({"type": "message_start", "message": {"id": "msg_01XFDUDYJgAACzvnptvVoYEL",
            "type": "message", "role": "assistant", "model": "claude-sonnet-4-5", "content": [], "stop_reason": null,
            "stop_sequence": null, "usage": {"input_tokens": 472, "output_tokens": 2}}}));
        push(&mut out, Some("content_block_start"), &json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}));
        for d in deltas() {
            push(&mut out, Some("content_block_delta"), &json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": d}}));
        }
        push(&mut out, Some("content_block_stop"), &json!({"type": "content_block_stop", "index": 0}));
        push(&mut out, Some("message_delta"), &json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": 89}}));
        push(&mut out, Some("message_stop"), &json!({"type": "message_stop"}));
        out
    })
}

fn responses_body() -> &'static [u8] {
    static BODY: OnceLock<Vec<u8>> = OnceLock::new();
    BODY.get_or_init(|| {
        let mut out = Vec::new();
        let mut seq = 0;
        let mut ev = |out: &mut Vec<u8>, mut v: serde_json::Value| {
            let name = v["type"].as_str().unwrap_or("").to_owned();
            v["sequence_number"] = json!(seq);
            seq += 1;
            push(out, Some(&name), &v);
        };
        let id = "msg_68af4033c5d48193b0a5c2e1f9d8b7a60ab8b1e0c0d1e2f3";
        let resp = |status: &str, output: serde_json::Value| {
            json!({"id": "resp_68af4030592c81938ec0a5fbab4a3e9f", "object": "response", "created_at": 1756315696,
                "status": status, "model": "gpt-5-2025-08-07", "output": output, "instructions": null, "usage": null})
        };
        ev(&mut out, json!({"type": "response.created", "response": resp("in_progress", json!([]))}));
        ev(&mut out, json!({"type": "response.output_item.added", "output_index": 0,
            "item": {"id": id, "type": "message", "status": "in_progress", "content": [], "role": "assistant"}}));
        ev(&mut out, json!({"type": "response.content_part.added", "item_id": id, "output_index": 0, "content_index": 0,
            "part": {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}}));
        for d in deltas() {
            ev(&mut out, json!({"type": "response.output_text.delta", "item_id": id, "output_index": 0, "content_index": 0,
                "delta": d, "logprobs": [], "obfuscation": "Xb3q"}));
        }
        let text = deltas().concat();
        let part = json!({"type": "output_text", "annotations": [], "logprobs": [], "text": text});
        ev(&mut out, json!({"type": "response.output_text.done", "item_id": id, "output_index": 0, "content_index": 0, "text": text, "logprobs": []}));
        ev(&mut out, json!({"type": "response.content_part.done", "item_id": id, "output_index": 0, "content_index": 0, "part": part}));
        let item = json!({"id": id, "type": "message", "status": "completed", "content": [part], "role": "assistant"});
        ev(&mut out, json!({"type": "response.output_item.done", "output_index": 0, "item": item}));
        ev(&mut out, json!({"type": "response.completed", "response": resp("completed", json!([item]))}));
        out
    })
}

/// The body in network-sized reads.
fn reads(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    body.chunks(1400)
}

fn events() -> usize {
    deltas().len()
}

/// Runs `body` through an adapter's `item` (and `end`); returns the bytes written.
fn drive(body: &[u8], mut item: impl FnMut(sse::Item, &mut Vec<u8>) -> Flow) -> usize {
    let mut d = sse::Decoder::default();
    let mut out = Vec::new();
    let mut total = 0;
    for r in reads(body) {
        d.push(r);
        while let Ok(Some(i)) = d.next_item() {
            item(i, &mut out);
        }
        total += out.len();
        out.clear();
    }
    total
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn decode_only(bencher: Bencher) {
    let body = responses_body();
    bencher.counter(ItemsCount::new(events())).bench_local(|| {
        drive(black_box(body), |i, _| {
            black_box(i);
            Flow::Continue
        })
    });
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn chat(bencher: Bencher) {
    let body = chat_body();
    bencher.counter(ItemsCount::new(events())).bench_local(|| {
        let mut s = ChatStream::new(Api::Chat, rules(), Policy::default());
        drive(black_box(body), |i, out| s.item(i, out))
    });
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn messages(bencher: Bencher) {
    let body = messages_body();
    bencher.counter(ItemsCount::new(events())).bench_local(|| {
        let mut s = MessagesStream::new(rules(), Policy::default());
        drive(black_box(body), |i, out| s.item(i, out))
    });
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn responses(bencher: Bencher) {
    let body = responses_body();
    bencher.counter(ItemsCount::new(events())).bench_local(|| {
        let mut s = ResponsesStream::new(rules(), Policy::default());
        drive(black_box(body), |i, out| s.item(i, out))
    });
}
