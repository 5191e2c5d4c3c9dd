//! Support for `tests/hostile.rs`: the real `berth` binary as a child process (so that its
//! resident memory can be read from /proc), a raw HTTP client, and the envelope rules.

pub mod corpus;
pub mod envelope;
pub mod http;

use std::fs;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use http::{Client, Request};

pub const ADMIN_PASSWORD: &str = "hostile-admin-password";

/// `berth` serving a fresh data folder on a free 127.0.0.1 port. Killed when dropped.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    pub log: PathBuf,
    _dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind a free port")
        .local_addr()
        .expect("local address")
        .port()
}

impl Server {
    /// Start the binary (bcrypt cost 4, a known admin password, two workers as on the CI
    /// machine) and wait for `/healthz`.
    pub fn start() -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let log = dir.path().join("berth.log");
        let child = Command::new(env!("CARGO_BIN_EXE_berth"))
            .env("BERTH_DATA_DIR", dir.path().join("data"))
            .env("BERTH_LISTEN", format!("127.0.0.1:{port}"))
            .env("BERTH_BCRYPT_COST", "4")
            .env("BERTH_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("BERTH_WORKERS", "2")
            .env_remove("BERTH_PUBLIC_ADDRESS")
            // Errors only: the sweep makes tens of thousands of access-log lines otherwise.
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("spawn berth");
        let mut server = Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            log,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if server.healthy() {
                return server;
            }
            assert!(server.running(), "berth exited: {}", server.log_text());
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("berth did not come up: {}", server.log_text());
    }

    /// The server's data folder (its SQLite store is `berth.db` in it).
    pub fn data_dir(&self) -> PathBuf {
        self._dir.path().join("data")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The child has not exited.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// `/healthz` answers 200 `{"status":"ok"}` on a new connection.
    pub fn healthy(&self) -> bool {
        Client::new(self.addr)
            .send(&Request::new("GET", "/healthz"))
            .is_ok_and(|a| {
                a.status == 200
                    && serde_json::from_slice::<serde_json::Value>(&a.body)
                        .is_ok_and(|v| v == serde_json::json!({"status": "ok"}))
            })
    }

    /// Resident memory of the server process (VmRSS), in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("read /proc/<pid>/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/<pid>/status")
    }

    pub fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
