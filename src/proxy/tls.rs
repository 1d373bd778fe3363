//! TLS on both sides: the listener with its certificate, reloaded without a restart, and the
//! roots the upstream client trusts.
//!
//! **Listener.** [`TlsListener`] is an `axum::serve` listener, so the TLS port has exactly the
//! plain port's graceful shutdown. It accepts TCP itself (`TCP_NODELAY` set) and runs each
//! handshake in a task of its own, bounded by [`HANDSHAKE_TIMEOUT`], handing finished
//! connections over a channel: a slow or hostile client never holds up the accept loop.
//! Garbage ends in a failed handshake (logged at debug level, without any of its bytes); a
//! plain-HTTP request, recognised by its first byte (a TLS record starts with `0x16`, a request
//! with a method's capital letter), gets a `400` in OpenAI's error shape telling the client
//! to use `https://`. ALPN offers `http/1.1`, the one protocol the server speaks.
//!
//! **Certificates.** [`ServerCert`] is the rustls certificate resolver: each handshake takes
//! the pair in use. Every `tls.reload_secs` (and on SIGHUP) both files are read again; a pair
//! whose bytes differ from the last one read is parsed and checked (a certificate, a key
//! rustls can sign with, the key matching the certificate) and replaces the one in use, or is
//! refused with a warning and the old one stays. Reading the files rather than watching
//! timestamps follows every way a certificate is replaced (rename, symlink swap as in
//! Kubernetes secrets, copy in place); two small files every few seconds cost nothing. While
//! a rotation writes the certificate before the key, the half-new pair is refused once and
//! the next check takes the whole new pair.
//!
//! **Upstream.** Verification cannot be switched off. `upstream.ca_file` replaces the system
//! roots with its certificates ([`upstream_roots`]); [`is_certificate_error`] tells a refused
//! certificate from an unreachable host, so the client hears which.
//!
//! No key material reaches a log: errors are fixed texts naming files, and `Debug` shows paths.

use std::{
    io::{self, Read as _},
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, RwLock},
    time::Duration,
};

use anyhow::Context;
use rustls::{
    crypto::CryptoProvider,
    pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer},
    server::{ClientHello, ResolvesServerCert},
    sign::CertifiedKey,
    ServerConfig,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::mpsc,
};
use tokio_rustls::{server::TlsStream, TlsAcceptor};

/// Longest a client may take to finish its TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest PEM file read: certificates and keys are a few KiB.
const MAX_PEM_BYTES: u64 = 1 << 20;

/// `[tls]` as the file says it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsFile {
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub reload_secs: Option<f64>,
    pub hsts_max_age_secs: Option<u64>,
}

/// Where the listener's certificate and key are, and how often they are read again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsSettings {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub reload_every: Duration,
}

impl TlsSettings {
    /// The listener's TLS settings from `[tls]` and the `--tls-cert`/`--tls-key` flags (which
    /// win); `None` for a plain-HTTP listener. Empty paths count as unset.
    pub fn from_file(
        f: &TlsFile,
        cert_flag: Option<PathBuf>,
        key_flag: Option<PathBuf>,
    ) -> anyhow::Result<Option<TlsSettings>> {
        let set = |p: Option<PathBuf>| p.filter(|p| !p.as_os_str().is_empty());
        let cert = set(cert_flag).or_else(|| set(f.cert.clone()));
        let key = set(key_flag).or_else(|| set(f.key.clone()));
        let secs = f.reload_secs.unwrap_or(10.0);
        if !(secs.is_finite() && secs > 0.0) {
            anyhow::bail!("tls.reload_secs must be a positive number of seconds");
        }
        match (cert, key) {
            (None, None) => Ok(None),
            (Some(cert), Some(key)) => Ok(Some(TlsSettings { cert, key, reload_every: Duration::from_secs_f64(secs) })),
            _ => anyhow::bail!("tls.cert and tls.key (--tls-cert, --tls-key) go together: set both, or neither"),
        }
    }
}

