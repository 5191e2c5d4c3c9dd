//! Index access tokens (`docs/index.md`): random, stored only as a hash, bound to one
//! repository path and one access, expiring. The index hands one out when a request carries
//! `X-Docker-Token: true`; the registry role takes it back as `Authorization: Token ...`.

use rusqlite::Connection;

use crate::auth::secret;
use crate::error::Result;
use crate::store;

/// How long an access token lives. Long enough for a slow `docker push` of many layers,
/// short enough that a leaked header is soon worthless.
pub const TOKEN_TTL_MS: i64 = 15 * 60 * 1000;

/// Characters of randomness in a token signature (~238 bits).
const SIGNATURE_LEN: usize = 40;

/// What a token lets its holder do on its repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    Delete,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
            Access::Delete => "delete",
        }
    }

    pub fn parse(s: &str) -> Option<Access> {
        match s {
            "read" => Some(Access::Read),
            "write" => Some(Access::Write),
            "delete" => Some(Access::Delete),
            _ => None,
        }
    }

    /// Whether a token granted `self` covers an operation that needs `needed`: every token
    /// reads its repository (a push or a delete looks first); write and delete cover only
    /// themselves.
    pub fn covers(self, needed: Access) -> bool {
        self == needed || needed == Access::Read
    }
}

/// The header value of a token, as `X-Docker-Token` and `WWW-Authenticate: Token` carry it
/// and as a client sends it back after `Authorization: Token `.
pub fn header_value(signature: &str, repository: &str, access: Access) -> String {
    format!(
        "signature={signature},repository=\"{repository}\",access={}",
        access.as_str()
    )
}

/// Issue a token for `user_id` on `repository` (`ns/name`; `library/x` for library) and
/// return its header value. The signature itself is never stored.
pub fn issue(conn: &Connection, user_id: i64, repository: &str, access: Access) -> Result<String> {
    insert(conn, Some(user_id), repository, access)
}

/// Issue an anonymous read token on `repository`: what an anonymous pull of a public
/// repository gets (the Index seed's flow). It is held by no account and reads what anonymous
/// reads, on its repository only, so it gives its holder nothing it did not have; it names
/// the repository the client pulls, and the registry-role routes answer the Index's shapes to
/// it. Only `read` exists anonymously (the schema refuses any other).
pub fn issue_anonymous_read(conn: &Connection, repository: &str) -> Result<String> {
    insert(conn, None, repository, Access::Read)
}

fn insert(
    conn: &Connection,
    user_id: Option<i64>,
    repository: &str,
    access: Access,
) -> Result<String> {
    // Expired tokens go as new ones come (indexed by expiry, so this stays cheap).
    store::keys::purge_expired_access_tokens(conn)?;
    let signature = secret::random_string(SIGNATURE_LEN);
    let expires_at = store::now_ms() + TOKEN_TTL_MS;
    store::keys::insert_access_token(
        conn,
        &secret::sha256_hex(&signature),
        user_id,
        repository,
        access.as_str(),
        expires_at,
    )?;
    Ok(header_value(&signature, repository, access))
}

/// Consume a token (`PUT .../auth`): true when it was still there.
pub fn consume(conn: &Connection, token_id: i64) -> Result<bool> {
    store::keys::delete_access_token(conn, token_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_value_is_what_clients_send_back() {
        assert_eq!(
            header_value("abc", "library/x", Access::Write),
            "signature=abc,repository=\"library/x\",access=write"
        );
        let header = format!("Token {}", header_value("abc", "a/b", Access::Delete));
        assert_eq!(
            crate::auth::credentials::parse(Some(header.as_bytes())).unwrap(),
            Some(crate::auth::credentials::Credential::AccessToken {
                signature: "abc".into(),
                repository: "a/b".into(),
                access: "delete".into()
            })
        );
    }

    #[test]
    fn access_parses_and_covers() {
        for a in [Access::Read, Access::Write, Access::Delete] {
            assert_eq!(Access::parse(a.as_str()), Some(a));
            assert!(a.covers(Access::Read));
            assert!(a.covers(a));
        }
        assert_eq!(Access::parse("admin"), None);
        assert!(!Access::Read.covers(Access::Write));
        assert!(!Access::Read.covers(Access::Delete));
        assert!(!Access::Write.covers(Access::Delete));
        assert!(!Access::Delete.covers(Access::Write));
    }
}
