//! Upstream bytes to client bytes: the event-stream decoder feeding an answer scanner.
//!
//! This is the loop the proxy runs on every read of a streamed answer, kept out of
//! `forward.rs` (which owns the sockets, the metrics and the logs) so that it is pure and can
//! be driven directly by tests and fuzz targets with any fragmentation of the bytes.

use super::{AnswerStream, Flow};
use crate::protocol::sse;

/// A streamed answer being scanned: the decoder and the scanner the route picked.
pub struct Feed {
    decoder: sse::Decoder,
    answer: Box<dyn AnswerStream>,
    ended: bool,
}

impl Feed {
    /// `max_line`: the longest event-stream line accepted (the decoder's limit).
    pub fn new(max_line: usize, answer: Box<dyn AnswerStream>) -> Feed {
        Feed { decoder: sse::Decoder::new(max_line), answer, ended: false }
    }

    /// The scanner (bytes held, findings).
    pub fn answer(&mut self) -> &mut dyn AnswerStream {
        self.answer.as_mut()
    }

    /// Whether the stream is over: nothing more is read or written.
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// Handles one read's bytes, writing what the client gets into `out`. A malformed event
    /// stream ends the answer with its error event and is returned, for the caller to log.
    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<u8>) -> Result<(), sse::Error> {
        if self.ended {
            return Ok(());
        }
        self.decoder.push(bytes);
        loop {
            match self.decoder.next_item() {
                Ok(Some(item)) => {
                    if self.answer.item(item, out) == Flow::Stop {
                        self.ended = true;
                        return Ok(());
                    }
                }
                Ok(None) => return Ok(()),
                Err(e) => {
                    self.fail("the upstream sent a malformed event stream", out);
                    return Err(e);
                }
            }
        }
    }

    /// The upstream body ended: the scanner's end (an error event if the answer was cut
    /// short), or its error event if the body ended inside an event.
    pub fn end(&mut self, out: &mut Vec<u8>) {
        if self.ended {
            return;
        }
        self.ended = true;
        match self.decoder.finish() {
            Ok(()) => self.answer.end(out),
            Err(_) => self.answer.fail("the upstream stream ended inside an event", out),
        }
    }

    /// The upstream broke (a read failed or timed out): the answer ends with its error event,
    /// held text dropped.
    pub fn fail(&mut self, message: &str, out: &mut Vec<u8>) {
        if !self.ended {
            self.ended = true;
            self.answer.fail(message, out);
        }
    }
}
