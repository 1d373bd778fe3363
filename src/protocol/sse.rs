//! Server-sent events: an incremental byte-level decoder and the matching encoder.
//!
//! The decoder takes bytes exactly as they come off the socket — any fragmentation, a line
//! split anywhere, even inside a multi-byte character or between `\r` and `\n` — and yields
//! whole events. It follows the WHATWG event-stream grammar: lines end in `\n`, `\r\n` or a
//! lone `\r`; a line starting with `:` is a comment; `field: value` (one optional space after
//! the colon); several `data:` lines join with `\n`; an empty line ends the event.
//!
//! Each event keeps its original bytes (`raw`), so an event that needs no rewriting is
//! forwarded byte for byte. Comments (keep-alives such as `: ping`) come out as their own
//! items, in stream order.
//!
//! Limits: a line longer than [`Decoder::max_line`] is an error (the caller answers with a
//! clean error instead of buffering without end). Invalid UTF-8 in a field is an error too:
//! every format we carry over SSE is JSON, which is UTF-8.

use std::fmt;

/// One decoded event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Event {
    /// The `event:` field, if any.
    pub event: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// The `id:` field, if any.
    pub id: Option<String>,
    /// The `retry:` field, if any (kept as text).
    pub retry: Option<String>,
    /// Whether the event had at least one `data:` line (an event with `data:` and an empty
    /// value differs from one with no data line at all).
    pub has_data: bool,
}

/// What the decoder yields, in stream order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A whole event and the bytes it was made of (through its blank line).
    Event { event: Event, raw: Vec<u8> },
    /// A comment line (without the leading `:` and the line end), with its raw bytes.
    Comment { text: String, raw: Vec<u8> },
    /// A blank line outside any event (after a comment, say): nothing to a client, kept so
    /// that forwarding raw bytes changes nothing.
    Blank { raw: Vec<u8> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// A line longer than the limit.
    LineTooLong { limit: usize },
    /// A line that is not UTF-8.
    InvalidUtf8,
    /// The body ended inside an event or a line (see [`Decoder::finish`]).
    Incomplete,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::LineTooLong { limit } => write!(f, "event-stream line longer than {limit} bytes"),
            Error::InvalidUtf8 => f.write_str("event-stream line is not valid UTF-8"),
            Error::Incomplete => f.write_str("event-stream ended inside an event"),
        }
    }
}

impl std::error::Error for Error {}

/// Incremental decoder. Feed bytes with [`Decoder::push`], take items with
/// [`Decoder::next_item`] until it returns `Ok(None)`; call [`Decoder::finish`] at the end of
/// the body: it says whether the body ended inside an event.
#[derive(Debug)]
pub struct Decoder {
    /// Bytes not yet consumed (at most one partial line after `next_item` returns `None`).
    buf: Vec<u8>,
    /// Start of unconsumed bytes in `buf`.
    pos: usize,
    /// Raw bytes of the event being built.
    raw: Vec<u8>,
    pending: Event,
    /// The event has at least one field line.
    started: bool,
    /// The last line ended in `\r`: a `\n` right after it belongs to that line end.
    after_cr: bool,
    /// The event being built has lines a client does not read (comments, unknown fields):
    /// its raw bytes are not forwarded, its canonical encoding is (see [`Decoder::dispatch`]).
    unread: bool,
    /// Longest line accepted, in bytes.
    pub max_line: usize,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new(1 << 20)
    }
}

