//! The MPC contract on the local chain, with its operators set up as a real operator sets
//! them up: each account holds a full-access operator key and, added by a transaction signed
//! with it, a function-call key for its node, one for its replacement machine and one for its
//! backup service, each limited to the methods `mpc-operator add-node-key` /
//! `add-backup-key` print (`mpc_interface::methods::change_methods_for`). Calls go through
//! those keys, so a method missing from a list, a deposit on a function-call key or a key the
//! account does not hold is refused by the chain, as on NEAR.

use crate::scenario::{
    access_key, account, backup_key, domain, domain_key, domains, info, key_event, keyset, new_node_key, node_key,
    operator_key, parameters, verifying_shares, CANDIDATE_DEPOSIT, CONTRACT,
};
use local_chain::{
    AccessKey, ChainAction, ExecutionOutcome, Harness, LocalChain, SignerPk, Transaction, DEFAULT_BALANCE, ONE_NEAR,
};
use mpc_interface::keys::AccessPublicKey;
use mpc_interface::methods::{self, Role};
use mpc_interface::state::ProtocolStateView;
use serde_json::{json, Value};

/// A function-call key's allowance: `mpc-operator`'s default `--allowance` (1 NEAR).
pub const KEY_ALLOWANCE: u128 = ONE_NEAR;
/// What a scenario operator account starts with.
const OPERATOR_BALANCE: u128 = 1_000 * ONE_NEAR;

/// The function-call key an operator adds for `role` on `contract`: the role's method list,
/// [`KEY_ALLOWANCE`].
pub fn role_key(contract: &str, role: Role) -> AccessKey {
    AccessKey::function_call(contract, methods::change_methods_for(role), Some(KEY_ALLOWANCE))
}

/// Sets `account` up as its operator would, unless it exists: the account with its
/// full-access [`operator_key`], then (signed by that key) [`node_key`] and [`new_node_key`]
/// as node keys and [`backup_key`] as the backup service's key on `contract`.
pub fn provision(chain: &mut LocalChain, contract: &str, account: &str) {
    if chain.has_account(account) {
        return;
    }
    let operator = SignerPk::from(operator_key(account));
    chain.create_account(account, OPERATOR_BALANCE, operator.clone());
    for (key, role) in [
        (node_key(account), Role::Node),
        (new_node_key(account), Role::Node),
        (backup_key(account), Role::BackupService),
    ] {
        let tx = Transaction::new(account, operator.clone(), account).add_key(key, role_key(contract, role));
        chain.send(tx).expect("the operator key signs").unwrap();
    }
}

/// The key the contract account deploys and initialises with.
fn deploy_key() -> SignerPk {
    SignerPk::from(access_key(CONTRACT, "deploy"))
}

/// The MPC contract deployed on a local chain, with helpers that call it as given accounts
/// through their keys.
pub struct TestNetwork {
    pub chain: LocalChain,
}

impl TestNetwork {
    /// The contract account (full-access [`deploy_key`]) deploys the wasm.
    pub fn deploy(wasm: Vec<u8>) -> Self {
        let mut chain = LocalChain::new();
        chain.create_account(CONTRACT, DEFAULT_BALANCE, deploy_key());
        chain
            .send(Transaction::new(CONTRACT, deploy_key(), CONTRACT).deploy(wasm))
            .expect("the deploy key signs")
            .unwrap();
        Self { chain }
    }

    /// The contract.
    pub fn harness(&self) -> &Harness {
        self.chain.contract(CONTRACT)
    }

    /// The contract, to change directly (receipts with any predecessor, storage, clock).
    pub fn harness_mut(&mut self) -> &mut Harness {
        self.chain.contract_mut(CONTRACT)
    }

