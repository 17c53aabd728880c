//! Purpose: every sentence a user reads, in one place, so wording is
//! reviewed together and never leaks internal detail.

/// Field name for the causes list.
pub const CAUSES: &str = "Likely causes";
/// Field name for the fixes list.
pub const FIXES: &str = "What to do";
/// Field name for the severity.
pub const SEVERITY: &str = "Severity";
/// Field name for the category.
pub const CATEGORY: &str = "Category";
/// Field name for related codes.
pub const RELATED: &str = "Related codes";
/// Field name for links.
pub const LINKS: &str = "Learn more";
/// Field name for the team's local notes.
pub const NOTES: &str = "Team notes";
/// Field name for the ids block.
pub const DETAILS: &str = "Send this to your admin";
/// Footer words before the knowledge version.
pub const FOOTER: &str = "aadsts-bot · knowledge";
/// Footer addition for entries Microsoft's table does not list.
pub const COMMUNITY: &str = "not in Microsoft's table; seen in sign-in logs";
/// Footer note for an entry known only from Microsoft's live lookup page.
pub const LOOKUP_ONLY: &str = "not in Microsoft's table; described by its live lookup";
/// Title suffix for a code without an entry.
pub const UNKNOWN_TITLE: &str = "not in our knowledge base yet";
/// Shown when an error reaches the user from inside the bot.
pub const INTERNAL_ERROR: &str =
    "Something went wrong on our side. The error was logged; please try again.";
/// Shown when a search finds nothing.
pub const NO_RESULTS: &str = "No entry matches that. Try a code (`50076`), an enum name, or a few words such as `client secret expired`.";
/// Console greeting (no Discord token set).
pub const CONSOLE_INTRO: &str = "aadsts-bot console: paste text with AADSTS codes and finish with an empty line to see the reply the bot would send. Ctrl-D quits.";
/// Console note on why it is not connecting to Discord.
pub const CONSOLE_NO_TOKEN: &str = "DISCORD_TOKEN is not set, so the bot is not connecting to Discord. Set it in .env (see .env.example) to run the bot.";
/// Warning added when the pasted text holds a secret.
pub const SECRET_WARNING: &str = "⚠️ This message seems to contain a secret (a token, client secret, bearer header or private key). Delete it and rotate that credential: anyone in this channel could use it.";

/// `AADSTS50076 · UserStrongAuthClientAuthNRequired`.
pub fn embed_title(code: impl std::fmt::Display, name: Option<&str>) -> String {
    match name {
        Some(name) => format!("{code} · {name}"),
        None => format!("{code}"),
    }
}

/// Description of an unknown code, with its family when the range is known.
pub fn unknown_description(family: Option<&str>) -> String {
    let mut s = String::from("We have no entry for this code yet, so here is what we can tell.");
    if let Some(about) = family {
        s.push_str(&format!(
            "\nCodes in this range are usually about **{about}**."
        ));
    }
    s.push_str("\nMicrosoft's live lookup page for the code is linked below.");
    s
}

/// The line after the embeds when a message holds more codes than a reply shows.
pub fn more_codes(rest: &[String]) -> String {
    format!(
        "Also found: {}. Look them up with `/aadsts`.",
        rest.join(", ")
    )
}

/// Heading of the console's rendering of a reply.
pub fn console_reply_heading(codes: usize) -> String {
    match codes {
        0 => "No AADSTS code found in that text; the bot would stay silent.".into(),
        1 => "The bot would reply with 1 code:".into(),
        n => format!("The bot would reply with {n} codes:"),
    }
}

/// Refusal for `/aadsts-config` without Manage Server.
pub const CONFIG_REFUSED: &str =
    "Only members with the Manage Server permission can change aadsts-bot's settings.";
/// Refusal of the dismiss button for other members.
pub const DISMISS_REFUSED: &str = "Only the person who posted the error, or a member who can manage messages, can dismiss this reply.";
/// Label of the dismiss button.
pub const DISMISS_LABEL: &str = "Dismiss";
/// Context menu on a message without codes.
pub const NO_CODES_IN_MESSAGE: &str = "There is no AADSTS error code in that message.";
/// Placeholder of the search results' select menu.
pub const OPEN_PLACEHOLDER: &str = "Open one of these entries";
/// Heading of search results.
pub const SEARCH_HEADING: &str = "Best matches";
/// Answer to `/aadsts-config channels` when none is enabled.
pub const NO_CHANNELS: &str =
    "Auto-replies are off everywhere. Turn them on with `/aadsts-config channel-add`.";

/// One-line pointer to an earlier explanation in the same channel or thread.
pub fn explained_above(code: impl std::fmt::Display, link: &str) -> String {
    format!("{code} is explained above: {link}")
}

