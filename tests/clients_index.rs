//! The real third-party clients of the Index and Alauda dialects and of the registry (API-NOTES
//! sections 9 and 10), run unmodified against a live Berth: just4alauda 0.2.12 and
//! docker-registry-client 0.5.2 (PyPI), docker-registry-client 3.4.0 (npm). Both
//! docker-registry-clients now find `/v2/` answering and use it (catalog, tags, manifests, the
//! token flow), and keep their v1 paths when asked for them. The harness scripts live in `tests/clients/`
//! (see its README); `tests/clients/setup.sh` installs the clients under `target/clients`
//! once (idempotent; `BERTH_CLIENTS_DIR` overrides the folder).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::*;

fn clients_dir() -> PathBuf {
    std::env::var_os("BERTH_CLIENTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/clients"))
}

fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// Install the clients once per test run (setup.sh itself skips what is already there).
fn setup() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = clients_dir();
        let status = Command::new("bash")
            .arg(scripts().join("setup.sh"))
            .arg(&dir)
            .status()
            .expect("run tests/clients/setup.sh");
        assert!(
            status.success(),
            "tests/clients/setup.sh {} failed: {status}",
            dir.display()
        );
        dir
    })
}

/// Run one harness against a fresh Berth with an active user `alice`; it must exit 0.
fn run(script: &str) {
    let dir = setup();
    let app = TestApp::start();
    app.user("alice");
    let mut cmd = if script.ends_with(".js") {
        let mut c = Command::new("node");
        c.arg(scripts().join(script));
        c
    } else {
        let mut c = Command::new(dir.join("venv/bin/python"));
        c.arg(scripts().join(script));
        c
    };
    let out = cmd
        .env("BERTH_URL", &app.base)
        .env("BERTH_USER", "alice")
        .env("BERTH_PASSWORD", PASSWORD)
        .env("BERTH_NS", "alice")
        .env("BERTH_ALAUDA_NS", "alice")
        .env("BERTH_EMAIL", "alice@example.com")
        .env("BERTH_CLIENTS_DIR", dir)
        .output()
        .unwrap_or_else(|e| panic!("run {script}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{script} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains(" passed, 0 failed"),
        "{script} printed no clean summary:\n{stdout}\n{stderr}"
    );
}

#[test]
fn just4alauda_logs_in_creates_lists_gets_and_deletes() {
    run("alauda_client.py");
}

#[test]
fn pypi_docker_registry_client_picks_v2_for_catalog_and_tags_and_keeps_v1_when_forced() {
    run("registry_client_py.py");
}

#[test]
fn npm_docker_registry_client_v2_logs_in_lists_tags_and_reads_manifests_and_v1_still_works() {
    run("registry_client_npm.js");
}
