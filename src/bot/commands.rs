//! Purpose: the application commands: `/aadsts` (lookup and search, with
//! autocomplete) for everyone, `/aadsts-config` for members with Manage
//! Server, and the message context menu "Explain error codes".

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use poise::serenity_prelude as serenity;
use serenity::{
    AutocompleteChoice, CreateActionRow, CreateInteractionResponse,
    CreateInteractionResponseMessage, CreateSelectMenu, CreateSelectMenuKind,
    CreateSelectMenuOption, EditInteractionResponse,
};

use aadsts_bot::store::StoreError;
use aadsts_bot::{detect, render, text, AadstsCode, ReplySpec};

use super::embed::{self, OPEN_ID};
use super::events;
use super::rest::Patience;
use super::team;
use super::team::commands::{
    aadsts_help, aadsts_stats, missing_in, note, note_remove, notes, status,
};
use super::{Context, Error, SharedData};

/// Answers the command through the bot's own send path (a 429 or 5xx on
/// the callback is retried inside Discord's window), mentions off.
pub(super) async fn respond(
    ctx: Context<'_>,
    received: Instant,
    message: CreateInteractionResponseMessage,
) -> Result<(), Error> {
    let poise::Context::Application(actx) = ctx else {
        anyhow::bail!("application command without an interaction");
    };
    let response =
        CreateInteractionResponse::Message(message.allowed_mentions(embed::no_mentions()));
    events::answer(
        ctx.data(),
        actx.interaction.id,
        &actx.interaction.token,
        response,
        received,
    )
    .await?;
    actx.has_sent_initial_response.store(true, Ordering::SeqCst);
    Ok(())
}

/// The message for a core reply.
fn reply_message(reply: &ReplySpec) -> CreateInteractionResponseMessage {
    let mut out = CreateInteractionResponseMessage::new().embeds(embed::to_embeds(&reply.embeds));
    if let Some(content) = &reply.content {
        out = out.content(content);
    }
    out
}

/// Every command, for registration.
pub fn all() -> Vec<poise::Command<SharedData, Error>> {
    vec![
        aadsts(),
        aadsts_config(),
        explain_message(),
        aadsts_help(),
        aadsts_stats(),
    ]
}

/// Codes suggested before anything is typed: the ones pasted most.
const POPULAR: [u32; 10] = [
    50076, 50126, 65001, 700016, 7000215, 50011, 53003, 50058, 70008, 50034,
];

/// Shown in Discord's autocomplete list (at most 100 characters).
fn choice_label(code: AadstsCode, title: &str) -> String {
    render::truncate(&format!("{code} · {title}"), 100)
}

async fn autocomplete_query(ctx: Context<'_>, partial: &str) -> Vec<AutocompleteChoice> {
    let knowledge = ctx.data().engine.knowledge();
    if partial.trim().is_empty() {
        return POPULAR
            .iter()
            .filter_map(|&n| knowledge.get(AadstsCode::new(n)?))
            .map(|e| {
                AutocompleteChoice::new(choice_label(e.code, &e.title), e.code.number().to_string())
            })
            .collect();
    }
    knowledge
        .search(partial, 25)
        .iter()
        .map(|h| {
            AutocompleteChoice::new(
                choice_label(h.entry.code, &h.entry.title),
                h.entry.code.number().to_string(),
            )
        })
        .collect()
}

/// Explain an AADSTS error code, or search the knowledge base by words
#[poise::command(slash_command, rename = "aadsts")]
pub async fn aadsts(
    ctx: Context<'_>,
    #[description = "A code (50076 or AADSTS50076), an enum name, or words like: client secret expired"]
    #[autocomplete = "autocomplete_query"]
    #[max_length = 200]
    query: String,
) -> Result<(), Error> {
    let received = Instant::now();
    let engine = &ctx.data().engine;
    let knowledge = engine.knowledge();
    let query = query.trim();
    if detect::has_secret(query.as_bytes()) {
        // Never echo it, not even to its author in public.
        let warning = CreateInteractionResponseMessage::new()
            .content(text::SECRET_WARNING)
            .ephemeral(true);
        return respond(ctx, received, warning).await;
    }
    // A code, an enum name, or a pasted error with codes in it.
    let codes: Vec<AadstsCode> = match query
        .parse::<AadstsCode>()
        .ok()
        .or_else(|| knowledge.by_name(query).map(|e| e.code))
    {
        Some(code) => vec![code],
        None => detect::find_codes(query.as_bytes())
            .iter()
            .map(|f| f.code)
            .collect(),
    };
    if !codes.is_empty() {
        let reply = engine.reply_for_codes(&codes, render::lookup_host(None), None, false);
        let mut message = reply_message(&reply);
        if codes.len() == 1 {
            message = message.components(team::lookup_rows(&knowledge, &codes));
        }
        return respond(ctx, received, message).await;
    }
    let hits = knowledge.search(query, 5);
    if hits.is_empty() {
        let none = CreateInteractionResponseMessage::new()
            .content(text::NO_RESULTS)
            .ephemeral(true);
        return respond(ctx, received, none).await;
    }
    let list: Vec<String> = hits
        .iter()
        .map(|h| format!("`{}` {}", h.entry.code, h.entry.title))
        .collect();
    // The query itself is not repeated: it is user text in a public reply.
    let results = serenity::CreateEmbed::new()
        .title(text::SEARCH_HEADING)
        .description(list.join("\n"))
        .colour(render::DETAILS_COLOUR);
    let options = hits
        .iter()
        .map(|h| {
            CreateSelectMenuOption::new(
                choice_label(h.entry.code, &h.entry.title),
                h.entry.code.number().to_string(),
            )
        })
        .collect();
    let menu = CreateSelectMenu::new(OPEN_ID, CreateSelectMenuKind::String { options })
        .placeholder(text::OPEN_PLACEHOLDER);
    let message = CreateInteractionResponseMessage::new()
        .embed(results)
        .components(vec![CreateActionRow::SelectMenu(menu)]);
    respond(ctx, received, message).await
}

