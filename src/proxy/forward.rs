//! One request: checks, request-side scan, upstream call, answer scan (streamed or whole),
//! for OpenAI's Chat Completions and Completions and Anthropic's Messages alike: the route
//! picks the answer scanner, the header the upstream key goes in and the error shape.
//!
//! Streamed answers are never buffered: the response body is a stream that pulls upstream
//! bytes, decodes events, scans them and yields what may go out. The client going away drops
//! that stream, which drops the upstream response and so cancels the upstream request.

use std::{sync::Arc, time::Instant};

use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    response::Response,
};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use http_body_util::BodyExt;
use serde_json::Value;

use super::{
    auth::{self, KeyHeader},
    config::{BlockMode, Flag},
    error::{ErrorShape, ProxyError},
    metrics::{FindingLabels, RequestLabels},
    reload::Snapshot,
    scan::{self, AnswerStream, ChatStream, Detectors, Feed, MessagesStream, Reported, ResponsesStream},
    Proxy,
};
use crate::{
    detect::{canary::CanarySet, prompt_leak::PromptSet},
    protocol::openai::Api,
    rules::Kind,
    stream::{Action, Policy},
};

/// What a route is, for scanning and metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    Chat,
    Completions,
    /// Anthropic Messages.
    Messages,
    /// OpenAI Responses: creating one, or retrieving a stored one (`GET /v1/responses/{id}`,
    /// which returns, or streams again, the same text).
    Responses,
    /// Embeddings: the request is scanned (its input goes upstream); the answer is vectors.
    Embeddings,
    Other,
}

impl Route {
    fn of(method: &Method, path: &str) -> Route {
        match (method, path.trim_end_matches('/')) {
            (&Method::POST, "/v1/chat/completions") => Route::Chat,
            (&Method::POST, "/v1/completions") => Route::Completions,
            // Counting tokens sends the whole request upstream too: scanned the same way.
            (&Method::POST, "/v1/messages" | "/v1/messages/count_tokens") => Route::Messages,
            (&Method::POST, "/v1/responses") => Route::Responses,
            (&Method::GET, p)
                if p.strip_prefix("/v1/responses/").is_some_and(|id| !id.is_empty() && !id.contains('/')) =>
            {
                Route::Responses
            }
            (&Method::POST, "/v1/embeddings") => Route::Embeddings,
            _ => Route::Other,
        }
    }

    /// The OpenAI API of the route, if it is one.
    fn api(self) -> Option<Api> {
        match self {
            Route::Chat => Some(Api::Chat),
            Route::Completions => Some(Api::Completions),
            _ => None,
        }
    }

    /// Whether its requests are scanned.
    fn scanned(self) -> bool {
        self != Route::Other
    }

    /// Whether its answers are scanned.
    fn answer_scanned(self) -> bool {
        !matches!(self, Route::Other | Route::Embeddings)
    }

    fn key_header(self) -> KeyHeader {
        if self == Route::Messages {
            KeyHeader::XApiKey
        } else {
            KeyHeader::Bearer
        }
    }

    fn error_shape(self) -> ErrorShape {
        if self == Route::Messages {
            ErrorShape::Anthropic
        } else {
            ErrorShape::OpenAi
        }
    }

    fn label(self, path: &str) -> &'static str {
        match self {
            Route::Chat => "chat_completions",
            Route::Completions => "completions",
            Route::Messages => "messages",
            Route::Responses => "responses",
            Route::Embeddings => "embeddings",
            Route::Other if path.starts_with("/v1/") || path == "/v1" => "passthrough",
            Route::Other => "unknown",
        }
    }
}

/// Request and response headers that belong to one hop, not to the exchange.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

