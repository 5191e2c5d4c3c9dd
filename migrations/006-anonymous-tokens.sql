-- Migration 6: an Index access token may be held by no account (issue 18). An anonymous
-- client pulling a public repository with `X-Docker-Token: true` gets a read token, as the
-- Index seed's pull flow shows, so `user_id` may be NULL, for read tokens only: such a token
-- reads what anonymous reads, on its one repository, and nothing else.
--
-- SQLite cannot drop NOT NULL in place, so the table is rebuilt (as migration 4 rebuilt it),
-- keeping every row and id, and the id sequence: an id given once is never given again.
CREATE TABLE access_tokens__rebuilt (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT    NOT NULL UNIQUE,
    -- NULL: an anonymous read token.
    user_id    INTEGER REFERENCES accounts(id) ON DELETE CASCADE,
    -- `namespace/name` (`library/x` for library); not a foreign key: a delete token
    -- outlives the repository it deleted.
    repository TEXT    NOT NULL,
    access     TEXT    NOT NULL CHECK (access IN ('read', 'write', 'delete')),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    CHECK (user_id IS NOT NULL OR access = 'read')
);
INSERT INTO access_tokens__rebuilt (id, token_hash, user_id, repository, access, created_at, expires_at)
    SELECT id, token_hash, user_id, repository, access, created_at, expires_at FROM access_tokens;
-- The sequence of the old table, which may be past the largest id left (the newest tokens
-- were consumed or expired), goes to the new one.
UPDATE sqlite_sequence
   SET seq = max(seq, (SELECT seq FROM sqlite_sequence WHERE name = 'access_tokens'))
 WHERE name = 'access_tokens__rebuilt'
   AND EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'access_tokens');
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'access_tokens__rebuilt', seq FROM sqlite_sequence
     WHERE name = 'access_tokens'
       AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'access_tokens__rebuilt');
DROP TABLE access_tokens;
ALTER TABLE access_tokens__rebuilt RENAME TO access_tokens;
CREATE INDEX access_tokens_expiry ON access_tokens(expires_at);
