//! Fixtures shared by the transport tests: keysets and shares, loopback
//! listeners, a raw HTTP sender (for replays and hand-made requests) and a
//! tampering proxy.
#![allow(dead_code)]

pub mod proxy;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use mpc_interface::keys::{Ed25519PublicKey, Secp256k1PublicKey};
use mpc_interface::primitives::{DomainId, DomainPublicKey, EpochId, KeyForDomain, Keyset};
use share_transfer::mtls::MtlsConfig;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

/// Two domains (one per scheme), as the contract would report them.
pub fn keyset(epoch: u64) -> Keyset {
    Keyset {
        epoch_id: EpochId(epoch),
        domains: vec![
            KeyForDomain {
                domain_id: DomainId(0),
                public_key: DomainPublicKey::Secp256k1(Secp256k1PublicKey([0x11; 64])),
            },
            KeyForDomain { domain_id: DomainId(1), public_key: DomainPublicKey::Ed25519(Ed25519PublicKey([0x22; 32])) },
        ],
    }
}

#[allow(unused_imports)] // each test binary uses part of the support module
pub use share_transfer::test_doubles::{shares_for, shares_of_len};

/// Re-checks often so mid-connection changes are seen quickly.
pub fn fast_mtls() -> MtlsConfig {
    MtlsConfig {
        recheck_interval: Duration::from_millis(50),
        handshake_timeout: Duration::from_secs(5),
        io_timeout: Duration::from_secs(5),
        ..MtlsConfig::default()
    }
}

pub async fn listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// Sends exactly these headers and body, as an attacker replaying or forging
/// a request would; returns the status and the body as text.
pub async fn raw_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> (u16, Bytes) {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await.unwrap();
    let driver = tokio::spawn(conn);
    let mut request = hyper::Request::builder().method(method).uri(path).header("host", addr.to_string());
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = sender.send_request(request.body(Full::new(Bytes::from(body))).unwrap()).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    driver.abort();
    (status, body)
}

pub fn text(body: &Bytes) -> String {
    String::from_utf8_lossy(body).into_owned()
}