pub(super) async fn handle(State(p): State<Arc<Proxy>>, req: Request) -> Response {
    let started = Instant::now();
    let id = p.request_id();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let route = Route::of(&method, &path);
    // The configuration this request runs on to its end, a reload notwithstanding.
    let snap = p.snapshot();
    let mut response = match forward(&p, &snap, req, route, &id).await {
        Ok(r) => r,
        Err(e) => e.respond(route.error_shape()),
    };
    let status = response.status().as_u16();
    p.metrics.requests.get_or_create(&RequestLabels { route: route.label(&path), status }).inc();
    // The path is logged, never the query (it may carry a key: such requests are refused).
    tracing::info!(
        request_id = %id,
        method = %method,
        path = %loggable_path(&path, &snap.rules),
        status,
        ms = started.elapsed().as_secs_f64() * 1e3,
        "request"
    );
    // Ours always as `x-secretgate-request-id` (what the logs name); as `x-request-id` only
    // when the upstream sent none, so a provider's own id (which SDKs surface for support
    // requests) is kept.
    if let Ok(v) = HeaderValue::from_str(&id) {
        let headers = response.headers_mut();
        if !headers.contains_key("x-request-id") {
            headers.insert("x-request-id", v.clone());
        }
        headers.insert("x-secretgate-request-id", v);
    }
    response
}

