#![no_main]
//! `stream_redactor`: see `secretgate::fuzzing` for the input format and the oracle.

use libfuzzer_sys::fuzz_target;
use secretgate::fuzzing::Target;

fuzz_target!(|data: &[u8]| Target::StreamRedactor.run(data));
