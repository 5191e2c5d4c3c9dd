//! Secrets Berth must give back later (external repositories' registry passwords), sealed
//! with XChaCha20-Poly1305 under a key that lives in a file beside the database, never in it.
//!
//! - The key file `secrets.key` (64 hex digits) is created owner-only (0600) on the first
//!   start. A copy of the database without it reveals no secret.
//! - Every sealed value carries the id of the key that sealed it (a fingerprint of the key,
//!   stored per row) and is bound to its row by associated data, so a ciphertext moved to
//!   another row, or opened with another key, fails authentication instead of yielding a
//!   wrong password.
//! - A missing, unreadable or wrong key file is not a startup failure: the server starts,
//!   logs the problem, and every operation that needs the key answers a clear 503.
//! - `berth admin rotate-key` re-encrypts every secret under a new key in one transaction;
//!   the new key file is written beside the old one and renamed over it only after the
//!   transaction commits. A rotation interrupted between commit and rename is finished on
//!   the next start (the `.new` file is recognised by its id).

use std::fmt;
use std::fs;
use std::io::ErrorKind;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rusqlite::Connection;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::{Code, Error, Result};
use crate::store;

/// File name of the key inside the data folder.
pub const KEY_FILE: &str = "secrets.key";
/// Where a rotation writes the next key before it commits.
pub const NEW_KEY_FILE: &str = "secrets.key.new";

const NONCE_LEN: usize = 24;
/// Domain separation for the key id and the associated data.
const KEY_ID_CONTEXT: &[u8] = b"berth secrets key id v1\0";

/// A string that never shows itself in `Debug` or `Display` output and is wiped on drop.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    pub fn new(s: String) -> Self {
        SecretString(Zeroizing::new(s))
    }

    /// The secret itself: only for sealing it or handing it to the registry that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString([redacted])")
    }
}

/// One 256-bit key and its id.
pub struct SecretKey {
    id: String,
    bytes: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl SecretKey {
    pub fn generate() -> SecretKey {
        let key = XChaCha20Poly1305::generate_key(&mut OsRng);
        let mut bytes = Zeroizing::new([0u8; 32]);
        bytes.copy_from_slice(&key);
        SecretKey::from_bytes(bytes)
    }

    fn from_bytes(bytes: Zeroizing<[u8; 32]>) -> SecretKey {
        let mut h = Sha256::new();
        h.update(KEY_ID_CONTEXT);
        h.update(bytes.as_slice());
        let id = hex::encode(&h.finalize()[..8]);
        SecretKey { id, bytes }
    }

    /// The key's id: a fingerprint that identifies it without revealing it.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Parse a key file's content: 64 hex digits, surrounding whitespace ignored.
    fn parse(text: &str) -> std::result::Result<SecretKey, &'static str> {
        let text = text.trim();
        let mut bytes = Zeroizing::new([0u8; 32]);
        if text.len() != 64 || hex::decode_to_slice(text, bytes.as_mut_slice()).is_err() {
            return Err("it does not hold 64 hex digits");
        }
        Ok(SecretKey::from_bytes(bytes))
    }

    pub(crate) fn file_content(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("{}\n", hex::encode(self.bytes.as_slice())))
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.bytes.as_slice().into())
    }

    /// Associated data: the row's identity and this key's id, so a sealed value only opens
    /// in its own row and under its own key.
    fn aad(&self, context: &[u8]) -> Vec<u8> {
        let mut aad = Vec::with_capacity(context.len() + 40);
        aad.extend_from_slice(b"berth sealed v1\0");
        aad.extend_from_slice(self.id.as_bytes());
        aad.push(0);
        aad.extend_from_slice(context);
        aad
    }

    /// Seal `plaintext` for the row described by `context`: a random nonce, then the
    /// ciphertext with its tag.
    pub fn seal(&self, context: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = self.aad(context);
        let ct = self
            .cipher()
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| Error::internal("sealing a secret failed"))?;
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Open a value sealed by [`SecretKey::seal`] for the same row; any tampering, another
    /// row's value or another key is an error, never a wrong plaintext.
    pub fn open(&self, context: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        if sealed.len() < NONCE_LEN {
            return Err(undecryptable(&self.id));
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        let aad = self.aad(context);
        self.cipher()
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
            .map(Zeroizing::new)
            .map_err(|_| undecryptable(&self.id))
    }
}

/// The answer when the key is missing or does not fit the stored secrets.
pub fn key_unavailable() -> Error {
    Error::new(
        Code::SecretsKeyUnavailable,
        "stored credentials cannot be used: the server's secrets key file (secrets.key in the data folder) \
         is missing or does not match them; an operator must restore it",
    )
}

fn undecryptable(key_id: &str) -> Error {
    log::error!("a stored secret failed authentication under secrets key {key_id}: wrong key file or tampered database");
    key_unavailable()
}

/// Why no usable key is loaded.
#[derive(Debug, Clone)]
enum Problem {
    Missing,
    Unusable(String),
}

