#![allow(non_snake_case)]
//! The stored layout must not drift by accident: a deployed contract's state is
//! read with it, and `migrate` depends on the previous one. A change here is
//! either intended (and ships with a migration) or a bug.

use mpc_contract::storage_keys::StorageKey;
use mpc_contract::MpcContract;

#[test]
fn contract_state_schema__should_match_snapshot() {
    let container = borsh::schema::BorshSchemaContainer::for_type::<MpcContract>();
    insta::assert_snapshot!(format!("{container:#?}"));
}

#[test]
fn storage_keys__should_keep_their_prefix_bytes() {
    let prefixes: Vec<(String, Vec<u8>)> = [
        StorageKey::ParticipantChunks,
        StorageKey::ParticipantSlots,
        StorageKey::Candidates,
        StorageKey::TlsOwners,
        StorageKey::Ballots,
        StorageKey::Tallies,
        StorageKey::OpenChoices,
        StorageKey::PendingParameters,
        StorageKey::BackupServices,
        StorageKey::EphemeralKeys,
        StorageKey::NodeKeys,
        StorageKey::StorageAccounts,
        StorageKey::VerifyingShares,
    ]
    .into_iter()
    .map(|k| (format!("{k:?}"), borsh::to_vec(&k).unwrap()))
    .collect();
    insta::assert_debug_snapshot!(prefixes);
}
