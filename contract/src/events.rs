//! NEP-297 events, one per transition. None carries a participant list, so no
//! event grows with the size of the network.

use mpc_interface::keys::Ed25519PublicKey;
use mpc_interface::launch::{AttestationKind, LaunchMode, Measurements};
use mpc_interface::primitives::{DomainPublicKey, EpochId, KeyEventId};
use mpc_interface::recovery::Session;
use near_sdk::{near, AccountId};

#[near(event_json(standard = "mpc"))]
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    #[event_version("1.0.0")]
    Initialized { epoch_id: EpochId, participants: u32, threshold: u64, domains: u32 },
    #[event_version("1.0.0")]
    KeyGenerated { key_event_id: KeyEventId, public_key: DomainPublicKey },
    #[event_version("1.0.0")]
    Running { epoch_id: EpochId },
    #[event_version("1.0.0")]
    ResharingStarted { epoch_id: EpochId, proposal_hash: String, participants: u32, threshold: u64 },
    #[event_version("1.0.0")]
    DomainReshared { key_event_id: KeyEventId },
    #[event_version("1.0.0")]
    ResharingCancelled { epoch_id: EpochId },
    #[event_version("1.0.0")]
    CandidateSubmitted { account_id: AccountId, tls_public_key: Ed25519PublicKey },
    #[event_version("1.0.0")]
    ParticipantRefreshed { account_id: AccountId },
    #[event_version("1.0.0")]
    RecoveryStarted { account_id: AccountId, new_tls_public_key: Ed25519PublicKey, approved: bool },
    #[event_version("1.0.0")]
    RecoveryApproved { account_id: AccountId },
    #[event_version("1.0.0")]
    RecoveryDelivered { account_id: AccountId, epoch_id: EpochId },
    #[event_version("1.0.0")]
    RecoveryConcluded { account_id: AccountId, tls_public_key: Ed25519PublicKey },
    #[event_version("1.0.0")]
    RecoveryCancelled { account_id: AccountId, by: RecoveryCancelledBy },
    #[event_version("1.0.0")]
    BackupServiceRegistered { account_id: AccountId, public_key: Ed25519PublicKey },
    #[event_version("1.0.0")]
    EphemeralKeyPublished { account_id: AccountId, session: Session, by_backup_service: bool },
    #[event_version("1.0.0")]
    CandidateWithdrawn { account_id: AccountId },
    #[event_version("1.0.0")]
    LaunchModeChanged { mode: LaunchMode },
    #[event_version("1.0.0")]
    MeasurementsAllowed { measurements: Measurements },
    #[event_version("1.0.0")]
    MeasurementsRetired { measurements: Measurements },
    #[event_version("1.0.0")]
    BackupServiceAttested { account_id: AccountId, kind: AttestationKind, expires_at: u64 },
}

/// Why a recovery ended without concluding.
#[near(serializers = [json])]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RecoveryCancelledBy {
    Operator,
    ParticipantVote,
    /// A resharing was voted through; it decides the participant's machine.
    Resharing,
}
