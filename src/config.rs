//! Command line and environment configuration: a value passed around, never a global.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "berth",
    version,
    about = "A self-hosted container repository hub"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Settings used when no subcommand is given (`berth` alone serves).
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve(ServeArgs),
    /// Operator commands that act on the data folder directly.
    Admin(AdminArgs),
}

#[derive(Debug, Args, Clone)]
pub struct StoreArgs {
    /// Folder holding the SQLite store and key files (created owner-only).
    #[arg(long, env = "BERTH_DATA_DIR", default_value = "./berth-data")]
    pub data_dir: PathBuf,
    /// bcrypt cost for new password hashes (4..=31).
    #[arg(long, env = "BERTH_BCRYPT_COST", default_value_t = 12,
          value_parser = clap::value_parser!(u32).range(4..=31))]
    pub bcrypt_cost: u32,
}

#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "BERTH_LISTEN", default_value = "127.0.0.1:5000")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Address clients should use to reach this server (`host[:port]`, optionally with its
    /// scheme: `https://hub.example`), for pull commands, absolute links and the Index
    /// dialect's `X-Docker-Endpoints`; default: the Host the request arrived with.
    #[arg(long, env = "BERTH_PUBLIC_ADDRESS")]
    pub public_address: Option<String>,
    /// A proxy in front of Berth is trusted: believe its `X-Forwarded-Host` and
    /// `X-Forwarded-Proto` when no public address is set (never believed otherwise).
    #[arg(long, env = "BERTH_TRUST_PROXY")]
    pub trust_proxy: bool,
    /// Worker threads (default: number of cores).
    #[arg(long, env = "BERTH_WORKERS")]
    pub workers: Option<usize>,
    /// Berth is served over HTTPS (directly or behind a proxy): mark the web UI's session
    /// cookie `Secure`.
    #[arg(long, env = "BERTH_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// How long a web UI session lasts after sign-in (seconds).
    #[arg(long, env = "BERTH_SESSION_SECS", default_value_t = 7 * 24 * 3600)]
    pub session_secs: u64,
    /// Serve Prometheus metrics at http://ADDR/metrics, on this separate listener only
    /// (e.g. 127.0.0.1:9100). Off by default; never on the public listener.
    #[arg(long, env = "BERTH_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// Seconds a client has to send a whole request head: on a new connection, and after
    /// the previous answer on a kept-alive one. Slower clients are disconnected.
    #[arg(long, env = "BERTH_HEADER_TIMEOUT_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout_secs: u64,
    /// Seconds a request body may go without sending anything while the server waits for
    /// it (an idle limit, not a total: a long upload that keeps sending is never cut). The
    /// request fails with 408 and the connection is closed.
    #[arg(long, env = "BERTH_BODY_TIMEOUT_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub body_timeout_secs: u64,
    /// Most bytes the read cache of listings and searches holds (keys and values); 0 turns
    /// it off.
    #[arg(long, env = "BERTH_READ_CACHE_BYTES", default_value_t = crate::store::memo::DEFAULT_BYTES)]
    pub read_cache_bytes: u64,
    /// Milliseconds between writes of the pull counts gathered in memory (a crash loses at
    /// most the last interval's pulls); 0 writes each pull as it happens.
    #[arg(long, env = "BERTH_PULL_FLUSH_MS", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub pull_flush_ms: u64,
    #[command(flatten)]
    pub gc: GcArgs,
}

/// Registry garbage collection (`ops::gc`, README "Registry operations").
#[derive(Debug, Clone, Args)]
pub struct GcArgs {
    /// Seconds between the server's garbage-collection passes; 0 turns them off.
    #[arg(long, env = "BERTH_GC_INTERVAL_SECS", default_value_t = 86_400)]
    pub gc_interval_secs: u64,
    /// Blobs, links and orphan files younger than this many seconds are kept (a push in
    /// progress has uploaded them and not yet pushed its manifest).
    #[arg(long, env = "BERTH_GC_GRACE_SECS", default_value_t = 3600)]
    pub gc_grace_secs: u64,
    /// Remove untagged manifests older than this many days (by default they are kept).
    #[arg(long, env = "BERTH_GC_UNTAGGED_DAYS")]
    pub gc_untagged_days: Option<u64>,
}

impl GcArgs {
    pub fn options(&self) -> crate::ops::gc::Options {
        crate::ops::gc::Options {
            grace: std::time::Duration::from_secs(self.gc_grace_secs),
            untagged_after: self
                .gc_untagged_days
                .map(|d| std::time::Duration::from_secs(d.saturating_mul(86_400))),
            ..Default::default()
        }
    }
}

