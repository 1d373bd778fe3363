#![no_main]
//! `adapter_chat`: see `secretgate::fuzzing` for the input format and the oracle.

use libfuzzer_sys::fuzz_target;
use secretgate::fuzzing::Target;

fuzz_target!(|data: &[u8]| Target::AdapterChat.run(data));
