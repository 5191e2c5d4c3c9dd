-- Migration 7: the image pages (issue 16). Never edit once shipped.

-- When a tag was last pulled (written with its pull count, in the batched flush of
-- `store::pulls`); NULL: never, or pulled before this migration.
ALTER TABLE tags ADD COLUMN pulled_at INTEGER;

-- Pulls and pushes of a repository per UTC day (`day` counts days since 1970-01-01), so an
-- activity chart is one small range read of the primary key. Pulls are added by the same
-- batched flush as the pull counts, pushes in the push's own transaction.
CREATE TABLE daily_activity (
    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    day           INTEGER NOT NULL,
    pulls         INTEGER NOT NULL DEFAULT 0,
    pushes        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (repository_id, day)
) WITHOUT ROWID;
