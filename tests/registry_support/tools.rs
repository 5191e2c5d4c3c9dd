//! The external programs the client tests drive (skopeo, podman, umoci, docker, the Python
//! harnesses): finding them, running them with a deadline, and test images built offline.
//!
//! A missing program fails the test with a message naming `.ci/run`, which installs them all;
//! nothing is skipped silently.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::oci;

/// The absolute path of `program` on `PATH`; a missing one fails the test, naming the
/// installer.
pub fn need(program: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let candidate = dir.join(program);
        if candidate.is_file() {
            return candidate;
        }
    }
    let package = if program == "docker" {
        "docker.io"
    } else {
        program
    };
    panic!(
        "`{program}` is not installed: run `.ci/run` (as root, it installs skopeo, podman, umoci, \
         docker-registry and the docker CLI from Debian) or `apt-get install {package}`"
    );
}

/// What a finished program left.
#[derive(Debug)]
pub struct Output {
    pub what: String,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }

    /// Asserts the program exited 0.
    pub fn success(self) -> Output {
        assert!(self.ok(), "{} failed: {self:#?}", self.what);
        self
    }

    /// Asserts the program failed (a non-zero exit).
    pub fn failure(self) -> Output {
        assert!(
            !self.ok(),
            "{} succeeded but must fail: {self:#?}",
            self.what
        );
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{}: stdout is not JSON ({e}): {self:#?}", self.what))
    }

    /// stdout and stderr together (tools differ in where they print).
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Run `cmd` with no standard input, killing it after `limit`.
pub fn run(cmd: Command, limit: Duration) -> Output {
    run_with_stdin(cmd, None, limit)
}

/// Run `cmd` with `input` (if any) as its standard input (for `--password-stdin`), killing it
/// after `limit`. Output goes through files so a chatty program never blocks on a full pipe.
pub fn run_with_stdin(mut cmd: Command, input: Option<&str>, limit: Duration) -> Output {
    let what = format!("{cmd:?}");
    let dir = tempfile::tempdir().expect("tempdir");
    let out_path = dir.path().join("stdout");
    let err_path = dir.path().join("stderr");
    let stdin = match input {
        Some(text) => {
            let path = dir.path().join("stdin");
            fs::write(&path, text).expect("write stdin file");
            Stdio::from(fs::File::open(&path).expect("open stdin file"))
        }
        None => Stdio::null(),
    };
    let mut child = cmd
        .stdin(stdin)
        .stdout(fs::File::create(&out_path).expect("stdout file"))
        .stderr(fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .unwrap_or_else(|e| panic!("start {what}: {e}"));
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Err(e) => panic!("wait for {what}: {e}"),
        }
    };
    let stdout = fs::read_to_string(&out_path).unwrap_or_default();
    let stderr = fs::read_to_string(&err_path).unwrap_or_default();
    assert!(
        status.is_some(),
        "{what} did not finish within {limit:?}:\n{stdout}\n{stderr}"
    );
    Output {
        what,
        code: status.and_then(|s| s.code()),
        stdout,
        stderr,
    }
}

// ---------------------------------------------------------------- test images (umoci)

/// An OCI image layout on disk holding one image under `tag`.
pub struct Layout {
    _dir: tempfile::TempDir,
    /// The layout folder (`oci:{path}:{tag}` for skopeo and podman).
    pub path: PathBuf,
    pub tag: String,
    /// The image manifest's digest and its config's and layers' digests.
    pub manifest_digest: String,
    pub config_digest: String,
    pub layer_digests: Vec<String>,
}

impl Layout {
    /// `oci:PATH:TAG`.
    pub fn reference(&self) -> String {
        format!("oci:{}:{}", self.path.display(), self.tag)
    }

    /// The bytes of blob `digest` in this layout.
    pub fn blob(&self, digest: &str) -> Vec<u8> {
        read_blob(&self.path, digest)
    }

    /// Every digest the image consists of: manifest, config, layers.
    pub fn digests(&self) -> Vec<String> {
        let mut all = vec![self.manifest_digest.clone(), self.config_digest.clone()];
        all.extend(self.layer_digests.iter().cloned());
        all
    }
}

