//! Purpose: the PostgreSQL `LISTEN` side of the store's sync: a connection
//! owned by the sync thread that turns `NOTIFY` payloads (guild ids) into
//! reloads, and asks for a full reload after (re)connecting.

use std::time::Duration;

use ::postgres::fallible_iterator::FallibleIterator;
use ::postgres::{Client, Config, NoTls, Notification};

use crate::store::{Change, StoreError, Watcher};

/// At most this many notices are taken per wait; more means "reload all".
const MAX_NOTICES: usize = 1000;

/// The `LISTEN` connection (owned by the sync thread).
pub(super) struct PgWatcher {
    config: Config,
    channel: String,
    client: Option<Client>,
}

impl PgWatcher {
    /// A watcher that connects on its first wait.
    pub(super) fn new(config: Config, channel: String) -> Self {
        Self {
            config,
            channel,
            client: None,
        }
    }
}

fn change_of(n: &Notification) -> Change {
    n.payload().parse().map_or(Change::All, Change::Guild)
}

/// Changes noticed within `timeout`, then whatever else is already queued.
fn drain(client: &mut Client, timeout: Duration) -> Result<Vec<Change>, ::postgres::Error> {
    let mut notices = client.notifications();
    let Some(first) = notices.timeout_iter(timeout).next()? else {
        return Ok(Vec::new());
    };
    let mut changes = vec![change_of(&first)];
    let mut more = notices.iter();
    while let Some(n) = more.next()? {
        if changes.len() >= MAX_NOTICES {
            return Ok(vec![Change::All]);
        }
        changes.push(change_of(&n));
    }
    changes.sort_unstable_by_key(|c| match c {
        Change::All => (0, 0),
        Change::Guild(g) => (1, *g),
    });
    changes.dedup();
    Ok(changes)
}

impl Watcher for PgWatcher {
    fn wait(&mut self, timeout: Duration) -> Result<Vec<Change>, StoreError> {
        let client = match &mut self.client {
            Some(c) if !c.is_closed() => c,
            _ => {
                self.client = None;
                let mut c = self.config.connect(NoTls)?;
                let quoted = self.channel.replace('"', "\"\"");
                c.batch_execute(&format!("LISTEN \"{quoted}\""))?;
                self.client = Some(c);
                // Notices sent while not listening are lost: read everything.
                return Ok(vec![Change::All]);
            }
        };
        let changes = drain(client, timeout);
        if changes.is_err() {
            self.client = None;
        }
        Ok(changes?)
    }
}
