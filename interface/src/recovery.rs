//! Recovery, backup services and share-transfer sessions, as the contract
//! records and shows them.

use crate::keys::{AccessPublicKey, Ed25519PublicKey, X25519PublicKey};
use crate::primitives::{EpochId, ParticipantId, ParticipantInfo};
use crate::state::RunningView;
use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};
use near_account_id::AccountId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An operator's backup service: the Ed25519 key it proves itself with (TLS
/// and request signatures) and the NEAR access key it signs its own calls with.
#[derive(
    Clone, Copy, PartialEq, Eq, Debug, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct BackupServiceInfo {
    pub public_key: Ed25519PublicKey,
    pub signer_public_key: AccessPublicKey,
}

#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Debug,
    Hash,
    BorshSerialize,
    BorshDeserialize,
    BorshSchema,
    Serialize,
    Deserialize,
    JsonSchema,
)]
pub enum SessionKind {
    /// The backup service fetches the node's shares.
    Backup,
    /// The backup service hands the shares to a recovering node.
    Recovery,
}

/// One share transfer: its kind, the epoch of the shares and a nonce the
/// caller chooses. A newer session (higher epoch, or same epoch and higher
/// nonce) replaces an older one; an older one is refused.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Debug,
    Hash,
    BorshSerialize,
    BorshDeserialize,
    BorshSchema,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Session {
    pub kind: SessionKind,
    pub epoch_id: EpochId,
    pub nonce: u64,
}

/// The one ordering of sessions, used by the contract (which published key
/// may replace another), the node (which request is a replay) and the backup
/// service and node (which session to open next).
impl Session {
    /// Whether `self` is newer than `other`, whatever their kinds: a later
    /// epoch, or the same epoch and a higher nonce (a new epoch may start its
    /// nonces again).
    pub fn is_newer_than(&self, other: &Session) -> bool {
        (self.epoch_id, self.nonce) > (other.epoch_id, other.nonce)
    }

    /// True if `self` may replace `older`: another kind (each kind has its
    /// own slot), or the same kind and [newer](Session::is_newer_than).
    pub fn supersedes(&self, older: &Session) -> bool {
        self.kind != older.kind || self.is_newer_than(older)
    }

    /// The session of `kind` for `epoch_id` to open after `last` (the one
    /// last published, if any): its nonce is at least `min_nonce` and past
    /// `last`'s when `last` is of the same kind and epoch, so it supersedes
    /// `last` unless `last` is of a later epoch (which nothing of `epoch_id`
    /// supersedes) or already used the highest nonce.
    pub fn next(kind: SessionKind, epoch_id: EpochId, last: Option<Session>, min_nonce: u64) -> Session {
        let past_last =
            last.filter(|l| l.kind == kind && l.epoch_id == epoch_id).map_or(0, |l| l.nonce.saturating_add(1));
        Session { kind, epoch_id, nonce: min_nonce.max(past_last) }
    }
}

#[derive(
    Clone, Copy, PartialEq, Eq, Debug, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct PublishedKey {
    pub session: Session,
    pub public_key: X25519PublicKey,
}

/// The ephemeral keys an account's node and backup service published.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Debug,
    Default,
    BorshSerialize,
    BorshDeserialize,
    BorshSchema,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct EphemeralKeys {
    pub node: Option<PublishedKey>,
    pub backup_service: Option<PublishedKey>,
}

#[derive(
    Clone, Copy, PartialEq, Eq, Debug, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize, JsonSchema,
)]
pub enum RecoveryStatus {
    /// Entered with a node key: no share moves until the operator approves.
    PendingApproval,
    /// Approved by the operator: the backup service may deliver.
    Approved,
    /// The backup service confirmed delivery: the new node may conclude.
    Delivered,
}

/// The open recovery: who moves to which machine, and how far it got.
#[derive(
    Clone, PartialEq, Eq, Debug, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct RecoveryView {
    pub account_id: AccountId,
    pub participant_id: ParticipantId,
    pub previous_info: ParticipantInfo,
    pub new_info: ParticipantInfo,
    /// The key `conclude_recovery` must be signed with (the new node's).
    pub new_signer_public_key: AccessPublicKey,
    pub status: RecoveryStatus,
    /// Participants that voted to cancel so far.
    pub cancel_votes: u32,
}