/// The bytes of blob `digest` in the OCI layout at `layout`.
pub fn read_blob(layout: &Path, digest: &str) -> Vec<u8> {
    let (alg, hex) = digest.split_once(':').expect("a digest");
    let path = layout.join("blobs").join(alg).join(hex);
    fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The manifest digest `index.json` of the layout at `layout` records for `tag`.
pub fn layout_manifest_digest(layout: &Path, tag: &str) -> String {
    let index: Value = serde_json::from_slice(
        &fs::read(layout.join("index.json")).expect("read index.json of the layout"),
    )
    .expect("index.json is JSON");
    index["manifests"]
        .as_array()
        .expect("index.json has manifests")
        .iter()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == tag)
        .and_then(|m| m["digest"].as_str())
        .unwrap_or_else(|| panic!("no {tag} in {index}"))
        .to_owned()
}

/// A fresh image built offline with umoci: two layers, one of `big` random bytes and one
/// small, and a config with a command, so every run pushes content no registry has seen.
pub fn build_image(big: usize) -> Layout {
    let umoci = need("umoci");
    // podman names an image pulled from `oci:PATH` after PATH, so the path must read as an
    // image name: lowercase, no component starting with a dot (tempdir's names have both).
    let dir = tempfile::Builder::new()
        .prefix(&format!("berth-image-{}", oci::random_hex(6)))
        .rand_bytes(0)
        .tempdir()
        .expect("tempdir");
    let path = dir.path().join("layout");
    let tag = "base".to_owned();
    let image = format!("{}:{tag}", path.display());
    let limit = Duration::from_secs(60);
    let mut c = Command::new(&umoci);
    c.args(["init", "--layout"]).arg(&path);
    run(c, limit).success();
    let mut c = Command::new(&umoci);
    c.args(["new", "--image", &image]);
    run(c, limit).success();
    for (n, size) in [(1, big), (2, 64)] {
        let content = dir.path().join(format!("layer{n}"));
        fs::create_dir_all(content.join("data")).expect("layer folder");
        fs::write(
            content.join("data").join("random.bin"),
            oci::random_bytes(size),
        )
        .expect("layer file");
        fs::write(
            content.join("data").join(format!("note{n}.txt")),
            format!("layer {n}\n"),
        )
        .expect("layer file");
        let mut c = Command::new(&umoci);
        c.args(["insert", "--image", &image])
            .arg(&content)
            .arg(format!("/layer{n}"));
        run(c, limit).success();
    }
    let mut c = Command::new(&umoci);
    c.args([
        "config",
        "--image",
        &image,
        "--config.cmd",
        "/bin/true",
        "--os",
        "linux",
        "--architecture",
        "amd64",
    ]);
    run(c, limit).success();
    // Drop the intermediate manifests and configs, so the layout holds just this image.
    let mut c = Command::new(&umoci);
    c.args(["gc", "--layout"]).arg(&path);
    run(c, limit).success();

    let manifest_digest = layout_manifest_digest(&path, &tag);
    let manifest: Value =
        serde_json::from_slice(&read_blob(&path, &manifest_digest)).expect("manifest JSON");
    let config_digest = manifest["config"]["digest"]
        .as_str()
        .expect("config digest")
        .to_owned();
    let layer_digests: Vec<String> = manifest["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| l["digest"].as_str().expect("layer digest").to_owned())
        .collect();
    assert_eq!(layer_digests.len(), 2, "two layers: {manifest}");
    Layout {
        _dir: dir,
        path,
        tag,
        manifest_digest,
        config_digest,
        layer_digests,
    }
}

// ---------------------------------------------------------------- the Python/npm harnesses

/// Where `tests/clients/setup.sh` installs the clients (`BERTH_CLIENTS_DIR` overrides).
pub fn clients_dir() -> PathBuf {
    std::env::var_os("BERTH_CLIENTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/clients"))
}

/// `tests/clients/`.
pub fn harnesses() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// Install the third-party clients once per test binary (setup.sh skips what is there).
pub fn setup_clients() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = clients_dir();
        let mut c = Command::new("bash");
        c.arg(harnesses().join("setup.sh")).arg(&dir);
        let out = run(c, Duration::from_secs(600));
        assert!(
            out.ok(),
            "tests/clients/setup.sh {} failed (`.ci/run` installs python3-venv and npm it \
             needs): {out:#?}",
            dir.display()
        );
        dir
    })
}