/// Checked on the server for every `/aadsts-config` call: Discord's
/// `default_member_permissions` only hides the command, and server admins
/// can change who sees it.
pub(super) async fn is_server_manager(ctx: Context<'_>) -> Result<bool, Error> {
    let allowed = match ctx {
        poise::Context::Application(actx) => actx
            .interaction
            .member
            .as_ref()
            .and_then(|m| m.permissions)
            .is_some_and(|p| p.manage_guild() || p.administrator()),
        poise::Context::Prefix(_) => false,
    };
    if !allowed {
        say_ephemeral(ctx, text::CONFIG_REFUSED.to_owned()).await?;
        tracing::info!(user_id = ctx.author().id.get(), "refused /aadsts-config");
    }
    Ok(allowed)
}

pub(super) async fn say_ephemeral(ctx: Context<'_>, content: String) -> Result<(), Error> {
    let message = CreateInteractionResponseMessage::new()
        .content(content)
        .ephemeral(true);
    respond(ctx, Instant::now(), message).await
}

/// A setting that could not be saved: the admin is told why (the store's
/// errors are written for people and hold no secrets).
pub(super) async fn saved<T>(
    ctx: Context<'_>,
    result: Result<T, StoreError>,
) -> Result<Option<T>, Error> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) => {
            tracing::error!(guild_id = ?ctx.guild_id().map(|g| g.get()), "setting not saved: {e}");
            say_ephemeral(ctx, text::setting_not_saved(&e.to_string())).await?;
            Ok(None)
        }
    }
}

pub(super) fn guild_id(ctx: &Context<'_>) -> Result<u64, Error> {
    ctx.guild_id()
        .map(|g| g.get())
        .ok_or_else(|| anyhow::anyhow!("guild-only command outside a guild"))
}

/// Configure aadsts-bot in this server
#[poise::command(
    slash_command,
    rename = "aadsts-config",
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    check = "is_server_manager",
    subcommands(
        "channel_add",
        "channel_remove",
        "channels",
        "cooldown",
        "attachments",
        "note",
        "note_remove",
        "notes",
        "status"
    ),
    subcommand_required
)]
pub async fn aadsts_config(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Auto-reply to AADSTS codes in a channel and its threads
#[poise::command(
    slash_command,
    rename = "channel-add",
    guild_only,
    check = "is_server_manager"
)]
pub async fn channel_add(
    ctx: Context<'_>,
    #[description = "Channel or forum to watch"]
    #[channel_types("Text", "News", "Forum")]
    channel: serenity::ChannelId,
) -> Result<(), Error> {
    let result = ctx.data().store.add_channel(guild_id(&ctx)?, channel.get());
    let Some(added) = saved(ctx, result).await? else {
        return Ok(());
    };
    let mut answer = text::channel_added(channel.get(), added);
    if let Some(missing) = missing_in(ctx, channel) {
        if !missing.is_empty() {
            answer.push('\n');
            answer.push_str(&text::cannot_post_warning(&missing));
        }
    }
    say_ephemeral(ctx, answer).await
}

/// Stop auto-replies in a channel
#[poise::command(
    slash_command,
    rename = "channel-remove",
    guild_only,
    check = "is_server_manager"
)]
pub async fn channel_remove(
    ctx: Context<'_>,
    #[description = "Channel or forum to stop watching"]
    #[channel_types("Text", "News", "Forum")]
    channel: serenity::ChannelId,
) -> Result<(), Error> {
    let result = ctx
        .data()
        .store
        .remove_channel(guild_id(&ctx)?, channel.get());
    let Some(removed) = saved(ctx, result).await? else {
        return Ok(());
    };
    say_ephemeral(ctx, text::channel_removed(channel.get(), removed)).await
}

/// List the channels with auto-replies
#[poise::command(slash_command, guild_only, check = "is_server_manager")]
pub async fn channels(ctx: Context<'_>) -> Result<(), Error> {
    let mut list: Vec<u64> = ctx
        .data()
        .store
        .guild(guild_id(&ctx)?)
        .channels
        .into_iter()
        .collect();
    list.sort_unstable();
    let answer = if list.is_empty() {
        text::NO_CHANNELS.to_owned()
    } else {
        text::channel_list(&list)
    };
    say_ephemeral(ctx, answer).await
}