/// Why a certificate and key pair cannot be used. Fixed texts: no byte of a file is quoted.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("reading {what} {path}: {source}")]
    Read { what: &'static str, path: PathBuf, source: io::Error },
    #[error("{what} {path} is larger than 1 MiB")]
    TooLarge { what: &'static str, path: PathBuf },
    #[error("{0} is not valid PEM")]
    NotPem(PathBuf),
    #[error("no PEM certificate (BEGIN CERTIFICATE) in {0}")]
    NoCertificate(PathBuf),
    #[error("no PEM private key (BEGIN PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY) in {0}")]
    NoKey(PathBuf),
    #[error("the private key in {0} is not one rustls can sign with (RSA, ECDSA P-256/P-384, Ed25519)")]
    BadKey(PathBuf),
    #[error("the certificate in {0} is not valid X.509")]
    BadCertificate(PathBuf),
    #[error("the private key in {key} does not match the certificate in {cert}")]
    Mismatch { cert: PathBuf, key: PathBuf },
}

/// What a reload check did.
#[derive(Debug)]
pub enum Reload {
    /// The files hold the pair last read.
    Unchanged,
    /// A new pair is in use.
    Loaded,
    /// The files changed but cannot be used; the pair in use stays.
    Kept(CertError),
}

/// The listener's certificate: the rustls resolver every handshake asks, kept in step with
/// the files.
pub struct ServerCert {
    files: TlsSettings,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
    /// SHA-256 over what the last check read (a pair, or why it could not be read), so a
    /// pair is parsed, and a problem logged, once.
    last_read: Mutex<[u8; 32]>,
}

impl std::fmt::Debug for ServerCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerCert").field("cert", &self.files.cert).field("key", &self.files.key).finish()
    }
}

impl ServerCert {
    /// Reads and checks the pair; the error says which file is wrong and how.
    pub fn load(files: &TlsSettings) -> Result<ServerCert, CertError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let (read, digest) = read_pair(files);
        let key = certified_key(files, read?, &provider)?;
        Ok(ServerCert {
            files: files.clone(),
            provider,
            current: RwLock::new(Arc::new(key)),
            last_read: Mutex::new(digest),
        })
    }

    /// Reads the files again and, if they changed and hold a good pair, uses it from the
    /// next handshake on.
    pub fn reload(&self) -> Reload {
        let (read, digest) = read_pair(&self.files);
        {
            let mut last = self.last_read.lock().unwrap_or_else(|e| e.into_inner());
            if *last == digest {
                return Reload::Unchanged;
            }
            *last = digest;
        }
        match read.and_then(|pems| certified_key(&self.files, pems, &self.provider)) {
            Ok(key) => {
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(key);
                Reload::Loaded
            }
            Err(e) => Reload::Kept(e),
        }
    }

    /// A rustls server configuration that asks this for its certificate.
    pub fn server_config(self: &Arc<Self>) -> anyhow::Result<Arc<ServerConfig>> {
        let mut config = ServerConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .context("TLS protocol versions")?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }

    /// The certificate chain in use (DER), for tests and logs of what is served.
    pub fn chain(&self) -> Vec<CertificateDer<'static>> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).cert.clone()
    }

    /// Checks the files every `every` and on SIGHUP, logging what changed, until the task is
    /// aborted.
    async fn keep_fresh(self: Arc<Self>, every: Duration, mut hangup: Hangup) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                got = next_hangup(&mut hangup) => if !got { hangup = None; },
            }
            let cert = self.clone();
            let Ok(outcome) = tokio::task::spawn_blocking(move || cert.reload()).await else { continue };
            match outcome {
                Reload::Unchanged => {}
                Reload::Loaded => tracing::info!(cert = %self.files.cert.display(), "TLS certificate reloaded"),
                Reload::Kept(e) => {
                    tracing::warn!(error = %e, "TLS certificate files changed but cannot be used; keeping the pair in use")
                }
            }
        }
    }
}

impl ResolvesServerCert for ServerCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().unwrap_or_else(|e| e.into_inner()).clone())
    }
}

