//! Accounts, access keys and nonces on the local chain, as NEAR rules them: every refusal is
//! a typed error naming what was wrong, and a refused transaction changes nothing.
#![allow(non_snake_case)]

use local_chain::{
    AccessKey, AccessKeyPermission, Action, ActionError, Harness, LocalChain, SignerPk, Transaction, TransactionError,
    ACCESS_KEY_NONCE_RANGE_MULTIPLIER, GAS_PRICE, ONE_NEAR, TGAS,
};
use serde_json::json;

const APP: &str = "app.near";
const ALICE: &str = "alice.near";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}.wat", env!("CARGO_MANIFEST_DIR"));
    wat::parse_file(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn key(label: &str) -> SignerPk {
    SignerPk::ed25519_from_seed(label)
}

/// `app.near` runs the selftest contract; alice holds a full-access key and a function-call
/// key for `put` and `get` on the app.
fn chain() -> LocalChain {
    let mut chain = LocalChain::new();
    chain.add_contract(Harness::new(fixture("selftest"), APP));
    chain.create_account(ALICE, 10 * ONE_NEAR, key("alice/full"));
    chain
        .send(Transaction::new(ALICE, key("alice/full"), ALICE).add_key(key("alice/app"), app_key(Some(ONE_NEAR))))
        .unwrap()
        .unwrap();
    chain
}

fn app_key(allowance: Option<u128>) -> AccessKey {
    AccessKey::function_call(APP, ["put", "get"], allowance)
}

fn put(signer: &SignerPk, value: &str) -> Transaction {
    Transaction::new(ALICE, signer.clone(), APP).action(Action::FunctionCall {
        method: "put".into(),
        args: value.as_bytes().to_vec(),
        gas: 30 * TGAS,
        deposit: 0,
    })
}

fn stored(chain: &LocalChain) -> Option<Vec<u8>> {
    chain.contract(APP).storage_get(b"k")
}

/// Submits `tx`, expects `expected`, and checks that nothing changed: storage, keys, balances.
fn assert_refused(chain: &mut LocalChain, tx: Transaction, expected: TransactionError) {
    let before = (stored(chain), chain.access_keys(ALICE), chain.balance(ALICE), chain.balance(APP));
    let err = chain.submit(tx).expect_err("the chain must refuse the transaction");
    assert_eq!(err, expected);
    assert!(!err.to_string().is_empty());
    let after = (stored(chain), chain.access_keys(ALICE), chain.balance(ALICE), chain.balance(APP));
    assert_eq!(after, before, "a refused transaction changed the chain");
}

#[test]
fn function_call_key__should_call_its_listed_method_and_pass_its_key_to_the_contract() {
    let mut chain = chain();
    let out = chain.send(put(&key("alice/app"), "v1")).unwrap();
    assert!(out.is_ok(), "{:?}", out.status);
    assert_eq!(stored(&chain).as_deref(), Some(&b"v1"[..]));
    let pk = chain.send(Transaction::new(ALICE, key("alice/full"), APP).call("signer_pk", &json!({}), 10 * TGAS, 0));
    assert_eq!(pk.unwrap().unwrap(), key("alice/full").borsh());
}

#[test]
fn submit__should_refuse_a_key_the_signer_does_not_hold() {
    let mut chain = chain();
    let mallory = key("mallory/app");
    assert_refused(
        &mut chain,
        put(&mallory, "x").nonce(1),
        TransactionError::AccessKeyNotFound { account: ALICE.into(), public_key: mallory.to_string() },
    );
    assert_refused(
        &mut chain,
        Transaction::new("nobody.near", key("alice/full"), APP).call("get", &json!({}), TGAS, 0).nonce(1),
        TransactionError::SignerDoesNotExist("nobody.near".into()),
    );
}

#[test]
fn function_call_key__should_refuse_a_method_not_in_its_list() {
    let mut chain = chain();
    let tx = Transaction::new(ALICE, key("alice/app"), APP).call("echo", &json!({}), 30 * TGAS, 0);
    let tx = tx.nonce(chain.next_nonce(ALICE, &key("alice/app")).unwrap());
    assert_refused(
        &mut chain,
        tx,
        TransactionError::MethodNameMismatch {
            public_key: key("alice/app").to_string(),
            method: "echo".into(),
            allowed: vec!["put".into(), "get".into()],
        },
    );
}

#[test]
fn function_call_key__with_an_empty_method_list_should_call_any_method_of_its_receiver() {
    let mut chain = chain();
    let any = AccessKey::function_call(APP, Vec::<String>::new(), None);
    chain.send(Transaction::new(ALICE, key("alice/full"), ALICE).add_key(key("alice/any"), any)).unwrap().unwrap();
    let out = chain.send(Transaction::new(ALICE, key("alice/any"), APP).call("echo", &json!({"a": 1}), 30 * TGAS, 0));
    assert_eq!(out.unwrap().unwrap(), br#"{"a":1}"#);
}

#[test]
fn function_call_key__should_refuse_another_receiver() {
    let mut chain = chain();
    chain.add_contract(Harness::new(fixture("selftest"), "other.near"));
    let tx = Transaction::new(ALICE, key("alice/app"), "other.near").call("put", &json!({}), 30 * TGAS, 0);
    let tx = tx.nonce(chain.next_nonce(ALICE, &key("alice/app")).unwrap());
    assert_refused(
        &mut chain,
        tx,
        TransactionError::ReceiverMismatch {
            public_key: key("alice/app").to_string(),
            receiver_id: "other.near".into(),
            allowed: APP.into(),
        },
    );
}

#[test]
fn function_call_key__should_refuse_a_deposit() {
    let mut chain = chain();
    let tx = Transaction::new(ALICE, key("alice/app"), APP).call("put", &json!({}), 30 * TGAS, 1);
    let tx = tx.nonce(chain.next_nonce(ALICE, &key("alice/app")).unwrap());
    assert_refused(
        &mut chain,
        tx,
        TransactionError::DepositWithFunctionCall { public_key: key("alice/app").to_string(), deposit: 1 },
    );
}

#[test]
fn function_call_key__should_refuse_anything_but_one_function_call() {
    let mut chain = chain();
    let nonce = chain.next_nonce(ALICE, &key("alice/app")).unwrap();
    let add = Transaction::new(ALICE, key("alice/app"), ALICE).add_key(key("alice/stolen"), AccessKey::full_access());
    assert_refused(
        &mut chain,
        add.nonce(nonce),
        TransactionError::RequiresFullAccess { public_key: key("alice/app").to_string(), actions: "AddKey".into() },
    );
    let two = put(&key("alice/app"), "a").call("get", &json!({}), TGAS, 0);
    assert_refused(
        &mut chain,
        two.nonce(nonce),
        TransactionError::RequiresFullAccess {
            public_key: key("alice/app").to_string(),
            actions: "FunctionCall, FunctionCall".into(),
        },
    );
}

#[test]
fn function_call_key__should_spend_its_allowance_on_prepaid_gas_and_refuse_beyond_it() {
    let mut chain = chain();
    let cost = u128::from(30 * TGAS) * GAS_PRICE;
    let limited = app_key(Some(cost + cost / 2));
    chain
        .send(Transaction::new(ALICE, key("alice/full"), ALICE).add_key(key("alice/limited"), limited))
        .unwrap()
        .unwrap();
    chain.send(put(&key("alice/limited"), "first")).unwrap().unwrap();
    let left = match &chain.access_key(ALICE, &key("alice/limited")).unwrap().permission {
        AccessKeyPermission::FunctionCall(p) => p.allowance,
        AccessKeyPermission::FullAccess => panic!("a function-call key"),
    };
    assert_eq!(left, Some(cost / 2));
    let nonce = chain.next_nonce(ALICE, &key("alice/limited")).unwrap();
    assert_refused(
        &mut chain,
        put(&key("alice/limited"), "second").nonce(nonce),
        TransactionError::NotEnoughAllowance {
            public_key: key("alice/limited").to_string(),
            allowance: cost / 2,
            cost,
        },
    );
}

#[test]
fn submit__should_refuse_a_replayed_or_old_nonce() {
    let mut chain = chain();
    let nonce = chain.next_nonce(ALICE, &key("alice/app")).unwrap();
    chain.submit(put(&key("alice/app"), "once").nonce(nonce)).unwrap().unwrap();
    assert_eq!(chain.access_key(ALICE, &key("alice/app")).unwrap().nonce, nonce);
    for stale in [nonce, nonce - 1] {
        assert_refused(
            &mut chain,
            put(&key("alice/app"), "again").nonce(stale),
            TransactionError::InvalidNonce {
                public_key: key("alice/app").to_string(),
                tx_nonce: stale,
                key_nonce: nonce,
            },
        );
    }
    // Nonces need not be consecutive, only increasing.
    chain.submit(put(&key("alice/app"), "later").nonce(nonce + 10)).unwrap().unwrap();
    assert_eq!(stored(&chain).as_deref(), Some(&b"later"[..]));
}

#[test]
fn submit__should_refuse_a_nonce_beyond_the_current_block_range() {
    let mut chain = chain();
    let height = chain.block_height();
    let too_large = height * ACCESS_KEY_NONCE_RANGE_MULTIPLIER;
    assert_refused(
        &mut chain,
        put(&key("alice/app"), "x").nonce(too_large),
        TransactionError::NonceTooLarge { tx_nonce: too_large, block_height: height, upper_bound: too_large },
    );
}

#[test]
fn add_key__should_start_the_new_key_at_the_block_nonce_range() {
    let mut chain = chain();
    chain.advance_blocks(5);
    chain
        .send(Transaction::new(ALICE, key("alice/full"), ALICE).add_key(key("alice/new"), app_key(None)))
        .unwrap()
        .unwrap();
    let nonce = chain.access_key(ALICE, &key("alice/new")).unwrap().nonce;
    assert_eq!(nonce, (chain.block_height() - 1) * ACCESS_KEY_NONCE_RANGE_MULTIPLIER);
}

#[test]
fn add_and_delete_key__should_need_the_account_itself() {
    let mut chain = chain();
    chain.create_account("bob.near", ONE_NEAR, key("bob/full"));
    // Bob's full-access key cannot change alice's keys: the receipt fails, nothing changes.
    let keys = chain.access_keys(ALICE);
    let out = chain
        .send(
            Transaction::new("bob.near", key("bob/full"), ALICE)
                .add_key(key("bob/into-alice"), AccessKey::full_access()),
        )
        .unwrap();
    assert_eq!(
        out.first().error,
        Some(ActionError::ActorNoPermission { actor: "bob.near".into(), account: ALICE.into(), action: "add a key" })
    );
    assert!(out.status.is_err());
    let out = chain.send(Transaction::new("bob.near", key("bob/full"), ALICE).delete_key(key("alice/app"))).unwrap();
    assert!(matches!(out.first().error, Some(ActionError::ActorNoPermission { .. })));
    assert_eq!(chain.access_keys(ALICE), keys);
}

#[test]
fn delete_key__should_remove_the_key_so_it_can_sign_no_more() {
    let mut chain = chain();
    chain.send(Transaction::new(ALICE, key("alice/full"), ALICE).delete_key(key("alice/app"))).unwrap().unwrap();
    assert!(chain.access_key(ALICE, &key("alice/app")).is_none());
    let err = chain.send(put(&key("alice/app"), "x")).unwrap_err();
    assert_eq!(
        err,
        TransactionError::AccessKeyNotFound { account: ALICE.into(), public_key: key("alice/app").to_string() }
    );
    // Deleting it again fails in execution, and uses the full-access key's nonce.
    let nonce = chain.next_nonce(ALICE, &key("alice/full")).unwrap();
    let out = chain.send(Transaction::new(ALICE, key("alice/full"), ALICE).delete_key(key("alice/app"))).unwrap();
    assert_eq!(
        out.first().error,
        Some(ActionError::DeleteKeyDoesNotExist { account: ALICE.into(), public_key: key("alice/app").to_string() })
    );
    assert_eq!(chain.access_key(ALICE, &key("alice/full")).unwrap().nonce, nonce);
}

#[test]
fn add_key__should_refuse_a_key_the_account_holds_and_undo_the_whole_transaction() {
    let mut chain = chain();
    let tx = Transaction::new(ALICE, key("alice/full"), ALICE)
        .add_key(key("alice/extra"), app_key(None))
        .add_key(key("alice/app"), AccessKey::full_access());
    let out = chain.send(tx).unwrap();
    assert_eq!(
        out.first().error,
        Some(ActionError::AddKeyAlreadyExists { account: ALICE.into(), public_key: key("alice/app").to_string() })
    );
    assert!(chain.access_key(ALICE, &key("alice/extra")).is_none(), "the first action must be undone");
    assert!(!chain.access_key(ALICE, &key("alice/app")).unwrap().is_full_access());
}

#[test]
fn full_access_key__should_attach_a_deposit_that_moves_balance() {
    let mut chain = chain();
    let (alice, app) = (chain.balance(ALICE).unwrap(), chain.balance(APP).unwrap());
    let out =
        chain.send(Transaction::new(ALICE, key("alice/full"), APP).call("deposit", &json!({}), 10 * TGAS, 7)).unwrap();
    assert_eq!(u128::from_le_bytes(out.unwrap().try_into().unwrap()), 7);
    assert_eq!((chain.balance(ALICE).unwrap(), chain.balance(APP).unwrap()), (alice - 7, app + 7));
    // A failed call refunds its deposit to the signer.
    let out =
        chain.send(Transaction::new(ALICE, key("alice/full"), APP).call("put_then_panic", &json!({}), 10 * TGAS, 5));
    assert!(out.unwrap().status.is_err());
    assert_eq!((chain.balance(ALICE).unwrap(), chain.balance(APP).unwrap()), (alice - 7, app + 7));
    let nonce = chain.next_nonce(ALICE, &key("alice/full")).unwrap();
    assert_refused(
        &mut chain,
        Transaction::new(ALICE, key("alice/full"), APP)
            .call("deposit", &json!({}), 10 * TGAS, 100 * ONE_NEAR)
            .nonce(nonce),
        TransactionError::NotEnoughBalance { account: ALICE.into(), balance: alice - 7, cost: 100 * ONE_NEAR },
    );
}

#[test]
fn deploy__should_put_code_on_the_signers_own_account_and_run_its_init_in_the_same_transaction() {
    let mut chain = chain();
    let tx = Transaction::new(ALICE, key("alice/full"), ALICE).deploy(fixture("selftest")).call(
        "put",
        &json!("init"),
        30 * TGAS,
        0,
    );
    chain.send(tx).unwrap().unwrap();
    assert_eq!(chain.contract(ALICE).storage_get(b"k").as_deref(), Some(&br#""init""#[..]));
    assert_eq!(chain.contract(ALICE).block_height(), chain.block_height());
    // Deploy + a failing call: the deploy is undone with it.
    chain.create_account("carol.near", ONE_NEAR, key("carol/full"));
    let tx = Transaction::new("carol.near", key("carol/full"), "carol.near").deploy(fixture("selftest")).call(
        "put_then_panic",
        &json!({}),
        30 * TGAS,
        0,
    );
    assert!(chain.send(tx).unwrap().status.is_err());
    let out =
        chain.send(Transaction::new("carol.near", key("carol/full"), "carol.near").call("get", &json!({}), TGAS, 0));
    assert_eq!(
        out.unwrap().first().error,
        Some(ActionError::NoContract { account: "carol.near".into(), method: "get".into() })
    );
}
