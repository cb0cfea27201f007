-- migrations/005_plugin_reloads.sql - audit of configuration and plugin reloads
-- SPDX-License-Identifier: MIT

CREATE TABLE IF NOT EXISTS plugin_reloads (
    id UUID PRIMARY KEY,
    config_generation BIGINT,
    trigger VARCHAR(20),                   -- api, sighup, startup
    actor VARCHAR(255),                    -- api_keys.id / username, never the key
    success BOOLEAN NOT NULL,
    loaded JSONB,
    unloaded JSONB,
    unchanged JSONB,
    errors JSONB,
    duration_ms INTEGER,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX IF NOT EXISTS idx_plugin_reloads_created_at ON plugin_reloads(created_at);
