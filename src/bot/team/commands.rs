//! Purpose: the team's commands: `/aadsts-config note`, `note-remove`,
//! `notes` and `status` (Manage Server), `/aadsts-help` for everyone and
//! `/aadsts-stats` (Manage Server). Answers go through the commands'
//! `respond` path, ephemeral, mentions off, user text escaped.

use std::time::Instant;

use poise::serenity_prelude as serenity;
use serenity::CreateInteractionResponseMessage;

use aadsts_bot::{render, text, AadstsCode};

use super::super::commands::{guild_id, is_server_manager, respond, saved, say_ephemeral};
use super::super::{Context, Error};
use super::escape;

/// A code typed by an admin (`50076`, `AADSTS50076`).
fn typed_code(code: &str) -> Option<AadstsCode> {
    code.trim().parse::<AadstsCode>().ok()
}

/// Add your team's line under a code's answer in this server
#[poise::command(slash_command, guild_only, check = "is_server_manager")]
pub async fn note(
    ctx: Context<'_>,
    #[description = "The code, e.g. 50076"]
    #[max_length = 20]
    code: String,
    #[description = "Your team's line (at most 500 characters)"]
    #[max_length = 1000]
    text: String,
) -> Result<(), Error> {
    let Some(code) = typed_code(&code) else {
        return say_ephemeral(ctx, text::NOTE_BAD_CODE.to_owned()).await;
    };
    let chars = text.trim().chars().count();
    if chars > text::NOTE_MAX_CHARS {
        return say_ephemeral(ctx, text::team_note_too_long(chars)).await;
    }
    let result = ctx.data().store.set_note(guild_id(&ctx)?, code, &text);
    if saved(ctx, result).await?.is_none() {
        return Ok(());
    }
    tracing::info!(guild_id = ?ctx.guild_id().map(|g| g.get()), code = code.number(), "team note set");
    say_ephemeral(ctx, text::note_saved(code)).await
}

/// Remove your team's note on a code
#[poise::command(
    slash_command,
    rename = "note-remove",
    guild_only,
    check = "is_server_manager"
)]
pub async fn note_remove(
    ctx: Context<'_>,
    #[description = "The code, e.g. 50076"]
    #[max_length = 20]
    code: String,
) -> Result<(), Error> {
    let Some(code) = typed_code(&code) else {
        return say_ephemeral(ctx, text::NOTE_BAD_CODE.to_owned()).await;
    };
    let result = ctx.data().store.remove_note(guild_id(&ctx)?, code);
    let Some(removed) = saved(ctx, result).await? else {
        return Ok(());
    };
    say_ephemeral(ctx, text::note_removed(code, removed)).await
}

/// List your team's notes
#[poise::command(slash_command, guild_only, check = "is_server_manager")]
pub async fn notes(ctx: Context<'_>) -> Result<(), Error> {
    let notes = ctx.data().store.notes(guild_id(&ctx)?);
    if notes.is_empty() {
        return say_ephemeral(ctx, text::NO_NOTES.to_owned()).await;
    }
    let lines: Vec<String> = notes
        .iter()
        .map(|(code, note)| format!("**{code}**: {}", render::truncate(&escape(note), 300)))
        .collect();
    let list = serenity::CreateEmbed::new()
        .title(text::NOTES_HEADING)
        .description(render::truncate(&lines.join("\n"), 4000))
        .colour(render::DETAILS_COLOUR);
    let message = CreateInteractionResponseMessage::new()
        .embed(list)
        .ephemeral(true);
    respond(ctx, Instant::now(), message).await
}

/// Permissions the bot needs in a channel it auto-replies in.
const NEEDED: [(serenity::Permissions, &str); 5] = [
    (serenity::Permissions::VIEW_CHANNEL, "View Channel"),
    (serenity::Permissions::SEND_MESSAGES, "Send Messages"),
    (
        serenity::Permissions::SEND_MESSAGES_IN_THREADS,
        "Send Messages in Threads",
    ),
    (serenity::Permissions::EMBED_LINKS, "Embed Links"),
    (
        serenity::Permissions::READ_MESSAGE_HISTORY,
        "Read Message History",
    ),
];

