//! Deterministic networks for tests and benchmarks: accounts, keys, parameters; the
//! [`TestNetwork`] that drives the contract wasm on the local chain is in `test_network`.

use mpc_interface::keys::{AccessPublicKey, Ed25519PublicKey, Secp256k1PublicKey};

use mpc_interface::primitives::{
    DomainConfig, DomainId, DomainPublicKey, EpochId, KeyEventId, KeyForDomain, Keyset, Participant, ParticipantId,
    ParticipantInfo, SignatureScheme, ThresholdParameters,
};

use sha2::{Digest, Sha256};

pub use crate::test_network::{
    encoded, key_bytes, provision, refused, refused_by_chain, role_key, Observable, OutcomeExt, TestNetwork,
    KEY_ALLOWANCE,
};

pub const CONTRACT: &str = "mpc-contract.near";

/// The first byte of every verifying-share entry's storage key: the borsh of
/// `mpc_contract::storage_keys::StorageKey::VerifyingShares` (pinned by the
/// contract's `storage_keys__should_keep_their_prefix_bytes` snapshot; the
/// wasm-tier tests that count entries by it fail if it drifts).
pub const VERIFYING_SHARES_PREFIX: u8 = 12;
/// yoctoNEAR per byte of storage (NEAR's `storage_amount_per_byte`).
pub const BYTE_PRICE: u128 = 10_000_000_000_000_000_000;
/// A storage deposit that covers a candidacy and a backup service (0.01 NEAR).
pub const CANDIDATE_DEPOSIT: u128 = 1_000 * BYTE_PRICE;

pub fn account(i: usize) -> String {
    format!("node{i}.near")
}

fn bytes32(label: &str) -> [u8; 32] {
    Sha256::digest(label.as_bytes()).into()
}

/// The TLS key of `account`'s machine number `machine` (a new machine, a new key).
pub fn tls_key(account: &str, machine: u32) -> Ed25519PublicKey {
    Ed25519PublicKey(bytes32(&format!("tls/{account}/{machine}")))
}

/// A NEAR access key of `account`, numbered (node key, operator key, ...).
pub fn access_key(account: &str, label: &str) -> AccessPublicKey {
    AccessPublicKey::Ed25519(Ed25519PublicKey(bytes32(&format!("access/{account}/{label}"))))
}

pub fn info(account: &str, machine: u32) -> ParticipantInfo {
    ParticipantInfo { url: format!("https://{account}:{}", 3000 + machine), tls_public_key: tls_key(account, machine) }
}

pub fn participant(i: usize) -> Participant {
    let account_id = account(i);
    Participant { account_id: account_id.parse().unwrap(), id: ParticipantId(i as u32), info: info(&account_id, 0) }
}

/// Participants 0..n with the smallest threshold the contract accepts.
pub fn parameters(n: usize) -> ThresholdParameters {
    ThresholdParameters {
        participants: (0..n).map(participant).collect(),
        threshold: ThresholdParameters::min_threshold(n as u64),
    }
}

/// Participants 0..n plus the newcomer `account(n)` (id n), at the smallest threshold.
pub fn parameters_with_newcomer(n: usize) -> ThresholdParameters {
    let mut proposal = parameters(n);
    proposal.participants.push(participant(n));
    proposal.threshold = ThresholdParameters::min_threshold(n as u64 + 1);
    proposal
}

pub fn domains() -> Vec<DomainConfig> {
    vec![
        DomainConfig { id: DomainId(0), scheme: SignatureScheme::Secp256k1 },
        DomainConfig { id: DomainId(1), scheme: SignatureScheme::Ed25519 },
    ]
}

pub fn domain_key(domain: &DomainConfig, seed: &str) -> DomainPublicKey {
    let a = bytes32(&format!("domain/{}/{seed}/a", domain.id));
    match domain.scheme {
        SignatureScheme::Ed25519 => DomainPublicKey::Ed25519(Ed25519PublicKey(a)),
        SignatureScheme::Secp256k1 => {
            let b = bytes32(&format!("domain/{}/{seed}/b", domain.id));
            let mut key = [0u8; 64];
            key[..32].copy_from_slice(&a);
            key[32..].copy_from_slice(&b);
            DomainPublicKey::Secp256k1(Secp256k1PublicKey(key))
        }
    }
}

pub fn keyset(epoch: u64) -> Keyset {
    Keyset {
        epoch_id: EpochId(epoch),
        domains: domains()
            .iter()
            .map(|d| KeyForDomain { domain_id: d.id, public_key: domain_key(d, "genesis") })
            .collect(),
    }
}

/// A stand-in for participant `id`'s verifying share of `domain` at `epoch`
/// (the contract does not check them: the voters do, off-chain).
pub fn verifying_share(domain: &DomainConfig, epoch: u64, id: ParticipantId) -> DomainPublicKey {
    domain_key(domain, &format!("share/{epoch}/{}", id.0))
}

/// Stand-in verifying shares of `domain` at `epoch` for `ids`, as a vote
/// carries them: a plain list in increasing id.
pub fn verifying_shares(
    domain: &DomainConfig,
    epoch: u64,
    ids: impl IntoIterator<Item = ParticipantId>,
) -> Vec<DomainPublicKey> {
    let mut ids: Vec<ParticipantId> = ids.into_iter().collect();
    ids.sort();
    ids.into_iter().map(|id| verifying_share(domain, epoch, id)).collect()
}

pub(crate) fn domain(id: u64) -> DomainConfig {
    domains().into_iter().find(|d| d.id.0 == id).expect("a test domain")
}

pub fn key_event(epoch: u64, domain: u64) -> KeyEventId {
    KeyEventId { epoch_id: EpochId(epoch), domain_id: DomainId(domain) }
}

/// Keys of one operator's parts, by role.
pub fn node_key(account: &str) -> AccessPublicKey {
    access_key(account, "node")
}
/// The access key of `account`'s replacement machine.
pub fn new_node_key(account: &str) -> AccessPublicKey {
    access_key(account, "node-new")
}
pub fn operator_key(account: &str) -> AccessPublicKey {
    access_key(account, "operator")
}
pub fn backup_key(account: &str) -> AccessPublicKey {
    access_key(account, "backup")
}
/// The backup service's Ed25519 identity.
pub fn backup_identity(account: &str) -> Ed25519PublicKey {
    Ed25519PublicKey(bytes32(&format!("backup-identity/{account}")))
}
pub fn backup_info(account: &str) -> mpc_interface::recovery::BackupServiceInfo {
    mpc_interface::recovery::BackupServiceInfo {
        public_key: backup_identity(account),
        signer_public_key: backup_key(account),
    }
}
