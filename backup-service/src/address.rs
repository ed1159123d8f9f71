//! Where a node listens: the host and port of its `ParticipantInfo.url` (the
//! scheme is ignored; share transfer runs its own protocol there).

use share_transfer::endpoint::{transfer_address, EndpointError};
use std::net::SocketAddr;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("`{url}` has no port; a node's URL must name one, e.g. https://node.example:4101")]
    NoPort { url: String },
    #[error("`{url}` is not a host:port address")]
    Malformed { url: String },
    #[error("`{host_port}` does not resolve: {reason}")]
    Unresolvable { host_port: String, reason: String },
}

/// `https://127.0.0.1:4101/path` → `127.0.0.1:4101`; also accepts a bare `host:port`.
/// The parsing is share-transfer's, the same the node uses to pick its listener.
pub fn host_port(url: &str) -> Result<String, AddressError> {
    transfer_address(url).map_err(|e| match e {
        EndpointError::NoPort { .. } => AddressError::NoPort { url: url.into() },
        EndpointError::NoHost { .. } | EndpointError::BadPort { .. } => AddressError::Malformed { url: url.into() },
    })
}

/// Resolves a `host:port` (the first address it resolves to).
pub async fn resolve(host_port: &str) -> Result<SocketAddr, AddressError> {
    let unresolvable = |reason: String| AddressError::Unresolvable { host_port: host_port.into(), reason };
    tokio::net::lookup_host(host_port)
        .await
        .map_err(|e| unresolvable(e.to_string()))?
        .next()
        .ok_or_else(|| unresolvable("no address".into()))
}

/// The socket address of a node's URL.
pub async fn node_socket(url: &str) -> Result<SocketAddr, AddressError> {
    resolve(&host_port(url)?).await
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;

    #[test]
    fn host_port__should_take_host_and_port_from_any_url() {
        assert_eq!(host_port("https://127.0.0.1:4101").unwrap(), "127.0.0.1:4101");
        assert_eq!(host_port("http://node.example:80/x?y#z").unwrap(), "node.example:80");
        assert_eq!(host_port("tcp://user@[::1]:9000").unwrap(), "[::1]:9000");
        assert_eq!(host_port("10.0.0.1:3000").unwrap(), "10.0.0.1:3000");
    }

    #[test]
    fn host_port__should_refuse_urls_without_a_usable_port() {
        assert!(matches!(host_port("https://node.example"), Err(AddressError::NoPort { .. })));
        assert!(matches!(host_port("https://node.example:http"), Err(AddressError::Malformed { .. })));
        assert!(matches!(host_port("https://:80"), Err(AddressError::Malformed { .. })));
    }

    #[tokio::test]
    async fn node_socket__should_resolve_loopback() {
        assert_eq!(node_socket("https://127.0.0.1:4101").await.unwrap(), "127.0.0.1:4101".parse().unwrap());
    }
}
