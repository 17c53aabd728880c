-- Migration 2: live-lookup cache, usage counts, helpfulness votes, team notes.
-- No message text is stored anywhere.
CREATE TABLE IF NOT EXISTS live_cache (
    code INTEGER NOT NULL,
    host TEXT NOT NULL,
    found INTEGER NOT NULL,
    message TEXT NOT NULL,
    remediation TEXT NOT NULL,
    fetched_at INTEGER NOT NULL,
    PRIMARY KEY (code, host)
);
CREATE TABLE IF NOT EXISTS code_usage (
    guild_id INTEGER NOT NULL,
    day INTEGER NOT NULL,
    code INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (guild_id, day, code)
);
CREATE INDEX IF NOT EXISTS code_usage_day ON code_usage (day);
CREATE TABLE IF NOT EXISTS reply_votes (
    guild_id INTEGER NOT NULL,
    reply_id INTEGER NOT NULL,
    member_key INTEGER NOT NULL,
    code INTEGER NOT NULL,
    helpful INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (guild_id, reply_id, member_key)
);
CREATE INDEX IF NOT EXISTS reply_votes_expiry ON reply_votes (expires_at);
CREATE TABLE IF NOT EXISTS vote_counts (
    guild_id INTEGER NOT NULL,
    code INTEGER NOT NULL,
    helpful INTEGER NOT NULL DEFAULT 0,
    not_helpful INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (guild_id, code)
);
CREATE TABLE IF NOT EXISTS guild_notes (
    guild_id INTEGER NOT NULL,
    code INTEGER NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (guild_id, code)
);
