//! The registry's bearer tokens (distribution's token spec, API-NOTES section 10): short-lived,
//! signed with a key kept in the data folder, naming who holds them and what they allow.
//! `GET /v2/token` issues them (`api::v2::token`); the `/v2` routes verify them.
//!
//! - A token is `base64url(claims JSON) "." base64url(HMAC-SHA256)`, unpadded. Clients treat
//!   it as opaque (the spec says so), so it needs no JWT header; the MAC covers a version
//!   label and the encoded claims, and is checked in constant time before the claims are
//!   parsed at all.
//! - The key is 32 random bytes, kept as 64 hex digits in `registry-token.key` beside the
//!   database, owner-only (0600), created whole or not at all on the first start and reused
//!   after, so tokens outlive a restart. A key file that exists but cannot be used stops the
//!   server from starting: making a new key silently would hide a broken data folder.
//! - Tokens are secrets: nothing here logs one, and neither the key nor a token shows in
//!   `Debug` output.

use std::fmt;
use std::fs;
use std::io::ErrorKind;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::store;

/// How long a token is valid (the spec's `expires_in`).
pub const TOKEN_TTL_SECS: i64 = 300;

/// File name of the signing key inside the data folder.
pub const KEY_FILE: &str = "registry-token.key";

/// What the MAC covers before the encoded claims: a new token format changes it, so a token
/// of another format can never verify as this one.
const MAC_LABEL: &[u8] = b"berth registry token v1\0";

/// Longer tokens are refused unread (a token of 64 grants is about 6 KiB).
const MAX_TOKEN_LEN: usize = 64 * 1024;

const KEY_LEN: usize = 32;

type HmacSha256 = Hmac<Sha256>;

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
    /// Claims for `user_id` granting `access`, valid for [`TOKEN_TTL_SECS`] from `now`.
    pub fn new(user_id: Option<i64>, access: Vec<Grant>, now: i64) -> Claims {
        Claims {
            user_id,
            access,
            issued_at: now,
            expires_at: now.saturating_add(TOKEN_TTL_SECS),
        }
    }

    /// Whether the token grants `action` on the repository `ns/name`.
    pub fn allows(&self, repository: &str, action: &str) -> bool {
        self.access.iter().any(|g| {
            g.kind == "repository" && g.name == repository && g.actions.iter().any(|a| a == action)
        })
    }

    /// Whether the token grants `registry:catalog:*` (asked for by `GET /v2/_catalog`, which
    /// lists only what the holder may read anyway).
    pub fn allows_catalog(&self) -> bool {
        self.access.iter().any(|g| {
            g.kind == "registry" && g.name == "catalog" && g.actions.iter().any(|a| a == "*")
        })
    }
}

/// The key tokens are signed with.
pub struct TokenKey {
    /// HMAC-SHA256 keyed and fed [`MAC_LABEL`]: cloned for every token.
    mac: HmacSha256,
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenKey([redacted])")
    }
}

impl TokenKey {
    /// The key in `data_dir` (created, mode 0600, on first start). A key file that exists
    /// but is unreadable or does not hold a key is an error: the server must not start.
    pub fn open(data_dir: &Path) -> Result<TokenKey> {
        let path = data_dir.join(KEY_FILE);
        match read_key_file(&path)? {
            Some(key) => Ok(key),
            None => {
                let (key, content) = TokenKey::generate()?;
                match store::write_new_private_file(&path, content.as_bytes()) {
                    Ok(()) => {
                        sync_dir(data_dir);
                        log::info!("created the registry token key {}", path.display());
                        Ok(key)
                    }
                    // Another process made it first: use theirs.
                    Err(_) if path.exists() => read_key_file(&path)?.ok_or_else(|| {
                        unusable(&path, "it appeared while being created, but holds no key")
                    }),
                    Err(e) => Err(Error::operator(format!(
                        "cannot create the registry token key: {}",
                        e.message
                    ))),
                }
            }
        }
    }

