-- Berth schema, migration 5: the registry (`/v2`, API-NOTES section 10). Never edit once
-- shipped. Blob contents are files in the data folder (`blobs/sha256/ab/abcd...`); these rows
-- say which exist, which repository links which, and hold manifests, tags and uploads.

-- One row per blob file, however many repositories link it. A row is written only after its
-- file was verified, fsynced and renamed into place.
CREATE TABLE blobs (
    digest     TEXT    PRIMARY KEY,
    size       INTEGER NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Which repository may serve which blob (pushed there, mounted, or referenced by a manifest
-- pushed there). Deleting a link never deletes the file: garbage collection does.
CREATE TABLE repository_blobs (
    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    digest        TEXT    NOT NULL REFERENCES blobs(digest),
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (repository_id, digest)
) WITHOUT ROWID;
CREATE INDEX repository_blobs_digest ON repository_blobs(digest);

-- Manifests, byte for byte as pushed (at most 4 MiB), and what pages and dialects show of them.
CREATE TABLE manifests (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    digest        TEXT    NOT NULL,
    media_type    TEXT    NOT NULL,
    content       BLOB    NOT NULL,
    -- Bytes of config and layers (an image manifest), or of every child's (an index).
    image_size    INTEGER NOT NULL DEFAULT 0,
    -- The config blob's digest (an image manifest): its hex is Docker's image id.
    config_digest TEXT,
    -- `artifactType`, or the config media type of an artifact (the referrers API).
    artifact_type TEXT,
    -- The `subject` manifest's digest, for the referrers API.
    subject       TEXT,
    -- JSON object of the manifest's `annotations`, or NULL.
    annotations   TEXT,
    -- JSON array of `os/architecture[/variant]` the manifest serves.
    platforms     TEXT    NOT NULL DEFAULT '[]',
    created_at    INTEGER NOT NULL,
    UNIQUE (repository_id, digest)
);
CREATE INDEX manifests_subject ON manifests(repository_id, subject) WHERE subject IS NOT NULL;

-- What each manifest references: blobs (config, layers) and manifests (an index's children).
CREATE TABLE manifest_references (
    manifest_id INTEGER NOT NULL REFERENCES manifests(id) ON DELETE CASCADE,
    digest      TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('blob', 'manifest')),
    PRIMARY KEY (manifest_id, digest)
) WITHOUT ROWID;
CREATE INDEX manifest_references_digest ON manifest_references(digest);

-- A pushed tag is a row of `tags` (so every dialect and page lists it) that also names its
-- manifest; a tag written by the legacy Index routes has none. Deleting the manifest
-- deletes its tags.
ALTER TABLE tags ADD COLUMN manifest_id INTEGER REFERENCES manifests(id) ON DELETE CASCADE;
CREATE INDEX tags_manifest ON tags(manifest_id) WHERE manifest_id IS NOT NULL;

-- Upload sessions. Their bytes are a file in the data folder's `uploads/` named by the id;
-- `size` is what was acknowledged (the file is cut back to it when a session resumes).
CREATE TABLE uploads (
    id            TEXT    PRIMARY KEY,
    repository_id INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
    size          INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) WITHOUT ROWID;
