//! Purpose: in-memory caches shared by every task: rendered embeds (so a
//! repeated lookup does no rendering work) and per-channel cooldowns (so a
//! busy thread is not told the same thing twice). Time is passed in by the
//! caller, so tests drive the clock.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dashmap::DashMap;

use crate::code::AadstsCode;
use crate::render::EmbedSpec;

/// What a rendered embed depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RenderKey {
    /// The code.
    pub code: AadstsCode,
    /// The knowledge base's fingerprint; a reload changes it.
    pub version: u32,
    /// The sign-in host used for Microsoft's lookup link.
    pub host: &'static str,
}

/// Rendered embeds by code and knowledge version.
#[derive(Debug, Default)]
pub struct RenderCache {
    map: DashMap<RenderKey, Arc<EmbedSpec>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// Counters of a [`RenderCache`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that had to render.
    pub misses: u64,
    /// Embeds held.
    pub len: usize,
}

impl RenderCache {
    /// The cached embed for `key`, or the one `render` makes (then cached).
    pub fn get_or_render(
        &self,
        key: RenderKey,
        render: impl FnOnce() -> EmbedSpec,
    ) -> Arc<EmbedSpec> {
        if let Some(hit) = self.map.get(&key) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Arc::clone(&hit);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        // Render outside any map lock; a racing task may render too, harmlessly.
        let embed = Arc::new(render());
        self.map.entry(key).or_insert(embed).clone()
    }

    /// Drops every embed not rendered from knowledge version `keep`.
    pub fn retain_version(&self, keep: u32) {
        self.map.retain(|k, _| k.version == keep);
    }

    /// Hit and miss counters and size.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            len: self.map.len(),
        }
    }
}

/// Where a code was last explained in a channel, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explained {
    /// When the explanation was planned (claimed) or sent (recorded).
    pub at: Instant,
    /// The reply message's id; 0 while the reply is still being sent.
    pub reply_id: u64,
    /// The message the reply answers.
    pub trigger_id: u64,
}

impl Explained {
    /// The message a pointer should jump to: the reply, or while it is on
    /// its way the message it answers (the reply lands right below it).
    pub fn link_target(&self) -> u64 {
        if self.reply_id != 0 {
            self.reply_id
        } else {
            self.trigger_id
        }
    }
}

/// Per channel+code cooldowns.
#[derive(Debug)]
pub struct Cooldowns {
    map: DashMap<(u64, AadstsCode), Explained>,
    max_entries: usize,
}

impl Cooldowns {
    /// Cooldowns that prune themselves when they hold more than `max_entries`.
    pub fn new(max_entries: usize) -> Self {
        Self {
            map: DashMap::new(),
            max_entries,
        }
    }

    /// The earlier explanation of `code` in `channel`, if it is younger than `window`.
    pub fn recent(
        &self,
        channel: u64,
        code: AadstsCode,
        window: Duration,
        now: Instant,
    ) -> Option<Explained> {
        let e = self.map.get(&(channel, code))?;
        (now.saturating_duration_since(e.at) < window).then(|| e.clone())
    }

    /// Claims the explanation of `code` in `channel` for the reply to
    /// `trigger_id` that is about to be sent, unless one younger than
    /// `window` exists: that one is returned instead. Check and claim are one
    /// step, so two messages handled at once never both explain a code.
    pub fn claim(
        &self,
        channel: u64,
        code: AadstsCode,
        trigger_id: u64,
        window: Duration,
        now: Instant,
    ) -> Result<(), Explained> {
        use dashmap::mapref::entry::Entry;
        let claimed = Explained {
            at: now,
            reply_id: 0,
            trigger_id,
        };
        match self.map.entry((channel, code)) {
            Entry::Occupied(e) if now.saturating_duration_since(e.get().at) < window => {
                return Err(e.get().clone());
            }
            Entry::Occupied(mut e) => {
                e.insert(claimed);
            }
            Entry::Vacant(e) => {
                e.insert(claimed);
            }
        }
        self.prune(window, now);
        Ok(())
    }

