//! `sse_decoder`: any bytes, any fragmentation: the same items as one push.

use super::Input;
use crate::protocol::sse::{encode, Decoder, Error, Event, Item};

/// The line limit: small, so that inputs reach it.
const MAX_LINE: usize = 512;

/// What a client sees of the items (events and comments, in order; not their raw bytes, as
/// a `\r\n` split across pushes is one byte shorter in an event's raw bytes), then the error
/// the decoder stopped at, if any.
#[derive(Debug, PartialEq, Eq)]
struct Decoded {
    seen: Vec<Result<Event, String>>,
    raw: Vec<u8>,
    error: Option<Error>,
}

fn decode<'a>(pieces: impl IntoIterator<Item = &'a [u8]>) -> Decoded {
    let mut d = Decoder::new(MAX_LINE);
    let mut out = Decoded { seen: Vec::new(), raw: Vec::new(), error: None };
    let take = |item: Item, out: &mut Decoded| match item {
        Item::Event { event, raw } => {
            out.seen.push(Ok(event));
            out.raw.extend_from_slice(&raw);
        }
        Item::Comment { text, raw } => {
            out.seen.push(Err(text));
            out.raw.extend_from_slice(&raw);
        }
        Item::Blank { raw } => out.raw.extend_from_slice(&raw),
    };
    for piece in pieces {
        d.push(piece);
        loop {
            match d.next_item() {
                Ok(Some(item)) => take(item, &mut out),
                Ok(None) => break,
                Err(e) => {
                    out.error = Some(e);
                    return out;
                }
            }
        }
    }
    out.error = d.finish().err();
    out
}

pub(super) fn run(data: &[u8]) {
    let input = Input::read(data);
    let whole = decode([input.body]);
    let cut = decode(input.pieces());
    assert_eq!(cut.seen, whole.seen, "fragmentation changed the items");
    assert_eq!(cut.error, whole.error, "fragmentation changed the error");
    if whole.error.as_ref().is_some_and(|e| *e != Error::Incomplete) {
        return;
    }
    // Forwarding raw bytes changes nothing a client sees.
    let again = decode([whole.raw.as_slice()]);
    assert_eq!(again.seen, whole.seen, "the items' raw bytes decode differently");
    assert_eq!(again.error, None, "the items' raw bytes end inside an event");
    // The encoder writes what the decoder reads.
    for event in whole.seen.iter().filter_map(|s| s.as_ref().ok()) {
        let mut bytes = Vec::new();
        encode(event, &mut bytes);
        let back = decode([bytes.as_slice()]);
        assert_eq!(back.seen, vec![Ok(event.clone())], "an event does not survive encoding");
    }
}
