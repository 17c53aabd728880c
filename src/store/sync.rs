//! Purpose: the store's background thread. It keeps the in-memory mirror in
//! step with changes other processes make (within `POLL` plus a reload:
//! well under the 5 s promise), writes buffered usage counts every
//! [`FLUSH_EVERY`] and forgets expired vote keys every [`PURGE_EVERY`].
//!
//! A plain thread rather than a Tokio task: the PostgreSQL client it owns
//! must not run on a Tokio worker, and SQLite calls block anyway.

use std::sync::{mpsc, Arc, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use super::{Change, Shared, Store, StoreError};

/// How long one wait for changes lasts (also the SQLite polling period).
pub const POLL: Duration = Duration::from_secs(1);
/// How often buffered usage counts are written.
pub const FLUSH_EVERY: Duration = Duration::from_secs(5);
/// How often expired vote keys are purged.
pub const PURGE_EVERY: Duration = Duration::from_secs(600);

/// The running sync thread; stops (and waits for it, at most about `POLL` (1 s))
/// when dropped or on [`SyncTask::stop`].
#[derive(Debug)]
pub struct SyncTask {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl SyncTask {
    /// Stops the thread and waits for it to finish its current step.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for SyncTask {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl Store {
    /// Starts the background sync thread (see the module docs). Call once per
    /// process after [`Store::open`] and keep the returned [`SyncTask`] alive
    /// for as long as the store is used, e.g. `let _sync = store.start_sync()?;`.
    pub fn start_sync(&self) -> Result<SyncTask, StoreError> {
        let mut watcher = self.backend().watcher()?;
        let weak = Arc::downgrade(&self.shared);
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("store-sync".into())
            .spawn(move || {
                let mut last_flush = Instant::now();
                let mut last_purge = Instant::now();
                loop {
                    let changes = match &mut watcher {
                        Some(w) => match w.wait(POLL) {
                            Ok(c) => c,
                            Err(e) => {
                                tracing::warn!(error = %e, "store: change notices unavailable; retrying");
                                if wait_stop(&stopped, POLL) {
                                    break;
                                }
                                Vec::new()
                            }
                        },
                        None => {
                            if wait_stop(&stopped, POLL) {
                                break;
                            }
                            match upgrade(&weak).map(|s| s.backend().changed_elsewhere()) {
                                None => break,
                                Some(Ok(true)) => vec![Change::All],
                                Some(Ok(false)) => Vec::new(),
                                Some(Err(e)) => {
                                    tracing::warn!(error = %e, "store: change check failed");
                                    Vec::new()
                                }
                            }
                        }
                    };
                    if wait_stop(&stopped, Duration::ZERO) {
                        break;
                    }
                    let Some(store) = upgrade(&weak) else { break };
                    if let Err(e) = store.reload(&changes) {
                        tracing::warn!(error = %e, "store: reload failed");
                    }
                    if last_flush.elapsed() >= FLUSH_EVERY {
                        last_flush = Instant::now();
                        if let Err(e) = store.flush_usage() {
                            tracing::warn!(error = %e, "store: usage counts not saved yet");
                        }
                    }
                    if last_purge.elapsed() >= PURGE_EVERY {
                        last_purge = Instant::now();
                        if let Err(e) = store.purge_expired_votes(SystemTime::now()) {
                            tracing::warn!(error = %e, "store: expired votes not purged");
                        }
                    }
                }
            })
            .map_err(|_| StoreError::Closed)?;
        Ok(SyncTask {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

fn upgrade(weak: &Weak<Shared>) -> Option<Store> {
    weak.upgrade().map(|shared| Store { shared })
}

/// Waits up to `d`; true when the task was told to stop.
fn wait_stop(stopped: &mpsc::Receiver<()>, d: Duration) -> bool {
    !matches!(
        stopped.recv_timeout(d),
        Err(mpsc::RecvTimeoutError::Timeout)
    )
}
