//! `secretgate serve`: the HTTP proxy. The only layer that does IO.
//!
//! A request to `<proxy>/v1/X` goes to `<upstream>/X`. Chat Completions and Completions are
//! scanned both ways ([`scan`]); every other `/v1/*` route passes through unchanged. Errors
//! become responses in one place ([`error`]). The server keeps no state between requests
//! (beyond metrics), so it scales by running replicas.
//!
//! - [`config`]: file → validated [`config::Settings`].
//! - [`auth`]: transparent and gateway modes, client keys, keys in query strings.
//! - `forward`: one request, upstream and back, streaming or not.
//! - [`metrics`]: the Prometheus registry.
//! - [`tls`]: the TLS listener, its certificate reloaded from files, the upstream's roots.
//! - [`transport`]: `require_tls`, trusted proxies, HSTS.
//! - [`reload`]: the configuration in force as one swappable [`reload::Snapshot`]; SIGHUP and
//!   file changes.

pub mod auth;
pub mod config;
mod error;
mod forward;
pub mod metrics;
pub mod reload;
pub mod scan;
pub mod tls;
pub mod transport;

use std::{
    future::Future,
    hash::BuildHasher,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
};

use axum::{
    extract::State,
    http::{HeaderValue, StatusCode},
    response::IntoResponse,
    routing::get,
    Router,
};
use tokio::{net::TcpListener, sync::Semaphore};

pub use config::Settings;
pub use error::ProxyError;

use crate::RuleSet;

/// Everything a request needs, shared by all of them.
#[derive(Debug)]
pub struct Proxy {
    /// Settings and rules in force; a request takes it once ([`Proxy::snapshot`]) and keeps it.
    live: arc_swap::ArcSwap<reload::Snapshot>,
    pub disclosure: Arc<crate::detect::disclosure::DisclosureSet>,
    pub metrics: metrics::Metrics,
    client: reqwest::Client,
    /// The listener's certificate, when it speaks TLS.
    tls: Option<Arc<tls::ServerCert>>,
    permits: Arc<Semaphore>,
    ready: AtomicBool,
    next_id: AtomicU64,
    id_seed: std::collections::hash_map::RandomState,
}

impl Proxy {
    pub fn new(settings: Settings, rules: Arc<RuleSet>) -> anyhow::Result<Proxy> {
        rules.prepare_streaming();
        // Rustls needs one process-wide crypto provider; a second install is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        // Upstream certificates are always verified; there is no switch to turn that off.
        let mut client = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .read_timeout(settings.read_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy();
        if let Some(path) = &settings.upstream_ca_file {
            client = client.tls_certs_only(tls::upstream_roots(path)?);
        }
        let client = client.build()?;
        let tls = settings.tls.as_ref().map(|t| tls::ServerCert::load(t).map(Arc::new)).transpose()?;
        let disclosure = Arc::new(crate::detect::disclosure::DisclosureSet::builtin()?);
        let metrics = metrics::Metrics::new();
        metrics.config_generation.set(1);
        Ok(Proxy {
            disclosure,
            permits: Arc::new(Semaphore::new(settings.max_concurrent)),
            live: arc_swap::ArcSwap::from_pointee(reload::Snapshot { settings, rules, generation: 1 }),
            metrics,
            client,
            tls,
            ready: AtomicBool::new(true),
            next_id: AtomicU64::new(0),
            id_seed: Default::default(),
        })
    }

    /// The settings and rules in force now.
    pub fn snapshot(&self) -> Arc<reload::Snapshot> {
        self.live.load_full()
    }

    /// Puts `next` in force for the requests that start from now on.
    fn install(&self, next: reload::Snapshot) {
        self.live.store(Arc::new(next));
    }

    /// A fresh request id: 16 hex digits, unguessable across restarts.
    fn request_id(&self) -> String {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        format!("{:016x}", self.id_seed.hash_one(n))
    }
}

/// The router: health, readiness, metrics, and `/v1/*` to the upstream.
pub fn router(proxy: Arc<Proxy>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .fallback(forward::handle)
        .with_state(proxy)
}

async fn readyz(State(p): State<Arc<Proxy>>) -> impl IntoResponse {
    if p.ready.load(Ordering::Relaxed) {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n")
    }
}

async fn metrics_text(State(p): State<Arc<Proxy>>) -> impl IntoResponse {
    let caches = p.snapshot().rules.spare_caches();
    p.metrics.regex_spare_caches.set(caches.caches as i64);
    p.metrics.regex_cache_bytes.set(caches.bytes as i64);
    (
        [(axum::http::header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"))],
        p.metrics.render(),
    )
}

/// Serves until `shutdown` resolves; then stops accepting, lets open requests finish for up
/// to `shutdown_grace`, and returns.
pub async fn run(
    proxy: Arc<Proxy>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let grace = proxy.snapshot().settings.shutdown_grace;
    let (tx, mut rx) = tokio::sync::watch::channel(false);
    let p = proxy.clone();
    let settings = &proxy.snapshot().settings;
    let guard = Arc::new(transport::Guard::new(&settings.transport, proxy.tls.is_some()));
    if let Some(warning) = transport::Guard::warnings(&settings.transport, settings.listen, proxy.tls.is_some()) {
        tracing::warn!("{warning}");
    }
    let app = router(proxy.clone())
        .layer(axum::middleware::from_fn_with_state(guard, transport::guard))
        .into_make_service_with_connect_info::<transport::Peer>();
    let stop = async move {
        shutdown.await;
        p.ready.store(false, Ordering::Relaxed);
        tracing::info!(grace_secs = grace.as_secs_f64(), "shutting down: no new connections; open requests may finish");
        let _ = tx.send(true);
    };
    let server: std::pin::Pin<Box<dyn Future<Output = std::io::Result<()>> + Send>> = match &proxy.tls {
        Some(cert) => {
            let listener = tls::TlsListener::new(listener, cert.server_config()?)?.reloading(cert.clone());
            Box::pin(std::future::IntoFuture::into_future(axum::serve(listener, app).with_graceful_shutdown(stop)))
        }
        None => {
            let listener = transport::PlainListener(listener);
            Box::pin(std::future::IntoFuture::into_future(axum::serve(listener, app).with_graceful_shutdown(stop)))
        }
    };
    let deadline = async move {
        while !*rx.borrow() {
            if rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        r = server => r?,
        () = deadline => tracing::warn!("shutdown deadline passed; closing the requests still open"),
    }
    Ok(())
}

/// SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
