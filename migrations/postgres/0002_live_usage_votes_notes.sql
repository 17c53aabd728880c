-- Migration 2: live-lookup cache, usage counts, helpfulness votes, team notes.
-- No message text is stored anywhere.
CREATE TABLE IF NOT EXISTS live_cache (
    code BIGINT NOT NULL,
    host TEXT NOT NULL,
    found BOOLEAN NOT NULL,
    message TEXT NOT NULL,
    remediation TEXT NOT NULL,
    fetched_at BIGINT NOT NULL,
    PRIMARY KEY (code, host)
);
CREATE TABLE IF NOT EXISTS code_usage (
    guild_id BIGINT NOT NULL,
    day BIGINT NOT NULL,
    code BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (guild_id, day, code)
);
CREATE INDEX IF NOT EXISTS code_usage_day ON code_usage (day);
CREATE TABLE IF NOT EXISTS reply_votes (
    guild_id BIGINT NOT NULL,
    reply_id BIGINT NOT NULL,
    member_key BIGINT NOT NULL,
    code BIGINT NOT NULL,
    helpful BOOLEAN NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (guild_id, reply_id, member_key)
);
CREATE INDEX IF NOT EXISTS reply_votes_expiry ON reply_votes (expires_at);
CREATE TABLE IF NOT EXISTS vote_counts (
    guild_id BIGINT NOT NULL,
    code BIGINT NOT NULL,
    helpful BIGINT NOT NULL DEFAULT 0,
    not_helpful BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (guild_id, code)
);
CREATE TABLE IF NOT EXISTS guild_notes (
    guild_id BIGINT NOT NULL,
    code BIGINT NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (guild_id, code)
);
