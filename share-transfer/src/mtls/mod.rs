//! Mutual-TLS transport: the node is always the TLS server, the backup service
//! always the TLS client. Each side presents a self-signed certificate for its
//! Ed25519 identity key, and accepts the peer only if the peer's key is the
//! one the contract registers at that moment (and keeps registering while the
//! connection is open).

mod cert;
mod channel;
mod frame;
mod transfer;
mod verifier;

pub use cert::{ed25519_key_of, CertError};
pub use channel::SecureChannel;
pub use frame::Frame;
pub use transfer::Receipt;

use crate::authority::{AuthorityError, PeerAuthority};
use crate::identity::Identity;
use crate::payload::PayloadError;
use crate::session::{kind_name, Party, SessionKind};
use mpc_interface::keys::Ed25519PublicKey;
use rustls::client::Resumption;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::ServerName;
use rustls::server::{Acceptor, NoServerSessionStorage};
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{ClientConfig, ServerConfig};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{LazyConfigAcceptor, TlsConnector, TlsStream};
use verifier::PinnedKeyVerifier;

#[derive(Clone, Debug)]
pub struct MtlsConfig {
    /// How often an open connection re-reads the peer's registration.
    pub recheck_interval: Duration,
    /// Longest wait for the TLS handshake: an unauthenticated peer gets no more.
    pub handshake_timeout: Duration,
    /// Most connections a server lets wait for their handshake at once; past
    /// it the oldest is dropped (see [`crate::gate`]).
    pub max_unauthenticated: usize,
    /// Longest wait for one frame to be sent or received.
    pub io_timeout: Duration,
    /// Largest frame accepted or sent, in bytes.
    pub max_frame_len: usize,
}

