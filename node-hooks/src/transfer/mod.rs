//! The node's share-transfer endpoint, whichever transport it speaks. The
//! driver tells it what to do ([`Mode`]) after every poll; it reports what
//! happened ([`TransferEvent`]). Shares to back up are read from the share
//! store when a request comes; received shares are imported (checked against
//! the keyset, then written) before they are reported.
//!
//! Layout: [`common`] holds what both transports share; [`mtls`] and [`web`]
//! depend on it, and this module only picks and drives one of them.

mod common;
mod mtls;
mod web;

pub use common::{BackupSharesError, EndpointParts, Mode, TransferEvent};
pub use share_transfer::Transport;

use share_transfer::contract::{ContractDirectory, RegisteredBackupService};
use share_transfer::mtls::{MtlsEndpoint, MtlsError};
use share_transfer::web::WebNode;
use share_transfer::Party;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Why the node's share-transfer endpoint could not start.
#[derive(Debug, thiserror::Error)]
pub enum EndpointStartError {
    #[error("cannot set up the mTLS endpoint: {0}")]
    Mtls(#[from] MtlsError),
}

pub struct TransferEndpoint {
    inner: Inner,
}

enum Inner {
    Mtls(watch::Sender<Mode>),
    Web(web::WebSide),
}

impl TransferEndpoint {
    /// Starts serving on `listener` (in `Idle`) until `cancel` fires.
    pub fn start(
        parts: EndpointParts,
        listener: TcpListener,
        events: mpsc::UnboundedSender<TransferEvent>,
        cancel: CancellationToken,
    ) -> Result<(Self, JoinHandle<()>), EndpointStartError> {
        // The node's peer is always its operator's backup service, whose key
        // is read from the contract at every handshake, request and re-check.
        let account = parts.client.signer().account_id.clone();
        let authority = Arc::new(RegisteredBackupService::new(parts.client.clone(), account.clone()));
        match parts.transport {
            Transport::Mtls => {
                let cap = parts.mtls.max_unauthenticated;
                let endpoint = MtlsEndpoint::new(&parts.identity, Party::BackupService, authority, parts.mtls)?;
                let (mode, task) = mtls::spawn(endpoint, cap, listener, parts.store, events, cancel);
                Ok((Self { inner: Inner::Mtls(mode) }, task))
            }
            Transport::Web => {
                let directory = Arc::new(ContractDirectory::new(parts.client.clone(), Party::Node));
                let node = WebNode::new(authority, directory, parts.web.clone());
                let (side, task) = web::WebSide::spawn(node, listener, parts, account, events, cancel);
                Ok((Self { inner: Inner::Web(side) }, task))
            }
        }
    }

    /// Switches to `mode`. Does nothing if the mode is unchanged, so a
    /// transfer in progress is not interrupted by the next poll.
    pub async fn apply(&mut self, mode: Mode) {
        match &mut self.inner {
            Inner::Mtls(sender) => {
                sender.send_if_modified(|current| {
                    if *current == mode {
                        return false;
                    }
                    tracing::info!(transport = "mtls", mode = mode.name(), "share-transfer endpoint");
                    *current = mode;
                    true
                });
            }
            Inner::Web(side) => side.apply(mode).await,
        }
    }
}
