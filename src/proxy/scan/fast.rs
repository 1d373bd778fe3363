//! The fast path for the common stream chunk: a delta of text and nothing else to scan.
//!
//! Instead of parsing the chunk into a tree and writing it back, the raw JSON is walked once
//! ([`json::walk`]) to find the channel strings; each is decoded, pushed through its redactor,
//! and — only if the release differs — replaced in the original bytes. The result is the
//! same document the tree path writes (a differential test checks it on every fixture
//! stream). Anything else — a `finish_reason`, logprobs, a free-text string that is not a
//! channel (a tool's name, an error message), a first chunk, a channel already finished —
//! goes to the tree path, decided *before* any redactor is touched.

use std::ops::Range;

use super::{ChannelState, ChatStream, Reported, IDENTIFIERS};
use crate::{
    protocol::{
        json::{self, Leaf, Seg, Unsupported},
        openai::{Api, Channel, Field, SIMPLE_FIELDS},
        sse,
    },
    stream::Status,
};

/// A channel string found in the raw chunk: which choice (by position) and field, and where.
struct Found {
    choice: usize,
    /// For tool calls: the position in `tool_calls` (its `index` is resolved after the walk).
    tool: Option<usize>,
    field: Field,
    span: Range<usize>,
}

/// What the walk gathered.
#[derive(Default)]
struct Located {
    found: Vec<Found>,
    /// Per choice position: its `index`.
    index: Vec<Option<u64>>,
    /// Per (choice position, tool position): the tool call's `index`.
    tool_index: Vec<((usize, usize), u64)>,
}

fn number(text: &str) -> Result<u64, Unsupported> {
    text.parse().map_err(|_| Unsupported)
}

fn locate(api: Api, data: &str) -> Result<Located, Unsupported> {
    let mut at = Located::default();
    let mut any_choice = false;
    json::walk(data, |path, leaf, span| {
        let raw = &data[span.clone()];
        match (path, leaf) {
            ([Seg::Key("choices"), Seg::Index(c), rest @ ..], _) => {
                any_choice = true;
                if at.index.len() <= *c {
                    at.index.resize(c + 1, None);
                }
                match (api, rest, leaf) {
                    (_, [Seg::Key("index")], Leaf::Number) => at.index[*c] = Some(number(raw)?),
                    (_, [Seg::Key("finish_reason" | "logprobs")], Leaf::Null) => {}
                    (_, [Seg::Key("finish_reason" | "logprobs"), ..], _) => return Err(Unsupported),
                    (Api::Completions, [Seg::Key("text")], Leaf::String) => {
                        at.found.push(Found { choice: *c, tool: None, field: Field::Text, span })
                    }
                    (Api::Chat, [Seg::Key("delta"), Seg::Key(k)], Leaf::String) => {
                        match SIMPLE_FIELDS.iter().find(|(name, _)| name == k) {
                            Some(&(_, field)) => at.found.push(Found { choice: *c, tool: None, field, span }),
                            None if IDENTIFIERS.contains(k) => {}
                            None => return Err(Unsupported),
                        }
                    }
                    (Api::Chat, [Seg::Key("delta"), Seg::Key("tool_calls"), Seg::Index(t), tail @ ..], _) => {
                        match (tail, leaf) {
                            ([Seg::Key("index")], Leaf::Number) => at.tool_index.push(((*c, *t), number(raw)?)),
                            ([Seg::Key("function"), Seg::Key("arguments")], Leaf::String) => at.found.push(Found {
                                choice: *c,
                                tool: Some(*t),
                                field: Field::ToolArguments(0),
                                span,
                            }),
                            ([Seg::Key(k)], Leaf::String) if IDENTIFIERS.contains(k) => {}
                            (_, Leaf::String) => return Err(Unsupported),
                            _ => {}
                        }
                    }
                    (_, _, Leaf::String) => match rest.last() {
                        Some(Seg::Key(k)) if IDENTIFIERS.contains(k) => {}
                        _ => return Err(Unsupported),
                    },
                    _ => {}
                }
            }
            (_, Leaf::String) => match path.last() {
                // Top-level identifiers (`id`, `model`, …); anything else is free text.
                Some(Seg::Key(k)) if path.len() == 1 && IDENTIFIERS.contains(k) => {}
                _ => return Err(Unsupported),
            },
            _ => {}
        }
        Ok(())
    })?;
    if !any_choice {
        return Err(Unsupported);
    }
    Ok(at)
}

impl ChatStream {
    /// Scans a chunk on the fast path, writing the event to `out`. `Err` means: not handled,
    /// nothing changed, take the tree path. `Ok(blocked)` otherwise.
    pub(super) fn fast_chunk(
        &mut self,
        data: &str,
        raw: &[u8],
        plain: bool,
        out: &mut Vec<u8>,
    ) -> Result<bool, Unsupported> {
        if !self.fast || self.template.is_none() || !plain {
            return Err(Unsupported);
        }
        let at = locate(self.api, data)?;
        let channel = |f: &Found| -> Result<Channel, Unsupported> {
            let choice = at.index.get(f.choice).copied().flatten().unwrap_or(f.choice as u64);
            let field = match f.tool {
                None => f.field,
                Some(t) => Field::ToolArguments(
                    at.tool_index.iter().find(|(k, _)| *k == (f.choice, t)).map_or(t as u64, |(_, i)| *i),
                ),
            };
            Ok(Channel { choice, field })
        };
        // Everything that could send this chunk to the tree path is checked before any
        // redactor sees text: a finished channel, logprobs waiting for their text.
        for f in &at.found {
            let ch = channel(f)?;
            if let Some(state) = self.channels.get(&ch) {
                if state.redactor.is_none() || !state.tokens.is_empty() {
                    return Err(Unsupported);
                }
            }
        }
        let mut text = String::new();
        let mut replace: Vec<(Range<usize>, String)> = Vec::new();
        let mut blocked = false;
        for f in &at.found {
            let ch = channel(f)?;
            text.clear();
            json::unescape(&data[f.span.clone()], &mut text)?;
            self.seen.insert(ch.choice);
            let state = self.channels.entry(ch).or_insert_with(|| ChannelState::new(&self.rules, self.policy));
            let Some(redactor) = state.redactor.as_mut() else { continue };
            let release = redactor.push(&text);
            for fi in release.findings {
                state.secrets.push(fi.secret);
                self.findings.push(Reported::of(ch.to_string(), fi));
            }
            blocked |= release.status != Status::Open;
            if release.text != text {
                replace.push((f.span.clone(), release.text.to_owned()));
            }
        }
        for (c, i) in at.index.iter().enumerate() {
            self.seen.insert(i.unwrap_or(c as u64));
        }
        if replace.is_empty() {
            out.extend_from_slice(raw);
            return Ok(blocked);
        }
        replace.sort_by_key(|(span, _)| span.start);
        let mut written = String::with_capacity(data.len() + 16);
        let mut from = 0;
        for (span, with) in replace {
            written.push_str(data.get(from..span.start).unwrap_or_default());
            // serde_json escapes exactly as the tree path writes.
            written.push_str(&serde_json::to_string(&with).unwrap_or_else(|_| "\"\"".to_owned()));
            from = span.end;
        }
        written.push_str(data.get(from..).unwrap_or_default());
        // Through the encoder: data that came in several `data:` lines (JSON may hold line
        // ends between tokens) goes out in several, not as one line and stray ones (found by
        // `adapter_completions`: the lines after the first reached the client as unknown
        // fields, and the chunk as empty data).
        sse::encode_data(&written, out);
        Ok(blocked)
    }
}
