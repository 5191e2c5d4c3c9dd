//! Credentials: Basic (password or API key), `Token <apikey>`, Index access tokens.
//!
//! bcrypt is slow on purpose, so: verified Basic credentials are remembered for a while in a
//! cache keyed by a salted hash of name and secret (it never holds a password) that holds the
//! verified account itself, so a hit costs no store access at all. Every change to a user's
//! password, keys, activity or admin flag made through Berth empties that user's entries at
//! once (`forget_user`); a change made by another process (`berth admin reset-password` on a
//! running server) is seen when the entry expires. bcrypt runs on the
//! blocking pool behind a semaphore, so a flood of logins cannot take every thread; failed
//! logins are throttled per account and client address, and a throttled attempt is refused
//! before the password is looked at, so the answer says nothing about it.

pub mod bearer;
pub mod changes;
pub mod credentials;
pub mod extract;
pub mod secret;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::config::Config;
use crate::core::model::Account;
use crate::core::policy::{Caller, Proof};
use crate::core::tokens::Access;
use crate::error::{Error, Result};
use crate::store::{self, keys::AccessToken, Store};
use credentials::Credential;

/// How a request proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    Password,
    ApiKey {
        key_id: i64,
    },
    /// An Index access token: valid for its repository and access only.
    AccessToken(AccessToken),
    Session,
}

impl Via {
    /// How the caller proved who it is, for the access log.
    pub fn label(&self) -> &'static str {
        match self {
            Via::Password => "password",
            Via::ApiKey { .. } => "apikey",
            Via::AccessToken(_) => "token",
            Via::Session => "session",
        }
    }
}

/// An authenticated, active user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user: Account,
    pub via: Via,
}

impl Principal {
    /// The user behind the credential, whatever the credential. Prefer [`Principal::caller_on`]
    /// or [`Principal::general_caller`], which honour the limits of access tokens.
    pub fn caller(&self) -> Caller {
        Caller::from(&self.user)
    }

    /// Who this principal is on a route that is not about one repository: an access token
    /// counts as anonymous there (it is valid on its own repository's routes only).
    pub fn general_caller(&self) -> Option<Caller> {
        match self.via {
            Via::AccessToken(_) => None,
            _ => Some(self.caller()),
        }
    }

    /// Who this principal is for an operation needing `needed` on `repository` (`ns/name`).
    /// This is the one place an access token's binding is checked: it acts as its user on its
    /// own repository for what its access covers, and as anonymous everywhere else. Every
    /// other credential acts as its user.
    pub fn caller_on(&self, repository: &str, needed: Access) -> Option<Caller> {
        match &self.via {
            Via::AccessToken(token) => {
                token_opens(token, repository, needed).then(|| self.caller())
            }
            _ => Some(self.caller()),
        }
    }

    /// What this request proved, as far as changing a password cares.
    pub fn proof(&self) -> Proof {
        match self.via {
            Via::Password => Proof::Password,
            Via::Session => Proof::Session,
            Via::ApiKey { .. } | Via::AccessToken(_) => Proof::Key,
        }
    }

    /// The access token this principal came with, if any.
    pub fn access_token(&self) -> Option<&AccessToken> {
        match &self.via {
            Via::AccessToken(token) => Some(token),
            _ => None,
        }
    }
}

/// Whether an access token opens `repository` (`ns/name`) for an operation needing `needed`:
/// the one place a token's binding to its repository and access is checked.
pub fn token_opens(token: &AccessToken, repository: &str, needed: Access) -> bool {
    token.repository == repository && Access::parse(&token.access).is_some_and(|a| a.covers(needed))
}

/// What a request's credentials proved ([`Authenticator::identify`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// An authenticated, active user (any credential, a user's access token included).
    User(Principal),
    /// A valid anonymous Index read token (`core::tokens::issue_anonymous_read`). It proves
    /// nobody: its holder is anonymous everywhere, and the token only says which repository
    /// it is pulling, so that the registry-role routes answer it in the Index's shapes.
    AnonymousToken(AccessToken),
}

impl Identity {
    /// Who this is for an operation needing `needed` on `repository`: a user as
    /// [`Principal::caller_on`] says; the holder of an anonymous token is anonymous.
    pub fn caller_on(&self, repository: &str, needed: Access) -> Option<Caller> {
        match self {
            Identity::User(p) => p.caller_on(repository, needed),
            Identity::AnonymousToken(_) => None,
        }
    }