#[derive(
    Clone, PartialEq, Eq, Debug, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct RecoveryStateView {
    /// The running network, unchanged while one participant recovers.
    pub previous: RunningView,
    pub recovery: RecoveryView,
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kind() -> impl Strategy<Value = SessionKind> {
        prop_oneof![Just(SessionKind::Backup), Just(SessionKind::Recovery)]
    }

    fn session() -> impl Strategy<Value = Session> {
        // Small ranges so equal epochs and nonces come up often.
        (kind(), 0u64..4, prop_oneof![0u64..4, Just(u64::MAX)]).prop_map(|(kind, epoch, nonce)| Session {
            kind,
            epoch_id: EpochId(epoch),
            nonce,
        })
    }

    fn s(kind: SessionKind, epoch: u64, nonce: u64) -> Session {
        Session { kind, epoch_id: EpochId(epoch), nonce }
    }

    #[test]
    fn is_newer_than__should_order_by_epoch_then_nonce() {
        use SessionKind::Backup;
        assert!(s(Backup, 4, 2).is_newer_than(&s(Backup, 4, 1)));
        assert!(!s(Backup, 4, 1).is_newer_than(&s(Backup, 4, 1)));
        assert!(!s(Backup, 4, 0).is_newer_than(&s(Backup, 4, 1)));
        // A new epoch may start its nonces again, as the contract allows.
        assert!(s(Backup, 5, 0).is_newer_than(&s(Backup, 4, 9)));
        assert!(!s(Backup, 3, 99).is_newer_than(&s(Backup, 4, 0)));
    }

    #[test]
    fn next__should_start_at_the_minimum_and_pass_the_last_of_its_kind_and_epoch() {
        use SessionKind::{Backup, Recovery};
        assert_eq!(Session::next(Recovery, EpochId(3), None, 1), s(Recovery, 3, 1));
        assert_eq!(Session::next(Recovery, EpochId(3), Some(s(Recovery, 3, 4)), 1), s(Recovery, 3, 5));
        // Another kind or an older epoch does not constrain the nonce.
        assert_eq!(Session::next(Recovery, EpochId(3), Some(s(Backup, 3, 9)), 1), s(Recovery, 3, 1));
        assert_eq!(Session::next(Backup, EpochId(3), Some(s(Backup, 2, 9000)), 1000), s(Backup, 3, 1000));
        // A clock behind the last published nonce: one past it.
        assert_eq!(Session::next(Backup, EpochId(3), Some(s(Backup, 3, 5000)), 1000), s(Backup, 3, 5001));
    }

    proptest! {
        #[test]
        fn is_newer_than__should_be_a_strict_total_order(a in session(), b in session(), c in session()) {
            prop_assert!(!a.is_newer_than(&a));
            prop_assert!(!(a.is_newer_than(&b) && b.is_newer_than(&a)));
            if a.is_newer_than(&b) && b.is_newer_than(&c) {
                prop_assert!(a.is_newer_than(&c));
            }
            let same_place = (a.epoch_id, a.nonce) == (b.epoch_id, b.nonce);
            prop_assert_eq!(a.is_newer_than(&b) || b.is_newer_than(&a), !same_place);
        }

        #[test]
        fn supersedes__should_be_newer_within_a_kind_and_always_across_kinds(a in session(), b in session()) {
            prop_assert_eq!(a.supersedes(&b), a.kind != b.kind || a.is_newer_than(&b));
        }

        #[test]
        fn next__should_supersede_the_last_session_unless_it_cannot(
            kind in kind(), epoch in 0u64..4, last in proptest::option::of(session()), min_nonce in 0u64..8,
        ) {
            let next = Session::next(kind, EpochId(epoch), last, min_nonce);
            prop_assert_eq!((next.kind, next.epoch_id), (kind, EpochId(epoch)));
            prop_assert!(next.nonce >= min_nonce);
            if let Some(last) = last {
                let later_epoch = last.kind == kind && last.epoch_id > EpochId(epoch);
                let exhausted = last.kind == kind && last.epoch_id == EpochId(epoch) && last.nonce == u64::MAX;
                prop_assert_eq!(next.supersedes(&last), !later_epoch && !exhausted);
            }
        }
    }
}
