-- Migration 1: per-server settings (the schema before versioned migrations,
-- so files created by earlier releases pass through unchanged).
CREATE TABLE IF NOT EXISTS guild_settings (
    guild_id INTEGER PRIMARY KEY,
    cooldown_secs INTEGER,
    attachments INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS enabled_channels (
    guild_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    PRIMARY KEY (guild_id, channel_id)
);
