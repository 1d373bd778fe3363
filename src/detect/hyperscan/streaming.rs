//! Hyperscan's streaming mode over a scanner's own patterns, for measuring what a streaming
//! candidate pass would cost (`benches/stream.rs`, `docs/benchmarks.md`). No redactor uses it:
//! streams stay on the regex engine (the module docs above say why, the benchmark by how much).
//!
//! A [`StreamingPass`] compiles the same patterns as the scanner's block database (the same
//! plans, fallbacks included) in streaming mode; a [`CandidateStream`] carries hyperscan's
//! state from delta to delta and reports the ends of matches as they complete, at offsets from
//! the stream's start. A stream is closed when it is dropped: hyperscan's stream state is
//! freed by closing it, which the bindings do not do on drop.

use std::sync::Mutex;

use hyperscan::{Builder, Matching, StreamingDatabase};

use super::{patterns, HyperscanError, HyperscanScanner};

/// The scanner's patterns compiled in streaming mode, and a pool of scratch spaces.
pub struct StreamingPass {
    db: StreamingDatabase,
    scratches: Mutex<Vec<hyperscan::Scratch>>,
}

impl std::fmt::Debug for StreamingPass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingPass").field("stream_bytes", &self.stream_bytes()).finish()
    }
}

impl HyperscanScanner<'_> {
    /// Compiles this scanner's patterns in hyperscan's streaming mode. Fails if there are none
    /// or hyperscan rejects one in streaming mode that block mode took.
    pub fn streaming_pass(&self) -> Result<StreamingPass, HyperscanError> {
        let (patterns, _) = patterns(self.set, &self.plans);
        if patterns.is_empty() {
            return Err(HyperscanError("no patterns to compile".into()));
        }
        let db: StreamingDatabase = hyperscan::Patterns(patterns)
            .build::<hyperscan::StreamingMode>()
            .map_err(|e| HyperscanError(format!("streaming mode: {e}")))?;
        let scratch = db.alloc_scratch().map_err(|e| HyperscanError(format!("scratch space: {e}")))?;
        Ok(StreamingPass { db, scratches: Mutex::new(vec![scratch]) })
    }
}

impl StreamingPass {
    /// Bytes of state every open stream holds (`hs_stream_size`).
    pub fn stream_bytes(&self) -> usize {
        self.db.stream_size().unwrap_or(0)
    }

    /// Bytes of the streaming database.
    pub fn database_bytes(&self) -> usize {
        self.db.size().unwrap_or(0)
    }

    /// Opens a stream; it is closed when dropped.
    pub fn open(&self) -> Result<CandidateStream<'_>, HyperscanError> {
        let stream = self.db.open_stream().map_err(|e| HyperscanError(format!("open stream: {e}")))?;
        Ok(CandidateStream { pass: self, stream: Some(stream) })
    }

    fn take_scratch(&self) -> Option<hyperscan::Scratch> {
        let spare = self.scratches.lock().ok().and_then(|mut s| s.pop());
        spare.or_else(|| self.db.alloc_scratch().ok())
    }

    fn give_back(&self, scratch: hyperscan::Scratch) {
        if let Ok(mut s) = self.scratches.lock() {
            s.push(scratch);
        }
    }
}

/// One open hyperscan stream (state carried across deltas). Closed on drop.
pub struct CandidateStream<'p> {
    pass: &'p StreamingPass,
    /// `None` only while closing.
    stream: Option<hyperscan::Stream>,
}

impl std::fmt::Debug for CandidateStream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CandidateStream").finish_non_exhaustive()
    }
}

impl CandidateStream<'_> {
    /// Scans the next delta, appending `(pattern id, end offset in the stream)` for every match
    /// end it completes (a scratch space is taken from the pass's pool for the call, as a
    /// stream pushed from any thread would).
    pub fn push(&mut self, delta: &[u8], ends: &mut Vec<(u32, u64)>) -> Result<(), HyperscanError> {
        let Some(stream) = &self.stream else { return Ok(()) };
        if u32::try_from(delta.len()).is_err() {
            return Err(HyperscanError("a delta over 4 GiB".into()));
        }
        let scratch = self.pass.take_scratch().ok_or_else(|| HyperscanError("no scratch space".into()))?;
        let scanned = stream.scan(delta, &scratch, |id, _from, to, _flags| {
            ends.push((id, to));
            Matching::Continue
        });
        self.pass.give_back(scratch);
        scanned.map_err(|e| HyperscanError(format!("stream scan: {e}")))
    }

    /// Ends the stream, appending the match ends only the end of the text completes (patterns
    /// anchored at the end).
    pub fn finish(mut self, ends: &mut Vec<(u32, u64)>) -> Result<(), HyperscanError> {
        self.close(Some(ends))
    }

    fn close(&mut self, ends: Option<&mut Vec<(u32, u64)>>) -> Result<(), HyperscanError> {
        let Some(stream) = self.stream.take() else { return Ok(()) };
        // Without a scratch space the stream cannot be closed: its state leaks (never seen:
        // allocation failed).
        let scratch = self.pass.take_scratch().ok_or_else(|| HyperscanError("no scratch space".into()))?;
        let closed = match ends {
            Some(ends) => stream.close(&scratch, |id, _from, to, _flags| {
                ends.push((id, to));
                Matching::Continue
            }),
            None => stream.close(&scratch, Matching::Terminate),
        };
        self.pass.give_back(scratch);
        closed.map_err(|e| HyperscanError(format!("close stream: {e}")))
    }
}

impl Drop for CandidateStream<'_> {
    fn drop(&mut self) {
        let _ = self.close(None);
    }
}
