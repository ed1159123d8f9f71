//! The harness itself, tested against a tiny contract written in WAT
//! (`tests/fixtures/selftest.wat`) so that every expectation is known exactly.

use local_chain::{Call, Failure, Harness, MockAction, PromiseResult, SignerPk, DEFAULT_BALANCE, TGAS};
use near_parameters::ExtCosts;
use serde_json::{json, Value};

const ACCOUNT: &str = "selftest.near";
/// Bytes NEAR charges per storage entry on top of key and value.
const RECORD_OVERHEAD: u64 = 40;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}.wat", env!("CARGO_MANIFEST_DIR"));
    wat::parse_file(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn harness() -> Harness {
    Harness::new(fixture("selftest"), ACCOUNT)
}

fn put(h: &mut Harness, value: &str) {
    h.call(Call::new("put").args_raw(value)).assert_ok();
}

/// Everything a failed call must leave untouched: raw storage, storage usage, balance.
type Snapshot = (Vec<(Vec<u8>, Vec<u8>)>, u64, u128);

fn snapshot(h: &Harness) -> Snapshot {
    (h.raw_storage(), h.storage_usage(), h.balance())
}

#[test]
fn call_returns_its_value() {
    let mut h = harness();
    let out = h.call(Call::new("echo").args(json!({"a": [1, 2, 3]})));
    assert_eq!(out.result, Ok(br#"{"a":[1,2,3]}"#.to_vec()));
    assert_eq!(out.json::<Value>(), json!({"a": [1, 2, 3]}));
    assert!(out.failure.is_none());

    let raw = h.call(Call::new("echo").args_raw(vec![0u8, 255, 7]));
    assert_eq!(raw.unwrap(), &[0u8, 255, 7]);

    // A method that returns nothing gives an empty value.
    assert_eq!(h.call(Call::new("get")).result, Ok(vec![]));
}

#[test]
fn logs_and_events_are_captured() {
    let mut h = harness();
    let out = h.call(Call::new("logs"));
    assert!(out.is_ok());
    assert_eq!(out.logs.len(), 3);
    assert_eq!(out.logs[0], "hello log");
    assert_eq!(out.logs[1], "second log");
    assert_eq!(out.events(), vec![json!({"standard": "selftest", "version": "1.0.0", "event": "logged", "data": [1]})]);
}

#[test]
fn gas_is_metered_and_deterministic() {
    let mut a = harness();
    let mut b = harness();
    let first = a.call(Call::new("put").args_raw("value"));
    let second = b.call(Call::new("put").args_raw("value"));
    assert!(first.is_ok() && second.is_ok());
    // At least the cost of loading the contract, which is charged before any wasm runs...
    let costs = &local_chain::runtime_config().wasm_config.ext_costs;
    let loading = costs.gas_cost(ExtCosts::contract_loading_base).as_gas()
        + costs.gas_cost(ExtCosts::contract_loading_bytes).as_gas() * fixture("selftest").len() as u64;
    assert!(first.gas_burnt > loading, "{} <= {loading}", first.gas_burnt);
    assert_eq!(first.gas_burnt, second.gas_burnt);
    assert_eq!(first.gas_used, second.gas_used);

    // ... the same state gives the same gas again in the same harness.
    let again = a.call(Call::new("put").args_raw("value"));
    let again2 = a.call(Call::new("put").args_raw("value"));
    assert_eq!(again.gas_burnt, again2.gas_burnt);

    // More work costs more gas: a longer value writes more bytes.
    let longer = b.call(Call::new("put").args_raw("value".repeat(100)));
    assert!(longer.gas_burnt > second.gas_burnt);
}

#[test]
fn panic_returns_the_message_and_rolls_everything_back() {
    let mut h = harness();
    put(&mut h, "before");
    let before = snapshot(&h);
    assert_eq!(h.storage_usage(), 1 + 6 + RECORD_OVERHEAD);

    let out = h.call(Call::new("put_then_panic").args_raw("after").deposit(5));
    assert_eq!(out.unwrap_err(), "boom: rolled back");
    assert_eq!(out.failure, Some(Failure::Panic("boom: rolled back".into())));
    // Logs written before the panic are still reported.
    assert_eq!(out.logs, vec!["hello log".to_string()]);
    assert!(out.gas_burnt > 0);

    // Both writes (the overwrite of "k" and the new "k2") and the deposit are undone.
    assert_eq!(snapshot(&h), before);
    assert_eq!(h.raw_storage(), vec![(b"k".to_vec(), b"before".to_vec())]);
    assert_eq!(h.call(Call::new("get")).unwrap(), b"before");
}

#[test]
fn trap_and_gas_exhaustion_roll_back_too() {
    let mut h = harness();
    put(&mut h, "kept");
    let before = snapshot(&h);

    let trap = h.call(Call::new("put_then_trap").args_raw("lost"));
    assert!(matches!(trap.failure, Some(Failure::WasmTrap(_))), "{:?}", trap.failure);
    assert!(trap.unwrap_err().starts_with("WasmTrap: "), "{}", trap.unwrap_err());
    assert_eq!(snapshot(&h), before);

    let burn = h.call(Call::new("put_then_burn").args_raw("lost").tgas(5));
    assert_eq!(burn.failure, Some(Failure::GasExceeded));
    assert_eq!(burn.unwrap_err(), "GasExceeded: Exceeded the prepaid gas.");
    assert_eq!(burn.gas_burnt, 5 * TGAS);
    assert_eq!(snapshot(&h), before);
}

#[test]
fn views_cannot_write_and_never_change_state() {
    let mut h = harness();
    put(&mut h, "stored");
    let before = snapshot(&h);

    let view = h.view("put", json!("ignored"));
    assert_eq!(view.failure, Some(Failure::ProhibitedInView("storage_write".into())));
    assert_eq!(view.unwrap_err(), "ProhibitedInView: storage_write is not allowed in view calls");
    assert_eq!(snapshot(&h), before);

    // Reads work, and gas is still metered.
    let get = h.view("get", json!({}));
    assert_eq!(get.unwrap(), b"stored");
    assert!(get.gas_burnt > 0);

    // Context a view may not read is refused by the VM, as on chain.
    let who = h.view("whoami", json!({}));
    assert_eq!(who.failure, Some(Failure::ProhibitedInView("predecessor_account_id".into())));
    assert_eq!(snapshot(&h), before);
}

#[test]
fn predecessor_signer_key_and_deposit_reach_the_contract() {
    let mut h = harness();
    let who = h.call(Call::new("whoami").by("alice.near"));
    assert_eq!(who.text(), "alice.near");
    // The signer defaults to the predecessor...
    assert_eq!(h.call(Call::new("signer").by("alice.near")).text(), "alice.near");
    // ... or is set apart from it.
    let relayed = Call::new("signer").by("relay.near").signer("alice.near");
    assert_eq!(h.call(relayed).text(), "alice.near");
    // Without `.by`, the default caller.
    assert_eq!(h.call(Call::new("whoami")).text(), local_chain::DEFAULT_CALLER);

    // Signer keys: a deterministic default per signer, or the one given.
    let default_pk = h.call(Call::new("signer_pk").by("alice.near"));
    assert_eq!(default_pk.unwrap(), SignerPk::ed25519_from_seed("alice.near").borsh());
    let pk = SignerPk::ed25519_from_seed("node-key-1");
    let given = h.call(Call::new("signer_pk").by("alice.near").signer_pk(&pk));
    assert_eq!(given.unwrap(), pk.borsh());
    assert_eq!(given.unwrap().len(), 33);
    assert_eq!(given.unwrap()[0], 0, "curve byte 0 = ed25519");

    let deposit = h.call(Call::new("deposit").deposit(123_456_789_000_000_000_000_000_001));
    assert_eq!(u128::from_le_bytes(deposit.unwrap().try_into().unwrap()), 123_456_789_000_000_000_000_000_001);
    // A successful call keeps its deposit.
    assert_eq!(h.balance(), DEFAULT_BALANCE + 123_456_789_000_000_000_000_000_001);
    // The contract sees balance + deposit during the call, as on chain.
    let balance = h.call(Call::new("balance").deposit(7));
    assert_eq!(u128::from_le_bytes(balance.unwrap().try_into().unwrap()), h.balance());
}

#[test]
fn replace_code_keeps_storage() {
    let mut h = harness();
    put(&mut h, "survives the upgrade");
    assert_eq!(h.call(Call::new("version")).text(), "v1");
    let storage = h.raw_storage();
    let usage = h.storage_usage();
    let old_hash = h.code_hash();

    h.replace_code(fixture("selftest_v2"));
    assert_ne!(h.code_hash(), old_hash);
    assert_eq!(h.call(Call::new("version")).text(), "v2");
    assert_eq!(h.view("get", json!({})).unwrap(), b"survives the upgrade");
    assert_eq!(h.raw_storage(), storage);
    assert_eq!(h.storage_usage(), usage);
    // Methods only the old code had are gone.
    assert!(matches!(h.call(Call::new("put")).failure, Some(Failure::MethodNotFound(_))));
}

#[test]
fn missing_method_is_a_clear_error() {
    let mut h = harness();
    put(&mut h, "x");
    let before = snapshot(&h);
    let out = h.call(Call::new("no_such_method").args(json!({})).deposit(1));
    assert_eq!(out.unwrap_err(), "MethodNotFound: the contract has no exported method `no_such_method`");
    assert!(matches!(out.failure, Some(Failure::MethodNotFound(_))));
    assert_eq!(snapshot(&h), before);
    assert!(h.view("nope", json!({})).unwrap_err().starts_with("MethodNotFound: "));
}

#[test]
fn storage_usage_is_accounted_as_near_does() {
    let mut h = harness();
    assert_eq!(h.storage_usage(), 0);
    put(&mut h, "abc");
    assert_eq!(h.storage_usage(), 1 + 3 + RECORD_OVERHEAD);
    put(&mut h, "abcdef");
    assert_eq!(h.storage_usage(), 1 + 6 + RECORD_OVERHEAD);
    assert_eq!(h.raw_storage(), vec![(b"k".to_vec(), b"abcdef".to_vec())]);

    // The contract itself sees the account's total: data + code + the account record.
    let seen = h.call(Call::new("usage"));
    let seen = u64::from_le_bytes(seen.unwrap().try_into().unwrap());
    assert_eq!(seen, h.total_storage_usage());
    assert_eq!(seen, h.storage_usage() + fixture("selftest").len() as u64 + 100);
}

#[test]
fn raw_storage_edits_are_accounted() {
    let mut h = harness();
    h.set_raw_storage(b"k".to_vec(), b"planted".to_vec());
    assert_eq!(h.storage_usage(), 1 + 7 + RECORD_OVERHEAD);
    assert_eq!(h.view("get", json!({})).unwrap(), b"planted");
    // The contract's own overwrite agrees with the harness's accounting.
    put(&mut h, "ab");
    assert_eq!(h.storage_usage(), 1 + 2 + RECORD_OVERHEAD);
    h.set_raw_storage(b"other".to_vec(), vec![1; 10]);
    assert_eq!(h.storage_usage(), 1 + 2 + 5 + 10 + 2 * RECORD_OVERHEAD);
    assert_eq!(h.remove_raw_storage(b"other"), Some(vec![1; 10]));
    assert_eq!(h.remove_raw_storage(b"other"), None);
    assert_eq!(h.storage_usage(), 1 + 2 + RECORD_OVERHEAD);
}

#[test]
fn storage_staking_is_enforced() {
    let mut h = Harness::new(fixture("selftest"), ACCOUNT).with_balance(0);
    let before = snapshot(&h);
    let out = h.call(Call::new("put").args_raw("needs stake"));
    assert!(matches!(out.failure, Some(Failure::LackBalanceForState { balance: 0, .. })), "{:?}", out.failure);
    assert!(out.unwrap_err().starts_with("LackBalanceForState: "));
    assert_eq!(snapshot(&h), before);
    // Attaching enough deposit pays for it.
    h.call(Call::new("put").args_raw("needs stake").deposit(local_chain::ONE_NEAR)).assert_ok();
}

#[test]
fn blocks_advance() {
    let mut h = harness();
    let read = |h: &mut Harness| {
        let out = h.call(Call::new("block"));
        let bytes = out.unwrap();
        (u64::from_le_bytes(bytes[..8].try_into().unwrap()), u64::from_le_bytes(bytes[8..].try_into().unwrap()))
    };
    let (height, time) = read(&mut h);
    assert_eq!((height, time), (h.block_height(), h.block_timestamp()));
    h.advance_blocks(10);
    let (height2, time2) = read(&mut h);
    assert_eq!(height2, height + 10);
    assert_eq!(time2, time + 10 * local_chain::BLOCK_TIME_NS);
}

#[test]
fn yields_resume_and_time_out() {
    let mut h = harness();
    let start = h.call(Call::new("yield_start").by("user.near"));
    start.assert_ok();
    assert_eq!(start.yields.len(), 1);
    let data_id = start.yields[0].data_id;
    assert_eq!(start.returned_yield, Some(data_id));
    assert_eq!(start.yields[0].callback_method, "on_resume");
    assert_eq!(h.pending_yields().len(), 1);

    // Resumed in a later call: pending, so resume succeeds once.
    let resume = h.call(Call::new("do_resume").args_raw("signature"));
    assert_eq!(resume.unwrap(), &[1]);
    assert_eq!(resume.resumed, vec![data_id]);
    assert!(h.yield_resumed(data_id));
    let callback = h.run_yield_callback(data_id);
    assert_eq!(callback.text(), "signature");
    assert_eq!(h.storage_get(b"r"), Some(b"signature".to_vec()));
    assert!(h.pending_yields().is_empty());

    // A second yield nobody resumes times out; a late resume finds nothing.
    let second = h.call(Call::new("yield_start")).yields[0].data_id;
    assert_ne!(second, data_id, "data ids are distinct across calls");
    h.advance_blocks(h.yield_timeout());
    assert_eq!(h.call(Call::new("do_resume").args_raw("late")).unwrap(), &[0]);
    let ready = h.run_ready_yield_callbacks();
    assert_eq!(ready.len(), 1);
    assert_eq!(ready[0].1.text(), "timeout");

    // Callbacks of ordinary promises take their results from the call.
    let manual =
        h.call(Call::new("on_resume").by(ACCOUNT).promise_results(vec![PromiseResult::Successful(b"manual".to_vec())]));
    assert_eq!(manual.text(), "manual");
    let failed = h.call(Call::new("on_resume").by(ACCOUNT).promise_results(vec![PromiseResult::Failed]));
    assert_eq!(failed.text(), "timeout");
}

#[test]
fn a_failed_call_keeps_no_yields() {
    let mut h = harness();
    let out = h.call(Call::new("yield_then_panic"));
    assert_eq!(out.unwrap_err(), "boom: rolled back");
    // The VM did create it (the raw log shows it) but the failed receipt takes it along.
    assert!(out.actions.iter().any(|a| matches!(a, MockAction::YieldCreate { .. })));
    assert!(out.yields.is_empty());
    assert!(h.pending_yields().is_empty());
}
