//! Shows what a fuzz input does: `cargo run --example fuzz_show -- adapter_chat FILE` prints
//! the upstream body it makes and what the client gets, then runs the target on it.

use secretgate::fuzzing::Target;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(name), Some(file)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: fuzz_show TARGET FILE");
        std::process::exit(2);
    };
    let Some(target) = Target::ALL.into_iter().find(|t| t.name() == name) else {
        eprintln!("no target {name}");
        std::process::exit(2);
    };
    let data = std::fs::read(file)?;
    println!("{}", target.explain(&data));
    target.run(&data);
    println!("passes");
    Ok(())
}
