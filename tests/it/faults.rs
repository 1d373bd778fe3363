//! Fault injection over real HTTP (issue 8): an upstream that closes inside an event, sends
//! invalid UTF-8 or invalid JSON, a line over the limit, stalls past the read timeout, or
//! never sends `[DONE]`; a client that reads slowly; clients that disconnect mid-stream (no
//! task left behind, by the proxy's `secretgate_runtime_tasks`). Each case: a clear outcome for the
//! client, no panic (the proxy answers the next request), and no piece of the key in the
//! answer.
//!
//! Upstream failures between events, error statuses with a key in the body and a client
//! disconnect freeing its concurrency permit are in `proxy.rs`; error bodies under every policy in `leak.rs`.

use serde_json::{json, Value};

use crate::support::{assemble, chat_stream, http_client, ChoiceScript, Gate, Reply, Upstream};

const KEY: &str = "sk-proj-7ku8dr1aRNQPTDZTe1tzT3BlbkFJjD7yqHBEReY65dHmyWR2";

fn assert_no_piece(text: &str, what: &str) {
    for i in 0..=KEY.len() - 12 {
        assert!(!text.contains(&KEY[i..i + 12]), "{what}: a piece of the key at {i} leaked:\n{text}");
    }
}

/// A one-choice stream whose content is `text` in words, `[DONE]` at the end.
fn stream_of(text: &str) -> Vec<u8> {
    let words: Vec<String> = text.split_inclusive(' ').map(str::to_owned).collect();
    chat_stream(&[ChoiceScript { content: words, finish_reason: "stop", ..Default::default() }], false)
}

/// Streams one chat request through a proxy with `config` in front of an upstream that
/// answers `reply`; returns the client's bytes, after checking that the proxy still answers.
async fn through(config: &str, reply: Reply) -> Vec<u8> {
    let upstream = Upstream::start(move |_| reply.clone()).await;
    let gate = Gate::start(&upstream.url(), config, &[]).await;
    let c = http_client();
    let request = json!({"model": "m", "stream": true, "messages": [{"role": "user", "content": "hi"}]});
    let r = c.post(gate.url("/v1/chat/completions")).json(&request).send().await.expect("answer");
    assert_eq!(r.status(), 200);
    let out = r.bytes().await.expect("the body ends").to_vec();
    assert_eq!(c.get(gate.url("/healthz")).send().await.expect("still serving").status(), 200);
    out
}

