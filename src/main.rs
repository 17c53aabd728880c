//! The `aadsts-bot` binary: reads `.env` and the environment, sets up
//! logging, and hands the command line to `cli`.

mod bot;
mod cli;
mod config;

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    // A missing .env is normal; a broken one is worth a warning.
    let dotenv = dotenvy::dotenv();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,serenity=warn,poise=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = &dotenv {
        if !e.not_found() {
            tracing::warn!("ignoring .env: {e}");
        }
    }
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
