//! Purpose: gateway events -> the core's auto-reply policy
//! ([`aadsts_bot::Conversations`]) -> Discord. This file only translates:
//! who posted where, what text (and attachment text) the message holds,
//! and sends what the policy says to post, edit or delete.

use std::sync::atomic::Ordering;
use std::time::Instant;

use poise::serenity_prelude as serenity;
use serenity::{
    ComponentInteraction, CreateInteractionResponse, CreateInteractionResponseMessage, FullEvent,
};

use aadsts_bot::attachment;
use aadsts_bot::conversation::{Action, Outgoing, Revision, Trigger};
use aadsts_bot::store::GuildSettings;
use aadsts_bot::{render, text, AadstsCode};

use super::embed::{self, DISMISS_PREFIX, OPEN_ID};
use super::rest::{Patience, RestError};
use super::team;
use super::{answer_window, Data, Error, SharedData};

/// Thread -> parent entries kept before the map is cleared.
const MAX_THREAD_PARENTS: usize = 10_000;

/// Routes one gateway event.
pub async fn handle(
    ctx: &serenity::Context,
    event: &FullEvent,
    data: &SharedData,
) -> Result<(), Error> {
    data.health.saw_event();
    if data.is_stopping() {
        // Shutting down: finish what is in flight, take nothing new.
        return Ok(());
    }
    let _busy = data.busy();
    let received = Instant::now();
    match event {
        FullEvent::Message { new_message } => on_message(ctx, data, new_message, received).await,
        FullEvent::MessageUpdate { event, .. } => on_edit(ctx, data, event, received).await,
        FullEvent::MessageDelete {
            deleted_message_id, ..
        } => on_delete(data, deleted_message_id.get()).await,
        FullEvent::MessageDeleteBulk {
            multiple_deleted_messages_ids,
            ..
        } => {
            for id in multiple_deleted_messages_ids {
                on_delete(data, id.get()).await?;
            }
            Ok(())
        }
        FullEvent::InteractionCreate {
            interaction: serenity::Interaction::Component(component),
        } => on_component(data, component, received).await,
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
    let guild = guild?;
    let guild_id = guild.get();
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
            // A failed lookup is not remembered: the next message asks again.
            let parent = thread_parent(ctx, guild, channel).await?;
            if data.thread_parents.len() >= MAX_THREAD_PARENTS {
                data.thread_parents.clear();
            }
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

/// The parent channel of a thread (forum posts are threads too), `Some(None)`
/// for a channel that is not a thread, `None` when it couldn't be found out.
/// serenity's cache answers first; REST only for what it doesn't hold.
async fn thread_parent(
    ctx: &serenity::Context,
    guild: serenity::GuildId,
    channel: serenity::ChannelId,
) -> Option<Option<u64>> {
    let cached = ctx.cache.guild(guild).and_then(|g| {
        if let Some(t) = g.threads.iter().find(|t| t.id == channel) {
            return Some(t.parent_id.map(|p| p.get()));
        }
        g.channels.get(&channel).map(thread_parent_of)
    });
    if let Some(parent) = cached {
        return Some(parent);
    }
    match channel.to_channel(ctx).await {
        Ok(fetched) => Some(fetched.guild().and_then(|c| thread_parent_of(&c))),
        Err(e) => {
            tracing::warn!(
                channel_id = channel.get(),
                "thread lookup failed; will retry: {e}"
            );
            None
        }
    }
}

fn thread_parent_of(channel: &serenity::GuildChannel) -> Option<u64> {
    let is_thread = matches!(
        channel.kind,
        serenity::ChannelType::PublicThread
            | serenity::ChannelType::PrivateThread
            | serenity::ChannelType::NewsThread
    );
    if is_thread {
        channel.parent_id.map(|p| p.get())
    } else {
        None
    }
}

/// Is the author someone we answer? Not bots, webhooks or ourselves.
fn is_person(data: &Data, author: &serenity::User, webhook: Option<serenity::WebhookId>) -> bool {
    !author.bot && webhook.is_none() && Some(author.id.get()) != data.bot_id.get().copied()
}

/// What a message says: its text, its text attachments and what its
/// screenshots read as.
pub(super) struct Gathered {
    pub(super) bytes: Vec<u8>,
    pub(super) from_image: bool,
}

/// Whether reading `attachments` means downloading something: a text file,
/// or an image when OCR is available.
pub(super) fn has_readable_attachments(data: &Data, attachments: &[serenity::Attachment]) -> bool {
    attachments.iter().any(|a| {
        let size = u64::from(a.size);
        attachment::is_text_candidate(&a.filename, size)
            || (data.ocr_available && attachment::is_image_candidate(&a.filename, size))
    })
}

/// The message text plus the text of its readable attachments (when
/// `read_attachments`, the server's setting), and the codes read from its
/// screenshots. Each download and each image is bounded by the attachment
/// timeout and the OCR service's queue and timeout.
pub(super) async fn gather_text(
    data: &Data,
    read_attachments: bool,
    content: &str,
    attachments: &[serenity::Attachment],
) -> Gathered {
    let mut gathered = Gathered {
        bytes: content.as_bytes().to_vec(),
        from_image: false,
    };
    if !read_attachments {
        return gathered;
    }
    for a in attachments {
        // An edit carries the same attachments: read each one once.
        let read = match data.read_memo.get(a.id.get()) {
            Some(read) => read,
            None => match read_attachment(data, a).await {
                Some(read) => {
                    data.read_memo.put(a.id.get(), read.clone());
                    read
                }
                None => continue,
            },
        };
        gathered.bytes.extend_from_slice(&read.text);
        gathered.from_image |= read.from_image;
    }
    gathered
}

/// What one attachment adds to the message text, or `None` when it could
/// not be fetched (worth trying again on the next edit).
async fn read_attachment(data: &Data, a: &serenity::Attachment) -> Option<attachment::Read> {
    let size = u64::from(a.size);
    let nothing = attachment::Read {
        text: Vec::new(),
        from_image: false,
    };
    if attachment::is_image_candidate(&a.filename, size) {
        if !data.ocr_available {
            return None;
        }
        let bytes = match data
            .rest
            .fetch_attachment(&a.url, aadsts_bot::ocr::MAX_BYTES)
            .await
        {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return Some(nothing),
            Err(e) => {
                tracing::warn!(attachment_id = a.id.get(), "image skipped: {e}");
                return None;
            }
        };
        let read = match data.ocr.read(bytes).await {
            Ok(read) => read,
            Err(e) => {
                tracing::info!(attachment_id = a.id.get(), "image skipped: {e}");
                // A busy or slow reader may do better next time; a bad
                // image won't.
                let transient = matches!(
                    e,
                    aadsts_bot::ocr::OcrError::QueueFull | aadsts_bot::ocr::OcrError::Timeout
                );
                return (!transient).then_some(nothing);
            }
        };
        let screen = aadsts_bot::screen::detect(&read);
        if screen.codes.is_empty() {
            return Some(nothing);
        }
        // The codes as plain tokens (prefixless block-page codes included),
        // then the repaired text for the ids.
        let mut text = Vec::new();
        for found in &screen.codes {
            text.extend_from_slice(format!("\nAADSTS{}", found.code.number()).as_bytes());
        }
        text.push(b'\n');
        text.extend_from_slice(aadsts_bot::screen::normalise(&read).as_bytes());
        return Some(attachment::Read {
            text,
            from_image: true,
        });
    }
    if !attachment::is_text_candidate(&a.filename, size) {
        return Some(nothing);
    }
    match data
        .rest
        .fetch_attachment(&a.url, attachment::MAX_TEXT_BYTES)
        .await
    {
        Ok(Some(bytes)) => Some(match attachment::decode_text(&bytes) {
            Some(decoded) => {
                let mut text = Vec::with_capacity(decoded.len() + 1);
                text.push(b'\n');
                text.extend_from_slice(&decoded);
                attachment::Read {
                    text,
                    from_image: false,
                }
            }
            None => nothing,
        }),
        Ok(None) => {
            tracing::info!(
                attachment_id = a.id.get(),
                "attachment over the size limit; skipped"
            );
            Some(nothing)
        }
        Err(e) => {
            tracing::warn!(attachment_id = a.id.get(), "attachment skipped: {e}");
            None
        }
    }
}

fn trigger<'a>(
    place: &Place,
    data: &Data,
    message_id: u64,
    author_id: u64,
    text: &'a Gathered,
) -> Trigger<'a> {
    Trigger {
        from_image: text.from_image,
        guild_id: place.guild_id,
        channel_id: place.channel_id,
        message_id,
        author_id,
        in_thread: place.in_thread,
        cooldown: place.settings.cooldown.unwrap_or(data.config.cooldown),
        text: &text.bytes,
    }
}

