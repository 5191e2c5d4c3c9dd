//! Account operations: bootstrap, passwords, lookups.

use rusqlite::{Connection, Transaction};

use crate::auth::secret;
use crate::core::model::Account;
use crate::core::names::{self, LIBRARY};
use crate::core::policy::{self, Caller};
use crate::error::{Code, Error, Result};
use crate::store::{self, accounts::NewUser};

/// Name of the site admin created on the first start.
pub const BOOTSTRAP_ADMIN: &str = "admin";

/// What [`bootstrap`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Bootstrap {
    /// The store already had users.
    AlreadyDone,
    /// Created `admin`; the password is returned only when Berth chose it.
    Created { generated_password: Option<String> },
}

/// On an empty store: create the `library` organization and the site admin `admin`, with
/// `password` or a random one, in one transaction.
pub fn bootstrap(
    conn: &mut Connection,
    password: Option<&str>,
    bcrypt_cost: u32,
) -> Result<Bootstrap> {
    if store::accounts::count_users(conn)? > 0 {
        return Ok(Bootstrap::AlreadyDone);
    }
    if let Some(p) = password {
        names::validate_password(p)?;
    }
    let generated = password.is_none().then(secret::random_password);
    let password = password.or(generated.as_deref()).unwrap_or_default();
    let hash = hash_password(password, bcrypt_cost)?;
    store::write(conn, |tx| {
        let admin = store::accounts::insert_user(
            tx,
            &NewUser {
                name: BOOTSTRAP_ADMIN,
                password_hash: &hash,
                email: None,
                is_active: true,
                is_admin: true,
            },
        )?;
        if store::accounts::by_name(tx, LIBRARY)?.is_none() {
            store::accounts::insert_organization(tx, LIBRARY, Some(admin.id))?;
        }
        Ok(())
    })?;
    Ok(Bootstrap::Created {
        generated_password: generated,
    })
}

/// bcrypt a password (slow on purpose: call off the async executor).
pub fn hash_password(password: &str, cost: u32) -> Result<String> {
    bcrypt::hash(password, cost).map_err(|e| Error::internal(format_args!("bcrypt: {e}")))
}

/// Give a user a new random password (`berth admin reset-password`), end its web sessions
/// and Index access tokens, and return the password. A running server forgets the old one
/// within [`crate::auth::EPOCH_POLL`] (the credential epoch this bumps).
pub fn reset_password(conn: &mut Connection, name: &str, bcrypt_cost: u32) -> Result<String> {
    let user = store::accounts::by_name(conn, name)?
        .filter(Account::is_user)
        .ok_or_else(Error::no_such_account)?;
    let password = secret::random_password();
    let hash = hash_password(&password, bcrypt_cost)?;
    set_password(conn, user.id, &hash, None)?;
    Ok(password)
}

/// Set a new, validated password hash for a user (and add `email`, for the Index profile
/// update), ending its web sessions and Index access tokens, in one transaction. An email of
/// another account is a 400 `EMAIL_TAKEN` and changes nothing. Called through
/// [`crate::auth::Authenticator::change_password`] (which also empties the credential cache)
/// or by the offline reset above.
pub fn set_password(
    conn: &mut Connection,
    user_id: i64,
    new_hash: &str,
    email: Option<&str>,
) -> Result<()> {
    store::write(conn, |tx| {
        if let Some(email) = email {
            store::accounts::add_email(tx, user_id, email).map_err(email_taken)?;
        }
        replace_password(tx, user_id, new_hash)
    })
}

fn replace_password(tx: &Transaction, user_id: i64, new_hash: &str) -> Result<()> {
    if !store::accounts::set_password_hash(tx, user_id, new_hash)? {
        return Err(Error::no_such_account());
    }
    end_logins(tx, user_id)
}

/// End every web session and Index access token of a user, and tell running servers to
/// forget what they remember of its credentials: what a password change, a reset and a
/// deactivation must revoke. API keys stay: they are the user's to revoke.
fn end_logins(tx: &Transaction, user_id: i64) -> Result<()> {
    store::keys::delete_sessions_of(tx, user_id)?;
    store::keys::delete_access_tokens_of(tx, user_id)?;
    store::settings::bump_credential_epoch(tx)
}

