-- Migration 1: per-server settings.
CREATE TABLE IF NOT EXISTS guild_settings (
    guild_id BIGINT PRIMARY KEY,
    cooldown_secs BIGINT,
    attachments BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE TABLE IF NOT EXISTS enabled_channels (
    guild_id BIGINT NOT NULL,
    channel_id BIGINT NOT NULL,
    PRIMARY KEY (guild_id, channel_id)
);
