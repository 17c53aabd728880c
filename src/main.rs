//! The `aadsts-bot` binary: reads `.env` and the environment, sets up
//! logging, and hands the command line to `cli`.

mod bot;
mod cli;
mod config;

use std::process::ExitCode;

use clap::Parser;
use tracing::Level;
use tracing_subscriber::filter::{filter_fn, EnvFilter};
use tracing_subscriber::prelude::*;

fn main() -> ExitCode {
    // A missing .env is normal; a broken one stops the start (it may hold
    // the token, so the line itself is never printed).
    if let Err(e) = dotenvy::dotenv() {
        if !e.not_found() {
            eprintln!("error: {}", dotenv_problem(&e));
            return ExitCode::from(2);
        }
    }
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,serenity=warn,poise=warn"));
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(filter)
                .with_filter(filter_fn(is_private_enough)),
        )
        .init();
    let cli = cli::Cli::parse();
    let config = match config::Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match cli::run(cli, config) {
        Ok(code) => code,
        // The reader went away (`aadsts-bot stats | head`): not an error.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Our logs hold ids and codes only. Libraries' are kept out where they
/// could carry message text or the token below `trace`: serenity's spans
/// (their fields include request bodies), its gateway reader (which logs
/// an unparsable event's raw payload) and the websocket library's frames.
fn is_private_enough(meta: &tracing::Metadata<'_>) -> bool {
    let target = meta.target();
    let library = ["serenity", "poise", "tungstenite", "tokio_tungstenite"]
        .iter()
        .any(|l| target.starts_with(l));
    if !library {
        return true;
    }
    if meta.is_span() {
        return false;
    }
    if target.starts_with("tungstenite") || target.starts_with("tokio_tungstenite") {
        return false;
    }
    // At trace a developer asked for everything but secrets; the token
    // never reaches serenity's trace lines (its spans skip it). Below
    // trace only serenity's warnings and errors pass, and not those of its
    // gateway reader; its debug lines print unknown events whole.
    match *meta.level() {
        Level::TRACE => true,
        Level::WARN | Level::ERROR => !target.starts_with("serenity::gateway::ws"),
        _ => false,
    }
}

/// Which line of `.env` is malformed, without its text.
fn dotenv_problem(e: &dotenvy::Error) -> String {
    match e {
        dotenvy::Error::LineParse(line, _) => {
            let number = std::fs::read_to_string(".env")
                .ok()
                .and_then(|text| text.lines().position(|l| l.trim() == line.trim()))
                .map_or_else(|| "?".to_owned(), |i| (i + 1).to_string());
            format!(".env line {number} is malformed (the line is not shown: it may hold a secret); fix it or remove the file")
        }
        dotenvy::Error::Io(io) => format!(".env could not be read: {io}"),
        _ => ".env could not be loaded".to_owned(),
    }
}
