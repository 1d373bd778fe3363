//! `secretgate serve` and `secretgate hash-key`: settings and rules in, server out.

use std::{io::Read, path::PathBuf, sync::Arc};

use anyhow::Context;
use clap::Args;

use crate::proxy::{
    self,
    config::{LogFormat, Overrides},
    reload,
};

#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// Upstream base URL; `<proxy>/v1/X` goes to `<upstream>/X` [default: https://api.openai.com/v1]
    #[arg(long, value_name = "URL")]
    upstream: Option<String>,
    /// Address to listen on (port 0 picks a free port; the address is printed) [default: 127.0.0.1:8080]
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// TOML configuration file (see secretgate.example.toml).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// `off` forwards everything unscanned (to measure the proxy's own cost).
    #[arg(long, value_name = "on|off", value_parser = ["on", "off"])]
    scan: Option<String>,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key; reloaded when the files change).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

pub(crate) fn serve(args: &ServeArgs) -> anyhow::Result<i32> {
    let overrides = Overrides {
        upstream: args.upstream.clone(),
        listen: args.listen.clone(),
        scan: args.scan.as_deref().map(|s| s == "on"),
        tls_cert: args.tls_cert.clone(),
        tls_key: args.tls_key.clone(),
    };
    // Kept to read the configuration again on SIGHUP or a file change.
    let source = reload::Source { config: args.config.clone(), env: std::env::vars().collect(), overrides };
    let reload::Loaded { settings, rules, notices, fingerprint } = source.load()?;
    init_logging(settings.log_format);
    // A gitleaks config may lose rules or filters in the import: say which, and why.
    for notice in &notices {
        tracing::warn!(notice = %notice, "rule import");
    }
    let set = Arc::new(rules);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("listening on {}", settings.listen))?;
        let addr = listener.local_addr()?;
        let mode = if settings.upstream_key.is_some() { "gateway" } else { "transparent" };
        let scheme = if settings.tls.is_some() { "https" } else { "http" };
        let (upstream, scan, rules) = (settings.upstream.clone(), settings.scan, set.len());
        // Certificates and the upstream's roots are read here: a bad file stops the start.
        let proxy = Arc::new(proxy::Proxy::new(settings, set)?);
        tracing::info!(%addr, %upstream, mode, scan, rules, scheme, "secretgate listening");
        // Before the address is printed: a change made once it is seen is reloaded.
        reload::spawn(proxy.clone(), source, fingerprint);
        println!("secretgate listening on {scheme}://{addr}");
        proxy::run(proxy, listener, proxy::shutdown_signal()).await
    })?;
    Ok(0)
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SECRETGATE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Reads a key from stdin and prints the `sha256:…` line for `auth.client_key_hashes`.
pub(crate) fn hash_key() -> anyhow::Result<i32> {
    let mut key = String::new();
    std::io::stdin().read_to_string(&mut key).context("reading the key from stdin")?;
    let key = key.trim();
    if key.is_empty() {
        anyhow::bail!("no key on stdin");
    }
    println!("{}", proxy::auth::hash_key(key));
    Ok(0)
}
