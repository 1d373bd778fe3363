//! Writes the fuzz targets' seed inputs (`secretgate::fuzzing::seeds`) under a directory, one
//! folder per target: `cargo run --example fuzz_seeds -- fuzz/seeds`. See `fuzz/README.md`.

use std::path::PathBuf;

use secretgate::fuzzing::{seeds::seeds, Target};

fn main() -> std::io::Result<()> {
    let root = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "fuzz/seeds".into()));
    for target in Target::ALL {
        let dir = root.join(target.name());
        std::fs::create_dir_all(&dir)?;
        let seeds = seeds(target);
        for (i, seed) in seeds.iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i:04}")), seed)?;
        }
        println!("{}: {} seeds in {}", target.name(), seeds.len(), dir.display());
    }
    Ok(())
}
