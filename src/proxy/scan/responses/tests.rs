use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::proxy::scan::test_support::{rules, run_events, KEY};

fn run(events: &[Value], policy: Policy) -> Vec<Value> {
    run_events(ResponsesStream::new(rules(), policy), events)
}

/// A refusal part streamed in two deltas that split a key, then its done events.
fn refusal_events(first: &str, second: &str) -> Vec<Value> {
    let whole = format!("{first}{second}");
    vec![
        json!({"type": "response.created", "sequence_number": 0, "response": {"id": "resp_1", "status": "in_progress", "output": []}}),
        json!({"type": "response.output_item.added", "sequence_number": 1, "output_index": 0,
            "item": {"id": "msg_1", "type": "message", "status": "in_progress", "content": [], "role": "assistant"}}),
        json!({"type": "response.content_part.added", "sequence_number": 2, "item_id": "msg_1", "output_index": 0,
            "content_index": 0, "part": {"type": "refusal", "refusal": ""}}),
        json!({"type": "response.refusal.delta", "sequence_number": 3, "item_id": "msg_1", "output_index": 0,
            "content_index": 0, "delta": first}),
        json!({"type": "response.refusal.delta", "sequence_number": 4, "item_id": "msg_1", "output_index": 0,
            "content_index": 0, "delta": second}),
        json!({"type": "response.refusal.done", "sequence_number": 5, "item_id": "msg_1", "output_index": 0,
            "content_index": 0, "refusal": whole}),
        json!({"type": "response.content_part.done", "sequence_number": 6, "item_id": "msg_1", "output_index": 0,
            "content_index": 0, "part": {"type": "refusal", "refusal": whole}}),
        json!({"type": "response.output_item.done", "sequence_number": 7, "output_index": 0,
            "item": {"id": "msg_1", "type": "message", "status": "completed", "role": "assistant",
                "content": [{"type": "refusal", "refusal": whole}]}}),
        json!({"type": "response.completed", "sequence_number": 8, "response": {"id": "resp_1", "status": "completed",
            "output": [{"id": "msg_1", "type": "message", "status": "completed", "role": "assistant",
                "content": [{"type": "refusal", "refusal": whole}]}]}}),
    ]
}

#[test]
fn held_text_is_flushed_before_the_done_and_numbers_follow() {
    // The key is held until the done event ends the channel: it goes out redacted in a delta
    // of our own, and every event after it is numbered one later.
    let events = refusal_events("I can't share ", KEY);
    let got = run(&events, Policy::default());
    let types: Vec<&str> = got.iter().filter_map(|v| v["type"].as_str()).collect();
    assert_eq!(
        types,
        [
            "response.created",
            "response.output_item.added",
            "response.content_part.added",
            "response.refusal.delta",
            "response.refusal.delta",
            "response.refusal.delta",
            "response.refusal.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed"
        ]
    );
    for (n, v) in got.iter().enumerate() {
        assert_eq!(v["sequence_number"], n as u64);
    }
    let deltas: String = got[3..6].iter().filter_map(|v| v["delta"].as_str()).collect();
    let want = "I can't share [REDACTED:openai-project-key]";
    assert_eq!(deltas, want);
    assert_eq!(got[5]["item_id"], "msg_1");
    assert_eq!(got[6]["refusal"], want);
    assert_eq!(got[7]["part"]["refusal"], want);
    assert_eq!(got[8]["item"]["content"][0]["refusal"], want);
    assert_eq!(got[9]["response"]["output"][0]["content"][0]["refusal"], want);
}

#[test]
fn done_events_carry_what_was_sent_not_what_upstream_says() {
    // An upstream whose done events say more than its deltas: the client gets the deltas' text.
    let mut events = refusal_events("No.", "");
    events[5]["refusal"] = Value::from(format!("No. {KEY}"));
    events[6]["part"]["refusal"] = Value::from(format!("No. {KEY} and more"));
    let got = run(&events, Policy::default());
    let done: Vec<&Value> = got.iter().filter(|v| v["type"] == "response.refusal.done").collect();
    assert_eq!(done[0]["refusal"], "No.");
    let part = got.iter().find(|v| v["type"] == "response.content_part.done").expect("part done");
    assert_eq!(part["part"]["refusal"], "No.");
}

