//! Cross-contract receipts with a real contract of this repo: the TDX verifier
//! (`tee_verifier.wasm`) is called as a promise from a minimal relay contract
//! (`local-chain/tests/fixtures/relay.wat`), and the relay's `.then` callback gets the
//! verifier's real result: the verified report, or the failure.
#![allow(non_snake_case)]

use contract_tests::tdx::{verifier_at, Sample, VERIFIER_ACCOUNT};
use contract_tests::wasm::workspace_root;
use local_chain::{ActionError, Harness, LocalChain, PromiseResult, SignerPk, Transaction, ONE_NEAR, TGAS};
use mpc_interface::attestation::{TcbStatus, VerifiedQuote, VERIFY_QUOTE, VERIFY_QUOTE_GAS};

const RELAY: &str = "relay.near";
const ALICE: &str = "alice.near";

fn relay_wasm() -> Vec<u8> {
    let path = workspace_root().join("local-chain/tests/fixtures/relay.wat");
    wat::parse_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn alice() -> SignerPk {
    SignerPk::ed25519_from_seed("alice/full")
}

/// The verifier and the relay on one chain whose clock is at `unix_secs`.
fn chain_at(unix_secs: u64) -> LocalChain {
    let mut chain = LocalChain::new();
    chain.add_contract(verifier_at(unix_secs));
    chain.add_contract(Harness::new(relay_wasm(), RELAY));
    chain.create_account(ALICE, 10 * ONE_NEAR, alice());
    chain
}

/// Alice asks the relay to call `verify_quote` on the verifier with `VERIFY_QUOTE_GAS`.
fn relay_verify(chain: &mut LocalChain, sample: &Sample) -> local_chain::TransactionOutcome {
    let args = serde_json::to_vec(&sample.args()).unwrap();
    let mut input = vec![VERIFIER_ACCOUNT.len() as u8, VERIFY_QUOTE.len() as u8];
    input.extend_from_slice(&VERIFY_QUOTE_GAS.as_gas().to_le_bytes());
    input.extend_from_slice(&0u128.to_le_bytes());
    input.extend_from_slice(VERIFIER_ACCOUNT.as_bytes());
    input.extend_from_slice(VERIFY_QUOTE.as_bytes());
    input.extend_from_slice(&args);
    let tx = Transaction::new(ALICE, alice(), RELAY).action(local_chain::ChainAction::FunctionCall {
        method: "relay".into(),
        args: input,
        gas: 300 * TGAS,
        deposit: 0,
    });
    chain.send(tx).unwrap()
}

#[test]
fn verifier_promise__should_hand_the_verified_report_to_the_callback() {
    let sample = Sample::up_to_date();
    let mut chain = chain_at(sample.valid_at);
    let out = relay_verify(&mut chain, &sample);
    let route: Vec<_> = out.receipts.iter().map(|r| (r.predecessor_id.as_str(), r.receiver_id.as_str())).collect();
    // The callback is the relay's own receipt: the relay is its predecessor, as on NEAR.
    assert_eq!(route, [(ALICE, RELAY), (RELAY, VERIFIER_ACCOUNT), (RELAY, RELAY)]);
    let verify = out.receipt(VERIFY_QUOTE).unwrap();
    assert!(verify.is_ok(), "{:?}", verify.error);
    assert!(
        verify.gas_burnt() > 50 * TGAS && verify.gas_burnt() <= VERIFY_QUOTE_GAS.as_gas(),
        "{}",
        verify.gas_burnt()
    );
    let callback = out.receipt("on_result").unwrap();
    let [PromiseResult::Successful(value)] = callback.promise_results.as_slice() else {
        panic!("the callback got {:?}", callback.promise_results);
    };
    assert_eq!(value, &verify.result().unwrap());
    assert_eq!(callback.logs(), ["promise succeeded"]);
    let report: VerifiedQuote = borsh::from_slice(out.unwrap()).expect("the verifier answers in borsh");
    assert_eq!(report.tcb_status, TcbStatus::UpToDate);
    assert_eq!(report.verified_at, sample.valid_at);
}

#[test]
fn verifier_promise__should_hand_a_failure_to_the_callback_when_the_collateral_expired() {
    let sample = Sample::up_to_date();
    let mut chain = chain_at(sample.expires_at + 1);
    let out = relay_verify(&mut chain, &sample);
    let verify = out.receipt(VERIFY_QUOTE).unwrap();
    let Some(ActionError::FunctionCall(message)) = &verify.error else { panic!("{:?}", verify.error) };
    assert!(message.contains("[AttestationRejected] the collateral expired at"), "{message}");
    let callback = out.receipt("on_result").unwrap();
    assert_eq!(callback.promise_results, [PromiseResult::Failed]);
    assert_eq!(callback.logs(), ["promise failed"]);
    assert_eq!(out.status, Ok(b"failed".to_vec()));
}
