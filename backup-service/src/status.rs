//! `status`: what is stored (epochs and domains, never a secret), what the
//! contract says about this operator, and whether the copy is current.

use crate::storage::Storage;
use contract_client::{AttestationContract, ContractClient, MpcContractApi};
use mpc_interface::keys::{AccessPublicKey, Ed25519PublicKey};
use mpc_interface::launch::AttestationStatus;
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
    /// Whether the contract lets this service take part in transfers (Hard mode: attested).
    pub attestation: AttestationStatus,
}

/// When a valid attestation counts as expiring soon: less than `margin`
/// seconds left at `now` (Unix seconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExpiryWarning {
    pub now: u64,
    pub margin: u64,
}

impl ExpiryWarning {
    /// The wall clock now, and `margin`.
    pub fn now(margin: std::time::Duration) -> Self {
        Self { now: (crate::reattest::wall_clock())(), margin: margin.as_secs() }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusReport {
    pub account: AccountId,
    pub ours: BackupServiceInfo,
    pub stored: Vec<StoredCopy>,
    pub contract: Result<ContractView, String>,
    pub expiry_warning: ExpiryWarning,
}

/// What `status` concludes; each answer has its own exit code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A copy of the contract's current keyset is stored and opens.
    Current { epoch: EpochId },
    /// The contract moved on, or the copy does not open.
    Stale { reason: String },
    /// The contract could not be read (RPC down) or has no keyset.
    Unknown { reason: String },
    /// The contract has no backup service, or another one, for this operator.
    NotRegistered { reason: String },
    /// Hard mode: the contract does not let this service deliver (attestation
    /// missing, expired, or its measurements retired).
    NotAttested { reason: String },
    /// The copy is current, but the attestation expires within the margin
    /// (`run` should have renewed it by now).
    AttestationExpiresSoon { epoch: EpochId, expires_at: u64 },
}

/// The exit codes of `backup-service status`, as its `--help` prints them.
pub const EXIT_CODES: &str = "Exit codes:\n  \
    0  the copy is current: the contract's keyset is stored and opens\n  \
    1  the command itself failed (keys, storage key, arguments)\n  \
    2  usage error\n  \
    3  STALE: the contract's keyset is not stored, or its copy does not open\n  \
    4  UNKNOWN: the contract cannot be read (RPC down?) or has no keyset yet\n  \
    5  NOT REGISTERED: the contract has no backup service, or another one, for this operator\n  \
    6  NOT ATTESTED: Hard mode, and the attestation is missing, expired, or its measurements were retired\n  \
    7  ATTESTATION EXPIRES SOON: the copy is current, but the attestation has less than --attestation-margin left";

impl Verdict {
    pub fn exit_code(&self) -> u8 {
        match self {
            Verdict::Current { .. } => 0,
            Verdict::Stale { .. } => 3,
            Verdict::Unknown { .. } => 4,
            Verdict::NotRegistered { .. } => 5,
            Verdict::NotAttested { .. } => 6,
            Verdict::AttestationExpiresSoon { .. } => 7,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.exit_code();
        match self {
            Verdict::Current { epoch } => write!(f, "yes (exit {code}): epoch {epoch} is stored and opens"),
            Verdict::Stale { reason } => write!(f, "NO, STALE (exit {code}): {reason}"),
            Verdict::Unknown { reason } => write!(f, "UNKNOWN (exit {code}): {reason}"),
            Verdict::NotRegistered { reason } => write!(f, "NOT REGISTERED (exit {code}): {reason}"),
            Verdict::NotAttested { reason } => write!(f, "NOT ATTESTED (exit {code}): {reason}"),
            Verdict::AttestationExpiresSoon { epoch, expires_at } => write!(
                f,
                "ATTESTATION EXPIRES SOON (exit {code}): epoch {epoch} is stored and opens, but the attestation \
                 expires at {expires_at} (Unix seconds); is `run` renewing it?"
            ),
        }
    }
}

impl StatusReport {
    /// Whether the copy is current, and if not, why.
    pub fn verdict(&self) -> Verdict {
        let view = match &self.contract {
            Err(why) => return Verdict::Unknown { reason: format!("the contract cannot be read: {why}") },
            Ok(view) => view,
        };
        match &view.registration {
            RegistrationCheck::Matches => {}
            RegistrationCheck::NotRegistered => {
                return Verdict::NotRegistered {
                    reason: format!(
                        "the contract has no backup service for {}; run `backup-service register`",
                        self.account
                    ),
                }
            }
            RegistrationCheck::Differs { .. } => {
                return Verdict::NotRegistered {
                    reason: format!(
                        "the contract has another backup service registered for {}; this one's keys are not it",
                        self.account
                    ),
                }
            }
        }
        if !view.attestation.allows_transfers() {
            return Verdict::NotAttested { reason: share_transfer::attested::describe(view.attestation) };
        }
        let Some(epoch) = view.keyset_epoch else {
            return Verdict::Unknown { reason: format!("the contract has no keyset yet (it is {})", view.state) };
        };
        let warning = self.expiry_warning;
        match self.stored.iter().find(|c| c.epoch == epoch) {
            Some(StoredCopy { domains: Ok(_), .. }) => match view.attestation {
                AttestationStatus::Valid { expires_at } if expires_at.saturating_sub(warning.now) <= warning.margin => {
                    Verdict::AttestationExpiresSoon { epoch, expires_at }
                }
                _ => Verdict::Current { epoch },
            },
            Some(StoredCopy { domains: Err(why), .. }) => Verdict::Stale {
                reason: format!("the copy of the contract's keyset (epoch {epoch}) does not open: {why}"),
            },
            None if self.stored.is_empty() => {
                Verdict::Stale { reason: format!("the contract's keyset is epoch {epoch}; nothing is stored yet") }
            }
            None => {
                let held: Vec<String> = self.stored.iter().map(|c| c.epoch.to_string()).collect();
                Verdict::Stale {
                    reason: format!("the contract's keyset is epoch {epoch}; storage holds epoch {}", held.join(", ")),
                }
            }
        }
    }
}

/// `--attestation-margin`'s default.
pub const DEFAULT_ATTESTATION_MARGIN: std::time::Duration = std::time::Duration::from_secs(6 * 3600);

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
    let expiry_warning = ExpiryWarning::now(DEFAULT_ATTESTATION_MARGIN);
    StatusReport { account, ours, stored, contract, expiry_warning }
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
    let attestation = client.backup_attestation(account).await.map_err(|e| e.to_string())?.status;
    Ok(ContractView { state: state.name(), keyset_epoch, registration, recovery, attestation })
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
                writeln!(f, "attestation:      {}", share_transfer::attested::describe(view.attestation))?;
                if let Some(status) = view.recovery {
                    writeln!(f, "recovery:         {status:?}")?;
                }
            }
        }
        writeln!(f, "copy is current:  {}", self.verdict())
    }
}
