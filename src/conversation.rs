//! Purpose: the auto-reply policy, without Discord. A message (or its edit,
//! or its deletion) comes in as plain ids and bytes; what to post, edit or
//! delete goes out as plain data. Cooldowns, "explained above" pointers,
//! per-message dedupe and the bookkeeping that lets an edit or a delete find
//! our reply all live here, so every rule is tested on a fake clock.
//!
//! The caller (the bot) keeps one order per channel: it asks, sends what it
//! was told, and reports back ([`Conversations::posted`],
//! [`Conversations::edited`]) before the next event of that channel.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::cache::{Cooldowns, ReplyMap, ReplyRecord};
use crate::code::AadstsCode;
use crate::detect::{self, Detection};
use crate::engine::Engine;
use crate::render::{self, ReplySpec};
use crate::text;

/// In a thread, a code explained earlier in the same thread gets a pointer
/// for this long (channels use their cooldown).
pub const THREAD_MEMORY: Duration = Duration::from_secs(24 * 60 * 60);
/// Replies remembered for edits and deletes.
const REMEMBERED_REPLIES: usize = 10_000;
/// Cooldown entries kept before stale ones are pruned.
const REMEMBERED_COOLDOWNS: usize = 50_000;
/// Message ids remembered for dedupe (a replayed or doubly delivered event).
const REMEMBERED_MESSAGES: usize = 50_000;

/// A message (new or edited) in a channel where auto-replies are on.
#[derive(Debug, Clone, Copy)]
pub struct Trigger<'a> {
    /// The server.
    pub guild_id: u64,
    /// The channel or thread the message is in.
    pub channel_id: u64,
    /// The message.
    pub message_id: u64,
    /// Its author (for the dismiss button).
    pub author_id: u64,
    /// True in a thread or forum post (pointers last [`THREAD_MEMORY`]).
    pub in_thread: bool,
    /// The server's cooldown per channel and code.
    pub cooldown: Duration,
    /// The message text plus its readable attachments.
    pub text: &'a [u8],
    /// Some of the text was read from screenshots (the reply says so).
    pub from_image: bool,
}

impl Trigger<'_> {
    fn window(&self) -> Duration {
        if self.in_thread {
            THREAD_MEMORY.max(self.cooldown)
        } else {
            self.cooldown
        }
    }
}

/// A reply to post.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// Where to post it.
    pub channel_id: u64,
    /// The message it answers.
    pub trigger_id: u64,
    /// The trigger's author (may dismiss the reply).
    pub author_id: u64,
    /// What to post.
    pub reply: ReplySpec,
    /// Every code the trigger holds, in order.
    pub codes: Vec<AadstsCode>,
    /// The codes explained in full (the others got pointers); the first
    /// embeds of `reply` explain them, in this order.
    pub fresh: Vec<AadstsCode>,
    /// The sign-in host the paste showed (for lookup links).
    pub host: &'static str,
    window: Duration,
}

/// An edit of one of our replies.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    /// Channel of the reply.
    pub channel_id: u64,
    /// Our reply.
    pub reply_id: u64,
    /// The edited message.
    pub trigger_id: u64,
    /// The reply's new body.
    pub reply: ReplySpec,
    /// Every code the edited message holds.
    pub codes: Vec<AadstsCode>,
    /// The codes explained in full.
    pub fresh: Vec<AadstsCode>,
    /// The sign-in host the paste showed.
    pub host: &'static str,
    window: Duration,
}

/// What the bot should do about an event.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Nothing to send.
    Nothing,
    /// Post a reply, then call [`Conversations::posted`].
    Post(Outgoing),
    /// Edit our reply, then call [`Conversations::edited`].
    Edit(Revision),
    /// Delete our reply (the bookkeeping is already done).
    Delete {
        /// Channel of the reply.
        channel_id: u64,
        /// Our reply.
        reply_id: u64,
    },
}

