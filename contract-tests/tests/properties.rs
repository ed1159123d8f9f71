#![allow(non_snake_case)]
//! Random sequences of calls from random accounts, executed as wasm, never
//! break the rules of the protocol:
//! - a refused call changes nothing;
//! - Recovery is entered only from Running, never re-entered from Recovery;
//! - account ids, participant ids and the threshold never change in Recovery;
//! - no recovery reaches `Delivered` without having been approved, and none
//!   concludes without `Delivered`;
//! - TLS keys stay unique among participants and candidates.

use contract_tests::scenario::*;
use contract_tests::wasm::contract_wasm;
use mpc_interface::methods::*;
use mpc_interface::primitives::{Participant, ParticipantId, ThresholdParameters};
use mpc_interface::recovery::RecoveryStatus;
use mpc_interface::state::ProtocolStateView;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::HashSet;

const N: usize = 4;
/// Accounts 0..N are participants, N and N+1 outsiders that may become candidates.
const ACCOUNTS: usize = N + 2;

#[derive(Debug, Clone)]
enum Action {
    EnterRecovery { who: usize, machine: u32, operator: bool },
    Approve { who: usize, deposit: bool, machine: u32 },
    Confirm { who: usize, backup_key: bool, epoch: u64 },
    Conclude { who: usize, new_key: bool },
    Cancel { who: usize, deposit: bool },
    VoteParameters { who: usize, with_newcomer: bool },
    VoteReshared { who: usize, domain: u64 },
    SubmitInfo { who: usize, machine: u32 },
    RegisterBackup { who: usize },
}

fn action() -> impl Strategy<Value = Action> {
    let who = 0..ACCOUNTS;
    prop_oneof![
        (who.clone(), 0..3u32, any::<bool>()).prop_map(|(who, machine, operator)| Action::EnterRecovery {
            who,
            machine,
            operator
        }),
        (who.clone(), any::<bool>(), 0..3u32).prop_map(|(who, deposit, machine)| Action::Approve {
            who,
            deposit,
            machine
        }),
        (who.clone(), any::<bool>(), 0..2u64).prop_map(|(who, backup_key, epoch)| Action::Confirm {
            who,
            backup_key,
            epoch
        }),
        (who.clone(), any::<bool>()).prop_map(|(who, new_key)| Action::Conclude { who, new_key }),
        (who.clone(), any::<bool>()).prop_map(|(who, deposit)| Action::Cancel { who, deposit }),
        (who.clone(), any::<bool>()).prop_map(|(who, with_newcomer)| Action::VoteParameters { who, with_newcomer }),
        (who.clone(), 0..2u64).prop_map(|(who, domain)| Action::VoteReshared { who, domain }),
        (who.clone(), 0..3u32).prop_map(|(who, machine)| Action::SubmitInfo { who, machine }),
        who.prop_map(|who| Action::RegisterBackup { who }),
    ]
}

fn proposal(with_newcomer: bool) -> ThresholdParameters {
    let mut p = parameters(N);
    if with_newcomer {
        let a = account(N);
        p.participants.push(Participant {
            account_id: a.parse().unwrap(),
            id: ParticipantId(N as u32),
            info: info(&a, 0),
        });
        p.threshold = ThresholdParameters::min_threshold(N as u64 + 1);
    }
    p
}