/// The path with any segment that is not a plain identifier, or that holds a secret a rule
/// finds, replaced: a path can carry a key too (`/v1/sk-…`, `/v1/files/AKIA…`), and keys such
/// as AWS key ids and GitHub tokens look like plain identifiers.
fn loggable_path(path: &str, rules: &crate::RuleSet) -> String {
    let findings = rules.scan(path.as_bytes());
    let mut at = 0;
    path.split('/')
        .map(|seg| {
            let span = at..at + seg.len();
            at = span.end + 1;
            let secret = findings.iter().any(|f| f.secret.start < span.end && f.secret.end > span.start);
            if !secret
                && seg.len() <= 40
                && seg.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
                && !seg.contains("sk-")
            {
                seg
            } else {
                "…"
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn forward(
    p: &Arc<Proxy>,
    snap: &Arc<Snapshot>,
    req: Request,
    route: Route,
    id: &str,
) -> Result<Response, ProxyError> {
    let path = req.uri().path().to_owned();
    let Some(rest) = path.strip_prefix("/v1").filter(|r| r.is_empty() || r.starts_with('/')) else {
        return Err(ProxyError::NotFound);
    };
    if !p.ready.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(ProxyError::ShuttingDown);
    }
    let s = &snap.settings;
    if s.upstream_key.is_some()
        && !auth::presented_key(req.headers()).is_some_and(|k| auth::key_allowed(k, &s.client_keys))
    {
        return Err(ProxyError::Unauthorized);
    }
    let query = req.uri().query().map(str::to_owned);
    if let Some(q) = &query {
        if auth::query_has_key(q, &snap.rules) {
            return Err(ProxyError::KeyInQuery);
        }
    }
    let permit = p.permits.clone().try_acquire_owned().map_err(|_| ProxyError::Busy)?;
    let (parts, body) = req.into_parts();
    let mut body = read_limited(body, s.max_body_bytes).await?;
    let scanning = s.scan && route.scanned();
    // A retrieval has no body to scan.
    let has_request = parts.method == Method::POST;

    let mut flagged = false;
    // Configured canaries apply both ways; secrets found in the request join them for the answer.
    let mut detectors = Detectors {
        rules: snap.rules.clone(),
        canaries: s.canaries.iter().cloned().collect(),
        prompt: None,
        disclosure: None,
    };
    let prompt_leaks = s.system_prompt.filter(|_| s.response.is_some());
    if scanning && has_request && (s.disclosure_request != Flag::Off || s.request.is_some() || prompt_leaks.is_some()) {
        // Parsed once for every check.
        let value: Value = serde_json::from_slice(&body).map_err(|_| ProxyError::InvalidJson)?;
        if s.disclosure_request != Flag::Off {
            flagged = disclosure_check(p, s, &value, id)?;
        }
        // Read before the request's own redaction (what the model was told is what it can
        // repeat), used only for the answer.
        let prompt = prompt_leaks.and_then(|action| {
            PromptSet::new(&instructions(&value), s.system_prompt_min_words).map(|set| (Arc::new(set), action))
        });
        if let Some(policy) = s.request {
            let (scanned, secrets) = scan_request(p, snap, &detectors, policy, value, body, id)?;
            body = scanned;
            if s.automatic_canaries && !secrets.is_empty() {
                if let Ok(set) = CanarySet::skipping_short(&secrets, s.canary_min_run) {
                    detectors.canaries.push(Arc::new(set));
                }
            }
        }
        detectors.prompt = prompt;
    }
    // Answers only: a request's own disclosure requests are handled above.
    detectors.disclosure = s.disclosure_response.map(|action| (p.disclosure.clone(), action));

    let mut url = format!("{}{}", s.upstream, rest);
    if let Some(q) = &query {
        url.push('?');
        url.push_str(q);
    }
    let mut headers = HeaderMap::new();
    for (name, value) in &parts.headers {
        if HOP_BY_HOP.contains(&name.as_str()) {
            continue;
        }
        if s.upstream_key.is_some() && (name == header::AUTHORIZATION || name.as_str() == "x-api-key") {
            continue;
        }
        headers.append(name.clone(), value.clone());
    }
    if let Some(key) = &s.upstream_key {
        let (name, value) = auth::upstream_key_header(key, route.key_header()).ok_or(ProxyError::UpstreamFailed)?;
        headers.insert(name, value);
    }
    if scanning {
        // A compressed answer could not be scanned: ask for none.
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("identity"));
    }
    let sent = Instant::now();
    let upstream =
        p.client.request(parts.method.clone(), &url).headers(headers).body(body).send().await.map_err(|e| {
            tracing::warn!(request_id = %id, error = %upstream_error_kind(&e), "upstream request failed");
            if e.is_timeout() {
                ProxyError::UpstreamTimeout
            } else if super::tls::is_certificate_error(&e) {
                ProxyError::UpstreamCertificate
            } else if e.is_connect() {
                ProxyError::UpstreamUnreachable
            } else {
                ProxyError::UpstreamFailed
            }
        })?;
    p.metrics.upstream_latency.observe(sent.elapsed().as_secs_f64());

    let status = upstream.status();
    let mut out_headers = HeaderMap::new();
    for (name, value) in upstream.headers() {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            out_headers.append(name.clone(), value.clone());
        }
    }
    if flagged {
        out_headers.insert(FLAGGED, HeaderValue::from_static("disclosure-request"));
    }
    let policy = s.response.filter(|_| scanning && route.answer_scanned());
    let Some(policy) = policy else {
        // Pass through as is, streaming.
        return Ok(build(status, out_headers, Body::from_stream(pass_through(upstream, permit))));
    };
    if let Some(enc) = upstream.headers().get(header::CONTENT_ENCODING) {
        if !enc.as_bytes().eq_ignore_ascii_case(b"identity") {
            return Err(ProxyError::UpstreamEncoding);
        }
    }
    let is_sse = upstream
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/event-stream"));
    if is_sse && status.is_success() {
        let answer: Box<dyn AnswerStream> = match (route, route.api()) {
            (_, Some(api)) => Box::new(ChatStream::new(api, detectors, policy)),
            (Route::Responses, None) => Box::new(ResponsesStream::new(detectors, policy)),
            _ => Box::new(MessagesStream::new(detectors, policy)),
        };
        let stream = stream_answer(p.clone(), snap.clone(), answer, policy, upstream, id.to_owned(), permit);
        return Ok(build(status, out_headers, Body::from_stream(stream)));
    }

    // A whole answer (or an upstream error body): read, scan, re-encode.
    let bytes = read_upstream(upstream, s.max_body_bytes.saturating_mul(4)).await?;
    let mut findings = Vec::new();
    let out = match serde_json::from_slice::<Value>(&bytes) {
        Ok(mut value) if status.is_success() => {
            let outcome = match (route, route.api()) {
                (_, Some(api)) => scan::scan_answer(&detectors, policy, api, &mut value),
                (Route::Responses, None) => scan::responses::scan_response(&detectors, policy, &mut value),
                _ => scan::anthropic::scan_message(&detectors, policy, &mut value),
            };
            findings = outcome.findings;
            audit(p, snap, id, "response", policy, &findings);
            // What was only flagged in the answer joins the request's flag.
            let mut kinds: Vec<&str> = Vec::new();
            if flagged
                || (s.disclosure_response == Some(Action::Report)
                    && findings.iter().any(|f| f.kind == Kind::DisclosureRequest))
            {
                kinds.push("disclosure-request");
            }
            if findings.iter().any(|f| f.kind == Kind::SystemPromptLeak) {
                kinds.push("system-prompt-leak");
            }
            if let Ok(v) = HeaderValue::from_str(&kinds.join(", ")) {
                if !kinds.is_empty() {
                    out_headers.insert(FLAGGED, v);
                }
            }
            if outcome.blocked && s.block_mode == BlockMode::Error {
                return Err(ProxyError::SecretInResponse { rule: rule_id(snap, &findings) });
            }
            Bytes::from(value.to_string())
        }
        Ok(mut value) => {
            // Error bodies are redacted whatever the policy: they are not the answer.
            scan::redact_strings(&detectors, scan::redact_policy(policy), &mut value, "error", &mut findings);
            audit(p, snap, id, "response", policy, &findings);
            Bytes::from(value.to_string())
        }
        Err(_) => {
            let mut text = String::from_utf8_lossy(&bytes).into_owned();
            scan::redact_string(
                &detectors,
                scan::redact_policy(policy),
                &mut text,
                &|| "body".to_owned(),
                &mut findings,
            );
            audit(p, snap, id, "response", policy, &findings);
            Bytes::from(text)
        }
    };
    drop(permit);
    Ok(build(status, out_headers, Body::from(out)))
}

fn build(status: StatusCode, headers: HeaderMap, body: Body) -> Response {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    *r.headers_mut() = headers;
    r
}

/// A reqwest error, described without its URL (which could carry a query).
fn upstream_error_kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if super::tls::is_certificate_error(e) {
        "tls_certificate"
    } else if e.is_connect() {
        "connect"
    } else if e.is_body() {
        "body"
    } else if e.is_decode() {
        "decode"
    } else {
        "request"
    }
}

