//! `proxy::scan::ChatStream` over whole streams in OpenAI's wire format, cut at random byte
//! positions: what a client assembles equals the one-shot redaction of each channel, and
//! every other field and event stays as it was, in order. Pure (no sockets): many cases.

use secretgate::{
    corpus::{self, Rng},
    protocol::{openai::Api, sse},
    proxy::scan::{ChatStream, Flow},
    stream::{Action, Policy},
};
use serde_json::Value;

use crate::support::{assemble, broken_stream, chat_stream, deltas, fragment, redacted, rules, ChoiceScript};

/// Runs `body` through a `ChatStream` in the given fragments; returns the client's bytes.
fn through(fragments: &[Vec<u8>], policy: Policy) -> Vec<u8> {
    let (fast, hits) = through_with(fragments, ChatStream::new(Api::Chat, rules(), policy));
    let (tree, none) = through_with(fragments, ChatStream::new(Api::Chat, rules(), policy).without_fast_path());
    assert_eq!(none, 0);
    assert!(fast == tree, "the fast path wrote other bytes than the tree path");
    // Every fixture stream has plain delta chunks (those without logprobs): some must have
    // taken the fast path, or the comparison above compared the tree path with itself.
    let events = fast.windows(2).filter(|w| w == b"\n\n").count();
    assert!(events < 8 || hits > 0, "the fast path took none of {events} events");
    fast
}

fn through_with(fragments: &[Vec<u8>], mut chat: ChatStream) -> (Vec<u8>, usize) {
    let mut d = sse::Decoder::default();
    let mut out = Vec::new();
    let mut stopped = false;
    'outer: for f in fragments {
        d.push(f);
        while let Some(item) = d.next_item().expect("decodes") {
            if chat.item(item, &mut out) == Flow::Stop {
                stopped = true;
                break 'outer;
            }
        }
    }
    if !stopped {
        d.finish().expect("the upstream stream ends on an event");
    }
    chat.end(&mut out);
    (out, chat.fast_hits())
}

/// A chunk without its text: channel strings, tool-call arguments and logprobs removed, and
/// whatever only held them (a `tool_calls` entry with nothing else) dropped.
fn skeleton(mut v: Value) -> Value {
    if let Some(choices) = v.get_mut("choices").and_then(Value::as_array_mut) {
        for c in choices {
            let Some(c) = c.as_object_mut() else { continue };
            c.remove("logprobs");
            let Some(d) = c.get_mut("delta").and_then(Value::as_object_mut) else { continue };
            for k in ["content", "refusal", "reasoning_content"] {
                if d.get(k).is_some_and(Value::is_string) {
                    d.remove(k);
                }
            }
            if let Some(calls) = d.get_mut("tool_calls").and_then(Value::as_array_mut) {
                for call in calls.iter_mut() {
                    if let Some(f) = call.get_mut("function").and_then(Value::as_object_mut) {
                        f.remove("arguments");
                    }
                }
                calls.retain(|call| {
                    call.as_object().is_some_and(|o| o.keys().any(|k| k != "index" && k != "function"))
                        || call["function"].as_object().is_some_and(|f| !f.is_empty())
                });
                if calls.is_empty() {
                    d.remove("tool_calls");
                }
            }
        }
    }
    v
}

fn events(body: &[u8]) -> Vec<Value> {
    assemble(body).1
}

