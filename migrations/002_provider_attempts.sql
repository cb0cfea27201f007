-- migrations/002_provider_attempts.sql - provider attempts (usage, cost, outcome) and gateway columns
-- SPDX-License-Identifier: MIT

CREATE TABLE IF NOT EXISTS provider_attempts (
    id UUID PRIMARY KEY,
    request_id VARCHAR(128),
    content_id UUID,                 -- educational_content.id when the attempt belongs to a generation
    user_id UUID,
    attempt_no INTEGER,
    provider VARCHAR(100) NOT NULL,
    model VARCHAR(200),
    outcome VARCHAR(40) NOT NULL,    -- ok, connect_error, timeout, rate_limited, upstream_5xx, ...
    http_status INTEGER,
    latency_ms INTEGER,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    tokens_estimated BOOLEAN NOT NULL DEFAULT FALSE,
    cost_usd NUMERIC(14,8),
    error_message TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX IF NOT EXISTS idx_provider_attempts_created_at ON provider_attempts(created_at);
CREATE INDEX IF NOT EXISTS idx_provider_attempts_provider ON provider_attempts(provider, created_at);
CREATE INDEX IF NOT EXISTS idx_provider_attempts_content_id ON provider_attempts(content_id);
CREATE INDEX IF NOT EXISTS idx_provider_attempts_user_id ON provider_attempts(user_id);

-- What the gateway knows about a generation beyond the original columns.
ALTER TABLE educational_content ADD COLUMN IF NOT EXISTS request_id VARCHAR(128);
ALTER TABLE educational_content ADD COLUMN IF NOT EXISTS prompt_tokens INTEGER;
ALTER TABLE educational_content ADD COLUMN IF NOT EXISTS completion_tokens INTEGER;
ALTER TABLE educational_content ADD COLUMN IF NOT EXISTS cost_usd NUMERIC(14,8);
ALTER TABLE educational_content ADD COLUMN IF NOT EXISTS quality_metrics JSONB;
ALTER TABLE educational_content ADD COLUMN IF NOT EXISTS metadata JSONB;
CREATE INDEX IF NOT EXISTS idx_educational_content_created_id ON educational_content(created_at DESC, id DESC);

ALTER TABLE content_generation_sessions ADD COLUMN IF NOT EXISTS request_id VARCHAR(128);
ALTER TABLE content_generation_sessions ADD COLUMN IF NOT EXISTS successful_count INTEGER;
ALTER TABLE content_generation_sessions ADD COLUMN IF NOT EXISTS failed_count INTEGER;
ALTER TABLE content_generation_sessions ADD COLUMN IF NOT EXISTS average_quality_score NUMERIC(3,2);
ALTER TABLE content_generation_sessions ADD COLUMN IF NOT EXISTS total_cost_usd NUMERIC(14,8);
ALTER TABLE content_generation_sessions ADD COLUMN IF NOT EXISTS details JSONB;

ALTER TABLE api_usage ADD COLUMN IF NOT EXISTS request_id VARCHAR(128);