    /// Who this is on a route that is not about one repository.
    pub fn general_caller(&self) -> Option<Caller> {
        match self {
            Identity::User(p) => p.general_caller(),
            Identity::AnonymousToken(_) => None,
        }
    }

    /// The access token the request came with, if any, whoever holds it.
    pub fn access_token(&self) -> Option<&AccessToken> {
        match self {
            Identity::User(p) => p.access_token(),
            Identity::AnonymousToken(token) => Some(token),
        }
    }

    /// The access token the request came with when it opens `repository` for `needed`.
    pub fn token_on(&self, repository: &str, needed: Access) -> Option<&AccessToken> {
        self.access_token()
            .filter(|t| token_opens(t, repository, needed))
    }

    /// The user, when the credentials proved one.
    pub fn principal(&self) -> Option<&Principal> {
        match self {
            Identity::User(p) => Some(p),
            Identity::AnonymousToken(_) => None,
        }
    }
}

/// A place in the queue of one credential's verification; leaving it (even when the request
/// is dropped half-way) removes the queue once nobody else is in it.
struct GateTicket<'a> {
    auth: &'a Authenticator,
    key: [u8; 32],
    gate: Gate,
}

impl<'a> GateTicket<'a> {
    fn take(auth: &'a Authenticator, key: [u8; 32]) -> Self {
        let mut gates = auth.gates.lock().unwrap_or_else(|p| p.into_inner());
        let gate = gates.entry(key).or_default().clone();
        GateTicket { auth, key, gate }
    }
}

impl Drop for GateTicket<'_> {
    fn drop(&mut self) {
        let mut gates = self.auth.gates.lock().unwrap_or_else(|p| p.into_inner());
        // The map's reference and ours: nobody else is waiting.
        if std::sync::Arc::strong_count(&self.gate) <= 2 {
            gates.remove(&self.key);
        }
    }
}

/// Remembered credentials, and how many times any were forgotten: a login that read the
/// account before a `forget_user` must not remember what it read.
#[derive(Default)]
struct Cache {
    entries: HashMap<[u8; 32], CacheEntry>,
    forgets: u64,
}

struct CacheEntry {
    user_id: i64,
    principal: Principal,
    expires: Instant,
}

#[derive(Default)]
struct Failures {
    count: u32,
    since: Option<Instant>,
    locked_until: Option<Instant>,
}

/// Entries above which the credential cache and the throttle table are pruned.
const TABLE_LIMIT: usize = 50_000;

/// How often a running server looks at the store's credential epoch, so a change made by
/// another process (`berth admin reset-password`) empties the credential cache within this
/// time rather than when entries expire.
pub const EPOCH_POLL: Duration = Duration::from_secs(1);

/// One turn at verifying a credential (see [`Authenticator::gate`]).
type Gate = std::sync::Arc<tokio::sync::Mutex<()>>;

pub struct Authenticator {
    cache: Mutex<Cache>,
    cache_salt: [u8; 32],
    cache_ttl: Duration,
    /// Verifications under way, by cache key: concurrent first requests with the same
    /// credential wait for one bcrypt instead of running one each.
    gates: Mutex<HashMap<[u8; 32], Gate>>,
    /// The credential epoch last read from the store, and when (ms since `started`).
    epoch: Mutex<Option<i64>>,
    epoch_checked_ms: AtomicU64,
    started: Instant,
    throttle: Mutex<HashMap<(String, Option<IpAddr>), Failures>>,
    /// Entries in `throttle`, so the common case (no recent failures) takes no lock.
    throttle_len: std::sync::atomic::AtomicUsize,
    max_failures: u32,
    window: Duration,
    bcrypt_slots: Semaphore,
    bcrypt_cost: u32,
    /// A hash to verify against when the user does not exist, so that takes as long.
    dummy_hash: String,
    /// bcrypt verifications run so far (tests and metrics read it).
    pub bcrypt_runs: AtomicU64,
    /// bcrypt verifications waiting for a slot right now.
    pub bcrypt_waiting: AtomicU64,
    /// How many bcrypt verifications may run at once.
    bcrypt_concurrency: usize,
    /// Logins refused for a wrong password or an unknown account (metrics).
    pub login_failures: AtomicU64,
    /// Logins refused because their account and address were throttled (metrics).
    pub throttled_refusals: AtomicU64,
}

