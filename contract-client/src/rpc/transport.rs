//! One JSON POST per connection over hyper 1's connection API: plain HTTP
//! (a local sandbox) or HTTPS with rustls (ring, TLS 1.3 only, Mozilla's roots
//! from `webpki-roots`, or roots the caller gives). A connection per request
//! keeps the client free of pools and background tasks; the RPC calls this
//! client makes are few and seconds apart.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::{CONNECTION, CONTENT_TYPE, HOST, USER_AGENT};
use hyper::{Request, Uri};
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, ServerName};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_rustls::TlsConnector;

/// Largest answer read; a final execution outcome is a few kB.
const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// Which certificate authorities an HTTPS endpoint may be signed by.
#[derive(Clone, Debug, Default)]
pub enum TlsRoots {
    /// Mozilla's root store (`webpki-roots`), as a browser would trust.
    #[default]
    WebPki,
    /// Only these (DER) certificates, e.g. a private RPC's own CA.
    Only(Vec<Vec<u8>>),
}

/// How far a failed request got: a failure to connect means nothing was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    Connect,
    Exchange,
}

#[derive(Debug)]
pub(crate) struct HttpFailure {
    pub stage: Stage,
    pub reason: String,
}

impl HttpFailure {
    fn connect(reason: impl Into<String>) -> Self {
        Self { stage: Stage::Connect, reason: reason.into() }
    }
    fn exchange(reason: impl Into<String>) -> Self {
        Self { stage: Stage::Exchange, reason: reason.into() }
    }
}

pub(crate) struct HttpTransport {
    /// Host name or address, without IPv6 brackets.
    host: String,
    port: u16,
    /// What the Host header says.
    authority: String,
    path_and_query: String,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    /// `scheme://host:port`: the path and query are left out of messages
    /// because providers put API keys there.
    display: String,
}

impl HttpTransport {
    pub fn new(url: &str, roots: &TlsRoots) -> Result<Self, String> {
        let uri: Uri = url.parse().map_err(|e| format!("`{url}` is not a URL: {e}"))?;
        let https = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            Some(other) => return Err(format!("unsupported scheme `{other}` (use http:// or https://)")),
            None => return Err(format!("`{url}` has no scheme (use http:// or https://)")),
        };
        let authority = uri.authority().ok_or_else(|| format!("`{url}` has no host"))?;
        if authority.as_str().contains('@') {
            return Err("credentials in the endpoint URL are not supported".into());
        }
        let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_owned();
        let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
        let path_and_query = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let path_and_query = if path_and_query.is_empty() { "/".to_owned() } else { path_and_query.to_owned() };
        let tls = if https {
            let name =
                ServerName::try_from(host.clone()).map_err(|e| format!("`{host}` is not a TLS server name: {e}"))?;
            Some((TlsConnector::from(Arc::new(tls_config(roots)?)), name))
        } else {
            None
        };
        let display = format!("{}://{}", if https { "https" } else { "http" }, authority.as_str());
        Ok(Self { host, port, authority: authority.as_str().to_owned(), path_and_query, tls, display })
    }

    pub fn display(&self) -> &str {
        &self.display
    }

    /// POSTs `body` as JSON; returns the status and the body, or why not,
    /// all within `timeout`.
    pub async fn post(&self, body: Vec<u8>, timeout: Duration) -> Result<(u16, Bytes), HttpFailure> {
        let deadline = Instant::now() + timeout;
        let late = |what: &str| format!("no {what} within {timeout:?}");
        let tcp = tokio::time::timeout_at(deadline, TcpStream::connect((self.host.as_str(), self.port)))
            .await
            .map_err(|_| HttpFailure::connect(late("connection")))?
            .map_err(|e| HttpFailure::connect(format!("cannot connect: {e}")))?;
        let _ = tcp.set_nodelay(true);
        let request = Request::post(self.path_and_query.as_str())
            .header(HOST, self.authority.as_str())
            .header(CONTENT_TYPE, "application/json")
            .header(USER_AGENT, concat!("mpc-contract-client/", env!("CARGO_PKG_VERSION")))
            .header(CONNECTION, "close")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| HttpFailure::connect(format!("cannot build the request: {e}")))?;
        match &self.tls {
            None => tokio::time::timeout_at(deadline, exchange(TokioIo::new(tcp), request))
                .await
                .map_err(|_| HttpFailure::exchange(late("answer")))?,
            Some((connector, name)) => {
                let tls = tokio::time::timeout_at(deadline, connector.connect(name.clone(), tcp))
                    .await
                    .map_err(|_| HttpFailure::connect(late("TLS handshake")))?
                    .map_err(|e| HttpFailure::connect(format!("TLS handshake failed: {e}")))?;
                tokio::time::timeout_at(deadline, exchange(TokioIo::new(tls), request))
                    .await
                    .map_err(|_| HttpFailure::exchange(late("answer")))?
            }
        }
    }
}

/// Aborts the connection task when the request ends, however it ends.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn exchange<IO>(io: IO, request: Request<Full<Bytes>>) -> Result<(u16, Bytes), HttpFailure>
where
    IO: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake::<_, Full<Bytes>>(io)
        .await
        .map_err(|e| HttpFailure::connect(format!("HTTP handshake failed: {e}")))?;
    let _connection = AbortOnDrop(tokio::spawn(async move {
        let _ = connection.await;
    }));
    let response =
        sender.send_request(request).await.map_err(|e| HttpFailure::exchange(format!("request failed: {e}")))?;
    let status = response.status().as_u16();
    let body = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
        .collect()
        .await
        .map_err(|e| HttpFailure::exchange(format!("cannot read the answer (HTTP {status}): {e}")))?
        .to_bytes();
    Ok((status, body))
}

fn tls_config(roots: &TlsRoots) -> Result<rustls::ClientConfig, String> {
    let mut store = rustls::RootCertStore::empty();
    match roots {
        TlsRoots::WebPki => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        TlsRoots::Only(ders) => {
            for der in ders {
                store
                    .add(CertificateDer::from(der.clone()))
                    .map_err(|e| format!("a configured root certificate is unusable: {e}"))?;
            }
        }
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_root_certificates(store)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}
