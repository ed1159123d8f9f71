//! In-memory stand-ins for the contract, for tests and local drills. Every
//! handle shares one cell, so a test can change the "registration" at any
//! moment and the transports see it on their next query, as they would on chain.

use crate::authority::{AuthorityError, EphemeralKeyDirectory, PeerAuthority};
use crate::session::{Party, Session};
use async_trait::async_trait;
use mpc_interface::keys::{Ed25519PublicKey, X25519PublicKey};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A registered identity key that can be changed at any time.
#[derive(Clone, Default)]
pub struct InMemoryAuthority {
    key: Arc<Mutex<Option<Ed25519PublicKey>>>,
    queries: Arc<AtomicU64>,
}

impl InMemoryAuthority {
    pub fn new(key: Option<Ed25519PublicKey>) -> Self {
        Self { key: Arc::new(Mutex::new(key)), queries: Arc::default() }
    }

    /// Registers `key` (or clears the registration), as a contract call would.
    pub fn set(&self, key: Option<Ed25519PublicKey>) {
        *self.key.lock().expect("authority lock") = key;
    }

    pub fn get(&self) -> Option<Ed25519PublicKey> {
        *self.key.lock().expect("authority lock")
    }

    /// How many times a transport asked; lets tests see that checks happen.
    pub fn queries(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }
}

#[async_trait]
impl PeerAuthority for InMemoryAuthority {
    async fn expected_peer_key(&self) -> Result<Option<Ed25519PublicKey>, AuthorityError> {
        self.queries.fetch_add(1, Ordering::Relaxed);
        Ok(self.get())
    }
}

type Board = HashMap<(Session, Party), X25519PublicKey>;

/// The contract's table of published ephemeral keys, shared by both parties.
#[derive(Clone, Default)]
pub struct InMemoryDirectory {
    board: Arc<Mutex<Board>>,
}

impl InMemoryDirectory {
    pub fn new() -> Self {
        Self::default()
    }

    /// A handle that publishes as `me` and reads `me.peer()`'s keys.
    pub fn for_party(&self, me: Party) -> PartyDirectory {
        PartyDirectory { board: self.board.clone(), me }
    }

    /// What `party` has published for `session`.
    pub fn published(&self, session: Session, party: Party) -> Option<X25519PublicKey> {
        self.board.lock().expect("directory lock").get(&(session, party)).copied()
    }

    /// Overwrites `party`'s key, as a later `publish` by that party would;
    /// tests use it to make a key stale.
    pub fn set(&self, session: Session, party: Party, key: X25519PublicKey) {
        self.board.lock().expect("directory lock").insert((session, party), key);
    }
}

/// One party's view of [`InMemoryDirectory`].
#[derive(Clone)]
pub struct PartyDirectory {
    board: Arc<Mutex<Board>>,
    me: Party,
}

#[async_trait]
impl EphemeralKeyDirectory for PartyDirectory {
    async fn publish_my_key(&self, session: Session, key: X25519PublicKey) -> Result<(), AuthorityError> {
        self.board.lock().expect("directory lock").insert((session, self.me), key);
        Ok(())
    }

    async fn peer_key(&self, session: Session) -> Result<Option<X25519PublicKey>, AuthorityError> {
        Ok(self.board.lock().expect("directory lock").get(&(session, self.me.peer())).copied())
    }
}
