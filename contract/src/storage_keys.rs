//! Storage prefixes. Append-only: a deployed contract's data lives under these
//! bytes, so reordering or removing a variant would orphan it.

use near_sdk::{near, BorshStorageKey};

#[near(serializers = [borsh])]
#[derive(BorshStorageKey, Debug)]
pub enum StorageKey {
    ParticipantChunks,
    ParticipantSlots,
    Candidates,
    TlsOwners,
    Ballots,
    Tallies,
    OpenChoices,
    PendingParameters,
    BackupServices,
    EphemeralKeys,
    NodeKeys,
    StorageAccounts,
    /// Verifying shares per (epoch, domain); never inside the state record.
    VerifyingShares,
    /// The measurement records participants allowed (hard launch).
    AllowedMeasurements,
    /// Accepted backup-service attestations, per operator account.
    Attestations,
}
