//! `status`: what is stored (epochs and domains, never a secret), what the
//! contract says about this operator, and whether the copy is current.

use crate::storage::Storage;
use contract_client::{ContractClient, MpcContract};
use mpc_interface::keys::{AccessPublicKey, Ed25519PublicKey};
use mpc_interface::primitives::{DomainId, EpochId};
use mpc_interface::recovery::{BackupServiceInfo, RecoveryStatus};
use mpc_interface::state::ProtocolStateView;
use mpc_interface::AccountId;
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCopy {
    pub epoch: EpochId,
    /// The domains it holds, or why it cannot be opened.
    pub domains: Result<Vec<DomainId>, String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistrationCheck {
    NotRegistered,
    Matches,
    /// Registered, but not with this service's keys.
    Differs {
        registered: BackupServiceInfo,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractView {
    pub state: &'static str,
    /// The keyset nodes hold now (the previous one while resharing or recovering).
    pub keyset_epoch: Option<EpochId>,
    pub registration: RegistrationCheck,
    /// The status of this operator's open recovery, if any.
    pub recovery: Option<RecoveryStatus>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusReport {
    pub account: AccountId,
    pub ours: BackupServiceInfo,
    pub stored: Vec<StoredCopy>,
    pub contract: Result<ContractView, String>,
}

impl StatusReport {
    /// True if a copy of the contract's current keyset is stored and opens;
    /// None if the contract could not be read.
    pub fn is_current(&self) -> Option<bool> {
        let view = self.contract.as_ref().ok()?;
        let epoch = view.keyset_epoch?;
        Some(self.stored.iter().any(|c| c.epoch == epoch && c.domains.is_ok()))
    }
}

/// Opens every stored copy (to report its domains) and reads the contract.
pub async fn collect(
    storage: &Storage,
    account: AccountId,
    identity: Ed25519PublicKey,
    access_key: AccessPublicKey,
    client: Result<&dyn ContractClient, String>,
) -> StatusReport {
    let ours = BackupServiceInfo { public_key: identity, signer_public_key: access_key };
    let stored = match storage.epochs() {
        Ok(epochs) => epochs
            .into_iter()
            .map(|epoch| StoredCopy {
                epoch,
                domains: storage.load(epoch).map(|p| p.domain_ids()).map_err(|e| e.to_string()),
            })
            .collect(),
        Err(e) => vec![StoredCopy { epoch: EpochId(0), domains: Err(e.to_string()) }],
    };
    let contract = match client {
        Ok(client) => read_contract(client, &account, &ours).await,
        Err(why) => Err(why),
    };
    StatusReport { account, ours, stored, contract }
}

async fn read_contract(
    client: &dyn ContractClient,
    account: &AccountId,
    ours: &BackupServiceInfo,
) -> Result<ContractView, String> {
    let state = client.state().await.map_err(|e| e.to_string())?;
    let registered = client.backup_service(account).await.map_err(|e| e.to_string())?;
    let (keyset_epoch, recovery) = match &state {
        ProtocolStateView::Running(r) => (Some(r.keyset.epoch_id), None),
        ProtocolStateView::Resharing(r) => (Some(r.previous.keyset.epoch_id), None),
        ProtocolStateView::Recovery(r) => {
            (Some(r.previous.keyset.epoch_id), Some(r.recovery.status).filter(|_| &r.recovery.account_id == account))
        }
        ProtocolStateView::NotInitialized | ProtocolStateView::Initializing(_) => (None, None),
    };
    let registration = match registered {
        None => RegistrationCheck::NotRegistered,
        Some(info) if info == *ours => RegistrationCheck::Matches,
        Some(registered) => RegistrationCheck::Differs { registered },
    };
    Ok(ContractView { state: state.name(), keyset_epoch, registration, recovery })
}

impl fmt::Display for StatusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "operator account: {}", self.account)?;
        writeln!(f, "identity key:     {}", self.ours.public_key)?;
        writeln!(f, "access key:       {}", self.ours.signer_public_key)?;
        if self.stored.is_empty() {
            writeln!(f, "stored:           nothing yet")?;
        }
        for copy in &self.stored {
            match &copy.domains {
                Ok(domains) => {
                    let ids: Vec<String> = domains.iter().map(|d| d.to_string()).collect();
                    writeln!(f, "stored:           epoch {}, domains [{}]", copy.epoch, ids.join(", "))?
                }
                Err(why) => writeln!(f, "stored:           epoch {}: UNUSABLE: {why}", copy.epoch)?,
            }
        }
        match &self.contract {
            Err(why) => writeln!(f, "contract:         unavailable: {why}")?,
            Ok(view) => {
                let epoch = view.keyset_epoch.map_or("none".to_owned(), |e| e.to_string());
                writeln!(f, "contract:         {}, keyset epoch {epoch}", view.state)?;
                match &view.registration {
                    RegistrationCheck::NotRegistered => {
                        writeln!(f, "registration:     NOT REGISTERED (run `backup-service register`)")?
                    }
                    RegistrationCheck::Matches => writeln!(f, "registration:     matches this service's keys")?,
                    RegistrationCheck::Differs { registered } => writeln!(
                        f,
                        "registration:     DIFFERS: the contract has identity {} and access key {}",
                        registered.public_key, registered.signer_public_key
                    )?,
                }
                if let Some(status) = view.recovery {
                    writeln!(f, "recovery:         {status:?}")?;
                }
            }
        }
        let current = match self.is_current() {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "unknown",
        };
        writeln!(f, "copy is current:  {current}")
    }
}