async fn read_limited(body: Body, limit: usize) -> Result<Bytes, ProxyError> {
    match http_body_util::Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => Err(ProxyError::TooLarge { limit }),
        Err(_) => Err(ProxyError::BodyUnreadable),
    }
}

async fn read_upstream(mut upstream: reqwest::Response, limit: usize) -> Result<Bytes, ProxyError> {
    let mut out = Vec::new();
    // A stall past the read timeout is a timeout here too, as before the headers.
    let failed =
        |e: reqwest::Error| if e.is_timeout() { ProxyError::UpstreamTimeout } else { ProxyError::UpstreamFailed };
    while let Some(chunk) = upstream.chunk().await.map_err(failed)? {
        if out.len() + chunk.len() > limit {
            return Err(ProxyError::UpstreamFailed);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(out))
}

/// Scans a parsed request of any scanned route (`body` is its bytes, forwarded as
/// they are when nothing changed); returns what to send upstream and the values of the
/// secrets found in it (kept in memory for the answer's canaries, never logged).
fn scan_request(
    p: &Proxy,
    snap: &Snapshot,
    detectors: &Detectors,
    policy: Policy,
    mut value: Value,
    body: Bytes,
    id: &str,
) -> Result<(Bytes, Vec<String>), ProxyError> {
    let mut findings = Vec::new();
    let (blocked, secrets) = scan::redact_request(detectors, policy, &mut value, &mut findings);
    audit(p, snap, id, "request", policy, &findings);
    if blocked {
        return Err(ProxyError::SecretInRequest { rule: rule_id(snap, &findings) });
    }
    if findings.is_empty() || policy.action == Action::Report {
        return Ok((body, secrets));
    }
    Ok((Bytes::from(value.to_string()), secrets))
}

fn rule_id(snap: &Snapshot, findings: &[Reported]) -> String {
    findings.first().map_or_else(|| "holdback-overflow".to_owned(), |f| f.label(&snap.rules).to_owned())
}

fn action_name(policy: Policy) -> &'static str {
    match policy.action {
        Action::Redact(_) => "redact",
        Action::Block => "block",
        Action::Report => "report",
    }
}

