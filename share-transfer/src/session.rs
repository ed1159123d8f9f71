//! Names one web-transport exchange. The session type is the contract's own
//! (`mpc_interface::recovery::Session`, the argument of
//! `publish_backup_ephemeral_key`), so what we sign and seal is exactly what
//! was published. Every signature and AEAD associated-data block binds the
//! session, so nothing from one session is accepted in another.

use borsh::{BorshDeserialize, BorshSerialize};
pub use mpc_interface::recovery::{Session, SessionKind};
use std::fmt;

/// `backup` / `recovery`, as headers and messages spell it.
pub fn kind_name(kind: SessionKind) -> &'static str {
    match kind {
        SessionKind::Backup => "backup",
        SessionKind::Recovery => "recovery",
    }
}

/// For messages: "backup session (epoch 4, nonce 17)".
pub fn describe(session: &Session) -> String {
    format!("{} session (epoch {}, nonce {})", kind_name(session.kind), session.epoch_id, session.nonce)
}

/// The two parties. The contract only lets each publish its own ephemeral
/// keys, which is what makes a published key evidence of who made it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, BorshSerialize, BorshDeserialize)]
pub enum Party {
    Node,
    BackupService,
}

impl Party {
    pub fn peer(self) -> Self {
        match self {
            Self::Node => Self::BackupService,
            Self::BackupService => Self::Node,
        }
    }
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Node => "node",
            Self::BackupService => "backup service",
        })
    }
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;
    use mpc_interface::primitives::EpochId;

    fn s(epoch: u64, nonce: u64) -> Session {
        Session { kind: SessionKind::Backup, epoch_id: EpochId(epoch), nonce }
    }

    #[test]
    fn describe__should_name_kind_epoch_and_nonce() {
        assert_eq!(describe(&s(4, 2)), "backup session (epoch 4, nonce 2)");
    }
}
