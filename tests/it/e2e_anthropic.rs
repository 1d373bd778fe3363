//! End to end with the official `anthropic` Python SDK (`tests/e2e/anthropic_sdk.py`): the
//! real `secretgate` binary between it and the scripted upstream, which answers in Anthropic's
//! exact wire format (the fixtures of [`anthropic`](crate::anthropic)). The interpreter and
//! the binary are those of [`e2e`](crate::e2e).

use std::process::Command;

use secretgate::corpus::Rng;
use serde_json::{json, Value};

use crate::{
    anthropic::{answer_redacted, broken_stream, messages_stream, Script},
    e2e::{assert_no_piece, documents, first_secret, json_reply, python, root, run, strings, Served},
    support::{deltas, fragment, Reply, Upstream},
};

const KEY: &str = "sk-proj-7ku8dr1aRNQPTDZTe1tzT3BlbkFJjD7yqHBEReY65dHmyWR2";
const CLIENT_KEY: &str = "e2e-anthropic-client-key";

/// What the SDK saw: the script's JSON, and its stdout as printed.
struct Sdk {
    out: Value,
    raw: String,
}

impl Sdk {
    fn block(&self, i: usize) -> &Value {
        &self.out["blocks"][i]
    }

    fn assert_ok(&self) {
        assert!(self.out["error"].is_null(), "the SDK raised: {}", self.out["error"]);
        assert_eq!(self.out["completed"], true);
    }

    fn assert_clean(&self, secrets: &[&str]) {
        let decoded = strings(&self.out);
        for s in secrets {
            assert_no_piece(&self.raw, s, "the SDK's output");
            assert_no_piece(&decoded, s, "the SDK's output");
        }
    }
}

async fn sdk(gate: &Served, mode: &str, api_key: &str, prompt: &str) -> Sdk {
    let python = tokio::task::spawn_blocking(python).await.expect("python");
    let mut cmd = Command::new(python);
    cmd.arg(root().join("tests/e2e/anthropic_sdk.py")).arg(mode);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("ANTHROPIC_") {
            cmd.env_remove(k);
        }
    }
    // The SDK adds `/v1/messages` itself.
    cmd.env("E2E_BASE_URL", format!("http://{}", gate.addr)).env("E2E_API_KEY", api_key).env("E2E_PROMPT", prompt);
    let (status, raw, err) = run(cmd, "anthropic_sdk.py").await;
    assert!(status.success(), "anthropic_sdk.py {mode}: {status}\nstdout:\n{raw}\nstderr:\n{err}");
    let out: Value = serde_json::from_str(raw.trim())
        .unwrap_or_else(|e| panic!("anthropic_sdk.py printed no JSON ({e}):\n{raw}\n{err}"));
    Sdk { out, raw }
}

/// The texts of a case: thinking, text, tool input JSON, each carrying secrets.
fn texts(doc: &str) -> [String; 3] {
    [
        format!("The user pasted {KEY}. I will not repeat it."),
        format!("Sure — the setup:\n\n{doc}\n\nand the project key is {KEY}."),
        json!({"path": "config.py", "content": format!("{doc}\napi_key = \"{KEY}\"\n")}).to_string(),
    ]
}

/// `input` as the script prints it: the JSON with sorted keys, Python's separators.
fn python_json(text: &str) -> String {
    let v: Value = serde_json::from_str(text).expect("tool input is JSON");
    let Value::Object(map) = v else { panic!("tool input is an object") };
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    let parts: Vec<String> = keys.iter().map(|k| format!("{}: {}", Value::from(k.as_str()), map[*k])).collect();
    format!("{{{}}}", parts.join(", "))
}

fn message(content: Value, stop_reason: &str) -> Value {
    json!({"id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
        "content": content, "stop_reason": stop_reason, "stop_sequence": null,
        "usage": {"input_tokens": 2095, "output_tokens": 503, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}})
}

