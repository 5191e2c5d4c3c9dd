//! Test support: start the real application (the same `berth::app()` production runs) on
//! 127.0.0.1 with a fresh store, talk to it over HTTP, and seed it.
#![allow(dead_code)]

pub mod images;
pub mod process;
pub mod routes;

use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{web, HttpServer};
use base64::Engine;
use serde_json::Value;

use berth::config::Config;
use berth::core::model::Account;
use berth::store::{self, Conn};
use berth::AppState;

pub const ADMIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "admin-password-1";
pub const PASSWORD: &str = "password-123";

pub struct TestApp {
    pub base: String,
    /// The metrics listener (`--metrics-listen`): `{metrics_base}/metrics`.
    pub metrics_base: String,
    pub addr: SocketAddr,
    pub state: web::Data<AppState>,
    handle: ServerHandle,
    thread: Option<JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub fn start() -> TestApp {
        Self::start_with(|_| {})
    }

    /// Start with a test configuration (bcrypt cost 4, known admin password), adjusted by `tweak`.
    pub fn start_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut cfg = Config::new(dir.path().join("data"));
        cfg.bcrypt_cost = 4;
        cfg.admin_password = Some(ADMIN_PASSWORD.to_owned());
        // Each pull is written in its request, so a test reads the count at once (the
        // gathered writes have tests of their own).
        cfg.pull_flush = Duration::ZERO;
        tweak(&mut cfg);
        let state = web::Data::new(AppState::open(cfg).expect("open app state"));
        let (tx, rx) = mpsc::channel();
        let st = state.clone();
        let st_metrics = state.clone();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let config = st.config.clone();
                let server = HttpServer::new(move || berth::app(st.clone()));
                let server = berth::ops::conn::limit(server, &config)
                    .workers(2)
                    .disable_signals()
                    .shutdown_timeout(1)
                    .bind("127.0.0.1:0")
                    .expect("bind");
                let addr = server.addrs()[0];
                let server = server.run();
                let st = st_metrics;
                let metrics = HttpServer::new(move || berth::metrics_app(st.clone()));
                let metrics = berth::ops::conn::limit(metrics, &config)
                    .workers(1)
                    .disable_signals()
                    .shutdown_timeout(1)
                    .bind("127.0.0.1:0")
                    .expect("bind metrics");
                let metrics_addr = metrics.addrs()[0];
                let metrics = metrics.run();
                let metrics_handle = metrics.handle();
                actix_web::rt::spawn(metrics);
                tx.send((addr, metrics_addr, server.handle()))
                    .expect("send addr");
                let _ = server.await;
                metrics_handle.stop(false).await;
            })
        });
        let (addr, metrics_addr, handle) = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("server start");
        TestApp {
            base: format!("http://{addr}"),
            metrics_base: format!("http://{metrics_addr}"),
            addr,
            state,
            handle,
            thread: Some(thread),
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn conn(&self) -> Conn {
        self.state.store.conn().expect("store connection")
    }

    pub fn req(&self, method: &str, path: &str) -> Req {
        Req {
            method: method.to_owned(),
            url: self.url(path),
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn get(&self, path: &str) -> Req {
        self.req("GET", path)
    }

    pub fn post(&self, path: &str) -> Req {
        self.req("POST", path)
    }

    pub fn put(&self, path: &str) -> Req {
        self.req("PUT", path)
    }

    pub fn patch(&self, path: &str) -> Req {
        self.req("PATCH", path)
    }

    pub fn delete(&self, path: &str) -> Req {
        self.req("DELETE", path)
    }

    /// Create an active user with password [`PASSWORD`] directly in the store.
    pub fn user(&self, name: &str) -> Account {
        let hash = bcrypt::hash(PASSWORD, 4).expect("bcrypt");
        let email = format!("{name}@example.com");
        store::accounts::insert_user(
            &self.conn(),
            &store::accounts::NewUser {
                name,
                password_hash: &hash,
                email: Some(&email),
                is_active: true,
                is_admin: false,
            },
        )
        .expect("insert user")
    }

    /// Create an organization whose `owners` team holds `owner`.
    pub fn org(&self, name: &str, owner: &Account) -> Account {
        store::write(&mut self.conn(), |tx| {
            store::accounts::insert_organization(tx, name, Some(owner.id))
        })
        .expect("insert org")
    }

    /// Create a repository directly in the store.
    pub fn repo(&self, ns: &str, name: &str, public: bool) -> berth::core::model::Repository {
        let conn = self.conn();
        let account = store::accounts::by_name(&conn, ns)
            .expect("lookup")
            .expect("namespace exists");
        let long = format!("# {name}\n\nThe **{name}** repository.");
        let html = berth::markdown::render(&long);
        store::repos::insert(
            &conn,
            &account,
            &store::repos::NewRepository {
                name,
                short_description: &format!("{name} short"),
                long_description: &long,
                long_description_html: html.as_str(),
                is_public: public,
            },
        )
        .expect("insert repo")
    }

    /// Run SQL against the store (to set up grants and teams a test needs).
    pub fn exec(&self, sql: &str) {
        self.conn().execute_batch(sql).expect("exec");
    }

    pub fn bcrypt_runs(&self) -> u64 {
        self.state
            .auth
            .bcrypt_runs
            .load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        std::thread::spawn(move || actix_web::rt::System::new().block_on(handle.stop(false)));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub fn basic(user: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"))
    )
}

/// A request under construction.
pub struct Req {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<String>,
}

impl Req {
    pub fn header(mut self, name: &str, value: &str) -> Req {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn basic(self, user: &str, secret: &str) -> Req {
        self.header("Authorization", &basic(user, secret))
    }

    pub fn admin(self) -> Req {
        self.basic(ADMIN, ADMIN_PASSWORD)
    }

    /// As `user` with the common test [`PASSWORD`].
    #[allow(clippy::wrong_self_convention)] // reads as "send as user"
    pub fn as_user(self, user: &str) -> Req {
        self.basic(user, PASSWORD)
    }

    pub fn json(mut self, body: &Value) -> Req {
        self.body = Some(body.to_string());
        self.header("Content-Type", "application/json")
    }

    pub fn body(mut self, body: &str) -> Req {
        self.body = Some(body.to_owned());
        self
    }

    pub fn send(self) -> Resp {
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(60))
            .redirects(0)
            .build();
        let mut req = agent.request(&self.method, &self.url);
        for (k, v) in &self.headers {
            req = req.set(k, v);
        }
        let result = match &self.body {
            Some(b) => req.send_string(b),
            None => req.call(),
        };
        read(result, &format!("{} {}", self.method, self.url))
    }
}

/// A ureq result as a [`Resp`], whatever its status; `what` names the request if it failed.
pub fn read(result: Result<ureq::Response, ureq::Error>, what: &str) -> Resp {
    let resp = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{what}: {e}"),
    };
    let status = resp.status();
    let headers = resp
        .headers_names()
        .into_iter()
        .flat_map(|n| {
            resp.all(&n)
                .into_iter()
                .map(|v| (n.clone(), v.to_owned()))
                .collect::<Vec<_>>()
        })
        .collect();
    let body = resp.into_string().expect("read body");
    Resp {
        status,
        headers,
        body,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Status and JSON body, for one-line exact assertions.
    pub fn sj(&self) -> (u16, Value) {
        (self.status, self.json())
    }

    /// Headers that must match between two answers (everything but the date).
    pub fn stable_headers(&self) -> Vec<(String, String)> {
        let mut h: Vec<_> = self
            .headers
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("date"))
            .map(|(k, v)| (k.to_lowercase(), v.clone()))
            .collect();
        h.sort();
        h
    }
}
