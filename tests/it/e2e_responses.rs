//! End to end with the official `openai` Python SDK on the Responses API
//! (`tests/e2e/openai_responses.py`): the real `secretgate` binary between it and the scripted
//! upstream, which answers in the Responses API's exact wire format (the fixtures of
//! [`responses`](crate::responses)). The interpreter and the binary are those of
//! [`e2e`](crate::e2e).

use std::process::Command;

use secretgate::corpus::Rng;
use serde_json::Value;

use crate::{
    anthropic::answer_redacted,
    e2e::{assert_no_piece, documents, json_reply, python, root, run, strings, Served},
    responses::{broken_stream, case, responses_stream, whole_response, Script, ENCRYPTED},
    support::{deltas, fragment, Reply, Upstream},
};

const KEY: &str = "sk-proj-7ku8dr1aRNQPTDZTe1tzT3BlbkFJjD7yqHBEReY65dHmyWR2";
const CLIENT_KEY: &str = "e2e-responses-client-key";

/// What the SDK saw: the script's JSON, and its stdout as printed.
struct Sdk {
    out: Value,
    raw: String,
}

impl Sdk {
    fn assert_ok(&self) {
        assert!(self.out["error"].is_null(), "the SDK raised: {}", self.out["error"]);
        assert_eq!(self.out["completed"], true);
    }

    fn output(&self, i: usize) -> &Value {
        &self.out["final"]["output"][i]
    }

    fn assert_clean(&self, secrets: &[&str]) {
        let decoded = strings(&self.out);
        for s in secrets {
            assert_no_piece(&self.raw, s, "the SDK's output");
            assert_no_piece(&decoded, s, "the SDK's output");
        }
    }
}

async fn sdk(gate: &Served, mode: &str, prompt: &str) -> Sdk {
    let python = tokio::task::spawn_blocking(python).await.expect("python");
    let mut cmd = Command::new(python);
    cmd.arg(root().join("tests/e2e/openai_responses.py")).arg(mode);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("OPENAI_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("OPENAI_BASE_URL", format!("http://{}/v1", gate.addr))
        .env("OPENAI_API_KEY", CLIENT_KEY)
        .env("E2E_PROMPT", prompt)
        .env("E2E_INSTRUCTIONS", "You are a careful coding assistant.");
    let (status, raw, err) = run(cmd, "openai_responses.py").await;
    assert!(status.success(), "openai_responses.py {mode}: {status}\nstdout:\n{raw}\nstderr:\n{err}");
    let out: Value = serde_json::from_str(raw.trim())
        .unwrap_or_else(|e| panic!("openai_responses.py printed no JSON ({e}):\n{raw}\n{err}"));
    Sdk { out, raw }
}

/// Streamed, `redact`: a reasoning summary, a text and function arguments with secrets split
/// across deltas and TCP fragments; what the caller adds up, the final response and the SDK's
/// own accumulator all hold the one-shot redaction of each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_sdk_responses_stream_redacts_every_channel() {
    let docs = documents(73, 1);
    let mut rng = Rng::new(31);
    let (script, [summary, text, args]) = case(&docs[0].0, &mut rng, true);
    let frags = fragment(&responses_stream(&script), &mut rng, 64);
    let upstream = Upstream::start(move |_| Reply::sse(frags.clone())).await;
    let gate = Served::start(&upstream, "", &[]).await;

    let sdk = sdk(&gate, "stream", "Fix my config").await;
    sdk.assert_ok();
    let (summary, text, args) = (answer_redacted(&summary), answer_redacted(&text), answer_redacted(&args));
    assert_eq!(sdk.out["deltas"]["summary"], summary);
    assert_eq!(sdk.out["deltas"]["text"], text);
    assert_eq!(sdk.out["deltas"]["arguments"], args);
    assert_eq!(sdk.out["final"]["event"], "response.completed");
    assert_eq!(sdk.output(0)["text"], summary);
    assert_eq!(sdk.output(0)["encrypted_content"], ENCRYPTED);
    assert_eq!(sdk.output(1)["text"], text);
    assert_eq!(sdk.output(2)["text"], args);
    assert_eq!(sdk.output(2)["name"], "write_file");
    assert_eq!(sdk.out["final"]["output_text"], text);
    assert_eq!(sdk.out["snapshot"], text, "the SDK's accumulator agrees");
    let secrets: Vec<&str> = std::iter::once(KEY).chain(docs[0].1.iter().map(String::as_str)).collect();
    sdk.assert_clean(&secrets);
    let seen = upstream.requests();
    assert_eq!((seen.len(), seen[0].path.as_str()), (1, "/v1/responses"));
    assert_eq!(seen[0].headers["authorization"], format!("Bearer {CLIENT_KEY}"), "transparent mode");
    let out = gate.stop();
    let logs = &out.logs;
    assert!(logs.contains("secret found") && logs.contains("output[1].content[0].text"), "no audit event:\n{logs}");
    for s in &secrets {
        out.assert_no_piece(s);
    }
}

