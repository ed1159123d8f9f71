//! The current participant set, stored in fixed-size chunks.
//!
//! Why chunks: a call that concerns one participant (a refresh, a recovery)
//! reads one small index entry and one chunk, so its gas does not grow with the
//! network; a view of the whole set reads `n / CHUNK_SIZE` entries instead of
//! `n`, which keeps `state()` cheap at 64 participants and beyond.

use super::raw::RawMap;
use crate::storage_keys::StorageKey;
use mpc_interface::primitives::{Participant, ParticipantId, ParticipantInfo, ThresholdParameters};
use near_sdk::{near, AccountId};

pub const CHUNK_SIZE: u32 = 8;

/// Up to [`CHUNK_SIZE`] participants with their JSON, written together: the
/// views print the stored JSON instead of serialising every participant again
/// on every call (that work dominated `state()` at 64 participants).
#[near(serializers = [borsh])]
#[derive(Clone, Debug, PartialEq)]
pub struct Chunk {
    pub participants: Vec<Participant>,
    /// Each participant's JSON object, in the same order.
    pub json: Vec<String>,
}

impl Chunk {
    pub fn new(participants: Vec<Participant>) -> Self {
        let json = participants.iter().map(render).collect();
        Self { participants, json }
    }
}

fn render(participant: &Participant) -> String {
    serde_json::to_string(participant).expect("JSON of a participant")
}

#[near(serializers = [borsh])]
pub struct ParticipantTable {
    chunks: RawMap<u32, Chunk>,
    slots: RawMap<AccountId, u32>,
    len: u32,
    threshold: u64,
    /// Ids below this were handed out already and are never reused.
    next_id: ParticipantId,
}

impl ParticipantTable {
    pub fn new() -> Self {
        Self {
            chunks: RawMap::new(StorageKey::ParticipantChunks),
            slots: RawMap::new(StorageKey::ParticipantSlots),
            len: 0,
            threshold: 0,
            next_id: ParticipantId(0),
        }
    }

    pub fn len(&self) -> u32 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
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

    pub fn get(&self, account_id: &AccountId) -> Option<Participant> {
        let slot = self.slots.get(account_id)?;
        let mut chunk = self.chunks.get(&(slot / CHUNK_SIZE))?;
        let at = (slot % CHUNK_SIZE) as usize;
        (at < chunk.participants.len()).then(|| chunk.participants.swap_remove(at))
    }

    /// Replaces a participant's node details; account and id stay. Returns the old details.
    pub fn set_info(&mut self, account_id: &AccountId, info: ParticipantInfo) -> Option<ParticipantInfo> {
        let slot = self.slots.get(account_id)?;
        let mut chunk = self.chunks.get(&(slot / CHUNK_SIZE))?;
        let at = (slot % CHUNK_SIZE) as usize;
        let entry = chunk.participants.get_mut(at)?;
        let old = std::mem::replace(&mut entry.info, info);
        chunk.json[at] = render(entry);
        self.chunks.insert(slot / CHUNK_SIZE, chunk);
        Some(old)
    }

    /// The whole set, in slot order.
    pub fn to_parameters(&self) -> ThresholdParameters {
        let chunks = self.len.div_ceil(CHUNK_SIZE);
        let participants = (0..chunks).filter_map(|c| self.chunks.get(&c)).flat_map(|c| c.participants).collect();
        ThresholdParameters { participants, threshold: self.threshold }
    }

    /// The whole set as the JSON elements of a participant array, in slot
    /// order, from the stored JSON: no participant is deserialised or printed.
    pub fn json_elements(&self) -> String {
        let chunks = self.len.div_ceil(CHUNK_SIZE);
        let mut out = String::new();
        for json in (0..chunks).filter_map(|c| self.chunks.get(&c)).flat_map(|c| c.json) {
            if !out.is_empty() {
                out.push(',');
            }
            out.push_str(&json);
        }
        out
    }

    /// `migrate` from the pre-recovery release: its chunks hold the
    /// participants only; they gain their JSON.
    pub fn upgrade_legacy_chunks(&mut self) {
        // Read raw (prefix, then the borsh index): a second map type would
        // add kilobytes of wasm for a call made once.
        let prefix = borsh::to_vec(&StorageKey::ParticipantChunks).expect("borsh of a prefix");
        for c in 0..self.len.div_ceil(CHUNK_SIZE) {
            let key = [prefix.as_slice(), &c.to_le_bytes()].concat();
            let participants: Vec<Participant> =
                near_sdk::env::storage_read(&key).and_then(|bytes| borsh::from_slice(&bytes).ok()).unwrap_or_default();
            // Written through: the old value is never read as a `Chunk`.
            self.chunks.insert(c, Chunk::new(participants));
        }
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
            self.chunks.insert(chunk_no as u32, Chunk::new(chunk.to_vec()));
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