/// The key the server seals with, loaded from the data folder and reloaded when a rotation
/// replaced it under a running server.
pub struct Keyring {
    dir: PathBuf,
    current: RwLock<std::result::Result<Arc<SecretKey>, Problem>>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Keyring {
    /// Load the key for the store in `dir`: finish an interrupted rotation, create the key
    /// file when no secret exists yet, and otherwise read it. Never fails: problems are
    /// logged here and reported on use.
    pub fn open(dir: &Path, conn: &Connection) -> Keyring {
        let keyring = Keyring {
            dir: dir.to_owned(),
            current: RwLock::new(Err(Problem::Missing)),
        };
        let loaded = match store::external::key_ids_in_use(conn) {
            Ok(ids) => keyring.load(&ids),
            Err(e) => Err(Problem::Unusable(format!(
                "reading the stored key ids: {e}"
            ))),
        };
        match &loaded {
            Ok(key) => log::info!(
                "secrets key {} loaded from {}",
                key.id(),
                keyring.path().display()
            ),
            Err(p) => keyring.log_problem(p),
        }
        *keyring.current.write().unwrap_or_else(|p| p.into_inner()) = loaded;
        keyring
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(KEY_FILE)
    }

    fn new_path(&self) -> PathBuf {
        self.dir.join(NEW_KEY_FILE)
    }

    fn log_problem(&self, p: &Problem) {
        match p {
            Problem::Missing => log::error!(
                "secrets key file {} is missing but the store holds secrets sealed with it; \
                 stored registry credentials cannot be used until it is restored",
                self.path().display()
            ),
            Problem::Unusable(why) => {
                log::error!(
                    "secrets key file {} cannot be used: {why}",
                    self.path().display()
                )
            }
        }
    }

    /// Resolve the key given the ids the stored secrets use.
    fn load(&self, ids: &[String]) -> std::result::Result<Arc<SecretKey>, Problem> {
        self.finish_rotation(ids);
        let path = self.path();
        match fs::read_to_string(&path) {
            Ok(text) => {
                let key =
                    SecretKey::parse(&text).map_err(|why| Problem::Unusable(why.to_owned()))?;
                warn_if_exposed(&path);
                if let Some(other) = ids.iter().find(|id| **id != key.id) {
                    return Err(Problem::Unusable(format!(
                        "it holds key {} but stored secrets are sealed with key {other}",
                        key.id
                    )));
                }
                Ok(Arc::new(key))
            }
            Err(e) if e.kind() == ErrorKind::NotFound && ids.is_empty() => {
                let key = SecretKey::generate();
                store::write_new_private_file(&path, key.file_content().as_bytes())
                    .map_err(|e| Problem::Unusable(e.message.into_owned()))?;
                sync_dir(&self.dir);
                log::info!("created secrets key {} in {}", key.id(), path.display());
                Ok(Arc::new(key))
            }
            Err(e) if e.kind() == ErrorKind::NotFound => Err(Problem::Missing),
            Err(e) => Err(Problem::Unusable(e.to_string())),
        }
    }

    /// A `.new` key file left by a rotation: if the stored secrets already use it, the
    /// rotation committed and only the rename is missing; otherwise it never took effect.
    fn finish_rotation(&self, ids: &[String]) {
        let new_path = self.new_path();
        let Ok(text) = fs::read_to_string(&new_path) else {
            return;
        };
        let committed = SecretKey::parse(&text)
            .is_ok_and(|k| !ids.is_empty() && ids.iter().all(|id| *id == k.id));
        if committed {
            match fs::rename(&new_path, self.path()) {
                Ok(()) => {
                    sync_dir(&self.dir);
                    log::warn!(
                        "finished an interrupted key rotation: {} replaced {}",
                        NEW_KEY_FILE,
                        KEY_FILE
                    );
                }
                Err(e) => log::error!(
                    "cannot finish an interrupted key rotation ({}): {e}",
                    new_path.display()
                ),
            }
        } else if let Err(e) = fs::remove_file(&new_path) {
            log::error!("cannot remove the stale {}: {e}", new_path.display());
        } else {
            log::warn!(
                "removed {} left by a key rotation that did not commit",
                new_path.display()
            );
        }
    }

    /// The key to seal a new secret with, checked inside the caller's write transaction
    /// against the secrets already stored, so nothing is ever sealed under a key that
    /// differs from theirs. Reloads the key file once when it no longer fits (a rotation ran).
    pub fn key_for_write(&self, tx: &Connection) -> Result<Arc<SecretKey>> {
        let loaded = self
            .current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Ok(key) = &loaded {
            if !store::external::other_key_in_use(tx, key.id())? {
                return Ok(key.clone());
            }
        }
        let reloaded = self.reload(tx)?;
        if store::external::other_key_in_use(tx, reloaded.id())? {
            return Err(key_unavailable());
        }
        Ok(reloaded)
    }

    /// The key with id `key_id`, to open a stored secret.
    pub fn key_for_read(&self, conn: &Connection, key_id: &str) -> Result<Arc<SecretKey>> {
        let loaded = self
            .current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Ok(key) = loaded {
            if key.id() == key_id {
                return Ok(key);
            }
        }
        let key = self.reload(conn)?;
        if key.id() == key_id {
            Ok(key)
        } else {
            log::error!(
                "a stored secret is sealed with key {key_id} but the key file holds key {}",
                key.id()
            );
            Err(key_unavailable())
        }
    }

    fn reload(&self, conn: &Connection) -> Result<Arc<SecretKey>> {
        let ids = store::external::key_ids_in_use(conn)?;
        let loaded = self.load(&ids);
        let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
        *current = loaded.clone();
        match loaded {
            Ok(key) => Ok(key),
            Err(p) => {
                self.log_problem(&p);
                Err(key_unavailable())
            }
        }
    }

    /// Re-seal every stored secret under a new key in one transaction, then put the new key
    /// file in place. Returns how many secrets were re-sealed and the new key's id.
    pub fn rotate(&self, conn: &mut Connection) -> Result<(usize, String)> {
        let ids = store::external::key_ids_in_use(conn)?;
        let old = match self.load(&ids) {
            Ok(key) => key,
            Err(p) => {
                self.log_problem(&p);
                return Err(Error::new(
                    Code::SecretsKeyUnavailable,
                    match p {
                        Problem::Missing => format!(
                            "{} is missing; restore it before rotating",
                            self.path().display()
                        ),
                        Problem::Unusable(why) => {
                            format!("{} cannot be used: {why}", self.path().display())
                        }
                    },
                ));
            }
        };
        let new = SecretKey::generate();
        let new_path = self.new_path();
        store::write_new_private_file(&new_path, new.file_content().as_bytes())?;
        let resealed = store::write(conn, |tx| {
            let rows = store::external::sealed_secrets(tx)?;
            for row in &rows {
                if row.key_id != old.id() {
                    return Err(key_unavailable());
                }
                let context = external_repository_context(row.namespace_id, &row.name);
                let plain = old.open(&context, &row.sealed)?;
                let sealed = new.seal(&context, &plain)?;
                store::external::set_sealed(tx, row.id, &sealed, new.id())?;
            }
            Ok(rows.len())
        });
        let resealed = match resealed {
            Ok(n) => n,
            Err(e) => {
                let _ = fs::remove_file(&new_path);
                return Err(e);
            }
        };
        fs::rename(&new_path, self.path()).map_err(|e| {
            Error::internal(format_args!(
                "renaming {} into place: {e}",
                new_path.display()
            ))
        })?;
        sync_dir(&self.dir);
        let new = Arc::new(new);
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Ok(new.clone());
        Ok((resealed, new.id().to_owned()))
    }
}

/// What binds an external repository's sealed password to its row: the namespace id and
/// the repository name (the row's unique key).
pub fn external_repository_context(namespace_id: i64, name: &str) -> Vec<u8> {
    let mut c = b"external repository\0".to_vec();
    c.extend_from_slice(&namespace_id.to_be_bytes());
    c.extend_from_slice(name.as_bytes());
    c
}

/// The id of the key a key file's content holds, or `None` when it holds no key.
pub fn key_id_of(text: &str) -> Option<String> {
    SecretKey::parse(text).ok().map(|k| k.id)
}

fn warn_if_exposed(path: &Path) {
    if let Ok(meta) = fs::metadata(path) {
        if meta.permissions().mode() & 0o077 != 0 {
            log::warn!(
                "secrets key file {} is readable by other users; chmod 600 it",
                path.display()
            );
        }
    }
}

/// Make a rename or a new file in `dir` durable.
fn sync_dir(dir: &Path) {
    if let Err(e) = fs::File::open(dir).and_then(|d| d.sync_all()) {
        log::warn!("cannot sync {}: {e}", dir.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_in_their_own_row_and_key() {
        let key = SecretKey::generate();
        let sealed = key.seal(b"row 1", b"hunter2").unwrap();
        assert_eq!(key.open(b"row 1", &sealed).unwrap().as_slice(), b"hunter2");
        assert!(!sealed.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(
            key.open(b"row 2", &sealed).unwrap_err().code,
            Code::SecretsKeyUnavailable
        );
        assert!(SecretKey::generate().open(b"row 1", &sealed).is_err());
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(key.open(b"row 1", &tampered).is_err());
        assert!(key.open(b"row 1", &sealed[..10]).is_err());
    }

    #[test]
    fn the_same_secret_seals_differently_each_time() {
        let key = SecretKey::generate();
        assert_ne!(
            key.seal(b"r", b"pw").unwrap(),
            key.seal(b"r", b"pw").unwrap()
        );
    }

    #[test]
    fn key_files_round_trip_and_ids_identify_keys() {
        let key = SecretKey::generate();
        let again = SecretKey::parse(&key.file_content()).unwrap();
        assert_eq!(again.id(), key.id());
        assert_eq!(key.id().len(), 16);
        assert_ne!(SecretKey::generate().id(), key.id());
        assert!(SecretKey::parse("not a key").is_err());
        assert!(SecretKey::parse(&"ab".repeat(31)).is_err());
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let key = SecretKey::generate();
        let hexkey = hex::encode(key.bytes.as_slice());
        assert!(!format!("{key:?}").contains(&hexkey));
        let s = SecretString::new("hunter2".into());
        assert_eq!(format!("{s:?}"), "SecretString([redacted])");
    }
}
