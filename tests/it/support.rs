//! Test servers and wire fixtures: an in-process upstream that replays scripted answers byte
//! for byte (fragmented as the script says), the proxy started in-process on a free port,
//! and builders for OpenAI's streaming formats exactly as the API sends them.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use axum::{body::Body, extract::Request, http::StatusCode, response::Response};
use bytes::Bytes;
use secretgate::{
    corpus::Rng,
    proxy::{
        self,
        config::{Overrides, Settings},
    },
    RuleSet,
};
use serde_json::{json, Value};

/// A request the upstream received.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: axum::http::HeaderMap,
    pub body: Bytes,
}

/// What the upstream answers.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body, in the fragments it is written in.
    pub fragments: Vec<Vec<u8>>,
    /// After the fragments, fail the body (the connection breaks mid-stream).
    pub fail: bool,
    /// Before the body, wait until this is notified (for client-disconnect tests).
    pub hold: Option<Arc<tokio::sync::Notify>>,
}

impl Reply {
    pub fn json(status: u16, body: &Value) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            fragments: vec![body.to_string().into_bytes()],
            fail: false,
            hold: None,
        }
    }

    pub fn sse(fragments: Vec<Vec<u8>>) -> Reply {
        Reply {
            status: 200,
            headers: vec![("content-type".into(), "text/event-stream; charset=utf-8".into())],
            fragments,
            fail: false,
            hold: None,
        }
    }
}

type Script = Arc<dyn Fn(&Seen) -> Reply + Send + Sync>;

/// An upstream on 127.0.0.1:0 that answers every request with `script` and records it.
pub struct Upstream {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    /// Bodies dropped before they were fully sent (a client went away).
    pub dropped: Arc<tokio::sync::Notify>,
    /// How many bodies were dropped before their end.
    pub dropped_count: Arc<std::sync::atomic::AtomicUsize>,
    /// Served over HTTPS.
    tls: bool,
}