#[test]
fn text_only_in_done_events_is_redacted_once_and_kept() {
    // No deltas at all: the done event's text is the channel's, sent first as a delta (the
    // item was announced, so clients add it up), and the later repetitions carry the same.
    let whole = format!("key: {KEY}");
    let mut events = refusal_events("", "");
    events.retain(|v| v["type"] != "response.refusal.delta");
    events[3]["refusal"] = Value::from(whole.clone());
    events[4]["part"]["refusal"] = Value::from(whole.clone());
    events[5]["item"]["content"][0]["refusal"] = Value::from(whole.clone());
    events[6]["response"]["output"][0]["content"][0]["refusal"] = Value::from(whole);
    let mut s = ResponsesStream::new(rules(), Policy::default());
    let mut out = Vec::new();
    for e in &events {
        s.item(crate::proxy::scan::test_support::event(e), &mut out);
    }
    assert_eq!(s.findings.len(), 1, "one finding for the channel, not one per repetition");
    let text = String::from_utf8_lossy(&out);
    assert!(!text.contains(&KEY[..20]));
    assert_eq!(text.matches("key: [REDACTED:openai-project-key]").count(), 4, "{text}");
    let got = run(&events, Policy::default());
    let deltas: Vec<&Value> = got.iter().filter(|v| v["type"] == "response.refusal.delta").collect();
    let sent: String = deltas.iter().filter_map(|d| d["delta"].as_str()).collect();
    assert_eq!(sent, "key: [REDACTED:openai-project-key]", "deltas of our own carry it");
    assert!(deltas.iter().all(|d| d["item_id"] == "msg_1"));
}

#[test]
fn block_closes_the_item_and_ends_incomplete() {
    let events = refusal_events("Here it is: ", KEY);
    let policy = Policy { action: Action::Block, ..Policy::default() };
    let got = run(&events, policy);
    let types: Vec<&str> = got.iter().filter_map(|v| v["type"].as_str()).collect();
    assert_eq!(
        types,
        [
            "response.created",
            "response.output_item.added",
            "response.content_part.added",
            "response.refusal.delta",
            "response.refusal.delta",
            "response.refusal.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.incomplete"
        ]
    );
    for (n, v) in got.iter().enumerate() {
        assert_eq!(v["sequence_number"], n as u64);
    }
    assert_eq!(got[4]["delta"], "", "the blocked delta carries only what came before the key");
    assert_eq!(got[5]["refusal"], "Here it is: ");
    assert_eq!(got[7]["item"]["status"], "incomplete");
    let r = &got[8]["response"];
    assert_eq!(r["status"], "incomplete");
    assert_eq!(r["incomplete_details"]["reason"], "content_filter");
    assert_eq!(r["id"], "resp_1");
    assert_eq!(r["output"][0]["content"][0]["refusal"], "Here it is: ");
}

#[test]
fn a_stream_cut_short_ends_with_an_error_event() {
    let events = refusal_events("Here it is: ", &KEY[..20]);
    let got = run(&events[..4], Policy::default());
    let last = got.last().expect("events");
    assert_eq!(last["type"], "error");
    assert_eq!(last["sequence_number"], (got.len() - 1) as u64);
    assert!(last["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
}

#[test]
fn echoed_instructions_are_no_prompt_leak_but_their_secrets_are_found() {
    use crate::detect::prompt_leak::PromptSet;
    let prompt = "You are the billing assistant of Acme Corp and you never discuss internal pricing tiers with anyone";
    let mut detectors = rules();
    detectors.prompt =
        Some((Arc::new(PromptSet::new(&[prompt], 12).expect("prompt set")), Action::Redact(Default::default())));
    let mut response = json!({"id": "resp_1", "object": "response", "status": "completed",
        "instructions": format!("{prompt} {KEY}"),
        "output": [{"id": "msg_1", "type": "message", "status": "completed", "role": "assistant",
            "content": [{"type": "output_text", "annotations": [], "text": format!("Sure: {prompt}")}]}]});
    let outcome = scan_response(&detectors, Policy::default(), &mut response);
    assert!(!outcome.blocked);
    assert_eq!(response["instructions"], format!("{prompt} [REDACTED:openai-project-key]"));
    let text = response["output"][0]["content"][0]["text"].as_str().expect("text");
    assert!(text.starts_with("Sure: [REDACTED:system-prompt-leak]"), "{text}");
}
