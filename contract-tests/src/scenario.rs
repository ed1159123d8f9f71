//! Deterministic networks for tests and benchmarks: accounts, keys, parameters,
//! and a `Network` that drives the contract wasm through the harness.

use crate::harness::{Call, Harness, Outcome};
use mpc_interface::keys::{AccessPublicKey, Ed25519PublicKey, Secp256k1PublicKey};
use mpc_interface::methods;
use mpc_interface::primitives::{
    DomainConfig, DomainId, DomainPublicKey, EpochId, KeyEventId, KeyForDomain, Keyset, Participant, ParticipantId,
    ParticipantInfo, SignatureScheme, ThresholdParameters,
};
use mpc_interface::state::ProtocolStateView;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

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

fn domain(id: u64) -> DomainConfig {
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

/// A contract deployed in the harness, with helpers that call it as given accounts.
pub struct Network {
    pub harness: Harness,
}

impl Network {
    pub fn deploy(wasm: Vec<u8>) -> Self {
        Self { harness: Harness::new(wasm, CONTRACT) }
    }

    /// Deployed and initialised straight into Running at epoch 0 with `n` participants.
    pub fn running(wasm: Vec<u8>, n: usize) -> Self {
        let mut network = Self::deploy(wasm);
        network
            .contract_call(
                methods::INIT_RUNNING,
                json!({"parameters": parameters(n), "domains": domains(), "keyset": keyset(0)}),
            )
            .expect_ok();
        network
    }

    /// Deployed, initialised, and through key generation at epoch 0 with `n`
    /// participants: the keyset of [`keyset`]`(0)` with stand-in verifying shares.
    pub fn generated(wasm: Vec<u8>, n: usize) -> Self {
        let mut network = Self::deploy(wasm);
        network.contract_call(methods::INIT, json!({"parameters": parameters(n), "domains": domains()})).expect_ok();
        network.complete_keygen(n);
        network
    }

    /// A call signed by the contract account itself (deploy-time methods).
    pub fn contract_call(&mut self, method: &str, args: Value) -> Outcome {
        self.harness
            .call(Call::new(method).args(args).by(CONTRACT).signer_pk(key_bytes(&access_key(CONTRACT, "deploy"))))
    }

    /// A call signed by `account` with `key`, attaching `deposit` yocto.
    pub fn signed_call(
        &mut self,
        account: &str,
        key: &AccessPublicKey,
        deposit: u128,
        method: &str,
        args: Value,
    ) -> Outcome {
        self.harness.call(Call::new(method).args(args).by(account).signer_pk(key_bytes(key)).deposit(deposit))
    }

    /// A call from `account`'s node key, no deposit.
    pub fn node_call(&mut self, account: &str, method: &str, args: Value) -> Outcome {
        self.harness.call(Call::new(method).args(args).by(account).signer_pk(key_bytes(&node_key(account))))
    }

    /// A call from `account`'s full-access key, with 1 yoctoNEAR attached.
    pub fn operator_call(&mut self, account: &str, method: &str, args: Value) -> Outcome {
        self.harness.call(
            Call::new(method)
                .args(args)
                .by(account)
                .signer_pk(key_bytes(&operator_key(account)))
                .deposit(methods::OPERATOR_DEPOSIT),
        )
    }

    /// `account`'s operator deposits `yocto` for `account`'s storage (NEP-145).
    pub fn storage_deposit(&mut self, account: &str, yocto: u128) -> Outcome {
        self.signed_call(account, &operator_key(account), yocto, methods::STORAGE_DEPOSIT, json!({}))
    }

    /// `account`'s storage balance as `(total, available)`, if it has one.
    pub fn storage_balance(&self, account: &str) -> Option<(u128, u128)> {
        let balance: Option<mpc_interface::storage::StorageBalance> =
            self.harness.view(methods::STORAGE_BALANCE_OF, json!({"account_id": account})).json();
        balance.map(|b| (b.total, b.available))
    }

    /// Account `i` becomes a candidate: its operator deposits
    /// [`CANDIDATE_DEPOSIT`], then its node submits its info.
    pub fn candidate(&mut self, i: usize) -> Outcome {
        let account = account(i);
        self.storage_deposit(&account, CANDIDATE_DEPOSIT).expect_ok();
        self.node_call(&account, methods::SUBMIT_PARTICIPANT_INFO, json!({"info": info(&account, 0)}))
    }

    pub fn state(&self) -> ProtocolStateView {
        self.harness.view(methods::STATE, json!({})).json()
    }

    pub fn view_json(&self, method: &str, args: Value) -> Value {
        self.harness.view(method, args).json()
    }

    pub fn recovery(&self) -> Option<mpc_interface::recovery::RecoveryView> {
        self.harness.view(methods::RECOVERY, json!({})).json()
    }

    /// Everything a caller can observe, to prove a failed call changed nothing.
    pub fn observable(&self) -> Observable {
        Observable {
            views: [
                methods::STATE,
                methods::PARTICIPANTS,
                methods::CANDIDATES,
                methods::RECOVERY,
                methods::BACKUP_SERVICES,
            ]
            .map(|m| self.view_json(m, json!({}))),
            storage: self.harness.raw_storage(),
        }
    }

    /// Runs key generation to completion: every participant votes every domain.
    pub fn complete_keygen(&mut self, n: usize) {
        for domain in domains() {
            let args = self.vote_pk_args(domain.id.0, "genesis");
            for i in 0..n {
                self.node_call(&account(i), methods::VOTE_PK, args.clone()).expect_ok();
            }
        }
    }

    /// `vote_pk` arguments for `domain` at epoch 0: the key from `seed` and
    /// stand-in verifying shares of the participants in charge.
    pub fn vote_pk_args(&self, domain_id: u64, seed: &str) -> Value {
        let domain = domain(domain_id);
        let ids = self.state().current_parameters().map(|p| p.participants.iter().map(|p| p.id).collect::<Vec<_>>());
        json!({
            "key_event_id": key_event(0, domain_id),
            "public_key": domain_key(&domain, seed),
            "verifying_shares": verifying_shares(&domain, 0, ids.unwrap_or_default()),
        })
    }

    /// `vote_reshared` arguments for `domain` at `epoch`: stand-in verifying
    /// shares of the proposal's participants (the set in charge outside Resharing).
    pub fn vote_reshared_args(&self, epoch: u64, domain_id: u64) -> Value {
        let state = self.state();
        let set = match &state {
            ProtocolStateView::Resharing(r) => Some(&r.proposal),
            other => other.current_parameters(),
        };
        let ids = set.map(|p| p.participants.iter().map(|p| p.id).collect::<Vec<_>>()).unwrap_or_default();
        json!({
            "key_event_id": key_event(epoch, domain_id),
            "verifying_shares": verifying_shares(&domain(domain_id), epoch, ids),
        })
    }
}

/// Runs `call`, asserts it fails with `code` and `fragment`, and that it changed nothing.
pub fn refused(net: &mut Network, code: &str, fragment: &str, call: impl FnOnce(&mut Network) -> Outcome) {
    let before = net.observable();
    call(net).expect_error(code, fragment);
    assert!(net.observable() == before, "a refused call changed the contract");
}

/// What a caller can see of the contract, plus its raw storage.
#[derive(Debug, PartialEq)]
pub struct Observable {
    pub views: [Value; 5],
    pub storage: Vec<(Vec<u8>, Vec<u8>)>,
}

pub fn key_bytes(key: &AccessPublicKey) -> Vec<u8> {
    borsh::to_vec(key).expect("borsh of a key")
}

/// Assertions on call outcomes, with the call's logs in every failure message.
pub trait OutcomeExt {
    fn expect_ok(&self) -> &Self;
    /// Asserts failure with the contract error `code` and a message containing `fragment`.
    fn expect_error(&self, code: &str, fragment: &str);
}

impl OutcomeExt for Outcome {
    fn expect_ok(&self) -> &Self {
        if let Err(e) = &self.result {
            panic!("call failed: {e}\nlogs: {:#?}", self.logs);
        }
        self
    }

    fn expect_error(&self, code: &str, fragment: &str) {
        match &self.result {
            Ok(_) => panic!("call succeeded, expected [{code}] {fragment}\nlogs: {:#?}", self.logs),
            Err(e) => {
                assert!(e.contains(&format!("[{code}] ")), "expected code [{code}] in: {e}");
                assert!(e.contains(fragment), "expected {fragment:?} in: {e}");
            }
        }
    }
}
