//! Berth: a self-hosted container repository hub speaking five vendors' repository APIs over
//! one data model. `app()` builds the whole application; `main` and the tests both use it.

pub mod api;
pub mod assets;
pub mod auth;
pub mod blobs;
pub mod browser;
pub mod config;
pub mod core;
pub mod error;
pub mod markdown;
pub mod ops;
pub mod origin;
pub mod route_table;
pub mod secrets;
pub mod store;
pub mod ui;

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, NormalizePath};
use actix_web::{web, App, HttpResponse};

use crate::api::dialect::Dialect;
use crate::config::Config;
use crate::core::accounts::{self, Bootstrap};
use crate::error::{Code, Error, Result};
use crate::route_table::{Route, Routes};
use crate::secrets::Keyring;
use crate::store::Store;

/// Largest request body accepted (`docs/contract.md`).
pub const BODY_LIMIT: usize = 1 << 20;

/// Everything a request handler can reach.
pub struct AppState {
    pub config: Config,
    pub store: Store,
    pub auth: auth::Authenticator,
    /// The key that seals stored registry credentials (Cloud external repositories).
    pub secrets: Arc<Keyring>,
    /// The key registry bearer tokens are signed with (`/v2/token`).
    pub registry_tokens: auth::bearer::TokenKey,
    /// The registry's blob bytes (`/v2`), files in the data folder.
    pub blobs: Arc<dyn blobs::BlobStore>,
    /// Upload sessions in progress: one request at a time each, and their running digests.
    pub uploads: blobs::uploads::Sessions,
    /// What `/metrics` reports (on the metrics listener only).
    pub metrics: ops::metrics::Metrics,
    /// Writes the pull counts gathered in memory (`store::pulls`) while the state lives.
    _pulls: Option<store::pulls::Writer>,
}

impl AppState {
    /// Open (creating and migrating) the store in the data folder, create the first admin on
    /// an empty store, and get ready to serve.
    pub fn open(mut config: Config) -> Result<AppState> {
        let store = Store::open(&config.data_dir)?
            .with_read_cache_bytes(config.read_cache_bytes)
            .with_pull_flush(config.pull_flush);
        // Used once, then dropped: it must not live on in the state (or its Debug output).
        let admin_password = config.admin_password.take();
        {
            let mut conn = store.conn()?;
            match accounts::bootstrap(&mut conn, admin_password.as_deref(), config.bcrypt_cost)? {
                Bootstrap::AlreadyDone => {}
                Bootstrap::Created { generated_password: Some(password) } => log::warn!(
                    "created the site admin `{}` with the random password {password} (shown once; change it)",
                    accounts::BOOTSTRAP_ADMIN
                ),
                Bootstrap::Created { generated_password: None } => log::info!(
                    "created the site admin `{}` with the password from BERTH_ADMIN_PASSWORD",
                    accounts::BOOTSTRAP_ADMIN
                ),
            }
            store::keys::purge_expired_access_tokens(&conn)?;
            let rendered = core::repos::render_stored_descriptions(&mut conn)?;
            if rendered > 0 {
                log::info!(
                    "rendered {rendered} stored descriptions with the current markdown rules"
                );
            }
        }
        // Never fails on a missing or wrong key file: that is reported when a secret is used.
        let secrets = Arc::new(Keyring::open(&config.data_dir, &*store.conn()?));
        let auth = auth::Authenticator::new(&config)?;
        let registry_tokens = auth::bearer::TokenKey::open(&config.data_dir)?;
        let blobs: Arc<dyn blobs::BlobStore> = Arc::new(
            blobs::files::FileStore::open(&config.data_dir)
                .map_err(|e| Error::internal(format_args!("opening the blob store: {e}")))?,
        );
        let recovered = core::registry::recover_uploads(&*store.conn()?, &*blobs)?;
        if recovered > 0 {
            log::info!("put right {recovered} upload(s) a stop interrupted");
        }
        let pulls = store::pulls::Writer::start(store.clone())?;
        Ok(AppState {
            config,
            store,
            auth,
            secrets,
            registry_tokens,
            blobs,
            uploads: Default::default(),
            metrics: ops::metrics::Metrics::new()?,
            _pulls: pulls,
        })
    }

