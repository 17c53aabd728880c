//! Purpose: the only converter from the core's plain [`EmbedSpec`] to
//! serenity's embed builder, plus the message builders every reply uses
//! (all with mentions disabled).

use poise::serenity_prelude as serenity;
use serenity::{
    ButtonStyle, CreateActionRow, CreateAllowedMentions, CreateButton, CreateEmbed,
    CreateEmbedFooter,
};

use aadsts_bot::{text, EmbedSpec};

/// serenity's embed for one [`EmbedSpec`].
pub fn to_embed(spec: &EmbedSpec) -> CreateEmbed {
    let mut e = CreateEmbed::new()
        .title(&spec.title)
        .description(&spec.description)
        .colour(spec.colour);
    if let Some(url) = &spec.url {
        e = e.url(url);
    }
    for f in &spec.fields {
        e = e.field(&f.name, &f.value, f.inline);
    }
    if let Some(footer) = &spec.footer {
        e = e.footer(CreateEmbedFooter::new(footer));
    }
    e
}

/// serenity's embeds for a list of specs.
pub fn to_embeds(specs: &[EmbedSpec]) -> Vec<CreateEmbed> {
    specs.iter().map(to_embed).collect()
}

/// Nobody is pinged by our messages, not even the author we reply to.
pub fn no_mentions() -> CreateAllowedMentions {
    CreateAllowedMentions::new().replied_user(false)
}

/// Custom id prefix of the dismiss button; the trigger's author id follows.
pub const DISMISS_PREFIX: &str = "aadsts:dismiss:";
/// Custom id of the search results' select menu.
pub const OPEN_ID: &str = "aadsts:open";

/// The row with the dismiss button for an auto-reply to `author_id`.
#[allow(dead_code)] // auto-replies now use `team::reply_rows`
pub fn dismiss_row(author_id: u64) -> CreateActionRow {
    CreateActionRow::Buttons(vec![dismiss_button(author_id)])
}

/// The dismiss button for an auto-reply to `author_id`.
pub fn dismiss_button(author_id: u64) -> CreateButton {
    CreateButton::new(format!("{DISMISS_PREFIX}{author_id}"))
        .label(text::DISMISS_LABEL)
        .style(ButtonStyle::Secondary)
}
