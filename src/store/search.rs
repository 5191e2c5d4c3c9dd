//! Full-text search over repositories, filtered to what the viewer may read, so a page never
//! leaks and counts stay true; and the explore page's listings.
//!
//! Two full-text indexes (schema.sql, migrations/003-reads.sql): `repositories_fts` holds every
//! repository and `public_fts` only the public ones. A search counts and ranks its matches in
//! the index alone ([`Reach`]): an anonymous caller's in `public_fts`; a signed-in user's in
//! `public_fts` plus, in `repositories_fts`, the few private repositories it may read (listed
//! first, through indexes, from its own namespace and grants); a site admin's in
//! `repositories_fts`. No match is visited as a row to be counted or filtered.
//!
//! Matches are ranked by a rule that reads only the row and the query ([`ranked`]): first the
//! rows whose path holds every term, then those whose path and short description hold them,
//! then the rest; within a tier, most stars first, then by path. Each tier is a full-text query
//! with a column filter, and a page walks the `repositories_rank` index in tier order keeping
//! members ([`super::ordered`]), so the first 25 of 10,000 matches cost a few hundred index
//! entries. FTS5's `bm25()` is not used: its statistics (how many rows hold a term, average
//! lengths) cover every row of the table, private ones included, so private descriptions would
//! change the order in which another caller's public results come back.

use std::collections::HashMap;

use rusqlite::types::ToSql;
use rusqlite::{named_params, Connection};

use super::ordered::{self, Members, Walk};
use super::repos::{repository, viewer, FROM, VISIBLE};
use crate::core::model::Repository;
use crate::core::policy::Caller;
use crate::error::Result;

/// The values of the tier queries for `fts`: the whole query under an FTS5 column filter
/// (path; path and short description). `fts` is built by `core::search::fts_query`, quoted
/// phrases only, so it is a complete expression inside the parentheses.
pub fn relevance_params(fts: &str) -> (String, String) {
    (
        format!("{{full_path}} : ({fts})"),
        format!("{{full_path short_description}} : ({fts})"),
    )
}

