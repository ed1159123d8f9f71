//! The hard launch's stored settings: the launch mode, where quotes are
//! verified, the measurements participants allowed and the attestations the
//! contract accepted.

use super::raw::RawMap;
use crate::storage_keys::StorageKey;
use mpc_interface::launch::{AttestationRecord, LaunchMode, Measurements};
use near_sdk::{near, AccountId};

#[near(serializers = [borsh])]
pub struct LaunchSettings {
    pub mode: LaunchMode,
    /// The TEE verifier contract TDX quotes are sent to (set at `init`).
    pub tee_verifier: Option<AccountId>,
    /// Whether development attestations are accepted (set at `init`, never by default).
    pub allow_dev_attestation: bool,
    /// Ballot rounds of `vote_launch`'s three kinds: mode, allow and retire measurements.
    pub mode_round: u64,
    pub add_round: u64,
    pub retire_round: u64,
    /// One value under the prefix itself (as `Registry::pending_parameters`).
    allowed: RawMap<(), Vec<Measurements>>,
    pub attestations: RawMap<AccountId, AttestationRecord>,
}

impl LaunchSettings {
    pub fn new(tee_verifier: Option<AccountId>, allow_dev_attestation: bool) -> Self {
        Self {
            mode: LaunchMode::Soft,
            tee_verifier,
            allow_dev_attestation,
            mode_round: 0,
            add_round: 0,
            retire_round: 0,
            allowed: RawMap::new(StorageKey::AllowedMeasurements),
            attestations: RawMap::new(StorageKey::Attestations),
        }
    }

    /// The allowed measurement records, in the order they were voted in.
    pub fn allowed(&self) -> Vec<Measurements> {
        self.allowed.get(&()).unwrap_or_default()
    }

    pub fn set_allowed(&mut self, allowed: Vec<Measurements>) {
        if allowed.is_empty() {
            self.allowed.remove(&());
        } else {
            self.allowed.insert((), allowed);
        }
    }

    pub fn is_allowed(&self, measurements: &Measurements) -> bool {
        self.allowed().contains(measurements)
    }
}