impl Upstream {
    pub async fn start(script: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Upstream {
        Upstream::serve(script, None).await
    }

    /// The same upstream over HTTPS, with `tls`'s certificate.
    pub async fn start_tls(
        script: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
        tls: Arc<rustls::ServerConfig>,
    ) -> Upstream {
        Upstream::serve(script, Some(tls)).await
    }

    async fn serve(
        script: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> Upstream {
        let script: Script = Arc::new(script);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let dropped = Arc::new(tokio::sync::Notify::new());
        let dropped_count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (s2, sc, d2, n2) = (seen.clone(), script.clone(), dropped.clone(), dropped_count.clone());
        let app = axum::Router::new().fallback(move |req: Request| {
            let (seen, script, dropped, count) = (s2.clone(), sc.clone(), d2.clone(), n2.clone());
            async move {
                let (parts, body) = req.into_parts();
                let body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
                let rec = Seen {
                    method: parts.method.to_string(),
                    path: parts.uri.path().to_owned(),
                    query: parts.uri.query().map(str::to_owned),
                    headers: parts.headers.clone(),
                    body,
                };
                let reply = script(&rec);
                seen.lock().expect("lock").push(rec);
                respond(reply, DropSignal(dropped, count, false))
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind upstream");
        let addr = listener.local_addr().expect("addr");
        let is_tls = tls.is_some();
        match tls {
            Some(config) => {
                let listener = proxy::tls::TlsListener::new(listener, config).expect("TLS listener");
                tokio::spawn(async move {
                    let _ = axum::serve(listener, app).await;
                });
            }
            None => {
                tokio::spawn(async move {
                    let _ = axum::serve(listener, app).await;
                });
            }
        }
        Upstream { addr, seen, dropped, dropped_count, tls: is_tls }
    }

    pub fn url(&self) -> String {
        format!("{}://{}/v1", if self.tls { "https" } else { "http" }, self.addr)
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

/// Notifies when dropped before the end: the body was abandoned.
struct DropSignal(Arc<tokio::sync::Notify>, Arc<std::sync::atomic::AtomicUsize>, bool);

impl Drop for DropSignal {
    fn drop(&mut self) {
        if !self.2 {
            self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.0.notify_one();
        }
    }
}

fn respond(reply: Reply, signal: DropSignal) -> Response {
    let n = reply.fragments.len();
    let fail = reply.fail;
    let hold = reply.hold.clone();
    let body = futures_util::stream::unfold(
        (0usize, reply.fragments, signal, hold),
        move |(i, frags, mut signal, hold)| async move {
            if let Some(h) = &hold {
                if i == n.saturating_sub(1) {
                    h.notified().await;
                }
            }
            if i < n {
                // Let the proxy see each fragment on its own.
                tokio::task::yield_now().await;
                return Some((Ok::<_, std::io::Error>(Bytes::from(frags[i].clone())), (i + 1, frags, signal, hold)));
            }
            signal.2 = true;
            if fail && i == n {
                return Some((Err(std::io::Error::other("scripted failure")), (i + 1, frags, signal, hold)));
            }
            None
        },
    );
    let mut r = Response::new(Body::from_stream(body));
    *r.status_mut() = StatusCode::from_u16(reply.status).expect("status");
    for (k, v) in reply.headers {
        r.headers_mut().insert(axum::http::HeaderName::try_from(k).expect("name"), v.parse().expect("value"));
    }
    r
}

/// The proxy, in-process on a free port.
pub struct Gate {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Gate {
    /// Starts with `config` (TOML text) and `env`, upstream set to `upstream`.
    pub async fn start(upstream: &str, config: &str, env: &[(&str, &str)]) -> Gate {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("secretgate.toml");
        std::fs::write(&path, config).expect("write config");
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let overrides = Overrides {
            upstream: Some(upstream.to_owned()),
            listen: Some("127.0.0.1:0".into()),
            ..Overrides::default()
        };
        let settings = Settings::load(Some(&path), &env, &overrides).expect("settings");
        let proxy = Arc::new(proxy::Proxy::new(settings, rules()).expect("proxy"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = proxy::run(proxy, listener, async move {
                let _ = rx.await;
            })
            .await;
        });
        Gate { addr, stop: Some(tx) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// The built-in rules, compiled once for the whole test binary.
pub fn rules() -> Arc<RuleSet> {
    static SET: std::sync::OnceLock<Arc<RuleSet>> = std::sync::OnceLock::new();
    SET.get_or_init(|| {
        let set = RuleSet::builtin().expect("rules");
        set.prepare_streaming();
        Arc::new(set)
    })
    .clone()
}

/// One-shot redaction of `text` with the default label style: what every channel must add
/// up to.
pub fn redacted(text: &str) -> String {
    let set = rules();
    let findings = set.scan(text.as_bytes());
    String::from_utf8(secretgate::detect::redact(text.as_bytes(), &findings, &set, Default::default())).expect("utf8")
}

/// Cuts `text` into deltas of 1 to `max` characters.
pub fn deltas(text: &str, rng: &mut Rng, max: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let n = 1 + rng.below(max);
        let end = (at + n).min(chars.len());
        out.push(chars[at..end].iter().collect());
        at = end;
    }
    out
}

/// Cuts bytes at random positions (anywhere, even inside a character).
pub fn fragment(bytes: &[u8], rng: &mut Rng, max: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let n = 1 + rng.below(max);
        let end = (at + n).min(bytes.len());
        out.push(bytes[at..end].to_vec());
        at = end;
    }
    out
}

/// What one choice of a scripted chat stream says.
#[derive(Clone, Debug, Default)]
pub struct ChoiceScript {
    pub content: Vec<String>,
    pub refusal: Vec<String>,
    pub reasoning: Vec<String>,
    /// Per tool call: name and argument deltas.
    pub tools: Vec<(String, Vec<String>)>,
    pub logprobs: bool,
    pub finish_reason: &'static str,
}

const ID: &str = "chatcmpl-BcT7q2yXk9dL0mNf3aR8sVwZ1uE4i";
const MODEL: &str = "gpt-4o-mini-2024-07-18";

fn envelope(choices: Value, usage: bool) -> Value {
    let mut v = json!({
        "id": ID,
        "object": "chat.completion.chunk",
        "created": 1_764_400_000,
        "model": MODEL,
        "service_tier": "default",
        "system_fingerprint": "fp_560af6e559",
        "choices": choices,
    });
    if usage {
        v["usage"] = Value::Null;
    }
    v["obfuscation"] = json!("Qw3");
    v
}

fn token_logprobs(text: &str) -> Value {
    // One entry per delta, as OpenAI does for one-token deltas: the token, its UTF-8 bytes,
    // and alternatives.
    json!({
        "content": [{
            "token": text,
            "logprob": -0.0123,
            "bytes": text.as_bytes(),
            "top_logprobs": [{"token": text, "logprob": -0.0123, "bytes": text.as_bytes()}],
        }],
        "refusal": null,
    })
}

/// A Chat Completions stream as OpenAI sends it: a role chunk per choice, the deltas of all
/// choices interleaved, a finish chunk per choice, the usage chunk (if asked), `[DONE]`.
pub fn chat_stream(choices: &[ChoiceScript], usage: bool) -> Vec<u8> {
    let mut events: Vec<Value> = Vec::new();
    for (i, c) in choices.iter().enumerate() {
        let delta = if c.refusal.is_empty() {
            json!({"role": "assistant", "content": "", "refusal": null})
        } else {
            json!({"role": "assistant", "content": null, "refusal": ""})
        };
        let lp = if c.logprobs { json!({"content": [], "refusal": null}) } else { Value::Null };
        events.push(envelope(json!([{"index": i, "delta": delta, "logprobs": lp, "finish_reason": null}]), usage));
    }
    // Each choice's delta chunks in order (reasoning, content, refusal, tool calls), then
    // interleaved across choices as `n > 1` streams are.
    let per_choice: Vec<Vec<Value>> = choices
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut out = Vec::new();
            let choice = |delta: Value, lp: Value| json!({"index": i, "delta": delta, "logprobs": lp, "finish_reason": null});
            for d in &c.reasoning {
                out.push(choice(json!({"reasoning_content": d}), Value::Null));
            }
            for d in &c.content {
                out.push(choice(json!({"content": d}), if c.logprobs { token_logprobs(d) } else { Value::Null }));
            }
            for d in &c.refusal {
                out.push(choice(json!({"refusal": d}), Value::Null));
            }
            for (t, (name, args)) in c.tools.iter().enumerate() {
                let first = json!({"tool_calls": [{"index": t, "id": format!("call_{t}x9Yq2"), "type": "function", "function": {"name": name, "arguments": ""}}]});
                out.push(choice(first, Value::Null));
                for a in args {
                    out.push(choice(json!({"tool_calls": [{"index": t, "function": {"arguments": a}}]}), Value::Null));
                }
            }
            out
        })
        .collect();
    let longest = per_choice.iter().map(Vec::len).max().unwrap_or(0);
    for step in 0..longest {
        for list in &per_choice {
            if let Some(c) = list.get(step) {
                events.push(envelope(json!([c]), usage));
            }
        }
    }
    for (i, c) in choices.iter().enumerate() {
        events.push(envelope(
            json!([{"index": i, "delta": {}, "logprobs": null, "finish_reason": c.finish_reason}]),
            usage,
        ));
    }
    let mut out = Vec::new();
    for e in events {
        out.extend_from_slice(format!("data: {e}\n\n").as_bytes());
    }
    if usage {
        let u = envelope(json!([]), false);
        let mut u = u;
        u["usage"] = json!({"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}});
        out.extend_from_slice(format!("data: {u}\n\n").as_bytes());
    }
    out.extend_from_slice(b"data: [DONE]\n\n");
    out
}

/// What a client reassembles from a Chat Completions stream, per choice.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Assembled {
    pub content: String,
    pub refusal: String,
    pub reasoning: String,
    pub tools: Vec<(String, String)>,
    pub finish_reason: Option<String>,
    /// The logprobs tokens, concatenated.
    pub logprob_text: String,
}

/// Decodes a client-side stream (whole body) the way an SDK accumulates it.
pub fn assemble(body: &[u8]) -> (Vec<Assembled>, Vec<Value>, bool) {
    let mut d = secretgate::protocol::sse::Decoder::default();
    d.push(body);
    let mut items = Vec::new();
    while let Some(i) = d.next_item().expect("client-side stream decodes") {
        items.push(i);
    }
    d.finish().expect("client-side stream decodes");
    let mut out: Vec<Assembled> = Vec::new();
    let mut chunks = Vec::new();
    let mut done = false;
    for item in items {
        let secretgate::protocol::sse::Item::Event { event, .. } = item else { continue };
        if event.data == "[DONE]" {
            done = true;
            continue;
        }
        let Ok(v) = serde_json::from_str::<Value>(&event.data) else { continue };
        for c in v["choices"].as_array().cloned().unwrap_or_default() {
            let i = c["index"].as_u64().expect("index") as usize;
            if out.len() <= i {
                out.resize(i + 1, Assembled::default());
            }
            let a = &mut out[i];
            let d = &c["delta"];
            a.content.push_str(d["content"].as_str().unwrap_or(""));
            a.refusal.push_str(d["refusal"].as_str().unwrap_or(""));
            a.reasoning.push_str(d["reasoning_content"].as_str().unwrap_or(""));
            for t in d["tool_calls"].as_array().cloned().unwrap_or_default() {
                let ti = t["index"].as_u64().expect("tool index") as usize;
                if a.tools.len() <= ti {
                    a.tools.resize(ti + 1, Default::default());
                }
                if let Some(n) = t["function"]["name"].as_str() {
                    a.tools[ti].0.push_str(n);
                }
                a.tools[ti].1.push_str(t["function"]["arguments"].as_str().unwrap_or(""));
            }
            for e in c["logprobs"]["content"].as_array().cloned().unwrap_or_default() {
                a.logprob_text.push_str(e["token"].as_str().unwrap_or(""));
            }
            if let Some(r) = c["finish_reason"].as_str() {
                assert!(a.finish_reason.is_none(), "finish_reason twice for choice {i}");
                a.finish_reason = Some(r.to_owned());
            }
        }
        chunks.push(v);
    }
    (out, chunks, done)
}

/// A one-choice stream of `text[..cut]` in deltas, ending without a finish chunk or `[DONE]`:
/// an answer the upstream broke off (inside a secret, if `cut` falls in one).
pub fn broken_stream(text: &str, cut: usize, rng: &mut Rng) -> Vec<u8> {
    let script = [ChoiceScript { content: deltas(&text[..cut], rng, 3), finish_reason: "stop", ..Default::default() }];
    let body = chat_stream(&script, false);
    let body = String::from_utf8(body).expect("utf8");
    let finish = body.find("\"finish_reason\":\"stop\"").expect("finish chunk");
    let start = body[..finish].rfind("data: ").expect("event start");
    body.as_bytes()[..start].to_vec()
}

/// A plain HTTP client for tests (rustls needs its crypto provider chosen first).
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().expect("client")
}

/// Runs upstream bytes through an answer scanner in the given fragments, item by item as the
/// proxy does (stopping where it says the stream is over); returns the client's bytes.
pub fn through_stream(mut s: impl secretgate::proxy::scan::AnswerStream, fragments: &[Vec<u8>]) -> Vec<u8> {
    use secretgate::{protocol::sse, proxy::scan::Flow};
    let mut d = sse::Decoder::default();
    let mut out = Vec::new();
    let mut stopped = false;
    'outer: for f in fragments {
        d.push(f);
        while let Some(item) = d.next_item().expect("decodes") {
            if s.item(item, &mut out) == Flow::Stop {
                stopped = true;
                break 'outer;
            }
        }
    }
    if !stopped {
        d.finish().expect("the upstream stream ends on an event");
    }
    s.end(&mut out);
    out
}