    /// Records that `code` was explained in `channel` by message `reply_id`
    /// (answering `trigger_id`).
    pub fn record(
        &self,
        channel: u64,
        code: AadstsCode,
        trigger_id: u64,
        reply_id: u64,
        window: Duration,
        now: Instant,
    ) {
        self.map.insert(
            (channel, code),
            Explained {
                at: now,
                reply_id,
                trigger_id,
            },
        );
        self.prune(window, now);
    }

    /// Drops the claims of the reply to `trigger_id`, which was not sent.
    pub fn release(&self, trigger_id: u64) {
        self.map
            .retain(|_, e| !(e.reply_id == 0 && e.trigger_id == trigger_id));
    }

    fn prune(&self, window: Duration, now: Instant) {
        if self.map.len() > self.max_entries {
            self.map
                .retain(|_, e| now.saturating_duration_since(e.at) < window);
        }
    }

    /// Forgets an explanation (its reply was deleted).
    pub fn forget_reply(&self, reply_id: u64) {
        self.map.retain(|_, e| e.reply_id != reply_id);
    }

    /// Number of remembered explanations.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Our reply to one message, so edits and deletes of that message can
/// update or remove it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyRecord {
    /// Channel (or thread) of both messages.
    pub channel_id: u64,
    /// Our reply's id.
    pub reply_id: u64,
    /// The codes the reply explains, in order.
    pub codes: Vec<AadstsCode>,
}

/// Message id -> our reply, holding the newest `capacity` pairs.
#[derive(Debug)]
pub struct ReplyMap {
    inner: Mutex<(HashMap<u64, ReplyRecord>, VecDeque<u64>)>,
    capacity: usize,
}

impl ReplyMap {
    /// A map that forgets the oldest pairs beyond `capacity`.
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new((HashMap::new(), VecDeque::new())),
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (HashMap<u64, ReplyRecord>, VecDeque<u64>)> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Remembers (or replaces) the reply to `message_id`.
    pub fn insert(&self, message_id: u64, record: ReplyRecord) {
        let mut guard = self.lock();
        let (map, order) = &mut *guard;
        if map.insert(message_id, record).is_none() {
            order.push_back(message_id);
        }
        while map.len() > self.capacity {
            match order.pop_front() {
                Some(old) => {
                    map.remove(&old);
                }
                None => break,
            }
        }
    }

    /// Our reply to `message_id`, if remembered.
    pub fn get(&self, message_id: u64) -> Option<ReplyRecord> {
        self.lock().0.get(&message_id).cloned()
    }

    /// Forgets and returns our reply to `message_id`.
    pub fn remove(&self, message_id: u64) -> Option<ReplyRecord> {
        let mut guard = self.lock();
        let (map, order) = &mut *guard;
        let record = map.remove(&message_id)?;
        order.retain(|&id| id != message_id);
        Some(record)
    }

    /// Forgets whichever message our reply `reply_id` answered.
    pub fn remove_reply(&self, reply_id: u64) -> Option<u64> {
        let mut guard = self.lock();
        let (map, order) = &mut *guard;
        let message_id = map
            .iter()
            .find(|(_, r)| r.reply_id == reply_id)
            .map(|(&m, _)| m)?;
        map.remove(&message_id);
        order.retain(|&id| id != message_id);
        Some(message_id)
    }

    /// Number of remembered pairs.
    pub fn len(&self) -> usize {
        self.lock().0.len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: u32, version: u32) -> RenderKey {
        RenderKey {
            code: AadstsCode::new(code).unwrap(),
            version,
            host: "login.microsoftonline.com",
        }
    }

    fn embed(title: &str) -> EmbedSpec {
        EmbedSpec {
            title: title.into(),
            url: None,
            description: String::new(),
            colour: 0,
            fields: Vec::new(),
            footer: None,
        }
    }