#[derive(Debug, Args)]
pub struct AdminArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Copy the store (while it serves) to FILE and its secrets key to FILE.key: one
    /// consistent snapshot, verified, written under a temporary name and renamed into place.
    Backup { file: PathBuf },
    /// Restore a backup made by `backup` (FILE and FILE.key) into the data folder, which must
    /// be empty or absent.
    Restore { file: PathBuf },
    /// Collect the registry's garbage now (while the server runs): unreferenced blobs and
    /// links, orphan referrers, idle uploads, and untagged manifests when asked; prints what
    /// went and how many bytes.
    Gc {
        /// Report what would go; remove nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        gc: GcArgs,
    },
    /// Verify every blob against its digest and every manifest's references; with
    /// `--repair`, quarantine damaged blobs so they are never served.
    Fsck {
        #[arg(long)]
        repair: bool,
    },
    /// Show, set (BYTES) or remove (`none`) the registry quota of namespace NS: the bytes of
    /// the distinct blobs its repositories link. A push past it is refused.
    Quota {
        namespace: String,
        /// A number of bytes, or `none`; absent: only show the quota and usage.
        bytes: Option<String>,
    },
    /// Give USER a new random password and print it.
    ResetPassword { user: String },
    /// Re-encrypt every stored registry credential under a new secrets key, in one
    /// transaction, then replace the key file (run it with the server stopped, or let the
    /// server pick the new key up on its next write).
    RotateKey,
    /// Change a site setting; it applies to the next request of a running server.
    Set {
        #[command(subcommand)]
        setting: SetCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum SetCommand {
    /// Serve anonymous callers of the RegistryUI API (/udr/v1api), public repositories only.
    PublicApi {
        #[arg(value_enum)]
        value: Switch,
    },
    /// Who may sign up: approval (accounts wait for a site admin), open, or closed.
    Registration {
        #[arg(value_enum)]
        value: RegistrationMode,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RegistrationMode {
    Approval,
    Open,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

impl Switch {
    pub fn is_on(self) -> bool {
        self == Switch::On
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Switch::On => "on",
            Switch::Off => "off",
        }
    }
}

/// What the running application needs to know; built from `ServeArgs` or by tests.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub bcrypt_cost: u32,
    /// `host[:port]` clients use (`--public-address` without its scheme).
    pub public_address: Option<String>,
    /// The scheme `--public-address` named, if it named one.
    pub public_scheme: Option<&'static str>,
    /// Believe a proxy's forwarded headers (`--trust-proxy`; see `origin`).
    pub trust_proxy: bool,
    /// Initial admin password (`BERTH_ADMIN_PASSWORD`); random when absent. `AppState::open`
    /// takes it out once the store is bootstrapped.
    pub admin_password: Option<String>,
    /// How many bcrypt computations may run at once.
    pub bcrypt_concurrency: usize,
    /// Failed logins per account and client address before throttling.
    pub login_max_failures: u32,
    /// Window (seconds) over which failures count, and the lock-out length.
    pub login_window_secs: u64,
    /// How long a verified Basic credential is remembered (seconds).
    pub credential_cache_secs: u64,
    /// Mark the session cookie `Secure` (Berth is served over HTTPS).
    pub secure_cookies: bool,
    /// Lifetime of a web UI session (seconds).
    pub session_secs: u64,
    /// Time allowed for a request head (seconds); see `ServeArgs::header_timeout_secs`.
    pub header_timeout_secs: u64,
    /// Longest wait for the next piece of a request body (seconds).
    pub body_timeout_secs: u64,
    /// Bound of the read cache in bytes (`store::memo`).
    pub read_cache_bytes: u64,
    /// How often pull counts gathered in memory are written (`store::pulls`); zero writes
    /// each pull as it happens.
    pub pull_flush: std::time::Duration,
    /// Registry garbage collection: what a pass removes, and how often the server runs one
    /// (zero: never).
    pub gc: crate::ops::gc::Options,
    pub gc_interval: std::time::Duration,
}

impl Config {
    pub fn new(data_dir: PathBuf) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Config {
            data_dir,
            bcrypt_cost: 12,
            public_address: None,
            public_scheme: None,
            trust_proxy: false,
            admin_password: None,
            bcrypt_concurrency: cores,
            login_max_failures: 5,
            login_window_secs: 300,
            credential_cache_secs: 300,
            secure_cookies: false,
            session_secs: 7 * 24 * 3600,
            header_timeout_secs: 10,
            body_timeout_secs: 30,
            read_cache_bytes: crate::store::memo::DEFAULT_BYTES,
            pull_flush: std::time::Duration::from_secs(1),
            gc: crate::ops::gc::Options::default(),
            gc_interval: std::time::Duration::ZERO,
        }
    }

    pub fn from_store_args(args: &StoreArgs) -> Self {
        let mut cfg = Config::new(args.data_dir.clone());
        cfg.bcrypt_cost = args.bcrypt_cost;
        cfg.admin_password = std::env::var("BERTH_ADMIN_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty());
        cfg
    }

    pub fn from_serve_args(args: &ServeArgs) -> Self {
        let mut cfg = Config::from_store_args(&args.store);
        if let Some(address) = &args.public_address {
            let (scheme, host) = crate::origin::split_scheme(address);
            cfg.public_address = Some(host.to_owned());
            cfg.public_scheme = scheme;
        }
        cfg.trust_proxy = args.trust_proxy;
        cfg.secure_cookies = args.secure_cookies;
        cfg.session_secs = args.session_secs;
        cfg.header_timeout_secs = args.header_timeout_secs;
        cfg.body_timeout_secs = args.body_timeout_secs;
        cfg.read_cache_bytes = args.read_cache_bytes;
        cfg.pull_flush = std::time::Duration::from_millis(args.pull_flush_ms);
        cfg.gc = args.gc.options();
        cfg.gc_interval = std::time::Duration::from_secs(args.gc.gc_interval_secs);
        cfg
    }
}