/// The word of a query that is one exact word as the index holds it (`"proxy"`, lower case,
/// as [`Reach::exact`] writes it).
fn single_term(fts: &str) -> Option<&str> {
    fts.strip_prefix('"')
        .and_then(|p| p.strip_suffix('"'))
        .filter(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
}

/// Whose matches a search counts and ranks.
enum Reach {
    /// Public repositories only: anonymous callers, inactive ones, users who may read no
    /// private repository.
    Public,
    /// Public repositories and these private ones (a JSON array of ids, the least and the
    /// greatest), for a signed-in user.
    User { private: String, lo: i64, hi: i64 },
    /// Every repository: site admins.
    Everything,
}

impl Reach {
    fn of(conn: &Connection, caller: Option<&Caller>) -> Result<Reach> {
        let (viewer, admin) = viewer(caller);
        if admin {
            return Ok(Reach::Everything);
        }
        if viewer < 0 {
            return Ok(Reach::Public);
        }
        let private: Vec<i64> = conn
            .prepare_cached(PRIVATE_IDS)?
            .query_map(named_params! {":viewer": viewer}, |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let (Some(&lo), Some(&hi)) = (private.iter().min(), private.iter().max()) else {
            return Ok(Reach::Public);
        };
        Ok(Reach::User {
            private: serde_json::Value::from(private).to_string(),
            lo,
            hi,
        })
    }

    /// The vocabulary that holds every word of the repositories this reach searches (a
    /// user's private ones are in `repositories_fts`).
    fn vocabulary(&self) -> &'static str {
        match self {
            Reach::Public => "public_vocab",
            Reach::User { .. } | Reach::Everything => "repositories_vocab",
        }
    }

    /// SQL of the ids of the repositories matching the full-text query in parameter `q` that
    /// the viewer may read, from the indexes alone (parameter `:private` for a user).
    fn matches(&self, q: &str) -> String {
        match self {
            Reach::Public => format!("SELECT rowid FROM public_fts WHERE public_fts MATCH {q}"),
            Reach::Everything => {
                format!("SELECT rowid FROM repositories_fts WHERE repositories_fts MATCH {q}")
            }
            // The range of the private ids bounds the doclists FTS5 reads (a user's own
            // repositories have neighbouring ids, so this is a few entries of 10,000); `+rowid`:
            // the ids themselves filter what is left as it comes. Offered to FTS5 as a rowid
            // constraint instead, each id would run the whole query again.
            Reach::User { .. } => format!(
                "SELECT rowid FROM public_fts WHERE public_fts MATCH {q}
                 UNION ALL
                 SELECT rowid FROM repositories_fts WHERE repositories_fts MATCH {q}
                    AND rowid >= :lo AND rowid <= :hi
                    AND +rowid IN (SELECT value FROM json_each(:private))"
            ),
        }
    }

    /// The parameters [`Reach::matches`] needs besides the query.
    fn params(&self) -> Vec<(&str, &dyn ToSql)> {
        match self {
            Reach::User { private, lo, hi } => vec![
                (":private", private as &dyn ToSql),
                (":lo", lo),
                (":hi", hi),
            ],
            _ => Vec::new(),
        }
    }

    /// How many repositories the viewer may read match `fts`.
    fn count(&self, conn: &Connection, fts: &str) -> Result<i64> {
        if let Some(term) = single_term(fts) {
            return self.count_term(conn, term);
        }
        let mut params = self.params();
        params.push((":q", &fts));
        Ok(conn
            .prepare_cached(&format!("SELECT count(*) FROM ({})", self.matches(":q")))?
            .query_row(params.as_slice(), |r| r.get(0))?)
    }

    /// [`Reach::count`] of one exact word: the rows of an index that hold it are its `doc`
    /// in the index's vocabulary, which FTS5 tallies from the word's doclist without handing
    /// each row to SQLite (deleted rows are not counted); a user's private matches are the
    /// few within the range of its private ids.
    fn count_term(&self, conn: &Connection, term: &str) -> Result<i64> {
        let doc = |vocabulary: &str| -> Result<i64> {
            Ok(conn
                .prepare_cached(&format!(
                    "SELECT coalesce(sum(doc), 0) FROM {vocabulary} WHERE term = ?1"
                ))?
                .query_row([term], |r| r.get(0))?)
        };
        match self {
            Reach::Public => doc("public_vocab"),
            Reach::Everything => doc("repositories_vocab"),
            Reach::User { private, lo, hi } => {
                let phrase = format!("\"{term}\"");
                let private: i64 = conn
                    .prepare_cached(
                        "SELECT count(*) FROM repositories_fts WHERE repositories_fts MATCH :q
                            AND rowid >= :lo AND rowid <= :hi
                            AND +rowid IN (SELECT value FROM json_each(:private))",
                    )?
                    .query_row(
                        named_params! {":q": phrase, ":lo": lo, ":hi": hi, ":private": private},
                        |r| r.get(0),
                    )?;
                Ok(doc("public_vocab")? + private)
            }
        }
    }

    /// `fts` with each prefix term that prefixes no other indexed word written as the exact
    /// word: `"proxy"*` becomes `"proxy"` when the vocabulary holds no word that starts with
    /// `proxy` but `proxy` itself. The two match the same rows (every word of every row the
    /// reach searches is in its vocabulary; a word of a deleted row may linger there, which
    /// only keeps the prefix), and FTS5 answers a prefix by merging the doclists of every
    /// word it prefixes into a copy, an exact word by reading its doclist where it lies,
    /// skipping to a rowid range when asked. Only terms the tokenizer keeps whole are
    /// rewritten: ASCII letters, digits and `_` (lower-cased as the tokenizer does).
    fn exact(&self, conn: &Connection, fts: &str) -> Result<String> {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT 1 FROM {} WHERE term >= ?1 || char(1) AND term < ?2 LIMIT 1",
            self.vocabulary()
        ))?;
        let mut out = Vec::new();
        for piece in fts.split(' ') {
            let word = piece
                .strip_prefix('"')
                .and_then(|p| p.strip_suffix("\"*"))
                .filter(|w| {
                    !w.is_empty() && w.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                })
                .map(str::to_ascii_lowercase);
            let Some(word) = word else {
                out.push(piece.to_owned());
                continue;
            };
            // A longer word that starts with `word` sorts after `word || char(1)` (no word
            // holds a NUL) and before `word` with its last byte, ASCII, one higher.
            let mut upper = word.clone();
            let last = upper.pop().map_or(0, |c| c as u8);
            upper.push(char::from(last + 1));
            let longer = stmt.exists([&word, &upper])?;
            out.push(if longer {
                piece.to_owned()
            } else {
                format!("\"{word}\"")
            });
        }
        Ok(out.join(" "))
    }

    /// The ids of the repositories the viewer may read that match `fts`.
    fn members(&self, conn: &Connection, fts: &str) -> Result<Members> {
        let mut params = self.params();
        params.push((":q", &fts));
        let ids = conn
            .prepare_cached(&self.matches(":q"))?
            .query_map(params.as_slice(), |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        Ok(Members::new(ids))
    }

    /// One page of the matches of `fts` in `walk`'s order.
    fn page(
        &self,
        conn: &Connection,
        fts: &str,
        walk: &Walk,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<i64>> {
        ordered::page(conn, walk, &self.members(conn, fts)?, limit, offset)
    }
}

/// Most stars first, then by path: the order within a relevance tier.
const RANK: Walk = Walk {
    inner: "SELECT r.id FROM repositories r INDEXED BY repositories_rank
            ORDER BY r.star_count DESC, r.full_path",
    table: "r.star_count DESC, r.full_path",
};

/// One page (`limit` after `offset`) of the ids of the matches of `fts` the viewer may read,
/// ranked: the tiers in turn (path, path and short description, anywhere), each in [`RANK`]
/// order. Tier sizes are counted only to skip whole tiers on a later page.
fn ranked(
    conn: &Connection,
    reach: &Reach,
    fts: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<i64>> {
    let (q_path, q_short) = relevance_params(fts);
    let tiers = [q_path.as_str(), q_short.as_str(), fts];
    let mut ids: Vec<i64> = Vec::new();
    let mut skip = offset;
    // Members of the tiers before the current one (a count, once known).
    let mut before = 0;
    for (t, q) in tiers.into_iter().enumerate() {
        let want = limit - ids.len() as i64;
        if want <= 0 {
            break;
        }
        if skip > 0 {
            let upto = reach.count(conn, q)?;
            let size = upto - before;
            before = upto;
            if skip >= size {
                skip -= size;
                continue;
            }
        }
        let mut members = reach.members(conn, q)?;
        if let Some(prev) = t.checked_sub(1).map(|p| tiers[p]) {
            members = members.without(&reach.members(conn, prev)?);
        }
        ids.extend(ordered::page(conn, &RANK, &members, want, skip)?);
        skip = 0;
    }
    Ok(ids)
}

/// The repositories with these ids, in this order (listing columns).
fn rows_by_id(conn: &Connection, ids: &[i64]) -> Result<Vec<Repository>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {LIST_COLUMNS} FROM {FROM} WHERE r.id IN (SELECT value FROM json_each(?1))"
    ))?;
    let mut found: HashMap<i64, Repository> = stmt
        .query_map([serde_json::Value::from(ids).to_string()], repository)?
        .map(|r| r.map(|repo| (repo.id, repo)))
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

