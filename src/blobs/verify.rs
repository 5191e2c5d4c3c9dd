//! Blob bytes that are checked while they are read: a reader over a whole blob that hashes
//! what passes through and, on reaching the blob's length, fails instead of giving out its
//! last bytes when they do not make the blob's digest (a bit flip on the disk), or when the
//! file ends early or runs long (a truncated or grown file). The registry reads a blob in
//! batches and sends a batch only once it was read whole, so a pull of a damaged blob ends in
//! an error before its last batch: the client never receives the whole of wrong bytes.

use std::io::{self, Read};

use super::{Digest, Hasher};

/// `inner` (a blob's bytes from offset 0, expected to be `len` long), checked as it is read.
pub struct Verified<R> {
    inner: R,
    hasher: Hasher,
    expected: Digest,
    left: u64,
    failed: bool,
}

impl<R: Read> Verified<R> {
    pub fn new(inner: R, expected: Digest, len: u64) -> Verified<R> {
        Verified {
            inner,
            hasher: Hasher::new(expected.algorithm()),
            expected,
            left: len,
            failed: false,
        }
    }

    fn damaged(&mut self, what: &str) -> io::Error {
        self.failed = true;
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("blob {} is damaged on disk: {what}", self.expected),
        )
    }
}

impl<R: Read> Read for Verified<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.failed {
            return Err(self.damaged("already failed"));
        }
        if self.left == 0 {
            return Ok(0);
        }
        let want = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(self.damaged("shorter than its size"));
        }
        self.hasher.update(&buf[..n]);
        self.left -= n as u64;
        if self.left == 0 {
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? != 0 {
                return Err(self.damaged("longer than its size"));
            }
            if self.hasher.finish() != self.expected {
                return Err(self.damaged("its bytes do not match its digest"));
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8], digest: &Digest, len: u64) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        Verified::new(bytes, digest.clone(), len).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn good_bytes_pass_and_damaged_ones_fail_before_the_end() {
        let good = b"hello world".to_vec();
        let d = Digest::sha256_of(&good);
        assert_eq!(read_all(&good, &d, 11).unwrap(), good);
        let mut flipped = good.clone();
        flipped[3] ^= 1;
        assert_eq!(
            read_all(&flipped, &d, 11).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        assert!(read_all(&good[..5], &d, 11).is_err(), "truncated");
        let mut longer = good.clone();
        longer.push(b'!');
        assert!(read_all(&longer, &d, 11).is_err(), "grown");
        // The last bytes are never handed out when the whole does not match.
        let mut r = Verified::new(&flipped[..], d.clone(), 11);
        let mut buf = [0u8; 6];
        r.read_exact(&mut buf).unwrap();
        let mut rest = [0u8; 5];
        assert!(r.read_exact(&mut rest).is_err());
        assert!(r.read(&mut rest).is_err(), "stays failed");
    }
}