fn email_taken(e: Error) -> Error {
    if e.is(Code::AccountExists) {
        Error::new(Code::EmailTaken, "this email belongs to another account")
    } else {
        e
    }
}

/// Validate the fields of a new user account.
pub fn validate_new_user(
    name: &str,
    password: &str,
    email: Option<&str>,
    rule: names::PasswordRule,
) -> Result<()> {
    names::validate_new_account_name(name)?;
    names::validate_password_by(password, rule)?;
    if let Some(email) = email {
        names::validate_email(email)?;
    }
    Ok(())
}

/// Create an API key for a user: returns the stored record and the key, shown once.
pub fn create_api_key(
    conn: &Connection,
    user_id: i64,
    name: &str,
) -> Result<(store::keys::ApiKey, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::new(
            Code::InvalidKeyName,
            "key names are 1 to 100 characters",
        ));
    }
    let key = secret::new_api_key();
    let prefix: String = key.chars().take(secret::API_KEY_SHOWN).collect();
    let record =
        store::keys::insert_api_key(conn, user_id, name, &prefix, &secret::sha256_hex(&key))?;
    Ok((record, key))
}

/// How many keys a login-issued key name keeps per user (Alauda's token login).
pub const LOGIN_KEYS_KEPT: i64 = 5;

/// An API key issued by a login (Alauda's `generate-api-token`), in one transaction with
/// the pruning of that user's older login keys beyond [`LOGIN_KEYS_KEPT`], so logging in
/// again and again does not pile up live keys.
pub fn create_login_key(conn: &mut Connection, user_id: i64, name: &str) -> Result<String> {
    store::write(conn, |tx| {
        let (_, key) = create_api_key(tx, user_id, name)?;
        store::keys::prune_named_api_keys(tx, user_id, name, LOGIN_KEYS_KEPT)?;
        Ok(key)
    })
}

/// Site registration policy (setting `registration`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    /// Anyone may sign up; accounts wait inactive until an admin activates them.
    Approval,
    /// Anyone may sign up and use the account at once.
    Open,
    /// Only site admins create users.
    Closed,
}

impl Registration {
    pub fn parse(s: &str) -> Option<Registration> {
        match s {
            "approval" => Some(Registration::Approval),
            "open" => Some(Registration::Open),
            "closed" => Some(Registration::Closed),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Registration::Approval => "approval",
            Registration::Open => "open",
            Registration::Closed => "closed",
        }
    }
}

pub fn registration(conn: &Connection) -> Result<Registration> {
    Ok(store::settings::get(conn, "registration")?
        .as_deref()
        .and_then(Registration::parse)
        .unwrap_or(Registration::Approval))
}

/// Whether a sign-up by `caller` is allowed, and whether the new account starts active.
/// Name and email must be free. Call before hashing the password (bcrypt is slow).
pub fn check_registration(
    conn: &Connection,
    caller: Option<&Caller>,
    name: &str,
    email: Option<&str>,
) -> Result<bool> {
    // With registration closed, a stranger gets one answer whether or not the name or email
    // is taken: anything else would tell who has an account here.
    let by_admin = policy::is_site_admin(caller);
    let mode = registration(conn)?;
    if mode == Registration::Closed && !by_admin {
        return Err(Error::new(
            Code::RegistrationClosed,
            "registration is closed on this site",
        ));
    }
    // Otherwise "exists" comes next: old Index clients take that answer as their cue to log
    // in instead, so existing users must get it.
    let taken = match email {
        Some(e) => store::accounts::name_or_email_taken(conn, name, e)?,
        None => store::accounts::by_name(conn, name)?.is_some(),
    };
    if taken {
        return Err(store::accounts::account_exists());
    }
    Ok(by_admin || mode == Registration::Open)
}

/// Insert a registered user (after [`check_registration`] and hashing).
pub fn register(
    conn: &mut Connection,
    name: &str,
    password_hash: &str,
    email: Option<&str>,
    active: bool,
) -> Result<Account> {
    store::write(conn, |tx| {
        store::accounts::insert_user(
            tx,
            &NewUser {
                name,
                password_hash,
                email,
                is_active: active,
                is_admin: false,
            },
        )
    })
}

pub fn not_a_user() -> Error {
    Error::new(
        Code::NotAUser,
        "this account is an organization, not a user",
    )
}

fn last_admin() -> Error {
    Error::new(
        Code::LastAdmin,
        "this is the last active site admin; make another admin first",
    )
}

