//! What a node does, as a pure function of what the contract says and what the
//! node is: no I/O, so every combination can be enumerated and snapshot-tested.
//!
//! The inputs are the protocol state (`state()`, which in `Recovery` carries
//! the open recovery), this account's candidate record (`candidates()`), the
//! node's identity (account and the `ParticipantInfo` it publishes) and which
//! shares the node holds. The driver turns the answer into transactions,
//! share transfers or a shutdown.

use mpc_interface::keys::Ed25519PublicKey;
use mpc_interface::primitives::{Keyset, ParticipantInfo, ThresholdParameters};
use mpc_interface::recovery::RecoveryStatus;
use mpc_interface::state::ProtocolStateView;
use mpc_interface::AccountId;
use share_transfer::Expected;
use std::fmt;

/// Who this node is: its operator's account and what it publishes on chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeIdentity {
    pub account_id: AccountId,
    /// The URL and TLS key this machine announces; the TLS key is the
    /// machine's identity (a new machine has a new key).
    pub info: ParticipantInfo,
}

impl NodeIdentity {
    pub fn tls_public_key(&self) -> Ed25519PublicKey {
        self.info.tls_public_key
    }
}

/// Which shares the node holds, relative to the contract's current keyset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LocalShares {
    /// No share file.
    None,
    /// Shares that pass `SharesPayload::check_against` the contract's current keyset.
    MatchingKeyset,
    /// Shares of another keyset (an older epoch, or no keyset exists yet).
    OtherKeyset,
}

impl LocalShares {
    fn held(self) -> bool {
        self != LocalShares::None
    }
}

/// Where this account sits in a participant set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Seat {
    /// The account is not in the set.
    Absent,
    /// The account is in the set with this machine's TLS key.
    ThisMachine,
    /// The account is in the set with another machine's TLS key.
    OtherMachine,
}

impl Seat {
    pub fn of(me: &NodeIdentity, parameters: &ThresholdParameters) -> Self {
        match parameters.participant(&me.account_id) {
            None => Seat::Absent,
            Some(p) if p.info.tls_public_key == me.tls_public_key() => Seat::ThisMachine,
            Some(_) => Seat::OtherMachine,
        }
    }
}

/// Why a node stops for good.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ShutDownCause {
    /// This account's recovery onto another machine is approved: this one is
    /// being decommissioned.
    RecoveryToAnotherMachine,
    /// The account's seat names another machine while this one holds shares:
    /// it was replaced (say while it was offline) and must not contest the seat
    /// by entering recovery, which would stall the network in `Recovery`.
    ReplacedByAnotherMachine,
}

/// Why a node waits for the network to return to `Running`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WaitCause {
    /// Another account is recovering; participant details may change, so
    /// re-read them and reconnect once `Running`.
    AnotherAccountRecovering,
    /// The account's seat names another machine and recovery can only be
    /// entered from `Running`.
    SeatHeldByAnotherMachine,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    /// The contract is not initialized yet.
    WaitForInitialization,
    /// Not a participant: `submit_participant_info` as a candidate.
    SubmitCandidateInfo,
    /// A candidate with this machine's info: wait for a resharing that includes it.
    AwaitResharing,
    /// A participant with this machine's TLS key: `submit_participant_info`
    /// (a no-op refresh on chain), then participate.
    Refresh,
    /// A participant of the key generation with this machine's key.
    ParticipateInKeygen,
    /// In the resharing with this machine: receiving a seat, or handing over
    /// the share this machine holds.
    ParticipateInResharing,
    /// A participant whose seat names another TLS key, and this machine holds
    /// no shares: `submit_participant_recovery_info` moves the seat here.
    EnterRecovery,
    /// Recovering onto this machine: wait for the backup service's shares
    /// (`approved: false` while the operator has not approved yet).
    AwaitShares {
        approved: bool,
    },
    /// The shares are imported and verified; the backup service has not yet
    /// confirmed delivery on chain.
    AwaitDeliveryConfirmation,
    /// Shares imported and delivery confirmed: `conclude_recovery(keyset)`.
    ConcludeRecovery,
    /// This machine holds the account's seat, and a recovery of the account
    /// onto another machine waits for the operator's approval: keep working,
    /// and raise an alarm (a leaked node key could have entered it).
    AlarmRecoveryPending,
    ShutDown(ShutDownCause),
    WaitForRunning(WaitCause),
}

