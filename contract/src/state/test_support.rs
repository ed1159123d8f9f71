//! Builders for the state machine's unit tests. The stored records live in
//! near-sdk's mocked host storage, one per test thread.

use super::{Caller, ProtocolState, RunningState, Step};
use crate::errors::Error;
use crate::events::Event;
use crate::storage::registry::Registry;
use mpc_interface::keys::{AccessPublicKey, Ed25519PublicKey, Secp256k1PublicKey};
use mpc_interface::primitives::{
    DomainConfig, DomainId, DomainPublicKey, EpochId, KeyForDomain, Keyset, Participant, ParticipantId,
    ParticipantInfo, SignatureScheme, ThresholdParameters,
};
use near_sdk::AccountId;

pub fn id(name: &str) -> AccountId {
    name.parse().expect("a valid account id")
}

/// Participant `i` of a set made by [`parameters`].
pub fn p(i: u8) -> AccountId {
    id(&format!("p{i}.near"))
}

/// An access key: the node key of participant `seed` when made by [`running`].
pub fn key(seed: u8) -> AccessPublicKey {
    AccessPublicKey::Ed25519(Ed25519PublicKey([seed; 32]))
}

/// A node's call: no deposit (a function-call key).
pub fn node(account_id: &AccountId, key_seed: u8) -> Caller {
    Caller { account_id: account_id.clone(), public_key: key(key_seed), deposit: 0 }
}

/// An operator's call: 1 yoctoNEAR (a full-access key).
pub fn operator(account_id: &AccountId, key_seed: u8) -> Caller {
    Caller { deposit: 1, ..node(account_id, key_seed) }
}

pub fn info(seed: u8) -> ParticipantInfo {
    ParticipantInfo { url: format!("https://n{seed}.near:3000"), tls_public_key: Ed25519PublicKey([seed; 32]) }
}

pub fn participant(i: u8) -> Participant {
    Participant { account_id: p(i), id: ParticipantId(i.into()), info: info(i) }
}

/// `n` participants `p0..`, ids `0..n`, TLS keys `info(i)`, at the lowest threshold.
pub fn parameters(n: u8) -> ThresholdParameters {
    ThresholdParameters {
        participants: (0..n).map(participant).collect(),
        threshold: ThresholdParameters::min_threshold(n.into()),
    }
}

/// A secp256k1 domain and an Ed25519 domain.
pub fn domains() -> Vec<DomainConfig> {
    vec![
        DomainConfig { id: DomainId(0), scheme: SignatureScheme::Secp256k1 },
        DomainConfig { id: DomainId(1), scheme: SignatureScheme::Ed25519 },
    ]
}

/// A public key on `domain`'s curve.
pub fn domain_key(domain: &DomainConfig, seed: u8) -> DomainPublicKey {
    match domain.scheme {
        SignatureScheme::Secp256k1 => DomainPublicKey::Secp256k1(Secp256k1PublicKey([seed; 64])),
        SignatureScheme::Ed25519 => DomainPublicKey::Ed25519(Ed25519PublicKey([seed; 32])),
    }
}

pub fn keyset(epoch_id: EpochId) -> Keyset {
    let domains = domains().iter().map(|d| KeyForDomain { domain_id: d.id, public_key: domain_key(d, 7) }).collect();
    Keyset { epoch_id, domains }
}

/// A network of `n` participants running [`keyset`] of epoch 0, each
/// participant's node key recorded as `key(i)`.
pub fn running(registry: &mut Registry, n: u8) -> RunningState {
    registry.install_participants(&parameters(n));
    for i in 0..n {
        registry.node_keys.set(&p(i), key(i));
    }
    RunningState::new(domains(), keyset(EpochId(0)), &mut registry.votes)
}

/// The state a step moves to; panics if it stays.
pub fn next(step: Step) -> ProtocolState {
    step.next.expect("the step moves to another state")
}

/// The step's only event.
pub fn only_event(step: &Step) -> &Event {
    match step.events.as_slice() {
        [event] => event,
        other => panic!("expected one event, got {other:?}"),
    }
}

/// The error of a refused transition.
pub fn refused<T: std::fmt::Debug>(result: Result<T, Error>) -> Error {
    result.expect_err("the transition is refused")
}

/// Empties the mocked host storage (`testing_env!` would keep it): each
/// proptest case starts from nothing.
pub fn fresh_storage() {
    near_sdk::mock::with_mocked_blockchain(|blockchain| drop(blockchain.take_storage()));
}