impl Authenticator {
    pub fn new(cfg: &Config) -> Result<Self> {
        let salt: [u8; 32] = Sha256::digest(secret::random_string(64).as_bytes()).into();
        Ok(Authenticator {
            cache: Mutex::new(Cache::default()),
            cache_salt: salt,
            cache_ttl: Duration::from_secs(cfg.credential_cache_secs),
            gates: Mutex::new(HashMap::new()),
            epoch: Mutex::new(None),
            epoch_checked_ms: AtomicU64::new(0),
            started: Instant::now(),
            throttle: Mutex::new(HashMap::new()),
            throttle_len: std::sync::atomic::AtomicUsize::new(0),
            max_failures: cfg.login_max_failures.max(1),
            window: Duration::from_secs(cfg.login_window_secs.max(1)),
            bcrypt_slots: Semaphore::new(cfg.bcrypt_concurrency.max(1)),
            bcrypt_cost: cfg.bcrypt_cost,
            dummy_hash: crate::core::accounts::hash_password(
                &secret::random_password(),
                cfg.bcrypt_cost,
            )?,
            bcrypt_runs: AtomicU64::new(0),
            bcrypt_waiting: AtomicU64::new(0),
            bcrypt_concurrency: cfg.bcrypt_concurrency.max(1),
            login_failures: AtomicU64::new(0),
            throttled_refusals: AtomicU64::new(0),
        })
    }

    /// Resolve the `Authorization` header to a user: `Ok(None)` for anonymous. An anonymous
    /// Index read token proves nobody, so it is `Ok(None)` here too (see
    /// [`Authenticator::identify`] for the routes that tell it apart); an expired or unknown
    /// token is refused like any bad credential.
    pub async fn authenticate(
        &self,
        store: &Store,
        header: Option<&[u8]>,
        ip: Option<IpAddr>,
    ) -> Result<Option<Principal>> {
        Ok(match self.identify(store, header, ip).await? {
            Some(Identity::User(p)) => Some(p),
            Some(Identity::AnonymousToken(_)) | None => None,
        })
    }

    /// Resolve the `Authorization` header: `Ok(None)` without credentials, a user, or an
    /// anonymous Index read token.
    pub async fn identify(
        &self,
        store: &Store,
        header: Option<&[u8]>,
        ip: Option<IpAddr>,
    ) -> Result<Option<Identity>> {
        match credentials::parse(header)? {
            None => Ok(None),
            Some(Credential::Basic { user, secret }) => self
                .basic(store, user, secret, ip)
                .await
                .map(|p| Some(Identity::User(p))),
            Some(Credential::ApiKey(key)) => {
                let user = self
                    .api_key(store, None, key)
                    .await?
                    .ok_or_else(bad_credentials)?;
                active(user).map(|p| Some(Identity::User(p)))
            }
            Some(Credential::AccessToken {
                signature,
                repository,
                access,
            }) => self
                .access_token(store, signature, repository, access)
                .await
                .map(Some),
            // Registry tokens are the `/v2` routes' own (`api::v2`); elsewhere they prove nothing.
            Some(Credential::Bearer(_)) => {
                Err(Error::unauthorized("unsupported authorization scheme"))
            }
        }
    }

    /// Check a user name and a secret exactly as `Authorization: Basic` is checked (same
    /// throttle, cache and answers), for dialects that log in through a JSON body.
    ///
    /// Only a password is accepted here, never an API key: what logs in this way (a new API
    /// key, a web session) must not be obtainable with a key alone.
    pub async fn login(
        &self,
        store: &Store,
        name: String,
        password: String,
        ip: Option<IpAddr>,
    ) -> Result<Principal> {
        self.check(store, name, password, ip, false).await
    }

    async fn basic(
        &self,
        store: &Store,
        name: String,
        secret: String,
        ip: Option<IpAddr>,
    ) -> Result<Principal> {
        self.check(store, name, secret, ip, true).await
    }

