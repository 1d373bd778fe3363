//! The `secretgate` binary: parse arguments, call the library, exit with its code.

/// The allocator (feature `jemalloc`, on by default), for the binary only: benches and tests
/// that link the library keep their own. Under 2,000 concurrent streams glibc's malloc kept
/// its high-water mark of pages after the streams had closed (CPU per event was the same
/// within noise); jemalloc hands freed pages back within seconds and counts the bytes in
/// use, which `/metrics` reports (`secretgate_heap_bytes`): what tells a leak from caches
/// filling or the allocator keeping pages (docs/benchmarks.md, "Load and soak").
#[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    std::process::exit(secretgate::cli::run());
}