impl Decision {
    /// One sentence for logs and for the decision table.
    pub fn describe(&self) -> &'static str {
        match self {
            Decision::WaitForInitialization => "the contract is not initialized: wait",
            Decision::SubmitCandidateInfo => {
                "not a participant: submit_participant_info as a candidate, then wait for a resharing that includes this node"
            }
            Decision::AwaitResharing => "candidate with this machine's info: wait for a resharing that includes this node",
            Decision::Refresh => {
                "participant with this machine's TLS key: refresh with submit_participant_info, then participate"
            }
            Decision::ParticipateInKeygen => "participant with this machine's TLS key: take part in key generation",
            Decision::ParticipateInResharing => {
                "in the resharing with this machine: take part (receive the account's seat or hand over its share)"
            }
            Decision::EnterRecovery => {
                "participant with another TLS key and no shares here: submit_participant_recovery_info to recover onto this machine"
            }
            Decision::AwaitShares { approved: false } => {
                "recovering onto this machine: awaiting the operator's approval before any share may move"
            }
            Decision::AwaitShares { approved: true } => {
                "recovering onto this machine: approved, waiting for the backup service to deliver the shares"
            }
            Decision::AwaitDeliveryConfirmation => {
                "shares imported and verified: waiting for the backup service to confirm delivery on chain"
            }
            Decision::ConcludeRecovery => "shares imported and delivery confirmed: conclude_recovery with the keyset",
            Decision::AlarmRecoveryPending => {
                "ALARM: this account is recovering onto another machine, pending approval: keep working; \
                 if the operator did not start it, cancel it with cancel_recovery (operator's full-access key, 1 yoctoNEAR)"
            }
            Decision::ShutDown(ShutDownCause::RecoveryToAnotherMachine) => {
                "this account's recovery onto another machine is approved: shut down now (this machine is being decommissioned)"
            }
            Decision::ShutDown(ShutDownCause::ReplacedByAnotherMachine) => {
                "this account's seat names another machine and this one holds shares: it was replaced, shut down"
            }
            Decision::WaitForRunning(WaitCause::AnotherAccountRecovering) => {
                "another account is recovering: wait for Running, then re-read participants and reconnect"
            }
            Decision::WaitForRunning(WaitCause::SeatHeldByAnotherMachine) => {
                "this account's seat names another machine and recovery starts only from Running: wait for Running"
            }
        }
    }

    /// A short stable name, for logs and the table.
    pub fn name(&self) -> &'static str {
        match self {
            Decision::WaitForInitialization => "WaitForInitialization",
            Decision::SubmitCandidateInfo => "SubmitCandidateInfo",
            Decision::AwaitResharing => "AwaitResharing",
            Decision::Refresh => "Refresh",
            Decision::ParticipateInKeygen => "ParticipateInKeygen",
            Decision::ParticipateInResharing => "ParticipateInResharing",
            Decision::EnterRecovery => "EnterRecovery",
            Decision::AwaitShares { approved: false } => "AwaitShares(pending approval)",
            Decision::AwaitShares { approved: true } => "AwaitShares(approved)",
            Decision::AwaitDeliveryConfirmation => "AwaitDeliveryConfirmation",
            Decision::ConcludeRecovery => "ConcludeRecovery",
            Decision::AlarmRecoveryPending => "AlarmRecoveryPending",
            Decision::ShutDown(ShutDownCause::RecoveryToAnotherMachine) => "ShutDown(recovery to another machine)",
            Decision::ShutDown(ShutDownCause::ReplacedByAnotherMachine) => "ShutDown(replaced)",
            Decision::WaitForRunning(WaitCause::AnotherAccountRecovering) => "WaitForRunning(other account recovering)",
            Decision::WaitForRunning(WaitCause::SeatHeldByAnotherMachine) => "WaitForRunning(seat on another machine)",
        }
    }
}

