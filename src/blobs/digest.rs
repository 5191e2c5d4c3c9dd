//! Content digests as the registry takes them: `sha256:<64 hex>` or `sha512:<128 hex>`,
//! parsed by `oci-spec` (the image spec's grammar) and limited to the two algorithms Berth
//! computes, and the hashers that compute them.

use std::fmt;

use sha2::{Digest as _, Sha256, Sha512};

use crate::error::{Code, Error, Result};

/// The algorithms a digest may use here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    Sha256,
    Sha512,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }
}

/// A well-formed digest of a supported algorithm, lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Digest {
    algorithm: Algorithm,
    hex: String,
}

impl Digest {
    /// `text` as a digest: 400 `DIGEST_INVALID` when it is not one, 400 `UNSUPPORTED` for a
    /// well-formed digest of another algorithm.
    pub fn parse(text: &str) -> Result<Digest> {
        let parsed = oci_spec::image::Digest::try_from(text)
            .map_err(|_| Error::new(Code::DigestInvalid, "the digest is not well formed"))?;
        let algorithm = match parsed.algorithm() {
            oci_spec::image::DigestAlgorithm::Sha256 => Algorithm::Sha256,
            oci_spec::image::DigestAlgorithm::Sha512 => Algorithm::Sha512,
            _ => {
                return Err(Error::new(
                    Code::Unsupported,
                    "digests are sha256 or sha512",
                ))
            }
        };
        Ok(Digest {
            algorithm,
            hex: parsed.digest().to_owned(),
        })
    }

    /// The sha256 digest of `bytes`.
    pub fn sha256_of(bytes: &[u8]) -> Digest {
        let mut h = Hasher::new(Algorithm::Sha256);
        h.update(bytes);
        h.finish()
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The lowercase hex part.
    pub fn hex(&self) -> &str {
        &self.hex
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.as_str(), self.hex)
    }
}

/// A running digest of one algorithm.
#[derive(Clone)]
pub enum Hasher {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl Hasher {
    pub fn new(algorithm: Algorithm) -> Hasher {
        match algorithm {
            Algorithm::Sha256 => Hasher::Sha256(Sha256::new()),
            Algorithm::Sha512 => Hasher::Sha512(Sha512::new()),
        }
    }

    pub fn algorithm(&self) -> Algorithm {
        match self {
            Hasher::Sha256(_) => Algorithm::Sha256,
            Hasher::Sha512(_) => Algorithm::Sha512,
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Sha512(h) => h.update(bytes),
        }
    }

    /// The digest of everything given so far (the hasher itself is left as it was).
    pub fn finish(&self) -> Digest {
        let hex = match self {
            Hasher::Sha256(h) => hex::encode(h.clone().finalize()),
            Hasher::Sha512(h) => hex::encode(h.clone().finalize()),
        };
        Digest {
            algorithm: self.algorithm(),
            hex,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_of_the_two_algorithms_parse_and_others_are_refused() {
        let empty = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let d = Digest::parse(empty).unwrap();
        assert_eq!(
            (d.algorithm(), d.to_string().as_str()),
            (Algorithm::Sha256, empty)
        );
        assert_eq!(Digest::sha256_of(b""), d);
        let mut h = Hasher::new(Algorithm::Sha512);
        h.update(b"");
        let sha512 = h.finish().to_string();
        assert_eq!(
            Digest::parse(&sha512).unwrap().algorithm(),
            Algorithm::Sha512
        );
        for bad in [
            "",
            "sha256",
            "sha256:",
            "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
            "sha256:e3b0",
            "sha256:../../../../etc/passwd",
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85/",
        ] {
            assert!(
                Digest::parse(bad).unwrap_err().is(Code::DigestInvalid),
                "{bad}"
            );
        }
        let sha384 = format!("sha384:{}", "a".repeat(96));
        assert!(Digest::parse(&sha384).unwrap_err().is(Code::Unsupported));
        assert!(Digest::parse("md5:abc").unwrap_err().is(Code::Unsupported));
    }
}
