//! `/v1/search`: full-text search over namespace, name and descriptions, ranked, paginated,
//! and filtered to what the caller may read.
//!
//! User input never reaches FTS5 as syntax: every term is quoted as a phrase (a `"` doubled),
//! so `AND`, `NEAR(`, `*`, `:` or an unbalanced quote are searched for, never parsed.

use rusqlite::Connection;

use crate::core::model::Repository;
use crate::core::policy::Caller;
use crate::error::Result;
use crate::store;

pub const PAGE_SIZE_DEFAULT: i64 = 25;
pub const PAGE_SIZE_MAX: i64 = 100;
/// Terms beyond this many are ignored (a query is a few words, not a document).
const MAX_TERMS: usize = 16;
/// Characters kept of one term.
const MAX_TERM_CHARS: usize = 64;

/// The FTS5 query for a user's search text: each whitespace-separated term that holds
/// something the tokenizer indexes (a letter, digit or `_`) becomes a quoted prefix phrase,
/// `"term"*`; all terms must match. `None` when nothing searchable is left (then everything
/// visible is listed, as for a missing `q`).
pub fn fts_query(q: &str) -> Option<String> {
    // Control characters (a NUL ends the query string inside SQLite) separate terms.
    let q: String = q
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let terms: Vec<String> = q
        .split_whitespace()
        .filter(|t| t.chars().any(|c| c.is_alphanumeric() || c == '_'))
        .take(MAX_TERMS)
        .map(|t| {
            let t: String = t.chars().take(MAX_TERM_CHARS).collect();
            format!("\"{}\"*", t.replace('"', "\"\""))
        })
        .collect();
    if terms.is_empty() {
        None
    } else {
        Some(terms.join(" "))
    }
}

/// `n` as the client sent it, clamped to 1..=100 (default 25).
pub fn page_size(n: Option<i64>) -> i64 {
    n.unwrap_or(PAGE_SIZE_DEFAULT).clamp(1, PAGE_SIZE_MAX)
}

/// One page of results.
#[derive(Debug, Clone)]
pub struct SearchPage {
    pub results: Vec<Repository>,
    pub total: i64,
    pub page: i64,
    pub page_size: i64,
}

impl SearchPage {
    /// Pages needed for every result (0 when there is none).
    pub fn num_pages(&self) -> i64 {
        (self.total + self.page_size - 1) / self.page_size
    }
}

/// Search the repositories the caller may read. `page` counts from 1 (smaller is 1).
pub fn search(
    conn: &Connection,
    caller: Option<&Caller>,
    q: Option<&str>,
    n: Option<i64>,
    page: Option<i64>,
) -> Result<SearchPage> {
    let page_size = page_size(n);
    let page = page.unwrap_or(1).max(1);
    let fts = q.and_then(fts_query);
    let offset = (page - 1).saturating_mul(page_size);
    let (results, total) = store::search::search(conn, caller, fts.as_deref(), page_size, offset)?;
    Ok(SearchPage {
        results,
        total,
        page,
        page_size,
    })
}

pub use crate::store::search::Order;

/// Namespaces (name, kind) for the explore page: organizations and active users by name.
pub fn namespaces(conn: &Connection, limit: i64) -> Result<Vec<(String, String)>> {
    store::search::namespaces(conn, limit)
}

/// The explore page: the repositories the caller may read, matching `q` (the same ranked
/// full-text search as [`search`]) in `order`, one page (`page` from 1) with the true total.
pub fn explore(
    conn: &Connection,
    caller: Option<&Caller>,
    q: Option<&str>,
    order: Order,
    page: i64,
    page_size: i64,
) -> Result<SearchPage> {
    let page_size = page_size.clamp(1, PAGE_SIZE_MAX);
    let page = page.max(1);
    let fts = q.and_then(fts_query);
    let offset = (page - 1).saturating_mul(page_size);
    let (results, total) =
        store::search::explore(conn, caller, fts.as_deref(), order, page_size, offset)?;
    Ok(SearchPage {
        results,
        total,
        page,
        page_size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_quoted_prefix_phrases() {
        assert_eq!(fts_query("nginx").as_deref(), Some("\"nginx\"*"));
        assert_eq!(
            fts_query("  web  server ").as_deref(),
            Some("\"web\"* \"server\"*")
        );
        assert_eq!(fts_query("foo/bar").as_deref(), Some("\"foo/bar\"*"));
    }

    #[test]
    fn quotes_and_operators_are_escaped_not_parsed() {
        assert_eq!(fts_query("a\"b").as_deref(), Some("\"a\"\"b\"*"));
        assert_eq!(fts_query("NEAR(x").as_deref(), Some("\"NEAR(x\"*"));
        assert_eq!(
            fts_query("AND OR NOT").as_deref(),
            Some("\"AND\"* \"OR\"* \"NOT\"*")
        );
    }

    #[test]
    fn nothing_searchable_is_none() {
        assert_eq!(fts_query(""), None);
        assert_eq!(fts_query("   "), None);
        assert_eq!(fts_query("- * \" ( ) :"), None);
    }

    #[test]
    fn long_input_is_bounded() {
        let q = "x".repeat(1000) + &" y".repeat(100);
        let fts = fts_query(&q).unwrap_or_default();
        assert_eq!(fts.matches('*').count(), MAX_TERMS);
        assert!(fts.len() < 2 * MAX_TERMS * (MAX_TERM_CHARS + 4));
    }

    #[test]
    fn page_size_is_clamped() {
        assert_eq!(page_size(None), 25);
        assert_eq!(page_size(Some(0)), 1);
        assert_eq!(page_size(Some(-5)), 1);
        assert_eq!(page_size(Some(100)), 100);
        assert_eq!(page_size(Some(1000)), 100);
    }

    /// Hostile input run through a real FTS5 table with Berth's tokenizer never errors.
    #[test]
    fn hostile_queries_never_make_fts5_fail() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE VIRTUAL TABLE t USING fts5(full_path, short_description, long_description,
                 tokenize = \"unicode61 tokenchars '_'\");
             INSERT INTO t VALUES ('acme/web_server', 'A web server', 'Serves \"quoted\" things');",
        )
        .unwrap();
        let inputs = [
            "\"",
            "\"\"",
            "a\"",
            "AND",
            "OR",
            "NOT",
            "NEAR(a b)",
            "a:b",
            "full_path:x",
            "^a",
            "a*",
            "*",
            "(",
            ")",
            "{a b}",
            "a + b",
            "-a",
            "é",
            "日本",
            "web_",
            "_",
            "a\u{0}b",
            "'; DROP TABLE t; --",
            "acme/web",
            "web server",
            "\"quoted\"",
        ];
        for q in inputs {
            if let Some(fts) = fts_query(q) {
                let n: rusqlite::Result<i64> =
                    conn.query_row("SELECT count(*) FROM t WHERE t MATCH ?1", [&fts], |r| {
                        r.get(0)
                    });
                assert!(n.is_ok(), "{q:?} -> {fts:?}: {n:?}");
            }
        }
        let hits = |q: &str| -> i64 {
            conn.query_row(
                "SELECT count(*) FROM t WHERE t MATCH ?1",
                [fts_query(q).unwrap()],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert_eq!(hits("acme/web"), 1);
        assert_eq!(hits("web serv"), 1);
        assert_eq!(hits("\"quoted\""), 1);
        assert_eq!(hits("nothing"), 0);
    }
}