#[cfg(unix)]
type Hangup = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangup = Option<()>;

fn hangup_signal() -> Hangup {
    #[cfg(unix)]
    {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok()
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Waits for SIGHUP; `false` when no more can come.
async fn next_hangup(signal: &mut Hangup) -> bool {
    #[cfg(unix)]
    if let Some(s) = signal {
        return s.recv().await.is_some();
    }
    let _ = signal;
    std::future::pending::<bool>().await
}

/// The certificate file's bytes and the key file's.
type Pems = (Vec<u8>, Vec<u8>);

/// Both files' bytes, and a digest of what was read (or of why it could not be).
fn read_pair(files: &TlsSettings) -> (Result<Pems, CertError>, [u8; 32]) {
    let read = read_pem(&files.cert, "TLS certificate").and_then(|c| Ok((c, read_pem(&files.key, "TLS key")?)));
    let mut h = Sha256::new();
    match &read {
        Ok((cert, key)) => {
            h.update(b"pair");
            h.update((cert.len() as u64).to_le_bytes());
            h.update(cert);
            h.update(key);
        }
        Err(e) => {
            h.update(b"error");
            h.update(e.to_string().as_bytes());
        }
    }
    (read, h.finalize().into())
}

fn read_pem(path: &Path, what: &'static str) -> Result<Vec<u8>, CertError> {
    let read_err = |source| CertError::Read { what, path: path.to_owned(), source };
    let file = std::fs::File::open(path).map_err(read_err)?;
    let mut out = Vec::new();
    file.take(MAX_PEM_BYTES + 1).read_to_end(&mut out).map_err(read_err)?;
    if out.len() as u64 > MAX_PEM_BYTES {
        return Err(CertError::TooLarge { what, path: path.to_owned() });
    }
    Ok(out)
}

/// The chain and key from their PEM bytes, checked to belong together.
fn certified_key(
    files: &TlsSettings,
    (cert_pem, key_pem): Pems,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, CertError> {
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| CertError::NotPem(files.cert.clone()))?;
    if chain.is_empty() {
        return Err(CertError::NoCertificate(files.cert.clone()));
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => CertError::NoKey(files.key.clone()),
        _ => CertError::NotPem(files.key.clone()),
    })?;
    CertifiedKey::from_der(chain, key, provider).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => CertError::Mismatch { cert: files.cert.clone(), key: files.key.clone() },
        rustls::Error::InvalidCertificate(_) => CertError::BadCertificate(files.cert.clone()),
        _ => CertError::BadKey(files.key.clone()),
    })
}

/// An `axum::serve` listener that hands over connections whose TLS handshake has finished.
/// Dropping it (as a graceful shutdown does) stops accepting and the certificate checks.
pub struct TlsListener {
    incoming: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local_addr: SocketAddr,
    tasks: Vec<tokio::task::AbortHandle>,
}

impl TlsListener {
    /// Starts accepting on `tcp` with `config` (inside a tokio runtime).
    pub fn new(tcp: TcpListener, config: Arc<ServerConfig>) -> io::Result<TlsListener> {
        let local_addr = tcp.local_addr()?;
        let (tx, incoming) = mpsc::channel(64);
        let accept = tokio::spawn(accept_loop(tcp, TlsAcceptor::from(config), tx));
        Ok(TlsListener { incoming, local_addr, tasks: vec![accept.abort_handle()] })
    }

    /// Also keeps `cert` in step with its files: checked every `tls.reload_secs` and on SIGHUP.
    pub fn reloading(mut self, cert: Arc<ServerCert>) -> TlsListener {
        let every = cert.files.reload_every;
        // Registered before the first connection is served: a SIGHUP from then on reloads.
        let hangup = hangup_signal();
        self.tasks.push(tokio::spawn(cert.keep_fresh(every, hangup)).abort_handle());
        self
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.incoming.recv().await {
            Some(conn) => conn,
            // The accept loop only ends when this listener is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local_addr)
    }
}

async fn accept_loop(tcp: TcpListener, acceptor: TlsAcceptor, tx: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>) {
    loop {
        let (stream, peer) = super::transport::accept_tcp(&tcp).await;
        let (acceptor, tx) = (acceptor.clone(), tx.clone());
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake(stream, &acceptor)).await {
                Ok(Ok(Some(tls))) => {
                    let _ = tx.send((tls, peer)).await;
                }
                Ok(Ok(None)) => tracing::debug!(%peer, "plain HTTP on the TLS port: answered 400"),
                Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        });
    }
}