fn cases() -> usize {
    std::env::var("SECRETGATE_PROXY_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(120)
}

#[test]
fn any_fragmentation_releases_the_one_shot_redaction() {
    let docs = {
        let c = corpus::generate(11, cases(), cases() / 4);
        c.positives.into_iter().chain(c.negatives).collect::<Vec<_>>()
    };
    let mut rng = Rng::new(5);
    for (n, doc) in docs.iter().enumerate() {
        // Choice 0 speaks the document (with logprobs); choice 1 calls a tool whose arguments
        // carry the next document as a JSON string.
        let other = &docs[(n + 1) % docs.len()].text;
        let args = serde_json::json!({ "note": other }).to_string();
        let script = [
            ChoiceScript {
                content: deltas(&doc.text, &mut rng, 6),
                logprobs: true,
                finish_reason: "stop",
                ..Default::default()
            },
            ChoiceScript {
                content: deltas("Calling the tool.", &mut rng, 4),
                tools: vec![("save_note".into(), deltas(&args, &mut rng, 8))],
                finish_reason: "tool_calls",
                ..Default::default()
            },
        ];
        let body = chat_stream(&script, n % 2 == 0);
        let max = 1 + rng.below(60);
        let out = through(&fragment(&body, &mut rng, max), Policy::default());
        let (choices, chunks, done) = assemble(&out);
        assert!(done, "doc {n}: [DONE] forwarded");
        assert_eq!(choices[0].content, redacted(&doc.text), "doc {n}: choice 0 content");
        assert_eq!(choices[1].tools[0].1, redacted(&args), "doc {n}: tool arguments");
        assert_eq!(choices[1].tools[0].0, "save_note");
        assert_eq!(choices[0].finish_reason.as_deref(), Some("stop"));
        assert_eq!(choices[1].finish_reason.as_deref(), Some("tool_calls"));
        // Logprobs: tokens never cover a secret, and all others arrive in order.
        for p in &doc.planted {
            let secret = &doc.text[p.start..p.end];
            assert!(!choices[0].logprob_text.contains(secret), "doc {n}: a logprobs token carries {}", p.kind);
        }
        if doc.planted.is_empty() {
            assert_eq!(choices[0].logprob_text, doc.text, "doc {n}: logprobs of text without secrets");
        }
        // Everything but the text: the same events, in the same order.
        let original = events(&body);
        assert_eq!(chunks.len(), original.len(), "doc {n}: event count");
        for (i, (a, b)) in chunks.into_iter().zip(original).enumerate() {
            assert_eq!(skeleton(a), skeleton(b), "doc {n}: event {i} differs outside the text");
        }
    }
}

#[test]
fn unchanged_events_are_forwarded_byte_for_byte() {
    // Deltas that end words: nothing is held back, so no event needs rewriting.
    let script = [ChoiceScript {
        content: vec!["Hello, ".into(), "world. ".into()],
        finish_reason: "stop",
        ..Default::default()
    }];
    let mut body = chat_stream(&script, true);
    body.splice(0..0, b": ping\n\n".iter().copied());
    let out = through(&[body.clone()], Policy::default());
    assert_eq!(String::from_utf8(out).expect("utf8"), String::from_utf8(body).expect("utf8"));
}

#[test]
fn block_ends_the_stream_before_the_secret() {
    let policy = Policy { action: Action::Block, ..Policy::default() };
    let docs: Vec<_> = corpus::generate(12, 40, 0).positives.into_iter().filter(|d| !d.planted.is_empty()).collect();
    let mut rng = Rng::new(9);
    for (n, doc) in docs.iter().enumerate() {
        let script = [
            ChoiceScript {
                content: deltas(&doc.text, &mut rng, 5),
                logprobs: true,
                finish_reason: "stop",
                ..Default::default()
            },
            ChoiceScript {
                content: deltas("a second answer", &mut rng, 3),
                finish_reason: "stop",
                ..Default::default()
            },
        ];
        let body = chat_stream(&script, true);
        let out = through(&fragment(&body, &mut rng, 30), policy);
        let (choices, chunks, done) = assemble(&out);
        assert!(done, "doc {n}: [DONE] after the block");
        let first = rules().scan(doc.text.as_bytes())[0].secret.start;
        assert_eq!(choices[0].content, doc.text[..first], "doc {n}: released exactly the text before the secret");
        assert_eq!(choices[0].finish_reason.as_deref(), Some("content_filter"), "doc {n}");
        assert!(choices[0].logprob_text.len() <= first, "doc {n}: no logprobs past the secret");
        let last = chunks.last().expect("chunks");
        assert!(last["choices"].as_array().is_some_and(|c| c.iter().all(|c| c["finish_reason"] == "content_filter")));
        let text = String::from_utf8_lossy(&out);
        for p in &doc.planted {
            let secret = &doc.text[p.start..p.end];
            for piece in secret.as_bytes().windows(12.min(secret.len())) {
                assert!(
                    !text.contains(std::str::from_utf8(piece).unwrap_or("\u{0}")),
                    "doc {n}: part of {} released",
                    p.kind
                );
            }
        }
    }
}

#[test]
fn a_stream_cut_short_ends_with_an_error_and_releases_no_held_text() {
    let secret = "sk-proj-7ku8dr1aRNQPTDZTe1tzT3BlbkFJjD7yqHBEReY65dHmyWR2";
    let text = format!("the key is {secret}");
    let mut rng = Rng::new(3);
    // Cut inside the secret: no finish chunk, no [DONE].
    let body = broken_stream(&text, text.len() - 10, &mut rng);
    let out = through(&fragment(&body, &mut rng, 11), Policy::default());
    let (choices, chunks, done) = assemble(&out);
    assert!(!done);
    assert!(chunks.last().is_some_and(|c| c["error"]["type"] == "upstream_error"), "ends with an error event");
    assert!(!String::from_utf8_lossy(&out).contains("sk-proj-7ku8"), "held text is dropped");
    assert!(choices[0].content.starts_with("the key is"));
}

#[test]
fn reasoning_refusal_and_non_json_events_are_scanned() {
    let secret = "sk-proj-7ku8dr1aRNQPTDZTe1tzT3BlbkFJjD7yqHBEReY65dHmyWR2";
    let mut rng = Rng::new(4);
    let thought = format!("the env has OPENAI_API_KEY={secret} in it");
    let refusal = format!("I won't print {secret}.");
    let script = [ChoiceScript {
        reasoning: deltas(&thought, &mut rng, 3),
        refusal: deltas(&refusal, &mut rng, 3),
        finish_reason: "stop",
        ..Default::default()
    }];
    let mut body = chat_stream(&script, false);
    body.splice(0..0, format!(": keep-alive\n\nevent: note\ndata: plain text {secret}\n\n").into_bytes());
    let out = through(&fragment(&body, &mut rng, 7), Policy::default());
    let text = String::from_utf8_lossy(&out);
    assert!(!text.contains(secret));
    assert!(text.starts_with(": keep-alive\n\nevent: note\ndata: plain text [REDACTED:openai-project-key]\n\n"));
    let (choices, _, done) = assemble(&out);
    assert!(done);
    assert_eq!(choices[0].reasoning, redacted(&thought));
    assert_eq!(choices[0].refusal, redacted(&refusal));
}

/// Other servers' dialects: llama.cpp puts `choices` first, sends content in the chunk that
/// carries `finish_reason` and `timings` after it, and may end without `[DONE]`; vLLM sends
/// `content: null` deltas; a server that never sends `finish_reason` ends with `[DONE]` alone.
#[test]
fn other_servers_dialects_are_scanned_the_same() {
    let key = "sk-proj-7ku8dr1aRNQPTDZTe1tzT3BlbkFJjD7yqHBEReY65dHmyWR2";
    let text = format!("Here: {key} done");
    let mut rng = Rng::new(12);
    let parts = deltas(&text, &mut rng, 4);
    let (last, rest) = parts.split_last().expect("deltas");
    let chunk = |content: Option<&str>, finish: Option<&str>| {
        let delta = match content {
            Some(c) => serde_json::json!({ "content": c }),
            None => serde_json::json!({ "content": null }),
        };
        serde_json::json!({
            "choices": [{ "finish_reason": finish, "index": 0, "delta": delta }],
            "created": 1_764_400_000, "id": "chatcmpl-llama", "model": "qwen2.5-7b",
            "system_fingerprint": "b4567-abc", "object": "chat.completion.chunk",
        })
    };
    // llama.cpp: last content and finish_reason together, timings after, no [DONE].
    let mut llama = String::new();
    llama.push_str(&format!("data: {}\n\n", chunk(None, None)));
    for p in rest {
        llama.push_str(&format!("data: {}\n\n", chunk(Some(p), None)));
    }
    let mut fin = chunk(Some(last), Some("stop"));
    fin["timings"] = serde_json::json!({ "predicted_n": 12, "predicted_ms": 80.5 });
    llama.push_str(&format!("data: {fin}\n\n"));
    let out = through(&fragment(llama.as_bytes(), &mut rng, 13), Policy::default());
    let (choices, chunks, done) = assemble(&out);
    assert!(!done, "nothing added at the end");
    assert_eq!(choices[0].content, redacted(&text));
    assert_eq!(choices[0].finish_reason.as_deref(), Some("stop"));
    assert!(chunks.last().is_some_and(|c| c["timings"]["predicted_n"] == 12));
    assert!(chunks.iter().all(|c| c.get("error").is_none()), "a complete answer is not an error");

    // No finish_reason at all: held text goes out in a chunk of our own before [DONE].
    let mut bare = String::new();
    for p in &parts {
        bare.push_str(&format!("data: {}\n\n", chunk(Some(p), None)));
    }
    bare.push_str("data: [DONE]\n\n");
    let out = through(&fragment(bare.as_bytes(), &mut rng, 9), Policy::default());
    let (choices, _, done) = assemble(&out);
    assert!(done);
    assert_eq!(choices[0].content, redacted(&text));
}

/// Whatever the upstream sends — truncated JSON, stray bytes, odd events — the scanner does
/// not panic, and what it writes decodes as an event stream.
#[test]
fn arbitrary_upstream_bytes_never_panic() {
    let mut rng = Rng::new(77);
    let pieces: &[&[u8]] = &[
        b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"sk-proj-",
        b"7ku8dr1aRNQPTDZTe1tzT3BlbkFJjD7yqHBEReY65dHmyWR2\"}}]}\n\n",
        b"data: {\"choices\":[{\"index\":1,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"k\\\":\"}}]}}]}\n\n",
        b"data: {\"choices\":[{\"index\":0,\"logprobs\":{\"content\":[{\"token\":\"x\",\"bytes\":[120]}]},\"delta\":{\"content\":\"x\"},\"finish_reason\":\"stop\"}]}\n\n",
        b"data: [DONE]\n\n", b": ping\r\n\r\n", b"event: error\ndata: {\"error\":{\"message\":\"boom\"}}\n\n",
        b"data: {\"choices\":[{\"index\":\"zero\",\"delta\":[]}]}\n\n", b"data: {\"choices\":null}\n\n", b"data: not json\n\n",
        b"\r", b"\n", b"{", b"}", b"\"", b"\\", b"\xff", b"data:", b"\xe4\xb8", b"\xad",
    ];
    for _ in 0..300 {
        let mut body = Vec::new();
        for _ in 0..rng.below(12) {
            body.extend_from_slice(pieces[rng.below(pieces.len())]);
        }
        let mut d = sse::Decoder::default();
        let mut chat = ChatStream::new(Api::Chat, rules(), Policy::default());
        let mut out = Vec::new();
        'feed: for f in fragment(&body, &mut rng, 7) {
            d.push(&f);
            loop {
                match d.next_item() {
                    Ok(Some(item)) => {
                        if chat.item(item, &mut out) == Flow::Stop {
                            break 'feed;
                        }
                    }
                    Ok(None) => break,
                    Err(_) => {
                        chat.fail("malformed", &mut out);
                        break 'feed;
                    }
                }
            }
        }
        chat.end(&mut out);
        let mut check = sse::Decoder::default();
        check.push(&out);
        while let Some(_item) = check.next_item().expect("the output is a well-formed event stream") {}
        let key = "sk-proj-7ku8dr1aRNQPTDZTe1tzT3BlbkFJjD7yqHBEReY65dHmyWR2";
        assert!(!String::from_utf8_lossy(&out).contains(key), "a whole key was released");
    }
}
