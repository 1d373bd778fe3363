//! Prometheus metrics, in an explicit registry (one per server, so tests see their own).
//!
//! Labels carry rule ids, routes, statuses and actions — never a secret, a key or a query.

use prometheus_client::{
    encoding::{text::encode, EncodeLabelSet},
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{exponential_buckets, Histogram},
    },
    registry::Registry,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: &'static str,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FindingLabels {
    pub rule: String,
    pub action: &'static str,
    pub direction: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReloadLabels {
    /// `ok` or `failed`.
    pub result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HeapLabels {
    /// `allocated` (bytes the program holds) or `resident` (pages the allocator has in RAM).
    pub state: &'static str,
}

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub findings: Family<FindingLabels, Counter>,
    pub active_streams: Gauge,
    /// Tasks alive in the server's runtime, read at each scrape: connections, requests, and
    /// the runtime's own. It returns to its idle level once clients are gone; growth that
    /// stays is a task leak.
    pub runtime_tasks: Gauge,
    /// The regex caches the rule set in force keeps for reuse, and the heap they hold
    /// (`RuleSet::spare_caches`), read at each scrape.
    pub regex_spare_caches: Gauge,
    pub regex_cache_bytes: Gauge,
    /// The allocator's heap, read at each scrape (feature `jemalloc`): bytes allocated and not
    /// yet freed, and pages resident. `allocated` levelling off under steady load is what
    /// "no memory growth" means; `resident` above it is the allocator's slack.
    pub heap: Family<HeapLabels, Gauge>,
    /// Seconds from sending a request upstream to its response headers.
    pub upstream_latency: Histogram,
    /// Bytes held back over a stream's channels after each upstream event.
    pub holdback: Histogram,
    /// Reload attempts whose files had changed, by result (`ok`, `failed`).
    pub reloads: Family<ReloadLabels, Counter>,
    /// The configuration in force: 1 at start, one more per reload applied.
    pub config_generation: Gauge,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("secretgate");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("requests", "Requests by route and response status", requests.clone());
        let findings = Family::<FindingLabels, Counter>::default();
        registry.register("findings", "Secrets found, by rule, action and direction", findings.clone());
        let active_streams = Gauge::default();
        registry.register("active_streams", "Streamed answers in flight", active_streams.clone());
        let runtime_tasks = Gauge::default();
        registry.register("runtime_tasks", "Tasks alive in the server's async runtime", runtime_tasks.clone());
        let regex_spare_caches = Gauge::default();
        registry.register(
            "regex_spare_caches",
            "Regex caches kept for reuse by the rules in force",
            regex_spare_caches.clone(),
        );
        let regex_cache_bytes = Gauge::default();
        registry.register(
            "regex_cache_bytes",
            "Heap held by the regex caches kept for reuse",
            regex_cache_bytes.clone(),
        );
        let heap = Family::<HeapLabels, Gauge>::default();
        if heap_bytes().is_some() {
            registry.register("heap_bytes", "The allocator's heap: allocated, resident", heap.clone());
        }
        let upstream_latency = Histogram::new(exponential_buckets(0.001, 2.0, 16));
        registry.register("upstream_latency_seconds", "Time to upstream response headers", upstream_latency.clone());
        let holdback = Histogram::new(exponential_buckets(1.0, 4.0, 10));
        registry.register("holdback_bytes", "Bytes held back after each streamed event", holdback.clone());
        let reloads = Family::<ReloadLabels, Counter>::default();
        registry.register("config_reloads", "Configuration reloads, by result (ok, failed)", reloads.clone());
        for result in ["ok", "failed"] {
            let _ = reloads.get_or_create(&ReloadLabels { result });
        }
        let config_generation = Gauge::default();
        registry.register(
            "config_generation",
            "The configuration in force: 1 at start, one more per reload applied",
            config_generation.clone(),
        );
        Metrics {
            registry,
            requests,
            findings,
            active_streams,
            runtime_tasks,
            regex_spare_caches,
            regex_cache_bytes,
            heap,
            upstream_latency,
            holdback,
            reloads,
            config_generation,
        }
    }

    /// The Prometheus text format.
    pub fn render(&self) -> String {
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            self.runtime_tasks.set(runtime.metrics().num_alive_tasks() as i64);
        }
        if let Some((allocated, resident)) = heap_bytes() {
            self.heap.get_or_create(&HeapLabels { state: "allocated" }).set(allocated as i64);
            self.heap.get_or_create(&HeapLabels { state: "resident" }).set(resident as i64);
        }
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

/// `(allocated, resident)` bytes of jemalloc's heap, as of now (the statistics are a snapshot
/// taken when the epoch advances). `None` where jemalloc is linked but not the process's
/// allocator (the binary sets it, `src/main.rs`; a test or bench linking the library does
/// not): nothing is allocated through it there.
#[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
fn heap_bytes() -> Option<(usize, usize)> {
    use tikv_jemalloc_ctl::{epoch, stats};
    epoch::advance().ok()?;
    let allocated = stats::allocated::read().ok()?;
    (allocated > 0).then_some((allocated, stats::resident::read().ok()?))
}

#[cfg(not(all(feature = "jemalloc", not(target_env = "msvc"))))]
fn heap_bytes() -> Option<(usize, usize)> {
    None
}