/// Streamed, `redact`: thinking, text and tool input with secrets split across deltas and TCP
/// fragments; the SDK's final message holds the one-shot redaction of each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_sdk_stream_redacts_every_block() {
    let docs = documents(71, 1);
    let [thinking, text, args] = texts(&docs[0].0);
    let mut rng = Rng::new(21);
    let script = Script {
        thinking: deltas(&thinking, &mut rng, 4),
        text: deltas(&text, &mut rng, 4),
        tool: Some(("write_file".into(), deltas(&args, &mut rng, 5))),
    };
    let frags = fragment(&messages_stream(&script), &mut rng, 64);
    let upstream = Upstream::start(move |_| Reply::sse(frags.clone())).await;
    let gate = Served::start(&upstream, "", &[]).await;

    let sdk = sdk(&gate, "stream", CLIENT_KEY, "Set up my project").await;
    sdk.assert_ok();
    assert_eq!(sdk.block(0)["thinking"], answer_redacted(&thinking));
    assert_eq!(sdk.block(0)["signature"], crate::anthropic::SIGNATURE, "the signature arrives untouched");
    assert_eq!(sdk.block(1)["text"], answer_redacted(&text));
    assert_eq!(sdk.out["text_stream"], answer_redacted(&text));
    assert_eq!(sdk.block(2)["input"], python_json(&answer_redacted(&args)));
    assert_eq!(sdk.block(2)["name"], "write_file");
    assert_eq!(sdk.out["stop_reason"], "tool_use");
    assert_eq!(sdk.out["usage"], 89);
    let secrets: Vec<&str> = std::iter::once(KEY).chain(docs[0].1.iter().map(String::as_str)).collect();
    sdk.assert_clean(&secrets);
    let seen = upstream.requests();
    assert_eq!((seen.len(), seen[0].path.as_str()), (1, "/v1/messages"));
    // Transparent mode: the client's key goes upstream as the SDK sent it (this SDK version
    // sends `Authorization: Bearer`; others `x-api-key`).
    let h = &seen[0].headers;
    let sent = h
        .get("x-api-key")
        .map(|v| v.as_bytes().to_vec())
        .or_else(|| h.get("authorization").map(|v| v.as_bytes().to_vec()));
    assert!(
        sent == Some(CLIENT_KEY.as_bytes().to_vec()) || sent == Some(format!("Bearer {CLIENT_KEY}").into_bytes()),
        "{h:?}"
    );
    assert!(seen[0].headers.get("anthropic-version").is_some());
    let out = gate.stop();
    let logs = &out.logs;
    assert!(logs.contains("secret found") && logs.contains("content[1].text"), "no audit event:\n{logs}");
    for s in &secrets {
        out.assert_no_piece(s);
    }
}

/// Not streamed, `redact`: `messages.create` returns every block redacted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_sdk_whole_message_is_redacted() {
    let docs = documents(72, 1);
    let [thinking, text, args] = texts(&docs[0].0);
    let input: Value = serde_json::from_str(&args).expect("json");
    let mut rng = Rng::new(22);
    let answer = message(
        json!([
            {"type": "thinking", "thinking": thinking, "signature": crate::anthropic::SIGNATURE},
            {"type": "text", "text": text},
            {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "write_file", "input": input}
        ]),
        "tool_use",
    );
    let reply = json_reply(&answer, &mut rng);
    let upstream = Upstream::start(move |_| reply.clone()).await;
    let gate = Served::start(&upstream, "", &[]).await;
    let sdk = sdk(&gate, "whole", CLIENT_KEY, "Set up my project").await;
    sdk.assert_ok();
    assert_eq!(sdk.block(0)["thinking"], answer_redacted(&thinking));
    assert_eq!(sdk.block(1)["text"], answer_redacted(&text));
    assert_eq!(sdk.block(2)["input"], python_json(&answer_redacted(&input.to_string())));
    assert_eq!(sdk.out["stop_reason"], "tool_use");
    let secrets: Vec<&str> = std::iter::once(KEY).chain(docs[0].1.iter().map(String::as_str)).collect();
    sdk.assert_clean(&secrets);
}

/// Streamed, `block`: the SDK gets the text before the secret, the block closed, and a
/// message that ends with `stop_reason: "refusal"`; the tool call after it never comes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_sdk_stream_block_ends_with_refusal() {
    let text = format!("Step one: your key is {KEY} — keep it safe.\n\nStep two: run it.");
    let mut rng = Rng::new(23);
    let script = Script {
        thinking: deltas("Simple request.", &mut rng, 4),
        text: deltas(&text, &mut rng, 4),
        tool: Some(("write_file".into(), deltas(&json!({"path": "a", "content": "b"}).to_string(), &mut rng, 4))),
    };
    let frags = fragment(&messages_stream(&script), &mut rng, 64);
    let upstream = Upstream::start(move |_| Reply::sse(frags.clone())).await;
    let gate = Served::start(&upstream, "[response]\naction = \"block\"\n", &[]).await;
    let sdk = sdk(&gate, "stream", CLIENT_KEY, "How do I set the key?").await;
    sdk.assert_ok();
    assert_eq!(sdk.out["stop_reason"], "refusal");
    assert_eq!(sdk.out["blocks"].as_array().map(Vec::len), Some(2));
    assert_eq!(sdk.block(0)["thinking"], "Simple request.");
    assert_eq!(sdk.block(1)["text"], &text[..first_secret(&text)]);
    let events: Vec<&str> = sdk.out["events"].as_array().expect("events").iter().filter_map(Value::as_str).collect();
    assert_eq!(&events[events.len() - 3..], ["content_block_stop", "message_delta", "message_stop"]);
    sdk.assert_clean(&[KEY]);
}

