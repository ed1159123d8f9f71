//! Recovery, backup services and share-transfer sessions, as the contract
//! records and shows them.

use crate::keys::{AccessPublicKey, Ed25519PublicKey, X25519PublicKey};
use crate::primitives::{EpochId, ParticipantId, ParticipantInfo};
use crate::state::RunningView;
use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};
use near_account_id::AccountId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An operator's backup service: the Ed25519 key it proves itself with (TLS
/// and request signatures) and the NEAR access key it signs its own calls with.
#[derive(
    Clone, Copy, PartialEq, Eq, Debug, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct BackupServiceInfo {
    pub public_key: Ed25519PublicKey,
    pub signer_public_key: AccessPublicKey,
}

#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Debug,
    Hash,
    BorshSerialize,
    BorshDeserialize,
    BorshSchema,
    Serialize,
    Deserialize,
    JsonSchema,
)]
pub enum SessionKind {
    /// The backup service fetches the node's shares.
    Backup,
    /// The backup service hands the shares to a recovering node.
    Recovery,
}

/// One share transfer: its kind, the epoch of the shares and a nonce the
/// caller chooses. A newer session (higher epoch, or same epoch and higher
/// nonce) replaces an older one; an older one is refused.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Debug,
    Hash,
    BorshSerialize,
    BorshDeserialize,
    BorshSchema,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Session {
    pub kind: SessionKind,
    pub epoch_id: EpochId,
    pub nonce: u64,
}

impl Session {
    /// True if `self` may replace `older` (same kind, strictly newer).
    pub fn supersedes(&self, older: &Session) -> bool {
        self.kind != older.kind || (self.epoch_id, self.nonce) > (older.epoch_id, older.nonce)
    }
}

#[derive(
    Clone, Copy, PartialEq, Eq, Debug, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct PublishedKey {
    pub session: Session,
    pub public_key: X25519PublicKey,
}

/// The ephemeral keys an account's node and backup service published.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Debug,
    Default,
    BorshSerialize,
    BorshDeserialize,
    BorshSchema,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct EphemeralKeys {
    pub node: Option<PublishedKey>,
    pub backup_service: Option<PublishedKey>,
}

#[derive(
    Clone, Copy, PartialEq, Eq, Debug, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize, JsonSchema,
)]
pub enum RecoveryStatus {
    /// Entered with a node key: no share moves until the operator approves.
    PendingApproval,
    /// Approved by the operator: the backup service may deliver.
    Approved,
    /// The backup service confirmed delivery: the new node may conclude.
    Delivered,
}

/// The open recovery: who moves to which machine, and how far it got.
#[derive(
    Clone, PartialEq, Eq, Debug, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct RecoveryView {
    pub account_id: AccountId,
    pub participant_id: ParticipantId,
    pub previous_info: ParticipantInfo,
    pub new_info: ParticipantInfo,
    /// The key `conclude_recovery` must be signed with (the new node's).
    pub new_signer_public_key: AccessPublicKey,
    pub status: RecoveryStatus,
    /// Participants that voted to cancel so far.
    pub cancel_votes: u32,
}

#[derive(
    Clone, PartialEq, Eq, Debug, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct RecoveryStateView {
    /// The running network, unchanged while one participant recovers.
    pub previous: RunningView,
    pub recovery: RecoveryView,
}
