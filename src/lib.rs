//! secretgate: stops API keys and other secrets from leaking through LLM endpoints.
//!
//! Layers, lowest first (see ARCHITECTURE.md): [`rules`] loads and compiles rule files,
//! [`detect`] finds and redacts secrets in a whole text, [`cli`] drives both from the command
//! line. Everything below `cli` is pure: no IO beyond reading rule files, no globals.

pub mod bench;
pub mod cli;
pub mod corpus;
pub mod detect;
#[doc(hidden)]
pub mod fuzzing;
pub mod protocol;
pub mod proxy;
pub mod rules;
pub mod stream;
#[cfg(test)]
mod test_rules;

pub use detect::{Finding, RuleSet, Scratch, Span, Style};
pub use stream::StreamRedactor;