/// Not streamed, `block`: the content cut before the secret, `stop_reason: "refusal"`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_sdk_whole_block_ends_with_refusal() {
    let text = format!("The key is {KEY}; keep it safe.");
    let mut rng = Rng::new(24);
    let answer = message(
        json!([{"type": "text", "text": text}, {"type": "tool_use", "id": "toolu_1", "name": "write_file", "input": {"path": "a", "content": "b"}}]),
        "tool_use",
    );
    let reply = json_reply(&answer, &mut rng);
    let upstream = Upstream::start(move |_| reply.clone()).await;
    let gate = Served::start(&upstream, "[response]\naction = \"block\"\n", &[]).await;
    let sdk = sdk(&gate, "whole", CLIENT_KEY, "Tell me the key").await;
    sdk.assert_ok();
    assert_eq!(sdk.out["stop_reason"], "refusal");
    assert_eq!(sdk.out["blocks"], json!([{"type": "text", "text": "The key is "}]));
    sdk.assert_clean(&[KEY]);
}

/// The upstream breaks off inside a secret: the SDK raises (an `error` event), having seen
/// nothing of the secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_sdk_raises_when_upstream_fails_mid_stream() {
    let mut rng = Rng::new(25);
    let (body, cut) = broken_stream();
    let mut reply = Reply::sse(fragment(&body[..cut], &mut rng, 32));
    reply.fail = true;
    let upstream = Upstream::start(move |_| reply.clone()).await;
    let gate = Served::start(&upstream, "", &[]).await;
    let sdk = sdk(&gate, "stream", CLIENT_KEY, "Give me the key").await;
    assert_eq!(sdk.out["completed"], false);
    assert_eq!(sdk.out["error"]["type"], "api_error", "{}", sdk.out);
    sdk.assert_clean(&[KEY]);
}

/// Gateway mode: the SDK's `x-api-key` is a client key; upstream gets the proxy's key as
/// `x-api-key`, never the client's; a wrong key gets `AuthenticationError`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_sdk_gateway_mode_swaps_keys() {
    let client_key = "sg-e2e-anthropic-client-7c1d";
    let config = format!(
        "[upstream]\nkey_env = \"SG_TEST_UPSTREAM_KEY\"\n\n[auth]\nclient_key_hashes = [\"{}\"]\n",
        secretgate::proxy::auth::hash_key(client_key)
    );
    let mut rng = Rng::new(26);
    let reply = json_reply(&message(json!([{"type": "text", "text": "Hello from upstream."}]), "end_turn"), &mut rng);
    let upstream = Upstream::start(move |_| reply.clone()).await;
    let gate = Served::start(&upstream, &config, &[("SG_TEST_UPSTREAM_KEY", "upstream-secret-value")]).await;
    let ok = sdk(&gate, "whole", client_key, "Hi").await;
    ok.assert_ok();
    assert_eq!(ok.block(0)["text"], "Hello from upstream.");
    let wrong = sdk(&gate, "whole", "sg-e2e-wrong-key", "Hi").await;
    assert_eq!(wrong.out["error"]["class"], "AuthenticationError", "{}", wrong.out);
    assert_eq!(wrong.out["error"]["status"], 401);
    assert_eq!(wrong.out["error"]["type"], "authentication_error");
    let seen = upstream.requests();
    assert_eq!(seen.len(), 1, "the refused request reached the upstream");
    assert_eq!(seen[0].headers.get_all("x-api-key").iter().collect::<Vec<_>>(), ["upstream-secret-value"]);
    assert!(seen[0].headers.get("authorization").is_none());
    for (name, value) in &seen[0].headers {
        assert!(
            !String::from_utf8_lossy(value.as_bytes()).contains(client_key),
            "the client key went upstream in {name}"
        );
    }
    let out = gate.stop();
    out.assert_no_piece("upstream-secret-value");
    out.assert_no_piece(client_key);
}
