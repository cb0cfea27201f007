-- migrations/001_initial_schema.sql - the original La Factoria schema (tables, views, seed users)
-- SPDX-License-Identifier: MIT
--
-- Keeps the original table and column names so the runbook's SQL works verbatim. Idempotent: it can be
-- applied by hand with `psql -f migrations/001_initial_schema.sql` any number of times, and the migrator
-- (core/src/migrate.c) adopts a schema created that way. No BEGIN/COMMIT here: the migrator wraps each
-- file in its own transaction.

CREATE TABLE IF NOT EXISTS users (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    username VARCHAR(255) NOT NULL UNIQUE,
    email VARCHAR(255) UNIQUE,
    api_key_hash VARCHAR(255),
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    last_login TIMESTAMPTZ
);

CREATE TABLE IF NOT EXISTS educational_content (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID REFERENCES users(id) ON DELETE CASCADE,
    content_type VARCHAR(50) NOT NULL CHECK (content_type IN (
        'master_content_outline', 'podcast_script', 'study_guide', 'one_pager_summary',
        'detailed_reading_material', 'faq_collection', 'flashcards', 'reading_guide_questions')),
    topic VARCHAR(500) NOT NULL,
    age_group VARCHAR(50) NOT NULL CHECK (age_group IN (
        'elementary', 'middle_school', 'high_school', 'college', 'adult_learning', 'general')),
    generated_content JSONB NOT NULL,
    learning_objectives JSONB,
    quality_score NUMERIC(3,2) CHECK (quality_score >= 0 AND quality_score <= 1),
    educational_effectiveness NUMERIC(3,2)
        CHECK (educational_effectiveness >= 0 AND educational_effectiveness <= 1),
    factual_accuracy NUMERIC(3,2) CHECK (factual_accuracy >= 0 AND factual_accuracy <= 1),
    age_appropriateness NUMERIC(3,2) CHECK (age_appropriateness >= 0 AND age_appropriateness <= 1),
    cognitive_load_metrics JSONB,
    generation_duration_ms INTEGER,
    tokens_used INTEGER,
    ai_provider VARCHAR(50),
    ai_model VARCHAR(100),
    prompt_template VARCHAR(100),
    additional_requirements TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS content_generation_sessions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID REFERENCES users(id) ON DELETE CASCADE,
    session_type VARCHAR(50) NOT NULL DEFAULT 'single',
    topic VARCHAR(500),
    age_group VARCHAR(50),
    requested_content_types JSONB,
    status VARCHAR(20) NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'in_progress', 'completed', 'partial', 'failed')),
    started_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    completed_at TIMESTAMPTZ,
    total_duration_ms INTEGER,
    error_message TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS quality_assessments (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    content_id UUID NOT NULL REFERENCES educational_content(id) ON DELETE CASCADE,
    overall_quality_score NUMERIC(3,2) CHECK (overall_quality_score >= 0 AND overall_quality_score <= 1),
    educational_effectiveness NUMERIC(3,2)
        CHECK (educational_effectiveness >= 0 AND educational_effectiveness <= 1),
    factual_accuracy NUMERIC(3,2) CHECK (factual_accuracy >= 0 AND factual_accuracy <= 1),
    age_appropriateness NUMERIC(3,2) CHECK (age_appropriateness >= 0 AND age_appropriateness <= 1),
    structural_quality NUMERIC(3,2) CHECK (structural_quality >= 0 AND structural_quality <= 1),
    engagement_level NUMERIC(3,2) CHECK (engagement_level >= 0 AND engagement_level <= 1),
    readability_score NUMERIC(6,2),
    cognitive_load_metrics JSONB,
    meets_quality_threshold BOOLEAN,
    meets_educational_threshold BOOLEAN,
    meets_factual_threshold BOOLEAN,
    assessment_details JSONB,
    assessor_version VARCHAR(50),
    assessed_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS api_usage (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID REFERENCES users(id) ON DELETE SET NULL,
    api_key_hash VARCHAR(255),
    endpoint VARCHAR(255) NOT NULL,
    method VARCHAR(10) NOT NULL,
    status_code INTEGER,
    response_time_ms INTEGER,
    request_size_bytes INTEGER,
    response_size_bytes INTEGER,
    ip_address INET,
    user_agent TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TABLE IF NOT EXISTS content_feedback (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    content_id UUID NOT NULL REFERENCES educational_content(id) ON DELETE CASCADE,
    user_id UUID REFERENCES users(id) ON DELETE CASCADE,
    rating INTEGER CHECK (rating >= 1 AND rating <= 5),
    feedback_type VARCHAR(50),
    feedback_text TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE INDEX IF NOT EXISTS idx_educational_content_user_id ON educational_content(user_id);
CREATE INDEX IF NOT EXISTS idx_educational_content_content_type ON educational_content(content_type);
CREATE INDEX IF NOT EXISTS idx_educational_content_created_at ON educational_content(created_at);
CREATE INDEX IF NOT EXISTS idx_educational_content_quality_score ON educational_content(quality_score);
CREATE INDEX IF NOT EXISTS idx_sessions_user_id ON content_generation_sessions(user_id);
CREATE INDEX IF NOT EXISTS idx_quality_assessments_content_id ON quality_assessments(content_id);
CREATE INDEX IF NOT EXISTS idx_api_usage_user_id ON api_usage(user_id);
CREATE INDEX IF NOT EXISTS idx_api_usage_created_at ON api_usage(created_at);
CREATE INDEX IF NOT EXISTS idx_content_feedback_content_id ON content_feedback(content_id);

CREATE OR REPLACE FUNCTION update_updated_at_column() RETURNS TRIGGER AS $$
BEGIN
    NEW.updated_at = NOW();
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE TRIGGER update_users_updated_at BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
CREATE OR REPLACE TRIGGER update_educational_content_updated_at BEFORE UPDATE ON educational_content
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

CREATE OR REPLACE VIEW content_summary AS
SELECT ec.id, ec.content_type, ec.topic, ec.age_group, ec.quality_score, ec.educational_effectiveness,
       ec.factual_accuracy, ec.age_appropriateness, ec.generation_duration_ms, ec.tokens_used,
       ec.ai_provider, ec.ai_model, u.username, ec.created_at
FROM educational_content ec
LEFT JOIN users u ON u.id = ec.user_id;

CREATE OR REPLACE VIEW user_content_stats AS
SELECT u.id AS user_id, u.username,
       COUNT(ec.id) AS total_content,
       AVG(ec.quality_score) AS avg_quality_score,
       MAX(ec.created_at) AS last_generated_at
FROM users u
LEFT JOIN educational_content ec ON ec.user_id = u.id
GROUP BY u.id, u.username;

CREATE OR REPLACE VIEW content_type_stats AS
SELECT content_type,
       COUNT(*) AS total_count,
       AVG(quality_score) AS avg_quality_score,
       AVG(educational_effectiveness) AS avg_educational_effectiveness,
       AVG(factual_accuracy) AS avg_factual_accuracy,
       AVG(generation_duration_ms) AS avg_generation_duration_ms
FROM educational_content
GROUP BY content_type;

-- Seed users with fixed ids: 'system' owns records made with the bootstrap key, 'demo_user' is the demo account.
INSERT INTO users (id, username, email) VALUES
    ('00000000-0000-0000-0000-000000000001', 'system', NULL),
    ('00000000-0000-0000-0000-000000000002', 'demo_user', 'demo@lafactoria.local')
ON CONFLICT DO NOTHING;
