//! Per-repository retention (issue 15, off by default): keep the newest N pushed tags and/or
//! the tags pushed in the last D days; garbage collection untags the rest and collects what
//! they leave untagged (`ops::gc`). Set by the repository's admins (DTR `PATCH`, the web UI).

use rusqlite::Connection;

use crate::core::model::Repository;
use crate::core::policy::{Caller, Level};
use crate::core::repos;
use crate::error::{Code, Error, Result};
use crate::store;
pub use crate::store::retention::Retention;

/// Most tags a retention may keep, and most days.
pub const MAX_TAGS: u32 = 1_000_000;
pub const MAX_DAYS: u32 = 36_500;

/// A change: each field absent (`None`: unchanged), `Some(None)` (off) or a value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Change {
    pub tags: Option<Option<u32>>,
    pub days: Option<Option<u32>>,
}

impl Change {
    pub fn is_empty(&self) -> bool {
        self.tags.is_none() && self.days.is_none()
    }

    /// 400 `INVALID_SETTING` for a count or a number of days out of range.
    pub fn validate(&self) -> Result<()> {
        if let Some(Some(n)) = self.tags {
            if n == 0 || n > MAX_TAGS {
                return Err(Error::new(
                    Code::InvalidSetting,
                    "retention keeps from 1 to 1000000 tags (or none: off)",
                ));
            }
        }
        if let Some(Some(n)) = self.days {
            if n == 0 || n > MAX_DAYS {
                return Err(Error::new(
                    Code::InvalidSetting,
                    "retention keeps from 1 to 36500 days of tags (or none: off)",
                ));
            }
        }
        Ok(())
    }

    fn apply(&self, to: Retention) -> Retention {
        Retention {
            tags: self.tags.unwrap_or(to.tags),
            days: self.days.unwrap_or(to.days),
        }
    }
}

/// The retention of a repository, for its admins (the same 404 as a missing repository for
/// those who may not read it, 403 for readers).
pub fn get(
    conn: &Connection,
    caller: Option<&Caller>,
    ns: &str,
    name: &str,
) -> Result<(Repository, Retention)> {
    let (repo, _) = repos::with_level(conn, caller, ns, name, Level::Admin)?;
    let retention = store::retention::get(conn, repo.id)?;
    Ok((repo, retention))
}

/// The retention of a repository whatever the caller (for answers the caller already had
/// access checked for).
pub fn of(conn: &Connection, repo: &Repository) -> Result<Retention> {
    store::retention::get(conn, repo.id)
}

/// Change a repository's retention: its admins only.
pub fn set(
    conn: &mut Connection,
    caller: Option<&Caller>,
    ns: &str,
    name: &str,
    change: &Change,
) -> Result<Retention> {
    change.validate()?;
    let (repo, _) = repos::with_level(conn, caller, ns, name, Level::Admin)?;
    store::write(conn, |tx| {
        let now = change.apply(store::retention::get(tx, repo.id)?);
        if !store::retention::set(tx, repo.id, &now)? {
            return Err(Error::no_such_repository());
        }
        Ok(now)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_validated_and_applied_field_by_field() {
        let on = Retention {
            tags: Some(5),
            days: None,
        };
        let change = Change {
            tags: None,
            days: Some(Some(30)),
        };
        assert_eq!(
            change.apply(on),
            Retention {
                tags: Some(5),
                days: Some(30)
            }
        );
        let off = Change {
            tags: Some(None),
            days: Some(None),
        };
        assert!(!off.apply(on).is_on());
        assert!(off.validate().is_ok());
        for bad in [
            Change {
                tags: Some(Some(0)),
                days: None,
            },
            Change {
                tags: None,
                days: Some(Some(MAX_DAYS + 1)),
            },
        ] {
            assert!(bad.validate().unwrap_err().is(Code::InvalidSetting));
        }
    }
}
