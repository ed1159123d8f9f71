//! The decision table, exhaustively: every protocol state, every place this
//! account can have in it, every candidate record and every kind of local
//! shares. The whole matrix is snapshot as a table a reviewer can read.
#![allow(non_snake_case)]

use mpc_interface::keys::{AccessPublicKey, Ed25519PublicKey};
use mpc_interface::primitives::{
    DomainConfig, DomainId, DomainPublicKey, EpochId, KeyEventId, KeyForDomain, Keyset, Participant, ParticipantId,
    ParticipantInfo, SignatureScheme, ThresholdParameters,
};
use mpc_interface::recovery::{RecoveryStateView, RecoveryStatus, RecoveryView};
use mpc_interface::state::{InitializingView, ProtocolStateView, ResharingView, RunningView};
use node_hooks::decide::{decide, serves_backups, Decision, LocalShares, NodeIdentity, Seat, ShutDownCause, WaitCause};
use std::collections::BTreeSet;
use std::fmt::Write;

const ME: &str = "me.near";
const PEER: &str = "peer0.near";
const THIS_KEY: Ed25519PublicKey = Ed25519PublicKey([1; 32]);
const OTHER_KEY: Ed25519PublicKey = Ed25519PublicKey([2; 32]);
const THIRD_KEY: Ed25519PublicKey = Ed25519PublicKey([3; 32]);

fn me() -> NodeIdentity {
    NodeIdentity { account_id: ME.parse().unwrap(), info: info(THIS_KEY) }
}

fn info(key: Ed25519PublicKey) -> ParticipantInfo {
    ParticipantInfo { url: "https://127.0.0.1:4101".to_owned(), tls_public_key: key }
}

fn participant(account: &str, id: u32, key: Ed25519PublicKey) -> Participant {
    Participant { account_id: account.parse().unwrap(), id: ParticipantId(id), info: info(key) }
}

/// Three peers, plus this account in the given seat.
fn parameters(seat: Seat) -> ThresholdParameters {
    let mut participants: Vec<_> =
        (0..3).map(|i| participant(&format!("peer{i}.near"), i, Ed25519PublicKey([10 + i as u8; 32]))).collect();
    match seat {
        Seat::Absent => {}
        Seat::ThisMachine => participants.push(participant(ME, 3, THIS_KEY)),
        Seat::OtherMachine => participants.push(participant(ME, 3, OTHER_KEY)),
    }
    let threshold = ThresholdParameters::min_threshold(participants.len() as u64);
    ThresholdParameters { participants, threshold }
}

fn domains() -> Vec<DomainConfig> {
    vec![DomainConfig { id: DomainId(0), scheme: SignatureScheme::Ed25519 }]
}

fn keyset() -> Keyset {
    Keyset {
        epoch_id: EpochId(5),
        domains: vec![KeyForDomain { domain_id: DomainId(0), public_key: DomainPublicKey::Ed25519(THIRD_KEY) }],
    }
}

fn running(seat: Seat) -> RunningView {
    RunningView { parameters: parameters(seat), domains: domains(), keyset: keyset(), next_epoch_id: EpochId(6) }
}

const SEATS: [Seat; 3] = [Seat::Absent, Seat::ThisMachine, Seat::OtherMachine];
const STATUSES: [RecoveryStatus; 3] =
    [RecoveryStatus::PendingApproval, RecoveryStatus::Approved, RecoveryStatus::Delivered];
const SHARES: [LocalShares; 3] = [LocalShares::None, LocalShares::MatchingKeyset, LocalShares::OtherKeyset];

fn seat_name(seat: Seat) -> &'static str {
    match seat {
        Seat::Absent => "absent",
        Seat::ThisMachine => "this machine",
        Seat::OtherMachine => "other machine",
    }
}

/// Who recovers onto which machine, seen from this node.
#[derive(Clone, Copy)]
enum Role {
    /// This account, from the other machine onto this one.
    MineOntoThis,
    /// This account, from this machine onto a third one.
    MineFromThisOntoThird,
    /// This account, from another machine onto a third one.
    MineFromOtherOntoThird,
    /// Another account; this account sits in `Seat`.
    OtherAccount(Seat),
}

