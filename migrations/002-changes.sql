-- Berth schema, migration 2: what changed, for the read cache (store::changes). Never edit
-- once shipped.
--
-- Every write that can change a cached answer leaves a row here, from a trigger, so writes by
-- any process and any code (the `berth admin` CLI, an older binary, a SQL shell) are seen,
-- not only those of the running server. One row per scope, holding the sequence number of its
-- latest change:
--   scope > 0: the namespace (account id) whose repositories, or whose account, changed;
--   scope = 0: permissions (grants, teams, members, visibility, an account's state): every
--              cached answer may change.
-- `seq` grows with every change (writers take turns, so it follows commit order); a reader
-- asks for the rows above the last `seq` it saw.
CREATE TABLE changes (
    scope INTEGER PRIMARY KEY,
    seq   INTEGER NOT NULL
);
CREATE INDEX changes_seq ON changes(seq);

CREATE TRIGGER changes_repository_insert AFTER INSERT ON repositories BEGIN
    INSERT INTO changes (scope, seq) VALUES (NEW.namespace_id, (SELECT coalesce(max(seq), 0) + 1 FROM changes))
        ON CONFLICT (scope) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER changes_repository_update AFTER UPDATE ON repositories BEGIN
    INSERT INTO changes (scope, seq) VALUES (NEW.namespace_id, (SELECT coalesce(max(seq), 0) + 1 FROM changes))
        ON CONFLICT (scope) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER changes_repository_delete AFTER DELETE ON repositories BEGIN
    INSERT INTO changes (scope, seq) VALUES (OLD.namespace_id, (SELECT coalesce(max(seq), 0) + 1 FROM changes))
        ON CONFLICT (scope) DO UPDATE SET seq = excluded.seq;
END;
-- Visibility is a permission: searches, which may otherwise lag, must not show a repository
-- made private for even a moment.
CREATE TRIGGER changes_repository_visibility AFTER UPDATE OF is_public ON repositories
    WHEN OLD.is_public <> NEW.is_public BEGIN
    INSERT INTO changes (scope, seq) VALUES (0, (SELECT coalesce(max(seq), 0) + 1 FROM changes))
        ON CONFLICT (scope) DO UPDATE SET seq = excluded.seq;
END;

-- A new account is a new namespace (listings of it, the explore page's namespaces).
CREATE TRIGGER changes_account_insert AFTER INSERT ON accounts BEGIN
    INSERT INTO changes (scope, seq) VALUES (NEW.id, (SELECT coalesce(max(seq), 0) + 1 FROM changes))
        ON CONFLICT (scope) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER changes_account_delete AFTER DELETE ON accounts BEGIN
    INSERT INTO changes (scope, seq) VALUES (0, (SELECT coalesce(max(seq), 0) + 1 FROM changes))
        ON CONFLICT (scope) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER changes_account_update AFTER UPDATE OF name, kind, is_active, is_admin ON accounts BEGIN
    INSERT INTO changes (scope, seq) VALUES (0, (SELECT coalesce(max(seq), 0) + 1 FROM changes))
        ON CONFLICT (scope) DO UPDATE SET seq = excluded.seq;
END;

-- Grants, teams and their members: permissions.
CREATE TRIGGER changes_teams_insert AFTER INSERT ON teams BEGIN
    INSERT INTO changes (scope, seq) VALUES (0, (SELECT coalesce(max(seq), 0) + 1 FROM changes))
        ON CONFLICT (scope) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER changes_teams_update AFTER UPDATE ON teams BEGIN
    INSERT INTO changes (scope, seq) VALUES (0, (SELECT coalesce(max(seq), 0) + 1 FROM changes))
        ON CONFLICT (scope) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER changes_teams_delete AFTER DELETE ON teams BEGIN
    INSERT INTO changes (scope, seq) VALUES (0, (SELECT coalesce(max(seq), 0) + 1 FROM changes))
        ON CONFLICT (scope) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER changes_team_members_insert AFTER INSERT ON team_members BEGIN
    INSERT INTO changes (scope, seq) VALUES (0, (SELECT coalesce(max(seq), 0) + 1 FROM changes))
        ON CONFLICT (scope) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER changes_team_members_delete AFTER DELETE ON team_members BEGIN
    INSERT INTO changes (scope, seq) VALUES (0, (SELECT coalesce(max(seq), 0) + 1 FROM changes))
        ON CONFLICT (scope) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER changes_namespace_team_access_insert AFTER INSERT ON namespace_team_access BEGIN
    INSERT INTO changes (scope, seq) VALUES (0, (SELECT coalesce(max(seq), 0) + 1 FROM changes))
        ON CONFLICT (scope) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER changes_namespace_team_access_update AFTER UPDATE ON namespace_team_access BEGIN
    INSERT INTO changes (scope, seq) VALUES (0, (SELECT coalesce(max(seq), 0) + 1 FROM changes))
        ON CONFLICT (scope) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER changes_namespace_team_access_delete AFTER DELETE ON namespace_team_access BEGIN
    INSERT INTO changes (scope, seq) VALUES (0, (SELECT coalesce(max(seq), 0) + 1 FROM changes))
        ON CONFLICT (scope) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER changes_repository_user_access_insert AFTER INSERT ON repository_user_access BEGIN
    INSERT INTO changes (scope, seq) VALUES (0, (SELECT coalesce(max(seq), 0) + 1 FROM changes))
        ON CONFLICT (scope) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER changes_repository_user_access_update AFTER UPDATE ON repository_user_access BEGIN
    INSERT INTO changes (scope, seq) VALUES (0, (SELECT coalesce(max(seq), 0) + 1 FROM changes))
        ON CONFLICT (scope) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER changes_repository_user_access_delete AFTER DELETE ON repository_user_access BEGIN
    INSERT INTO changes (scope, seq) VALUES (0, (SELECT coalesce(max(seq), 0) + 1 FROM changes))
        ON CONFLICT (scope) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER changes_repository_team_access_insert AFTER INSERT ON repository_team_access BEGIN
    INSERT INTO changes (scope, seq) VALUES (0, (SELECT coalesce(max(seq), 0) + 1 FROM changes))
        ON CONFLICT (scope) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER changes_repository_team_access_update AFTER UPDATE ON repository_team_access BEGIN
    INSERT INTO changes (scope, seq) VALUES (0, (SELECT coalesce(max(seq), 0) + 1 FROM changes))
        ON CONFLICT (scope) DO UPDATE SET seq = excluded.seq;
END;
CREATE TRIGGER changes_repository_team_access_delete AFTER DELETE ON repository_team_access BEGIN
    INSERT INTO changes (scope, seq) VALUES (0, (SELECT coalesce(max(seq), 0) + 1 FROM changes))
        ON CONFLICT (scope) DO UPDATE SET seq = excluded.seq;
END;
