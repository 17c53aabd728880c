//! aadsts-bot: find Microsoft Entra ID (Azure AD) `AADSTSnnnnn` sign-in error
//! codes in text and explain them from a knowledge base kept in the repo.
//!
//! The library is the whole engine without Discord: the `aadsts-bot` binary's
//! CLI and its Discord layer (`bot`) are thin edges over it.
//!
//! # Layout
//! - [`code`]: the [`AadstsCode`] value type and its parser.
//! - [`detect`]: find codes, trace/correlation ids, timestamps and secrets in text.
//! - [`knowledge`]: load and validate `knowledge/*.toml`; look up and search.
//! - [`render`]: entries -> [`EmbedSpec`] values within Discord's limits.
//! - [`attachment`]: which attachments are read and how they become text.
//! - [`cache`]: rendered embeds and cooldowns (`DashMap`).
//! - [`engine`]: text in, [`ReplySpec`] out; holds knowledge and cache.
//! - [`conversation`]: the auto-reply policy (cooldowns, pointers, dedupe,
//!   edit/delete bookkeeping): events in, what to post/edit/delete out.
//! - [`reload`]: watch knowledge files and swap in valid edits.
//! - [`store`]: settings, team notes, votes, usage counts and the live-lookup
//!   cache, in SQLite or PostgreSQL, mirrored in memory.
//! - [`text`]: every sentence users read.
//! - `config`, `cli`, `bot`: settings, command line and Discord (binary only).
#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod attachment;
pub mod cache;
pub mod code;
pub mod conversation;
pub mod detect;
pub mod engine;
pub mod knowledge;
pub mod reload;
pub mod render;
pub mod store;
pub mod text;

pub use code::AadstsCode;
pub use conversation::Conversations;
pub use engine::Engine;
pub use knowledge::Knowledge;
pub use render::{EmbedSpec, ReplySpec};
