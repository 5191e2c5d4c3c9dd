//! Site settings that change behaviour at run time. They are read from the store on each
//! request that needs them (one primary-key lookup), so a change made by the CLI, the web UI
//! or another process applies to the next request without a restart.

use rusqlite::Connection;

use crate::core::policy::{self, Caller};
use crate::error::{Error, Result};
use crate::store;

/// Settings key of the "Public API" switch (RegistryUI): `on` or `off`.
pub const PUBLIC_API: &str = "public_api";

/// Whether anonymous callers may use the RegistryUI API (public repositories only).
pub fn public_api(conn: &Connection) -> Result<bool> {
    Ok(store::settings::get(conn, PUBLIC_API)?.as_deref() == Some("on"))
}

/// Switch the Public API on or off, as the operator (the `berth admin` CLI, which acts on
/// the data folder and needs no caller).
pub fn set_public_api(conn: &Connection, on: bool) -> Result<()> {
    store::settings::set(conn, PUBLIC_API, if on { "on" } else { "off" })
}

/// Switch the Public API on or off on behalf of a caller: site admins only (the web UI).
pub fn change_public_api(conn: &Connection, caller: Option<&Caller>, on: bool) -> Result<()> {
    if !policy::is_site_admin(caller) {
        return Err(Error::not_authorized());
    }
    set_public_api(conn, on)
}

/// Set who may sign up, as the operator (the `berth admin` CLI).
pub fn set_registration(
    conn: &Connection,
    mode: crate::core::accounts::Registration,
) -> Result<()> {
    store::settings::set(conn, "registration", mode.as_str())
}

/// Set who may sign up on behalf of a caller: site admins only (the web UI).
pub fn change_registration(
    conn: &Connection,
    caller: Option<&Caller>,
    mode: crate::core::accounts::Registration,
) -> Result<()> {
    if !policy::is_site_admin(caller) {
        return Err(Error::not_authorized());
    }
    set_registration(conn, mode)
}

/// Admit a caller to the RegistryUI API: anyone authenticated; anonymous callers only while
/// the Public API is on (a 401 with a Basic challenge otherwise).
pub fn admit_api_caller(conn: &Connection, caller: Option<&Caller>) -> Result<()> {
    if caller.is_some() || public_api(conn)? {
        Ok(())
    } else {
        Err(Error::unauthorized(
            "authentication required: the Public API is off",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_api_is_off_by_default_and_switches() {
        let conn = store::memory();
        assert!(!public_api(&conn).unwrap());
        assert_eq!(
            admit_api_caller(&conn, None).unwrap_err().status.as_u16(),
            401
        );
        set_public_api(&conn, true).unwrap();
        assert!(public_api(&conn).unwrap());
        assert!(admit_api_caller(&conn, None).is_ok());
        set_public_api(&conn, false).unwrap();
        assert!(!public_api(&conn).unwrap());
    }

    #[test]
    fn only_site_admins_change_it_on_behalf_of_a_caller() {
        let conn = store::memory();
        let user = Caller {
            user_id: 5,
            is_admin: false,
            is_active: true,
        };
        let admin = Caller {
            user_id: 1,
            is_admin: true,
            is_active: true,
        };
        assert_eq!(
            change_public_api(&conn, Some(&user), true)
                .unwrap_err()
                .status
                .as_u16(),
            403
        );
        assert_eq!(
            change_public_api(&conn, None, true)
                .unwrap_err()
                .status
                .as_u16(),
            403
        );
        change_public_api(&conn, Some(&admin), true).unwrap();
        assert!(public_api(&conn).unwrap());
        // Authenticated callers are admitted whatever the switch says.
        set_public_api(&conn, false).unwrap();
        assert!(admit_api_caller(&conn, Some(&user)).is_ok());
    }
}
