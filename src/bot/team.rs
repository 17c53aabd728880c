//! Purpose: what a server's team gets around an answer in Discord: the
//! audience buttons ("I'm the user / an admin / the developer") and their
//! ephemeral answers, the "Did this help?" buttons and their votes, and the
//! server's own notes shown under an auto-reply. Built per server here,
//! never in the shared render cache.

use std::time::{Duration, Instant, SystemTime};

use poise::serenity_prelude as serenity;
use serenity::{ButtonStyle, ComponentInteraction, CreateActionRow, CreateButton};

use aadsts_bot::knowledge::Audience;
use aadsts_bot::render::{self, limits, FieldSpec};
use aadsts_bot::store::{Store, VoteOutcome};
use aadsts_bot::{text, AadstsCode, EmbedSpec, Knowledge};

use super::embed;
use super::events::{answer, private};
use super::{Data, Error};

pub mod commands;

/// Custom id prefix of the audience buttons: `aadsts:who:admin:50076,50126`.
pub const WHO_PREFIX: &str = "aadsts:who:";
/// Custom id prefix of the vote buttons: `aadsts:vote:1:50076` (1 helpful, 0 not).
pub const VOTE_PREFIX: &str = "aadsts:vote:";
/// Codes carried in one custom id (Discord allows 100 characters).
const MAX_IDS_CODES: usize = 8;
/// How long a member's vote key is kept (one vote per member per reply).
const VOTE_MEMORY: Duration = Duration::from_secs(90 * 86_400);

/// The codes of `codes` that have an entry, deduplicated, at most
/// [`MAX_IDS_CODES`], as `50076,50126`.
fn code_list(knowledge: &Knowledge, codes: &[AadstsCode]) -> Option<String> {
    let mut known: Vec<u32> = Vec::new();
    for c in codes {
        if knowledge.get(*c).is_some() && !known.contains(&c.number()) {
            known.push(c.number());
        }
        if known.len() == MAX_IDS_CODES {
            break;
        }
    }
    (!known.is_empty()).then(|| {
        known
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",")
    })
}

fn parse_codes(list: &str) -> Vec<AadstsCode> {
    list.split(',')
        .take(MAX_IDS_CODES)
        .filter_map(|n| n.parse::<AadstsCode>().ok())
        .collect()
}

/// The three audience buttons for `codes` (none when no code is known).
pub fn audience_buttons(knowledge: &Knowledge, codes: &[AadstsCode]) -> Vec<CreateButton> {
    let Some(list) = code_list(knowledge, codes) else {
        return Vec::new();
    };
    Audience::ALL
        .iter()
        .map(|who| {
            CreateButton::new(format!("{WHO_PREFIX}{}:{list}", who.as_str()))
                .label(text::audience_label(*who))
                .style(ButtonStyle::Primary)
        })
        .collect()
}

/// The rows under an auto-reply to `author_id`: Dismiss with the audience
/// buttons, then the "Did this help?" buttons.
pub fn reply_rows(
    knowledge: &Knowledge,
    author_id: u64,
    codes: &[AadstsCode],
) -> Vec<CreateActionRow> {
    // Dismiss stays where it always was (first), the audiences follow.
    let mut first = vec![embed::dismiss_button(author_id)];
    first.extend(audience_buttons(knowledge, codes));
    let mut rows = vec![CreateActionRow::Buttons(first)];
    if let Some(list) = code_list(knowledge, codes) {
        rows.push(CreateActionRow::Buttons(vec![
            CreateButton::new(format!("{VOTE_PREFIX}1:{list}"))
                .label(text::VOTE_HELPFUL)
                .emoji('👍')
                .style(ButtonStyle::Secondary),
            CreateButton::new(format!("{VOTE_PREFIX}0:{list}"))
                .label(text::VOTE_NOT_HELPFUL)
                .emoji('👎')
                .style(ButtonStyle::Secondary),
        ]));
    }
    rows
}

