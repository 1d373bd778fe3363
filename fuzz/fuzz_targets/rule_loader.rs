#![no_main]
//! `rule_loader`: see `secretgate::fuzzing` for the input format and the oracle.

use libfuzzer_sys::fuzz_target;
use secretgate::fuzzing::Target;

fuzz_target!(|data: &[u8]| Target::RuleLoader.run(data));
