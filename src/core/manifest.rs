//! Manifests as pushed to the registry: which kind a body is, and what Berth keeps of it
//! (what it references, its subject, artifact type, annotations and platforms). Parsed with
//! `oci-spec`'s image types, which describe OCI and Docker schema 2 documents alike; schema 1
//! is refused (API-NOTES section 10).

use serde::Deserialize;

use crate::error::{Code, Error, Result};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const DOCKER_V1: &str = "application/vnd.docker.distribution.manifest.v1+json";
const DOCKER_V1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";
/// Config media types whose blob is an image configuration (`os`, `architecture`).
pub const IMAGE_CONFIGS: &[&str] = &[
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
];

/// Largest manifest accepted (API-NOTES section 10).
pub const MAX_BYTES: usize = 4 << 20;

/// A blob a manifest references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRef {
    pub digest: String,
    pub size: u64,
    pub media_type: String,
    /// A non-distributable layer (it has `urls`): the registry need not hold it.
    pub foreign: bool,
}

/// A manifest an index lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Child {
    pub digest: String,
    pub size: u64,
    /// `os/architecture[/variant]`, when the entry names one.
    pub platform: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Image {
        config: BlobRef,
        layers: Vec<BlobRef>,
    },
    Index {
        children: Vec<Child>,
    },
}

/// What Berth keeps of a manifest besides its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub media_type: String,
    pub kind: Kind,
    /// `artifactType`, else (image manifests) the config's media type: what the referrers
    /// API reports.
    pub artifact_type: Option<String>,
    /// The digest of the `subject` manifest.
    pub subject: Option<String>,
    /// The `annotations` object, as JSON.
    pub annotations: Option<String>,
}

/// The few fields that tell which kind of document a body is.
#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "schemaVersion")]
    schema_version: Option<serde_json::Value>,
    #[serde(rename = "mediaType")]
    media_type: Option<String>,
    manifests: Option<serde::de::IgnoredAny>,
    config: Option<serde::de::IgnoredAny>,
}

fn invalid(message: &'static str) -> Error {
    Error::new(Code::ManifestInvalid, message)
}

/// The media type of a `Content-Type` value (parameters cut).
fn essence(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or("").trim()
}

fn is_manifest_type(t: &str) -> bool {
    [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST].contains(&t)
}

/// Parse a pushed manifest sent with `content_type`.
pub fn parse(content_type: Option<&str>, body: &[u8]) -> Result<Parsed> {
    let probe: Probe =
        serde_json::from_slice(body).map_err(|_| invalid("the manifest is not a JSON object"))?;
    let header = content_type.map(essence).filter(|t| !t.is_empty());
    let schema1 = |t: &str| t == DOCKER_V1 || t == DOCKER_V1_SIGNED;
    if probe.schema_version.as_ref().and_then(|v| v.as_u64()) == Some(1)
        || probe.media_type.as_deref().is_some_and(schema1)
        || header.is_some_and(schema1)
    {
        return Err(invalid(
            "schema 1 manifests are not accepted; push schema 2 or OCI",
        ));
    }
    if probe.schema_version.as_ref().and_then(|v| v.as_u64()) != Some(2) {
        return Err(invalid("schemaVersion must be 2"));
    }
    let media_type = match (probe.media_type.as_deref(), header) {
        (Some(body), Some(header)) if is_manifest_type(header) && header != body => {
            return Err(invalid(
                "the manifest's mediaType differs from Content-Type",
            ))
        }
        (Some(body), _) => body.to_owned(),
        (None, Some(header)) if is_manifest_type(header) => header.to_owned(),
        (None, _) if probe.manifests.is_some() => OCI_INDEX.to_owned(),
        (None, _) if probe.config.is_some() => OCI_MANIFEST.to_owned(),
        (None, _) => {
            return Err(invalid(
                "the manifest is neither an image manifest nor an index",
            ))
        }
    };
    match media_type.as_str() {
        OCI_MANIFEST | DOCKER_MANIFEST => image(media_type, body),
        OCI_INDEX | DOCKER_LIST => index(media_type, body),
        _ => Err(invalid("unsupported manifest media type")),
    }
}

fn blob_ref(d: &oci_spec::image::Descriptor) -> BlobRef {
    BlobRef {
        digest: d.digest().to_string(),
        size: d.size(),
        media_type: d.media_type().to_string(),
        foreign: d.urls().as_ref().is_some_and(|u| !u.is_empty()),
    }
}

fn annotations(a: &Option<std::collections::HashMap<String, String>>) -> Option<String> {
    let a = a.as_ref().filter(|a| !a.is_empty())?;
    // Sorted, so the stored text is the same whatever order the body had.
    let sorted: std::collections::BTreeMap<_, _> = a.iter().collect();
    serde_json::to_string(&sorted).ok()
}

fn image(media_type: String, body: &[u8]) -> Result<Parsed> {
    let m: oci_spec::image::ImageManifest = serde_json::from_slice(body)
        .map_err(|_| invalid("the manifest does not fit the image manifest schema"))?;
    let config = blob_ref(m.config());
    let layers: Vec<BlobRef> = m.layers().iter().map(blob_ref).collect();
    let artifact_type = m
        .artifact_type()
        .as_ref()
        .map(ToString::to_string)
        .or_else(|| Some(config.media_type.clone()));
    Ok(Parsed {
        media_type,
        artifact_type,
        subject: m.subject().as_ref().map(|s| s.digest().to_string()),
        annotations: annotations(m.annotations()),
        kind: Kind::Image { config, layers },
    })
}