/// Answer to `/aadsts-config channel-add`.
pub fn channel_added(channel: u64, was_new: bool) -> String {
    if was_new {
        format!("Auto-replies are on in <#{channel}> and its threads.")
    } else {
        format!("Auto-replies were already on in <#{channel}>.")
    }
}

/// Answer to `/aadsts-config channel-remove`.
pub fn channel_removed(channel: u64, was_on: bool) -> String {
    if was_on {
        format!("Auto-replies are off in <#{channel}>.")
    } else {
        format!("Auto-replies were not on in <#{channel}>.")
    }
}

/// Answer to `/aadsts-config channels`.
pub fn channel_list(channels: &[u64]) -> String {
    let list: Vec<String> = channels.iter().map(|c| format!("<#{c}>")).collect();
    format!(
        "Auto-replies are on in: {} (and their threads).",
        list.join(", ")
    )
}

/// Answer to `/aadsts-config cooldown`.
pub fn cooldown_set(minutes: u64) -> String {
    match minutes {
        0 => "Cooldown off: every message with a code gets a full explanation.".into(),
        1 => "A code is explained at most once a minute per channel; repeats get a pointer.".into(),
        m => format!("A code is explained at most once every {m} minutes per channel; repeats get a pointer."),
    }
}

/// Answer to `/aadsts-config attachments`.
pub fn attachments_set(on: bool) -> String {
    if on {
        "Text attachments (.txt, .log, .json up to 1 MiB) are scanned for codes.".into()
    } else {
        "Attachments are no longer scanned.".into()
    }
}

/// Told to an admin when a setting could not be stored; `why` is the
/// store's own explanation (e.g. "the database is read-only").
pub fn setting_not_saved(why: &str) -> String {
    format!("That setting was not saved: {why}. Ask whoever runs the bot to check its settings database.")
}
/// Field name for Microsoft's message from its live lookup page.
pub const LIVE_MESSAGE: &str = "Microsoft's description (from its live lookup, not reviewed by us)";
/// Field name for Microsoft's remediation from its live lookup page.
pub const LIVE_REMEDIATION: &str = "Microsoft's suggested fix (not reviewed by us)";
/// Note under a message with `{placeholders}`.
pub const LIVE_PLACEHOLDERS: &str =
    "Words in braces are blanks that the real error message fills in (an app, user or tenant).";
/// Footer addition when an embed shows Microsoft's live description.
pub const LIVE_FOOTER: &str = "Microsoft's text shown as its lookup page gives it";
/// Terminal line when the live lookup has no entry for the code either.
pub const LIVE_NOT_FOUND: &str = "Microsoft's live lookup doesn't know this code either.";
/// Terminal line when the live lookup failed (no detail: see the log).
pub const LIVE_UNAVAILABLE: &str =
    "Microsoft's live lookup didn't answer just now; the link above still works.";
// --- Terminal: the console, `lookup` and start-up hints -------------------

/// The secret warning as the terminal shows it (no channel to delete from).
pub const SECRET_WARNING_TERMINAL: &str = "⚠️ This text seems to contain a secret (a token, client secret, bearer header or private key). Rotate that credential, and don't paste it into chat or tickets.";
/// Console greeting.
pub const CONSOLE_WELCOME: &str = "aadsts-bot console: paste text with AADSTS codes (blank lines are fine), then end the paste with a line holding only `.` or with Ctrl-D to see the reply the bot would send. Type `quit` or `exit`, or press Ctrl-D at an empty prompt, to leave.";
/// The console's prompt (on standard error, only when standard input is a terminal).
pub const CONSOLE_PROMPT: &str = "paste, then `.` or Ctrl-D > ";
/// Why `aadsts-bot run` refuses to start without a token and without a terminal.
pub const NO_TOKEN_NOT_A_TERMINAL: &str = "DISCORD_TOKEN is not set: set it in the environment or .env to run the bot (or run `aadsts-bot console` for the terminal console)";

/// The console's line naming the codes a bot reply leaves out.
pub fn console_more_codes(rest: &[String]) -> String {
    format!(
        "Also found: {}. The bot names these in one line; see each with `aadsts-bot lookup CODE`.",
        rest.join(", ")
    )
}

/// `lookup` of a name that is no enum name, with the nearest one if any.
pub fn no_entry_for(query: &str, suggestion: Option<&str>) -> String {
    match suggestion {
        Some(s) => format!("no entry for {query:?}; did you mean {s}?"),
        None => format!(
            "no entry for {query:?}: give a code (`50076`, `AADSTS50076`) or an enum name, or try `aadsts-bot search WORDS`"
        ),
    }
}