    /// A name and a password (or, when `keys` allows, an API key of that user).
    async fn check(
        &self,
        store: &Store,
        name: String,
        secret: String,
        ip: Option<IpAddr>,
        keys: bool,
    ) -> Result<Principal> {
        let throttle_key = (throttle_name(&name), ip);
        self.check_throttle(&throttle_key)?;
        if keys && secret::looks_like_api_key(&secret) {
            if let Some(p) = self
                .api_key(store, Some(name.clone()), secret.clone())
                .await?
            {
                // A key proves nothing about the password: failed password guesses stay
                // counted, or every request with a stolen key would reset them.
                return active(p);
            }
        }
        let key = self.cache_key(&name, &secret);
        self.watch_epoch(store).await?;
        if let Some(principal) = self.cached(&key) {
            return active(principal);
        }
        // One verification per credential at a time: whoever waited finds the result.
        let gate = GateTicket::take(self, key);
        let _turn = gate.gate.lock().await;
        self.verify(store, name, secret, key, &throttle_key).await
    }

    /// The cache-miss half of [`Authenticator::check`], run by one request per credential.
    async fn verify(
        &self,
        store: &Store,
        name: String,
        secret: String,
        key: [u8; 32],
        throttle_key: &(String, Option<IpAddr>),
    ) -> Result<Principal> {
        if let Some(principal) = self.cached(&key) {
            return active(principal);
        }
        // A throttle may have started while this request waited its turn.
        self.check_throttle(throttle_key)?;
        let forgets = self.forgets();
        let found = store
            .run({
                let name = name.clone();
                move |c| store::accounts::user_with_hash(c, &name)
            })
            .await?;
        let verified = match &found {
            Some((_, hash)) => self.bcrypt_verify(secret, hash.clone()).await?,
            None => {
                self.bcrypt_verify(secret, self.dummy_hash.clone()).await?;
                false
            }
        };
        match found {
            Some((user, _)) if verified => {
                self.clear_failures(throttle_key);
                let principal = Principal {
                    user,
                    via: Via::Password,
                };
                if principal.user.is_active {
                    self.remember(key, principal.clone(), forgets);
                }
                active(principal)
            }
            _ => {
                self.record_failure(throttle_key.clone());
                Err(bad_credentials())
            }
        }
    }

    /// At most once per [`EPOCH_POLL`], read the store's credential epoch; when another
    /// process (or this one) revoked credentials since the last look, forget everything.
    async fn watch_epoch(&self, store: &Store) -> Result<()> {
        let now = self.started.elapsed().as_millis() as u64;
        let last = self.epoch_checked_ms.load(Ordering::Acquire);
        let due = last == 0 || now.saturating_sub(last) >= EPOCH_POLL.as_millis() as u64;
        // One request looks; the others go on with what is remembered.
        if !due
            || self
                .epoch_checked_ms
                .compare_exchange(last, now.max(1), Ordering::AcqRel, Ordering::Acquire)
                .is_err()
        {
            return Ok(());
        }
        let epoch = store.run(|c| store::settings::credential_epoch(c)).await?;
        let mut seen = self.epoch.lock().unwrap_or_else(|p| p.into_inner());
        if seen.is_some_and(|e| e != epoch) {
            self.forget_all();
        }
        *seen = Some(epoch);
        Ok(())
    }

