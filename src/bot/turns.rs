//! One at a time per key: a message's create and edit, or the requests of
//! one REST route. A key's lock exists only while someone holds or waits
//! for it, so keys that are never seen again (message ids, interaction
//! tokens) leave nothing behind.

use std::hash::Hash;
use std::sync::Arc;

use dashmap::DashMap;
use tokio::sync::{Mutex, OwnedMutexGuard};

/// Locks by key, created on first use and dropped after the last.
#[derive(Debug)]
pub struct Turns<K: Eq + Hash + Clone> {
    locks: DashMap<K, Arc<Mutex<()>>>,
}

/// A key's turn; the next waiter for the key goes when it is dropped.
pub struct Turn<'a, K: Eq + Hash + Clone> {
    turns: &'a Turns<K>,
    key: K,
    guard: Option<OwnedMutexGuard<()>>,
}

impl<K: Eq + Hash + Clone> Default for Turns<K> {
    fn default() -> Self {
        Self {
            locks: DashMap::new(),
        }
    }
}

impl<K: Eq + Hash + Clone> Turns<K> {
    /// Waits for `key`'s turn. The map's guard is dropped before awaiting.
    pub async fn take(&self, key: K) -> Turn<'_, K> {
        let lock = Arc::clone(&self.locks.entry(key.clone()).or_default());
        Turn {
            turns: self,
            key,
            guard: Some(lock.lock_owned().await),
        }
    }

    /// Keys someone holds or waits for.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.locks.len()
    }
}

impl<K: Eq + Hash + Clone> Drop for Turn<'_, K> {
    fn drop(&mut self) {
        drop(self.guard.take());
        // Only the map's own reference left: nobody holds or waits for it.
        self.turns
            .locks
            .remove_if(&self.key, |_, l| Arc::strong_count(l) == 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_turn_at_a_time_per_key_and_nothing_left_after() {
        let turns: Turns<u64> = Turns::default();
        let first = turns.take(1).await;
        let other = turns.take(2).await;
        // Key 1 is busy: a second taker waits until the first is done.
        let waiting = tokio::time::timeout(std::time::Duration::from_millis(50), turns.take(1));
        assert!(waiting.await.is_err(), "key 1 was taken twice");
        drop(first);
        let again = turns.take(1).await;
        drop((again, other));
        assert_eq!(turns.len(), 0);
    }
}
