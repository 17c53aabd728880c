//! Purpose: the terminal console: paste text (blank lines and all), end the
//! paste with a line holding only `.` or with Ctrl-D, and see the reply the
//! bot would send. `quit`, `exit` or Ctrl-D at an empty prompt leave.
//!
//! The prompt goes to standard error and only when standard input is a
//! terminal, so `aadsts-bot console < log.txt > reply.txt` stays clean.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context as _;

use aadsts_bot::render::MAX_CODE_EMBEDS;
use aadsts_bot::{detect, terminal, text, Engine};

/// A paste keeps at most this much (the bot reads attachments up to 1 MiB);
/// the rest of a longer paste is read and dropped.
const MAX_PASTE: usize = 1 << 20;

/// What the reader got from standard input.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Paste {
    /// A paste, ended by `.` (`eof: false`) or by the end of input.
    Text {
        /// The pasted bytes, at most [`MAX_PASTE`].
        text: Vec<u8>,
        /// Whether input ended (Ctrl-D) rather than a `.` line.
        eof: bool,
    },
    /// `quit` or `exit` on an empty prompt.
    Quit,
    /// End of input with nothing pasted.
    Eof,
}

/// Runs the console until the user leaves; always exits 0.
pub(super) fn console(engine: Engine) -> anyhow::Result<ExitCode> {
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    let options = terminal::Options::for_stdout();
    eprintln!("{}", text::CONSOLE_WELCOME);
    let mut input = stdin.lock();
    loop {
        if interactive {
            let mut err = std::io::stderr().lock();
            write!(err, "{}", text::CONSOLE_PROMPT)?;
            err.flush()?;
        }
        match read_paste(&mut input).context("reading standard input")? {
            Paste::Quit | Paste::Eof => return Ok(ExitCode::SUCCESS),
            Paste::Text { text, eof } => {
                answer(&engine, &text, &options)?;
                // A terminal keeps reading after Ctrl-D; a pipe has ended.
                if eof && !interactive {
                    return Ok(ExitCode::SUCCESS);
                }
            }
        }
    }
}

/// Prints the heading and the reply the bot would send for `paste`.
fn answer(engine: &Engine, paste: &[u8], options: &terminal::Options) -> anyhow::Result<()> {
    let detection = detect::detect(paste);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}",
        text::console_reply_heading(detection.codes.len())
    )?;
    if !detection.codes.is_empty() {
        let secret = detect::has_secret(paste);
        let mut reply = engine.reply_with_text(&detection, paste, secret);
        // The bot's own content line points at `/aadsts`; say it for a terminal.
        let mut lines = Vec::new();
        if secret {
            lines.push(text::SECRET_WARNING_TERMINAL.to_owned());
        }
        if detection.codes.len() > MAX_CODE_EMBEDS {
            let rest: Vec<String> = detection.codes[MAX_CODE_EMBEDS..]
                .iter()
                .map(|f| f.code.to_string())
                .collect();
            lines.push(text::console_more_codes(&rest));
        }
        reply.content = (!lines.is_empty()).then(|| lines.join("\n"));
        write!(out, "{}", terminal::render(&reply, options))?;
    }
    out.flush()?;
    Ok(())
}

/// Reads one paste: lines up to a line holding only `.` or the end of
/// input. Blank lines inside are kept; blank lines before it are skipped,
/// so `quit` after a stray Enter still quits.
pub(super) fn read_paste(input: &mut impl BufRead) -> std::io::Result<Paste> {
    let mut paste = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        let room = MAX_PASTE.saturating_sub(paste.len());
        // Keep a few bytes even when full, to still see the `.` line.
        if !read_line_bounded(input, &mut line, room.max(8))? {
            return Ok(if paste.is_empty() {
                Paste::Eof
            } else {
                Paste::Text {
                    text: paste,
                    eof: true,
                }
            });
        }
        let trimmed = String::from_utf8_lossy(&line);
        let trimmed = trimmed.trim();
        if trimmed == "." {
            if paste.is_empty() {
                continue;
            }
            return Ok(Paste::Text {
                text: paste,
                eof: false,
            });
        }
        if paste.is_empty() {
            if trimmed.is_empty() {
                continue;
            }
            if trimmed.eq_ignore_ascii_case("quit") || trimmed.eq_ignore_ascii_case("exit") {
                return Ok(Paste::Quit);
            }
        }
        paste.extend_from_slice(&line[..line.len().min(room)]);
        if !paste.ends_with(b"\n") && paste.len() < MAX_PASTE {
            paste.push(b'\n');
        }
    }
}

/// Reads through the next newline (or the end of input), keeping at most
/// `max` bytes in `buf`; `false` at the end of input with nothing read.
fn read_line_bounded(
    input: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<bool> {
    let mut read_any = false;
    loop {
        let available = match input.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(read_any);
        }
        read_any = true;
        let (chunk, done) = match memchr::memchr(b'\n', available) {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let keep = chunk.len().min(max.saturating_sub(buf.len()));
        buf.extend_from_slice(&chunk[..keep]);
        let used = chunk.len();
        input.consume(used);
        if done {
            return Ok(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pastes(input: &str) -> Vec<Paste> {
        let mut reader = std::io::Cursor::new(input.as_bytes().to_vec());
        let mut out = Vec::new();
        loop {
            let p = read_paste(&mut reader).unwrap();
            let end = matches!(p, Paste::Eof | Paste::Quit | Paste::Text { eof: true, .. });
            out.push(p);
            if end {
                return out;
            }
        }
    }

    fn text(s: &str, eof: bool) -> Paste {
        Paste::Text {
            text: s.as_bytes().to_vec(),
            eof,
        }
    }

    #[test]
    fn blank_lines_stay_inside_a_paste() {
        assert_eq!(
            pastes("AADSTS50076\n\nTrace ID: x\n.\nsecond\n"),
            [
                text("AADSTS50076\n\nTrace ID: x\n", false),
                text("second\n", true)
            ]
        );
    }

    #[test]
    fn a_dot_with_spaces_ends_a_paste_and_lone_dots_are_skipped() {
        assert_eq!(
            pastes(".\n\n  .  \nabc\n . \n"),
            [text("abc\n", false), Paste::Eof]
        );
    }

    #[test]
    fn quit_and_exit_only_on_an_empty_prompt() {
        assert_eq!(pastes("\nQUIT\nAADSTS50076\n"), [Paste::Quit]);
        assert_eq!(pastes("exit\n"), [Paste::Quit]);
        assert_eq!(pastes("abc\nquit\n"), [text("abc\nquit\n", true)]);
    }

    #[test]
    fn end_of_input_without_newline_or_paste() {
        assert_eq!(pastes("abc"), [text("abc\n", true)]);
        assert_eq!(pastes(""), [Paste::Eof]);
        assert_eq!(pastes("\n\n"), [Paste::Eof]);
    }

    #[test]
    fn a_huge_paste_is_bounded() {
        let big = format!("{}\nAADSTS50076\n.\nnext\n", "x".repeat(MAX_PASTE * 2));
        let got = pastes(&big);
        match &got[0] {
            Paste::Text { text, eof: false } => assert_eq!(text.len(), MAX_PASTE),
            other => panic!("{other:?}"),
        }
        assert_eq!(got[1], text("next\n", true));
    }
}
