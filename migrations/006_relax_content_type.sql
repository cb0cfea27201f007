-- migrations/006_relax_content_type.sql - content types are data: drop the original fixed list
-- SPDX-License-Identifier: MIT
--
-- Operators add content types as definition files without a rebuild, so the database accepts any
-- identifier-like type name instead of the original eight.

ALTER TABLE educational_content DROP CONSTRAINT IF EXISTS educational_content_content_type_check;
ALTER TABLE educational_content DROP CONSTRAINT IF EXISTS educational_content_content_type_format;
ALTER TABLE educational_content ADD CONSTRAINT educational_content_content_type_format
    CHECK (content_type ~ '^[a-z0-9][a-z0-9_-]{0,49}$');