/// `lookup` of a code without an entry, naming the nearest known codes.
pub fn nearest_codes(code: impl std::fmt::Display, near: &[String]) -> String {
    format!(
        "{code} has no entry in the knowledge base; nearest known: {}",
        near.join(", ")
    )
}

/// `aadsts-bot 50076`: a code where a subcommand belongs.
pub fn code_as_subcommand(arg: &str, code: impl std::fmt::Display) -> String {
    format!("{arg:?} is not a subcommand; to explain a code, run `aadsts-bot lookup {code}`")
}

/// No knowledge folder was found in any of the places tried.
pub fn knowledge_not_found(tried: &[String]) -> String {
    format!(
        "no knowledge folder found; tried {}. Point to one with `--knowledge DIR` or KNOWLEDGE_DIR",
        tried.join(", ")
    )
}

/// The folder named by `--knowledge` or KNOWLEDGE_DIR does not exist.
pub fn knowledge_dir_missing(dir: &str, from: &str) -> String {
    format!("knowledge folder {dir} (from {from}) does not exist")
}

/// The first line of a code's explanation: who has to act first.
pub fn who_acts(who: crate::knowledge::WhoActs) -> &'static str {
    use crate::knowledge::WhoActs;
    match who {
        WhoActs::User => "You can fix this yourself",
        WhoActs::Admin => "Your IT admin needs to act",
        WhoActs::Developer => "The app's developer needs to act",
        WhoActs::Transient => "Usually temporary: try again",
    }
}

/// Field name for the causes of the matched message wording.
pub const VARIANT_CAUSES: &str = "Likely causes of this message";
/// Field name for the fixes of the matched message wording.
pub const VARIANT_FIXES: &str = "What to do about this message";

/// Heading of the part of an explanation about the matched wording.
pub fn variant_heading(phrase: &str) -> String {
    format!("Your message mentions \u{201c}{phrase}\u{201d}")
}

/// Heading of one audience's steps.
pub fn steps_heading(who: crate::knowledge::Audience) -> &'static str {
    use crate::knowledge::Audience;
    match who {
        Audience::User => "If you are the person signing in",
        Audience::Admin => "If you are the IT admin",
        Audience::Developer => "If you are the app's developer",
    }
}

/// When an entry has no steps for an audience.
pub fn no_steps_for(who: crate::knowledge::Audience) -> String {
    use crate::knowledge::Audience;
    let whom = match who {
        Audience::User => "the person signing in",
        Audience::Admin => "the IT admin",
        Audience::Developer => "the app's developer",
    };
    format!("There is nothing for {whom} to do here; see the full explanation for who acts.")
}
/// Line above the answer when the codes were read from a screenshot.
pub const READ_FROM_IMAGE: &str =
    "📷 Read from the image (OCR): check the code against the screenshot.";

/// Why an image could not be read, in words for the person who posted it
/// (never the internal detail).
pub fn ocr_refused(error: &crate::ocr::OcrError) -> &'static str {
    use crate::ocr::OcrError as E;
    match error {
        E::TooLarge { .. } => "This image is too large to read (at most 8 MiB).",
        E::TooManyPixels { .. } => "This image has too many pixels to read (at most 40 megapixels).",
        E::NotAnImage => "This file is not a PNG, JPEG or WebP image.",
        E::Undecodable => "This image could not be opened: it seems damaged or cut off.",
        E::Unavailable => "Reading images needs Tesseract: install the tesseract-ocr and tesseract-ocr-eng packages.",
        E::QueueFull => "Too many images are being read right now; please paste the error text instead.",
        E::Timeout => "Reading this image took too long; please paste the error text instead.",
        E::Failed(_) => "This image could not be read; please paste the error text instead.",
    }
}

/// A settings write refused because the database is read-only.
pub const STORE_READ_ONLY: &str = "settings can't be saved: the database is read-only";

/// A team note that is too long.
pub fn note_too_long(max: usize) -> String {
    format!("a team note can be at most {max} characters")
}

// --- Team features in Discord (audience buttons, notes, status, help, votes, stats) ---

/// Label of the audience button for `who`.
pub fn audience_label(who: crate::knowledge::Audience) -> &'static str {
    use crate::knowledge::Audience;
    match who {
        Audience::User => "I'm the user",
        Audience::Admin => "I'm an admin",
        Audience::Developer => "I'm the developer",
    }
}
/// When an audience button names no code we know any more.
pub const AUDIENCE_GONE: &str = "That explanation is no longer in the knowledge base.";
/// Field name of the server's own note under an answer.
pub const TEAM_NOTE: &str = "Your team's note";
/// The longest team note set from Discord, in characters.
pub const NOTE_MAX_CHARS: usize = 500;
/// A note over the limit.
pub fn team_note_too_long(chars: usize) -> String {
    format!("That note has {chars} characters; the limit is {NOTE_MAX_CHARS}. Shorten it and try again.")
}
/// Not a code the note could be attached to.
pub const NOTE_BAD_CODE: &str =
    "That is not an AADSTS code. Use a number such as `50076` or `AADSTS50076`.";
