//! Purpose: the Discord layer (serenity + poise). The only code that knows
//! Discord: it turns events into calls to the engine and replies into
//! messages.

use std::process::ExitCode;

use aadsts_bot::Knowledge;

use crate::config::Config;

/// Runs the bot until it is stopped.
pub fn run(_config: Config, _knowledge: Knowledge) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the Discord bot is not built yet; use `console`, `lookup` or `scan`")
}