/// One page of the repositories the caller may read that match `fts` (an FTS5 query built
/// by `core::search::fts_query`; `None` lists everything visible by path), best match first
/// ([`ranked`]), and the true total.
pub fn search(
    conn: &Connection,
    caller: Option<&Caller>,
    fts: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Repository>, i64)> {
    let Some(fts) = fts else {
        return listed(conn, caller, Order::Name, limit, offset);
    };
    let reach = Reach::of(conn, caller)?;
    let fts = &reach.exact(conn, fts)?;
    let total = reach.count(conn, fts)?;
    if offset >= total {
        return Ok((Vec::new(), total));
    }
    let ids = ranked(conn, &reach, fts, limit, offset)?;
    Ok((rows_by_id(conn, &ids)?, total))
}

/// How the explore page orders repositories. Each order other than `Relevance` walks an
/// index (see schema.sql), so a page costs its rows, not a sort of every repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Best full-text match first (see [`ranked`]; only with a query: without one it means
    /// `Updated`).
    Relevance,
    /// Latest of creation, update and push first.
    Updated,
    Stars,
    Pulls,
    Name,
}

impl Order {
    fn sql(self) -> &'static str {
        self.walk().table
    }

    /// The order as [`ordered::page`] walks it (`Relevance`: within a tier).
    fn walk(self) -> &'static Walk {
        const UPDATED: Walk = Walk {
            inner: "SELECT r.id FROM repositories r INDEXED BY repositories_activity
                    ORDER BY MAX(r.created_at, COALESCE(r.updated_at, 0), COALESCE(r.pushed_at, 0)) DESC,
                        r.id DESC",
            table: "MAX(r.created_at, COALESCE(r.updated_at, 0), COALESCE(r.pushed_at, 0)) DESC, r.id DESC",
        };
        const STARS: Walk = Walk {
            inner: "SELECT r.id FROM repositories r INDEXED BY repositories_stars
                    ORDER BY r.star_count DESC, r.id DESC",
            table: "r.star_count DESC, r.id DESC",
        };
        const PULLS: Walk = Walk {
            inner: "SELECT r.id FROM repositories r INDEXED BY repositories_pulls
                    ORDER BY r.pull_count DESC, r.id DESC",
            table: "r.pull_count DESC, r.id DESC",
        };
        const NAME: Walk = Walk {
            inner: "SELECT r.id FROM repositories r ORDER BY r.full_path",
            table: "r.full_path",
        };
        match self {
            Order::Relevance => &RANK,
            Order::Updated => &UPDATED,
            Order::Stars => &STARS,
            Order::Pulls => &PULLS,
            Order::Name => &NAME,
        }
    }
}