/// The handshake; `None` when the client spoke plain HTTP and was told to use HTTPS.
async fn handshake(stream: TcpStream, acceptor: &TlsAcceptor) -> io::Result<Option<TlsStream<TcpStream>>> {
    let mut first = [0u8; 1];
    if stream.peek(&mut first).await? == 1 && first[0].is_ascii_uppercase() {
        refuse_plain_http(stream).await?;
        return Ok(None);
    }
    acceptor.accept(stream).await.map(Some)
}

/// Answers a plain-HTTP request on the TLS port with a 400 that says to use HTTPS.
async fn refuse_plain_http(mut stream: TcpStream) -> io::Result<()> {
    // Read the request head first: closing with unread bytes would reset the connection
    // before the client reads the answer.
    let mut head = vec![0u8; 16 * 1024];
    let mut n = 0;
    while n < head.len() {
        match stream.read(&mut head[n..]).await? {
            0 => break,
            k => n += k,
        }
        if head[..n].windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    let body = crate::protocol::openai::error_body(
        "this port speaks HTTPS only: connect with https://",
        "invalid_request_error",
        "tls_required",
    )
    .to_string();
    let answer = format!(
        "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(answer.as_bytes()).await?;
    stream.shutdown().await?;
    // Whatever else the client sends (a body) is read and dropped for a moment, so the close
    // is orderly.
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let mut sink = [0u8; 4096];
        let mut total = 0usize;
        while total < (1 << 20) {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(k) => total += k,
            }
        }
    })
    .await;
    Ok(())
}

/// The certificates of `upstream.ca_file`, which the upstream client trusts instead of the
/// system roots.
pub fn upstream_roots(path: &Path) -> anyhow::Result<Vec<reqwest::Certificate>> {
    let pem = read_pem(path, "upstream.ca_file").map_err(anyhow::Error::new)?;
    let ders = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| CertError::NotPem(path.to_owned()))?;
    if ders.is_empty() {
        return Err(CertError::NoCertificate(path.to_owned())).context("upstream.ca_file");
    }
    let mut check = rustls::RootCertStore::empty();
    ders.iter()
        .map(|der| {
            check.add(der.clone()).map_err(|_| CertError::BadCertificate(path.to_owned()))?;
            reqwest::Certificate::from_der(der).map_err(|_| CertError::BadCertificate(path.to_owned()))
        })
        .collect::<Result<Vec<_>, _>>()
        .context("upstream.ca_file")
}

