-- Berth schema, migration 9: pushed tags and manifests leave change rows too (issue 14), so
-- the read cache can keep `/v2` manifest reads and a push, a tag move or a delete expires
-- them (`store::changes`). Never edit once shipped.
--
-- Each names its repository's namespace, as migration 2's repository triggers do. A tag's
-- pull counts are not a change of what it names, so only the columns that say which image or
-- manifest it is count.
CREATE TRIGGER changes_tags_insert AFTER INSERT ON tags BEGIN
    INSERT INTO changes (scope, seq)
        SELECT namespace_id, (SELECT coalesce(max(seq), 0) + 1 FROM changes)
          FROM repositories WHERE id = NEW.repository_id
        ON CONFLICT (scope) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER changes_tags_update AFTER UPDATE OF repository_id, name, image_id, manifest_id ON tags BEGIN
    INSERT INTO changes (scope, seq)
        SELECT namespace_id, (SELECT coalesce(max(seq), 0) + 1 FROM changes)
          FROM repositories WHERE id IN (OLD.repository_id, NEW.repository_id)
        ON CONFLICT (scope) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER changes_tags_delete AFTER DELETE ON tags BEGIN
    INSERT INTO changes (scope, seq)
        SELECT namespace_id, (SELECT coalesce(max(seq), 0) + 1 FROM changes)
          FROM repositories WHERE id = OLD.repository_id
        ON CONFLICT (scope) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER changes_manifests_insert AFTER INSERT ON manifests BEGIN
    INSERT INTO changes (scope, seq)
        SELECT namespace_id, (SELECT coalesce(max(seq), 0) + 1 FROM changes)
          FROM repositories WHERE id = NEW.repository_id
        ON CONFLICT (scope) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER changes_manifests_delete AFTER DELETE ON manifests BEGIN
    INSERT INTO changes (scope, seq)
        SELECT namespace_id, (SELECT coalesce(max(seq), 0) + 1 FROM changes)
          FROM repositories WHERE id = OLD.repository_id
        ON CONFLICT (scope) DO UPDATE SET seq = excluded.seq;
END;
