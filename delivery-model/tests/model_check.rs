#![allow(non_snake_case)]
//! The exhaustive check of the delivery protocol, and the proof that it can
//! fail: the old protocol's stall and one mutant per safety property.

use delivery_model::liveness::{self, Counterexample, Graph, Kind};
use delivery_model::model::{
    CAN_CONCLUDE, CONCLUDES_ONLY_WITH_DURABLE_SHARES, HIJACK_CAN_BE_CANCELLED, KEYSET_UNCHANGED,
    NO_CONCLUSION_BEFORE_DELIVERED, SHARES_ONLY_TO_APPROVED,
};
use delivery_model::state::{Machine, Msg, ShareFile, State, KEYSET};
use delivery_model::{Action, DeliveryModel, NodePhase, ServicePhase, Variant, NODE_PHASES, SERVICE_PHASES};
use mpc_interface::recovery::RecoveryStatus;
use stateright::{Checker, Model};
use std::collections::BTreeSet;
use std::io::Write;
use std::time::Instant;

/// Writes to the test's stderr past libtest's capture, so that the state
/// counts and the old protocol's counterexamples show in every run.
fn report(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

/// The fixed protocol is checked with the full bounds; a broken variant
/// fails within a few faults, so smaller bounds keep the suite quick.
fn model(variant: Variant) -> DeliveryModel {
    if variant == Variant::FIXED {
        DeliveryModel::new(variant)
    } else {
        DeliveryModel::with_bounds(variant, 4, 3)
    }
}

fn stateright_check(variant: Variant) -> impl Checker<DeliveryModel> {
    let started = Instant::now();
    let checker = model(variant).checker().spawn_bfs().join();
    report(&format!(
        "stateright checked {} states ({} unique) of the {variant} protocol in {:?}",
        checker.state_count(),
        checker.unique_state_count(),
        started.elapsed()
    ));
    checker
}

fn liveness_check(variant: Variant) -> Result<(), Counterexample> {
    let started = Instant::now();
    let graph = Graph::explore(&model(variant));
    let edges: usize = graph.edges.iter().map(Vec::len).sum();
    let result = liveness::check(&graph);
    report(&format!(
        "liveness: {} reachable states, {edges} steps of the {variant} protocol in {:?}",
        graph.states.len(),
        started.elapsed()
    ));
    result
}

/// Asserts stateright found a counterexample to `property`, and prints it.
fn assert_violated(variant: Variant, property: &'static str) {
    let checker = stateright_check(variant);
    let path = checker.discovery(property).unwrap_or_else(|| panic!("no counterexample to {property:?}"));
    eprintln!("counterexample to {property:?}:");
    for (state, action) in path.into_vec() {
        eprintln!("  {state}");
        if let Some(action) = action {
            eprintln!("     {action:?}");
        }
    }
}

fn faults_in(counterexample: &Counterexample) -> Vec<Action> {
    counterexample.steps.iter().map(|(a, _)| *a).filter(Action::is_fault).collect()
}

#[test]
fn fixed_protocol__should_hold_every_safety_property_in_every_reachable_state() {
    let checker = stateright_check(Variant::FIXED);
    assert!(checker.unique_state_count() > 1_000, "the model is suspiciously small");
    // The `always` properties, the `sometimes` ones (both outcomes are
    // reachable) and stateright's own `eventually` on terminal paths.
    checker.assert_properties();
    assert!(checker.discovery(CAN_CONCLUDE).is_some());
    assert!(checker.discovery(HIJACK_CAN_BE_CANCELLED).is_some());
}

#[test]
fn fixed_protocol__should_end_in_running_or_cancelled_from_every_reachable_state_once_faults_stop() {
    if let Err(counterexample) = liveness_check(Variant::FIXED) {
        panic!("{counterexample}");
    }
}

#[test]
fn fixed_protocol__should_be_checked_under_every_kind_of_fault() {
    let graph = Graph::explore(&DeliveryModel::new(Variant::FIXED));
    let injected: BTreeSet<String> = graph
        .edges
        .iter()
        .flatten()
        .filter(|(a, _)| a.is_fault())
        .map(|(a, _)| format!("{a:?}").split('(').next().unwrap_or_default().to_string())
        .collect();
    let expected = [
        "Drop",
        "Duplicate",
        "NodeCrashes",
        "ServiceCrashes",
        "NodeWriteFails",
        "ConfirmAnswerLost",
        "ConcludeAnswerLost",
        "StaleDelivery",
    ];
    assert_eq!(injected, expected.iter().map(|s| s.to_string()).collect());
    let ack = Msg::Ack { from: Machine::New, keyset: KEYSET };
    assert!(graph.edges.iter().flatten().any(|(a, _)| *a == Action::Drop(ack)), "a lost acknowledgement is modelled");
}

#[test]
fn old_protocol__should_stall_when_the_acknowledgement_is_lost() {
    let variant = Variant { refuse_redelivery_after_ack: true, ..Variant::FIXED };
    let counterexample = liveness_check(variant).expect_err("the old protocol stalls");
    eprintln!("{counterexample}");
    assert!(matches!(counterexample.kind, Kind::Livelock { .. }), "the service redelivers, the node refuses, forever");
    let faults = faults_in(&counterexample);
    let lost_ack = |a: &Action| matches!(a, Action::Drop(Msg::Ack { .. }) | Action::ServiceCrashes);
    assert!(faults.iter().any(lost_ack), "the acknowledgement is lost (dropped, or the service restarts): {faults:?}");
}

#[test]
fn old_protocol__should_stall_when_the_write_fails_after_the_acknowledgement() {
    let variant = Variant { ack_before_write: true, ..Variant::FIXED };
    let counterexample = liveness_check(variant).expect_err("the old protocol stalls");
    eprintln!("{counterexample}");
    // The service confirmed on the early acknowledgement; the node has no shares on disk.
    let last = &counterexample.steps.last().expect("a run").1;
    assert_eq!(last.contract.open().map(|(_, status)| status), Some(RecoveryStatus::Delivered));
    assert_ne!(last.share_file, ShareFile::Durable(KEYSET));
    let faults = faults_in(&counterexample);
    assert!(
        faults.iter().any(|a| matches!(a, Action::NodeWriteFails | Action::NodeCrashes)),
        "the shares never reach the disk: {faults:?}"
    );
}

#[test]
fn old_protocol__should_fail_the_liveness_check() {
    let counterexample = liveness_check(Variant::OLD).expect_err("the old protocol stalls");
    report(&counterexample.to_string());
}

#[test]
fn delivering_while_pending__should_send_shares_to_the_attackers_machine() {
    assert_violated(Variant { deliver_while_pending: true, ..Variant::FIXED }, SHARES_ONLY_TO_APPROVED);
}

#[test]
fn concluding_before_delivered__should_violate_confirmation_first() {
    assert_violated(Variant { conclude_before_delivered: true, ..Variant::FIXED }, NO_CONCLUSION_BEFORE_DELIVERED);
}

#[test]
fn concluding_without_checking_the_share_file__should_conclude_without_durable_shares() {
    let variant = Variant { ack_before_write: true, conclude_without_durable_shares: true, ..Variant::FIXED };
    assert_violated(variant, CONCLUDES_ONLY_WITH_DURABLE_SHARES);
}

#[test]
fn importing_any_keyset__should_let_a_stale_delivery_replace_the_shares() {
    assert_violated(Variant { import_any_keyset: true, ..Variant::FIXED }, KEYSET_UNCHANGED);
}

const DELIVER: Msg = Msg::Deliver { to: Machine::New, keyset: KEYSET };
const ACK: Msg = Msg::Ack { from: Machine::New, keyset: KEYSET };

/// The operator's own recovery after `script` (every step must be enabled),
/// with no fault left to inject.
fn after(variant: Variant, script: &[Action]) -> State {
    let model = model(variant);
    let mut state = model.init_states().into_iter().next().expect("the operator's recovery");
    for &action in script {
        state = model.next_state(&state, action).unwrap_or_else(|| panic!("{action:?} is not enabled in {state}"));
    }
    State { faults_left: 0, ..state }
}

/// From `state`, with faults stopped and nobody cancelling: can the recovery
/// still conclude, and does every run conclude?
fn outcomes(variant: Variant, state: State) -> (bool, Result<(), Counterexample>) {
    let graph = Graph::explore_from(&model(variant), vec![state]);
    let can_conclude = graph.states.iter().any(State::is_concluded);
    let no_cancel = |a: &Action| *a != Action::OperatorCancels;
    let every_run =
        graph.check_eventually("concludes", no_cancel, liveness::is_operators_recovery, State::is_concluded);
    (can_conclude, every_run)
}

/// The operator approves, the service delivers once, the node takes the delivery; then `then`.
fn first_delivery_then(then: &[Action]) -> Vec<Action> {
    let mut script =
        vec![Action::OperatorApproves, Action::ServicePolls, Action::ServiceSends, Action::Receive(DELIVER)];
    script.extend_from_slice(then);
    script
}

fn lost_ack() -> Vec<Action> {
    first_delivery_then(&[Action::NodeWrites, Action::Drop(ACK)])
}

fn failed_write() -> Vec<Action> {
    first_delivery_then(&[Action::NodeWriteFails])
}

#[test]
fn old_protocol__should_never_conclude_after_a_dropped_acknowledgement() {
    let (can_conclude, every_run) = outcomes(Variant::OLD, after(Variant::OLD, &lost_ack()));
    assert!(!can_conclude, "the old protocol stalls for ever after a lost acknowledgement");
    eprintln!("{}", every_run.expect_err("no run concludes"));
}

/// After `script`, the fixed protocol concludes in every fault-free run nobody cancels.
fn assert_fixed_always_concludes_after(script: &[Action]) {
    let (can_conclude, every_run) = outcomes(Variant::FIXED, after(Variant::FIXED, script));
    assert!(can_conclude);
    every_run.unwrap_or_else(|c| panic!("{c}"));
}

#[test]
fn fixed_protocol__should_always_conclude_after_a_dropped_acknowledgement() {
    assert_fixed_always_concludes_after(&lost_ack());
}

#[test]
fn old_protocol__should_never_conclude_after_a_failed_write() {
    let (can_conclude, _) = outcomes(Variant::OLD, after(Variant::OLD, &failed_write()));
    assert!(!can_conclude, "the old node acknowledged shares it never wrote");
}

#[test]
fn fixed_protocol__should_always_conclude_after_a_failed_write() {
    assert_fixed_always_concludes_after(&failed_write());
}

#[test]
fn phase_names__should_be_the_published_lists_in_order() {
    let node: Vec<&str> = NodePhase::ALL.iter().map(|p| p.name()).collect();
    let service: Vec<&str> = ServicePhase::ALL.iter().map(|p| p.name()).collect();
    assert_eq!(node, NODE_PHASES);
    assert_eq!(service, SERVICE_PHASES);
    for phase in NodePhase::ALL {
        assert_eq!(format!("{phase:?}"), phase.name());
    }
    for phase in ServicePhase::ALL {
        assert_eq!(format!("{phase:?}"), phase.name());
    }
}

/// Deeper bounds than the other checks; runs with the suite:
/// `cargo test -p delivery-model` (a few seconds).
#[test]
fn fixed_protocol__should_hold_with_deeper_bounds() {
    let model = DeliveryModel::with_bounds(Variant::FIXED, 16, 6);
    let started = Instant::now();
    let graph = Graph::explore(&model);
    liveness::check(&graph).unwrap_or_else(|c| panic!("{c}"));
    let checker = model.checker().spawn_bfs().join();
    checker.assert_properties();
    report(&format!(
        "deeper bounds: {} reachable states, safety and liveness hold, in {:?}",
        graph.states.len(),
        started.elapsed()
    ));
}
