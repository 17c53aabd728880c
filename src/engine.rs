//! Purpose: the one call the bot, the CLI and the console make: text in,
//! reply (as plain data) out. Holds the current knowledge base (swapped
//! atomically on reload) and the render cache.

use std::sync::Arc;

use arc_swap::ArcSwap;
use dashmap::DashMap;

use crate::cache::{CacheStats, RenderCache, RenderKey};
use crate::code::AadstsCode;
use crate::detect::{self, Detection};
use crate::knowledge::Knowledge;
use crate::render::{self, EmbedSpec, ReplySpec, MAX_CODE_EMBEDS};

/// Knowledge plus caches; cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Engine {
    knowledge: ArcSwap<Knowledge>,
    cache: RenderCache,
    /// Embeds for a code whose pasted message matched one of its variants,
    /// keyed by the render key and the variant's position in the entry.
    variant_cache: DashMap<(RenderKey, usize), Arc<EmbedSpec>>,
}

impl Engine {
    /// An engine serving `knowledge`.
    pub fn new(knowledge: Knowledge) -> Self {
        Self {
            knowledge: ArcSwap::from_pointee(knowledge),
            cache: RenderCache::default(),
            variant_cache: DashMap::new(),
        }
    }

    /// The knowledge base in use right now.
    pub fn knowledge(&self) -> Arc<Knowledge> {
        self.knowledge.load_full()
    }

    /// Serves `knowledge` from now on (hot reload); drops stale embeds.
    pub fn replace(&self, knowledge: Knowledge) {
        let version = knowledge.fingerprint();
        self.knowledge.store(Arc::new(knowledge));
        self.cache.retain_version(version);
        self.variant_cache.retain(|(k, _), _| k.version == version);
    }

    /// The embed for one code (cached), with Microsoft's lookup link on
    /// `host` when the code has no entry.
    pub fn explain(&self, code: AadstsCode, host: &'static str) -> Arc<EmbedSpec> {
        let knowledge = self.knowledge.load();
        let key = RenderKey {
            code,
            version: knowledge.fingerprint(),
            host,
        };
        self.cache
            .get_or_render(key, || render::explain_code(&knowledge, code, host))
    }

    /// The embed for one code as it appears in `pasted`: when the text
    /// matches one of the entry's message variants, the embed leads with
    /// that variant (cached per variant); otherwise as [`Engine::explain`].
    pub fn explain_in(
        &self,
        code: AadstsCode,
        host: &'static str,
        pasted: &[u8],
    ) -> Arc<EmbedSpec> {
        let knowledge = self.knowledge.load();
        let variant = knowledge
            .get(code)
            .and_then(|e| Some((e, e.variant_for(pasted)?)));
        let Some((entry, (index, variant))) = variant else {
            return self.explain(code, host);
        };
        let key = RenderKey {
            code,
            version: knowledge.fingerprint(),
            host,
        };
        if let Some(hit) = self.variant_cache.get(&(key, index)) {
            return Arc::clone(&hit);
        }
        let embed = Arc::new(render::explain_variant(entry, variant, knowledge.version()));
        self.variant_cache
            .entry((key, index))
            .or_insert(embed)
            .clone()
    }

    /// The reply for a detection without the pasted text (no message
    /// variants): see [`Engine::reply_with_text`].
    pub fn reply(&self, detection: &Detection, secret_warning: bool) -> ReplySpec {
        self.reply_with_text(detection, b"", secret_warning)
    }

    /// The reply for a detection in `pasted`: an embed for each of the first
    /// codes (leading with the message variant the text matches, if any), a
    /// line naming the rest, the ids block, and the secret warning if asked.
    pub fn reply_with_text(
        &self,
        detection: &Detection,
        pasted: &[u8],
        secret_warning: bool,
    ) -> ReplySpec {
        let host = render::lookup_host(detection.context.host.as_deref());
        let codes: Vec<AadstsCode> = detection.codes.iter().map(|f| f.code).collect();
        let split = codes.len().min(MAX_CODE_EMBEDS);
        let shown = codes[..split]
            .iter()
            .map(|&c| EmbedSpec::clone(&self.explain_in(c, host, pasted)))
            .collect();
        render::reply(
            shown,
            &codes[split..],
            render::details(&detection.context),
            secret_warning,
        )
    }

    /// The reply for codes already known (from a command or a stored reply).
    pub fn reply_for_codes(
        &self,
        codes: &[AadstsCode],
        host: &'static str,
        details: Option<EmbedSpec>,
        secret_warning: bool,
    ) -> ReplySpec {
        self.reply_for_codes_in(codes, host, details, secret_warning, b"")
    }

    /// [`Engine::reply_for_codes`] for codes pasted in `pasted`: each embed
    /// leads with the message variant the text matches, if any.
    pub fn reply_for_codes_in(
        &self,
        codes: &[AadstsCode],
        host: &'static str,
        details: Option<EmbedSpec>,
        secret_warning: bool,
        pasted: &[u8],
    ) -> ReplySpec {
        let split = codes.len().min(MAX_CODE_EMBEDS);
        let shown = codes[..split]
            .iter()
            .map(|&c| EmbedSpec::clone(&self.explain_in(c, host, pasted)))
            .collect();
        render::reply(shown, &codes[split..], details, secret_warning)
    }