const ROLES: [Role; 6] = [
    Role::MineOntoThis,
    Role::MineFromThisOntoThird,
    Role::MineFromOtherOntoThird,
    Role::OtherAccount(Seat::Absent),
    Role::OtherAccount(Seat::ThisMachine),
    Role::OtherAccount(Seat::OtherMachine),
];

fn recovery(role: Role, status: RecoveryStatus) -> (String, ProtocolStateView) {
    let (label, seat, account, previous, new) = match role {
        Role::MineOntoThis => ("mine: other -> this", Seat::OtherMachine, ME, OTHER_KEY, THIS_KEY),
        Role::MineFromThisOntoThird => ("mine: this -> third", Seat::ThisMachine, ME, THIS_KEY, THIRD_KEY),
        Role::MineFromOtherOntoThird => ("mine: other -> third", Seat::OtherMachine, ME, OTHER_KEY, THIRD_KEY),
        Role::OtherAccount(seat) => ("peer0's", seat, PEER, Ed25519PublicKey([10; 32]), THIRD_KEY),
    };
    let previous_running = running(seat);
    let participant_id = previous_running.parameters.participant(&account.parse().unwrap()).unwrap().id;
    let view = ProtocolStateView::Recovery(RecoveryStateView {
        previous: previous_running,
        recovery: RecoveryView {
            account_id: account.parse().unwrap(),
            participant_id,
            previous_info: info(previous),
            new_info: info(new),
            new_signer_public_key: AccessPublicKey::Ed25519(Ed25519PublicKey([9; 32])),
            status,
            cancel_votes: 0,
        },
    });
    (format!("Recovery, {label}, seat {}, {status:?}", seat_name(seat)), view)
}

/// Every protocol state with every place this account can have in it.
fn situations() -> Vec<(String, ProtocolStateView)> {
    let mut out = vec![("NotInitialized".to_owned(), ProtocolStateView::NotInitialized)];
    for seat in SEATS {
        let view = ProtocolStateView::Initializing(InitializingView {
            epoch_id: EpochId(0),
            parameters: parameters(seat),
            domains: domains(),
            generated: vec![],
            current_event: KeyEventId { epoch_id: EpochId(0), domain_id: DomainId(0) },
        });
        out.push((format!("Initializing, seat {}", seat_name(seat)), view));
    }
    for seat in SEATS {
        out.push((format!("Running, seat {}", seat_name(seat)), ProtocolStateView::Running(running(seat))));
    }
    for old in SEATS {
        for new in SEATS {
            let view = ProtocolStateView::Resharing(ResharingView {
                previous: running(old),
                proposal: parameters(new),
                epoch_id: EpochId(6),
                reshared: vec![],
                current_event: KeyEventId { epoch_id: EpochId(6), domain_id: DomainId(0) },
            });
            out.push((format!("Resharing, seat {} -> {}", seat_name(old), seat_name(new)), view));
        }
    }
    for role in ROLES {
        for status in STATUSES {
            out.push(recovery(role, status));
        }
    }
    out
}

/// This account's candidate record: none, exactly what this machine
/// publishes, or something else (an old URL or another machine).
fn candidacies() -> [(&'static str, Option<ParticipantInfo>); 3] {
    [("none", None), ("this info", Some(me().info)), ("other info", Some(info(OTHER_KEY)))]
}

fn shares_name(shares: LocalShares) -> &'static str {
    match shares {
        LocalShares::None => "none",
        LocalShares::MatchingKeyset => "matching",
        LocalShares::OtherKeyset => "other keyset",
    }
}