/// The needed permissions the bot lacks in `channel`, from serenity's cache
/// (roles and channel overwrites); `None` when the cache doesn't hold the
/// server, the channel or our member yet.
pub(crate) fn missing_in(
    ctx: Context<'_>,
    channel: serenity::ChannelId,
) -> Option<Vec<&'static str>> {
    let bot = serenity::UserId::new(*ctx.data().bot_id.get()?);
    let guild = ctx.serenity_context().cache.guild(ctx.guild_id()?)?;
    let channel = guild.channels.get(&channel)?;
    let member = guild.members.get(&bot)?;
    let have = guild.user_permissions_in(channel, member);
    Some(
        NEEDED
            .iter()
            .filter(|(p, _)| !have.contains(*p))
            .map(|(_, name)| *name)
            .collect(),
    )
}

/// Show what is on in this server and whether the bot can post
#[poise::command(slash_command, guild_only, check = "is_server_manager")]
pub async fn status(ctx: Context<'_>) -> Result<(), Error> {
    let data = ctx.data();
    let settings = data.store.guild(guild_id(&ctx)?);
    let mut channels: Vec<u64> = settings.channels.iter().copied().collect();
    channels.sort_unstable();
    let channel_lines = if channels.is_empty() {
        text::STATUS_NO_CHANNELS.to_owned()
    } else {
        channels
            .iter()
            .take(20)
            .map(|&c| {
                let perms = match missing_in(ctx, serenity::ChannelId::new(c)) {
                    Some(missing) if missing.is_empty() => text::PERMISSIONS_OK.to_owned(),
                    Some(missing) => text::missing_permissions(&missing),
                    None => text::PERMISSIONS_UNKNOWN.to_owned(),
                };
                format!("<#{c}>: {perms}")
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let cooldown = settings.cooldown.unwrap_or(data.config.cooldown).as_secs() / 60;
    let embed = serenity::CreateEmbed::new()
        .title(text::STATUS_HEADING)
        .colour(render::DETAILS_COLOUR)
        .field(
            text::STATUS_CHANNELS,
            render::truncate(&channel_lines, 1024),
            false,
        )
        .field(text::STATUS_COOLDOWN, text::minutes(cooldown), true)
        .field(
            text::STATUS_ATTACHMENTS,
            text::on_off(settings.attachments),
            true,
        )
        .field(text::STATUS_OCR, text::NOT_CONFIGURED, true)
        .field(text::STATUS_LIVE, text::NOT_CONFIGURED, true);
    let message = CreateInteractionResponseMessage::new()
        .embed(embed)
        .ephemeral(true);
    respond(ctx, Instant::now(), message).await
}

/// What aadsts-bot does and how to turn it on
#[poise::command(slash_command, rename = "aadsts-help")]
pub async fn aadsts_help(ctx: Context<'_>) -> Result<(), Error> {
    say_ephemeral(ctx, text::HELP.to_owned()).await
}

/// This server's most frequent codes and how helpful the answers were
#[poise::command(
    slash_command,
    rename = "aadsts-stats",
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    check = "is_server_manager"
)]
pub async fn aadsts_stats(ctx: Context<'_>) -> Result<(), Error> {
    let guild = guild_id(&ctx)?;
    let store = &ctx.data().store;
    let knowledge = ctx.data().engine.knowledge();
    let today = aadsts_bot::store::day_number(std::time::SystemTime::now());
    let week = store.usage(guild, super::since_day(today, 7));
    let Some(week) = saved(ctx, week).await? else {
        return Ok(());
    };
    let Some(month) = saved(ctx, store.usage(guild, super::since_day(today, 30))).await? else {
        return Ok(());
    };
    let Some(votes) = saved(ctx, store.votes(guild)).await? else {
        return Ok(());
    };
    let report = super::stats_fields(&knowledge, &week, &month, &votes);
    let mut embed = serenity::CreateEmbed::new()
        .title(text::STATS_HEADING)
        .colour(render::DETAILS_COLOUR);
    for (name, value) in report {
        embed = embed.field(name, value, false);
    }
    let message = CreateInteractionResponseMessage::new()
        .embed(embed)
        .ephemeral(true);
    respond(ctx, Instant::now(), message).await
}
