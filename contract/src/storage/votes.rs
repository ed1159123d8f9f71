//! Vote counting with constant storage per voter.
//!
//! A voter has one ballot per kind of vote; a ballot names the round it was cast
//! in and the choice (a hash of what was voted for, bound to the round). A tally
//! per choice counts the ballots. Nothing is copied per voter, a repeated vote
//! is free of effect, a changed vote moves the voter's count, and ballots of a
//! finished round simply stop matching the round (the next vote overwrites them).

use super::raw::RawMap;
use crate::storage_keys::StorageKey;
use near_sdk::{env, near, AccountId};

/// Which vote a ballot belongs to; a participant may hold one ballot of each.
#[near(serializers = [borsh])]
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum BallotKind {
    KeyEvent,
    Parameters,
    Cancel,
    /// The hard launch's votes (appended: earlier kinds keep their tags).
    LaunchMode,
    AddMeasurements,
    RetireMeasurements,
}

impl BallotKind {
    pub const ALL: [BallotKind; 6] = [
        Self::KeyEvent,
        Self::Parameters,
        Self::Cancel,
        Self::LaunchMode,
        Self::AddMeasurements,
        Self::RetireMeasurements,
    ];
}

/// A choice: sha256 over the round and the voted content.
pub type Choice = [u8; 32];

#[near(serializers = [borsh])]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Ballot {
    pub round: u64,
    pub choice: Choice,
}

/// Votes for one choice. `current` counts voters from the participant set in
/// charge; `target` counts voters from the set the choice is about (for a
/// resharing proposal, its participants; otherwise the same as `current`).
#[near(serializers = [borsh])]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Tally {
    pub current: u32,
    pub target: u32,
}

/// Which counts a voter adds to.
#[near(serializers = [borsh])]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Weight {
    pub current: bool,
    pub target: bool,
}

impl Weight {
    pub const PARTICIPANT: Weight = Weight { current: true, target: true };
}

#[near(serializers = [borsh])]
pub struct VoteBook {
    ballots: RawMap<(BallotKind, AccountId), (Ballot, Weight)>,
    tallies: RawMap<Choice, Tally>,
    /// Choices with a live tally, per kind, so a finished round can delete them.
    open: RawMap<BallotKind, Vec<Choice>>,
    next_round: u64,
}

/// The effect of one vote.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Cast {
    pub tally: Tally,
    /// No one had voted for this choice in this round before.
    pub first_for_choice: bool,
}

impl VoteBook {
    pub fn new() -> Self {
        Self {
            ballots: RawMap::new(StorageKey::Ballots),
            tallies: RawMap::new(StorageKey::Tallies),
            open: RawMap::new(StorageKey::OpenChoices),
            next_round: 0,
        }
    }

    /// Starts a new round; earlier ballots no longer count.
    pub fn new_round(&mut self) -> u64 {
        self.next_round += 1;
        self.next_round
    }

    /// The choice for `content` (any borsh bytes) in `round`.
    pub fn choice(round: u64, content: &[u8]) -> Choice {
        let mut bytes = Vec::with_capacity(8 + content.len());
        bytes.extend_from_slice(&round.to_le_bytes());
        bytes.extend_from_slice(content);
        Self::digest(&bytes)
    }

    /// sha256, through the runtime's host function (cheaper than hashing in wasm).
    pub fn digest(bytes: &[u8]) -> [u8; 32] {
        env::sha256_array(bytes)
    }

    pub fn tally(&self, choice: &Choice) -> Tally {
        self.tallies.get(choice).unwrap_or_default()
    }

    /// Records `voter`'s vote of `kind` for `choice` in `round`.
    pub fn cast(&mut self, kind: BallotKind, voter: &AccountId, round: u64, choice: Choice, weight: Weight) -> Cast {
        let key = (kind, voter.clone());
        if let Some((previous, previous_weight)) = self.ballots.get(&key) {
            if previous.round == round {
                if previous.choice == choice {
                    return Cast { tally: self.tally(&choice), first_for_choice: false };
                }
                self.withdraw(kind, &previous.choice, previous_weight);
            }
        }
        let mut tally = self.tally(&choice);
        let first_for_choice = tally == Tally::default();
        if first_for_choice {
            let mut open = self.open.get(&kind).unwrap_or_default();
            open.push(choice);
            self.open.insert(kind, open);
        }
        tally.current += weight.current as u32;
        tally.target += weight.target as u32;
        self.tallies.insert(choice, tally);
        self.ballots.insert(key, (Ballot { round, choice }, weight));
        Cast { tally, first_for_choice }
    }

    fn withdraw(&mut self, kind: BallotKind, choice: &Choice, weight: Weight) {
        let mut tally = self.tally(choice);
        tally.current -= weight.current as u32;
        tally.target -= weight.target as u32;
        if tally == Tally::default() {
            self.tallies.remove(choice);
            if let Some(mut open) = self.open.get(&kind) {
                open.retain(|c| c != choice);
                self.open.insert(kind, open);
            }
        } else {
            self.tallies.insert(*choice, tally);
        }
    }

    /// Ends the current round of `kind`: deletes its tallies (its ballots go
    /// stale by round number) and returns the number of the next round.
    pub fn close_round(&mut self, kind: BallotKind) -> u64 {
        for choice in self.open.take(&kind).unwrap_or_default() {
            self.tallies.remove(&choice);
        }
        self.new_round()
    }

    /// Drops an account's ballots (it left the participant set).
    pub fn forget(&mut self, voter: &AccountId) {
        for kind in BallotKind::ALL {
            self.ballots.remove(&(kind, voter.clone()));
        }
    }
}
