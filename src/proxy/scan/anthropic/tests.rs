use serde_json::json;

use super::*;
use crate::proxy::scan::test_support::{rules, run_events, KEY};

fn run(events: &[Value], policy: Policy) -> Vec<Value> {
    run_events(MessagesStream::new(rules(), policy), events)
}

fn text_of(events: &[Value], index: u64) -> String {
    let mut t = String::new();
    for e in events.iter().filter(|e| e["index"] == index) {
        t.push_str(e["content_block"]["text"].as_str().unwrap_or(""));
        t.push_str(e["delta"]["text"].as_str().unwrap_or(""));
    }
    t
}

fn fixture(text: &[&str]) -> Vec<Value> {
    let mut v = vec![
        json!({"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant", "content": [], "model": "claude-sonnet-4-5", "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 12, "output_tokens": 1}}}),
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
    ];
    for t in text {
        v.push(json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": t}}));
    }
    v.push(json!({"type": "content_block_stop", "index": 0}));
    v.push(json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": 30}}));
    v.push(json!({"type": "message_stop"}));
    v
}

#[test]
fn held_text_is_flushed_just_before_the_blocks_stop() {
    // The key ends the text: the redactor holds it until the block ends.
    let got = run(&fixture(&["key: ", &KEY[..20], &KEY[20..]]), Policy::default());
    let stop = got.iter().position(|e| e["type"] == "content_block_stop").expect("stop");
    assert_eq!(got[stop - 1]["delta"]["type"], "text_delta");
    assert_eq!(text_of(&got, 0), "key: [REDACTED:openai-project-key]");
    assert_eq!(got.last().expect("events")["type"], "message_stop");
}

#[test]
fn block_ends_with_a_refusal() {
    let got = run(
        &fixture(&["Here: ", &KEY[..10], &KEY[10..], " done"]),
        Policy { action: Action::Block, ..Policy::default() },
    );
    let types: Vec<&str> = got.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(&types[types.len() - 3..], ["content_block_stop", "message_delta", "message_stop"]);
    assert_eq!(types.iter().filter(|t| **t == "content_block_stop").count(), 1);
    let delta = &got[got.len() - 2];
    assert_eq!(delta["delta"]["stop_reason"], "refusal");
    assert_eq!(delta["usage"]["output_tokens"], 1);
    assert_eq!(text_of(&got, 0), "Here: ");
}

#[test]
fn signatures_pass_untouched_and_unknown_events_are_scanned() {
    let signature = format!("EqQBCkgIARABGAIiQL{KEY}");
    let mut events = fixture(&["ok"]);
    events.insert(2, json!({"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": signature}}));
    events.insert(3, json!({"type": "brand_new", "note": format!("leak {KEY}")}));
    let got = run(&events, Policy::default());
    assert_eq!(got[2]["delta"]["signature"], signature.as_str());
    assert_eq!(got[3]["note"], "leak [REDACTED:openai-project-key]");
}

#[test]
fn a_broken_stream_ends_with_an_error_event() {
    let mut events = fixture(&["partial ", &KEY[..15]]);
    events.truncate(4);
    let got = run(&events, Policy::default());
    let last = got.last().expect("events");
    assert_eq!(last["type"], "error");
    assert_eq!(last["error"]["type"], "api_error");
    assert!(!got.iter().any(|e| e.to_string().contains(&KEY[..12])));
}

#[test]
fn whole_messages_are_redacted_or_cut() {
    let message = json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [
            {"type": "thinking", "thinking": format!("the key is {KEY}"), "signature": "EqQBCkgIARAB"},
            {"type": "text", "text": format!("Use {KEY}.")},
            {"type": "tool_use", "id": "toolu_1", "name": "write_file", "input": {"path": ".env", "content": format!("OPENAI_API_KEY={KEY}")}}
        ],
        "stop_reason": "tool_use", "stop_sequence": null, "usage": {"input_tokens": 3, "output_tokens": 9}});
    let mut m = message.clone();
    let outcome = scan_message(&rules(), Policy::default(), &mut m);
    assert_eq!(outcome.findings.len(), 3);
    assert!(!m.to_string().contains(&KEY[..12]));
    assert_eq!(m["content"][0]["signature"], "EqQBCkgIARAB");
    assert_eq!(m["content"][1]["text"], "Use [REDACTED:openai-project-key].");
    assert_eq!(m["content"][2]["input"]["path"], ".env");
    assert_eq!(m["stop_reason"], "tool_use");
    let locations: Vec<&str> = outcome.findings.iter().map(|f| f.location.as_str()).collect();
    assert_eq!(locations, ["content[0].thinking", "content[1].text", "content[2].input"]);

    let mut m = message.clone();
    m["content"][0]["thinking"] = json!("plain");
    let outcome = scan_message(&rules(), Policy { action: Action::Block, ..Policy::default() }, &mut m);
    assert!(outcome.blocked);
    assert_eq!(m["content"].as_array().map(Vec::len), Some(2), "blocks after the secret go");
    assert_eq!(m["content"][1]["text"], "Use ");
    assert_eq!(m["stop_reason"], "refusal");
}