/// The rows under a `/aadsts` lookup: the audience buttons only.
pub fn lookup_rows(knowledge: &Knowledge, codes: &[AadstsCode]) -> Vec<CreateActionRow> {
    let buttons = audience_buttons(knowledge, codes);
    if buttons.is_empty() {
        Vec::new()
    } else {
        vec![CreateActionRow::Buttons(buttons)]
    }
}

/// Discord markdown and mentions in `s` made inert.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for ch in s.chars() {
        match ch {
            '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '#' | '[' | ']' | '(' | ')' | '-' | '<'
            | ':' => {
                out.push('\\');
                out.push(ch);
            }
            '@' => out.push_str("@\u{200b}"),
            _ => out.push(ch),
        }
    }
    out
}

/// Whether `spec` is the explanation of `code` (its title opens with it).
fn is_about(spec: &EmbedSpec, code: AadstsCode) -> bool {
    let name = code.to_string();
    spec.title == name || spec.title.starts_with(&format!("{name} "))
}

/// `specs` with the server's note added under each code that has one.
/// A note that would push the message over Discord's limit is left out.
pub fn with_notes(
    store: &Store,
    guild_id: u64,
    specs: &[EmbedSpec],
    codes: &[AadstsCode],
) -> Vec<EmbedSpec> {
    let mut out = specs.to_vec();
    let mut total: usize = out.iter().map(EmbedSpec::len).sum();
    for &code in codes {
        let Some(note) = store.note(guild_id, code) else {
            continue;
        };
        let Some(spec) = out.iter_mut().find(|s| is_about(s, code)) else {
            continue;
        };
        if spec.fields.len() >= limits::FIELDS {
            continue;
        }
        let value = render::truncate(&escape(&note), limits::FIELD_VALUE);
        let added = text::TEAM_NOTE.chars().count() + value.chars().count();
        if total + added > limits::TOTAL {
            continue;
        }
        total += added;
        spec.fields.push(FieldSpec {
            name: text::TEAM_NOTE.to_owned(),
            value,
            inline: false,
        });
    }
    out
}