    /// This server's `host[:port]` as clients should reach it (Index `X-Docker-Endpoints`,
    /// RegistryUI and web UI pull commands; the rule is [`origin`]).
    pub fn public_host(&self, req: &actix_web::HttpRequest) -> String {
        self.public_origin(req).host
    }

    /// Scheme and host clients should use (the one rule: [`origin`]).
    pub fn public_origin(&self, req: &actix_web::HttpRequest) -> origin::Origin {
        origin::of(&self.config, req.headers(), req.app_config().host())
    }
}

/// The whole application: middleware, extractor limits and every route.
pub fn app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(state)
        // Every JSON body is read through this limit (`api::body::JsonBody`).
        .app_data(web::PayloadConfig::new(BODY_LIMIT))
        .app_data(web::FormConfig::default().limit(BODY_LIMIT))
        .app_data(
            web::QueryConfig::default().error_handler(|err, _| Error::invalid_query(err).into()),
        )
        .app_data(
            web::PathConfig::default()
                .error_handler(|_, _| Error::new(Code::NotFound, "not found").into()),
        )
        .wrap(from_fn(api::guard::browser_writes))
        .wrap(from_fn(api::envelope::envelope))
        .wrap(from_fn(browser::security_headers))
        .wrap(from_fn(ops::conn::watch))
        .wrap(NormalizePath::trim())
        .wrap(from_fn(ops::access::observe))
        // Serving needs no list of the routes: [`routes`] is where it is kept.
        .configure(|cfg| configure(&mut Routes::new(cfg, &mut Vec::new())))
        .default_service(web::to(not_found))
}

/// The metrics listener's application: `GET /metrics` and nothing else. It shares the
/// state (and so the counters) of the application [`app`] serves.
pub fn metrics_app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(state)
        .wrap(from_fn(ops::conn::watch))
        .configure(|cfg| configure_metrics(&mut Routes::new(cfg, &mut Vec::new())))
        .default_service(web::to(|| async {
            HttpResponse::NotFound()
                .content_type("text/plain; charset=utf-8")
                .body("only /metrics is served here\n")
        }))
}

/// The metrics listener's one route.
fn configure_metrics(routes: &mut Routes) {
    routes.resource("/metrics", |r| r.get(metrics));
}

async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    match state.metrics.render(&state) {
        Ok(text) => HttpResponse::Ok()
            .content_type(ops::metrics::CONTENT_TYPE)
            .body(text),
        Err(_) => HttpResponse::InternalServerError()
            .content_type("text/plain; charset=utf-8")
            .body("metrics unavailable\n"),
    }
}

/// Every route of the public listener, dialect by dialect, in the order the router tries
/// them.
pub fn configure(routes: &mut Routes) {
    routes.resource("/healthz", |r| r.get(healthz));
    api::configure(routes);
    // Last: the web UI's `/{ns}` and `/{ns}/{repo}` must not shadow any API route.
    ui::configure(&mut routes.dialect(Dialect::Web), api::dialect::is_api_word);
}

/// Every route [`app`] serves, in the order its router tries them, written down by the same
/// [`configure`] that builds it (`App::configure` runs it at once; nothing is served).
pub fn routes() -> Vec<Route> {
    table_of(configure)
}

/// The routes [`metrics_app`] serves (`GET /metrics`).
pub fn metrics_routes() -> Vec<Route> {
    table_of(configure_metrics)
}

fn table_of(configure: fn(&mut Routes)) -> Vec<Route> {
    let mut table = Vec::new();
    App::new().configure(|cfg| configure(&mut Routes::new(cfg, &mut table)));
    table
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

async fn not_found() -> Result<HttpResponse> {
    Err(Error::new(Code::NotFound, "not found"))
}