fn index(media_type: String, body: &[u8]) -> Result<Parsed> {
    let i: oci_spec::image::ImageIndex = serde_json::from_slice(body)
        .map_err(|_| invalid("the manifest does not fit the image index schema"))?;
    let children = i
        .manifests()
        .iter()
        .map(|d| Child {
            digest: d.digest().to_string(),
            size: d.size(),
            platform: d.platform().as_ref().map(|p| {
                platform(
                    &p.os().to_string(),
                    &p.architecture().to_string(),
                    p.variant().as_deref(),
                )
            }),
        })
        .collect();
    Ok(Parsed {
        media_type,
        artifact_type: i.artifact_type().as_ref().map(ToString::to_string),
        subject: i.subject().as_ref().map(|s| s.digest().to_string()),
        annotations: annotations(i.annotations()),
        kind: Kind::Index { children },
    })
}

/// `os/architecture[/variant]`.
pub fn platform(os: &str, architecture: &str, variant: Option<&str>) -> String {
    match variant.filter(|v| !v.is_empty()) {
        Some(v) => format!("{os}/{architecture}/{v}"),
        None => format!("{os}/{architecture}"),
    }
}

/// The platform an image configuration blob describes, if it is one.
pub fn config_platform(config: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Config {
        os: Option<String>,
        architecture: Option<String>,
        variant: Option<String>,
    }
    let c: Config = serde_json::from_slice(config).ok()?;
    Some(platform(&c.os?, &c.architecture?, c.variant.as_deref()))
}

/// The platforms an index serves, in order, without repeats or `unknown/unknown` (the
/// attestation manifests builders add).
pub fn index_platforms(children: &[Child]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in children.iter().filter_map(|c| c.platform.as_ref()) {
        if p != "unknown/unknown" && !out.contains(p) {
            out.push(p.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    fn manifest(extra: &str) -> String {
        format!(
            r#"{{"schemaVersion":2,{extra}"config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{D1}","size":7}},
               "layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{D2}","size":9}}]}}"#
        )
    }

    #[test]
    fn an_oci_image_manifest_names_its_config_and_layers() {
        let body = manifest(
            r#""mediaType":"application/vnd.oci.image.manifest.v1+json","annotations":{"b":"2","a":"1"},"#,
        );
        let p = parse(Some(OCI_MANIFEST), body.as_bytes()).unwrap();
        assert_eq!(p.media_type, OCI_MANIFEST);
        assert_eq!(p.artifact_type.as_deref(), Some(IMAGE_CONFIGS[0]));
        assert_eq!(p.annotations.as_deref(), Some(r#"{"a":"1","b":"2"}"#));
        let Kind::Image { config, layers } = p.kind else {
            panic!("not an image")
        };
        assert_eq!((config.digest.as_str(), config.size), (D1, 7));
        assert_eq!((layers[0].digest.as_str(), layers[0].foreign), (D2, false));
    }

    #[test]
    fn the_media_type_comes_from_the_body_the_header_or_the_shape() {
        let plain = manifest("");
        assert_eq!(
            parse(Some(DOCKER_MANIFEST), plain.as_bytes())
                .unwrap()
                .media_type,
            DOCKER_MANIFEST
        );
        assert_eq!(
            parse(None, plain.as_bytes()).unwrap().media_type,
            OCI_MANIFEST
        );
        assert_eq!(
            parse(Some("application/json"), plain.as_bytes())
                .unwrap()
                .media_type,
            OCI_MANIFEST
        );
        let index = format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"{OCI_MANIFEST}","digest":"{D1}","size":3,
                 "platform":{{"os":"linux","architecture":"arm64","variant":"v8"}}}}]}}"#
        );
        let p = parse(None, index.as_bytes()).unwrap();
        assert_eq!(p.media_type, OCI_INDEX);
        let Kind::Index { children } = p.kind else {
            panic!("not an index")
        };
        assert_eq!(index_platforms(&children), ["linux/arm64/v8"]);
        let mismatch = manifest(&format!(r#""mediaType":"{DOCKER_MANIFEST}","#));
        assert!(parse(Some(OCI_MANIFEST), mismatch.as_bytes())
            .unwrap_err()
            .is(Code::ManifestInvalid));
    }

    #[test]
    fn schema_1_and_garbage_are_invalid() {
        for (ct, body) in [
            (None, r#"{"schemaVersion":1,"name":"x","tag":"y","fsLayers":[]}"#.to_owned()),
            (Some(DOCKER_V1_SIGNED), manifest("")),
            (None, "not json".to_owned()),
            (None, "[]".to_owned()),
            (None, r#"{"schemaVersion":2}"#.to_owned()),
            (None, r#"{"schemaVersion":3,"config":{}}"#.to_owned()),
            (Some(OCI_MANIFEST), r#"{"schemaVersion":2,"config":{"digest":"nope"},"layers":[]}"#.to_owned()),
            (Some(OCI_INDEX), r#"{"schemaVersion":2,"manifests":7}"#.to_owned()),
            (Some("application/vnd.oci.artifact.manifest.v1+json"), r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.artifact.manifest.v1+json","config":{}}"#.to_owned()),
        ] {
            assert!(parse(ct, body.as_bytes()).unwrap_err().is(Code::ManifestInvalid), "{body}");
        }
    }

    #[test]
    fn platforms_come_from_image_configurations() {
        assert_eq!(
            config_platform(br#"{"os":"linux","architecture":"amd64","rootfs":{}}"#).as_deref(),
            Some("linux/amd64")
        );
        assert_eq!(config_platform(b"{}"), None);
        assert_eq!(config_platform(b"\x00"), None);
    }
}