    /// Detects codes in `text` and builds the reply; `None` when there is no
    /// code (the bot stays silent).
    pub fn reply_to_text(&self, text: &[u8]) -> Option<ReplySpec> {
        let detection = detect::detect(text);
        if detection.codes.is_empty() {
            return None;
        }
        Some(self.reply_with_text(&detection, text, detect::has_secret(text)))
    }

    /// Render cache counters.
    pub fn cache_stats(&self) -> CacheStats {
        self.cache.stats()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KB: &str = "[[error]]\ncode = 50076\nname = \"UserStrongAuthClientAuthNRequired\"\ntitle = \"MFA required\"\nseverity = \"medium\"\ncategory = \"mfa\"\nmeaning = \"A second factor is needed.\"\ncauses = [\"A policy asks for MFA.\"]\nfixes = [\"User: complete the MFA prompt.\"]\nsource = \"learn\"\n";

    fn engine() -> Engine {
        Engine::new(Knowledge::from_sources(&[("500xx.toml", KB)], None).unwrap())
    }

    #[test]
    fn repeated_lookup_is_served_from_the_cache() {
        let e = engine();
        let text = b"got AADSTS50076 twice: AADSTS50076";
        let first = e.reply_to_text(text).unwrap();
        assert_eq!(e.cache_stats().misses, 1);
        let second = e.reply_to_text(text).unwrap();
        assert_eq!(first, second);
        let stats = e.cache_stats();
        assert_eq!(
            (stats.hits, stats.misses),
            (1, 1),
            "second reply rendered nothing"
        );
    }

    #[test]
    fn thousands_of_codes_get_a_bounded_reply() {
        let text: String = (1..=3000)
            .map(|n| format!("AADSTS{} ", 100_000 + n))
            .collect();
        let reply = engine().reply_to_text(text.as_bytes()).unwrap();
        assert_eq!(reply.embeds.len(), render::MAX_CODE_EMBEDS);
        let content = reply.content.unwrap();
        assert!(content.chars().count() <= render::limits::CONTENT);
        assert!(content.starts_with("Also found: AADSTS100006,"));
        assert!(content.ends_with('…'));
        assert!(reply.embeds.iter().map(EmbedSpec::len).sum::<usize>() <= render::limits::TOTAL);
    }

    #[test]
    fn odd_unicode_and_huge_text_do_not_panic() {
        let mut text = "é👍\u{200b}\u{202e}AADSTS50076\u{0301}".repeat(10_000);
        text.push_str(&"x".repeat(1 << 20));
        let reply = engine().reply_to_text(text.as_bytes()).unwrap();
        assert_eq!(reply.embeds.len(), 1);
    }

    #[test]
    fn no_code_no_reply() {
        assert!(engine().reply_to_text(b"all good here").is_none());
    }

    #[test]
    fn unknown_codes_use_the_pasted_cloud() {
        let e = engine();
        let reply = e
            .reply_to_text(b"https://login.microsoftonline.us/x AADSTS53999")
            .unwrap();
        assert_eq!(
            reply.embeds[0].url.as_deref(),
            Some("https://login.microsoftonline.us/error?code=53999")
        );
    }

    const VARIANTS: &str = "\n[[error.variants]]\nmatch = \"client_secret\"\nmeaning = \"The app sent a secret it should not send.\"\nfixes = [\"Developer: stop sending the secret.\"]\n\n[[error.variants]]\nmatch = \"scope\"\nmeaning = \"The scope part is wrong.\"\n";

    #[test]
    fn a_matching_variant_leads_the_reply() {
        let e = Engine::new(
            Knowledge::from_sources(&[("500xx.toml", &format!("{KB}{VARIANTS}"))], None).unwrap(),
        );
        let plain = e.reply_to_text(b"AADSTS50076 here").unwrap();
        assert!(plain.embeds[0]
            .description
            .starts_with("You can fix this yourself\n**MFA required**"));
        let text = b"AADSTS50076: bad CLIENT_SECRET in request";
        let r = e.reply_to_text(text).unwrap();
        let d = &r.embeds[0].description;
        assert!(d.starts_with("The app's developer needs to act\n"), "{d}");
        assert!(d.contains("The app sent a secret"), "{d}");
        assert!(d.find("secret it").unwrap() < d.find("A second factor").unwrap());
        assert_eq!(r.embeds[0].fields[0].name, crate::text::VARIANT_FIXES);
        // The other variant gets its own cached embed; the plain one is unchanged.
        let s = e.reply_to_text(b"AADSTS50076 scope").unwrap();
        assert!(s.embeds[0].description.contains("The scope part"));
        assert_eq!(e.reply_to_text(text).unwrap(), r);
        assert_eq!(e.reply_to_text(b"AADSTS50076 here").unwrap(), plain);
        assert_eq!(e.variant_cache.len(), 2);
    }

    #[test]
    fn reload_serves_new_knowledge() {
        let e = engine();
        let code = AadstsCode::new(50076).unwrap();
        let host = render::lookup_host(None);
        assert!(e.explain(code, host).description.contains("MFA required"));
        let changed = KB.replace("MFA required", "MFA is needed now");
        e.replace(Knowledge::from_sources(&[("500xx.toml", &changed)], None).unwrap());
        assert!(e
            .explain(code, host)
            .description
            .contains("MFA is needed now"));
    }
}
