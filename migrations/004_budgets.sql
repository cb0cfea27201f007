-- migrations/004_budgets.sql - budgets per provider or per key, and their spend per period
-- SPDX-License-Identifier: MIT

CREATE TABLE IF NOT EXISTS budgets (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    scope VARCHAR(20) NOT NULL CHECK (scope IN ('provider', 'key', 'user', 'global')),
    scope_id VARCHAR(200) NOT NULL,        -- provider name, api_keys.id, users.id or 'all'
    period VARCHAR(10) NOT NULL CHECK (period IN ('day', 'month')),
    limit_usd NUMERIC(14,6) NOT NULL CHECK (limit_usd >= 0),
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (scope, scope_id, period)
);

CREATE TABLE IF NOT EXISTS budget_spend (
    scope VARCHAR(20) NOT NULL,
    scope_id VARCHAR(200) NOT NULL,
    period VARCHAR(10) NOT NULL,
    period_start DATE NOT NULL,            -- first day of the day/month (UTC)
    spent_usd NUMERIC(14,8) NOT NULL DEFAULT 0,
    requests BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (scope, scope_id, period, period_start)
);
