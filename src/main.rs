//! The `secretgate` binary: parse arguments, call the library, exit with its code.

fn main() {
    std::process::exit(secretgate::cli::run());
}
