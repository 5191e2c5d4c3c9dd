//! The namespace quota's hooks on `/v2` uploads (`core::quota`): how much of a request body
//! may come in, and the refusal when it was cut at the quota.

use actix_web::web::{self, Payload};

use crate::blobs::Digest;
use crate::core::model::Repository;
use crate::core::quota;
use crate::error::Result;
use crate::AppState;

/// The namespace quota's hold on one request body (`core::quota`).
pub struct QuotaLimit {
    allowance: Option<u64>,
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl QuotaLimit {
    pub fn wrap(&self, body: Payload) -> impl futures_util::Stream<Item = PayloadItem> {
        quota::limit(body, self.allowance, self.cut.clone())
    }

    /// The refusal when the body was cut at the quota.
    pub async fn check(&self, state: &AppState, repo: &Repository, held: u64) -> Result<()> {
        if !self.cut.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(());
        }
        let repo = repo.clone();
        let refusal = state
            .store
            .run(move |c| Ok(quota::over_quota(c, &repo, held)))
            .await?;
        Err(refusal)
    }
}

type PayloadItem = std::result::Result<web::Bytes, actix_web::error::PayloadError>;

/// How much of a body the namespace's quota lets in (a refusal now when `declared` does not
/// fit).
pub async fn quota_limit(
    state: &AppState,
    repo: &Repository,
    digest: Option<&Digest>,
    held: u64,
    declared: Option<u64>,
) -> Result<QuotaLimit> {
    let (repo, digest) = (repo.clone(), digest.map(Digest::to_string));
    let allowance = state
        .store
        .run(move |c| quota::allowance(c, &repo, digest.as_deref(), held, declared))
        .await?;
    Ok(QuotaLimit {
        allowance,
        cut: Default::default(),
    })
}

/// The quota's check before a finished upload is moved into place (checked again in the
/// transaction that links it).
pub async fn before_commit(
    state: &AppState,
    repo: &Repository,
    digest: &Digest,
    len: u64,
) -> Result<()> {
    let (repo, digest) = (repo.clone(), digest.to_string());
    state
        .store
        .run(move |c| quota::check(c, &repo, &digest, len))
        .await
}
