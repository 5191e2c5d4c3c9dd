//! The real Docker Cloud clients against Berth (API-NOTES section 9): the `docker-cloud`
//! 1.0.9 CLI and the `python-dockercloud` 1.0.12 SDK, driven by the harness scripts in
//! `tests/clients/` (see its README). The clients are installed once into
//! `target/clients/` by `tests/clients/setup.sh` (idempotent; needs Python 3.11 and the
//! package registries); `BERTH_CLIENTS_DIR` points at another installation.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::*;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The clients' installation, set up on first use (once per test binary).
fn clients_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::var_os("BERTH_CLIENTS_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| manifest_dir().join("target").join("clients"));
        let installed = dir.join("venv/bin/docker-cloud").exists()
            && Command::new(dir.join("venv/bin/python"))
                .args(["-c", "import dockercloud, dockercloudcli"])
                .status()
                .is_ok_and(|s| s.success());
        if !installed {
            let out = Command::new("bash")
                .arg(manifest_dir().join("tests/clients/setup.sh"))
                .arg(&dir)
                .output()
                .expect("run tests/clients/setup.sh");
            assert!(
                out.status.success(),
                "tests/clients/setup.sh {} failed:\n{}\n{}",
                dir.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        dir
    })
}

/// A server with an active user `cloudy`, an API key of hers, and an organization
/// `cloudorg` she owns.
struct World {
    app: TestApp,
    apikey: String,
}

fn world() -> World {
    let app = TestApp::start();
    let user = app.user("cloudy");
    app.org("cloudorg", &user);
    let (_, apikey) = berth::core::accounts::create_api_key(&app.conn(), user.id, "docker-cloud")
        .expect("api key");
    World { app, apikey }
}

/// Run one harness script with the clients' Python; assert it passed every check.
fn run_harness(world: &World, script: &str, secret: &str) {
    let python = clients_dir().join("venv/bin/python");
    let out = Command::new(&python)
        .arg(manifest_dir().join("tests/clients").join(script))
        .env("BERTH_URL", &world.app.base)
        .env("BERTH_USER", "cloudy")
        .env("BERTH_PASSWORD", PASSWORD)
        .env("BERTH_APIKEY", secret)
        .env("BERTH_ORG", "cloudorg")
        .env_remove("DOCKERCLOUD_NAMESPACE")
        .output()
        .expect("run the harness");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.code() == Some(0),
        "{script} exited {:?}\n--- stdout\n{stdout}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.trim_end().ends_with(" passed, 0 failed"),
        "{script}:\n{stdout}"
    );
}

#[test]
fn the_docker_cloud_cli_works_with_an_api_key() {
    let world = world();
    let key = world.apikey.clone();
    run_harness(&world, "cloud_cli.py", &key);
}

#[test]
fn the_python_dockercloud_sdk_works_with_an_api_key() {
    let world = world();
    let key = world.apikey.clone();
    run_harness(&world, "cloud_sdk.py", &key);
}

#[test]
fn the_python_dockercloud_sdk_works_with_a_password() {
    let world = world();
    run_harness(&world, "cloud_sdk.py", PASSWORD);
}
