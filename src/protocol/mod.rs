//! Wire formats: bytes ⇄ events ⇄ text channels. Knows formats, not secrets: nothing here
//! looks for a secret; the proxy hands each channel's text to a `StreamRedactor`.
//!
//! - [`sse`]: the server-sent-events codec every streaming API here uses.
//! - [`openai`]: OpenAI Chat Completions and (legacy) Completions: where the text channels of
//!   a chunk or a whole response are, and how to end a stream early.
//! - [`anthropic`]: Anthropic Messages: the text channels of its typed stream events and of
//!   a whole message, the events written to end a stream, its error shape.
//! - [`responses`]: OpenAI Responses: the text channels of its typed stream events, parts,
//!   items and whole responses, opaque payloads, the events written to flush, end or fail a
//!   stream.

pub mod anthropic;
pub mod json;
pub mod openai;
pub mod responses;
pub mod sse;
