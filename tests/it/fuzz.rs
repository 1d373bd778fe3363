//! The fuzz targets' bodies on stable: every target over its seeds and over the inputs the
//! fuzzers found (`tests/data/fuzz-regressions/<target>/`, each a regression test), so the
//! harnesses cannot rot and every finding stays fixed. See `fuzz/README.md`.

use std::path::Path;

use secretgate::fuzzing::{seeds::seeds, Target};

#[test]
fn fuzz_targets_pass_on_their_seeds() {
    for target in Target::ALL {
        let seeds = seeds(target);
        assert!(!seeds.is_empty(), "{} has seeds", target.name());
        for seed in seeds {
            target.run(&seed);
        }
    }
}

#[test]
fn fuzz_findings_stay_fixed() {
    run_all("tests/data/fuzz-regressions");
}

fn run_all(dir: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    for target in Target::ALL {
        let Ok(entries) = std::fs::read_dir(root.join(target.name())) else { continue };
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            let data = std::fs::read(&path).expect("a regression input");
            println!("{}: {}", target.name(), path.display());
            target.run(&data);
        }
    }
}
