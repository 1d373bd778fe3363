//! Synthetic labeled corpus (placeholder until the generator lands).
