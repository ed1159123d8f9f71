//! A network in `Hard` launch mode that accepts development attestations, for
//! the off-chain parts' tests (node refusals, re-attestation).

use crate::scenario::{account, domains, info, key_bytes, node_key, parameters, OutcomeExt, TestNetwork};
use local_chain::{ContractCall as Call, Harness};
use mpc_interface::attestation::HexArray;
use mpc_interface::launch::{report_data_v1, Attestation, DevAttestation, LaunchMode, LaunchVote, Measurements};
use mpc_interface::methods;
use mpc_interface::recovery::BackupServiceInfo;
use serde_json::json;

/// The image measurements participants allow in [`hard_network`].
pub const MEASUREMENTS: Measurements = Measurements {
    mrtd: HexArray([0xa1; 48]),
    rtmr0: HexArray([0xa2; 48]),
    rtmr1: HexArray([0xa3; 48]),
    rtmr2: HexArray([0xa4; 48]),
    rtmr3: HexArray([0xa5; 48]),
};

/// Deployed with `allow_dev_attestation`, through key generation with `n`
/// participants (each node's key recorded by a refresh), still in `Soft` mode.
pub fn dev_attesting_network(n: usize) -> TestNetwork {
    let mut net = TestNetwork::deploy(crate::wasm::contract_wasm());
    let init = json!({"parameters": parameters(n), "domains": domains(), "allow_dev_attestation": true});
    net.contract_call(methods::INIT, init).expect_ok();
    net.complete_keygen(n);
    for i in 0..n {
        net.node_call(&account(i), methods::SUBMIT_PARTICIPANT_INFO, json!({"info": info(&account(i), 0)})).expect_ok();
    }
    net
}

/// A threshold of `n` nodes allows [`MEASUREMENTS`] and switches to `Hard`
/// (on the harness, so an in-process contract can do it mid-test).
pub fn switch_to_hard(harness: &mut Harness, n: usize) {
    let vote = |h: &mut Harness, i: usize, method: &str, args: serde_json::Value| {
        let key = key_bytes(&node_key(&account(i)));
        h.call(Call::new(method).args(args).by(&account(i)).signer_pk(key)).expect_ok();
    };
    for i in 0..parameters(n).threshold as usize {
        vote(harness, i, methods::VOTE_LAUNCH, json!({"vote": LaunchVote::AllowMeasurements(MEASUREMENTS)}));
        vote(harness, i, methods::VOTE_LAUNCH, json!({"vote": LaunchVote::Mode(LaunchMode::Hard)}));
    }
    let mode: LaunchMode = harness.view(methods::LAUNCH_MODE, json!({})).json();
    assert_eq!(mode, LaunchMode::Hard);
}

/// A development attestation of `service`'s keys with [`MEASUREMENTS`].
pub fn dev_attestation(service: &BackupServiceInfo) -> Attestation {
    let report_data = report_data_v1(&service.public_key, &service.signer_public_key);
    Attestation::Dev(DevAttestation { measurements: MEASUREMENTS, report_data })
}
