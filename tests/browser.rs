//! The browser test: Debian's headless chromium, driven by playwright-core (tests/browser/),
//! signs in, creates a repository whose description carries an XSS payload and checks no
//! script ran, stars it, creates an API key and uses it against the APIs, signs out, and
//! saves screenshots of explore and a repository page, light and dark, in tests/artifacts/.
//!
//! Needs `/usr/bin/chromium` (or `CHROMIUM`) and node + npm; the npm package is installed
//! with `npm ci --ignore-scripts` into target/browser-node (no browser is ever downloaded).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{TestApp, PASSWORD};

fn chromium() -> PathBuf {
    let path =
        PathBuf::from(std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    assert!(
        path.exists(),
        "the browser test needs Debian's chromium at {} (apt-get install -y chromium), or CHROMIUM=/path",
        path.display()
    );
    path
}

/// Install playwright-core from the lockfile into target/browser-node once.
fn node_modules(root: &Path) -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target"));
    let dir = target.join("browser-node");
    std::fs::create_dir_all(&dir).expect("create target/browser-node");
    for f in ["package.json", "package-lock.json"] {
        let src = root.join("tests/browser").join(f);
        let dst = dir.join(f);
        let same = std::fs::read(&dst).ok() == std::fs::read(&src).ok();
        if !same {
            std::fs::copy(&src, &dst).expect("copy npm manifest");
            let _ = std::fs::remove_dir_all(dir.join("node_modules"));
        }
    }
    if !dir
        .join("node_modules/playwright-core/package.json")
        .exists()
    {
        let status = Command::new("npm")
            .args([
                "ci",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
            ])
            .current_dir(&dir)
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
            .status()
            .expect("run npm (node and npm are needed for the browser test)");
        assert!(status.success(), "npm ci failed in {}", dir.display());
    }
    dir.join("node_modules")
}

#[test]
fn a_browser_signs_in_creates_stars_uses_a_key_and_signs_out_with_no_script_injected() {
    let chromium = chromium();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let modules = node_modules(&root);
    let app = TestApp::start();
    app.user("alice");
    app.repo("alice", "existing", true);
    let artifacts = root.join("tests/artifacts");
    let out = Command::new("node")
        .arg(root.join("tests/browser/flow.js"))
        .env("NODE_PATH", &modules)
        .env("BERTH_URL", &app.base)
        .env("BERTH_USER", "alice")
        .env("BERTH_PASSWORD", PASSWORD)
        .env("ARTIFACTS", &artifacts)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stdout.lines().last().unwrap_or("");
    let report: serde_json::Value = serde_json::from_str(last).unwrap_or_else(|_| {
        panic!("no report from the browser flow\nstdout: {stdout}\nstderr: {stderr}")
    });
    assert_eq!(report["ok"], true, "{report:#}\nstderr: {stderr}");
    assert!(out.status.success());
    let steps = report["steps"].as_array().map(Vec::len).unwrap_or(0);
    assert!(steps >= 25, "{report:#}");
    for shot in [
        "explore-light",
        "explore-dark",
        "repository-light",
        "repository-dark",
    ] {
        let file = artifacts.join(format!("{shot}.png"));
        let meta =
            std::fs::metadata(&file).unwrap_or_else(|_| panic!("{} missing", file.display()));
        assert!(meta.len() > 1000, "{} is empty", file.display());
    }
    // What the browser did is in the store.
    let starred: i64 = app
        .conn()
        .query_row(
            "SELECT star_count FROM repositories WHERE full_path = 'alice/xss-demo'",
            [],
            |r| r.get(0),
        )
        .expect("repository created by the browser");
    assert_eq!(starred, 1);
    let sessions: i64 = app
        .conn()
        .query_row("SELECT count(*) FROM sessions", [], |r| r.get(0))
        .expect("count sessions");
    assert_eq!(sessions, 0, "signing out ended the session");
}