fn builtin_account() -> Error {
    Error::new(
        Code::BuiltinAccount,
        "the library organization is built in and cannot be removed",
    )
}

/// Site-admin-only operations: 401 for anonymous callers, 403 for everyone else.
fn require_account_admin(caller: Option<&Caller>) -> Result<()> {
    match caller {
        _ if policy::may_administer_accounts(caller) => Ok(()),
        None => Err(Error::unauthorized("authentication required")),
        Some(_) => Err(Error::not_authorized()),
    }
}

/// Every account, users and organizations, by name. Any authenticated user may list them.
pub fn list(conn: &Connection) -> Result<Vec<Account>> {
    store::accounts::list(conn)
}

/// One account by name (404 `NO_SUCH_ACCOUNT`).
pub fn get(conn: &Connection, name: &str) -> Result<Account> {
    store::accounts::by_name(conn, name)?.ok_or_else(Error::no_such_account)
}

/// Create an organization (site admins only); its `owners` team holds the creator.
pub fn create_organization(
    conn: &mut Connection,
    caller: Option<&Caller>,
    name: &str,
) -> Result<Account> {
    require_account_admin(caller)?;
    names::validate_new_account_name(name)?;
    let creator = caller.map(|c| c.user_id);
    store::write(conn, |tx| {
        store::accounts::insert_organization(tx, name, creator)
    })
}

/// Delete an account and everything it owns (site admins only): its repositories with
/// their images, tags, grants and stars; an organization's teams and their grants; a
/// user's memberships, grants, keys, tokens and sessions. `Ok(None)` when there was no
/// such account (the API answers 204 either way). Refused with a 400: `library`, and the
/// last active site admin, so the site never locks itself out. The caller forgets the
/// deleted user's remembered credentials.
pub fn delete(conn: &mut Connection, caller: Option<&Caller>, name: &str) -> Result<Account> {
    require_account_admin(caller)?;
    // Absent is a 404 (API-NOTES section 3): the caller learns that nothing was deleted.
    let account = store::accounts::by_name(conn, name)?.ok_or_else(Error::no_such_account)?;
    if account.name == LIBRARY {
        return Err(builtin_account());
    }
    store::write(conn, |tx| {
        if account.is_admin && account.is_active && store::accounts::count_active_admins(tx)? <= 1 {
            return Err(last_admin());
        }
        store::accounts::delete(tx, account.id)?;
        Ok(account)
    })
}

/// Activate or deactivate a user (site admins only); the last active site admin cannot be
/// deactivated. The caller forgets the user's remembered credentials after a deactivation.
pub fn set_active(
    conn: &mut Connection,
    caller: Option<&Caller>,
    name: &str,
    active: bool,
) -> Result<Account> {
    require_account_admin(caller)?;
    let account = get(conn, name)?;
    if !account.is_user() {
        return Err(not_a_user());
    }
    store::write(conn, |tx| {
        if !active
            && account.is_admin
            && account.is_active
            && store::accounts::count_active_admins(tx)? <= 1
        {
            return Err(last_admin());
        }
        store::accounts::set_active(tx, account.id, active)?;
        if !active {
            end_logins(tx, account.id)?;
        }
        store::accounts::by_id(tx, account.id)?.ok_or_else(Error::no_such_account)
    })
}

/// The organizations a user belongs to: the user itself or a site admin may ask.
pub fn organizations_of(
    conn: &Connection,
    caller: Option<&Caller>,
    name: &str,
) -> Result<Vec<Account>> {
    let account = get(conn, name)?;
    if !policy::may_manage_account(caller, account.id) {
        return Err(Error::not_authorized());
    }
    if !account.is_user() {
        return Err(not_a_user());
    }
    store::accounts::organizations_of(conn, account.id)
}

/// Who a password change is for, and whether the caller must prove the account's current
/// password. 404 for no such user, 403 `NOT_AUTHORIZED` for a caller who is neither that
/// user nor a site admin, 403 `PASSWORD_REQUIRED` when the request's credential was a key or
/// a token (policy::password_change).
pub fn password_change_target(
    conn: &Connection,
    caller: Option<&Caller>,
    proof: policy::Proof,
    name: &str,
) -> Result<(Account, bool)> {
    let account = match store::accounts::by_name(conn, name)? {
        Some(a) if a.is_user() => a,
        Some(_) => return Err(not_a_user()),
        None => return Err(Error::no_such_account()),
    };
    match policy::password_change(caller, account.id, proof) {
        policy::PasswordChange::Refused => Err(Error::not_authorized()),
        policy::PasswordChange::NeedsPassword => Err(password_required()),
        policy::PasswordChange::WithOldPassword => Ok((account, true)),
        policy::PasswordChange::WithoutOldPassword => Ok((account, false)),
    }
}

