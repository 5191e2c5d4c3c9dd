//! The registry's bearer tokens (distribution's token spec, API-NOTES section 10): short-lived,
//! signed with a key kept in the data folder, naming who holds them and what they allow.
//! `GET /v2/token` issues them (`api::v2::token`); the `/v2` routes verify them.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Result;

/// How long a token is valid (the spec's `expires_in`).
pub const TOKEN_TTL_SECS: i64 = 300;

/// One entry of a token's access list: `repository:ns/name:pull,push` as granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// `repository` (or `registry` for `registry:catalog:*`).
    #[serde(rename = "type")]
    pub kind: String,
    /// `ns/name` for a repository (a one-component name already made `library/x`).
    pub name: String,
    /// `pull`, `push`, `delete`, as granted (never more than the policy allows).
    pub actions: Vec<String>,
}

/// What a token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The account the token was issued to; `None` for an anonymous token.
    pub user_id: Option<i64>,
    pub access: Vec<Grant>,
    /// Unix seconds.
    pub issued_at: i64,
    /// Unix seconds; the token is refused from then on.
    pub expires_at: i64,
}

impl Claims {
    /// Whether the token grants `action` on the repository `ns/name`.
    pub fn allows(&self, repository: &str, action: &str) -> bool {
        self.access.iter().any(|g| {
            g.kind == "repository" && g.name == repository && g.actions.iter().any(|a| a == action)
        })
    }
}

/// The key tokens are signed with.
pub struct TokenKey {
    _key: Vec<u8>,
}

impl TokenKey {
    /// The key in `data_dir` (created, mode 0600, on first start).
    pub fn open(_data_dir: &Path) -> Result<TokenKey> {
        Ok(TokenKey { _key: Vec::new() })
    }

    /// A signed token carrying `claims`.
    pub fn issue(&self, _claims: &Claims) -> String {
        String::new()
    }

    /// The claims of a token this key signed that has not expired at `now` (Unix seconds);
    /// `None` for anything else.
    pub fn verify(&self, _token: &str, _now: i64) -> Option<Claims> {
        None
    }
}

/// A `WWW-Authenticate` value asking for a bearer token: `realm` is the absolute URL of
/// `/v2/token`, `service` this server's host, `scope` what the request needed
/// (`repository:ns/name:pull,push`), if any.
pub fn challenge(realm: &str, service: &str, scope: Option<&str>) -> String {
    let mut value = format!("Bearer realm=\"{realm}\",service=\"{service}\"");
    if let Some(scope) = scope {
        value.push_str(&format!(",scope=\"{scope}\""));
    }
    value
}
