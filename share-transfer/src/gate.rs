//! A cap on connections that have not proven who they are. Past the cap the
//! oldest such connection is dropped to make room for the newest, so junk
//! connections held open can never lock out the real peer, which needs only
//! a moment to authenticate. Each admitted connection also has a deadline
//! (set by the caller) to authenticate.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

pub struct ConnectionGate {
    cap: usize,
    inner: Mutex<Queue>,
}

#[derive(Default)]
struct Queue {
    next_id: u64,
    open: VecDeque<(u64, CancellationToken)>,
}

/// One admitted connection; dropping it (once authenticated, or closed)
/// frees its place.
pub struct Ticket {
    id: u64,
    gate: Arc<ConnectionGate>,
    evicted: CancellationToken,
}

impl ConnectionGate {
    /// At most `cap` (at least 1) unauthenticated connections at once.
    pub fn new(cap: usize) -> Arc<Self> {
        Arc::new(Self { cap: cap.max(1), inner: Mutex::new(Queue::default()) })
    }

    /// Admits a connection, evicting the oldest one if the gate is full.
    pub fn admit(self: &Arc<Self>) -> Ticket {
        let evicted = CancellationToken::new();
        let mut queue = self.inner.lock().expect("gate lock");
        let id = queue.next_id;
        queue.next_id += 1;
        if queue.open.len() >= self.cap {
            if let Some((_, oldest)) = queue.open.pop_front() {
                tracing::debug!("too many unauthenticated connections: dropping the oldest");
                oldest.cancel();
            }
        }
        queue.open.push_back((id, evicted.clone()));
        Ticket { id, gate: self.clone(), evicted }
    }

    /// Connections admitted and not yet released.
    pub fn open(&self) -> usize {
        self.inner.lock().expect("gate lock").open.len()
    }
}

impl Ticket {
    /// Cancelled when a newer connection takes this one's place (never
    /// after the ticket is dropped).
    pub fn eviction(&self) -> CancellationToken {
        self.evicted.clone()
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut queue = self.gate.inner.lock().expect("gate lock");
        queue.open.retain(|(id, _)| *id != self.id);
    }
}

#[cfg(test)]
#[allow(non_snake_case)]
mod tests {
    use super::*;

    #[test]
    fn gate__should_evict_the_oldest_connection_past_the_cap() {
        let gate = ConnectionGate::new(2);
        let first = gate.admit();
        let second = gate.admit();
        assert_eq!(gate.open(), 2);
        let _third = gate.admit();
        assert!(first.eviction().is_cancelled(), "the oldest is evicted");
        assert_eq!(gate.open(), 2);
        drop(second);
        assert_eq!(gate.open(), 1);
    }
}