    /// Forget every remembered credential (the credential epoch moved).
    pub fn forget_all(&self) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.forgets += 1;
        cache.entries.clear();
    }

    /// An API key, optionally required to belong to the user named `name`.
    async fn api_key(
        &self,
        store: &Store,
        name: Option<String>,
        key: String,
    ) -> Result<Option<Principal>> {
        let hash = secret::sha256_hex(&key);
        store
            .run(move |c| {
                let Some((key_id, user_id)) = store::keys::api_key_by_hash(c, &hash)? else {
                    return Ok(None);
                };
                let user = store::accounts::by_id(c, user_id)?
                    .filter(|u| name.as_deref().is_none_or(|n| n == u.name));
                Ok(user.map(|user| Principal {
                    user,
                    via: Via::ApiKey { key_id },
                }))
            })
            .await
    }

    async fn access_token(
        &self,
        store: &Store,
        signature: String,
        repository: String,
        access: String,
    ) -> Result<Identity> {
        let hash = secret::sha256_hex(&signature);
        let found = store
            .run(move |c| {
                let Some(token) = store::keys::access_token_by_hash(c, &hash)? else {
                    return Ok(None);
                };
                if token.repository != repository || token.access != access {
                    return Ok(None);
                }
                match token.user_id {
                    // Anonymous tokens read, nothing else (the schema says so too).
                    None => Ok((token.access == Access::Read.as_str())
                        .then_some(Identity::AnonymousToken(token))),
                    Some(user_id) => Ok(store::accounts::by_id(c, user_id)?.map(|user| {
                        Identity::User(Principal {
                            user,
                            via: Via::AccessToken(token),
                        })
                    })),
                }
            })
            .await?;
        match found.ok_or_else(|| Error::unauthorized("invalid or expired access token"))? {
            Identity::User(principal) => active(principal).map(Identity::User),
            anonymous => Ok(anonymous),
        }
    }

    /// Verify a password against a bcrypt hash on the blocking pool, a bounded number at once.
    pub async fn bcrypt_verify(&self, password: String, hash: String) -> Result<bool> {
        self.bcrypt_waiting.fetch_add(1, Ordering::Relaxed);
        let permit = self.bcrypt_slots.acquire().await;
        self.bcrypt_waiting.fetch_sub(1, Ordering::Relaxed);
        let _permit = permit.map_err(Error::internal)?;
        self.bcrypt_runs.fetch_add(1, Ordering::Relaxed);
        let ok =
            actix_web::web::block(move || bcrypt::verify(password, &hash).unwrap_or(false)).await?;
        Ok(ok)
    }

    /// Hash a new password on the blocking pool, sharing the bcrypt slots.
    pub async fn bcrypt_hash(&self, password: String) -> Result<String> {
        let _permit = self.bcrypt_slots.acquire().await.map_err(Error::internal)?;
        let cost = self.bcrypt_cost;
        actix_web::web::block(move || crate::core::accounts::hash_password(&password, cost)).await?
    }

    fn cache_key(&self, name: &str, secret: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.cache_salt);
        h.update((name.len() as u64).to_le_bytes());
        h.update(name.as_bytes());
        h.update(secret.as_bytes());
        h.finalize().into()
    }

    fn cached(&self, key: &[u8; 32]) -> Option<Principal> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .entries
            .get(key)
            .filter(|e| e.expires > Instant::now())
            .map(|e| e.principal.clone())
    }

    fn forgets(&self) -> u64 {
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).forgets
    }

    /// Remember a verified principal, unless some user was forgotten since `forgets` was
    /// read (before the account was loaded): what was loaded may be what was revoked.
    fn remember(&self, key: [u8; 32], principal: Principal, forgets: u64) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.forgets != forgets {
            return;
        }
        let now = Instant::now();
        if cache.entries.len() >= TABLE_LIMIT {
            cache.entries.retain(|_, e| e.expires > now);
            if cache.entries.len() >= TABLE_LIMIT {
                cache.entries.clear();
            }
        }
        let user_id = principal.user.id;
        cache.entries.insert(
            key,
            CacheEntry {
                user_id,
                principal,
                expires: now + self.cache_ttl,
            },
        );
    }

    /// Forget every remembered credential of a user: on a password change, (de)activation,
    /// a change of its admin flag, key revocation or deletion. Whatever changes those must
    /// call this, after the change is committed.
    pub fn forget_user(&self, user_id: i64) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.forgets += 1;
        cache.entries.retain(|_, e| e.user_id != user_id);
    }

    fn check_throttle(&self, key: &(String, Option<IpAddr>)) -> Result<()> {
        if self.throttle_len.load(Ordering::Acquire) == 0 {
            return Ok(());
        }
        let table = self.throttle.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(until) = table.get(key).and_then(|f| f.locked_until) {
            let now = Instant::now();
            if until > now {
                self.throttled_refusals.fetch_add(1, Ordering::Relaxed);
                return Err(Error::too_many_attempts((until - now).as_secs() + 1));
            }
        }
        Ok(())
    }

    fn record_failure(&self, key: (String, Option<IpAddr>)) {
        self.login_failures.fetch_add(1, Ordering::Relaxed);
        let mut table = self.throttle.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if table.len() >= TABLE_LIMIT {
            let window = self.window;
            table.retain(|_, f| {
                f.locked_until.is_some_and(|u| u > now) || f.since.is_some_and(|s| now - s < window)
            });
        }
        let f = table.entry(key).or_default();
        if f.since.is_none_or(|s| now - s >= self.window)
            || f.locked_until.is_some_and(|u| u <= now)
        {
            *f = Failures {
                count: 0,
                since: Some(now),
                locked_until: None,
            };
        }
        f.count += 1;
        if f.count >= self.max_failures {
            f.locked_until = Some(now + self.window);
        }
        self.throttle_len.store(table.len(), Ordering::Release);
    }

    fn clear_failures(&self, key: &(String, Option<IpAddr>)) {
        if self.throttle_len.load(Ordering::Acquire) == 0 {
            return;
        }
        let mut table = self.throttle.lock().unwrap_or_else(|p| p.into_inner());
        table.remove(key);
        self.throttle_len.store(table.len(), Ordering::Release);
    }

    /// bcrypt verifications running now (for metrics).
    pub fn bcrypt_running(&self) -> usize {
        self.bcrypt_concurrency
            .saturating_sub(self.bcrypt_slots.available_permits())
    }

    /// Accounts currently locked out (for metrics).
    pub fn throttled_count(&self) -> usize {
        let now = Instant::now();
        let table = self.throttle.lock().unwrap_or_else(|p| p.into_inner());
        table
            .values()
            .filter(|f| f.locked_until.is_some_and(|u| u > now))
            .count()
    }
}

