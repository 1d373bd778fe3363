//! Helpers for the unit tests of the event-stream scanners: the built-in rules, an upstream
//! event as the SSE decoder yields it, and a scanner run over a list of events.

use std::sync::{Arc, OnceLock};

use serde_json::Value;

use super::{AnswerStream, Detectors, Flow};
use crate::{protocol::sse, RuleSet};

pub(crate) const KEY: &str = "sk-proj-7ku8dr1aRNQPTDZTe1tzT3BlbkFJjD7yqHBEReY65dHmyWR2";

/// The built-in rules, compiled once.
pub(crate) fn rules() -> Detectors {
    static SET: OnceLock<Arc<RuleSet>> = OnceLock::new();
    Detectors::from(SET.get_or_init(|| Arc::new(RuleSet::builtin().expect("rules"))).clone())
}

/// `value` as a typed event (`event: <type>`), the way the decoder hands it over.
pub(crate) fn event(value: &Value) -> sse::Item {
    let ty = value["type"].as_str().unwrap_or("message").to_owned();
    let raw = format!("event: {ty}\ndata: {value}\n\n").into_bytes();
    let data = value.to_string();
    sse::Item::Event { event: sse::Event { event: Some(ty), data, has_data: true, ..Default::default() }, raw }
}

/// Runs `events` through `s` (then ends it); returns the events the client gets, checking
/// that each one's name is its type.
pub(crate) fn run_events(mut s: impl AnswerStream, events: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    for e in events {
        if s.item(event(e), &mut out) == Flow::Stop {
            break;
        }
    }
    s.end(&mut out);
    let mut d = sse::Decoder::default();
    d.push(&out);
    let mut got = Vec::new();
    while let Some(sse::Item::Event { event, .. }) = d.next_item().expect("decodes") {
        let v: Value = serde_json::from_str(&event.data).expect("json");
        assert_eq!(event.event.as_deref(), v["type"].as_str(), "event name and type agree");
        got.push(v);
    }
    got
}