/// Every decision the function can return; a new variant fails to compile
/// here until it is listed, so the coverage check below stays complete.
fn all_decisions() -> Vec<Decision> {
    let all = vec![
        Decision::WaitForInitialization,
        Decision::SubmitCandidateInfo,
        Decision::AwaitResharing,
        Decision::Refresh,
        Decision::ParticipateInKeygen,
        Decision::ParticipateInResharing,
        Decision::EnterRecovery,
        Decision::AwaitShares { approved: false },
        Decision::AwaitShares { approved: true },
        Decision::AwaitDeliveryConfirmation,
        Decision::ConcludeRecovery,
        Decision::AlarmRecoveryPending,
        Decision::ShutDown(ShutDownCause::RecoveryToAnotherMachine),
        Decision::ShutDown(ShutDownCause::ReplacedByAnotherMachine),
        Decision::WaitForRunning(WaitCause::AnotherAccountRecovering),
        Decision::WaitForRunning(WaitCause::SeatHeldByAnotherMachine),
    ];
    for d in &all {
        match d {
            Decision::WaitForInitialization
            | Decision::SubmitCandidateInfo
            | Decision::AwaitResharing
            | Decision::Refresh
            | Decision::ParticipateInKeygen
            | Decision::ParticipateInResharing
            | Decision::EnterRecovery
            | Decision::AwaitShares { .. }
            | Decision::AwaitDeliveryConfirmation
            | Decision::ConcludeRecovery
            | Decision::AlarmRecoveryPending
            | Decision::ShutDown(ShutDownCause::RecoveryToAnotherMachine | ShutDownCause::ReplacedByAnotherMachine)
            | Decision::WaitForRunning(WaitCause::AnotherAccountRecovering | WaitCause::SeatHeldByAnotherMachine) => {}
        }
    }
    all
}

struct Row {
    situation: String,
    candidacy: &'static str,
    shares: LocalShares,
    decision: Decision,
    backups: bool,
}

fn matrix() -> Vec<Row> {
    let me = me();
    let mut rows = Vec::new();
    for (situation, view) in situations() {
        for (candidacy, record) in candidacies() {
            for shares in SHARES {
                rows.push(Row {
                    situation: situation.clone(),
                    candidacy,
                    shares,
                    decision: decide(&me, &view, record.as_ref(), shares),
                    backups: serves_backups(&me, &view, shares),
                });
            }
        }
    }
    rows
}

fn render(rows: &[Row]) -> String {
    let mut out = String::new();
    writeln!(out, "Decisions of node `{ME}` (this machine's TLS key {THIS_KEY}).").unwrap();
    writeln!(out, "seat: where `{ME}` is in the participant set (old -> proposal while resharing).").unwrap();
    writeln!(out, "backups: whether the node serves its shares to its registered backup service.").unwrap();
    writeln!(out).unwrap();
    writeln!(out, "Meaning of each decision:").unwrap();
    for d in all_decisions() {
        writeln!(out, "  {:<42} {}", d.name(), d.describe()).unwrap();
    }
    writeln!(out).unwrap();
    let header = format!(
        "{:<66} | {:<10} | {:<12} | {:<42} | backups",
        "contract state", "candidacy", "local shares", "decision"
    );
    writeln!(out, "{header}").unwrap();
    writeln!(out, "{}", "-".repeat(header.len())).unwrap();
    for r in rows {
        writeln!(
            out,
            "{:<66} | {:<10} | {:<12} | {:<42} | {}",
            r.situation,
            r.candidacy,
            shares_name(r.shares),
            r.decision.name(),
            if r.backups { "yes" } else { "no" }
        )
        .unwrap();
    }
    out
}

#[test]
fn decision_matrix__should_match_the_reviewed_table() {
    let rows = matrix();
    // 1 + 3 + 3 + 9 + 18 situations, each with 3 candidacies and 3 kinds of shares.
    assert_eq!(rows.len(), 34 * 9);
    insta::assert_snapshot!(render(&rows));
}

#[test]
fn decision_matrix__should_reach_every_decision() {
    let reached: BTreeSet<_> = matrix().iter().map(|r| r.decision.name()).collect();
    let all: BTreeSet<_> = all_decisions().iter().map(|d| d.name()).collect();
    assert_eq!(reached, all, "a decision no situation leads to is dead code, or a situation is missing");
}

fn one(view: &ProtocolStateView, candidacy: Option<&ParticipantInfo>, shares: LocalShares) -> Decision {
    decide(&me(), view, candidacy, shares)
}

#[test]
fn decide__should_announce_then_wait_when_not_a_participant() {
    let view = ProtocolStateView::Running(running(Seat::Absent));
    assert_eq!(one(&view, None, LocalShares::None), Decision::SubmitCandidateInfo);
    assert_eq!(one(&view, Some(&info(OTHER_KEY)), LocalShares::None), Decision::SubmitCandidateInfo);
    assert_eq!(one(&view, Some(&me().info), LocalShares::None), Decision::AwaitResharing);
}