/// The name failures are counted under: lower-cased and cut to one character more than the
/// longest account name. Names that long belong to no account, and the throttle table keeps
/// every name that failed in the window: uncut, each hostile name (up to a request head,
/// 128 KiB) would be kept whole.
fn throttle_name(name: &str) -> String {
    name.chars().take(65).collect::<String>().to_lowercase()
}

fn bad_credentials() -> Error {
    Error::unauthorized("invalid username or password")
}

/// Only active users authenticate; the caller proved who it is, so it may learn why.
fn active(p: Principal) -> Result<Principal> {
    if p.user.is_active {
        Ok(p)
    } else {
        Err(Error::account_inactive())
    }
}

#[cfg(test)]
mod scope_tests {
    use super::*;
    use crate::core::model::AccountKind;

    fn principal(via: Via) -> Principal {
        let user = Account {
            id: 7,
            name: "alice".into(),
            kind: AccountKind::User,
            full_name: String::new(),
            is_active: true,
            is_admin: false,
            created_at: 0,
        };
        Principal { user, via }
    }

    fn token(repository: &str, access: &str) -> Via {
        Via::AccessToken(AccessToken {
            id: 1,
            user_id: Some(7),
            repository: repository.into(),
            access: access.into(),
            expires_at: i64::MAX,
        })
    }

    #[test]
    fn a_token_acts_only_on_its_repository() {
        let p = principal(token("alice/app", "write"));
        assert_eq!(
            p.caller_on("alice/app", Access::Write).map(|c| c.user_id),
            Some(7)
        );
        assert_eq!(
            p.caller_on("alice/app", Access::Read).map(|c| c.user_id),
            Some(7)
        );
        assert_eq!(p.caller_on("alice/other", Access::Read), None);
        assert_eq!(p.caller_on("alice/app2", Access::Write), None);
        assert_eq!(p.general_caller(), None);
    }

    #[test]
    fn a_token_acts_only_for_its_access() {
        let read = principal(token("a/b", "read"));
        assert!(read.caller_on("a/b", Access::Read).is_some());
        assert!(read.caller_on("a/b", Access::Write).is_none());
        assert!(read.caller_on("a/b", Access::Delete).is_none());
        let delete = principal(token("a/b", "delete"));
        assert!(delete.caller_on("a/b", Access::Delete).is_some());
        assert!(delete.caller_on("a/b", Access::Write).is_none());
        let odd = principal(token("a/b", "admin"));
        assert!(odd.caller_on("a/b", Access::Read).is_none());
    }