    #[test]
    fn second_lookup_hits_without_rendering() {
        let cache = RenderCache::default();
        let first = cache.get_or_render(key(50076, 1), || embed("a"));
        let second = cache.get_or_render(key(50076, 1), || panic!("rendered twice"));
        assert!(Arc::ptr_eq(&first, &second));
        assert_eq!(
            cache.stats(),
            CacheStats {
                hits: 1,
                misses: 1,
                len: 1
            }
        );
    }

    #[test]
    fn new_version_renders_again_and_old_ones_can_go() {
        let cache = RenderCache::default();
        cache.get_or_render(key(50076, 1), || embed("old"));
        let new = cache.get_or_render(key(50076, 2), || embed("new"));
        assert_eq!(new.title, "new");
        cache.retain_version(2);
        assert_eq!(cache.stats().len, 1);
    }

    #[test]
    fn cooldown_window() {
        let c = Cooldowns::new(100);
        let t0 = Instant::now();
        let code = AadstsCode::new(50076).unwrap();
        let w = Duration::from_secs(600);
        assert!(c.recent(1, code, w, t0).is_none());
        c.record(1, code, 5, 77, w, t0);
        assert_eq!(
            c.recent(1, code, w, t0 + Duration::from_secs(599))
                .unwrap()
                .reply_id,
            77
        );
        assert!(c.recent(1, code, w, t0 + w).is_none());
        assert!(c.recent(2, code, w, t0).is_none());
        c.forget_reply(77);
        assert!(c.recent(1, code, w, t0).is_none());
    }

    #[test]
    fn a_claim_holds_the_code_until_the_reply_is_recorded_or_released() {
        let c = Cooldowns::new(100);
        let t0 = Instant::now();
        let code = AadstsCode::new(50076).unwrap();
        let w = Duration::from_secs(600);
        assert_eq!(c.claim(1, code, 10, w, t0), Ok(()));
        // A second message meanwhile points at the first one's message.
        let earlier = c.claim(1, code, 11, w, t0).unwrap_err();
        assert_eq!((earlier.reply_id, earlier.link_target()), (0, 10));
        assert_eq!(
            c.claim(2, code, 12, w, t0),
            Ok(()),
            "other channels are apart"
        );
        c.record(1, code, 10, 77, w, t0);
        assert_eq!(c.claim(1, code, 13, w, t0).unwrap_err().link_target(), 77);
        // A claim whose reply was never sent is let go.
        c.release(12);
        assert_eq!(c.claim(2, code, 14, w, t0), Ok(()));
        // An expired explanation can be claimed again.
        assert_eq!(c.claim(1, code, 15, w, t0 + w), Ok(()));
    }

    #[test]
    fn cooldowns_stay_bounded() {
        let c = Cooldowns::new(10);
        let t0 = Instant::now();
        let w = Duration::from_secs(1);
        for ch in 0..50u64 {
            c.record(
                ch,
                AadstsCode::new(1).unwrap(),
                ch,
                ch + 1,
                w,
                t0 + Duration::from_secs(ch),
            );
        }
        assert!(c.len() <= 11, "{}", c.len());
    }

    fn record(reply_id: u64) -> ReplyRecord {
        ReplyRecord {
            channel_id: 1,
            reply_id,
            codes: vec![AadstsCode::new(50076).unwrap()],
        }
    }

    #[test]
    fn reply_map_remembers_and_forgets() {
        let m = ReplyMap::new(10);
        m.insert(100, record(200));
        assert_eq!(m.get(100).unwrap().reply_id, 200);
        m.insert(100, record(201));
        assert_eq!(m.len(), 1);
        assert_eq!(m.remove_reply(201), Some(100));
        assert!(m.get(100).is_none());
        m.insert(101, record(202));
        assert_eq!(m.remove(101).unwrap().reply_id, 202);
        assert!(m.is_empty());
    }

    #[test]
    fn reply_map_is_bounded_oldest_first() {
        let m = ReplyMap::new(3);
        for id in 0..5 {
            m.insert(id, record(id + 100));
        }
        assert_eq!(m.len(), 3);
        assert!(m.get(0).is_none() && m.get(1).is_none());
        assert!(m.get(4).is_some());
    }
}