/// One audit event and one metric increment per finding. Rule id, fingerprint, where —
/// never the secret. `snap` is the request's: its findings index its rules.
fn audit(p: &Proxy, snap: &Snapshot, id: &str, direction: &'static str, policy: Policy, findings: &[Reported]) {
    for f in findings {
        let action = match (f.kind, snap.settings.system_prompt) {
            (Kind::SystemPromptLeak, Some(Action::Report)) => "flag",
            (Kind::SystemPromptLeak, Some(a)) => action_name(Policy { action: a, ..policy }),
            (Kind::DisclosureRequest, _) => match snap.settings.disclosure_response {
                Some(Action::Report) => "flag",
                Some(a) => action_name(Policy { action: a, ..policy }),
                None => action_name(policy),
            },
            _ => action_name(policy),
        };
        let rule = f.label(&snap.rules);
        tracing::warn!(
            target: "secretgate::audit",
            request_id = %id,
            direction,
            channel = %f.location,
            rule,
            fingerprint = %f.fingerprint,
            action,
            "secret found"
        );
        p.metrics.findings.get_or_create(&FindingLabels { rule: rule.to_owned(), action, direction }).inc();
    }
}

/// The state of one scanned event stream.
struct Scanned {
    p: Arc<Proxy>,
    /// The snapshot the request started on: the stream finishes on it.
    snap: Arc<Snapshot>,
    upstream: reqwest::Response,
    feed: Feed,
    id: String,
    policy: Policy,
    _active: ActiveStream,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

/// Decrements the active-stream gauge when the stream ends or is dropped.
struct ActiveStream(Arc<Proxy>);

impl Drop for ActiveStream {
    fn drop(&mut self) {
        self.0.metrics.active_streams.dec();
    }
}

/// The scanned event stream: upstream bytes → SSE items → [`ChatStream`] or
/// [`MessagesStream`] → client bytes.
fn stream_answer(
    p: Arc<Proxy>,
    snap: Arc<Snapshot>,
    answer: Box<dyn AnswerStream>,
    policy: Policy,
    upstream: reqwest::Response,
    id: String,
    permit: tokio::sync::OwnedSemaphorePermit,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send {
    p.metrics.active_streams.inc();
    let st = Scanned {
        feed: Feed::new(snap.settings.max_event_bytes, answer),
        snap,
        _active: ActiveStream(p.clone()),
        p,
        upstream,
        id,
        policy,
        _permit: permit,
    };
    futures_util::stream::unfold(st, |mut st| async move {
        loop {
            if st.feed.is_ended() {
                return None;
            }
            let mut out = Vec::new();
            let next = st.upstream.chunk().await;
            st.take(next, &mut out);
            st.p.metrics.holdback.observe(st.feed.answer().held() as f64);
            let findings = st.feed.answer().take_findings();
            if !findings.is_empty() {
                audit(&st.p, &st.snap, &st.id, "response", st.policy, &findings);
            }
            if !out.is_empty() {
                return Some((Ok(Bytes::from(out)), st));
            }
        }
    })
}

/// The upstream body unchanged.
fn pass_through(
    upstream: reqwest::Response,
    permit: tokio::sync::OwnedSemaphorePermit,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send {
    upstream.bytes_stream().map(move |chunk| {
        let _held = &permit;
        chunk.map_err(|e| std::io::Error::other(upstream_error_kind(&e)))
    })
}

impl Scanned {
    /// Handles what one read from the upstream gave.
    fn take(&mut self, next: reqwest::Result<Option<Bytes>>, out: &mut Vec<u8>) {
        match next {
            Ok(Some(bytes)) => {
                if let Err(e) = self.feed.push(&bytes, out) {
                    tracing::warn!(request_id = %self.id, error = %e, "upstream sent a malformed event stream");
                }
            }
            Ok(None) => self.feed.end(out),
            Err(e) => {
                tracing::warn!(request_id = %self.id, error = %upstream_error_kind(&e), "upstream stream failed");
                let msg = if e.is_timeout() {
                    "the upstream stopped sending (read timeout)"
                } else {
                    "the upstream stream failed"
                };
                self.feed.fail(msg, out);
            }
        }
    }
}

/// The header that says a request or its answer was flagged (and why).
const FLAGGED: &str = "x-secretgate-flagged";

/// The operator's instructions in a request: the text of its system and developer messages
/// (Chat Completions; Responses `input` items), its top-level `system` (Anthropic Messages: a
/// string or text blocks) or `instructions` (Responses).
fn instructions(value: &Value) -> Vec<&str> {
    let mut found = Vec::new();
    let input = value.get("input").and_then(Value::as_array).into_iter().flatten();
    for m in value.get("messages").and_then(Value::as_array).into_iter().flatten().chain(input) {
        if matches!(m.get("role").and_then(Value::as_str), Some("system" | "developer")) {
            if let Some(content) = m.get("content") {
                content_texts(content, String::new(), &mut found);
            }
        }
    }
    for key in ["system", "instructions"] {
        if let Some(system) = value.get(key) {
            content_texts(system, String::new(), &mut found);
        }
    }
    found.into_iter().map(|(_, t)| t).collect()
}

/// The texts of a request that come from users or tools (not the operator's system or
/// developer messages, nor Anthropic's top-level `system` or Responses' `instructions`), with
/// where they are: messages, prompts, Responses and embeddings `input` (a string, strings, or
/// items: messages' content, tool outputs).
fn untrusted_texts(value: &Value) -> Vec<(String, &str)> {
    let mut out = Vec::new();
    if let Some(messages) = value.get("messages").and_then(Value::as_array) {
        for (i, m) in messages.iter().enumerate() {
            let role = m.get("role").and_then(Value::as_str).unwrap_or("user");
            if matches!(role, "system" | "developer") {
                continue;
            }
            if let Some(content) = m.get("content") {
                content_texts(content, format!("messages[{i}].content"), &mut out);
            }
        }
    }
    match value.get("prompt") {
        Some(Value::String(t)) => out.push(("prompt".to_owned(), t.as_str())),
        Some(Value::Array(items)) => {
            for (i, t) in items.iter().enumerate() {
                if let Some(t) = t.as_str() {
                    out.push((format!("prompt[{i}]"), t));
                }
            }
        }
        _ => {}
    }
    match value.get("input") {
        Some(Value::String(t)) => out.push(("input".to_owned(), t.as_str())),
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                if let Some(t) = item.as_str() {
                    out.push((format!("input[{i}]"), t));
                    continue;
                }
                if matches!(item.get("role").and_then(Value::as_str), Some("system" | "developer")) {
                    continue;
                }
                for key in ["content", "output"] {
                    if let Some(inner) = item.get(key) {
                        content_texts(inner, format!("input[{i}].{key}"), &mut out);
                    }
                }
            }
        }
        _ => {}
    }
    out
}

/// The texts of a message's `content`, with their paths under `at`: a string, or parts with
/// a `text`; a part's own `content` (Anthropic's `tool_result` blocks) is read the same way.
fn content_texts<'a>(content: &'a Value, at: String, out: &mut Vec<(String, &'a str)>) {
    match content {
        Value::String(t) => out.push((at, t.as_str())),
        Value::Array(parts) => {
            for (j, part) in parts.iter().enumerate() {
                if let Some(t) = part.get("text").and_then(Value::as_str) {
                    out.push((format!("{at}[{j}].text"), t));
                }
                if let Some(inner) = part.get("content") {
                    content_texts(inner, format!("{at}[{j}].content"), out);
                }
            }
        }
        _ => {}
    }
}

/// Requests to disclose secrets in what users and tools wrote: audited and counted; refused
/// under `block`. Returns whether the request is flagged.
fn disclosure_check(p: &Proxy, s: &super::Settings, value: &Value, id: &str) -> Result<bool, ProxyError> {
    let block = s.disclosure_request == Flag::Block;
    let action = if block { "block" } else { "flag" };
    let mut first = None;
    for (location, text) in untrusted_texts(value) {
        for f in p.disclosure.scan(text) {
            let rule = p.disclosure.rule(f.rule).id.as_str();
            tracing::warn!(
                target: "secretgate::audit",
                request_id = %id,
                direction = "request",
                kind = "disclosure-request",
                channel = %location,
                rule,
                action,
                "request to disclose secrets"
            );
            p.metrics
                .findings
                .get_or_create(&FindingLabels { rule: rule.to_owned(), action, direction: "request" })
                .inc();
            first.get_or_insert_with(|| rule.to_owned());
        }
    }
    match first {
        Some(rule) if block => Err(ProxyError::DisclosureRequest { rule }),
        Some(_) => Ok(true),
        None => Ok(false),
    }
}