impl Decoder {
    pub fn new(max_line: usize) -> Decoder {
        Decoder {
            buf: Vec::new(),
            pos: 0,
            raw: Vec::new(),
            pending: Event::default(),
            started: false,
            after_cr: false,
            unread: false,
            max_line,
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        if self.pos > 0 && self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        } else if self.pos > 4096 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole item, if the bytes so far complete one.
    pub fn next_item(&mut self) -> Result<Option<Item>, Error> {
        loop {
            if self.after_cr && self.pos < self.buf.len() {
                // The `\n` of a `\r\n` split across pushes: part of the line end before it.
                // If that line ended an item, the item is gone; the byte is dropped (a lone
                // `\r` is a line end too, so the stream means the same).
                self.after_cr = false;
                if self.buf[self.pos] == b'\n' {
                    if self.started {
                        self.raw.push(b'\n');
                    }
                    self.pos += 1;
                }
            }
            let rest = &self.buf[self.pos..];
            let Some(end) = memchr::memchr2(b'\n', b'\r', rest) else {
                if rest.len() > self.max_line {
                    return Err(Error::LineTooLong { limit: self.max_line });
                }
                return Ok(None);
            };
            if end > self.max_line {
                return Err(Error::LineTooLong { limit: self.max_line });
            }
            let line_end = self.pos + end;
            let mut next = line_end + 1;
            if self.buf[line_end] == b'\r' {
                if next == self.buf.len() {
                    self.after_cr = true;
                } else if self.buf[next] == b'\n' {
                    next += 1;
                }
            }
            let line = std::str::from_utf8(&self.buf[self.pos..line_end]).map_err(|_| Error::InvalidUtf8)?.to_owned();
            let start = self.pos;
            self.pos = next;
            if let Some(item) = self.line(&line, start, next) {
                return Ok(Some(item));
            }
        }
    }

    /// The end of the body. Anything left — a line without its line end, an event without
    /// the blank line that ends it — is [`Error::Incomplete`]: a client discards it (as the
    /// WHATWG parser does), and a cut event is cut text, in which a secret cut short is one no
    /// rule finds any more. The decoder is empty afterwards.
    pub fn finish(&mut self) -> Result<(), Error> {
        let incomplete = self.pos < self.buf.len() || self.started;
        self.buf.clear();
        self.pos = 0;
        self.raw.clear();
        self.pending = Event::default();
        self.started = false;
        self.unread = false;
        if incomplete {
            return Err(Error::Incomplete);
        }
        Ok(())
    }

    /// The event built so far, as an item. An event with lines a client does not read
    /// (comments inside it, unknown fields) carries its canonical encoding as its bytes, not
    /// the upstream's: forwarding "raw" bytes then forwards only what was read, and so
    /// scanned. Such lines alone make no event (a blank line).
    fn dispatch(&mut self) -> Item {
        self.started = false;
        let mut raw = std::mem::take(&mut self.raw);
        let event = std::mem::take(&mut self.pending);
        if std::mem::take(&mut self.unread) {
            raw.clear();
            if event == Event::default() {
                raw.push(b'\n');
                return Item::Blank { raw };
            }
            encode(&event, &mut raw);
        }
        Item::Event { event, raw }
    }

    /// Handles one line (`buf[start..end]` with its line end); returns an item it completes.
    fn line(&mut self, line: &str, start: usize, end: usize) -> Option<Item> {
        if line.is_empty() {
            self.raw.extend_from_slice(&self.buf[start..end]);
            if !self.started {
                return Some(Item::Blank { raw: std::mem::take(&mut self.raw) });
            }
            return Some(self.dispatch());
        }
        if let Some(comment) = line.strip_prefix(':') {
            if self.started {
                // A comment inside an event: not read by clients (see `dispatch`).
                self.raw.extend_from_slice(&self.buf[start..end]);
                self.unread = true;
                return None;
            }
            return Some(Item::Comment { text: comment.to_owned(), raw: self.buf[start..end].to_vec() });
        }
        self.raw.extend_from_slice(&self.buf[start..end]);
        self.started = true;
        let (name, value) = match line.find(':') {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(' ').unwrap_or(v))
            }
            None => (line, ""),
        };
        let ev = &mut self.pending;
        match name {
            "data" => {
                if ev.has_data {
                    ev.data.push('\n');
                }
                ev.data.push_str(value);
                ev.has_data = true;
            }
            "event" => ev.event = Some(value.to_owned()),
            "id" if !value.contains('\0') => ev.id = Some(value.to_owned()),
            "retry" => ev.retry = Some(value.to_owned()),
            _ => self.unread = true,
        }
        None
    }

    /// Bytes buffered and not yet part of an item (for limits and tests).
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.pos + self.raw.len()
    }
}

/// Writes `event` in canonical form: `event:`, `id:`, `retry:`, one `data:` line per line of
/// data, then a blank line; `\n` line ends.
pub fn encode(event: &Event, out: &mut Vec<u8>) {
    if let Some(name) = &event.event {
        field(out, "event", name);
    }
    if let Some(id) = &event.id {
        field(out, "id", id);
    }
    if let Some(retry) = &event.retry {
        field(out, "retry", retry);
    }
    if event.has_data || event.event.is_none() && event.id.is_none() && event.retry.is_none() {
        for line in event.data.split('\n') {
            field(out, "data", line);
        }
    }
    out.push(b'\n');
}

/// `data: <json>\n\n`: the common case.
pub fn encode_data(data: &str, out: &mut Vec<u8>) {
    encode(&Event { data: data.to_owned(), has_data: true, ..Event::default() }, out);
}

fn field(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.push(b'\n');
}

#[cfg(test)]
mod tests;
