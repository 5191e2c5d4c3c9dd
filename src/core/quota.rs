//! Registry quotas (issue 15): an optional cap, per namespace, on the bytes of the distinct
//! blobs its repositories link (`store::usage`). A push that would take a namespace past its
//! quota is refused with 403 (`DENIED` on `/v2`) and a message naming the quota, before the
//! blob is stored: when an upload starts with a declared size, while its bytes stream in, and
//! in the transaction that links a finished blob (the authoritative check, serialized with
//! every other write, so concurrent uploads cannot together overshoot). A blob the namespace
//! already links (a re-push, a mount within the namespace) costs nothing.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures_util::{future, Stream, StreamExt};
use rusqlite::Connection;

use crate::core::model::{Account, Repository};
use crate::core::policy::{self, Caller};
use crate::error::{Code, Error, Result};
use crate::store::{self, usage};

/// A namespace's quota and what it uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub quota: Option<u64>,
    pub used: u64,
}

/// The usage of namespace `account`.
pub fn usage_of(conn: &Connection, account: &Account) -> Result<Usage> {
    Ok(Usage {
        quota: usage::quota(conn, account.id)?,
        used: usage::namespace_bytes(conn, account.id)?,
    })
}

/// The usage and quota of namespace `account` for a caller who may push new repositories
/// there (its owner, an organization's admins, site admins): what the namespace page shows
/// them. Others (`None`) see no quota: the usage counts repositories they may not read.
pub fn usage_for(
    conn: &Connection,
    caller: Option<&Caller>,
    account: &Account,
) -> Result<Option<Usage>> {
    let facts = store::repos::namespace_facts(conn, caller, account)?;
    if policy::may_create_repository(caller, &facts) || policy::is_site_admin(caller) {
        usage_of(conn, account).map(Some)
    } else {
        Ok(None)
    }
}

/// Set (or with `None` remove) the quota of namespace `name`: site admins only (403
/// `NOT_AUTHORIZED` for anyone else, 404 `NO_SUCH_ACCOUNT` for a missing account).
pub fn set_quota(
    conn: &mut Connection,
    caller: Option<&Caller>,
    name: &str,
    bytes: Option<u64>,
) -> Result<(Account, Usage)> {
    if !policy::is_site_admin(caller) {
        return Err(Error::not_authorized());
    }
    set_quota_unchecked(conn, name, bytes)
}

/// [`set_quota`] for the operator (`berth admin quota`), who is not a caller.
pub fn set_quota_unchecked(
    conn: &mut Connection,
    name: &str,
    bytes: Option<u64>,
) -> Result<(Account, Usage)> {
    if bytes.is_some_and(|b| b > i64::MAX as u64) {
        return Err(Error::new(
            Code::InvalidSetting,
            "a quota is at most 9223372036854775807 bytes",
        ));
    }
    store::write(conn, |tx| {
        let account = store::accounts::by_name(tx, name)?.ok_or_else(Error::no_such_account)?;
        usage::set_quota(tx, account.id, bytes)?;
        let usage = usage_of(tx, &account)?;
        Ok((account, usage))
    })
}

/// The refusal of a push of `adding` bytes into `namespace`.
fn exceeded(namespace: &str, quota: u64, used: u64, adding: u64) -> Error {
    Error::new(
        Code::NotAuthorized,
        format!(
            "namespace {namespace} is over its quota: its quota is {quota} bytes, it uses {used}, \
             and this push would add {adding}"
        ),
    )
}

/// Whether `size` more bytes fit: `Ok` when the namespace of `repo` has no quota, already
/// links `digest`, or has room; else the refusal naming the quota. Called inside the write
/// transaction that links a blob, and before an upload is stored.
pub fn check(conn: &Connection, repo: &Repository, digest: &str, size: u64) -> Result<()> {
    let Some(quota) = usage::quota(conn, repo.namespace_id)? else {
        return Ok(());
    };
    if usage::namespace_links(conn, repo.namespace_id, digest)? {
        return Ok(());
    }
    let used = usage::namespace_bytes(conn, repo.namespace_id)?;
    if used.saturating_add(size) > quota {
        return Err(exceeded(&repo.namespace, quota, used, size));
    }
    Ok(())
}