async fn on_message(
    ctx: &serenity::Context,
    data: &Data,
    msg: &serenity::Message,
    received: Instant,
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
    let bytes = gather_text(
        data,
        place.settings.attachments,
        &msg.content,
        &msg.attachments,
    )
    .await;
    let _turn = data.message_turns.take(msg.id.get()).await;
    let t = trigger(&place, data, msg.id.get(), msg.author.id.get(), &bytes);
    match data.conversations.message(&t, Instant::now()) {
        Some(out) => deliver(data, &place, out, nonce_for_message(msg.id.get()), received).await,
        None => Ok(()),
    }
}

/// Discord keeps a nonce unique for a few minutes: a retry of the same
/// POST, or a second process answering the same message, posts nothing new.
fn nonce_for_message(message_id: u64) -> String {
    format!("m{message_id:x}")
}

/// Posts a planned reply and reports back to the policy. A reply waits its
/// turn (rate limits, Discord errors) until it is sent, its trigger is
/// deleted, or it is older than `REPLY_MAX_AGE_SECS`.
async fn deliver(
    data: &Data,
    place: &Place,
    mut out: Outgoing,
    nonce: String,
    received: Instant,
) -> Result<(), Error> {
    let pending = super::live::enrich(data, &mut out.reply, &out.fresh, out.host).await;
    let embeds = team::with_notes(&data.store, place.guild_id, &out.reply.embeds, &out.codes);
    let mut message = serenity::CreateMessage::new()
        .embeds(embed::to_embeds(&embeds))
        .allowed_mentions(embed::no_mentions())
        .reference_message(
            serenity::MessageReference::from((
                serenity::ChannelId::new(out.channel_id),
                serenity::MessageId::new(out.trigger_id),
            ))
            .fail_if_not_exists(false),
        )
        .components(team::reply_rows(
            &data.engine.knowledge(),
            out.author_id,
            &out.codes,
        ))
        .nonce(serenity::Nonce::String(nonce))
        .enforce_nonce(true);
    if let Some(content) = &out.reply.content {
        message = message.content(content);
    }
    let wanted = || data.conversations.still_wanted(out.trigger_id);
    let patience = Patience {
        deadline: received + data.config.reply_max_age,
        wanted: &wanted,
    };
    match data
        .rest
        .create_message(out.channel_id, &message, &patience)
        .await
    {
        Ok(reply_id) => {
            if data.conversations.posted(&out, reply_id, Instant::now()) {
                data.counters.replies_sent.fetch_add(1, Ordering::Relaxed);
                metrics::histogram!("aadsts_reply_latency_seconds")
                    .record(received.elapsed().as_secs_f64());
                count_codes(data, &out.codes);
                data.store.record_codes(
                    place.guild_id,
                    &out.codes,
                    aadsts_bot::store::day_number(std::time::SystemTime::now()),
                );
                tracing::info!(
                    guild_id = place.guild_id,
                    channel_id = out.channel_id,
                    message_id = out.trigger_id,
                    reply_id,
                    codes = ?numbers(&out.codes),
                    "replied"
                );
                if !pending.is_empty() {
                    // Microsoft's description arrived after the reply went out.
                    if super::live::finish(&mut out.reply, pending, out.host).await {
                        let embeds = team::with_notes(
                            &data.store,
                            place.guild_id,
                            &out.reply.embeds,
                            &out.codes,
                        );
                        let edit = serenity::EditMessage::new()
                            .embeds(embed::to_embeds(&embeds))
                            .allowed_mentions(embed::no_mentions());
                        data.rest
                            .edit_message(out.channel_id, reply_id, &edit, &maintenance(data))
                            .await?;
                        tracing::info!(reply_id, "reply completed with Microsoft's description");
                    }
                }
            } else {
                // The message went while the reply was on its way.
                delete_reply(data, out.channel_id, reply_id).await?;
                tracing::info!(
                    channel_id = out.channel_id,
                    message_id = out.trigger_id,
                    reply_id,
                    "message deleted while replying; reply deleted"
                );
            }
            Ok(())
        }
        Err(RestError::Cancelled(_)) => {
            data.conversations.abandoned(out.trigger_id);
            tracing::info!(
                channel_id = out.channel_id,
                message_id = out.trigger_id,
                "message deleted before the reply could be sent"
            );
            Ok(())
        }
        Err(e) => {
            data.conversations.abandoned(out.trigger_id);
            data.counters
                .replies_abandoned
                .fetch_add(1, Ordering::Relaxed);
            tracing::error!(
                guild_id = place.guild_id,
                channel_id = out.channel_id,
                message_id = out.trigger_id,
                codes = ?numbers(&out.codes),
                "reply abandoned: {e}"
            );
            Ok(())
        }
    }
}