pub fn password_required() -> Error {
    Error::new(
        Code::PasswordRequired,
        "changing a password needs the password itself as the credential, not an API key or token",
    )
}

/// The current password was asked for and not given.
pub fn old_password_missing() -> Error {
    Error::new(Code::InvalidOldPassword, "oldPassword is required")
}

/// The current password given was not the account's.
pub fn old_password_wrong() -> Error {
    Error::new(
        Code::InvalidOldPassword,
        "oldPassword is not the current password",
    )
}

/// A user account the caller may change (`PUT /v1/users/{name}`): itself, or any user for a
/// site admin. 404 when there is no such user (organizations have no settings here), 403
/// when it is someone else's.
pub fn user_to_manage(conn: &Connection, caller: Option<&Caller>, name: &str) -> Result<Account> {
    let account = store::accounts::by_name(conn, name)?
        .filter(Account::is_user)
        .ok_or_else(Error::no_such_account)?;
    if !policy::may_manage_account(caller, account.id) {
        return Err(Error::not_authorized());
    }
    Ok(account)
}

/// Add an email to a user (the Index dialect adds, never removes). An email of another
/// account is a 400 `EMAIL_TAKEN`.
pub fn add_email(conn: &mut Connection, user_id: i64, email: &str) -> Result<()> {
    names::validate_email(email)?;
    store::write(conn, |tx| store::accounts::add_email(tx, user_id, email)).map_err(email_taken)
}

/// What a signed-in user's profile shows.
#[derive(Debug, Clone)]
pub struct Profile {
    pub user: Account,
    pub emails: Vec<String>,
    /// The namespace the profile was asked for: the user or one of its organizations.
    pub namespace: Account,
}

/// The caller's profile as seen from namespace `ns`, which must be the caller itself or an
/// organization it belongs to (site admins: any); otherwise 404 as for a missing account.
pub fn profile(conn: &Connection, caller: &Caller, ns: &str) -> Result<Profile> {
    let user = store::accounts::by_id(conn, caller.user_id)?.ok_or_else(Error::no_such_account)?;
    let namespace = store::accounts::by_name(conn, ns)?.ok_or_else(Error::no_such_account)?;
    if namespace.id != user.id {
        let facts = store::repos::namespace_facts(conn, Some(caller), &namespace)?;
        let allowed = if namespace.is_user() {
            caller.is_admin
        } else {
            policy::may_see_teams(Some(caller), &facts)
        };
        if !allowed {
            return Err(Error::no_such_account());
        }
    }
    let emails = store::accounts::emails(conn, user.id)?;
    Ok(Profile {
        user,
        emails,
        namespace,
    })
}

/// Make a user a site admin or take that away (site admins only); the last active site
/// admin keeps the flag. The caller forgets the user's remembered credentials.
pub fn set_admin(
    conn: &mut Connection,
    caller: Option<&Caller>,
    name: &str,
    admin: bool,
) -> Result<Account> {
    require_account_admin(caller)?;
    let account = get(conn, name)?;
    if !account.is_user() {
        return Err(not_a_user());
    }
    store::write(conn, |tx| {
        if !admin
            && account.is_admin
            && account.is_active
            && store::accounts::count_active_admins(tx)? <= 1
        {
            return Err(last_admin());
        }
        store::accounts::set_admin(tx, account.id, admin)?;
        store::accounts::by_id(tx, account.id)?.ok_or_else(Error::no_such_account)
    })
}

/// A user's emails and API keys (records only: keys are never readable again), for the
/// user's own settings page.
pub fn own_settings(
    conn: &Connection,
    user_id: i64,
) -> Result<(Vec<String>, Vec<store::keys::ApiKey>)> {
    Ok((
        store::accounts::emails(conn, user_id)?,
        store::keys::api_keys_of(conn, user_id)?,
    ))
}