/// The last event the client got, as JSON.
fn last_event(out: &[u8]) -> Value {
    assemble(out).1.pop().expect("events")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_closing_inside_an_event_ends_with_an_error() {
    let body = stream_of(&format!("the key is {KEY} there"));
    // Closed cleanly (no error) in the middle of the event that carries the key's end.
    let at = body.windows(6).position(|w| w == &KEY.as_bytes()[30..36]).expect("key in stream");
    let out = through("", Reply::sse(vec![body[..at].to_vec()])).await;
    let (choices, _, done) = assemble(&out);
    assert!(!done);
    assert_eq!(last_event(&out)["error"]["type"], "upstream_error", "ends with an error event");
    assert!(choices[0].content.starts_with("the "), "text before the cut goes out");
    assert_no_piece(&String::from_utf8_lossy(&out), "stream closed inside an event");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_in_an_event_ends_with_an_error() {
    let mut body = stream_of(&format!("the key is {KEY} there"));
    // A byte that is never UTF-8, inside the key.
    let at = body.windows(4).position(|w| w == &KEY.as_bytes()[20..24]).expect("key in stream");
    body.insert(at, 0xff);
    let out = through("", Reply::sse(vec![body])).await;
    let text = String::from_utf8(out.clone()).expect("the client gets UTF-8");
    assert_no_piece(&text, "invalid UTF-8");
    let (_, _, done) = assemble(&out);
    assert!(!done);
    assert_eq!(last_event(&out)["error"]["type"], "upstream_error", "ends with an error event");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_json_events_are_scanned_as_text() {
    let mut body = format!("data: {{\"choices\": [{{\"delta\": \"{KEY}\n\n").into_bytes();
    body.extend_from_slice(&stream_of("after that, fine"));
    let out = through("", Reply::sse(vec![body])).await;
    let text = String::from_utf8_lossy(&out);
    assert_no_piece(&text, "invalid JSON event");
    assert!(text.contains("[REDACTED:openai-project-key]"), "{text}");
    let (choices, _, done) = assemble(&out);
    assert!(done, "the stream goes on after the odd event");
    assert_eq!(choices[0].content, "after that, fine");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_over_the_limit_ends_with_an_error_and_releases_none_of_it() {
    let long = format!("{} {KEY} tail", "word ".repeat(400));
    let mut body = stream_of("before it ");
    let done = body.len() - b"data: [DONE]\n\n".len();
    body.truncate(done);
    let event = json!({"choices": [{"index": 0, "delta": {"content": long}, "finish_reason": null}]});
    body.extend_from_slice(format!("data: {event}\n\ndata: [DONE]\n\n").as_bytes());
    let out = through("[limits]\nmax_event_bytes = 1024\n", Reply::sse(vec![body])).await;
    let (choices, _, done) = assemble(&out);
    assert!(!done);
    assert_eq!(last_event(&out)["error"]["type"], "upstream_error");
    assert!(!choices[0].content.contains("word word"), "nothing of the long line is released");
    assert_no_piece(&String::from_utf8_lossy(&out), "line over the limit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_stalling_past_the_read_timeout_ends_with_an_error() {
    // The first event, then nothing until the test ends: the read timeout fires (the client's
    // body ends; the test waits for that, not for a time).
    let body = stream_of(&format!("held {KEY} then"));
    let first = body.windows(2).position(|w| w == b"\n\n").expect("an event") + 2;
    let mut reply = Reply::sse(vec![body[..first].to_vec(), body[first..].to_vec()]);
    let never = std::sync::Arc::new(tokio::sync::Notify::new());
    reply.hold = Some(never.clone());
    let out = through("[upstream]\nread_timeout_secs = 0.3\n", reply).await;
    let err = last_event(&out);
    assert_eq!(err["error"]["type"], "upstream_error");
    assert!(err["error"]["message"].as_str().is_some_and(|m| m.contains("read timeout")), "{err}");
    assert_no_piece(&String::from_utf8_lossy(&out), "stalled stream");
    drop(never);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complete_answer_without_done_is_not_an_error() {
    let mut body = stream_of(&format!("the key is {KEY} there"));
    body.truncate(body.len() - b"data: [DONE]\n\n".len());
    let out = through("", Reply::sse(vec![body])).await;
    let (choices, chunks, done) = assemble(&out);
    assert!(!done, "nothing added");
    assert!(chunks.iter().all(|c| c.get("error").is_none()), "a finished answer is not an error");
    assert_eq!(choices[0].content, "the key is [REDACTED:openai-project-key] there");
    assert_eq!(choices[0].finish_reason.as_deref(), Some("stop"));
}

/// A client that reads slowly holds the upstream back (backpressure): what the upstream has
/// sent never runs more than the sockets' buffers ahead of what the client has read, however
/// long the answer. The client's pause between reads is what makes it slow, not a wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_client_holds_the_upstream_back() {
    use std::sync::{
        atomic::{AtomicUsize, Ordering::Relaxed},
        Arc,
    };
    const ANSWER: usize = 1 << 30;
    const READ: usize = 24 << 20;
    let produced = Arc::new(AtomicUsize::new(0));
    let event = {
        let chunk = json!({"choices": [{"index": 0, "delta": {"content": "lorem ipsum dolor sit amet ".repeat(600)}, "finish_reason": null}]});
        bytes::Bytes::from(format!("data: {chunk}\n\n"))
    };
    let p2 = produced.clone();
    let app = axum::Router::new().fallback(move || {
        let (produced, event) = (p2.clone(), event.clone());
        async move {
            let body = futures_util::stream::unfold(0usize, move |sent| {
                let (produced, event) = (produced.clone(), event.clone());
                async move {
                    if sent >= ANSWER {
                        return None;
                    }
                    produced.fetch_add(event.len(), Relaxed);
                    Some((Ok::<_, std::io::Error>(event.clone()), sent + event.len()))
                }
            });
            axum::response::Response::builder()
                .header("content-type", "text/event-stream")
                .body(axum::body::Body::from_stream(body))
                .expect("response")
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let gate = Gate::start(&format!("http://{addr}/v1"), "", &[]).await;
    let request = json!({"model": "m", "stream": true, "messages": [{"role": "user", "content": "hi"}]});
    let mut r = http_client().post(gate.url("/v1/chat/completions")).json(&request).send().await.expect("answer");
    let (mut read, mut ahead) = (0usize, 0usize);
    while read < READ {
        let c = r.chunk().await.expect("read").expect("the answer goes on");
        read += c.len();
        ahead = ahead.max(produced.load(Relaxed).saturating_sub(read));
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    // Loopback socket buffers grow to a few MB each (about 10 MB ahead in all, measured);
    // buffering the answer would run the upstream toward its 1 GiB end instead.
    assert!(ahead < 96 << 20, "the upstream ran {ahead} bytes ahead of a client that read {read}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_answer_stalling_past_the_read_timeout_is_a_504() {
    // Half the answer (the key in it), then nothing until the test ends.
    let answer = json!({"id": "c", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": format!("key: {KEY}")}, "finish_reason": "stop"}]})
    .to_string()
    .into_bytes();
    let mut reply = Reply::json(200, &json!({}));
    let half = answer.len() / 2;
    reply.fragments = vec![answer[..half].to_vec(), answer[half..].to_vec()];
    let never = std::sync::Arc::new(tokio::sync::Notify::new());
    reply.hold = Some(never.clone());
    let upstream = Upstream::start(move |_| reply.clone()).await;
    let gate = Gate::start(&upstream.url(), "[upstream]\nread_timeout_secs = 0.3\n", &[]).await;
    let request = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]});
    let r = http_client().post(gate.url("/v1/chat/completions")).json(&request).send().await.expect("answer");
    assert_eq!(r.status(), 504);
    let body = r.text().await.expect("body");
    assert_eq!(serde_json::from_str::<Value>(&body).expect("json")["error"]["code"], "upstream_timeout");
    assert_no_piece(&body, "stalled whole answer");
    drop(never);
}

/// A client that keeps no connection open once its answer is read or dropped.
fn one_connection_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().pool_max_idle_per_host(0).build().expect("client")
}

/// One value from the proxy's `/metrics`, over a connection of its own (no pooled
/// connection stays open to count as a task).
async fn metric(addr: &str, name: &str) -> f64 {
    let c = one_connection_client();
    let text = c.get(format!("http://{addr}/metrics")).send().await.expect("metrics").text().await.expect("text");
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
}

/// Clients that go away mid-stream: each upstream request is cancelled, and the proxy's
/// runtime returns to the tasks it had before (no task, stream or connection left behind),
/// round after round. The real binary, so its runtime holds nothing but the proxy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_disconnect_leave_no_task_behind() {
    let hold = std::sync::Arc::new(tokio::sync::Notify::new());
    let h2 = hold.clone();
    let body = stream_of("an answer that never finishes");
    let upstream = Upstream::start(move |_| {
        let mut r = Reply::sse(vec![body.clone(), b"data: [DONE]\n\n".to_vec()]);
        r.hold = Some(h2.clone());
        r
    })
    .await;
    let served = crate::e2e::Served::start(&upstream, "", &[]).await;
    let addr = served.addr.clone();
    let idle = metric(&addr, "secretgate_runtime_tasks").await;
    // The allocator's figures are wired (the soak bench reads them to tell a leak from slack):
    // the compiled rules alone hold megabytes.
    let heap = metric(&addr, "secretgate_heap_bytes{state=\"allocated\"}").await;
    assert!(heap > (1 << 20) as f64, "heap allocated {heap}");
    const STREAMS: usize = 24;
    let request = json!({"model": "m", "stream": true, "messages": [{"role": "user", "content": "hi"}]});
    for round in 1..=3 {
        let mut open = Vec::new();
        for _ in 0..STREAMS {
            // A client each: every stream on its own connection, closed when it is dropped.
            let c = one_connection_client();
            let mut r =
                c.post(format!("http://{addr}/v1/chat/completions")).json(&request).send().await.expect("answer");
            assert_eq!(r.status(), 200);
            assert!(r.chunk().await.expect("read").expect("first bytes").starts_with(b"data: "));
            open.push(r);
        }
        assert_eq!(metric(&addr, "secretgate_active_streams").await, STREAMS as f64, "round {round}");
        let busy = metric(&addr, "secretgate_runtime_tasks").await;
        assert!(busy >= idle + STREAMS as f64, "round {round}: {busy} tasks with {STREAMS} streams open, {idle} idle");
        drop(open);
        // Every upstream request is abandoned by the proxy…
        let want = round * STREAMS;
        let cancelled = tokio::time::timeout(std::time::Duration::from_secs(30), async {
            while upstream.dropped_count.load(std::sync::atomic::Ordering::SeqCst) < want {
                upstream.dropped.notified().await;
            }
        })
        .await;
        assert!(cancelled.is_ok(), "round {round}: upstream requests not all cancelled");
        // …and the tasks that served them end.
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let (streams, tasks) =
                (metric(&addr, "secretgate_active_streams").await, metric(&addr, "secretgate_runtime_tasks").await);
            if streams == 0.0 && tasks <= idle {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "round {round}: {streams} streams and {tasks} tasks left ({idle} idle)"
            );
            tokio::task::yield_now().await;
        }
    }
    hold.notify_waiters();
    served.stop();
}