impl Default for MtlsConfig {
    fn default() -> Self {
        Self {
            recheck_interval: Duration::from_millis(200),
            handshake_timeout: Duration::from_secs(3),
            max_unauthenticated: 32,
            io_timeout: Duration::from_secs(30),
            max_frame_len: 1 << 20,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MtlsError {
    #[error("the {peer} presented {presented}, but no {peer} key is registered on the contract")]
    PeerNotRegistered { peer: Party, presented: Ed25519PublicKey },
    #[error("the {peer} presented {presented}, but the contract registers {registered}")]
    WrongPeerKey { peer: Party, registered: Ed25519PublicKey, presented: Ed25519PublicKey },
    #[error(
        "the {peer}'s registration changed during the connection: it presented {presented}, the contract now has {}",
        registered.map_or("no key".to_owned(), |k| k.to_string())
    )]
    RegistrationChanged { peer: Party, presented: Ed25519PublicKey, registered: Option<Ed25519PublicKey> },
    #[error("the {peer} sent a certificate chain; only one self-signed certificate is accepted")]
    UnexpectedChain { peer: Party },
    #[error("the {peer}'s handshake signature does not verify under its certificate key")]
    BadHandshakeSignature { peer: Party },
    #[error(transparent)]
    Certificate(#[from] CertError),
    #[error("the {peer} refused our identity; check that our key {ours} is the one registered on the contract")]
    RefusedByPeer { peer: Party, ours: Ed25519PublicKey },
    #[error("the {peer} aborted the connection with TLS alert {alert}")]
    TlsAlert { peer: Party, alert: String },
    #[error("TLS failed with the {peer}: {reason}")]
    Tls { peer: Party, reason: String },
    #[error("the {peer} closed the connection")]
    PeerClosed { peer: Party },
    #[error("timed out {0}")]
    Timeout(&'static str),
    #[error("frame of {len} bytes exceeds the limit of {max}")]
    FrameTooLarge { len: usize, max: usize },
    #[error("could not encode or decode a frame: {0}")]
    Encoding(String),
    #[error("expected a {expected} frame, got {got}")]
    UnexpectedFrame { expected: &'static str, got: &'static str },
    #[error("the peer asked for {}, but this endpoint is handling {}", kind_name(*got), kind_name(*expected))]
    WrongRequest { expected: SessionKind, got: SessionKind },
    #[error("shares refused: {0}")]
    Payload(#[from] PayloadError),
    #[error("the shares were verified but could not be stored: {0}")]
    NotStored(String),
    #[error("the {peer} refused the shares: {reason}")]
    PeerRefused { peer: Party, reason: String },
    #[error("the {peer}'s acknowledgement does not match what was sent: {detail}")]
    AckMismatch { peer: Party, detail: String },
    #[error("the connection was already dropped")]
    ChannelClosed,
    #[error(transparent)]
    Authority(#[from] AuthorityError),
    #[error("TLS configuration: {0}")]
    Config(String),
    #[error("network: {0}")]
    Io(#[from] std::io::Error),
}

/// One party's side of the mTLS transport.
pub struct MtlsEndpoint {
    ours: Ed25519PublicKey,
    peer: Party,
    certified: Arc<CertifiedKey>,
    provider: Arc<CryptoProvider>,
    authority: Arc<dyn PeerAuthority>,
    config: MtlsConfig,
}

impl MtlsEndpoint {
    /// `authority` answers "which key must `peer` present": for a node it
    /// reads the backup service's registration, for a backup service the
    /// node's `tls_public_key`.
    pub fn new(
        identity: &Identity,
        peer: Party,
        authority: Arc<dyn PeerAuthority>,
        config: MtlsConfig,
    ) -> Result<Self, MtlsError> {
        Ok(Self {
            ours: identity.public_key(),
            peer,
            certified: cert::certified_key(identity)?,
            provider: Arc::new(rustls::crypto::ring::default_provider()),
            authority,
            config,
        })
    }

    pub fn public_key(&self) -> Ed25519PublicKey {
        self.ours
    }

    /// Accepts one connection and completes an authenticated handshake.
    pub async fn accept(&self, listener: &TcpListener) -> Result<SecureChannel, MtlsError> {
        let (tcp, remote) = listener.accept().await?;
        tracing::debug!(%remote, peer = %self.peer, "mTLS connection");
        self.handshake(tcp).await
    }

    /// Completes an authenticated handshake on an accepted connection, within
    /// `handshake_timeout` (a server that accepts concurrently calls this per
    /// connection).
    pub async fn handshake(&self, tcp: TcpStream) -> Result<SecureChannel, MtlsError> {
        tokio::time::timeout(self.config.handshake_timeout, self.handshake_as_server(tcp))
            .await
            .map_err(|_| MtlsError::Timeout("in the TLS handshake"))?
    }

    /// Connects to `addr` and completes an authenticated handshake.
    pub async fn connect(&self, addr: SocketAddr) -> Result<SecureChannel, MtlsError> {
        tokio::time::timeout(self.config.handshake_timeout, self.handshake_as_client(addr))
            .await
            .map_err(|_| MtlsError::Timeout("in the TLS handshake"))?
    }

    async fn handshake_as_server(&self, tcp: TcpStream) -> Result<SecureChannel, MtlsError> {
        // Read the ClientHello first, so the registration is read when the
        // handshake actually starts rather than when the socket was accepted.
        let start = LazyConfigAcceptor::new(Acceptor::default(), tcp).await.map_err(|e| self.explain_io(e))?;
        let verifier = Arc::new(PinnedKeyVerifier::new(self.peer, self.authority.expected_peer_key().await?));
        let mut config = ServerConfig::builder_with_provider(self.provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(|e| MtlsError::Config(e.to_string()))?
            .with_client_cert_verifier(verifier.clone())
            .with_cert_resolver(Arc::new(SingleCertAndKey::from(self.certified.clone())));
        // A resumed session skips the certificate, and with it our key check.
        config.session_storage = Arc::new(NoServerSessionStorage {});
        config.send_tls13_tickets = 0;
        let stream = start
            .into_stream(Arc::new(config))
            .await
            .map_err(|e| verifier.take_rejection().unwrap_or_else(|| self.explain_io(e)))?;
        let certs = stream.get_ref().1.peer_certificates();
        let key = self.presented_key(certs)?;
        self.open_channel(TlsStream::Server(stream), key).await
    }

    async fn handshake_as_client(&self, addr: SocketAddr) -> Result<SecureChannel, MtlsError> {
        let verifier = Arc::new(PinnedKeyVerifier::new(self.peer, self.authority.expected_peer_key().await?));
        let mut config = ClientConfig::builder_with_provider(self.provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(|e| MtlsError::Config(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(verifier.clone())
            .with_client_cert_resolver(Arc::new(SingleCertAndKey::from(self.certified.clone())));
        config.resumption = Resumption::disabled();
        let tcp = TcpStream::connect(addr).await?;
        // The name is not checked by either side: identity is the key alone.
        let name = ServerName::try_from("mpc-share-transfer").expect("valid DNS name");
        let stream = TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .map_err(|e| verifier.take_rejection().unwrap_or_else(|| self.explain_io(e)))?;
        let certs = stream.get_ref().1.peer_certificates();
        let key = self.presented_key(certs)?;
        self.open_channel(TlsStream::Client(stream), key).await
    }

    /// The key from the certificate rustls actually accepted, read afresh
    /// rather than trusted from verifier state.
    fn presented_key(
        &self,
        certs: Option<&[rustls::pki_types::CertificateDer<'static>]>,
    ) -> Result<Ed25519PublicKey, MtlsError> {
        match certs {
            Some([only]) => Ok(ed25519_key_of(only)?),
            _ => Err(MtlsError::UnexpectedChain { peer: self.peer }),
        }
    }

    async fn open_channel(
        &self,
        stream: TlsStream<TcpStream>,
        peer_key: Ed25519PublicKey,
    ) -> Result<SecureChannel, MtlsError> {
        let mut channel =
            SecureChannel::new(stream, self.peer, peer_key, self.ours, self.authority.clone(), self.config.clone());
        // Closes the window between reading the registration and finishing
        // the handshake: a key revoked meanwhile is caught here.
        channel.recheck().await?;
        tracing::info!(peer = %self.peer, key = %peer_key, "mTLS peer authenticated");
        Ok(channel)
    }

    fn explain_io(&self, e: std::io::Error) -> MtlsError {
        explain_io(e, self.peer, self.ours)
    }
}

/// Turns what tokio-rustls reports as an I/O error into what happened: the
/// peer refused us (a TLS alert), TLS failed, or the peer went away.
pub(crate) fn explain_io(e: std::io::Error, peer: Party, ours: Ed25519PublicKey) -> MtlsError {
    if let Some(tls) = e.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) {
        return match tls {
            // Our verifiers answer a key they do not accept with access_denied.
            rustls::Error::AlertReceived(rustls::AlertDescription::AccessDenied) => {
                MtlsError::RefusedByPeer { peer, ours }
            }
            rustls::Error::AlertReceived(alert) => MtlsError::TlsAlert { peer, alert: format!("{alert:?}") },
            other => MtlsError::Tls { peer, reason: other.to_string() },
        };
    }
    match e.kind() {
        std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe => {
            MtlsError::PeerClosed { peer }
        }
        _ => MtlsError::Io(e),
    }
}
