-- Berth schema, migration 1. Never edit once shipped: add migration 2 instead.
-- Times are Unix milliseconds (UTC) in INTEGER columns.

-- Users and organizations share one namespace of names.
CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    kind          TEXT    NOT NULL CHECK (kind IN ('user', 'organization')),
    -- bcrypt hash; NULL for organizations.
    password_hash TEXT,
    full_name     TEXT    NOT NULL DEFAULT '',
    is_active     INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    is_admin      INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    created_at    INTEGER NOT NULL,
    CHECK ((kind = 'user') = (password_hash IS NOT NULL))
);

-- A user has one or more emails; the Index dialect adds, never removes.
CREATE TABLE emails (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    email      TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    created_at INTEGER NOT NULL
);
CREATE INDEX emails_account ON emails(account_id);

-- Teams belong to an organization; every organization has a team `owners`.
CREATE TABLE teams (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE team_members (
    team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, user_id)
) WITHOUT ROWID;
CREATE INDEX team_members_user ON team_members(user_id);

CREATE TABLE repositories (
    id                    INTEGER PRIMARY KEY,
    namespace_id          INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name                  TEXT    NOT NULL,
    -- `namespace/name`; namespaces are never renamed, so this never goes stale.
    full_path             TEXT    NOT NULL UNIQUE,
    -- full_path as RegistryUI shows it (`library/x` is `x`): the byte-ordered sort and keyset
    -- key of /udr/v1api listings. Unique, because only library paths lose their `/`.
    display_path          TEXT    GENERATED ALWAYS AS (CASE WHEN substr(full_path, 1, 8) = 'library/'
                                  THEN substr(full_path, 9) ELSE full_path END) VIRTUAL,
    short_description     TEXT    NOT NULL DEFAULT '',
    long_description      TEXT    NOT NULL DEFAULT '',
    -- long_description rendered by markdown::render (sanitized) on write.
    long_description_html TEXT    NOT NULL DEFAULT '',
    is_public             INTEGER NOT NULL DEFAULT 0 CHECK (is_public IN (0, 1)),
    created_at            INTEGER NOT NULL,
    -- NULL until the first update.
    updated_at            INTEGER,
    pull_count            INTEGER NOT NULL DEFAULT 0,
    push_count            INTEGER NOT NULL DEFAULT 0,
    pulled_at             INTEGER,
    pushed_at             INTEGER,
    -- Maintained by the star triggers below, so listings can sort by it.
    star_count            INTEGER NOT NULL DEFAULT 0,
    UNIQUE (namespace_id, name)
);
CREATE UNIQUE INDEX repositories_display_path ON repositories(display_path);
-- Orders of the web UI's explore page (store::search::Order), so a page walks an index.
CREATE INDEX repositories_activity ON repositories(
    MAX(created_at, COALESCE(updated_at, 0), COALESCE(pushed_at, 0)));
CREATE INDEX repositories_stars ON repositories(star_count);
CREATE INDEX repositories_pulls ON repositories(pull_count);