/// Every repository the caller may read in `order` (not `Relevance`), one page, and the
/// true total: the total from counters ([`count_visible`]), the page by walking the order's
/// index with the visibility filter.
fn listed(
    conn: &Connection,
    caller: Option<&Caller>,
    order: Order,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Repository>, i64)> {
    let (viewer, admin) = viewer(caller);
    if viewer < 0 {
        return explore_public(conn, order, limit, offset);
    }
    let total = count_visible(conn, viewer, admin)?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {LIST_COLUMNS} FROM {FROM} WHERE {VISIBLE} ORDER BY {} LIMIT +:limit OFFSET :offset",
        order.sql()
    ))?;
    let rows = stmt.query_map(
        named_params! {":viewer": viewer, ":viewer_admin": admin, ":limit": limit, ":offset": offset},
        repository,
    )?;
    Ok((rows.collect::<rusqlite::Result<_>>()?, total))
}

/// One page of the repositories the caller may read (matching `fts` when given) in the
/// given order, and their true total.
pub fn explore(
    conn: &Connection,
    caller: Option<&Caller>,
    fts: Option<&str>,
    order: Order,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Repository>, i64)> {
    let Some(fts) = fts else {
        let order = if order == Order::Relevance {
            Order::Updated
        } else {
            order
        };
        return listed(conn, caller, order, limit, offset);
    };
    let reach = Reach::of(conn, caller)?;
    let fts = &reach.exact(conn, fts)?;
    let total = reach.count(conn, fts)?;
    if offset >= total {
        return Ok((Vec::new(), total));
    }
    let ids = match order {
        Order::Relevance => ranked(conn, &reach, fts, limit, offset)?,
        _ => reach.page(conn, fts, order.walk(), limit, offset)?,
    };
    Ok((rows_by_id(conn, &ids)?, total))
}

