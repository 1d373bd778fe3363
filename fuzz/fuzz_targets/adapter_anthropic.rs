#![no_main]
//! `adapter_anthropic`: see `secretgate::fuzzing` for the input format and the oracle.

use libfuzzer_sys::fuzz_target;
use secretgate::fuzzing::Target;

fuzz_target!(|data: &[u8]| Target::AdapterAnthropic.run(data));
