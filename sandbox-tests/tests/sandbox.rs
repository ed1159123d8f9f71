#![cfg(feature = "sandbox")]
#![allow(non_snake_case)]
//! The contract on a real neard sandbox: deploy the pre-recovery release,
//! upgrade it with `migrate` in the same transaction, run a recovery with real
//! transactions, and prove the access-key rules: a node's function-call key
//! limited to the node's methods works for them and cannot call an
//! operator-only method; the backup service's key likewise.

use mpc_interface::methods::{self, change_methods_for, Role};
use near_workspaces::network::Sandbox;
use near_workspaces::operations::Function;
use near_workspaces::types::{AccessKey, Gas, KeyType, NearToken, SecretKey};
use near_workspaces::{Account, Contract, Worker};
use serde_json::{json, Value};

const N: usize = 4;

/// The bytes of `method`'s arguments, given as JSON, encoded as the method table says.
fn encoded(method: &str, args: Value) -> Vec<u8> {
    mpc_interface::args::encode_json(method, args).expect("arguments of the method's type").to_bytes()
}

fn workspace_file(path: &str) -> Vec<u8> {
    let full = format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e} (build it with scripts/build-contract.sh)"))
}

fn tls_key(i: usize, machine: u32) -> String {
    // Any 32 bytes are a syntactically valid key for the contract.
    let mut bytes = [0u8; 32];
    bytes[0] = i as u8;
    bytes[1] = machine as u8;
    bytes[31] = 0x5a;
    mpc_interface::keys::Ed25519PublicKey(bytes).to_string()
}

fn info(i: usize, machine: u32) -> Value {
    json!({"url": format!("https://node{i}.example:{}", 3000 + machine), "tls_public_key": tls_key(i, machine)})
}

fn keyset() -> Value {
    json!({"epoch_id": 0, "domains": [
        {"domain_id": 0, "public_key": mpc_interface::keys::Secp256k1PublicKey([7; 64]).to_string()},
        {"domain_id": 1, "public_key": mpc_interface::keys::Ed25519PublicKey([8; 32]).to_string()},
    ]})
}

/// An account signing with a new function-call key limited to `role`'s methods.
async fn function_call_key(
    worker: &Worker<Sandbox>,
    operator: &Account,
    contract: &Contract,
    role: Role,
) -> anyhow::Result<Account> {
    let key = SecretKey::from_random(KeyType::ED25519);
    let names = change_methods_for(role);
    operator
        .batch(operator.id())
        .add_key(
            key.public_key(),
            AccessKey::function_call_access(contract.id(), &names, Some(NearToken::from_near(1))),
        )
        .transact()
        .await?
        .into_result()?;
    Ok(Account::from_secret_key(operator.id().clone(), key, worker))
}

async fn network(worker: &Worker<Sandbox>) -> anyhow::Result<(Contract, Vec<Account>)> {
    let contract = worker.dev_deploy(&workspace_file("contract-history/pre_recovery.wasm")).await?;
    let mut operators = Vec::new();
    for _ in 0..N {
        operators.push(worker.dev_create_account().await?);
    }
    let participants: Vec<Value> =
        operators.iter().enumerate().map(|(i, a)| json!({"account_id": a.id(), "id": i, "info": info(i, 0)})).collect();
    contract
        .call(methods::INIT_RUNNING)
        .args_json(json!({
            "parameters": {"participants": participants, "threshold": 3},
            "domains": [{"id": 0, "scheme": "Secp256k1"}, {"id": 1, "scheme": "Ed25519"}],
            "keyset": keyset(),
        }))
        .max_gas()
        .transact()
        .await?
        .into_result()?;
    Ok((contract, operators))
}

/// Deploys the current wasm over the pre-recovery release and migrates, in one transaction.
async fn upgrade(contract: &Contract) -> anyhow::Result<()> {
    contract
        .batch()
        .deploy(&workspace_file("target/near/mpc_contract.wasm"))
        .call(Function::new(methods::MIGRATE).args_json(json!({})).gas(Gas::from_tgas(100)))
        .transact()
        .await?
        .into_result()?;
    Ok(())
}