/// How many more bytes an upload into `repo` may receive, which holds `held` bytes already:
/// `None` when there is no limit (no quota, or `digest` is already in the namespace). When
/// the upload declares its length (`declared`, e.g. a monolithic push's `Content-Length`) and
/// it does not fit, the refusal comes now, before anything is written.
pub fn allowance(
    conn: &Connection,
    repo: &Repository,
    digest: Option<&str>,
    held: u64,
    declared: Option<u64>,
) -> Result<Option<u64>> {
    let Some(quota) = usage::quota(conn, repo.namespace_id)? else {
        return Ok(None);
    };
    if let Some(d) = digest {
        if usage::namespace_links(conn, repo.namespace_id, d)? {
            return Ok(None);
        }
    }
    let used = usage::namespace_bytes(conn, repo.namespace_id)?;
    let room = quota.saturating_sub(used).saturating_sub(held);
    if let Some(len) = declared {
        if len > room {
            return Err(exceeded(
                &repo.namespace,
                quota,
                used,
                held.saturating_add(len),
            ));
        }
    }
    Ok(Some(room))
}

/// A request body cut off where it would pass `allowance` bytes (`None`: never). The flag is
/// set when it was cut: the upload must then be refused with [`over_quota`], not stored.
pub fn limit<S, E>(
    body: S,
    allowance: Option<u64>,
    cut: Arc<AtomicBool>,
) -> impl Stream<Item = std::result::Result<actix_web::web::Bytes, E>>
where
    S: Stream<Item = std::result::Result<actix_web::web::Bytes, E>>,
{
    let mut seen = 0u64;
    body.take_while(move |chunk| {
        let fits = match (allowance, chunk) {
            (Some(max), Ok(bytes)) => {
                seen = seen.saturating_add(bytes.len() as u64);
                seen <= max
            }
            _ => true,
        };
        if !fits {
            cut.store(true, Ordering::SeqCst);
        }
        future::ready(fits)
    })
}

/// The refusal of a streamed upload whose bytes passed the namespace's quota.
pub fn over_quota(conn: &Connection, repo: &Repository, held: u64) -> Error {
    match (
        usage::quota(conn, repo.namespace_id),
        usage::namespace_bytes(conn, repo.namespace_id),
    ) {
        (Ok(Some(quota)), Ok(used)) => Error::new(
            Code::NotAuthorized,
            format!(
                "namespace {} is over its quota: its quota is {quota} bytes, it uses {used}, \
                 and this upload passed the {} bytes left",
                repo.namespace,
                quota.saturating_sub(used).saturating_sub(held)
            ),
        ),
        _ => Error::new(
            Code::NotAuthorized,
            format!("namespace {} is over its quota", repo.namespace),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::web::Bytes;
    use futures_util::stream;

    fn chunks(sizes: &[usize]) -> Vec<std::result::Result<Bytes, ()>> {
        sizes
            .iter()
            .map(|n| Ok(Bytes::from(vec![0u8; *n])))
            .collect()
    }

    async fn total(allowance: Option<u64>, sizes: &[usize]) -> (usize, bool) {
        let cut = Arc::new(AtomicBool::new(false));
        let got: Vec<_> = limit(stream::iter(chunks(sizes)), allowance, cut.clone())
            .collect()
            .await;
        let n = got.iter().map(|c| c.as_ref().map_or(0, |b| b.len())).sum();
        (n, cut.load(Ordering::SeqCst))
    }

    #[actix_web::test]
    async fn a_body_is_cut_where_it_would_pass_the_allowance() {
        assert_eq!(total(None, &[10, 10]).await, (20, false));
        assert_eq!(total(Some(20), &[10, 10]).await, (20, false));
        assert_eq!(total(Some(19), &[10, 10]).await, (10, true));
        assert_eq!(total(Some(0), &[1]).await, (0, true));
        assert_eq!(total(Some(0), &[]).await, (0, false));
    }

    #[test]
    fn the_refusal_names_the_quota() {
        let e = exceeded("acme", 100, 90, 20);
        assert!(e.is(Code::NotAuthorized));
        assert!(e.message.contains("quota is 100 bytes"), "{}", e.message);
        assert!(e.message.contains("acme"));
    }
}