/// The auto-reply state of every channel this process serves.
#[derive(Debug)]
pub struct Conversations {
    engine: Arc<Engine>,
    cooldowns: Cooldowns,
    replies: ReplyMap,
    seen: Mutex<SeenSet>,
    /// Triggers whose reply is being sent; `true` once the trigger was deleted.
    in_flight: Mutex<HashMap<u64, bool>>,
}

impl Conversations {
    /// The policy over `engine`'s knowledge.
    pub fn new(engine: Arc<Engine>) -> Self {
        Self {
            engine,
            cooldowns: Cooldowns::new(REMEMBERED_COOLDOWNS),
            replies: ReplyMap::new(REMEMBERED_REPLIES),
            seen: Mutex::new(SeenSet::new(REMEMBERED_MESSAGES)),
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    /// The engine replies are built with.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// A new message: the reply to post, if it deserves one. A message id
    /// seen before (a replayed or doubly delivered event) gets nothing.
    pub fn message(&self, trigger: &Trigger<'_>, now: Instant) -> Option<Outgoing> {
        if !lock(&self.seen).insert(trigger.message_id) {
            return None;
        }
        self.plan(trigger, now)
    }

    /// Builds the reply for `trigger` (new or edited without a reply yet)
    /// and marks it in flight.
    fn plan(&self, trigger: &Trigger<'_>, now: Instant) -> Option<Outgoing> {
        let detection = detect::detect(trigger.text);
        let secret = secret_in(&detection, trigger.text);
        if detection.codes.is_empty() && !secret {
            return None;
        }
        let (reply, fresh) = self.compose(trigger, &detection, secret, None, now);
        lock(&self.in_flight).insert(trigger.message_id, false);
        Some(Outgoing {
            channel_id: trigger.channel_id,
            trigger_id: trigger.message_id,
            author_id: trigger.author_id,
            reply,
            codes: codes_of(&detection),
            fresh,
            host: render::lookup_host(detection.context.host.as_deref()),
            window: trigger.window(),
        })
    }

    /// The reply body: full embeds for codes not explained here recently,
    /// pointer lines for the others. `own` is the reply being revised, whose
    /// own explanations don't count as "above"; a new reply (`own` is
    /// `None`) claims its fresh codes at once, so a message handled while it
    /// is being sent points at it instead of explaining them again.
    fn compose(
        &self,
        trigger: &Trigger<'_>,
        detection: &Detection,
        secret: bool,
        own: Option<u64>,
        now: Instant,
    ) -> (ReplySpec, Vec<AadstsCode>) {
        let window = trigger.window();
        let mut fresh = Vec::new();
        let mut pointers = Vec::new();
        if trigger.from_image && !detection.codes.is_empty() {
            pointers.push(text::READ_FROM_IMAGE.to_owned());
        }
        for found in &detection.codes {
            let (channel, code) = (trigger.channel_id, found.code);
            let earlier = match own {
                None => self
                    .cooldowns
                    .claim(channel, code, trigger.message_id, window, now)
                    .err(),
                Some(own) => self
                    .cooldowns
                    .recent(channel, code, window, now)
                    .filter(|earlier| earlier.reply_id != own),
            };
            match earlier {
                Some(earlier) => {
                    let link = jump_link(trigger.guild_id, channel, earlier.link_target());
                    pointers.push(text::explained_above(found.code, &link));
                }
                None => fresh.push(found.code),
            }
        }
        let host = render::lookup_host(detection.context.host.as_deref());
        let details = if fresh.is_empty() {
            None
        } else {
            render::details(&detection.context)
        };
        let mut reply = self.engine.reply_for_codes(&fresh, host, details, secret);
        pointers.extend(reply.content.take());
        reply.content = (!pointers.is_empty())
            .then(|| render::truncate(&pointers.join("\n"), render::limits::CONTENT));
        (reply, fresh)
    }

    /// Is the reply to `trigger_id` still wanted? False once the trigger
    /// was deleted (or was never planned): stop retrying it.
    pub fn still_wanted(&self, trigger_id: u64) -> bool {
        lock(&self.in_flight).get(&trigger_id) == Some(&false)
    }

    /// Our reply `reply_id` to `out` was posted. Returns false when the
    /// trigger was deleted meanwhile: the caller deletes the reply again.
    pub fn posted(&self, out: &Outgoing, reply_id: u64, now: Instant) -> bool {
        let deleted = lock(&self.in_flight)
            .remove(&out.trigger_id)
            .unwrap_or(false);
        if deleted {
            self.cooldowns.release(out.trigger_id);
            return false;
        }
        for &code in &out.fresh {
            self.cooldowns.record(
                out.channel_id,
                code,
                out.trigger_id,
                reply_id,
                out.window,
                now,
            );
        }
        self.replies.insert(
            out.trigger_id,
            ReplyRecord {
                channel_id: out.channel_id,
                reply_id,
                codes: out.codes.clone(),
            },
        );
        true
    }

    /// The reply to `trigger_id` was given up (too old, or refused).
    pub fn abandoned(&self, trigger_id: u64) {
        lock(&self.in_flight).remove(&trigger_id);
        self.cooldowns.release(trigger_id);
    }

    /// An edited message. `author_known` is false for partial updates
    /// (Discord's embed unfurls), which never start a new reply.
    pub fn edit(&self, trigger: &Trigger<'_>, author_known: bool, now: Instant) -> Action {
        if lock(&self.in_flight).contains_key(&trigger.message_id) {
            // The first reply is still on its way; it answers the old text.
            return Action::Nothing;
        }
        let Some(old) = self.replies.get(trigger.message_id) else {
            if !author_known {
                return Action::Nothing;
            }
            lock(&self.seen).insert(trigger.message_id);
            return self
                .plan(trigger, now)
                .map_or(Action::Nothing, Action::Post);
        };
        let detection = detect::detect(trigger.text);
        let secret = secret_in(&detection, trigger.text);
        let codes = codes_of(&detection);
        if codes.is_empty() && !secret {
            self.replies.remove(trigger.message_id);
            self.cooldowns.forget_reply(old.reply_id);
            return Action::Delete {
                channel_id: old.channel_id,
                reply_id: old.reply_id,
            };
        }
        if codes == old.codes {
            return Action::Nothing;
        }
        let (reply, fresh) = self.compose(trigger, &detection, secret, Some(old.reply_id), now);
        Action::Edit(Revision {
            channel_id: old.channel_id,
            reply_id: old.reply_id,
            trigger_id: trigger.message_id,
            reply,
            codes,
            fresh,
            host: render::lookup_host(detection.context.host.as_deref()),
            window: trigger.window(),
        })
    }

    /// The revision was applied to our reply.
    pub fn edited(&self, rev: &Revision, now: Instant) {
        self.cooldowns.forget_reply(rev.reply_id);
        for &code in &rev.fresh {
            self.cooldowns.record(
                rev.channel_id,
                code,
                rev.trigger_id,
                rev.reply_id,
                rev.window,
                now,
            );
        }
        self.replies.insert(
            rev.trigger_id,
            ReplyRecord {
                channel_id: rev.channel_id,
                reply_id: rev.reply_id,
                codes: rev.codes.clone(),
            },
        );
    }

    /// A deleted message: our reply to it goes too. If the message was our
    /// own reply, forget it so the next paste is answered in full.
    pub fn deleted(&self, message_id: u64) -> Action {
        if let Some(deleted) = lock(&self.in_flight).get_mut(&message_id) {
            *deleted = true;
            return Action::Nothing;
        }
        if let Some(old) = self.replies.remove(message_id) {
            self.cooldowns.forget_reply(old.reply_id);
            return Action::Delete {
                channel_id: old.channel_id,
                reply_id: old.reply_id,
            };
        }
        self.forget_reply(message_id);
        // Deleted before we planned a reply (its attachments were still
        // downloading): a late `message` for it gets nothing.
        lock(&self.seen).insert(message_id);
        Action::Nothing
    }

    /// Our reply was dismissed or deleted by someone.
    pub fn forget_reply(&self, reply_id: u64) {
        self.replies.remove_reply(reply_id);
        self.cooldowns.forget_reply(reply_id);
    }

    /// Replies being sent right now (for shutdown logs).
    pub fn in_flight(&self) -> Vec<u64> {
        lock(&self.in_flight).keys().copied().collect()
    }
}

/// Does the text hold a secret? The detection already knows when it found a
/// code (it scans for secrets only then); otherwise scan once here.
fn secret_in(detection: &Detection, text: &[u8]) -> bool {
    if detection.codes.is_empty() {
        detect::has_secret(text)
    } else {
        detection.has_secret()
    }
}

fn codes_of(detection: &Detection) -> Vec<AadstsCode> {
    detection.codes.iter().map(|f| f.code).collect()
}

/// The link Discord opens at a message.
pub fn jump_link(guild_id: u64, channel_id: u64, message_id: u64) -> String {
    format!("https://discord.com/channels/{guild_id}/{channel_id}/{message_id}")
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The newest `capacity` message ids.
#[derive(Debug)]
struct SeenSet {
    set: HashSet<u64>,
    order: VecDeque<u64>,
    capacity: usize,
}

impl SeenSet {
    fn new(capacity: usize) -> Self {
        Self {
            set: HashSet::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// True when `id` was not seen before.
    fn insert(&mut self, id: u64) -> bool {
        if !self.set.insert(id) {
            return false;
        }
        self.order.push_back(id);
        while self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Knowledge;

    const KB: &str = "[[error]]\ncode = 50076\nname = \"UserStrongAuthClientAuthNRequired\"\ntitle = \"MFA required\"\nseverity = \"medium\"\ncategory = \"mfa\"\nmeaning = \"A second factor is needed.\"\ncauses = [\"A policy asks for MFA.\"]\nfixes = [\"User: complete the MFA prompt.\"]\nsource = \"learn\"\n\n[[error]]\ncode = 50126\ntitle = \"Wrong password\"\nseverity = \"medium\"\ncategory = \"credentials\"\nmeaning = \"The password is wrong.\"\ncauses = [\"A typo.\"]\nfixes = [\"User: type it again.\"]\nsource = \"learn\"\n";
    const MINUTE: Duration = Duration::from_secs(60);

    fn conversations() -> Conversations {
        let knowledge = Knowledge::from_sources(&[("extra.toml", KB)], None).unwrap();
        Conversations::new(Arc::new(Engine::new(knowledge)))
    }

    fn trigger(message_id: u64, text: &str) -> Trigger<'_> {
        Trigger {
            guild_id: 1,
            channel_id: 10,
            message_id,
            author_id: 7,
            in_thread: false,
            cooldown: 10 * MINUTE,
            text: text.as_bytes(),
            from_image: false,
        }
    }

    fn code(n: u32) -> AadstsCode {
        AadstsCode::new(n).unwrap()
    }

    /// Posts the reply to `t` as message `reply_id` at `now`.
    fn answer(c: &Conversations, t: &Trigger<'_>, reply_id: u64, now: Instant) -> Outgoing {
        let out = c.message(t, now).expect("a reply");
        assert!(c.posted(&out, reply_id, now));
        out
    }

    #[test]
    fn a_code_gets_one_embed() {
        let c = conversations();
        let out = answer(&c, &trigger(100, "AADSTS50076"), 500, Instant::now());
        assert_eq!(out.reply.embeds.len(), 1);
        assert_eq!(out.fresh, vec![code(50076)]);
        assert_eq!(out.reply.content, None);
    }

    #[test]
    fn no_code_no_reply() {
        let c = conversations();
        assert!(c
            .message(&trigger(100, "all fine"), Instant::now())
            .is_none());
    }

    #[test]
    fn the_same_message_twice_is_answered_once() {
        let c = conversations();
        let now = Instant::now();
        answer(&c, &trigger(100, "AADSTS50076"), 500, now);
        assert!(c.message(&trigger(100, "AADSTS50076"), now).is_none());
    }

    #[test]
    fn a_repeat_while_the_first_reply_is_on_its_way_points_at_its_message() {
        let c = conversations();
        let t0 = Instant::now();
        let first = c.message(&trigger(100, "AADSTS50076"), t0).unwrap();
        let second = c.message(&trigger(101, "me too AADSTS50076"), t0).unwrap();
        assert!(second.fresh.is_empty() && second.reply.embeds.is_empty());
        let content = second.reply.content.unwrap();
        assert!(
            content.contains("https://discord.com/channels/1/10/100"),
            "links the first message, whose reply lands below it: {content}"
        );
        // Once posted, later pointers link the reply itself.
        assert!(c.posted(&first, 500, t0));
        let third = c.message(&trigger(102, "AADSTS50076"), t0).unwrap();
        assert!(third.reply.content.unwrap().contains("/10/500"));
    }

    #[test]
    fn a_reply_given_up_leaves_its_codes_to_the_next_message() {
        let c = conversations();
        let t0 = Instant::now();
        let _lost = c.message(&trigger(100, "AADSTS50076"), t0).unwrap();
        c.abandoned(100);
        let next = c.message(&trigger(101, "AADSTS50076"), t0).unwrap();
        assert_eq!(next.fresh, vec![code(50076)]);
        // The same when the message went while its reply was being sent.
        c.deleted(101);
        assert!(!c.posted(&next, 501, t0));
        let after = c.message(&trigger(102, "AADSTS50076"), t0).unwrap();
        assert_eq!(after.fresh, vec![code(50076)]);
    }

    #[test]
    fn a_repeat_within_the_cooldown_gets_a_pointer() {
        let c = conversations();
        let t0 = Instant::now();
        answer(&c, &trigger(100, "AADSTS50076"), 500, t0);
        let out = c
            .message(&trigger(101, "again AADSTS50076"), t0 + 9 * MINUTE)
            .unwrap();
        assert!(out.reply.embeds.is_empty());
        assert!(out.fresh.is_empty());
        let content = out.reply.content.unwrap();
        assert!(content.contains("AADSTS50076"), "{content}");
        assert!(
            content.contains("https://discord.com/channels/1/10/500"),
            "{content}"
        );
    }

    #[test]
    fn after_the_cooldown_the_code_is_explained_again() {
        let c = conversations();
        let t0 = Instant::now();
        answer(&c, &trigger(100, "AADSTS50076"), 500, t0);
        let out = c
            .message(&trigger(101, "AADSTS50076"), t0 + 10 * MINUTE)
            .unwrap();
        assert_eq!(out.fresh, vec![code(50076)]);
    }

    #[test]
    fn cooldown_is_per_channel() {
        let c = conversations();
        let t0 = Instant::now();
        answer(&c, &trigger(100, "AADSTS50076"), 500, t0);
        let other = Trigger {
            channel_id: 11,
            ..trigger(101, "AADSTS50076")
        };
        assert_eq!(c.message(&other, t0).unwrap().fresh, vec![code(50076)]);
    }

    #[test]
    fn zero_cooldown_explains_every_time() {
        let c = conversations();
        let t0 = Instant::now();
        let zero = |id| Trigger {
            cooldown: Duration::ZERO,
            ..trigger(id, "AADSTS50076")
        };
        answer(&c, &zero(100), 500, t0);
        assert_eq!(c.message(&zero(101), t0).unwrap().fresh, vec![code(50076)]);
    }

    #[test]
    fn threads_remember_for_a_day() {
        let c = conversations();
        let t0 = Instant::now();
        let in_thread = |id| Trigger {
            in_thread: true,
            cooldown: Duration::ZERO,
            ..trigger(id, "AADSTS50076")
        };
        answer(&c, &in_thread(100), 500, t0);
        let later = c.message(&in_thread(101), t0 + 23 * 60 * MINUTE).unwrap();
        assert!(later.fresh.is_empty());
        let next_day = c.message(&in_thread(102), t0 + 24 * 60 * MINUTE).unwrap();
        assert_eq!(next_day.fresh, vec![code(50076)]);
    }

    #[test]
    fn mixed_message_explains_new_codes_and_points_at_old_ones() {
        let c = conversations();
        let t0 = Instant::now();
        answer(&c, &trigger(100, "AADSTS50076"), 500, t0);
        let out = c
            .message(&trigger(101, "AADSTS50076 then AADSTS50126"), t0)
            .unwrap();
        assert_eq!(out.fresh, vec![code(50126)]);
        assert_eq!(out.reply.embeds.len(), 1);
        assert!(out.reply.content.unwrap().contains("AADSTS50076"));
    }

    #[test]
    fn an_unposted_reply_records_no_cooldown() {
        let c = conversations();
        let t0 = Instant::now();
        let out = c.message(&trigger(100, "AADSTS50076"), t0).unwrap();
        c.abandoned(out.trigger_id);
        assert_eq!(
            c.message(&trigger(101, "AADSTS50076"), t0).unwrap().fresh,
            vec![code(50076)]
        );
    }

    #[test]
    fn a_secret_without_a_code_gets_the_warning() {
        let c = conversations();
        let t = trigger(100, "client_secret=abcDEF123456789abcdefXYZ0123456789");
        let out = c.message(&t, Instant::now()).unwrap();
        assert!(out.reply.embeds.is_empty());
        assert_eq!(out.reply.content.as_deref(), Some(text::SECRET_WARNING));
    }

    #[test]
    fn deleting_the_message_deletes_the_reply_and_its_cooldown() {
        let c = conversations();
        let t0 = Instant::now();
        answer(&c, &trigger(100, "AADSTS50076"), 500, t0);
        assert_eq!(
            c.deleted(100),
            Action::Delete {
                channel_id: 10,
                reply_id: 500
            }
        );
        assert_eq!(c.deleted(100), Action::Nothing);
        let again = c.message(&trigger(101, "AADSTS50076"), t0).unwrap();
        assert_eq!(again.fresh, vec![code(50076)]);
    }

    #[test]
    fn deleting_while_the_reply_is_on_its_way_cancels_it() {
        let c = conversations();
        let t0 = Instant::now();
        let out = c.message(&trigger(100, "AADSTS50076"), t0).unwrap();
        assert!(c.still_wanted(100));
        assert_eq!(c.deleted(100), Action::Nothing);
        assert!(!c.still_wanted(100));
        // Posted anyway (the request was already out): the caller must delete it.
        assert!(!c.posted(&out, 500, t0));
        assert_eq!(c.deleted(100), Action::Nothing);
        assert_eq!(
            c.message(&trigger(101, "AADSTS50076"), t0).unwrap().fresh,
            vec![code(50076)]
        );
    }

    #[test]
    fn a_message_deleted_before_it_was_planned_gets_no_reply() {
        let c = conversations();
        assert_eq!(c.deleted(100), Action::Nothing);
        assert!(c
            .message(&trigger(100, "AADSTS50076"), Instant::now())
            .is_none());
    }

    #[test]
    fn deleting_our_reply_forgets_it() {
        let c = conversations();
        let t0 = Instant::now();
        answer(&c, &trigger(100, "AADSTS50076"), 500, t0);
        assert_eq!(c.deleted(500), Action::Nothing);
        assert_eq!(
            c.message(&trigger(101, "AADSTS50076"), t0).unwrap().fresh,
            vec![code(50076)]
        );
        // The original message's later deletion finds nothing to delete.
        assert_eq!(c.deleted(100), Action::Nothing);
    }

    #[test]
    fn dismissing_forgets_the_reply_and_cooldown() {
        let c = conversations();
        let t0 = Instant::now();
        answer(&c, &trigger(100, "AADSTS50076"), 500, t0);
        c.forget_reply(500);
        assert_eq!(c.deleted(100), Action::Nothing);
        assert_eq!(
            c.message(&trigger(101, "AADSTS50076"), t0).unwrap().fresh,
            vec![code(50076)]
        );
    }

    #[test]
    fn edit_removing_every_code_deletes_the_reply() {
        let c = conversations();
        let t0 = Instant::now();
        answer(&c, &trigger(100, "AADSTS50076"), 500, t0);
        assert_eq!(
            c.edit(&trigger(100, "fixed it"), true, t0),
            Action::Delete {
                channel_id: 10,
                reply_id: 500
            }
        );
        assert_eq!(
            c.message(&trigger(101, "AADSTS50076"), t0).unwrap().fresh,
            vec![code(50076)]
        );
    }

    #[test]
    fn edit_with_the_same_codes_changes_nothing() {
        let c = conversations();
        let t0 = Instant::now();
        answer(&c, &trigger(100, "AADSTS50076"), 500, t0);
        assert_eq!(
            c.edit(&trigger(100, "typo fixed: AADSTS50076"), true, t0),
            Action::Nothing
        );
    }

    #[test]
    fn edit_adding_a_code_revises_the_reply_keeping_its_own_codes() {
        let c = conversations();
        let t0 = Instant::now();
        answer(&c, &trigger(100, "AADSTS50076"), 500, t0);
        let Action::Edit(rev) = c.edit(&trigger(100, "AADSTS50076 AADSTS50126"), true, t0) else {
            panic!("expected an edit")
        };
        // Its own earlier explanation is not "above": both are explained.
        assert_eq!(rev.fresh, vec![code(50076), code(50126)]);
        assert_eq!(rev.reply.embeds.len(), 2);
        c.edited(&rev, t0);
        let next = c.message(&trigger(101, "AADSTS50126"), t0).unwrap();
        assert!(next.fresh.is_empty(), "the edit recorded a cooldown");
    }

    #[test]
    fn editing_in_a_recently_explained_code_gets_a_pointer() {
        let c = conversations();
        let t0 = Instant::now();
        answer(&c, &trigger(100, "AADSTS50076"), 500, t0);
        answer(&c, &trigger(101, "AADSTS50126"), 501, t0);
        let Action::Edit(rev) = c.edit(&trigger(101, "AADSTS50126 and AADSTS50076"), true, t0)
        else {
            panic!("expected an edit")
        };
        assert_eq!(rev.fresh, vec![code(50126)]);
        assert!(rev
            .reply
            .content
            .unwrap()
            .contains("https://discord.com/channels/1/10/500"));
    }

    #[test]
    fn edit_that_adds_a_first_code_posts_with_the_cooldown_applied() {
        let c = conversations();
        let t0 = Instant::now();
        answer(&c, &trigger(100, "AADSTS50076"), 500, t0);
        assert!(c.message(&trigger(101, "no code yet"), t0).is_none());
        let Action::Post(out) = c.edit(&trigger(101, "now AADSTS50076"), true, t0) else {
            panic!("expected a post")
        };
        assert!(out.fresh.is_empty(), "recently explained: a pointer");
        assert!(c.posted(&out, 501, t0));
        // A replay of the edited message's create event is not answered again.
        assert!(c.message(&trigger(101, "now AADSTS50076"), t0).is_none());
    }

    #[test]
    fn partial_updates_never_start_a_reply() {
        let c = conversations();
        assert_eq!(
            c.edit(&trigger(100, "AADSTS50076"), false, Instant::now()),
            Action::Nothing
        );
    }

    #[test]
    fn an_edit_while_the_first_reply_is_in_flight_waits() {
        let c = conversations();
        let t0 = Instant::now();
        let _out = c.message(&trigger(100, "AADSTS50076"), t0).unwrap();
        assert_eq!(
            c.edit(&trigger(100, "AADSTS50126"), true, t0),
            Action::Nothing
        );
        assert_eq!(c.in_flight(), vec![100]);
    }

    #[test]
    fn dedupe_memory_is_bounded() {
        let mut seen = SeenSet::new(3);
        for id in 0..5 {
            assert!(seen.insert(id));
        }
        assert!(!seen.insert(4));
        assert!(seen.insert(0), "the oldest ids are forgotten");
        assert!(seen.set.len() <= 3);
    }
}
