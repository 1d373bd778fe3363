#![no_main]
//! `adapter_responses`: see `secretgate::fuzzing` for the input format and the oracle.

use libfuzzer_sys::fuzz_target;
use secretgate::fuzzing::Target;

fuzz_target!(|data: &[u8]| Target::AdapterResponses.run(data));