/// A stable key for a member's vote: the member id never reaches the
/// database (FNV-1a over the server and member ids).
pub fn member_key(guild_id: u64, user_id: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in guild_id
        .to_le_bytes()
        .into_iter()
        .chain(user_id.to_le_bytes())
        .chain(*b"aadsts-vote")
    {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Handles our team buttons; false when `c` is not one of them.
pub async fn on_component(
    data: &Data,
    c: &ComponentInteraction,
    received: Instant,
) -> Result<bool, Error> {
    let id = c.data.custom_id.as_str();
    if let Some(rest) = id.strip_prefix(WHO_PREFIX) {
        on_who(data, c, rest, received).await?;
        Ok(true)
    } else if let Some(rest) = id.strip_prefix(VOTE_PREFIX) {
        on_vote(data, c, rest, received).await?;
        Ok(true)
    } else {
        Ok(false)
    }
}

async fn on_who(
    data: &Data,
    c: &ComponentInteraction,
    rest: &str,
    received: Instant,
) -> Result<(), Error> {
    let (who, list) = rest.split_once(':').unwrap_or((rest, ""));
    let who = Audience::ALL.into_iter().find(|a| a.as_str() == who);
    let knowledge = data.engine.knowledge();
    let embeds: Vec<_> = match who {
        Some(who) => parse_codes(list)
            .into_iter()
            .filter_map(|code| knowledge.get(code))
            .map(|entry| embed::to_embed(&render::audience_steps(entry, who)))
            .collect(),
        None => Vec::new(),
    };
    let message = if embeds.is_empty() {
        serenity::CreateInteractionResponseMessage::new().content(text::AUDIENCE_GONE)
    } else {
        serenity::CreateInteractionResponseMessage::new().embeds(embeds)
    };
    tracing::info!(
        user_id = c.user.id.get(),
        audience = ?who.map(Audience::as_str),
        "audience steps shown"
    );
    answer(data, c.id, &c.token, private(message), received).await
}

async fn on_vote(
    data: &Data,
    c: &ComponentInteraction,
    rest: &str,
    received: Instant,
) -> Result<(), Error> {
    let (side, list) = rest.split_once(':').unwrap_or((rest, ""));
    let helpful = side == "1";
    let codes = parse_codes(list);
    let Some(guild) = c.guild_id.map(|g| g.get()) else {
        return Ok(());
    };
    let key = member_key(guild, c.user.id.get());
    let expires = SystemTime::now() + VOTE_MEMORY;
    let mut outcome = None;
    for code in codes {
        match data
            .store
            .vote(guild, c.message.id.get(), code, key, helpful, expires)
        {
            Ok(o) => {
                outcome.get_or_insert(o);
            }
            Err(e) => {
                tracing::error!(guild_id = guild, "vote not saved: {e}");
                outcome = None;
                break;
            }
        }
    }
    let words = match outcome {
        Some(VoteOutcome::Counted) => text::VOTE_THANKS,
        Some(VoteOutcome::Changed) => text::VOTE_CHANGED,
        Some(VoteOutcome::Unchanged) => text::VOTE_UNCHANGED,
        None => text::VOTE_NOT_SAVED,
    };
    tracing::info!(guild_id = guild, reply_id = c.message.id.get(), helpful, outcome = ?outcome, "vote");
    let message = serenity::CreateInteractionResponseMessage::new().content(words);
    answer(data, c.id, &c.token, private(message), received).await
}

/// The first day of a window of `days` days ending `today` (inclusive).
pub fn since_day(today: u32, days: u32) -> u32 {
    today.saturating_sub(days.saturating_sub(1))
}

/// One list line per code: `` `AADSTS50076` ×12 ``, at most 10.
fn top(counts: &[(AadstsCode, u64)]) -> String {
    if counts.is_empty() {
        return text::STATS_NONE.to_owned();
    }
    counts
        .iter()
        .take(10)
        .map(|(c, n)| format!("`{c}` ×{n}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The fields of `/aadsts-stats`: (name, value).
pub fn stats_fields(
    knowledge: &Knowledge,
    week: &[(AadstsCode, u64)],
    month: &[(AadstsCode, u64)],
    votes: &[(AadstsCode, u64, u64)],
) -> Vec<(&'static str, String)> {
    let unknown: Vec<(AadstsCode, u64)> = month
        .iter()
        .filter(|(c, _)| knowledge.get(*c).is_none())
        .copied()
        .collect();
    let helpful = if votes.is_empty() {
        text::STATS_NONE.to_owned()
    } else {
        votes
            .iter()
            .take(10)
            .map(|(c, yes, no)| {
                let pct = (yes * 100).checked_div(yes + no).unwrap_or(0);
                format!("`{c}` {pct}% ({yes} 👍 / {no} 👎)")
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    vec![
        (text::STATS_7, top(week)),
        (text::STATS_30, top(month)),
        (text::STATS_UNKNOWN, top(&unknown)),
        (text::STATS_HELPFUL, helpful),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_today_and_the_days_before() {
        assert_eq!(since_day(100, 7), 94);
        assert_eq!(since_day(100, 30), 71);
        assert_eq!(since_day(3, 30), 0);
        assert_eq!(since_day(100, 1), 100);
    }

    #[test]
    fn escape_makes_markdown_and_mentions_inert() {
        assert_eq!(
            escape("**hi** @everyone"),
            "\\*\\*hi\\*\\* @\u{200b}everyone"
        );
        assert_eq!(escape("<@123>"), "\\<@\u{200b}123\\>");
    }

    #[test]
    fn member_key_is_stable_and_distinct() {
        assert_eq!(member_key(1, 2), member_key(1, 2));
        assert_ne!(member_key(1, 2), member_key(2, 1));
    }

    #[test]
    fn codes_in_ids_are_bounded() {
        let list = (0..20)
            .map(|i| (50000 + i).to_string())
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(parse_codes(&list).len(), MAX_IDS_CODES);
        assert!(parse_codes("x,,y").is_empty());
    }
}