/// A note was saved.
pub fn note_saved(code: impl std::fmt::Display) -> String {
    format!("Saved. Answers about {code} in this server now show your team's note.")
}
/// A note was removed, or there was none.
pub fn note_removed(code: impl std::fmt::Display, removed: bool) -> String {
    if removed {
        format!("The team's note on {code} is removed.")
    } else {
        format!("There was no team note on {code}.")
    }
}
/// The server has no notes.
pub const NO_NOTES: &str = "This server has no team notes yet. Add one with `/aadsts-config note`.";
/// Heading of the notes list.
pub const NOTES_HEADING: &str = "Your team's notes";
/// Thanks for a helpfulness vote.
pub const VOTE_THANKS: &str = "Thanks, your answer is counted.";
/// A vote moved to the other side.
pub const VOTE_CHANGED: &str = "Thanks, your answer is updated.";
/// The same vote twice.
pub const VOTE_UNCHANGED: &str = "You already answered this one; thanks.";
/// Vote buttons.
pub const VOTE_HELPFUL: &str = "Helpful";
/// Vote buttons.
pub const VOTE_NOT_HELPFUL: &str = "Not helpful";
/// A vote could not be saved.
pub const VOTE_NOT_SAVED: &str = "Your answer could not be saved right now; please try later.";
/// Heading of `/aadsts-config status`.
pub const STATUS_HEADING: &str = "aadsts-bot in this server";
/// No channel is enabled.
pub const STATUS_NO_CHANNELS: &str =
    "Auto-replies are off everywhere. Turn them on with `/aadsts-config channel-add`.";
/// A permission the bot lacks, by name.
pub fn missing_permissions(names: &[&str]) -> String {
    format!("missing: {}", names.join(", "))
}
/// The bot has everything it needs in a channel.
pub const PERMISSIONS_OK: &str = "all permissions present";
/// The bot's permissions are not known (not in the cache yet).
pub const PERMISSIONS_UNKNOWN: &str = "permissions unknown (server not loaded yet)";
/// `channel-add` warning.
pub fn cannot_post_warning(names: &[&str]) -> String {
    format!(
        "⚠️ I can't post there yet: I'm missing {}. Give my role those permissions in that channel.",
        names.join(", ")
    )
}
/// Live lookup not configured.
pub const NOT_CONFIGURED: &str = "not configured";
/// `/aadsts-help`.
pub const HELP: &str = "**aadsts-bot** explains Microsoft Entra sign-in errors (`AADSTS50076` and the like).\n\
• `/aadsts <code or words>`: look up a code, or search by words such as `client secret expired`.\n\
• Right-click a message → Apps → **Explain error codes**: only you see the answer.\n\
• In channels a server manager turned on, the bot answers messages with codes by itself. Under each answer, **I'm the user / I'm an admin / I'm the developer** show only your steps, and **Helpful / Not helpful** tell the team what works.\n\
\n\
**Server managers** (Manage Server): `/aadsts-config channel-add` turns auto-replies on in a channel, `status` shows what is on and whether the bot can post, `note` adds your team's line under a code, `cooldown` and `attachments` tune replies, and `/aadsts-stats` shows the codes seen most.";
/// Heading of `/aadsts-stats`.
pub const STATS_HEADING: &str = "Codes in this server";
/// No codes seen.
pub const STATS_NONE: &str = "none yet";
/// Field names of `/aadsts-stats`.
pub const STATS_7: &str = "Last 7 days";
/// Field names of `/aadsts-stats`.
pub const STATS_30: &str = "Last 30 days";
/// Field names of `/aadsts-stats`.
pub const STATS_UNKNOWN: &str = "Codes not in the knowledge base (30 days)";
/// Field names of `/aadsts-stats`.
pub const STATS_HELPFUL: &str = "Helpful answers";
/// Field names of `/aadsts-config status`.
pub const STATUS_CHANNELS: &str = "Channels";
/// Field names of `/aadsts-config status`.
pub const STATUS_COOLDOWN: &str = "Cooldown";
/// Field names of `/aadsts-config status`.
pub const STATUS_ATTACHMENTS: &str = "Attachments";
/// Field names of `/aadsts-config status`.
pub const STATUS_OCR: &str = "Screenshots (OCR)";
/// Field names of `/aadsts-config status`.
pub const STATUS_LIVE: &str = "Live lookup";
/// A cooldown in minutes.
pub fn minutes(n: u64) -> String {
    format!("{n} min")
}
/// A setting's state.
pub fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}
