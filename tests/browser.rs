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
    push_images(&app);
    let artifacts = root.join("tests/artifacts");
    let out = Command::new("node")
        .arg(root.join("tests/browser/flow.js"))
        .env("NODE_PATH", &modules)
        .env("BERTH_URL", &app.base)
        .env("BERTH_USER", "alice")
        .env("BERTH_PASSWORD", PASSWORD)
        .env("ARTIFACTS", &artifacts)
        .env("CHROMIUM", &chromium)
        .env("IMAGE_REPO", "alice/existing")
        .env("IMAGE_TAG", "1.2")
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
        "tags-light",
        "tags-dark",
        "tags-phone-light",
        "tags-phone-dark",
        "tag-light",
        "tag-dark",
        "tag-phone-light",
        "tag-phone-dark",
        "chart-light",
        "chart-dark",
        "chart-phone-light",
        "chart-phone-dark",
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

/// Push an image and a two-platform index to alice/existing through /v2, pull them, and
/// record some earlier days, so the image pages have something to show.
fn push_images(app: &TestApp) {
    use common::images::{config, push_image, push_manifest, OCI_INDEX, OCI_MANIFEST};
    use serde_json::json;
    let alice = ("alice", PASSWORD);
    let run = json!({
        "Env": ["PATH=/usr/local/bin:/usr/bin", "DATABASE_PASSWORD=hunter2"],
        "Entrypoint": ["/usr/local/bin/server"],
        "Cmd": ["--listen", ":8080"],
        "ExposedPorts": {"8080/tcp": {}, "9090/tcp": {}},
        "Labels": {"org.opencontainers.image.source": "https://git.example/alice/server",
                   "org.opencontainers.image.version": "1.2.0"},
        "WorkingDir": "/srv",
    });
    let history = json!([
        {"created_by": "/bin/sh -c #(nop) ADD file:5f0c2d8e4b1a in / "},
        {"created_by": "/bin/sh -c #(nop)  ENV DATABASE_PASSWORD=hunter2", "empty_layer": true},
        {"created_by": "RUN /bin/sh -c apk add --no-cache ca-certificates tzdata && adduser -D -u 10001 app # buildkit"},
        {"created_by": "COPY server /usr/local/bin/server # buildkit"},
    ]);
    let big = "x".repeat(2_500_000);
    let amd = push_image(
        app,
        alice,
        "alice/existing",
        "1.2",
        &config("linux", "amd64", None, run.clone(), history.clone()),
        &[&big, "ca-certificates and tzdata", "the server binary"],
    );
    let arm = push_image(
        app,
        alice,
        "alice/existing",
        "1.2-arm64",
        &config("linux", "arm64", Some("v8"), run, history),
        &[
            &big[..2_400_000],
            "ca-certificates and tzdata (arm)",
            "the server binary (arm)",
        ],
    );
    let index = json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": amd.digest, "size": amd.manifest.to_string().len(),
             "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": OCI_MANIFEST, "digest": arm.digest, "size": arm.manifest.to_string().len(),
             "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        ],
    });
    push_manifest(app, alice, "alice/existing", "latest", OCI_INDEX, &index);
    for _ in 0..4 {
        let r = app
            .get("/v2/alice/existing/manifests/1.2")
            .basic("alice", PASSWORD)
            .header("Accept", OCI_MANIFEST)
            .send();
        assert_eq!(r.status, 200);
    }
    let today = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64 / 86_400)
        .unwrap_or(0);
    let id = "(SELECT id FROM repositories WHERE full_path = 'alice/existing')";
    let rows: Vec<String> = [
        (1, 12, 0),
        (2, 30, 1),
        (5, 7, 2),
        (8, 22, 0),
        (12, 41, 3),
        (20, 5, 1),
        (27, 18, 0),
    ]
    .iter()
    .map(|(ago, pulls, pushes)| format!("({id}, {}, {pulls}, {pushes})", today - ago))
    .collect();
    app.exec(&format!(
        "INSERT INTO daily_activity (repository_id, day, pulls, pushes) VALUES {}",
        rows.join(", ")
    ));
}

