//! Whether a request reached the proxy over HTTPS, and what follows from it: `require_tls`
//! refuses plain HTTP, and HSTS goes on every response to a request that came over HTTPS.
//!
//! A request came over HTTPS when it arrived on the TLS listener, or when its peer is one of
//! `trusted_proxies` (a load balancer that terminates TLS) and that proxy says so with
//! `X-Forwarded-Proto: https` — every value `https`, should a chain of proxies have appended
//! several, since a value earlier than the trusted proxy's own may be the client's word.
//! `X-Forwarded-Proto` from any other peer is ignored: anyone can send it.
//!
//! `require_tls` (default on) refuses a plain-HTTP request with 403, code `tls_required`,
//! before its body is read, unless it comes from the loopback interface — a client on the
//! same machine, whose key never crossed a network — and is not from a trusted proxy (a
//! proxy on the same host must say the client used HTTPS, since its own client may be
//! anywhere). The proxy's own endpoints (`/healthz`, `/readyz`, `/metrics`) carry no key and no
//! prompt, so probes and scrapers may use plain HTTP. HSTS is never sent over plain HTTP:
//! an upstream's `Strict-Transport-Security` is dropped there.

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

use axum::{
    extract::{connect_info::Connected, ConnectInfo, Request, State},
    http::{header, HeaderMap, HeaderValue},
    middleware::Next,
    response::Response,
    serve::IncomingStream,
};
use ipnet::IpNet;
use tokio::net::{TcpListener, TcpStream};

use super::{
    error::{ErrorShape, ProxyError},
    tls::TlsListener,
};

/// The listener-level settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportSettings {
    pub require_tls: bool,
    /// Peers whose `X-Forwarded-Proto` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// `Strict-Transport-Security: max-age=…` on responses over HTTPS.
    pub hsts_max_age: u64,
}

impl TransportSettings {
    /// From the file's `require_tls`, `trusted_proxies` (IPs or CIDRs) and
    /// `tls.hsts_max_age_secs`.
    pub fn from_file(
        require_tls: Option<bool>,
        trusted_proxies: &[String],
        hsts_max_age: Option<u64>,
    ) -> anyhow::Result<TransportSettings> {
        let trusted_proxies = trusted_proxies
            .iter()
            .map(|t| {
                let t = t.trim();
                t.parse::<IpNet>()
                    .or_else(|_| t.parse::<IpAddr>().map(|ip| IpNet::from(ip.to_canonical())))
                    .map(|n| n.trunc())
                    .map_err(|_| anyhow::anyhow!("trusted_proxies: {t:?} is not an IP address or a CIDR block"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(TransportSettings {
            require_tls: require_tls.unwrap_or(true),
            trusted_proxies,
            hsts_max_age: hsts_max_age.unwrap_or(31_536_000),
        })
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.trusted_proxies.iter().any(|n| n.contains(&ip))
    }
}

/// The client's address, as the connection gives it (axum's connect info for both listeners).
#[derive(Clone, Copy, Debug)]
pub struct Peer(pub SocketAddr);

impl Connected<IncomingStream<'_, TlsListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Peer {
        Peer(*stream.remote_addr())
    }
}

impl Connected<IncomingStream<'_, PlainListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, PlainListener>) -> Peer {
        Peer(*stream.remote_addr())
    }
}

/// The plain-HTTP listener: TCP with `TCP_NODELAY` on every connection.
pub struct PlainListener(pub TcpListener);

impl axum::serve::Listener for PlainListener {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        accept_tcp(&self.0).await
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// The next connection, `TCP_NODELAY` set (events are small writes that must go out at
/// once). Accept errors are retried: at once when the peer gave up, after a second when the
/// process is out of file descriptors or the like, rather than spinning.
pub(super) async fn accept_tcp(listener: &TcpListener) -> (TcpStream, SocketAddr) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                return (stream, peer);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionAborted
                        | std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::ConnectionRefused
                ) => {}
            Err(e) => {
                tracing::error!(error = %e, "accepting a connection failed; retrying in a second");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    }
}

/// How a request reached the proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Leg {
    /// Over TLS, here or at a trusted proxy.
    Https,
    /// Plain HTTP from this machine, not through a trusted proxy.
    Loopback,
    Plain,
}

/// The middleware's state: the settings and whether its listener is the TLS one.
#[derive(Debug)]
pub struct Guard {
    settings: TransportSettings,
    over_tls: bool,
    hsts: HeaderValue,
}

impl Guard {
    pub fn new(settings: &TransportSettings, over_tls: bool) -> Guard {
        let hsts = HeaderValue::from_str(&format!("max-age={}", settings.hsts_max_age))
            .unwrap_or_else(|_| HeaderValue::from_static("max-age=31536000"));
        Guard { settings: settings.clone(), over_tls, hsts }
    }

    fn leg(&self, peer: Option<SocketAddr>, headers: &HeaderMap) -> Leg {
        if self.over_tls {
            return Leg::Https;
        }
        let Some(ip) = peer.map(|p| p.ip()) else { return Leg::Plain };
        if self.settings.trusts(ip) {
            return if forwarded_https(headers) { Leg::Https } else { Leg::Plain };
        }
        if ip.to_canonical().is_loopback() {
            Leg::Loopback
        } else {
            Leg::Plain
        }
    }

    /// Startup warnings for a listener without TLS.
    pub fn warnings(settings: &TransportSettings, listen: SocketAddr, over_tls: bool) -> Option<&'static str> {
        if over_tls || listen.ip().is_loopback() {
            None
        } else if !settings.require_tls {
            Some("require_tls = false on a non-loopback address: API keys may cross the network in clear")
        } else if settings.trusted_proxies.is_empty() {
            Some("plain HTTP on a non-loopback address with require_tls: requests from other hosts get 403 tls_required (configure tls.cert/tls.key, trusted_proxies, or require_tls = false)")
        } else {
            None
        }
    }
}

