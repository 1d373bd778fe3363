use serde_json::json;

use super::*;

#[test]
fn event_types_come_from_the_json_type_or_the_event_name() {
    let cases = [
        (json!({"type": "message_start"}), None, EventType::MessageStart),
        (json!({"type": "content_block_start"}), None, EventType::ContentBlockStart),
        (json!({"type": "content_block_delta"}), Some("ping"), EventType::ContentBlockDelta),
        (json!({"type": "content_block_stop"}), None, EventType::ContentBlockStop),
        (json!({"type": "message_delta"}), None, EventType::MessageDelta),
        (json!({"type": "message_stop"}), None, EventType::MessageStop),
        (json!({}), Some("ping"), EventType::Ping),
        (json!({"type": "error"}), None, EventType::Error),
        (json!({"type": "brand_new_event"}), Some("message_stop"), EventType::Other),
        (json!([1, 2]), None, EventType::Other),
    ];
    for (value, name, want) in cases {
        assert_eq!(EventType::of(&value, name), want, "{value} {name:?}");
    }
}

#[test]
fn delta_text_is_found_per_delta_type() {
    let cases = [
        (json!({"delta": {"type": "text_delta", "text": "a"}}), Some((TextKind::Text, "a"))),
        (json!({"delta": {"type": "input_json_delta", "partial_json": "{\"k"}}), Some((TextKind::InputJson, "{\"k"))),
        (json!({"delta": {"type": "thinking_delta", "thinking": "hmm"}}), Some((TextKind::Thinking, "hmm"))),
        (json!({"delta": {"type": "signature_delta", "signature": "EqQB"}}), None),
        (json!({"delta": {"type": "citations_delta", "citation": {"cited_text": "x"}}}), None),
        (json!({"delta": {"type": "text_delta", "text": 5}}), None),
        (json!({"delta": "text"}), None),
    ];
    for (mut value, want) in cases {
        let got = delta_text_mut(&mut value).map(|(k, s)| (k, s.clone()));
        assert_eq!(got, want.map(|(k, s)| (k, s.to_owned())), "{value}");
    }
}

#[test]
fn blocks_have_one_text_or_an_input() {
    let mut text = json!({"type": "text", "text": "hello", "citations": null});
    assert_eq!(block_text_mut(&mut text).map(|(k, s)| (k, s.clone())), Some((TextKind::Text, "hello".to_owned())));
    assert!(block_input_mut(&mut text).is_none());
    let mut thinking = json!({"type": "thinking", "thinking": "so", "signature": "EqQB"});
    assert_eq!(block_text_mut(&mut thinking).map(|(k, _)| k), Some(TextKind::Thinking));
    let mut tool = json!({"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": "b"}});
    assert!(block_text_mut(&mut tool).is_none());
    assert_eq!(block_input_mut(&mut tool).cloned(), Some(json!({"a": "b"})));
    let mut server = json!({"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}});
    assert!(block_input_mut(&mut server).is_some());
    let mut image = json!({"type": "image", "source": {}});
    assert!(block_text_mut(&mut image).is_none() && block_input_mut(&mut image).is_none());
    assert_eq!(Channel { index: 2, kind: TextKind::InputJson }.to_string(), "content[2].input");
    assert_eq!(Channel { index: 0, kind: TextKind::Thinking }.to_string(), "content[0].thinking");
}

#[test]
fn opaque_fields_are_taken_and_put_back_in_place() {
    let mut block = json!({"type": "thinking", "thinking": "", "signature": "EqQBCkgIARABGAIiQL", "extra": 1});
    let before = block.to_string();
    let taken = take_opaque(&mut block);
    assert_eq!(block["signature"], Value::Null);
    put_opaque(&mut block, taken);
    assert_eq!(block.to_string(), before, "same value, same key order");
    let mut redacted = json!({"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix"});
    assert_eq!(take_opaque(&mut redacted).map(|(k, _)| k), Some("data"));
    let mut delta = json!({"type": "signature_delta", "signature": "EqQB"});
    assert_eq!(take_opaque(&mut delta).map(|(k, _)| k), Some("signature"));
    let mut text = json!({"type": "text", "text": "x", "signature": "not opaque here"});
    assert!(take_opaque(&mut text).is_none());
}

#[test]
fn written_events_are_in_the_wire_format() {
    let mut out = Vec::new();
    encode(&delta_event(3, TextKind::InputJson, "\"}"), &mut out);
    encode(&block_stop_event(3), &mut out);
    encode(&refusal_delta_event(17), &mut out);
    encode(&message_stop_event(), &mut out);
    assert_eq!(
        String::from_utf8(out).expect("utf8"),
        concat!(
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":3,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\\\"}\"}}\n\n",
            "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":3}\n\n",
            "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"refusal\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":17}}\n\n",
            "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
        )
    );
}

#[test]
fn usage_and_stop_reason() {
    let start = json!({"type": "message_start", "message": {"usage": {"input_tokens": 9, "output_tokens": 1}}});
    assert_eq!(output_tokens(&start), Some(1));
    let delta = json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 42}});
    assert_eq!(output_tokens(&delta), Some(42));
    assert_eq!(output_tokens(&json!({"type": "ping"})), None);
    let mut message = json!({"id": "msg_1", "stop_reason": "end_turn", "stop_sequence": "END", "usage": {}});
    set_refusal(&mut message);
    assert_eq!(message["stop_reason"], "refusal");
    assert_eq!(message["stop_sequence"], Value::Null);
    let keys: Vec<&str> = message.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
    assert_eq!(keys, ["id", "stop_reason", "stop_sequence", "usage"], "fields stay where they were");
}

#[test]
fn errors_have_anthropics_shape() {
    assert_eq!(
        error_body(error_type(400), "no"),
        json!({"type": "error", "error": {"type": "invalid_request_error", "message": "no"}})
    );
    for (status, kind) in [
        (401, "authentication_error"),
        (404, "not_found_error"),
        (413, "request_too_large"),
        (502, "api_error"),
        (503, "overloaded_error"),
        (504, "api_error"),
    ] {
        assert_eq!(error_type(status), kind);
    }
}
