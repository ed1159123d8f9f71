//! A model of the share-delivery protocol of a recovery, checked
//! exhaustively with [stateright](https://docs.rs/stateright).
//!
//! # What is modelled
//!
//! - The **recovering node** (the operator's new machine, [`Machine::New`]):
//!   phases [`NODE_PHASES`]; its share file is durable (absent, damaged by a
//!   failed write, or durably written), its phase and the keyset it is
//!   importing are volatile.
//! - The **backup service**: phases [`SERVICE_PHASES`], all volatile; its
//!   stored copy of the keyset is durable and never changes.
//! - The **contract**: `Recovery` with the real [`RecoveryStatus`]
//!   (`PendingApproval` → `Approved` → `Delivered`), then `Running` on the new
//!   machine (`conclude_recovery`) or `Cancelled` (`cancel_recovery`).
//! - The **operator**, who approves the recovery naming its new machine's
//!   TLS key (refused when the open recovery is for another key) or cancels.
//! - A **recovery to an attacker's key** entered with a leaked node key
//!   ([`Machine::Attacker`]), pending approval: the second initial state.
//! - The **environment**, with a budget of [`MAX_FAULTS`] faults per run:
//!   a message dropped or duplicated (at most [`MAX_IN_FLIGHT`] in flight),
//!   a crash and restart of the node or of the service (volatile state lost),
//!   a failed disk write at the node, an RPC answer lost after
//!   `confirm_recovery_delivery` or `conclude_recovery` landed, and a
//!   delivery of an older keyset (a stale copy or a replay).
//!
//! The protocol ([`Variant::FIXED`]): the service delivers only while the
//! contract shows `Approved`, to the recovery's TLS key, and redelivers until
//! the node acknowledges; it then confirms and treats `Delivered` on the
//! contract (not its RPC answer) as done. The node acknowledges only after a
//! durable write; until the recovery concludes it acknowledges a redelivery
//! of the keyset it holds and imports one over a failed write; it concludes
//! only with the shares on disk and the contract showing `Delivered`, and
//! takes `Running` on the contract (not its RPC answer) as concluded. A
//! restart resumes from the share file and the contract. [`Variant::OLD`] is
//! the protocol before the fix (acknowledge on receipt, refuse redelivery
//! after acknowledging).
//!
//! Retries are modelled as a timer that fires when neither the delivery nor
//! its acknowledgement is in flight; a timer that fires earlier is the same
//! as a duplicated message, which the environment may inject.
//!
//! # Safety
//!
//! Stateright's breadth-first checker visits every reachable state and checks
//! the `always` properties in [`model`]: shares reach only the machine the
//! operator approved (so a pending recovery to another key gets none), the
//! keyset never changes in `Recovery`, nothing concludes before `Delivered`,
//! and the node concludes only with its shares on disk. Mutant variants that
//! break one rule each show that every property can fail. Stateright's
//! `eventually` property (on runs that end) is checked too, as a cross-check.
//!
//! # Liveness, and why it is checked explicitly
//!
//! Stateright's `eventually` properties are evaluated only on paths that end
//! in a terminal state; a path that loops forever is not reported. The claim
//! here is stronger: *from every reachable state, once faults stop, the
//! recovery ends in `Running` or `Cancelled`*. [`liveness`] checks it
//! directly on the full reachable graph ([`liveness::Graph`]):
//!
//! 1. Enumerate every reachable state, faults included.
//! 2. Keep only fault-free steps. A state is *good* if it is a goal state, or
//!    it has at least one fault-free step and all of them lead to good states
//!    (a backward fixpoint from the goal states).
//! 3. Every reachable state must be good.
//!
//! A state is good exactly when every maximal fault-free run from it reaches
//! the goal: a finite run ends in a state with no fault-free step, which is
//! good only if it is a goal; an infinite run in a finite graph loops, and
//! the states of a loop that avoids the goal can never become good (each
//! waits for its successor on the loop). So "every reachable state is good"
//! is the claim for every fault-free continuation, with no fairness
//! assumption; the operator's approve or cancel counts as a step the
//! protocol takes when nothing else can happen (it is the only way out of
//! `PendingApproval`). A second check drops the operator's cancel: from
//! every reachable state of the operator's own recovery, faults stopped and
//! nobody cancelling, every run ends in `Running` — a stall that only a
//! cancel could end is a bug too. A violation prints the run from an
//! initial state to the first bad state, then the fault-free stall or loop.
//!
//! # State names
//!
//! [`NODE_PHASES`] and [`SERVICE_PHASES`] are the names of the phases in
//! `node-hooks` and `backup-service`; the contract's status is the real
//! `mpc_interface::recovery::RecoveryStatus`.
//!
//! [`RecoveryStatus`]: mpc_interface::recovery::RecoveryStatus
//! [`Machine::New`]: state::Machine::New
//! [`Machine::Attacker`]: state::Machine::Attacker
//! [`Variant::FIXED`]: model::Variant::FIXED
//! [`Variant::OLD`]: model::Variant::OLD
//! [`MAX_FAULTS`]: model::MAX_FAULTS
//! [`MAX_IN_FLIGHT`]: model::MAX_IN_FLIGHT

pub mod liveness;
pub mod model;
pub mod state;
mod steps;

pub use model::{Action, DeliveryModel, Variant};
pub use state::{NodePhase, ServicePhase, State, NODE_PHASES, SERVICE_PHASES};
