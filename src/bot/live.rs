//! Purpose: Microsoft's live lookup in replies. For a code without an
//! entry the reply shows Microsoft's own description when it is cached or
//! arrives within [`live::REPLY_WAIT`]; otherwise the reply goes out with
//! the family fallback and is edited once the lookup answers.

use poise::serenity_prelude as serenity;

use aadsts_bot::live::{self, CacheState, CachedLookup, LiveCache, LiveEntry, Waited};
use aadsts_bot::render::{self, ReplySpec, MAX_CODE_EMBEDS};
use aadsts_bot::store::{LiveRow, Store};
use aadsts_bot::AadstsCode;

use super::Data;

/// Lookups still on their way when the reply had to go: embed index and task.
pub type Pending = Vec<(
    usize,
    AadstsCode,
    tokio::task::JoinHandle<Result<Option<LiveEntry>, live::LiveError>>,
)>;

/// Puts Microsoft's description into the embeds of unknown codes (the
/// first embeds of `reply` explain `fresh`, in order). Waits at most
/// [`live::REPLY_WAIT`]; what is not back by then is returned.
pub async fn enrich(
    data: &Data,
    reply: &mut ReplySpec,
    fresh: &[AadstsCode],
    host: &'static str,
) -> Pending {
    if !data.live.is_enabled() {
        return Vec::new();
    }
    let knowledge = data.engine.knowledge();
    let mut waits = Vec::new();
    for (i, &code) in fresh
        .iter()
        .enumerate()
        .take(MAX_CODE_EMBEDS.min(reply.embeds.len()))
    {
        if knowledge.get(code).is_some() {
            continue;
        }
        match data.live.cached(code, host) {
            CacheState::Found(entry) => apply(reply, i, code, &entry, host),
            CacheState::NotFound => {}
            CacheState::Miss => waits.push((
                i,
                code,
                data.live.describe_within(code, host, live::REPLY_WAIT),
            )),
        }
    }
    let (places, futures): (Vec<(usize, AadstsCode)>, Vec<_>) =
        waits.into_iter().map(|(i, c, f)| ((i, c), f)).unzip();
    let mut pending = Vec::new();
    for ((i, code), waited) in places
        .into_iter()
        .zip(serenity::futures::future::join_all(futures).await)
    {
        match waited {
            Waited::Ready(Ok(Some(entry))) => apply(reply, i, code, &entry, host),
            Waited::Ready(_) => {}
            Waited::Later(task) => pending.push((i, code, task)),
        }
    }
    pending
}

/// Waits for lookups that missed the reply; true when any changed it.
pub async fn finish(reply: &mut ReplySpec, pending: Pending, host: &'static str) -> bool {
    let mut changed = false;
    for (i, code, task) in pending {
        if let Ok(Ok(Some(entry))) = task.await {
            apply(reply, i, code, &entry, host);
            changed = true;
        }
    }
    changed
}

fn apply(reply: &mut ReplySpec, i: usize, code: AadstsCode, entry: &LiveEntry, host: &str) {
    if let Some(embed) = reply.embeds.get_mut(i) {
        *embed = live::embed(code, entry, host, embed);
    }
    render::fit_total(&mut reply.embeds);
}

/// The live lookup's answers kept in the settings database, so a restart
/// (or another process) doesn't ask Microsoft again.
pub struct StoreCache(pub Store);

impl LiveCache for StoreCache {
    fn get(&self, code: AadstsCode, host: &str) -> Option<CachedLookup> {
        match self.0.live_get(code, host) {
            Ok(row) => row.map(|row| CachedLookup {
                entry: row.found.then(|| LiveEntry {
                    message: row.message,
                    remediation: (!row.remediation.is_empty()).then_some(row.remediation),
                }),
                fetched_at: row.fetched_at,
            }),
            Err(e) => {
                tracing::warn!(code = code.number(), "live lookup cache read failed: {e}");
                None
            }
        }
    }

    fn put(&self, code: AadstsCode, host: &str, value: &CachedLookup) {
        let row = LiveRow {
            found: value.entry.is_some(),
            message: value
                .entry
                .as_ref()
                .map(|e| e.message.clone())
                .unwrap_or_default(),
            remediation: value
                .entry
                .as_ref()
                .and_then(|e| e.remediation.clone())
                .unwrap_or_default(),
            fetched_at: value.fetched_at,
        };
        if let Err(e) = self.0.live_put(code, host, &row) {
            tracing::warn!(code = code.number(), "live lookup cache write failed: {e}");
        }
    }
}