/// Whether a failed upstream call failed on the upstream's certificate (not trusted, expired,
/// for another name). Walks the error's sources, looking inside IO errors too (whose
/// `source` skips the error they wrap).
pub fn is_certificate_error(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(err) = next {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return matches!(tls, rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented);
        }
        if let Some(inner) = err.downcast_ref::<io::Error>().and_then(|io| io.get_ref()) {
            if is_certificate_error(inner) {
                return true;
            }
        }
        next = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(dir: &Path) -> TlsSettings {
        TlsSettings { cert: dir.join("cert.pem"), key: dir.join("key.pem"), reload_every: Duration::from_secs(1) }
    }

    fn pair(name: &str) -> (String, String) {
        let c = rcgen::generate_simple_self_signed(vec![name.to_owned()]).expect("cert");
        (c.cert.pem(), c.signing_key.serialize_pem())
    }

    fn write(f: &TlsSettings, (cert, key): &(String, String)) {
        std::fs::write(&f.cert, cert).expect("write cert");
        std::fs::write(&f.key, key).expect("write key");
    }

    #[test]
    fn bad_pairs_are_refused_with_the_reason() {
        let dir = tempfile::tempdir().expect("dir");
        let f = files(dir.path());
        let (one, two) = (pair("one.test"), pair("two.test"));
        let check = |cert: &str, key: &str, want: &str| {
            std::fs::write(&f.cert, cert).expect("write cert");
            std::fs::write(&f.key, key).expect("write key");
            let e = ServerCert::load(&f).expect_err("refused").to_string();
            assert!(e.contains(want), "{e:?} should say {want:?}");
            assert!(!e.contains("PRIVATE KEY-----") && !e.contains(&key[40..60]), "no key bytes in {e:?}");
        };
        check(&one.0, &two.1, "does not match");
        check(&one.1, &one.1, "no PEM certificate");
        check(&one.0, &one.0, "no PEM private key");
        check("garbage", &one.1, "no PEM certificate");
        check("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n", &one.1, "not valid PEM");
        check("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", &one.1, "not valid X.509");
        let _ = std::fs::remove_file(&f.key);
        let e = ServerCert::load(&f).expect_err("no key file").to_string();
        assert!(e.starts_with("reading TLS key"), "{e}");
    }

    #[test]
    fn reload_takes_a_good_new_pair_and_keeps_the_old_one_otherwise() {
        let dir = tempfile::tempdir().expect("dir");
        let f = files(dir.path());
        let (one, two) = (pair("one.test"), pair("two.test"));
        write(&f, &one);
        let cert = ServerCert::load(&f).expect("loads");
        let first = cert.chain();
        assert!(matches!(cert.reload(), Reload::Unchanged));
        // A rotation that wrote the certificate but not yet the key.
        std::fs::write(&f.cert, &two.0).expect("write");
        assert!(matches!(cert.reload(), Reload::Kept(CertError::Mismatch { .. })));
        assert!(matches!(cert.reload(), Reload::Unchanged), "a refused pair is reported once");
        assert_eq!(cert.chain(), first);
        std::fs::write(&f.key, &two.1).expect("write");
        assert!(matches!(cert.reload(), Reload::Loaded));
        assert_ne!(cert.chain(), first);
        let _ = std::fs::remove_file(&f.cert);
        assert!(matches!(cert.reload(), Reload::Kept(CertError::Read { .. })));
        assert!(matches!(cert.reload(), Reload::Unchanged));
        assert_ne!(cert.chain(), first, "the pair in use stays");
    }

    #[test]
    fn cert_and_key_go_together() {
        let tls = |cert: Option<&str>, key: Option<&str>| {
            let f = TlsFile { cert: cert.map(Into::into), key: key.map(Into::into), ..TlsFile::default() };
            TlsSettings::from_file(&f, None, None)
        };
        assert!(tls(None, None).expect("plain").is_none());
        assert!(tls(Some(""), Some("")).expect("empty is unset").is_none());
        assert!(tls(Some("c.pem"), Some("k.pem")).expect("both").is_some());
        assert!(tls(Some("c.pem"), None).is_err());
        assert!(tls(None, Some("k.pem")).is_err());
        let f = TlsFile { cert: Some("file.pem".into()), key: Some("k.pem".into()), ..TlsFile::default() };
        let s = TlsSettings::from_file(&f, Some("flag.pem".into()), None).expect("flag wins").expect("tls");
        assert_eq!(s.cert, PathBuf::from("flag.pem"));
        let f = TlsFile { reload_secs: Some(0.0), ..TlsFile::default() };
        assert!(TlsSettings::from_file(&f, None, None).is_err());
    }

    #[test]
    fn certificate_errors_are_found_inside_io_errors() {
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let io = io::Error::other(tls);
        assert!(is_certificate_error(&io));
        assert!(!is_certificate_error(&io::Error::other("refused")));
        assert!(!is_certificate_error(&io::Error::other(rustls::Error::HandshakeNotComplete)));
    }
}