    #[test]
    fn an_anonymous_token_is_anonymous_everywhere_and_opens_only_its_repository_for_reading() {
        let Via::AccessToken(mut token) = token("alice/app", "read") else {
            unreachable!()
        };
        token.user_id = None;
        let anonymous = Identity::AnonymousToken(token);
        for needed in [Access::Read, Access::Write, Access::Delete] {
            assert_eq!(anonymous.caller_on("alice/app", needed), None);
            assert_eq!(anonymous.caller_on("alice/other", needed), None);
        }
        assert_eq!(anonymous.general_caller(), None);
        assert_eq!(anonymous.principal(), None);
        assert!(anonymous.access_token().is_some());
        assert!(anonymous.token_on("alice/app", Access::Read).is_some());
        assert!(anonymous.token_on("alice/app", Access::Write).is_none());
        assert!(anonymous.token_on("alice/app", Access::Delete).is_none());
        assert!(anonymous.token_on("alice/apps", Access::Read).is_none());
        assert!(anonymous.token_on("alice", Access::Read).is_none());
    }

    #[test]
    fn a_users_identity_is_its_principal() {
        let user = Identity::User(principal(token("a/b", "write")));
        assert_eq!(
            user.caller_on("a/b", Access::Write).map(|c| c.user_id),
            Some(7)
        );
        assert_eq!(user.caller_on("a/c", Access::Read), None);
        assert!(user.token_on("a/b", Access::Write).is_some());
        assert!(user.token_on("a/b", Access::Delete).is_none());
        let password = Identity::User(principal(Via::Password));
        assert!(password.access_token().is_none());
        assert!(password.token_on("a/b", Access::Read).is_none());
        assert_eq!(password.general_caller().map(|c| c.user_id), Some(7));
    }

    #[test]
    fn other_credentials_act_everywhere() {
        for via in [Via::Password, Via::ApiKey { key_id: 3 }, Via::Session] {
            let p = principal(via);
            assert_eq!(
                p.caller_on("x/y", Access::Delete).map(|c| c.user_id),
                Some(7)
            );
            assert_eq!(p.general_caller().map(|c| c.user_id), Some(7));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::AccountKind;

    fn authenticator() -> Authenticator {
        let mut cfg = Config::new(std::path::PathBuf::from("/nonexistent"));
        cfg.bcrypt_cost = 4;
        Authenticator::new(&cfg).unwrap()
    }

    fn principal(id: i64) -> Principal {
        let user = Account {
            id,
            name: format!("u{id}"),
            kind: AccountKind::User,
            full_name: String::new(),
            is_active: true,
            is_admin: false,
            created_at: 0,
        };
        Principal {
            user,
            via: Via::Password,
        }
    }

    #[test]
    fn a_verified_credential_is_remembered_and_forgotten() {
        let a = authenticator();
        let key = a.cache_key("u1", "secret");
        a.remember(key, principal(1), a.forgets());
        assert_eq!(a.cached(&key), Some(principal(1)));
        a.forget_user(2);
        assert_eq!(
            a.cached(&key),
            Some(principal(1)),
            "another user's change keeps it"
        );
        a.forget_user(1);
        assert_eq!(a.cached(&key), None);
    }

    #[test]
    fn a_login_that_raced_a_revocation_is_not_remembered() {
        let a = authenticator();
        let key = a.cache_key("u1", "secret");
        // The login read the account (and noted the forget count) ...
        let seen = a.forgets();
        // ... then the password was changed and the user forgotten, while bcrypt ran ...
        a.forget_user(1);
        // ... so what the login read must not be remembered.
        a.remember(key, principal(1), seen);
        assert_eq!(a.cached(&key), None);
    }

    #[test]
    fn failures_are_counted_under_a_bounded_name() {
        assert_eq!(throttle_name("Alice"), "alice");
        let longest = "a".repeat(64);
        assert_eq!(throttle_name(&longest), longest);
        assert_eq!(throttle_name(&"B".repeat(100_000)), "b".repeat(65));
        let a = authenticator();
        a.record_failure((throttle_name(&"x".repeat(100_000)), None));
        let table = a.throttle.lock().unwrap();
        assert!(table.keys().all(|(name, _)| name.len() <= 65 * 4));
    }

    #[test]
    fn cache_keys_depend_on_name_and_secret() {
        let a = authenticator();
        assert_ne!(a.cache_key("ab", "c"), a.cache_key("a", "bc"));
        assert_ne!(a.cache_key("a", "secret"), a.cache_key("a", "Secret"));
        assert_eq!(a.cache_key("a", "secret"), a.cache_key("a", "secret"));
    }
}