#[test]
fn decide__should_refresh_a_participant_with_this_machines_key() {
    let view = ProtocolStateView::Running(running(Seat::ThisMachine));
    for shares in SHARES {
        assert_eq!(one(&view, None, shares), Decision::Refresh);
    }
    assert!(serves_backups(&me(), &view, LocalShares::MatchingKeyset));
    assert!(!serves_backups(&me(), &view, LocalShares::OtherKeyset));
}

#[test]
fn decide__should_enter_recovery_when_the_seat_names_another_key_and_no_shares_are_here() {
    let view = ProtocolStateView::Running(running(Seat::OtherMachine));
    assert_eq!(one(&view, None, LocalShares::None), Decision::EnterRecovery);
    // A machine with shares was replaced: it must not contest the seat.
    assert_eq!(
        one(&view, None, LocalShares::MatchingKeyset),
        Decision::ShutDown(ShutDownCause::ReplacedByAnotherMachine)
    );
}

#[test]
fn decide__should_walk_the_recovering_machine_from_approval_to_conclusion() {
    let at = |status| recovery(Role::MineOntoThis, status).1;
    assert_eq!(
        one(&at(RecoveryStatus::PendingApproval), None, LocalShares::None),
        Decision::AwaitShares { approved: false }
    );
    assert_eq!(one(&at(RecoveryStatus::Approved), None, LocalShares::None), Decision::AwaitShares { approved: true });
    assert_eq!(
        one(&at(RecoveryStatus::Approved), None, LocalShares::MatchingKeyset),
        Decision::AwaitDeliveryConfirmation
    );
    assert_eq!(one(&at(RecoveryStatus::Delivered), None, LocalShares::MatchingKeyset), Decision::ConcludeRecovery);
    assert_eq!(
        one(&at(RecoveryStatus::Delivered), None, LocalShares::OtherKeyset),
        Decision::AwaitShares { approved: true }
    );
    assert!(Decision::AwaitShares { approved: false }.describe().contains("awaiting the operator's approval"));
}

#[test]
fn decide__should_shut_down_the_machine_being_replaced_once_the_recovery_is_approved() {
    for status in [RecoveryStatus::Approved, RecoveryStatus::Delivered] {
        for role in [Role::MineFromThisOntoThird, Role::MineFromOtherOntoThird] {
            for shares in SHARES {
                assert_eq!(
                    one(&recovery(role, status).1, None, shares),
                    Decision::ShutDown(ShutDownCause::RecoveryToAnotherMachine)
                );
            }
        }
    }
}

#[test]
fn decide__should_keep_the_seated_machine_working_and_alarmed_while_a_recovery_to_another_is_pending() {
    for shares in SHARES {
        let pending = recovery(Role::MineFromThisOntoThird, RecoveryStatus::PendingApproval).1;
        assert_eq!(one(&pending, None, shares), Decision::AlarmRecoveryPending);
    }
    let why = Decision::AlarmRecoveryPending.describe();
    assert!(why.contains("cancel_recovery") && why.contains("operator"), "{why}");
    // A machine that does not hold the seat has nothing to keep working on.
    let elsewhere = recovery(Role::MineFromOtherOntoThird, RecoveryStatus::PendingApproval).1;
    assert_eq!(one(&elsewhere, None, LocalShares::None), Decision::ShutDown(ShutDownCause::RecoveryToAnotherMachine));
}

#[test]
fn node_delivery_states__should_carry_the_delivery_models_names() {
    let names: Vec<_> = node_hooks::NodeDeliveryState::ALL.iter().map(|s| s.name()).collect();
    assert_eq!(names, ["AwaitingDelivery", "Importing", "AwaitingConfirmation", "Concluding", "Concluded"]);
    assert_eq!(
        Decision::AwaitDeliveryConfirmation.delivery_state().map(|s| s.name()),
        Some("AwaitingConfirmation"),
        "shares stored, redelivery still accepted"
    );
}

#[test]
fn decide__should_wait_for_running_while_another_account_recovers() {
    let view = recovery(Role::OtherAccount(Seat::ThisMachine), RecoveryStatus::Approved).1;
    assert_eq!(
        one(&view, None, LocalShares::MatchingKeyset),
        Decision::WaitForRunning(WaitCause::AnotherAccountRecovering)
    );
    assert!(serves_backups(&me(), &view, LocalShares::MatchingKeyset), "the keyset is unchanged: backups go on");
}
