-- Berth schema, migration 3: what lets listings and searches answer without visiting every
-- row they count or rank (issue 17). Never edit once shipped.

-- Repositories per namespace, public and in all, kept by triggers in the transaction that
-- adds, removes or hides a repository: a catalog range counts whole namespaces from here and
-- reads rows only where the range cuts into one (store::catalog). `folder` is `name/`, where
-- the namespace's displayed paths start (library's are shown without it, so never counted
-- here).
CREATE TABLE namespace_counts (
    namespace_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    folder       TEXT    NOT NULL,
    public       INTEGER NOT NULL DEFAULT 0,
    total        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX namespace_counts_folder ON namespace_counts(folder, public, total);
INSERT INTO namespace_counts (namespace_id, folder, public, total)
    SELECT a.id, a.name || '/', sum(r.is_public), count(*)
      FROM accounts a JOIN repositories r ON r.namespace_id = a.id GROUP BY a.id;
CREATE TRIGGER namespace_counts_insert AFTER INSERT ON repositories BEGIN
    INSERT INTO namespace_counts (namespace_id, folder, public, total)
        SELECT id, name || '/', NEW.is_public, 1 FROM accounts WHERE id = NEW.namespace_id
        ON CONFLICT (namespace_id) DO UPDATE SET public = public + excluded.public, total = total + 1;
END;
CREATE TRIGGER namespace_counts_delete AFTER DELETE ON repositories BEGIN
    UPDATE namespace_counts SET public = public - OLD.is_public, total = total - 1
        WHERE namespace_id = OLD.namespace_id;
END;
CREATE TRIGGER namespace_counts_visibility AFTER UPDATE OF is_public ON repositories
    WHEN OLD.is_public <> NEW.is_public BEGIN
    UPDATE namespace_counts SET public = public + NEW.is_public - OLD.is_public
        WHERE namespace_id = NEW.namespace_id;
END;

-- The public repositories' text, indexed apart: a search for an anonymous caller (and the
-- public part of anyone's) counts and ranks matches in this index alone, never looking at a
-- private row or at any row at all until it has the page. Contentless: the text lives in
-- `repositories`; `repositories_fts` still indexes every repository.
CREATE VIRTUAL TABLE public_fts USING fts5(
    full_path, short_description, long_description,
    content = '', contentless_delete = 1,
    tokenize = "unicode61 tokenchars '_'"
);
INSERT INTO public_fts (rowid, full_path, short_description, long_description)
    SELECT id, full_path, short_description, long_description FROM repositories WHERE is_public = 1;
CREATE TRIGGER public_fts_insert AFTER INSERT ON repositories WHEN NEW.is_public = 1 BEGIN
    INSERT INTO public_fts (rowid, full_path, short_description, long_description)
    VALUES (NEW.id, NEW.full_path, NEW.short_description, NEW.long_description);
END;
CREATE TRIGGER public_fts_delete AFTER DELETE ON repositories WHEN OLD.is_public = 1 BEGIN
    DELETE FROM public_fts WHERE rowid = OLD.id;
END;
CREATE TRIGGER public_fts_update
    AFTER UPDATE OF full_path, short_description, long_description, is_public ON repositories
    WHEN OLD.is_public = 1 OR NEW.is_public = 1 BEGIN
    DELETE FROM public_fts WHERE rowid = OLD.id AND OLD.is_public = 1;
    INSERT INTO public_fts (rowid, full_path, short_description, long_description)
        SELECT NEW.id, NEW.full_path, NEW.short_description, NEW.long_description
         WHERE NEW.is_public = 1;
END;

-- Search order within a relevance tier (most stars, then path), walked from the top until a
-- page is found (store::search).
CREATE INDEX repositories_rank ON repositories(star_count DESC, full_path);
-- Counting one namespace's visible repositories reads this index, not the rows.
CREATE INDEX repositories_namespace_public ON repositories(namespace_id, is_public);