/// Not streamed, `redact`: `responses.create` returns every output redacted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_sdk_whole_response_is_redacted() {
    let (response, text) = whole_response();
    let mut rng = Rng::new(32);
    let reply = json_reply(&response, &mut rng);
    let upstream = Upstream::start(move |_| reply.clone()).await;
    let gate = Served::start(&upstream, "", &[]).await;
    let sdk = sdk(&gate, "whole", "Fix my config").await;
    sdk.assert_ok();
    assert_eq!(sdk.out["final"]["status"], "completed");
    assert_eq!(sdk.output(1)["text"], answer_redacted(&text));
    assert_eq!(sdk.out["final"]["output_text"], answer_redacted(&text));
    assert_eq!(sdk.output(0)["encrypted_content"], ENCRYPTED);
    assert!(sdk.output(2)["text"].as_str().expect("arguments").contains("[REDACTED:openai-project-key]"));
    sdk.assert_clean(&[KEY]);
}

/// Streamed, `block`: the stream ends as an incomplete response (content filter), the SDK
/// iterates to the end without an exception, and no piece of the key arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_sdk_responses_stream_block_ends_incomplete() {
    let mut rng = Rng::new(33);
    let text = format!("Sure. The key is {KEY} — keep it safe.");
    let script = Script { text: deltas(&text, &mut rng, 4), ..Default::default() };
    let frags = fragment(&responses_stream(&script), &mut rng, 32);
    let upstream = Upstream::start(move |_| Reply::sse(frags.clone())).await;
    let gate = Served::start(&upstream, "[response]\naction = \"block\"\n", &[]).await;
    let sdk = sdk(&gate, "stream", "What is my key?").await;
    sdk.assert_ok();
    assert_eq!(sdk.out["final"]["event"], "response.incomplete");
    assert_eq!(sdk.out["final"]["status"], "incomplete");
    assert_eq!(sdk.out["final"]["reason"], "content_filter");
    assert_eq!(sdk.out["deltas"]["text"], "Sure. The key is ");
    assert_eq!(sdk.out["final"]["output_text"], "Sure. The key is ");
    assert!(sdk.out["snapshot"].is_null(), "no response.completed");
    sdk.assert_clean(&[KEY]);
}

/// The upstream breaks off mid-stream: the SDK raises `APIError` (nothing hangs), and the
/// half of the key that was held never arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_sdk_responses_stream_failure_raises() {
    let mut rng = Rng::new(34);
    let (body, cut) = broken_stream();
    let mut reply = Reply::sse(fragment(&body[..cut], &mut rng, 20));
    reply.fail = true;
    let upstream = Upstream::start(move |_| reply.clone()).await;
    let gate = Served::start(&upstream, "", &[]).await;
    let sdk = sdk(&gate, "stream", "Hello").await;
    assert_eq!(sdk.out["error"]["class"], "APIError", "{}", sdk.out);
    assert_eq!(sdk.out["deltas"]["text"], "partial answer then ");
    assert_no_piece(&sdk.raw, &KEY[..20], "the SDK's output");
}
