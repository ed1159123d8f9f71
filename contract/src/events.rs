//! NEP-297 events, one per transition. None carries a participant list, so no
//! event grows with the size of the network.

use mpc_interface::keys::Ed25519PublicKey;
use mpc_interface::primitives::{DomainPublicKey, EpochId, KeyEventId};
use near_sdk::{near, AccountId};

#[near(event_json(standard = "mpc"))]
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    #[event_version("1.0.0")]
    Initialized {
        epoch_id: EpochId,
        participants: u32,
        threshold: u64,
        domains: u32,
    },
    #[event_version("1.0.0")]
    KeyGenerated {
        key_event_id: KeyEventId,
        public_key: DomainPublicKey,
    },
    #[event_version("1.0.0")]
    Running { epoch_id: EpochId },
    #[event_version("1.0.0")]
    ResharingStarted {
        epoch_id: EpochId,
        proposal_hash: String,
        participants: u32,
        threshold: u64,
    },
    #[event_version("1.0.0")]
    DomainReshared { key_event_id: KeyEventId },
    #[event_version("1.0.0")]
    ResharingCancelled { epoch_id: EpochId },
    #[event_version("1.0.0")]
    CandidateSubmitted {
        account_id: AccountId,
        tls_public_key: Ed25519PublicKey,
    },
    #[event_version("1.0.0")]
    ParticipantRefreshed { account_id: AccountId },
}
