//! OCI content for the checks: digests, random blobs, and the documents the distribution-spec
//! conformance suite pushes (`conformance/setup.go`, v1.1.1), rebuilt here with the same shapes:
//! a config per workflow category with a random author, a layer, an image manifest per
//! category whose config descriptor carries `data` and a field the image spec does not know,
//! a manifest without layers, and the artifacts with a `subject` for the referrers checks.

use rand::Rng;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
pub const DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";

/// The error codes of the spec (its table "Error Codes"), as the conformance suite lists them:
/// the spec's table, which a registry's answer is checked against (Berth's own codes are
/// `berth::error::Code`, compared by constant where a check names one).
pub const SPEC_ERROR_CODES: &[&str] = &[
    "BLOB_UNKNOWN",
    "BLOB_UPLOAD_INVALID",
    "BLOB_UPLOAD_UNKNOWN",
    "DIGEST_INVALID",
    "MANIFEST_BLOB_UNKNOWN",
    "MANIFEST_INVALID",
    "MANIFEST_UNKNOWN",
    "MANIFEST_UNVERIFIED",
    "NAME_INVALID",
    "NAME_UNKNOWN",
    "SIZE_INVALID",
    "TAG_INVALID",
    "UNAUTHORIZED",
    "DENIED",
    "UNSUPPORTED",
];

/// `sha256:<hex>` of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    rand::rng().fill(&mut v[..]);
    v
}

pub fn random_hex(bytes: usize) -> String {
    hex::encode(random_bytes(bytes))
}

/// JSON as Go's `json.MarshalIndent(v, "", "\t")` writes it (what the suite pushes).
pub fn pretty(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"\t");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    v.serialize(&mut ser).expect("serialize JSON");
    out
}

/// A blob with its digest and size.
#[derive(Clone, Debug)]
pub struct Blob {
    pub content: Vec<u8>,
    pub digest: String,
}

impl Blob {
    pub fn new(content: Vec<u8>) -> Blob {
        let digest = sha256(&content);
        Blob { content, digest }
    }

    pub fn size(&self) -> usize {
        self.content.len()
    }

    /// A descriptor of this blob as the suite's Go struct marshals it (`newUnspecifiedField`
    /// is not `omitempty`, so it is `null` unless set).
    pub fn descriptor(&self, media_type: &str) -> Value {
        json!({
            "mediaType": media_type,
            "digest": self.digest,
            "size": self.size(),
            "newUnspecifiedField": null,
        })
    }
}

/// A base64 (standard alphabet) encoding, as Go marshals `[]byte`.
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Everything the suite's setup makes (`setup.go`), fresh random content per call.
pub struct SpecData {
    /// One config per workflow category: pull 0, push 1, discovery 2, management 3, and a
    /// fifth (index 4) that discovery uses as the referrers' subject.
    pub configs: Vec<Blob>,
    pub layer: Blob,
    /// One image manifest per config.
    pub manifests: Vec<Blob>,
    /// An image manifest without `mediaType` and without layers (config 1).
    pub empty_layer_manifest: Blob,
    /// 42 random bytes, pushed streamed and cross-mounted.
    pub blob_a: Blob,
    /// 42 random bytes pushed in two chunks: `[..22]` and `[22..]`.
    pub blob_b: Blob,
    pub empty_json: Blob,
    pub ref_blob_a: Blob,
    pub ref_blob_b: Blob,
    /// Artifacts whose subject is `manifests[4]`: A and B with the artifact type as the config's
    /// media type, A and B with `artifactType` and the empty config, and an index.
    pub refs_a_config: Blob,
    pub refs_a_layer: Blob,
    pub refs_b_config: Blob,
    pub refs_b_layer: Blob,
    pub refs_index: Blob,
    /// An artifact whose subject (`manifests[3]`) is never pushed.
    pub refs_c_layer: Blob,
    /// The `org.opencontainers.conformance.test` annotation of each referrer, by digest.
    pub annotations: Vec<(String, String)>,
}

pub const ARTIFACT_TYPE_A: &str = "application/vnd.nhl.peanut.butter.bagel";
pub const ARTIFACT_TYPE_B: &str = "application/vnd.nba.strawberry.jam.croissant";
pub const ARTIFACT_TYPE_INDEX: &str = "application/vnd.food.stand";
pub const ANNOTATION_KEY: &str = "org.opencontainers.conformance.test";
/// `sha256("{}")`: the empty JSON blob's digest, fixed by the image spec.
pub const EMPTY_JSON_DIGEST: &str =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

/// The digest of a blob nobody pushes (`sha256("hello world")`, as the suite's `dummyDigest`).
pub fn dummy_digest() -> String {
    sha256(b"hello world")
}