/// Namespaces for the explore page: organizations and active users, by name, at most
/// `limit` (names are public anyway: every namespace has a page).
pub fn namespaces(conn: &Connection, limit: i64) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, kind FROM accounts WHERE kind = 'organization' OR is_active = 1
         ORDER BY name LIMIT +?1",
    )?;
    let rows = stmt.query_map([limit], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Ids of the private repositories a signed-in, non-admin viewer may read, as the union of
/// the ways [`VISIBLE`] admits one (own namespace, user grant, team grant, organization owners
/// or a namespace grant), each walked from the viewer's side through indexes.
pub(super) const PRIVATE_IDS: &str =
    "SELECT id FROM repositories WHERE namespace_id = :viewer AND is_public = 0
    UNION
    SELECT r.id FROM repository_user_access x JOIN repositories r ON r.id = x.repository_id
        JOIN accounts a ON a.id = r.namespace_id
        WHERE x.user_id = :viewer AND a.kind = 'user' AND r.is_public = 0
    UNION
    SELECT r.id FROM team_members m JOIN repository_team_access x ON x.team_id = m.team_id
        JOIN repositories r ON r.id = x.repository_id JOIN accounts a ON a.id = r.namespace_id
        WHERE m.user_id = :viewer AND a.kind = 'organization' AND r.is_public = 0
    UNION
    SELECT r.id FROM team_members m JOIN teams t ON t.id = m.team_id
        LEFT JOIN namespace_team_access n ON n.team_id = t.id
        JOIN repositories r ON r.namespace_id = t.org_id
        WHERE m.user_id = :viewer AND (t.name = 'owners' OR n.level IS NOT NULL)
          AND r.is_public = 0";

/// How many repositories [`VISIBLE`] admits for a viewer (`-1` anonymous), without filtering
/// every row: the public counter plus what the viewer reaches through its own grants (site
/// admins: every repository). A test holds it equal to counting with [`VISIBLE`].
pub fn count_visible(conn: &Connection, viewer: i64, admin: bool) -> Result<i64> {
    if admin {
        return Ok(conn
            .prepare_cached("SELECT count(*) FROM repositories")?
            .query_row([], |r| r.get(0))?);
    }
    let public: i64 = conn
        .prepare_cached("SELECT value FROM counters WHERE name = 'public_repositories'")?
        .query_row([], |r| r.get(0))?;
    if viewer < 0 {
        return Ok(public);
    }
    let private: i64 = conn
        .prepare_cached(&format!("SELECT count(*) FROM ({PRIVATE_IDS})"))?
        .query_row(named_params! {":viewer": viewer}, |r| r.get(0))?;
    Ok(public + private)
}

/// Columns of [`repository`] without the long description and its HTML, which listings
/// never show (they are read as empty strings).
const LIST_COLUMNS: &str = "r.id, r.namespace_id, a.name, a.kind, r.name, r.full_path,
    r.short_description, '', '', r.is_public,
    r.created_at, r.updated_at, r.pull_count, r.push_count, r.pulled_at, r.pushed_at, r.star_count";

/// The anonymous explore page. For an anonymous viewer [`VISIBLE`] is exactly
/// `r.is_public = 1`, so the total is the trigger-kept counter and the page walks the order's
/// index keeping public rows: a page costs its rows, not a scan of the table.
fn explore_public(
    conn: &Connection,
    order: Order,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Repository>, i64)> {
    let total = count_visible(conn, -1, false)?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {LIST_COLUMNS} FROM {FROM} WHERE r.is_public = 1
         ORDER BY {} LIMIT +:limit OFFSET :offset",
        order.sql()
    ))?;
    let rows = stmt.query_map(
        named_params! {":limit": limit, ":offset": offset},
        repository,
    )?;
    Ok((rows.collect::<rusqlite::Result<_>>()?, total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    /// The counter agrees with counting public repositories through inserts, visibility
    /// changes both ways, deletes and an account's deletion; and the anonymous page equals
    /// the general (VISIBLE) query for an anonymous viewer.
    #[test]
    fn the_public_counter_and_the_anonymous_page_agree_with_visible() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let conn = store.conn().unwrap();
        let now = 1;
        conn.execute_batch(&format!(
            "INSERT INTO accounts (id, name, kind, password_hash, created_at) VALUES (100, 'u1', 'user', 'x', {now});
             INSERT INTO accounts (id, name, kind, password_hash, created_at) VALUES (101, 'u2', 'user', 'x', {now});"
        ))
        .unwrap();
        for i in 0..30 {
            conn.execute(
                "INSERT INTO repositories (namespace_id, name, full_path, is_public, created_at, star_count)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                rusqlite::params![100 + i % 2, format!("r{i}"), format!("u{}/r{i}", 1 + i % 2), i % 3 != 0, i, i % 7],
            )
            .unwrap();
        }
        let check = |conn: &Connection| {
            let visible: i64 = conn
                .query_row(
                    &format!(
                        "SELECT count(*) FROM {FROM} WHERE {}",
                        VISIBLE
                            .replace(":viewer_admin", "0")
                            .replace(":viewer", "-1")
                    ),
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            for order in [Order::Updated, Order::Stars, Order::Pulls, Order::Name] {
                let (fast, total) = explore_public(conn, order, 7, 3).unwrap();
                assert_eq!(total, visible);
                let sql = format!(
                    "SELECT r.id FROM {FROM} WHERE {} ORDER BY {} LIMIT 7 OFFSET 3",
                    VISIBLE
                        .replace(":viewer_admin", "0")
                        .replace(":viewer", "-1"),
                    order.sql()
                );
                let mut stmt = conn.prepare(&sql).unwrap();
                let ids: Vec<i64> = stmt
                    .query_map([], |r| r.get(0))
                    .unwrap()
                    .map(|r| r.unwrap())
                    .collect();
                assert_eq!(fast.iter().map(|r| r.id).collect::<Vec<_>>(), ids);
            }
        };
        check(&conn);
        conn.execute_batch(
            "UPDATE repositories SET is_public = 1 - is_public WHERE id % 4 = 0;
             UPDATE repositories SET is_public = is_public WHERE id % 5 = 0;
             DELETE FROM repositories WHERE id % 6 = 0;",
        )
        .unwrap();
        check(&conn);
        crate::store::in_tx(&conn, |tx| crate::store::accounts::delete(tx, 101)).unwrap();
        check(&conn);
    }
}

#[cfg(test)]
mod count_tests {
    use super::*;
    use crate::store::accounts::{insert_organization, insert_user, NewUser};

    /// Every way of reading a private repository, for users with and without each one: the
    /// indexed count equals counting with `VISIBLE`.
    #[test]
    fn count_visible_agrees_with_the_visible_filter() {
        let conn = crate::store::memory();
        let mk = |name: &str, admin: bool, active: bool| {
            insert_user(
                &conn,
                &NewUser {
                    name,
                    password_hash: "x",
                    email: None,
                    is_active: active,
                    is_admin: admin,
                },
            )
            .unwrap()
        };
        let owner = mk("owner", false, true);
        let users = [
            owner.clone(),
            mk("other", false, true),
            mk("root", true, true),
            mk("sleepy", false, false),
            mk("member", false, true),
            mk("teamed", false, true),
            mk("nsgrant", false, true),
            mk("collab", false, true),
        ];
        let org = crate::store::in_tx(&conn, |tx| insert_organization(tx, "org", Some(owner.id)))
            .unwrap();
        let org2 = crate::store::in_tx(&conn, |tx| {
            insert_organization(tx, "org2", Some(users[4].id))
        })
        .unwrap();
        conn.execute_batch(&format!(
            "INSERT INTO teams (id, org_id, name, created_at) VALUES (100, {org}, 'plain', 0), (101, {org}, 'repo-team', 0), (102, {org}, 'ns-team', 0);
             INSERT INTO team_members VALUES (100, {member}), (101, {teamed}), (102, {nsgrant}), (100, {sleepy}), (101, {nsgrant});
             INSERT INTO namespace_team_access VALUES (102, 'read-only');",
            org = org.id, member = users[4].id, teamed = users[5].id, nsgrant = users[6].id, sleepy = users[3].id
        ))
        .unwrap();
        let mut n = 0;
        for (ns_id, ns_name) in [
            (owner.id, "owner"),
            (org.id, "org"),
            (org2.id, "org2"),
            (users[7].id, "collab"),
        ] {
            for i in 0..6 {
                n += 1;
                conn.execute(
                    "INSERT INTO repositories (id, namespace_id, name, full_path, is_public, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, 0)",
                    rusqlite::params![n, ns_id, format!("r{i}"), format!("{ns_name}/r{i}"), i % 3 == 0],
                )
                .unwrap();
                // Grants on some repositories: user grants (count on user-owned only) and team
                // grants (count on organization-owned only), overlapping other ways in.
                if i % 2 == 0 {
                    conn.execute_batch(&format!(
                        "INSERT INTO repository_user_access VALUES ({n}, {c}, 'read-only');
                         INSERT INTO repository_team_access VALUES ({n}, 101, 'read-write');",
                        c = users[7].id
                    ))
                    .unwrap();
                }
            }
        }
        let mut viewers: Vec<(i64, bool)> = vec![(-1, false)];
        viewers.extend(users.iter().map(|u| {
            if u.is_active {
                (u.id, u.is_admin)
            } else {
                (-1, false)
            }
        }));
        for (viewer, admin) in viewers {
            let by_filter: i64 = conn
                .query_row(
                    &format!("SELECT count(*) FROM {FROM} WHERE {VISIBLE}"),
                    named_params! {":viewer": viewer, ":viewer_admin": admin},
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(
                count_visible(&conn, viewer, admin).unwrap(),
                by_filter,
                "viewer {viewer}"
            );
        }
        // The fixture reaches private repositories in several ways.
        assert_eq!(
            count_visible(&conn, users[6].id, false).unwrap(),
            count_visible(&conn, -1, false).unwrap() + 6
        );
    }
}

#[cfg(test)]
mod relevance_tests {
    use super::*;

    fn add(
        conn: &Connection,
        ns: i64,
        path: &str,
        short: &str,
        long: &str,
        public: bool,
        stars: i64,
    ) {
        let name = path.split('/').nth(1).unwrap_or(path);
        conn.execute(
            "INSERT INTO repositories (namespace_id, name, full_path, short_description,
                 long_description, is_public, created_at, star_count)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7)",
            rusqlite::params![ns, name, path, short, long, public, stars],
        )
        .unwrap();
    }

    fn paths(conn: &Connection, q: &str) -> Vec<String> {
        let fts = crate::core::search::fts_query(q).unwrap();
        let (found, total) = search(conn, None, Some(&fts), 100, 0).unwrap();
        assert_eq!(total as usize, found.len());
        let by_search: Vec<String> = found.into_iter().map(|r| r.full_path).collect();
        let (page, _) = explore(conn, None, Some(&fts), Order::Relevance, 100, 0).unwrap();
        let by_explore: Vec<String> = page.into_iter().map(|r| r.full_path).collect();
        assert_eq!(
            by_explore, by_search,
            "the explore page ranks as /v1/search"
        );
        by_search
    }

    /// Path matches first, then path-and-short-description matches, then the rest; stars,
    /// then the path, within a tier.
    #[test]
    fn matches_rank_by_column_tier_then_stars_then_path() {
        let conn = crate::store::memory();
        conn.execute_batch(
            "INSERT INTO accounts (id, name, kind, password_hash, created_at) VALUES (100, 'u1', 'user', 'x', 0);",
        )
        .unwrap();
        add(&conn, 100, "u1/xeno", "", "tool tool tool", true, 100);
        add(&conn, 100, "u1/yak", "tool", "", true, 1);
        add(&conn, 100, "u1/zed", "a tool for z", "", true, 5);
        add(&conn, 100, "u1/tooling", "", "", true, 0);
        add(&conn, 100, "u1/alpha-tool", "", "", true, 0);
        add(&conn, 100, "u1/toolbox", "", "", true, 3);
        add(&conn, 100, "u1/unrelated", "nothing", "here", true, 50);
        assert_eq!(
            paths(&conn, "tool"),
            [
                "u1/toolbox",
                "u1/alpha-tool",
                "u1/tooling",
                "u1/zed",
                "u1/yak",
                "u1/xeno"
            ]
        );
        // Every term must be in the tier's columns: "alpha" and "tool" are both in one path
        // only; "u1 for" needs the short description.
        assert_eq!(paths(&conn, "alpha tool"), ["u1/alpha-tool"]);
        assert_eq!(paths(&conn, "u1 for"), ["u1/zed"]);
        assert_eq!(
            paths(&conn, "u1 tool").first().map(String::as_str),
            Some("u1/toolbox")
        );
    }

    /// A prefix term becomes the exact word only when no other indexed word starts with it,
    /// in the vocabulary of what the caller searches (a private word keeps an anonymous
    /// prefix as it is only in `repositories_vocab`); terms the tokenizer would split or fold
    /// stay as they are; a one-word query is counted from the vocabulary, deletes included.
    #[test]
    fn prefixes_of_no_other_word_become_exact_words() {
        let conn = crate::store::memory();
        conn.execute_batch(
            "INSERT INTO accounts (id, name, kind, password_hash, created_at) VALUES (100, 'u1', 'user', 'x', 0);",
        )
        .unwrap();
        add(&conn, 100, "u1/proxy", "web", "", true, 0);
        add(&conn, 100, "u1/proxyman", "", "", true, 0);
        add(&conn, 100, "u1/webby", "web_app", "", false, 0);
        add(&conn, 100, "u1/gone", "web", "", true, 0);
        conn.execute("DELETE FROM repositories WHERE name = 'gone'", [])
            .unwrap();
        let fts = crate::core::search::fts_query("Proxy WEB web_a a-b é").unwrap();
        assert_eq!(
            Reach::Public.exact(&conn, &fts).unwrap(),
            r#""Proxy"* "web" "web_a" "a-b"* "é"*"#
        );
        assert_eq!(
            Reach::Everything.exact(&conn, &fts).unwrap(),
            r#""Proxy"* "WEB"* "web_a"* "a-b"* "é"*"#
        );
        assert_eq!(single_term(r#""web""#), Some("web"));
        assert_eq!(single_term(r#""web"*"#), None);
        assert_eq!(single_term(r#""a-b""#), None);
        assert_eq!(single_term(r#""Web""#), None);
        assert_eq!(Reach::Public.count(&conn, r#""web""#).unwrap(), 1);
        assert_eq!(Reach::Everything.count(&conn, r#""web""#).unwrap(), 1);
        assert_eq!(Reach::Public.count(&conn, r#""proxyman""#).unwrap(), 1);
    }

    /// Finding 6 of issue 12: private rows full of a term, added and removed, leave the
    /// anonymous order of public matches as it was (bm25 would reorder them).
    #[test]
    fn private_rows_do_not_change_the_order_of_public_matches() {
        let conn = crate::store::memory();
        conn.execute_batch(
            "INSERT INTO accounts (id, name, kind, password_hash, created_at) VALUES (100, 'u1', 'user', 'x', 0);
             INSERT INTO accounts (id, name, kind, password_hash, created_at) VALUES (101, 'u2', 'user', 'x', 0);",
        )
        .unwrap();
        // Public rows whose bm25 order depends on how common each word is across the table.
        add(&conn, 100, "u1/one", "red blue", "", true, 0);
        add(
            &conn,
            100,
            "u1/two",
            "red",
            "blue blue blue blue blue blue",
            true,
            0,
        );
        add(
            &conn,
            100,
            "u1/three",
            "blue",
            "red red red red red red",
            true,
            0,
        );
        let before = (
            paths(&conn, "red"),
            paths(&conn, "blue"),
            paths(&conn, "red blue"),
        );
        for i in 0..40 {
            add(
                &conn,
                101,
                &format!("u2/p{i}"),
                "red red red",
                &"red ".repeat(50),
                false,
                0,
            );
        }
        let during = (
            paths(&conn, "red"),
            paths(&conn, "blue"),
            paths(&conn, "red blue"),
        );
        conn.execute("DELETE FROM repositories WHERE namespace_id = 101", [])
            .unwrap();
        let after = (
            paths(&conn, "red"),
            paths(&conn, "blue"),
            paths(&conn, "red blue"),
        );
        assert_eq!(during, before);
        assert_eq!(after, before);
    }
}

#[cfg(test)]
mod plan_tests {
    use super::*;

    /// The plan of `sql` with its parameters unbound (NULL).
    fn plan(conn: &Connection, sql: &str) -> String {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let mut rows = stmt.raw_query();
        let mut lines = Vec::new();
        while let Some(row) = rows.next().unwrap() {
            lines.push(row.get::<_, String>(3).unwrap());
        }
        lines.join("\n")
    }

    /// Each order's walk reads one covering index in order (no row, no sort, whatever the
    /// statistics say), and the few members of a rare set are found by id, then sorted.
    #[test]
    fn walks_read_one_covering_index_and_few_members_are_found_by_id() {
        let conn = crate::store::memory();
        for analyzed in [false, true] {
            if analyzed {
                conn.execute_batch("ANALYZE").unwrap();
            }
            for order in [
                Order::Relevance,
                Order::Updated,
                Order::Stars,
                Order::Pulls,
                Order::Name,
            ] {
                let w = order.walk();
                let walk = plan(&conn, &w.walk_sql());
                assert!(walk.contains("USING COVERING INDEX"), "{order:?}: {walk}");
                assert!(!walk.contains("TEMP B-TREE"), "{order:?}: {walk}");
                let sort = plan(&conn, &w.sort_sql());
                assert!(
                    sort.contains("SEARCH r USING INTEGER PRIMARY KEY"),
                    "{order:?}: {sort}"
                );
            }
        }
    }
}