fn run(net: &mut TestNetwork, action: &Action) -> local_chain::ExecutionOutcome {
    let epoch_of = |net: &TestNetwork| match net.state() {
        ProtocolStateView::Running(r) => r.next_epoch_id.0,
        ProtocolStateView::Recovery(r) => r.previous.next_epoch_id.0,
        ProtocolStateView::Resharing(r) => r.epoch_id.0,
        _ => 1,
    };
    match *action {
        Action::EnterRecovery { who, machine, operator } => {
            let a = account(who);
            let (key, deposit) = if operator { (operator_key(&a), 1) } else { (new_node_key(&a), 0) };
            let args = json!({"info": info(&a, machine), "node_public_key": new_node_key(&a)});
            net.signed_call(&a, &key, deposit, SUBMIT_PARTICIPANT_RECOVERY_INFO, args)
        }
        Action::Approve { who, deposit, machine } => {
            let a = account(who);
            let args = json!({"tls_public_key": tls_key(&a, machine)});
            net.signed_call(&a, &operator_key(&a), deposit as u128, APPROVE_RECOVERY, args)
        }
        Action::Confirm { who, backup_key: use_backup, epoch } => {
            let a = account(who);
            let key = if use_backup { backup_key(&a) } else { node_key(&a) };
            let mut ks = keyset(0);
            ks.epoch_id.0 = epoch;
            net.signed_call(&a, &key, 0, CONFIRM_RECOVERY_DELIVERY, json!({"keyset": ks}))
        }
        Action::Conclude { who, new_key } => {
            let a = account(who);
            let key = if new_key { new_node_key(&a) } else { node_key(&a) };
            let current = match net.state() {
                ProtocolStateView::Recovery(r) => r.previous.keyset,
                _ => keyset(0),
            };
            net.signed_call(&a, &key, 0, CONCLUDE_RECOVERY, json!({"keyset": current}))
        }
        Action::Cancel { who, deposit } => {
            let a = account(who);
            let key = if deposit { operator_key(&a) } else { node_key(&a) };
            net.signed_call(&a, &key, deposit as u128, CANCEL_RECOVERY, json!({}))
        }
        Action::VoteParameters { who, with_newcomer } => {
            let epoch = epoch_of(net);
            net.node_call(
                &account(who),
                VOTE_NEW_PARAMETERS,
                json!({"epoch_id": epoch, "proposal": proposal(with_newcomer)}),
            )
        }
        Action::VoteReshared { who, domain } => {
            let epoch = epoch_of(net);
            let args = net.vote_reshared_args(epoch, domain);
            net.node_call(&account(who), VOTE_RESHARED, args)
        }
        Action::SubmitInfo { who, machine } => {
            let a = account(who);
            net.node_call(&a, SUBMIT_PARTICIPANT_INFO, json!({"info": info(&a, machine)}))
        }
        Action::RegisterBackup { who } => {
            let a = account(who);
            net.operator_call(&a, REGISTER_BACKUP_SERVICE, json!({"info": backup_info(&a)}))
        }
    }
}

fn identities(state: &ProtocolStateView) -> Option<(Vec<(String, u32)>, u64)> {
    let p = state.current_parameters()?;
    Some((p.participants.iter().map(|x| (x.account_id.to_string(), x.id.0)).collect(), p.threshold))
}

fn recovery_status(state: &ProtocolStateView) -> Option<RecoveryStatus> {
    match state {
        ProtocolStateView::Recovery(r) => Some(r.recovery.status),
        _ => None,
    }
}

fn assert_unique_tls_keys(net: &TestNetwork) {
    let mut seen = HashSet::new();
    let state = net.state();
    for p in &state.current_parameters().unwrap().participants {
        assert!(seen.insert(p.info.tls_public_key), "TLS key {} used twice", p.info.tls_public_key);
    }
    let candidates: Value = net.view_json(CANDIDATES, json!({}));
    for c in candidates.as_array().unwrap() {
        let key = c[1]["tls_public_key"].as_str().unwrap().to_owned();
        assert!(seen.insert(key.parse().unwrap()), "candidate TLS key {key} used twice");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_calls__should_never_break_the_recovery_rules(actions in proptest::collection::vec(action(), 1..40)) {
        let mut net = TestNetwork::running(contract_wasm(), N);
        for action in &actions {
            let before = net.observable();
            let state_before = net.state();
            let outcome = run(&mut net, action);
            let state_after = net.state();
            if outcome.result.is_err() {
                prop_assert!(net.observable() == before, "refused {:?} changed the contract", action);
                continue;
            }
            let was = recovery_status(&state_before);
            let now = recovery_status(&state_after);
            if now.is_some() && was.is_none() {
                prop_assert!(matches!(state_before, ProtocolStateView::Running(_)), "Recovery entered from {}", state_before.name());
            }
            if was.is_some() && now.is_some() {
                prop_assert_eq!(identities(&state_before), identities(&state_after), "identities changed in Recovery by {:?}", action);
            }
            if now == Some(RecoveryStatus::Delivered) && was != Some(RecoveryStatus::Delivered) {
                prop_assert_eq!(was, Some(RecoveryStatus::Approved), "delivered without approval");
            }
            let concluded = outcome.events().iter().any(|e| e["event"] == "recovery_concluded");
            if concluded {
                prop_assert_eq!(was, Some(RecoveryStatus::Delivered), "concluded without delivery");
                prop_assert_eq!(identities(&state_before), identities(&state_after));
            }
            if matches!(state_after, ProtocolStateView::Running(_) | ProtocolStateView::Recovery(_)) {
                assert_unique_tls_keys(&net);
            }
        }
    }
}