-- Counts kept by triggers. `public_repositories` is the true total of the anonymous explore
-- page (what anonymous visitors may read is exactly the public repositories), in O(1).
CREATE TABLE counters (
    name  TEXT    PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO counters (name, value) VALUES ('public_repositories', 0);
CREATE TRIGGER repositories_public_insert AFTER INSERT ON repositories WHEN NEW.is_public = 1 BEGIN
    UPDATE counters SET value = value + 1 WHERE name = 'public_repositories';
END;
CREATE TRIGGER repositories_public_delete AFTER DELETE ON repositories WHEN OLD.is_public = 1 BEGIN
    UPDATE counters SET value = value - 1 WHERE name = 'public_repositories';
END;
CREATE TRIGGER repositories_public_update AFTER UPDATE OF is_public ON repositories
    WHEN OLD.is_public <> NEW.is_public BEGIN
    UPDATE counters SET value = value + (CASE WHEN NEW.is_public = 1 THEN 1 ELSE -1 END)
        WHERE name = 'public_repositories';
END;

-- Access grants. Levels: read-only < read-write < admin.
CREATE TABLE repository_user_access (
    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    level         TEXT    NOT NULL CHECK (level IN ('read-only', 'read-write', 'admin')),
    PRIMARY KEY (repository_id, user_id)
) WITHOUT ROWID;
CREATE INDEX repository_user_access_user ON repository_user_access(user_id);

CREATE TABLE repository_team_access (
    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    team_id       INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    level         TEXT    NOT NULL CHECK (level IN ('read-only', 'read-write', 'admin')),
    PRIMARY KEY (repository_id, team_id)
) WITHOUT ROWID;
CREATE INDEX repository_team_access_team ON repository_team_access(team_id);

-- A team's level on every repository of its own organization's namespace.
CREATE TABLE namespace_team_access (
    team_id INTEGER PRIMARY KEY REFERENCES teams(id) ON DELETE CASCADE,
    level   TEXT    NOT NULL CHECK (level IN ('read-only', 'read-write', 'admin'))
);

CREATE TABLE images (
    id            INTEGER PRIMARY KEY,
    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    image_id      TEXT    NOT NULL,
    checksum      TEXT,
    created_at    INTEGER NOT NULL,
    UNIQUE (repository_id, image_id)
);

CREATE TABLE tags (
    repository_id INTEGER NOT NULL,
    name          TEXT    NOT NULL,
    image_id      TEXT    NOT NULL,
    updated_at    INTEGER NOT NULL,
    pull_count    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (repository_id, name),
    FOREIGN KEY (repository_id, image_id) REFERENCES images(repository_id, image_id) ON DELETE CASCADE,
    FOREIGN KEY (repository_id) REFERENCES repositories(id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE stars (
    user_id       INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (user_id, repository_id)
) WITHOUT ROWID;
CREATE INDEX stars_repository ON stars(repository_id);

CREATE TRIGGER stars_count_insert AFTER INSERT ON stars BEGIN
    UPDATE repositories SET star_count = star_count + 1 WHERE id = NEW.repository_id;
END;
CREATE TRIGGER stars_count_delete AFTER DELETE ON stars BEGIN
    UPDATE repositories SET star_count = star_count - 1 WHERE id = OLD.repository_id;
END;

-- API keys ("user tokens"): random, shown once, kept only as a SHA-256 hash.
CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    -- The first characters of the key, to tell keys apart in listings.
    prefix       TEXT    NOT NULL,
    key_hash     TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);
CREATE INDEX api_keys_user ON api_keys(user_id);

-- Index dialect access tokens: bound to one repository path and one access, expiring.
CREATE TABLE access_tokens (
    id         INTEGER PRIMARY KEY,
    token_hash TEXT    NOT NULL UNIQUE,
    user_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    -- `namespace/name` (`library/x` for library); not a foreign key: a delete token
    -- outlives the repository it deleted.
    repository TEXT    NOT NULL,
    access     TEXT    NOT NULL CHECK (access IN ('read', 'write', 'delete')),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX access_tokens_expiry ON access_tokens(expires_at);

-- Web UI sessions, kept server-side; the cookie carries a random id, stored hashed.
CREATE TABLE sessions (
    id_hash    TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    csrf_token TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_id);

-- Cloud dialect: references to repositories on other registries, with credentials.
CREATE TABLE external_repositories (
    id            INTEGER PRIMARY KEY,
    namespace_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    -- Full reference, e.g. `registry.local/user1/image1`.
    name          TEXT    NOT NULL,
    registry_host TEXT    NOT NULL,
    username      TEXT    NOT NULL DEFAULT '',
    -- AEAD ciphertext of the password (nonce prepended), bound to the row.
    secret        BLOB,
    -- Which key generation encrypted `secret`.
    key_id        TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (namespace_id, name)
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO settings (key, value) VALUES ('registration', 'approval'), ('public_api', 'off');

-- Full-text search over namespace, name and descriptions (external content).
CREATE VIRTUAL TABLE repositories_fts USING fts5(
    full_path, short_description, long_description,
    content = 'repositories', content_rowid = 'id',
    tokenize = "unicode61 tokenchars '_'"
);
CREATE TRIGGER repositories_fts_insert AFTER INSERT ON repositories BEGIN
    INSERT INTO repositories_fts (rowid, full_path, short_description, long_description)
    VALUES (NEW.id, NEW.full_path, NEW.short_description, NEW.long_description);
END;
CREATE TRIGGER repositories_fts_delete AFTER DELETE ON repositories BEGIN
    INSERT INTO repositories_fts (repositories_fts, rowid, full_path, short_description, long_description)
    VALUES ('delete', OLD.id, OLD.full_path, OLD.short_description, OLD.long_description);
END;
CREATE TRIGGER repositories_fts_update AFTER UPDATE OF full_path, short_description, long_description ON repositories BEGIN
    INSERT INTO repositories_fts (repositories_fts, rowid, full_path, short_description, long_description)
    VALUES ('delete', OLD.id, OLD.full_path, OLD.short_description, OLD.long_description);
    INSERT INTO repositories_fts (rowid, full_path, short_description, long_description)
    VALUES (NEW.id, NEW.full_path, NEW.short_description, NEW.long_description);
END;