/// Codes answered, by code; codes without an entry share one label so the
/// label set stays bounded by the knowledge base.
fn count_codes(data: &Data, codes: &[AadstsCode]) {
    let knowledge = data.engine.knowledge();
    for &code in codes {
        let label = if knowledge.get(code).is_some() {
            code.number().to_string()
        } else {
            "unknown".to_owned()
        };
        metrics::counter!("aadsts_codes_detected_total", "code" => label).increment(1);
    }
}

fn numbers(codes: &[AadstsCode]) -> Vec<u32> {
    codes.iter().map(|c| c.number()).collect()
}

/// Patience for edits and deletes of our own messages.
fn maintenance(data: &Data) -> Patience<'static> {
    Patience::until(Instant::now() + data.config.reply_max_age)
}

async fn delete_reply(data: &Data, channel_id: u64, reply_id: u64) -> Result<(), Error> {
    data.rest
        .delete_message(channel_id, reply_id, &maintenance(data))
        .await?;
    data.counters
        .replies_deleted
        .fetch_add(1, Ordering::Relaxed);
    Ok(())
}

async fn on_edit(
    ctx: &serenity::Context,
    data: &Data,
    event: &serenity::MessageUpdateEvent,
    received: Instant,
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
    let bytes = gather_text(data, place.settings.attachments, content, attachments).await;
    let _turn = data.message_turns.take(event.id.get()).await;
    let author_id = event.author.as_ref().map_or(0, |a| a.id.get());
    let t = trigger(&place, data, event.id.get(), author_id, &bytes);
    match data
        .conversations
        .edit(&t, event.author.is_some(), Instant::now())
    {
        Action::Nothing => Ok(()),
        Action::Post(out) => {
            let nonce = format!(
                "e{:x}{:x}",
                event.id.get(),
                received.elapsed().as_nanos() as u16
            );
            deliver(data, &place, out, nonce, received).await
        }
        Action::Edit(rev) => revise(data, &place, author_id, rev).await,
        Action::Delete {
            channel_id,
            reply_id,
        } => {
            delete_reply(data, channel_id, reply_id).await?;
            tracing::info!(
                message_id = event.id.get(),
                reply_id,
                "codes gone after edit; reply deleted"
            );
            Ok(())
        }
    }
}