    /// A new random key (not written anywhere) and the key file's content for it.
    fn generate() -> Result<(TokenKey, Zeroizing<String>)> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        rand::fill(key.as_mut_slice());
        let content = Zeroizing::new(format!("{}\n", hex::encode(key.as_slice())));
        Ok((TokenKey::from_bytes(&key)?, content))
    }

    fn from_bytes(key: &[u8; KEY_LEN]) -> Result<TokenKey> {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(key)
            .map_err(|e| Error::operator(format!("the registry token key: {e}")))?;
        mac.update(MAC_LABEL);
        Ok(TokenKey { mac })
    }

    /// The MAC of an encoded payload.
    fn mac(&self, payload: &[u8]) -> HmacSha256 {
        let mut mac = self.mac.clone();
        mac.update(payload);
        mac
    }

    /// A signed token carrying `claims`.
    pub fn issue(&self, claims: &Claims) -> String {
        // Serializing plain strings and integers cannot fail.
        let json = serde_json::to_vec(claims).unwrap_or_default();
        let payload = URL_SAFE_NO_PAD.encode(json);
        let tag = self.mac(payload.as_bytes()).finalize().into_bytes();
        format!("{payload}.{}", URL_SAFE_NO_PAD.encode(tag))
    }

    /// The claims of a token this key signed that has not expired at `now` (Unix seconds);
    /// `None` for anything else.
    pub fn verify(&self, token: &str, now: i64) -> Option<Claims> {
        if token.len() > MAX_TOKEN_LEN {
            return None;
        }
        let (payload, tag) = token.split_once('.')?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        // Constant time, and before anything of the payload is parsed.
        self.mac(payload.as_bytes()).verify_slice(&tag).ok()?;
        let json = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let claims: Claims = serde_json::from_slice(&json).ok()?;
        (now < claims.expires_at).then_some(claims)
    }
}

/// The key in `path`: `None` when there is no such file, an error when it cannot be used.
fn read_key_file(path: &Path) -> Result<Option<TokenKey>> {
    let text = match fs::read_to_string(path) {
        Ok(text) => Zeroizing::new(text),
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(unusable(path, &e.to_string())),
    };
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    let hex_digits = text.trim();
    if hex_digits.len() != 2 * KEY_LEN
        || hex::decode_to_slice(hex_digits, key.as_mut_slice()).is_err()
    {
        return Err(unusable(path, "it does not hold 64 hex digits"));
    }
    warn_if_exposed(path);
    TokenKey::from_bytes(&key).map(Some)
}

fn unusable(path: &Path, why: &str) -> Error {
    Error::operator(format!(
        "the registry token key {} cannot be used: {why}. Restore it, or remove it to have a \
         new key made (tokens issued with the old one then stop working)",
        path.display()
    ))
}

fn warn_if_exposed(path: &Path) {
    if let Ok(meta) = fs::metadata(path) {
        if meta.permissions().mode() & 0o077 != 0 {
            log::warn!(
                "the registry token key {} is readable by other users; chmod 600 it",
                path.display()
            );
        }
    }
}

