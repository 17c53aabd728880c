//! Purpose: gateway events -> engine -> replies. A message in an enabled
//! channel (or a thread under one) with codes gets one reply; edits update
//! or delete it; deletes remove it; the dismiss button removes it.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use poise::serenity_prelude as serenity;
use serenity::{
    ComponentInteraction, CreateInteractionResponse, CreateInteractionResponseMessage, FullEvent,
};

use aadsts_bot::cache::ReplyRecord;
use aadsts_bot::detect::{self, Detection};
use aadsts_bot::store::GuildSettings;
use aadsts_bot::{render, text, AadstsCode};

use super::embed::{self, DISMISS_PREFIX, OPEN_ID};
use super::{Data, Error, SharedData};

/// Attachments larger than this are not scanned.
pub const MAX_ATTACHMENT: usize = 1 << 20;
/// In a thread, a code explained earlier in the same thread gets a pointer
/// for this long (channels use the cooldown).
const THREAD_MEMORY: Duration = Duration::from_secs(24 * 60 * 60);
/// Attachment file endings we read.
const TEXT_ENDINGS: [&str; 3] = [".txt", ".log", ".json"];

/// Routes one gateway event.
pub async fn handle(
    ctx: &serenity::Context,
    event: &FullEvent,
    data: &SharedData,
) -> Result<(), Error> {
    match event {
        FullEvent::Message { new_message } => on_message(ctx, data, new_message).await,
        FullEvent::MessageUpdate { event, .. } => on_edit(ctx, data, event).await,
        FullEvent::MessageDelete {
            channel_id,
            deleted_message_id,
            ..
        } => on_delete(data, channel_id.get(), deleted_message_id.get()).await,
        FullEvent::MessageDeleteBulk {
            channel_id,
            multiple_deleted_messages_ids,
            ..
        } => {
            for id in multiple_deleted_messages_ids {
                on_delete(data, channel_id.get(), id.get()).await?;
            }
            Ok(())
        }
        FullEvent::InteractionCreate {
            interaction: serenity::Interaction::Component(component),
        } => on_component(ctx, data, component).await,
        _ => Ok(()),
    }
}

/// Where a message was posted, as far as auto-replies care, with the
/// server's settings read once for the whole message.
struct Place {
    guild_id: u64,
    channel_id: u64,
    in_thread: bool,
    settings: GuildSettings,
}

/// The place, if auto-replies are on there (the channel itself, or the
/// channel a thread or forum post belongs to).
async fn enabled_place(
    ctx: &serenity::Context,
    data: &Data,
    guild: Option<serenity::GuildId>,
    channel: serenity::ChannelId,
) -> Option<Place> {
    let guild_id = guild?.get();
    let settings = data.store.guild(guild_id);
    if settings.channels.is_empty() {
        return None;
    }
    let channel_id = channel.get();
    if settings.channels.contains(&channel_id) {
        return Some(Place {
            guild_id,
            channel_id,
            in_thread: false,
            settings,
        });
    }
    let parent = match data.thread_parents.get(&channel_id).map(|p| *p) {
        Some(parent) => parent,
        None => {
            let parent = thread_parent(ctx, channel).await;
            data.thread_parents.insert(channel_id, parent);
            parent
        }
    };
    parent
        .filter(|p| settings.channels.contains(p))
        .map(|_| Place {
            guild_id,
            channel_id,
            in_thread: true,
            settings,
        })
}

/// The parent channel of a thread (forum posts are threads too).
async fn thread_parent(ctx: &serenity::Context, channel: serenity::ChannelId) -> Option<u64> {
    let fetched = channel.to_channel(ctx).await.ok()?;
    let guild_channel = fetched.guild()?;
    let is_thread = matches!(
        guild_channel.kind,
        serenity::ChannelType::PublicThread
            | serenity::ChannelType::PrivateThread
            | serenity::ChannelType::NewsThread
    );
    is_thread.then_some(guild_channel.parent_id?.get())
}

/// Is the author someone we answer? Not bots, webhooks or ourselves.
fn is_person(data: &Data, author: &serenity::User, webhook: Option<serenity::WebhookId>) -> bool {
    !author.bot && webhook.is_none() && Some(author.id.get()) != data.bot_id.get().copied()
}

