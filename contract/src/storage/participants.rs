//! The current participant set, stored in fixed-size chunks.
//!
//! Why chunks: a call that concerns one participant (a refresh, a recovery)
//! reads one small index entry and one chunk, so its gas does not grow with the
//! network; a view of the whole set reads `n / CHUNK_SIZE` entries instead of
//! `n`, which keeps `state()` cheap at 64 participants and beyond.

use crate::storage_keys::StorageKey;
use mpc_interface::primitives::{Participant, ParticipantId, ParticipantInfo, ThresholdParameters};
use near_sdk::store::LookupMap;
use near_sdk::{near, AccountId};

pub const CHUNK_SIZE: u32 = 8;

#[near(serializers = [borsh])]
pub struct ParticipantTable {
    chunks: LookupMap<u32, Vec<Participant>>,
    slots: LookupMap<AccountId, u32>,
    len: u32,
    threshold: u64,
    /// Ids below this were handed out already and are never reused.
    next_id: ParticipantId,
}

impl ParticipantTable {
    pub fn new() -> Self {
        Self {
            chunks: LookupMap::new(StorageKey::ParticipantChunks),
            slots: LookupMap::new(StorageKey::ParticipantSlots),
            len: 0,
            threshold: 0,
            next_id: ParticipantId(0),
        }
    }

    pub fn len(&self) -> u32 {
        self.len
    }

    pub fn threshold(&self) -> u64 {
        self.threshold
    }

    pub fn next_id(&self) -> ParticipantId {
        self.next_id
    }

    pub fn contains(&self, account_id: &AccountId) -> bool {
        self.slots.contains_key(account_id)
    }

    pub fn get(&self, account_id: &AccountId) -> Option<&Participant> {
        let slot = *self.slots.get(account_id)?;
        self.chunks.get(&(slot / CHUNK_SIZE)).and_then(|chunk| chunk.get((slot % CHUNK_SIZE) as usize))
    }

    /// Replaces a participant's node details; account and id stay. Returns the old details.
    pub fn set_info(&mut self, account_id: &AccountId, info: ParticipantInfo) -> Option<ParticipantInfo> {
        let slot = *self.slots.get(account_id)?;
        let entry = self.chunks.get_mut(&(slot / CHUNK_SIZE))?.get_mut((slot % CHUNK_SIZE) as usize)?;
        Some(std::mem::replace(&mut entry.info, info))
    }

    /// The whole set, in slot order.
    pub fn to_parameters(&self) -> ThresholdParameters {
        let chunks = self.len.div_ceil(CHUNK_SIZE);
        let participants = (0..chunks).filter_map(|c| self.chunks.get(&c)).flatten().cloned().collect();
        ThresholdParameters { participants, threshold: self.threshold }
    }

    /// Installs a new set (validated by the caller) and returns the previous
    /// one, so the caller can reconcile the records that hang off it.
    pub fn replace(&mut self, parameters: &ThresholdParameters) -> ThresholdParameters {
        let previous = self.to_parameters();
        for departed in previous.participants.iter().filter(|p| parameters.participant(&p.account_id).is_none()) {
            self.slots.remove(&departed.account_id);
        }
        let old_chunks = self.len.div_ceil(CHUNK_SIZE);
        let new_chunks = (parameters.participants.len() as u32).div_ceil(CHUNK_SIZE);
        for (chunk_no, chunk) in parameters.participants.chunks(CHUNK_SIZE as usize).enumerate() {
            self.chunks.insert(chunk_no as u32, chunk.to_vec());
        }
        for stale in new_chunks..old_chunks {
            self.chunks.remove(&stale);
        }
        // The previous set tells every old slot, so unchanged index entries are
        // neither read nor rewritten.
        for (slot, participant) in parameters.participants.iter().enumerate() {
            let old_slot = previous.participants.iter().position(|p| p.account_id == participant.account_id);
            if old_slot != Some(slot) {
                self.slots.insert(participant.account_id.clone(), slot as u32);
            }
        }
        self.len = parameters.participants.len() as u32;
        self.threshold = parameters.threshold;
        let highest = parameters.participants.iter().map(|p| p.id.0 + 1).max().unwrap_or(0);
        self.next_id = ParticipantId(self.next_id.0.max(highest));
        previous
    }
}
