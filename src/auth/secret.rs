//! Random secrets and their stored hashes. API keys, access tokens and session ids are
//! high-entropy random strings, so a SHA-256 of them is a safe lookup key; passwords are
//! never hashed here (they go through bcrypt).

use rand::distr::{Alphanumeric, SampleString};
use sha2::{Digest, Sha256};

/// The prefix that marks a Berth API key.
pub const API_KEY_PREFIX: &str = "brt_";
/// Characters of a key kept in clear to tell keys apart.
pub const API_KEY_SHOWN: usize = 12;

pub fn random_string(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), len)
}

/// A password for the bootstrap admin or a reset: 24 alphanumerics (~142 bits).
pub fn random_password() -> String {
    random_string(24)
}

/// A new API key: `brt_` and 40 alphanumerics.
pub fn new_api_key() -> String {
    format!("{API_KEY_PREFIX}{}", random_string(40))
}

pub fn looks_like_api_key(s: &str) -> bool {
    s.len() == API_KEY_PREFIX.len() + 40
        && s.starts_with(API_KEY_PREFIX)
        && s[API_KEY_PREFIX.len()..].bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Lower-case hex SHA-256, the stored form of a random secret.
pub fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_keys_are_random_and_recognisable() {
        let a = new_api_key();
        let b = new_api_key();
        assert_ne!(a, b);
        assert!(looks_like_api_key(&a), "{a}");
        assert!(!looks_like_api_key("brt_short"));
        assert!(!looks_like_api_key(&a.replace("brt_", "xyz_")));
    }

    #[test]
    fn hashes_are_stable_hex() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(random_password().len(), 24);
    }
}