/// The message text plus the text of its readable attachments (when the
/// server scans attachments).
async fn gather_text(
    data: &Data,
    place: &Place,
    content: &str,
    attachments: &[serenity::Attachment],
) -> Vec<u8> {
    let mut text = content.as_bytes().to_vec();
    if attachments.is_empty() || !place.settings.attachments {
        return text;
    }
    for a in attachments {
        let name = a.filename.to_ascii_lowercase();
        if a.size as usize > MAX_ATTACHMENT || !TEXT_ENDINGS.iter().any(|e| name.ends_with(e)) {
            continue;
        }
        match data.rest.fetch_attachment(&a.url, MAX_ATTACHMENT).await {
            Ok(Some(bytes)) if is_text(&bytes) => {
                text.push(b'\n');
                text.extend_from_slice(&bytes);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(attachment_id = a.id.get(), "attachment skipped: {e}"),
        }
    }
    text
}

/// Text, not binary: valid UTF-8 without NUL bytes.
fn is_text(bytes: &[u8]) -> bool {
    !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok()
}

async fn on_message(
    ctx: &serenity::Context,
    data: &SharedData,
    msg: &serenity::Message,
) -> Result<(), Error> {
    if !is_person(data, &msg.author, msg.webhook_id) {
        return Ok(());
    }
    let Some(place) = enabled_place(ctx, data, msg.guild_id, msg.channel_id).await else {
        return Ok(());
    };
    data.counters
        .messages_scanned
        .fetch_add(1, Ordering::Relaxed);
    let bytes = gather_text(data, &place, &msg.content, &msg.attachments).await;
    let detection = detect::detect(&bytes);
    if detection.codes.is_empty() {
        return Ok(());
    }
    send_reply(
        data,
        &place,
        msg.id.get(),
        msg.author.id.get(),
        &bytes,
        &detection,
    )
    .await
}

/// Sends the reply for a message with codes: embeds for codes not explained
/// recently here, one-line pointers for the others.
async fn send_reply(
    data: &Data,
    place: &Place,
    message_id: u64,
    author_id: u64,
    bytes: &[u8],
    detection: &Detection,
) -> Result<(), Error> {
    let lock = channel_lock(data, place.channel_id);
    let _settled = lock.lock().await;
    let now = Instant::now();
    let window = if place.in_thread {
        THREAD_MEMORY.max(cooldown(data, place))
    } else {
        cooldown(data, place)
    };
    let mut fresh = Vec::new();
    let mut pointers = Vec::new();
    for found in &detection.codes {
        match data
            .cooldowns
            .recent(place.channel_id, found.code, window, now)
        {
            Some(earlier) => {
                let link = format!(
                    "https://discord.com/channels/{}/{}/{}",
                    place.guild_id, place.channel_id, earlier.reply_id
                );
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
    let reply = data
        .engine
        .reply_for_codes(&fresh, host, details, detect::has_secret(bytes));
    let content = join_lines(pointers, reply.content.as_deref());
    let mut message = serenity::CreateMessage::new()
        .embeds(embed::to_embeds(&reply.embeds))
        .allowed_mentions(embed::no_mentions())
        .reference_message(
            serenity::MessageReference::from((
                serenity::ChannelId::new(place.channel_id),
                serenity::MessageId::new(message_id),
            ))
            .fail_if_not_exists(false),
        )
        .components(vec![embed::dismiss_row(author_id)]);
    if let Some(content) = content {
        message = message.content(content);
    }
    let reply_id = data.rest.create_message(place.channel_id, &message).await?;
    data.counters.replies_sent.fetch_add(1, Ordering::Relaxed);
    for &code in &fresh {
        data.cooldowns
            .record(place.channel_id, code, reply_id, window, now);
    }
    data.replies.insert(
        message_id,
        ReplyRecord {
            channel_id: place.channel_id,
            reply_id,
            codes: detection.codes.iter().map(|f| f.code).collect(),
        },
    );
    tracing::info!(
        guild_id = place.guild_id,
        channel_id = place.channel_id,
        message_id,
        reply_id,
        codes = ?detection.codes.iter().map(|f| f.code.number()).collect::<Vec<_>>(),
        "replied"
    );
    Ok(())
}

/// The channel's lock (see [`Data::channel_locks`]); the map's guard is
/// dropped before awaiting, only the `Arc` is kept.
fn channel_lock(data: &Data, channel_id: u64) -> Arc<tokio::sync::Mutex<()>> {
    Arc::clone(&data.channel_locks.entry(channel_id).or_default())
}

fn cooldown(data: &Data, place: &Place) -> Duration {
    place.settings.cooldown.unwrap_or(data.config.cooldown)
}

fn join_lines(mut lines: Vec<String>, extra: Option<&str>) -> Option<String> {
    lines.extend(extra.map(str::to_owned));
    (!lines.is_empty()).then(|| render::truncate(&lines.join("\n"), render::limits::CONTENT))
}

async fn on_edit(
    ctx: &serenity::Context,
    data: &SharedData,
    event: &serenity::MessageUpdateEvent,
) -> Result<(), Error> {
    // Only content edits matter (Discord also sends updates for embeds).
    let Some(content) = &event.content else {
        return Ok(());
    };
    if let Some(author) = &event.author {
        if !is_person(data, author, event.webhook_id.flatten()) {
            return Ok(());
        }
    }
    let Some(place) = enabled_place(ctx, data, event.guild_id, event.channel_id).await else {
        return Ok(());
    };
    let attachments = event.attachments.as_deref().unwrap_or_default();
    let bytes = gather_text(data, &place, content, attachments).await;
    let detection = detect::detect(&bytes);
    let codes: Vec<AadstsCode> = detection.codes.iter().map(|f| f.code).collect();
    let lock = channel_lock(data, place.channel_id);
    let settled = lock.lock().await;
    let previous = data.replies.get(event.id.get());
    if previous.is_none() && event.author.is_none() {
        return Ok(());
    }
    match previous {
        None if codes.is_empty() => Ok(()),
        None => {
            drop(settled); // send_reply takes the lock itself
            let author_id = event.author.as_ref().map_or(0, |a| a.id.get());
            send_reply(data, &place, event.id.get(), author_id, &bytes, &detection).await
        }
        Some(old) if codes.is_empty() => {
            data.rest
                .delete_message(old.channel_id, old.reply_id)
                .await?;
            data.replies.remove(event.id.get());
            data.cooldowns.forget_reply(old.reply_id);
            data.counters
                .replies_deleted
                .fetch_add(1, Ordering::Relaxed);
            tracing::info!(
                message_id = event.id.get(),
                reply_id = old.reply_id,
                "codes gone after edit; reply deleted"
            );
            Ok(())
        }
        Some(old) if old.codes == codes => Ok(()),
        Some(old) => {
            let reply = data.engine.reply(&detection, detect::has_secret(&bytes));
            let edit = serenity::EditMessage::new()
                .content(reply.content.unwrap_or_default())
                .embeds(embed::to_embeds(&reply.embeds))
                .allowed_mentions(embed::no_mentions());
            data.rest
                .edit_message(old.channel_id, old.reply_id, &edit)
                .await?;
            data.counters.replies_edited.fetch_add(1, Ordering::Relaxed);
            tracing::info!(
                message_id = event.id.get(),
                reply_id = old.reply_id,
                codes = ?codes.iter().map(|c| c.number()).collect::<Vec<_>>(),
                "reply updated after edit"
            );
            data.replies
                .insert(event.id.get(), ReplyRecord { codes, ..old });
            Ok(())
        }
    }
}

async fn on_delete(data: &Data, channel_id: u64, message_id: u64) -> Result<(), Error> {
    let lock = channel_lock(data, channel_id);
    let _settled = lock.lock().await;
    if let Some(old) = data.replies.remove(message_id) {
        data.rest
            .delete_message(old.channel_id, old.reply_id)
            .await?;
        data.cooldowns.forget_reply(old.reply_id);
        data.counters
            .replies_deleted
            .fetch_add(1, Ordering::Relaxed);
        tracing::info!(
            channel_id,
            message_id,
            reply_id = old.reply_id,
            "message deleted; reply deleted"
        );
    } else if data.replies.remove_reply(message_id).is_some() {
        // Someone deleted our reply: forget it so the next paste is answered in full.
        data.cooldowns.forget_reply(message_id);
    }
    Ok(())
}

async fn on_component(
    ctx: &serenity::Context,
    data: &Data,
    c: &ComponentInteraction,
) -> Result<(), Error> {
    let id = c.data.custom_id.as_str();
    if let Some(author) = id.strip_prefix(DISMISS_PREFIX) {
        let is_author = author.parse::<u64>().ok() == Some(c.user.id.get());
        let is_moderator = c
            .member
            .as_ref()
            .and_then(|m| m.permissions)
            .is_some_and(|p| p.manage_messages() || p.administrator());
        if !(is_author || is_moderator) {
            let refusal = CreateInteractionResponseMessage::new()
                .content(text::DISMISS_REFUSED)
                .ephemeral(true)
                .allowed_mentions(embed::no_mentions());
            c.create_response(ctx, CreateInteractionResponse::Message(refusal))
                .await?;
            return Ok(());
        }
        c.create_response(ctx, CreateInteractionResponse::Acknowledge)
            .await?;
        let (channel, reply) = (c.channel_id.get(), c.message.id.get());
        data.rest.delete_message(channel, reply).await?;
        data.replies.remove_reply(reply);
        data.cooldowns.forget_reply(reply);
        data.counters
            .replies_deleted
            .fetch_add(1, Ordering::Relaxed);
        tracing::info!(
            channel_id = channel,
            reply_id = reply,
            user_id = c.user.id.get(),
            "reply dismissed"
        );
    } else if id == OPEN_ID {
        let code = match &c.data.kind {
            serenity::ComponentInteractionDataKind::StringSelect { values } => {
                values.first().and_then(|v| v.parse::<AadstsCode>().ok())
            }
            _ => None,
        };
        if let Some(code) = code {
            let spec = data.engine.explain(code, render::lookup_host(None));
            let message = CreateInteractionResponseMessage::new()
                .embed(embed::to_embed(&spec))
                .ephemeral(true)
                .allowed_mentions(embed::no_mentions());
            c.create_response(ctx, CreateInteractionResponse::Message(message))
                .await?;
        }
    }
    Ok(())
}