/// Edits our reply to match an edited message: the same notes and buttons
/// as a new reply would get.
async fn revise(data: &Data, place: &Place, author_id: u64, rev: Revision) -> Result<(), Error> {
    let embeds = team::with_notes(&data.store, place.guild_id, &rev.reply.embeds, &rev.codes);
    let mut edit = serenity::EditMessage::new()
        .content(rev.reply.content.clone().unwrap_or_default())
        .embeds(embed::to_embeds(&embeds))
        .allowed_mentions(embed::no_mentions());
    if author_id != 0 {
        // A partial update names no author: the old buttons stay.
        edit = edit.components(team::reply_rows(
            &data.engine.knowledge(),
            author_id,
            &rev.codes,
        ));
    }
    data.rest
        .edit_message(rev.channel_id, rev.reply_id, &edit, &maintenance(data))
        .await?;
    data.conversations.edited(&rev, Instant::now());
    data.counters.replies_edited.fetch_add(1, Ordering::Relaxed);
    tracing::info!(
        message_id = rev.trigger_id,
        reply_id = rev.reply_id,
        codes = ?numbers(&rev.codes),
        "reply updated after edit"
    );
    Ok(())
}

async fn on_delete(data: &Data, message_id: u64) -> Result<(), Error> {
    if let Action::Delete {
        channel_id,
        reply_id,
    } = data.conversations.deleted(message_id)
    {
        delete_reply(data, channel_id, reply_id).await?;
        tracing::info!(
            channel_id,
            message_id,
            reply_id,
            "message deleted; reply deleted"
        );
    }
    Ok(())
}