/// The recovering node's side of delivery, by name: the delivery model
/// (`delivery-model`, `NODE_PHASES`) uses the same names, in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeDeliveryState {
    /// The recovery is approved: a share-transfer endpoint (web: a published
    /// session) waits for the backup service.
    AwaitingDelivery,
    /// Verified shares are being written (file and directory synced); the
    /// backup service is acknowledged only after that.
    Importing,
    /// Shares stored; redeliveries (a lost acknowledgement) are still
    /// accepted until the contract shows the delivery confirmed.
    AwaitingConfirmation,
    /// Delivery confirmed: `conclude_recovery` until the contract is Running.
    Concluding,
    /// The contract is Running with this machine in the account's seat.
    Concluded,
}

impl NodeDeliveryState {
    pub const ALL: &[Self] =
        &[Self::AwaitingDelivery, Self::Importing, Self::AwaitingConfirmation, Self::Concluding, Self::Concluded];

    pub fn name(self) -> &'static str {
        match self {
            Self::AwaitingDelivery => "AwaitingDelivery",
            Self::Importing => "Importing",
            Self::AwaitingConfirmation => "AwaitingConfirmation",
            Self::Concluding => "Concluding",
            Self::Concluded => "Concluded",
        }
    }
}

impl Decision {
    /// Where the recovering node stands in delivery, from the decision alone
    /// (None before approval and outside its own recovery). `Importing` is the
    /// endpoint's, between verified shares and the acknowledgement; the
    /// driver reports `Concluded` once it holds the seat after a recovery.
    pub fn delivery_state(&self) -> Option<NodeDeliveryState> {
        match self {
            Decision::AwaitShares { approved: true } => Some(NodeDeliveryState::AwaitingDelivery),
            Decision::AwaitDeliveryConfirmation => Some(NodeDeliveryState::AwaitingConfirmation),
            Decision::ConcludeRecovery => Some(NodeDeliveryState::Concluding),
            _ => None,
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The decision for `me`, given the contract's state, this account's
/// candidate record (from `candidates()`, if any) and the shares held here.
pub fn decide(
    me: &NodeIdentity,
    state: &ProtocolStateView,
    candidacy: Option<&ParticipantInfo>,
    local: LocalShares,
) -> Decision {
    // Not a participant anywhere: announce (once the record matches, wait).
    let candidate = || match candidacy {
        Some(info) if *info == me.info => Decision::AwaitResharing,
        _ => Decision::SubmitCandidateInfo,
    };
    // The seat names another machine: a machine that holds shares was a
    // participant once and has been replaced; one without is a new machine.
    let seat_elsewhere = |otherwise: Decision| {
        if local.held() {
            Decision::ShutDown(ShutDownCause::ReplacedByAnotherMachine)
        } else {
            otherwise
        }
    };
    match state {
        ProtocolStateView::NotInitialized => Decision::WaitForInitialization,
        ProtocolStateView::Initializing(s) => match Seat::of(me, &s.parameters) {
            Seat::ThisMachine => Decision::ParticipateInKeygen,
            Seat::OtherMachine => seat_elsewhere(Decision::WaitForRunning(WaitCause::SeatHeldByAnotherMachine)),
            Seat::Absent => candidate(),
        },
        ProtocolStateView::Running(s) => match Seat::of(me, &s.parameters) {
            Seat::ThisMachine => Decision::Refresh,
            Seat::OtherMachine => seat_elsewhere(Decision::EnterRecovery),
            Seat::Absent => candidate(),
        },
        ProtocolStateView::Resharing(s) => match (Seat::of(me, &s.previous.parameters), Seat::of(me, &s.proposal)) {
            (_, Seat::ThisMachine) | (Seat::ThisMachine, _) => Decision::ParticipateInResharing,
            (Seat::OtherMachine, _) => seat_elsewhere(Decision::WaitForRunning(WaitCause::SeatHeldByAnotherMachine)),
            (Seat::Absent, Seat::OtherMachine) => Decision::WaitForRunning(WaitCause::SeatHeldByAnotherMachine),
            (Seat::Absent, Seat::Absent) => candidate(),
        },
        ProtocolStateView::Recovery(s) => {
            let recovery = &s.recovery;
            if recovery.account_id != me.account_id {
                return match Seat::of(me, &s.previous.parameters) {
                    Seat::ThisMachine => Decision::WaitForRunning(WaitCause::AnotherAccountRecovering),
                    // Only one recovery may be open: wait, then enter ours from Running.
                    Seat::OtherMachine => seat_elsewhere(Decision::WaitForRunning(WaitCause::AnotherAccountRecovering)),
                    Seat::Absent => candidate(),
                };
            }
            if recovery.new_info.tls_public_key != me.tls_public_key() {
                // Only an approved recovery decommissions the seated machine:
                // a pending one may be an attacker's, and the operator cancels it.
                let seated = Seat::of(me, &s.previous.parameters) == Seat::ThisMachine;
                return if seated && recovery.status == RecoveryStatus::PendingApproval {
                    Decision::AlarmRecoveryPending
                } else {
                    Decision::ShutDown(ShutDownCause::RecoveryToAnotherMachine)
                };
            }
            match (recovery.status, local) {
                (RecoveryStatus::PendingApproval, _) => Decision::AwaitShares { approved: false },
                (RecoveryStatus::Approved, LocalShares::MatchingKeyset) => Decision::AwaitDeliveryConfirmation,
                (RecoveryStatus::Delivered, LocalShares::MatchingKeyset) => Decision::ConcludeRecovery,
                // Delivered but nothing verified here (say the node stopped
                // between acknowledging and writing): keep the endpoint open for
                // a redelivery; the operator can cancel and start over.
                (RecoveryStatus::Approved | RecoveryStatus::Delivered, _) => Decision::AwaitShares { approved: true },
            }
        }
    }
}

/// Whether this node should hand its shares to its backup service now: it
/// holds this machine's seat in the running set and its shares are exactly
/// the contract's keyset. Backups are taken in `Running`, and in `Recovery` of
/// another account (the keyset is unchanged and the contract accepts backup
/// sessions then); not while the keyset is being generated or reshared.
pub fn serves_backups(me: &NodeIdentity, state: &ProtocolStateView, local: LocalShares) -> bool {
    let parameters = match state {
        ProtocolStateView::Running(s) => &s.parameters,
        ProtocolStateView::Recovery(s) if s.recovery.account_id != me.account_id => &s.previous.parameters,
        _ => return false,
    };
    local == LocalShares::MatchingKeyset && Seat::of(me, parameters) == Seat::ThisMachine
}

/// The keyset shares must match right now: the running keyset (unchanged
/// during recovery and, until it completes, during resharing).
pub fn current_keyset(state: &ProtocolStateView) -> Option<&Keyset> {
    state.current_keyset()
}

/// At start-up and at every poll: shares whose bytes do not match this node's
/// verifying shares on the contract must never be used. Shares of another
/// keyset are not wrong, only stale (recovery or resharing replaces them).
pub fn wrong_shares(
    held: Option<&share_transfer::SharesPayload>,
    expected: Option<&Expected>,
) -> Result<(), share_transfer::PayloadError> {
    let (Some(held), Some(expected)) = (held, expected) else { return Ok(()) };
    match held.check_against(expected) {
        Err(e) if e.is_wrong_share() => Err(e),
        _ => Ok(()),
    }
}

/// Which shares `held` are, relative to what the contract expects now (its
/// current keyset and this node's verifying shares of it; none before key
/// generation ends).
pub fn local_shares(held: Option<&share_transfer::SharesPayload>, expected: Option<&Expected>) -> LocalShares {
    match (held, expected) {
        (None, _) => LocalShares::None,
        (Some(shares), Some(expected)) if shares.check_against(expected).is_ok() => LocalShares::MatchingKeyset,
        (Some(_), _) => LocalShares::OtherKeyset,
    }
}
