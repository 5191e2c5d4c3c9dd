//! The one owner of credential changes: a password change, (de)activation, the admin flag,
//! key revocation and account deletion. Each operation decides what proof it needs (through
//! the policy), commits the change with whatever it revokes (core::accounts), and then always
//! empties the credential cache of the user, so every dialect and page that calls it gets the
//! same rules. Nothing else writes these. Registration through the APIs is here too, so the
//! dialects share its steps (the sign-up page takes them one by one, to show each refusal).

use std::net::IpAddr;

use super::Authenticator;
use crate::core::accounts;
use crate::core::model::Account;
use crate::core::names::{self, PasswordRule};
use crate::core::policy::{Caller, Proof};
use crate::error::{Code, Result};
use crate::store::{self, Store};

/// How a dialect carries the account's current password, when one is needed.
pub enum OldPassword {
    /// In the request (DTR's `oldPassword`, the web form's current password).
    Given(String),
    /// The dialect has a place for it and the request left it out.
    Missing,
    /// The dialect has no place for it (Index `PUT /v1/users/{name}`): the request's own
    /// credential must have been the password.
    FromCredential,
}

impl Authenticator {
    /// Register a user with a password, asked by `by` (`None`: anonymous), as the API
    /// dialects do. The site's registration setting answers first: closed is the one answer a
    /// stranger gets (`accounts::check_registration`), and otherwise a taken name or email is
    /// answered before the fields are judged, because old Index clients take "exists" as
    /// their cue to log in instead. Then the name, password (under `rule`) and email are
    /// validated, the password is hashed off the executor, and the user is created, active
    /// or not as the setting says.
    pub async fn register_user(
        &self,
        store: &Store,
        by: Option<Caller>,
        name: String,
        password: String,
        email: Option<String>,
        rule: PasswordRule,
    ) -> Result<Account> {
        let active = store
            .run({
                let (name, email) = (name.clone(), email.clone());
                move |c| accounts::check_registration(c, by.as_ref(), &name, email.as_deref())
            })
            .await?;
        accounts::validate_new_user(&name, &password, email.as_deref(), rule)?;
        let hash = self.bcrypt_hash(password).await?;
        store
            .run(move |c| accounts::register(c, &name, &hash, email.as_deref(), active))
            .await
    }

    /// Change the password of the user `name` on behalf of `by`, whose credential proved
    /// `proof`.
    ///
    /// A key or token never changes a password (403 `PASSWORD_REQUIRED`), not even a site
    /// admin's. The user itself proves its current password: given, it is checked as a login
    /// (same throttle, so it cannot be guessed faster than a login); a site admin changing
    /// another account needs none. The change ends the user's web sessions and Index access
    /// tokens in the same transaction and forgets its remembered credentials. `with_email`
    /// (the Index profile update) is added to the account in that same transaction, so a
    /// taken email leaves the password as it was.
    #[allow(clippy::too_many_arguments)]
    pub async fn change_password(
        &self,
        store: &Store,
        by: Caller,
        proof: Proof,
        ip: Option<IpAddr>,
        name: String,
        old: OldPassword,
        new_password: String,
        rule: PasswordRule,
        with_email: Option<String>,
    ) -> Result<Account> {
        let (account, needs_old) = store
            .run(move |c| accounts::password_change_target(c, Some(&by), proof, &name))
            .await?;
        names::validate_password_by(&new_password, rule)?;
        match old {
            OldPassword::Given(old) => self.prove_password(store, &account, old, ip).await?,
            OldPassword::Missing if needs_old => return Err(accounts::old_password_missing()),
            // The credential was checked as a password (policy: no key or token gets here)
            // when this request authenticated, under the same throttle.
            OldPassword::FromCredential
                if needs_old && (proof != Proof::Password || by.user_id != account.id) =>
            {
                return Err(accounts::old_password_missing())
            }
            OldPassword::Missing | OldPassword::FromCredential => {}
        }
        let hash = self.bcrypt_hash(new_password).await?;
        let user_id = account.id;
        let result = store
            .run(move |c| accounts::set_password(c, user_id, &hash, with_email.as_deref()))
            .await;
        self.forget_user(user_id);
        result.map(|()| account)
    }

    /// Check `password` as the current password of `account`, as a login would (throttled).
    async fn prove_password(
        &self,
        store: &Store,
        account: &Account,
        password: String,
        ip: Option<IpAddr>,
    ) -> Result<()> {
        match self.login(store, account.name.clone(), password, ip).await {
            Ok(p) if p.user.id == account.id => Ok(()),
            Ok(_) => Err(accounts::old_password_wrong()),
            Err(e) if e.is(Code::NotAuthenticated) => Err(accounts::old_password_wrong()),
            Err(e) => Err(e),
        }
    }

    /// Activate or deactivate a user (site admins). A deactivation ends its sessions and
    /// access tokens; either way its remembered credentials go.
    pub async fn set_active(
        &self,
        store: &Store,
        by: Option<Caller>,
        name: String,
        active: bool,
    ) -> Result<Account> {
        let account = store
            .run(move |c| accounts::set_active(c, by.as_ref(), &name, active))
            .await?;
        self.forget_user(account.id);
        Ok(account)
    }

    /// Grant or take away the site admin flag (site admins); remembered credentials carry
    /// the flag, so they go.
    pub async fn set_admin(
        &self,
        store: &Store,
        by: Option<Caller>,
        name: String,
        admin: bool,
    ) -> Result<Account> {
        let account = store
            .run(move |c| accounts::set_admin(c, by.as_ref(), &name, admin))
            .await?;
        self.forget_user(account.id);
        Ok(account)
    }

    /// Revoke one of a user's API keys: `false` when it was not there.
    pub async fn revoke_api_key(&self, store: &Store, user_id: i64, key_id: i64) -> Result<bool> {
        let removed = store
            .run(move |c| store::keys::delete_api_key(c, user_id, key_id))
            .await;
        self.forget_user(user_id);
        removed
    }

    /// Delete an account and everything it owns (site admins); 404 when there is none.
    pub async fn delete_account(
        &self,
        store: &Store,
        by: Option<Caller>,
        name: String,
    ) -> Result<Account> {
        let deleted = store
            .run(move |c| accounts::delete(c, by.as_ref(), &name))
            .await?;
        self.forget_user(deleted.id);
        Ok(deleted)
    }
}
