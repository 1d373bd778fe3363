//! Every error the proxy answers with, mapped to HTTP in one place, in the error JSON shape
//! the route's clients expect — OpenAI's (`{"error": {"message", "type", "param", "code"}}`)
//! or, on Anthropic's Messages route, Anthropic's (`{"type": "error", "error": {"type",
//! "message"}}`) — so SDKs raise their usual exceptions. Messages are fixed texts: they never
//! echo a body, a header, a query or a matched secret.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};

use crate::protocol::{anthropic, openai};

#[derive(Debug)]
pub enum ProxyError {
    NotFound,
    /// Gateway mode: no client key, or not one of the configured ones.
    Unauthorized,
    /// A credential in the query string.
    KeyInQuery,
    TooLarge {
        limit: usize,
    },
    BodyUnreadable,
    InvalidJson,
    /// A secret in the request under the `block` policy (the rule id is safe to name).
    SecretInRequest {
        rule: String,
    },
    /// A request to disclose secrets under `disclosure.request = "block"`.
    DisclosureRequest {
        rule: String,
    },
    /// A non-streamed answer blocked, with `block_mode = "error"`.
    SecretInResponse {
        rule: String,
    },
    Busy,
    /// Plain HTTP under `require_tls`.
    TlsRequired,
    UpstreamUnreachable,
    /// The upstream's TLS certificate was not trusted (or not valid for its name).
    UpstreamCertificate,
    UpstreamTimeout,
    UpstreamFailed,
    /// The upstream compressed a body we must scan.
    UpstreamEncoding,
    ShuttingDown,
}

impl ProxyError {
    fn parts(&self) -> (StatusCode, String, &'static str, &'static str) {
        use ProxyError::*;
        let invalid = "invalid_request_error";
        match self {
            NotFound => (StatusCode::NOT_FOUND, "no such route: secretgate serves /v1/…".into(), invalid, "not_found"),
            Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "missing or unknown API key for this secretgate gateway".into(),
                "authentication_error",
                "invalid_api_key",
            ),
            KeyInQuery => (
                StatusCode::BAD_REQUEST,
                "credentials are not accepted in the query string; send them in a header".into(),
                invalid,
                "key_in_query",
            ),
            TooLarge { limit } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body larger than {limit} bytes"),
                invalid,
                "body_too_large",
            ),
            BodyUnreadable => (StatusCode::BAD_REQUEST, "could not read the request body".into(), invalid, "bad_body"),
            InvalidJson => {
                (StatusCode::BAD_REQUEST, "the request body is not valid JSON".into(), invalid, "invalid_json")
            }
            SecretInRequest { rule } => (
                StatusCode::BAD_REQUEST,
                format!("the request contains a secret ({rule}); remove it and retry"),
                invalid,
                "secret_in_request",
            ),
            DisclosureRequest { rule } => (
                StatusCode::BAD_REQUEST,
                format!("the request asks for secrets to be disclosed ({rule}) and was refused"),
                invalid,
                "disclosure_request",
            ),
            SecretInResponse { rule } => (
                StatusCode::BAD_REQUEST,
                format!("the answer contained a secret ({rule}) and was blocked"),
                invalid,
                "content_filter",
            ),
            Busy => {
                (StatusCode::SERVICE_UNAVAILABLE, "too many concurrent requests".into(), "server_error", "overloaded")
            }
            TlsRequired => (
                StatusCode::FORBIDDEN,
                "plain HTTP is refused: connect over HTTPS (API keys must not cross a network in clear)".into(),
                invalid,
                "tls_required",
            ),
            UpstreamCertificate => (
                StatusCode::BAD_GATEWAY,
                "the upstream's TLS certificate could not be verified (a private CA belongs in upstream.ca_file)"
                    .into(),
                "upstream_error",
                "upstream_certificate",
            ),
            UpstreamUnreachable => (
                StatusCode::BAD_GATEWAY,
                "the upstream could not be reached".into(),
                "upstream_error",
                "upstream_unreachable",
            ),
            UpstreamTimeout => (
                StatusCode::GATEWAY_TIMEOUT,
                "the upstream did not answer in time".into(),
                "upstream_error",
                "upstream_timeout",
            ),
            UpstreamFailed => {
                (StatusCode::BAD_GATEWAY, "the upstream request failed".into(), "upstream_error", "upstream_failed")
            }
            UpstreamEncoding => (
                StatusCode::BAD_GATEWAY,
                "the upstream sent a compressed body, which cannot be scanned".into(),
                "upstream_error",
                "upstream_encoding",
            ),
            ShuttingDown => {
                (StatusCode::SERVICE_UNAVAILABLE, "secretgate is shutting down".into(), "server_error", "shutting_down")
            }
        }
    }

    pub fn status(&self) -> StatusCode {
        self.parts().0
    }

    /// The response in `shape`.
    pub fn respond(self, shape: ErrorShape) -> Response {
        let (status, message, kind, code) = self.parts();
        let body = match shape {
            ErrorShape::OpenAi => openai::error_body(&message, kind, code),
            ErrorShape::Anthropic => anthropic::error_body(anthropic::error_type(status.as_u16()), &message),
        };
        (status, [("content-type", "application/json")], body.to_string()).into_response()
    }
}

/// Which error JSON a route's clients read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorShape {
    OpenAi,
    Anthropic,
}

impl IntoResponse for ProxyError {
    fn into_response(self) -> Response {
        self.respond(ErrorShape::OpenAi)
    }
}