/// The pages of the attacker's site (issue 12, finding 1): each posts to Berth by itself as
/// soon as it loads. `berth` is Berth's base URL.
fn attacker_pages(berth: &str) -> Vec<(&'static str, String)> {
    // A text/plain form sends `name=value\r\n`: with the JSON split at `=`, the body reads as
    // JSON (`{"...","pad":"="}`), which Berth parsed before issue 12.
    let form = |enctype: &str, action: &str, fields: &[(&str, &str)]| {
        let inputs: String = fields
            .iter()
            .map(|(n, v)| format!("<input type=hidden name='{n}' value='{v}'>"))
            .collect();
        format!(
            "<!doctype html><title>win a prize</title><form method=POST enctype=\"{enctype}\" \
             action=\"{berth}{action}\">{inputs}</form><script>document.forms[0].submit()</script>"
        )
    };
    let json_split = |json: &str| {
        let cut = json.len() - 1;
        (format!("{},\"pad\":\"", &json[..cut]), "\"}".to_owned())
    };
    let org = |name: &str| json_split(&format!(r#"{{"type":"organization","name":"{name}"}}"#));
    let password = json_split(r#"{"newPassword":"attacker-pass-1"}"#);
    let plain_org = org("evilorg");
    let url_org = org("evilurl");
    let multi_org = org("evilmulti");
    let fetches = format!(
        r#"<!doctype html><title>loading</title><script>
const t = (path, type, body) => fetch("{berth}" + path, {{method: "POST", mode: "no-cors",
  credentials: "include", headers: {{"Content-Type": type}}, body}}).catch(() => {{}});
Promise.all([
  t("/api/v0/accounts", "text/plain", JSON.stringify({{type: "organization", name: "evilfetch"}})),
  t("/api/v0/repositories/admin", "application/x-www-form-urlencoded",
    JSON.stringify({{name: "evil-fetch", visibility: "public"}})),
  t("/api/v0/accounts/victim/changePassword", "multipart/form-data; boundary=x",
    JSON.stringify({{newPassword: "attacker-pass-2"}})),
  t("/udr/v1api/project/create?repository=admin/evil-fetch-project", "application/x-www-form-urlencoded", ""),
]).then(() => {{ document.title = "done"; }});
</script>"#
    );
    vec![
        (
            "/plain-org",
            form(
                "text/plain",
                "/api/v0/accounts",
                &[(&plain_org.0, &plain_org.1)],
            ),
        ),
        (
            "/plain-password",
            form(
                "text/plain",
                "/api/v0/accounts/victim/changePassword",
                &[(&password.0, &password.1)],
            ),
        ),
        (
            "/urlencoded-project",
            form(
                "application/x-www-form-urlencoded",
                "/udr/v1api/project/create",
                &[("repository", "admin/evil-project"), ("isPublic", "true")],
            ),
        ),
        (
            "/urlencoded-org",
            form(
                "application/x-www-form-urlencoded",
                "/api/v0/accounts",
                &[(&url_org.0, &url_org.1)],
            ),
        ),
        (
            "/multipart-org",
            form(
                "multipart/form-data",
                "/api/v0/accounts",
                &[(&multi_org.0, &multi_org.1)],
            ),
        ),
        ("/fetch", fetches),
    ]
}

/// A tiny HTTP server for the attacker's pages on `ip` (a free port); answers until the
/// test process ends. Returns its base URL.
fn serve_attacker(ip: [u8; 4], pages: Vec<(&'static str, String)>) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind((std::net::Ipv4Addr::from(ip), 0))
        .expect("bind the attacker's address (any 127.x.y.z is loopback on Linux)");
    let addr = listener.local_addr().expect("attacker address");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(match stream.try_clone() {
                Ok(s) => s,
                Err(_) => continue,
            });
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let path = line.split(' ').nth(1).unwrap_or("/").to_owned();
            // Skip the headers.
            loop {
                let mut h = String::new();
                match reader.read_line(&mut h) {
                    Ok(0) | Err(_) => break,
                    Ok(_) if h == "\r\n" || h == "\n" => break,
                    Ok(_) => {}
                }
            }
            let (status, body) = match pages.iter().find(|(p, _)| *p == path) {
                Some((_, html)) => ("200 OK", html.clone()),
                None => ("404 Not Found", String::new()),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}")
}

/// Issue 12, findings 1 and 3, in the browser: pages of another site (127.0.0.2) and of
/// another port of this host (same-site, another origin) make a browser that saved the site
/// admin's credentials post to Berth's APIs — text/plain forms whose body reads as JSON
/// (create an organization, set a user's password), urlencoded and multipart forms, no-cors
/// fetches — and nothing changes. Then signing in with hostile `next` targets lands on
/// Berth's `/`, with no content security policy violation on the way.
#[test]
fn pages_of_other_sites_cannot_change_anything_and_sign_in_stays_on_the_site() {
    let chromium = chromium();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let modules = node_modules(&root);
    let app = TestApp::start();
    app.user("victim");
    app.user("alice");
    let pages = attacker_pages(&app.base);
    let paths: Vec<&str> = pages.iter().map(|(p, _)| *p).collect();
    let paths = paths.join(" ");
    let cross_site = serve_attacker([127, 0, 0, 2], pages.clone());
    let same_site = serve_attacker([127, 0, 0, 1], pages);
    let out = Command::new("node")
        .arg(root.join("tests/browser/attack.js"))
        .env("NODE_PATH", &modules)
        .env("BERTH_URL", &app.base)
        .env("BERTH_USER", common::ADMIN)
        .env("BERTH_PASSWORD", common::ADMIN_PASSWORD)
        .env("SIGNIN_USER", "alice")
        .env("SIGNIN_PASSWORD", PASSWORD)
        .env("ATTACKERS", format!("{cross_site} {same_site}"))
        .env("PAGES", &paths)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stdout.lines().last().unwrap_or("");
    let report: serde_json::Value = serde_json::from_str(last).unwrap_or_else(|_| {
        panic!("no report from the attack\nstdout: {stdout}\nstderr: {stderr}")
    });
    // Over HTTP: nothing the pages asked for happened.
    for org in ["evilorg", "evilurl", "evilmulti", "evilfetch"] {
        let r = app.get(&format!("/api/v0/accounts/{org}")).admin().send();
        assert_eq!(
            r.status, 404,
            "the organization {org} was created\n{report:#}"
        );
    }
    for repo in ["evil-project", "evil-fetch", "evil-fetch-project"] {
        let r = app
            .get(&format!("/api/v0/repositories/admin/{repo}"))
            .admin()
            .send();
        assert_eq!(
            r.status, 404,
            "the repository admin/{repo} was created\n{report:#}"
        );
    }
    assert_eq!(
        app.get("/v1/users").as_user("victim").send().status,
        200,
        "the victim's password was changed\n{report:#}"
    );
    for stolen in ["attacker-pass-1", "attacker-pass-2"] {
        assert_eq!(
            app.get("/v1/users").basic("victim", stolen).send().status,
            401
        );
    }
    assert_eq!(report["ok"], true, "{report:#}\nstderr: {stderr}");
    // Every write that reached Berth was refused as cross-site, before any credential check.
    let writes: Vec<&serde_json::Value> = report["answers"]
        .as_array()
        .map(|a| a.iter().filter(|x| x["method"] == "POST").collect())
        .unwrap_or_default();
    assert!(writes.len() >= 2 * 9, "{report:#}");
    for w in writes {
        assert_eq!(w["status"], 403, "{w}");
    }
}