#[tokio::test]
async fn upgrade__should_keep_state_and_run_a_recovery_with_real_keys() -> anyhow::Result<()> {
    let worker = near_workspaces::sandbox().await?;
    let (contract, operators) = network(&worker).await?;
    let before: Value = contract.view(methods::STATE).await?.json()?;
    upgrade(&contract).await?;
    let after: Value = contract.view(methods::STATE).await?.json()?;
    assert_eq!(before, after, "migrate changed the state");

    let lost = &operators[1];
    let backup = function_call_key(&worker, lost, &contract, Role::BackupService).await?;
    lost.call(contract.id(), methods::REGISTER_BACKUP_SERVICE)
        .args_json(
            json!({"info": {"public_key": tls_key(99, 0), "signer_public_key": backup.secret_key().public_key()}}),
        )
        .deposit(NearToken::from_yoctonear(1))
        .transact()
        .await?
        .into_result()?;

    let new_node = function_call_key(&worker, lost, &contract, Role::Node).await?;
    new_node
        .call(contract.id(), methods::SUBMIT_PARTICIPANT_RECOVERY_INFO)
        .args_json(json!({"info": info(1, 1)}))
        .transact()
        .await?
        .into_result()?;
    lost.call(contract.id(), methods::APPROVE_RECOVERY)
        .args_json(json!({"tls_public_key": tls_key(1, 1)}))
        .deposit(NearToken::from_yoctonear(1))
        .transact()
        .await?
        .into_result()?;
    backup
        .call(contract.id(), methods::CONFIRM_RECOVERY_DELIVERY)
        .args(encoded(methods::CONFIRM_RECOVERY_DELIVERY, json!({"keyset": keyset()})))
        .transact()
        .await?
        .into_result()?;
    new_node
        .call(contract.id(), methods::CONCLUDE_RECOVERY)
        .args(encoded(methods::CONCLUDE_RECOVERY, json!({"keyset": keyset()})))
        .transact()
        .await?
        .into_result()?;
    let state: Value = contract.view(methods::STATE).await?.json()?;
    let moved = &state["Running"]["parameters"]["participants"][1]["info"];
    assert_eq!(moved, &info(1, 1));
    Ok(())
}

#[tokio::test]
async fn function_call_keys__should_reach_their_methods_and_nothing_operator_only() -> anyhow::Result<()> {
    let worker = near_workspaces::sandbox().await?;
    let (contract, operators) = network(&worker).await?;
    upgrade(&contract).await?;
    let operator = &operators[0];
    let node = function_call_key(&worker, operator, &contract, Role::Node).await?;
    let backup = function_call_key(&worker, operator, &contract, Role::BackupService).await?;

    // A node method works from the node's key.
    node.call(contract.id(), methods::SUBMIT_PARTICIPANT_INFO)
        .args(encoded(methods::SUBMIT_PARTICIPANT_INFO, json!({"info": info(0, 0)})))
        .transact()
        .await?
        .into_result()?;
    // Operator-only methods need a deposit, which a function-call key cannot attach...
    let with_deposit = node
        .call(contract.id(), methods::REGISTER_BACKUP_SERVICE)
        .args_json(
            json!({"info": {"public_key": tls_key(98, 0), "signer_public_key": backup.secret_key().public_key()}}),
        )
        .deposit(NearToken::from_yoctonear(1))
        .transact()
        .await;
    assert!(with_deposit.is_err() || with_deposit.unwrap().is_failure(), "a function-call key attached a deposit");
    // ...and are not on the key's list at all.
    let not_listed = backup.call(contract.id(), methods::APPROVE_RECOVERY).transact().await;
    assert!(not_listed.is_err() || not_listed.unwrap().is_failure(), "the backup key called a method off its list");
    // The backup service's key reaches its own methods (refused by the contract's rules, not by the key).
    let confirm = backup
        .call(contract.id(), methods::CONFIRM_RECOVERY_DELIVERY)
        .args(encoded(methods::CONFIRM_RECOVERY_DELIVERY, json!({"keyset": keyset()})))
        .transact()
        .await?;
    let failure = format!("{:?}", confirm.into_result().unwrap_err());
    assert!(failure.contains("[WrongState]"), "expected the contract's own refusal, got {failure}");
    Ok(())
}