/// Make the new key file's name durable.
fn sync_dir(dir: &Path) {
    if let Err(e) = fs::File::open(dir).and_then(|d| d.sync_all()) {
        log::warn!("cannot sync {}: {e}", dir.display());
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

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn new_key() -> TokenKey {
        TokenKey::generate().unwrap().0
    }

    fn claims() -> Claims {
        Claims::new(
            Some(7),
            vec![Grant {
                kind: "repository".into(),
                name: "alice/app".into(),
                actions: vec!["pull".into(), "push".into()],
            }],
            NOW,
        )
    }

    #[test]
    fn a_token_verifies_with_its_key_until_it_expires() {
        let key = new_key();
        let token = key.issue(&claims());
        assert_eq!(key.verify(&token, NOW), Some(claims()));
        assert_eq!(key.verify(&token, NOW + TOKEN_TTL_SECS - 1), Some(claims()));
        assert_eq!(key.verify(&token, NOW + TOKEN_TTL_SECS), None);
        assert_eq!(key.verify(&token, NOW + 10 * TOKEN_TTL_SECS), None);
        let c = key.verify(&token, NOW).unwrap();
        assert!(c.allows("alice/app", "pull"));
        assert!(c.allows("alice/app", "push"));
        assert!(!c.allows("alice/app", "delete"));
        assert!(!c.allows("alice/other", "pull"));
        assert!(!c.allows_catalog());
    }

    #[test]
    fn another_key_verifies_nothing() {
        let token = new_key().issue(&claims());
        assert_eq!(new_key().verify(&token, NOW), None);
    }

    #[test]
    fn a_tampered_token_verifies_nothing() {
        let key = new_key();
        let token = key.issue(&claims());
        let (payload, tag) = token.split_once('.').unwrap();
        // Claims rewritten to grant more, with the original MAC.
        let mut forged = claims();
        forged.access[0].actions.push("delete".into());
        forged.expires_at += 3600;
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
        assert_eq!(key.verify(&format!("{forged_payload}.{tag}"), NOW), None);
        // A flipped bit anywhere.
        for i in 0..token.len() {
            let mut bytes = token.clone().into_bytes();
            if bytes[i] == b'.' {
                continue;
            }
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let changed = String::from_utf8(bytes).unwrap();
            if changed != token {
                assert_eq!(key.verify(&changed, NOW), None, "byte {i}");
            }
        }
        // A truncated MAC, a missing MAC, the MAC of another payload.
        assert_eq!(key.verify(&format!("{payload}.{}", &tag[..10]), NOW), None);
        assert_eq!(key.verify(payload, NOW), None);
        assert_eq!(key.verify(&format!("{payload}."), NOW), None);
        let other = key.issue(&Claims::new(None, vec![], NOW));
        let other_tag = other.split_once('.').unwrap().1;
        assert_eq!(key.verify(&format!("{payload}.{other_tag}"), NOW), None);
    }

    #[test]
    fn garbage_verifies_nothing() {
        let key = new_key();
        for junk in [
            "",
            ".",
            "..",
            "a.b",
            "not a token",
            "eyJhbGciOiJub25lIn0.e30.",
            "%%%.%%%",
            "\u{0}",
        ] {
            assert_eq!(key.verify(junk, NOW), None, "{junk:?}");
        }
        assert_eq!(key.verify(&"a".repeat(MAX_TOKEN_LEN + 1), NOW), None);
        // A correctly signed payload that is not claims.
        let payload = URL_SAFE_NO_PAD.encode(b"[1,2,3]");
        let tag = URL_SAFE_NO_PAD.encode(key.mac(payload.as_bytes()).finalize().into_bytes());
        assert_eq!(key.verify(&format!("{payload}.{tag}"), NOW), None);
    }

    #[test]
    fn the_key_shows_nothing_in_debug_output() {
        let (key, content) = TokenKey::generate().unwrap();
        assert_eq!(format!("{key:?}"), "TokenKey([redacted])");
        assert!(!format!("{key:?}").contains(content.trim()));
    }

    #[test]
    fn the_key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let key = TokenKey::open(dir.path()).unwrap();
        let path = dir.path().join(KEY_FILE);
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.trim().len(), 64);
        let token = key.issue(&claims());
        let again = TokenKey::open(dir.path()).unwrap();
        assert_eq!(again.verify(&token, NOW), Some(claims()));
        assert_eq!(fs::read_to_string(&path).unwrap(), text);
    }

    #[test]
    fn an_unusable_key_file_refuses_to_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE);
        for content in ["", "abcd\n", &"zz".repeat(32), &"ab".repeat(33)] {
            fs::write(&path, content).unwrap();
            let e = TokenKey::open(dir.path()).unwrap_err();
            assert!(e.message.contains("registry-token.key"), "{}", e.message);
            assert!(e.message.contains("64 hex digits"), "{}", e.message);
            // Left as it was for the operator to look at.
            assert_eq!(fs::read_to_string(&path).unwrap(), content);
        }
        // Unreadable: a directory where the file should be.
        fs::remove_file(&path).unwrap();
        fs::create_dir(&path).unwrap();
        let e = TokenKey::open(dir.path()).unwrap_err();
        assert!(e.message.contains("cannot be used"), "{}", e.message);
    }
}
