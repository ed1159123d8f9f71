//! Everything stored besides the protocol state: participants, candidates, the
//! TLS key index, votes and the parameters being reshared to.

use super::node_keys::NodeKeys;
use super::participants::ParticipantTable;
use super::raw::{RawIterableMap, RawMap};
use super::verifying::VerifyingShareStore;
use super::votes::VoteBook;
use crate::errors::{Error, ParticipantsError};
use crate::storage_keys::StorageKey;
use mpc_interface::keys::Ed25519PublicKey;
use mpc_interface::primitives::{ParticipantInfo, ThresholdParameters};
use near_sdk::{near, AccountId};

#[near(serializers = [borsh])]
pub struct Registry {
    pub participants: ParticipantTable,
    /// Nodes that announced themselves and wait to be included by a resharing.
    pub candidates: RawIterableMap<AccountId, ParticipantInfo>,
    /// Who holds each TLS key, among participants and candidates: keys are unique.
    pub tls_owners: RawMap<Ed25519PublicKey, AccountId>,
    pub votes: VoteBook,
    /// The participant set a running resharing moves to.
    /// One value, stored under the prefix itself (the key `()` adds no
    /// bytes): the layout of near-sdk's `LazyOption`.
    pub pending_parameters: RawMap<(), ThresholdParameters>,
    /// Each participant's (and candidate's) node key, under its own prefix.
    #[borsh(skip)]
    pub node_keys: NodeKeys,
    /// Not serialized: a handle on entries stored under their own prefix.
    #[borsh(skip)]
    pub verifying: VerifyingShareStore,
}

impl Registry {
    pub fn new() -> Self {
        Self {
            participants: ParticipantTable::new(),
            candidates: RawIterableMap::new(StorageKey::Candidates),
            tls_owners: RawMap::new(StorageKey::TlsOwners),
            votes: VoteBook::new(),
            pending_parameters: RawMap::new(StorageKey::PendingParameters),
            node_keys: NodeKeys,
            verifying: VerifyingShareStore,
        }
    }

    /// Fails if `key` belongs to an account other than `account_id`.
    pub fn ensure_tls_key_free_for(&self, key: &Ed25519PublicKey, account_id: &AccountId) -> Result<(), Error> {
        match self.tls_owners.get(key) {
            Some(owner) if &owner != account_id => Err(ParticipantsError::TlsKeyInUse { key: *key, owner }.into()),
            _ => Ok(()),
        }
    }

    /// Moves `account_id`'s TLS key from `old` to `new` in the index.
    pub fn move_tls_key(&mut self, account_id: &AccountId, old: Option<&Ed25519PublicKey>, new: &Ed25519PublicKey) {
        if let Some(old) = old {
            if old != new && self.tls_owners.get(old).as_ref() == Some(account_id) {
                self.tls_owners.remove(old);
            }
        }
        self.tls_owners.insert(*new, account_id.clone());
    }

    /// Installs a participant set (validated by the caller) and keeps every
    /// index in step: departed participants lose their TLS keys, ballots and
    /// node keys (a joining candidate's key becomes its node key), a
    /// participant whose key changed loses the old one, and candidates that
    /// joined stop being candidates.
    pub fn install_participants(&mut self, parameters: &ThresholdParameters) {
        let previous = self.participants.replace(parameters);
        for old in &previous.participants {
            let still_in = parameters.participant(&old.account_id);
            if still_in.is_none() {
                self.votes.forget(&old.account_id);
                self.node_keys.remove(&old.account_id);
            }
            if still_in.map(|p| p.info.tls_public_key) != Some(old.info.tls_public_key)
                && self.tls_owners.get(&old.info.tls_public_key).as_ref() == Some(&old.account_id)
            {
                self.tls_owners.remove(&old.info.tls_public_key);
            }
        }
        for participant in &parameters.participants {
            // `len` is in the state record: with no candidates (as at `init`) nothing is read.
            let candidate_key = if self.candidates.is_empty() {
                None
            } else {
                self.candidates.remove(&participant.account_id).map(|info| info.tls_public_key)
            };
            self.move_tls_key(&participant.account_id, candidate_key.as_ref(), &participant.info.tls_public_key);
        }
    }
}