/// Minutes before the same code is explained again in a channel
#[poise::command(slash_command, guild_only, check = "is_server_manager")]
pub async fn cooldown(
    ctx: Context<'_>,
    #[description = "Minutes (0 to 1440); 0 explains every time"]
    #[min = 0]
    #[max = 1440]
    minutes: u32,
) -> Result<(), Error> {
    let minutes = u64::from(minutes.min(1440));
    let result = ctx.data().store.set_cooldown(
        guild_id(&ctx)?,
        std::time::Duration::from_secs(minutes * 60),
    );
    if saved(ctx, result).await?.is_none() {
        return Ok(());
    }
    say_ephemeral(ctx, text::cooldown_set(minutes)).await
}

/// Whether text attachments are scanned for codes
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum OnOff {
    /// Scan them.
    #[name = "on"]
    On,
    /// Don't.
    #[name = "off"]
    Off,
}

/// Scan .txt, .log and .json attachments for codes
#[poise::command(slash_command, guild_only, check = "is_server_manager")]
pub async fn attachments(
    ctx: Context<'_>,
    #[description = "on or off"] setting: OnOff,
) -> Result<(), Error> {
    let on = matches!(setting, OnOff::On);
    let result = ctx.data().store.set_attachments(guild_id(&ctx)?, on);
    if saved(ctx, result).await?.is_none() {
        return Ok(());
    }
    say_ephemeral(ctx, text::attachments_set(on)).await
}

/// Explain the AADSTS codes in this message (only you see the answer)
#[poise::command(context_menu_command = "Explain error codes")]
pub async fn explain_message(ctx: Context<'_>, message: serenity::Message) -> Result<(), Error> {
    let received = Instant::now();
    let data = ctx.data();
    let mut text = message.content.clone();
    for e in &message.embeds {
        for part in [&e.title, &e.description].into_iter().flatten() {
            text.push('\n');
            text.push_str(part);
        }
    }
    let read_attachments = ctx
        .guild_id()
        .is_none_or(|g| data.store.guild(g.get()).attachments);
    if !read_attachments || !events::has_readable_attachments(data, &message.attachments) {
        let answer = explanation(data.engine.reply_to_text(text.as_bytes()), false);
        return respond(ctx, received, answer.ephemeral(true)).await;
    }

    // Downloads and OCR can outlast Discord's 3 s: acknowledge now (the
    // asker alone sees "thinking"), then put the answer in its place.
    let poise::Context::Application(actx) = ctx else {
        anyhow::bail!("context menu without an interaction");
    };
    let interaction = actx.interaction;
    let thinking = CreateInteractionResponse::Defer(
        CreateInteractionResponseMessage::new()
            .ephemeral(true)
            .allowed_mentions(embed::no_mentions()),
    );
    events::answer(data, interaction.id, &interaction.token, thinking, received).await?;
    actx.has_sent_initial_response.store(true, Ordering::SeqCst);
    let gathered = events::gather_text(data, true, &text, &message.attachments).await;
    let answer = explanation(
        data.engine.reply_to_text(&gathered.bytes),
        gathered.from_image,
    );
    let edit = EditInteractionResponse::new()
        .content(answer.content)
        .embeds(answer.embeds)
        .allowed_mentions(embed::no_mentions());
    let patience = Patience::until(received + DEFERRED_ANSWER_WINDOW);
    data.rest
        .edit_interaction_answer(
            interaction.application_id.get(),
            &interaction.token,
            &edit,
            &patience,
        )
        .await?;
    Ok(())
}

/// How long a deferred answer may take: downloads and OCR are bounded well
/// below this; Discord keeps the token for 15 minutes.
const DEFERRED_ANSWER_WINDOW: Duration = Duration::from_secs(60);

/// The context menu's answer, before it is sent one way or the other.
struct Explanation {
    content: String,
    embeds: Vec<serenity::CreateEmbed>,
}

impl Explanation {
    fn ephemeral(self, on: bool) -> CreateInteractionResponseMessage {
        CreateInteractionResponseMessage::new()
            .content(self.content)
            .embeds(self.embeds)
            .ephemeral(on)
    }
}

/// The reply for the codes found, or the "no codes" line; codes read from
/// a screenshot say so first.
fn explanation(reply: Option<ReplySpec>, from_image: bool) -> Explanation {
    let Some(reply) = reply else {
        return Explanation {
            content: text::NO_CODES_IN_MESSAGE.to_owned(),
            embeds: Vec::new(),
        };
    };
    let mut content: Vec<String> = Vec::new();
    if from_image {
        content.push(text::READ_FROM_IMAGE.to_owned());
    }
    content.extend(reply.content.clone());
    Explanation {
        content: content.join("\n"),
        embeds: embed::to_embeds(&reply.embeds),
    }
}