    /// The contract behind an in-process client; accounts a client signs for are set up by
    /// [`provision`] on first use.
    pub fn into_contract(self) -> crate::in_process::InProcessContract {
        crate::in_process::InProcessContract::with_provisioning(self.chain, CONTRACT, provision)
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

    /// A transaction signed by the contract account itself (deploy-time methods), 300 Tgas.
    pub fn contract_call(&mut self, method: &str, args: Value) -> ExecutionOutcome {
        let tx = Transaction::new(CONTRACT, deploy_key(), CONTRACT).call(method, &args, local_chain::DEFAULT_GAS, 0);
        self.send(tx)
    }

    /// A transaction signed by `account` with `key`, attaching `deposit` yocto, with the gas
    /// `mpc_interface::methods` gives the method. The chain checks the key first: a refusal
    /// comes back as [`ExecutionOutcome::refused`].
    pub fn signed_call(
        &mut self,
        account: &str,
        key: &AccessPublicKey,
        deposit: u128,
        method: &str,
        args: Value,
    ) -> ExecutionOutcome {
        self.signed_call_bytes(account, key, deposit, method, encoded(method, args))
    }

    /// A call from `account`'s node key to an archived release, whose methods all take JSON.
    pub fn archived_node_call(&mut self, account: &str, method: &str, args: Value) -> ExecutionOutcome {
        let json = serde_json::to_vec(&args).expect("JSON of a JSON value");
        self.signed_call_bytes(account, &node_key(account), 0, method, json)
    }

    /// [`Self::signed_call`] with the call's bytes as they are: no encoding.
    pub fn signed_call_bytes(
        &mut self,
        account: &str,
        key: &AccessPublicKey,
        deposit: u128,
        method: &str,
        args: Vec<u8>,
    ) -> ExecutionOutcome {
        provision(&mut self.chain, CONTRACT, account);
        let gas =
            methods::by_name(method).map(|m| m.gas.as_gas()).filter(|g| *g > 0).unwrap_or(local_chain::DEFAULT_GAS);
        let call = ChainAction::FunctionCall { method: method.to_owned(), args, gas, deposit };
        self.send(Transaction::new(account, *key, CONTRACT).action(call))
    }

    fn send(&mut self, tx: Transaction) -> ExecutionOutcome {
        match self.chain.send(tx) {
            Ok(outcome) => outcome.first_call(),
            Err(refused) => ExecutionOutcome::refused(refused),
        }
    }

    /// A call from `account`'s node key, no deposit.
    pub fn node_call(&mut self, account: &str, method: &str, args: Value) -> ExecutionOutcome {
        self.signed_call(account, &node_key(account), 0, method, args)
    }

    /// A call from `account`'s full-access key, with 1 yoctoNEAR attached.
    pub fn operator_call(&mut self, account: &str, method: &str, args: Value) -> ExecutionOutcome {
        self.signed_call(account, &operator_key(account), methods::OPERATOR_DEPOSIT, method, args)
    }

    /// `account`'s operator deposits `yocto` for `account`'s storage (NEP-145).
    pub fn storage_deposit(&mut self, account: &str, yocto: u128) -> ExecutionOutcome {
        self.signed_call(account, &operator_key(account), yocto, methods::STORAGE_DEPOSIT, json!({}))
    }

    /// `account`'s storage balance as `(total, available)`, if it has one.
    pub fn storage_balance(&self, account: &str) -> Option<(u128, u128)> {
        let balance: Option<mpc_interface::storage::StorageBalance> =
            self.harness().view(methods::STORAGE_BALANCE_OF, json!({"account_id": account})).json();
        balance.map(|b| (b.total, b.available))
    }

    /// Account `i` becomes a candidate: its operator deposits
    /// [`CANDIDATE_DEPOSIT`], then its node submits its info.
    pub fn candidate(&mut self, i: usize) -> ExecutionOutcome {
        let account = account(i);
        self.storage_deposit(&account, CANDIDATE_DEPOSIT).expect_ok();
        self.node_call(&account, methods::SUBMIT_PARTICIPANT_INFO, json!({"info": info(&account, 0)}))
    }

    pub fn state(&self) -> ProtocolStateView {
        self.harness().view(methods::STATE, json!({})).json()
    }

    pub fn view_json(&self, method: &str, args: Value) -> Value {
        self.harness().view(method, args).json()
    }

    pub fn recovery(&self) -> Option<mpc_interface::recovery::RecoveryView> {
        self.harness().view(methods::RECOVERY, json!({})).json()
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
            storage: self.harness().raw_storage(),
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

/// The bytes of `method`'s arguments, given as their JSON object: encoded as
/// the method table says (a borsh method's object goes through its argument type).
pub fn encoded(method: &str, args: Value) -> Vec<u8> {
    mpc_interface::args::encode_json(method, args)
        .unwrap_or_else(|e| panic!("a test's arguments for `{method}`: {e}"))
        .to_bytes()
}

/// Runs `call`, asserts it fails with `code` and `fragment`, and that it changed nothing.
pub fn refused(
    net: &mut TestNetwork,
    code: &str,
    fragment: &str,
    call: impl FnOnce(&mut TestNetwork) -> ExecutionOutcome,
) {
    let before = net.observable();
    call(net).expect_error(code, fragment);
    assert!(net.observable() == before, "a refused call changed the contract");
}

/// Runs `call`, asserts the chain refused it before the contract saw it (a message
/// containing `fragment`), and that it changed nothing.
pub fn refused_by_chain(
    net: &mut TestNetwork,
    fragment: &str,
    call: impl FnOnce(&mut TestNetwork) -> ExecutionOutcome,
) {
    let before = net.observable();
    let outcome = call(net);
    assert!(
        matches!(outcome.failure, Some(local_chain::Failure::Refused(_))),
        "not refused by the chain: {:?}",
        outcome.result
    );
    let message = outcome.unwrap_err();
    assert!(message.contains(fragment), "expected {fragment:?} in: {message}");
    assert!(net.observable() == before, "a refused transaction changed the contract");
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

impl OutcomeExt for ExecutionOutcome {
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
