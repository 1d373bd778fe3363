use serde_json::json;

use super::*;

fn channels(mut v: Value, api: Api, shape: Shape) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(choices) = choices_mut(&mut v) {
        for (pos, c) in choices.iter_mut().enumerate() {
            let i = choice_index(c, pos);
            for_each_channel(c, i, api, shape, |ch, s| out.push((ch.to_string(), s.clone())));
        }
    }
    out
}

#[test]
fn finds_every_text_channel() {
    let chunk = json!({"choices": [
        {"index": 1, "delta": {"role": "assistant", "content": "a", "refusal": "b", "reasoning_content": "c", "reasoning": "d",
            "tool_calls": [{"index": 2, "id": "x", "function": {"name": "n", "arguments": "e"}}],
            "function_call": {"arguments": "f"}}}
    ]});
    assert_eq!(
        channels(chunk, Api::Chat, Shape::Chunk),
        [
            ("choices[1].content", "a"),
            ("choices[1].refusal", "b"),
            ("choices[1].reasoning_content", "c"),
            ("choices[1].reasoning", "d"),
            ("choices[1].tool_calls[2].function.arguments", "e"),
            ("choices[1].function_call.arguments", "f"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    let whole = json!({"choices": [{"index": 0, "message": {"content": "m", "tool_calls": [{"function": {"arguments": "{}"}}]}}]});
    assert_eq!(channels(whole.clone(), Api::Chat, Shape::Whole).len(), 2);
    assert!(channels(whole, Api::Chat, Shape::Chunk).is_empty(), "a whole answer has no delta");
    let legacy = json!({"choices": [{"index": 0, "text": "t"}]});
    assert_eq!(channels(legacy, Api::Completions, Shape::Chunk), [("choices[0].text".to_owned(), "t".to_owned())]);
}

#[test]
fn appends_create_missing_fields() {
    let mut c = json!({"index": 0, "delta": {}, "finish_reason": "stop"});
    append_channel(&mut c, Api::Chat, Field::Content, "x");
    append_channel(&mut c, Api::Chat, Field::Content, "y");
    append_channel(&mut c, Api::Chat, Field::ToolArguments(1), "{}");
    assert_eq!(c["delta"], json!({"content": "xy", "tool_calls": [{"index": 1, "function": {"arguments": "{}"}}]}));
    let mut l = json!({"index": 0, "text": "a"});
    append_channel(&mut l, Api::Completions, Field::Text, "b");
    assert_eq!(l["text"], "ab");
}

#[test]
fn logprobs_come_off_and_go_back() {
    let mut c = json!({"logprobs": {"content": [{"token": "hé", "bytes": [104, 195, 169], "logprob": -1}, {"token": "y", "logprob": -2}], "refusal": null}});
    let taken = take_logprobs(&mut c, Api::Chat);
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].1.iter().map(|t| t.len).collect::<Vec<_>>(), [Some(3), Some(1)]);
    assert_eq!(c["logprobs"]["content"], json!([]));
    put_logprobs(&mut c, Api::Chat, Field::Content, vec![taken[0].1[1].entry.clone()]);
    assert_eq!(c["logprobs"]["content"], json!([{"token": "y", "logprob": -2}]));

    let mut l = json!({"logprobs": {"tokens": ["a", "bc"], "token_logprobs": [-1, -2], "top_logprobs": [{}, {}], "text_offset": [0, 1]}});
    let taken = take_logprobs(&mut l, Api::Completions);
    assert_eq!(taken[0].1.iter().map(|t| t.len).collect::<Vec<_>>(), [Some(1), Some(2)]);
    put_logprobs(&mut l, Api::Completions, Field::Text, vec![taken[0].1[1].entry.clone()]);
    assert_eq!(
        l["logprobs"],
        json!({"tokens": ["bc"], "token_logprobs": [-2], "top_logprobs": [{}], "text_offset": [1]})
    );
}

/// Tokens are never scanned, so an entry that could carry a whole secret — a "token" or an
/// alternative longer than any tokenizer's — is not a token (found by `adapter_chat` and
/// `adapter_completions`: a key in the text was redacted, its copy in a long token went out).
#[test]
fn entries_longer_than_a_token_are_not_tokens() {
    let key = "sk-proj-7ku8dr1aRNQPTDZTe1tzT3BlbkFJjD7yqHBEReY65dHmyWR2";
    let mut c = json!({"logprobs": {"content": [
        {"token": "ok", "logprob": -1},
        {"token": key, "logprob": -1},
        {"token": "a", "logprob": -1, "top_logprobs": [{"token": key, "logprob": -2}]},
        {"token": "b", "bytes": [98], "logprob": -1, "top_logprobs": [{"token": "c", "logprob": -2}]},
    ]}});
    let taken = take_logprobs(&mut c, Api::Chat);
    assert_eq!(taken[0].1.iter().map(|t| t.len).collect::<Vec<_>>(), [Some(2), None, None, Some(1)]);

    let mut l = json!({"logprobs": {"tokens": ["a", key, "b"], "token_logprobs": [-1, -2, -3],
        "top_logprobs": [{"a": -1}, {}, {key: -3}], "text_offset": [0, 1, 2]}});
    let taken = take_logprobs(&mut l, Api::Completions);
    assert_eq!(taken[0].1.iter().map(|t| t.len).collect::<Vec<_>>(), [Some(1), None, None]);
}