/// `X-Forwarded-Proto` is present and every value in it is `https`.
fn forwarded_https(headers: &HeaderMap) -> bool {
    let mut seen = false;
    for value in headers.get_all("x-forwarded-proto") {
        let Ok(text) = value.to_str() else { return false };
        for proto in text.split(',') {
            if !proto.trim().eq_ignore_ascii_case("https") {
                return false;
            }
            seen = true;
        }
    }
    seen
}

/// Routes that carry no key and no prompt: plain HTTP is fine for them.
fn exempt(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// The middleware: refuses plain HTTP under `require_tls`, sets or strips HSTS.
pub async fn guard(State(guard): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<Peer>>().map(|c| c.0 .0);
    let leg = guard.leg(peer, req.headers());
    if leg == Leg::Plain && guard.settings.require_tls && !exempt(req.uri().path()) {
        tracing::info!(peer = ?peer.map(|p| p.ip()), "plain HTTP refused (require_tls)");
        let shape =
            if req.uri().path().starts_with("/v1/messages") { ErrorShape::Anthropic } else { ErrorShape::OpenAi };
        return ProxyError::TlsRequired.respond(shape);
    }
    let mut response = next.run(req).await;
    if leg == Leg::Https {
        response.headers_mut().insert(header::STRICT_TRANSPORT_SECURITY, guard.hsts.clone());
    } else {
        response.headers_mut().remove(header::STRICT_TRANSPORT_SECURITY);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(trusted: &[&str]) -> TransportSettings {
        let t: Vec<String> = trusted.iter().map(|s| s.to_string()).collect();
        TransportSettings::from_file(None, &t, None).expect("settings")
    }

    fn headers(xfp: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xfp {
            h.append("x-forwarded-proto", v.parse().expect("value"));
        }
        h
    }

    #[test]
    fn legs() {
        let s = settings(&["10.0.0.0/8", "192.168.1.7", "::ffff:172.16.0.1"]);
        let plain = Guard::new(&s, false);
        let at = |ip: &str| Some(SocketAddr::new(ip.parse().expect("ip"), 5000));
        let rows: &[(&str, &[&str], Leg)] = &[
            // A trusted proxy says what the client used; every hop must have been https.
            ("10.1.2.3", &["https"], Leg::Https),
            ("10.1.2.3", &["HTTPS"], Leg::Https),
            ("10.1.2.3", &["https, https"], Leg::Https),
            ("10.1.2.3", &["http, https"], Leg::Plain),
            ("10.1.2.3", &["https, http"], Leg::Plain),
            ("10.1.2.3", &["http", "https"], Leg::Plain),
            ("10.1.2.3", &["https", ""], Leg::Plain),
            ("10.1.2.3", &["wss"], Leg::Plain),
            ("10.1.2.3", &[], Leg::Plain),
            ("192.168.1.7", &["https"], Leg::Https),
            ("::ffff:192.168.1.7", &["https"], Leg::Https),
            ("172.16.0.1", &["https"], Leg::Https),
            // Anyone else's X-Forwarded-Proto is ignored.
            ("192.168.1.8", &["https"], Leg::Plain),
            ("8.8.8.8", &["https"], Leg::Plain),
            ("127.0.0.1", &[], Leg::Loopback),
            ("127.0.0.1", &["https"], Leg::Loopback),
            ("::1", &[], Leg::Loopback),
        ];
        for (ip, xfp, want) in rows {
            assert_eq!(plain.leg(at(ip), &headers(xfp)), *want, "{ip} {xfp:?}");
        }
        assert_eq!(plain.leg(None, &headers(&["https"])), Leg::Plain);
        // A proxy on this machine that is trusted must say https.
        let local = Guard::new(&settings(&["127.0.0.1"]), false);
        assert_eq!(local.leg(at("127.0.0.1"), &headers(&[])), Leg::Plain);
        assert_eq!(local.leg(at("127.0.0.1"), &headers(&["https"])), Leg::Https);
        assert_eq!(Guard::new(&s, true).leg(at("8.8.8.8"), &headers(&[])), Leg::Https);
    }

    #[test]
    fn settings_parse() {
        assert!(TransportSettings::from_file(None, &["10.0.0.0/33".into()], None).is_err());
        assert!(TransportSettings::from_file(None, &["proxy.local".into()], None).is_err());
        let s = TransportSettings::from_file(Some(false), &["10.9.9.9/8".into()], Some(60)).expect("ok");
        assert_eq!(s.trusted_proxies[0].to_string(), "10.0.0.0/8");
        assert!(!s.require_tls);
        assert_eq!(Guard::new(&s, true).hsts, "max-age=60");
        let d = TransportSettings::from_file(None, &[], None).expect("defaults");
        assert!(d.require_tls && d.trusted_proxies.is_empty() && d.hsts_max_age == 31_536_000);
    }

    #[test]
    fn startup_warnings() {
        let on = settings(&[]);
        let off = TransportSettings { require_tls: false, ..on.clone() };
        let any: SocketAddr = "0.0.0.0:8080".parse().expect("addr");
        let local: SocketAddr = "127.0.0.1:8080".parse().expect("addr");
        assert!(Guard::warnings(&off, any, false).is_some_and(|w| w.contains("in clear")));
        assert!(Guard::warnings(&on, any, false).is_some_and(|w| w.contains("403")));
        assert!(Guard::warnings(&off, any, true).is_none());
        assert!(Guard::warnings(&off, local, false).is_none());
        assert!(Guard::warnings(&settings(&["10.0.0.1"]), any, false).is_none());
    }
}