/// Answers a component or command interaction through our send path, so a
/// 429 or 5xx on the callback is retried inside Discord's window.
pub async fn answer(
    data: &Data,
    id: serenity::InteractionId,
    token: &str,
    response: CreateInteractionResponse,
    received: Instant,
) -> Result<(), Error> {
    let patience = Patience::until(received + answer_window());
    data.rest
        .answer_interaction(id.get(), token, &response, &patience)
        .await?;
    Ok(())
}

/// An ephemeral answer (only the clicker sees it), mentions off.
pub fn private(message: CreateInteractionResponseMessage) -> CreateInteractionResponse {
    CreateInteractionResponse::Message(
        message
            .ephemeral(true)
            .allowed_mentions(embed::no_mentions()),
    )
}

async fn on_component(
    data: &Data,
    c: &ComponentInteraction,
    received: Instant,
) -> Result<(), Error> {
    if team::on_component(data, c, received).await? {
        return Ok(());
    }
    let id = c.data.custom_id.as_str();
    if let Some(author) = id.strip_prefix(DISMISS_PREFIX) {
        let is_author = author.parse::<u64>().ok() == Some(c.user.id.get());
        let is_moderator = c
            .member
            .as_ref()
            .and_then(|m| m.permissions)
            .is_some_and(|p| p.manage_messages() || p.administrator());
        if !(is_author || is_moderator) {
            let refusal = CreateInteractionResponseMessage::new().content(text::DISMISS_REFUSED);
            return answer(data, c.id, &c.token, private(refusal), received).await;
        }
        answer(
            data,
            c.id,
            &c.token,
            CreateInteractionResponse::Acknowledge,
            received,
        )
        .await?;
        let (channel, reply) = (c.channel_id.get(), c.message.id.get());
        data.conversations.forget_reply(reply);
        delete_reply(data, channel, reply).await?;
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
            let message = CreateInteractionResponseMessage::new().embed(embed::to_embed(&spec));
            answer(data, c.id, &c.token, private(message), received).await?;
        }
    }
    Ok(())
}