impl SpecData {
    pub fn new() -> SpecData {
        let configs: Vec<Blob> = (0..5)
            .map(|_| {
                Blob::new(pretty(&json!({
                    "author": random_hex(8),
                    "architecture": "amd64",
                    "os": "linux",
                    "rootfs": {"type": "layers", "diff_ids": []},
                })))
            })
            .collect();
        // Registries never look inside a layer; random bytes stand for the suite's tarball.
        let layer = Blob::new(random_bytes(180));
        let manifests: Vec<Blob> = configs
            .iter()
            .map(|c| {
                Blob::new(pretty(&json!({
                    "schemaVersion": 2,
                    "mediaType": OCI_MANIFEST,
                    "config": {
                        "mediaType": OCI_CONFIG,
                        "digest": c.digest,
                        "size": c.size(),
                        "data": base64(&c.content),
                        "newUnspecifiedField": base64(b"hello world"),
                    },
                    "layers": [layer.descriptor(OCI_LAYER)],
                })))
            })
            .collect();
        let empty_layer_manifest = Blob::new(pretty(&json!({
            "schemaVersion": 2,
            "config": {
                "mediaType": OCI_CONFIG,
                "digest": configs[1].digest,
                "size": configs[1].size(),
                "data": base64(&configs[1].content),
                "newUnspecifiedField": base64(b"hello world"),
            },
            "layers": [],
        })));
        let empty_json = Blob::new(b"{}".to_vec());
        let ref_blob_a = Blob::new(b"NHL Peanut Butter on my NHL bagel".to_vec());
        let ref_blob_b = Blob::new(b"NBA Strawberry Jam on my NBA croissant".to_vec());
        let subject = |m: &Blob| m.descriptor(OCI_MANIFEST);
        let config_artifact = |blob: &Blob, artifact_type: &str, note: &str| {
            Blob::new(pretty(&json!({
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": blob.descriptor(artifact_type),
                "layers": [empty_json.descriptor(OCI_EMPTY)],
                "subject": subject(&manifests[4]),
                "annotations": {ANNOTATION_KEY: note},
            })))
        };
        let layer_artifact = |blob: &Blob, artifact_type: &str, of: &Blob, note: Option<&str>| {
            let mut m = json!({
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "artifactType": artifact_type,
                "config": empty_json.descriptor(OCI_EMPTY),
                "layers": [blob.descriptor(artifact_type)],
                "subject": subject(of),
            });
            if let Some(note) = note {
                m["annotations"] = json!({ ANNOTATION_KEY: note });
            }
            Blob::new(pretty(&m))
        };
        let refs_a_config = config_artifact(&ref_blob_a, ARTIFACT_TYPE_A, "test config a");
        let refs_b_config = config_artifact(&ref_blob_b, ARTIFACT_TYPE_B, "test config b");
        let refs_a_layer = layer_artifact(
            &ref_blob_a,
            ARTIFACT_TYPE_A,
            &manifests[4],
            Some("test layer a"),
        );
        let refs_b_layer = layer_artifact(
            &ref_blob_b,
            ARTIFACT_TYPE_B,
            &manifests[4],
            Some("test layer b"),
        );
        let refs_c_layer = layer_artifact(&ref_blob_b, ARTIFACT_TYPE_B, &manifests[3], None);
        let refs_index = Blob::new(pretty(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "artifactType": ARTIFACT_TYPE_INDEX,
            "manifests": [
                refs_a_config.descriptor(OCI_MANIFEST),
                refs_a_layer.descriptor(OCI_MANIFEST),
            ],
            "subject": subject(&manifests[4]),
            "annotations": {ANNOTATION_KEY: "test index"},
        })));
        let annotations = vec![
            (refs_a_config.digest.clone(), "test config a".to_owned()),
            (refs_b_config.digest.clone(), "test config b".to_owned()),
            (refs_a_layer.digest.clone(), "test layer a".to_owned()),
            (refs_b_layer.digest.clone(), "test layer b".to_owned()),
            (refs_index.digest.clone(), "test index".to_owned()),
        ];
        SpecData {
            configs,
            layer,
            manifests,
            empty_layer_manifest,
            blob_a: Blob::new(random_bytes(42)),
            blob_b: Blob::new(random_bytes(42)),
            empty_json,
            ref_blob_a,
            ref_blob_b,
            refs_a_config,
            refs_a_layer,
            refs_b_config,
            refs_b_layer,
            refs_index,
            refs_c_layer,
            annotations,
        }
    }

    /// The two chunks of `blob_b` (`size/2 + 1` bytes, then the rest) and their ranges.
    pub fn chunks(&self) -> [(&[u8], String); 2] {
        let b = &self.blob_b.content;
        let cut = b.len() / 2 + 1;
        [
            (&b[..cut], format!("0-{}", cut - 1)),
            (&b[cut..], format!("{}-{}", cut, b.len() - 1)),
        ]
    }

    /// The annotation the suite gave the referrer `digest`.
    pub fn annotation_of(&self, digest: &str) -> Option<&str> {
        self.annotations
            .iter()
            .find(|(d, _)| d == digest)
            .map(|(_, a)| a.as_str())
    }
}

impl Default for SpecData {
    fn default() -> Self {
        SpecData::new()
    }
}

/// A Docker schema 2 image (config + one layer) as `docker push` makes it, for the tests that
/// want an image a legacy client can read.
pub fn docker_image(layer: &Blob, config: &Blob) -> Blob {
    Blob::new(
        serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": DOCKER_MANIFEST,
            "config": {"mediaType": DOCKER_CONFIG, "size": config.size(), "digest": config.digest},
            "layers": [{"mediaType": DOCKER_LAYER, "size": layer.size(), "digest": layer.digest}],
        }))
        .expect("serialize manifest"),
    )
}
