//! The real binary: graceful shutdown on SIGTERM with a stream open, and logs that carry audit
//! events but never a secret or an auth header (at trace level).

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    sync::mpsc,
};

use serde_json::{json, Value};

use crate::support::{chat_stream, http_client, ChoiceScript, Reply, Upstream};

const KEY: &str = "sk-proj-7ku8dr1aRNQPTDZTe1tzT3BlbkFJjD7yqHBEReY65dHmyWR2";
const CLIENT_AUTH: &str = "Bearer client-credential-9f8e7d6c5b4a";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_open_streams_finish_and_logs_hold_no_secret() {
    let hold = std::sync::Arc::new(tokio::sync::Notify::new());
    let h2 = hold.clone();
    let answer = json!({"id": "c", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": format!("key: {KEY}")}, "finish_reason": "stop"}]});
    let stream = chat_stream(
        &[ChoiceScript { content: vec!["One, ".into(), "two. ".into()], finish_reason: "stop", ..Default::default() }],
        false,
    );
    let upstream = Upstream::start(move |seen| {
        if seen.body.windows(11).any(|w| w == b"\"stream\":tr") {
            // The stream's last fragment waits for the test's go.
            let first = stream.windows(2).position(|w| w == b"\n\n").expect("an event") + 2;
            let mut r = Reply::sse(vec![stream[..first].to_vec(), stream[first..].to_vec()]);
            r.hold = Some(h2.clone());
            r
        } else {
            Reply::json(200, &answer)
        }
    })
    .await;

    let mut child = Command::new(env!("CARGO_BIN_EXE_secretgate"))
        .args(["serve", "--upstream", &upstream.url(), "--listen", "127.0.0.1:0"])
        .env("SECRETGATE_LOG", "trace")
        .env("SECRETGATE_LIMITS_SHUTDOWN_GRACE_SECS", "600")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start secretgate");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("address line");
    let base = line.trim().rsplit("http://").next().expect("address").to_owned();
    // Log lines, as they come.
    let (tx, rx) = mpsc::channel::<String>();
    let stderr = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for l in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });

    let client = http_client();
    let url = format!("http://{base}/v1/chat/completions");
    let body = json!({"model": "m", "messages": [{"role": "user", "content": format!("use {KEY}")}]});
    let v: Value = client
        .post(&url)
        .header("authorization", CLIENT_AUTH)
        .json(&body)
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    assert_eq!(v["choices"][0]["message"]["content"], "key: [REDACTED:openai-project-key]");

    let mut open = client
        .post(&url)
        .header("authorization", CLIENT_AUTH)
        .json(&json!({"model": "m", "stream": true, "messages": []}))
        .send()
        .await
        .expect("stream");
    let mut got = open.chunk().await.expect("read").expect("first bytes").to_vec();

    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill").success());
    let mut logs = Vec::new();
    let waiter = tokio::task::spawn_blocking(move || {
        for l in rx.iter() {
            let shutting = l.contains("shutting down");
            logs.push(l);
            if shutting {
                return (logs, rx);
            }
        }
        panic!("secretgate's log ended before it said it was shutting down");
    });
    let (mut logs, rx) = waiter.await.expect("log reader");
    // Shutting down: the open stream still finishes.
    hold.notify_one();
    while let Some(c) = open.chunk().await.expect("read") {
        got.extend_from_slice(&c);
    }
    assert!(got.ends_with(b"data: [DONE]\n\n"), "the open stream ran to its end");
    let status = tokio::task::spawn_blocking(move || child.wait()).await.expect("join").expect("wait");
    assert!(status.success(), "exit after the last stream: {status:?}");
    logs.extend(rx.iter());

    let all = logs.join("\n");
    let audits: Vec<Value> = logs
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["target"] == "secretgate::audit")
        .collect();
    assert!(audits.iter().any(|a| a["direction"] == "request" && a["rule"] == "openai-project-key"), "{all}");
    assert!(audits.iter().any(|a| a["direction"] == "response" && a["channel"] == "choices[0].content"));
    assert!(audits
        .iter()
        .all(|a| a["request_id"].as_str().is_some_and(|id| id.len() == 16) && a["fingerprint"].is_string()));
    for i in 0..=KEY.len() - 12 {
        assert!(!all.contains(&KEY[i..i + 12]), "a piece of the secret is in the log");
    }
    assert!(!all.contains("client-credential"), "the client's auth header is in the log");
}
