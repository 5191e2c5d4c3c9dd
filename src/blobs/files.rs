//! Blobs as files in the data folder, laid out as distribution lays them:
//! `blobs/sha256/ab/abcd...` (one file per digest, however many repositories link it) and
//! `uploads/<id>` for the bytes of upload sessions. A blob file appears by a rename of its
//! fsynced upload, followed by an fsync of its folder, so a crash leaves either no file or
//! the whole, verified one; files are owner-only, like the rest of the data folder.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use actix_web::web::Bytes;

use super::{BlobStore, Digest};

/// Blobs and uploads under one folder.
pub struct FileStore {
    blobs: PathBuf,
    uploads: PathBuf,
}

impl FileStore {
    /// The store in `data_dir` (`blobs/` and `uploads/` are created, owner-only).
    pub fn open(data_dir: &Path) -> io::Result<FileStore> {
        let store = FileStore {
            blobs: data_dir.join("blobs"),
            uploads: data_dir.join("uploads"),
        };
        make_dir(&store.blobs)?;
        make_dir(&store.uploads)?;
        Ok(store)
    }

    fn blob_dir(&self, digest: &Digest) -> PathBuf {
        let hex = digest.hex();
        self.blobs
            .join(digest.algorithm().as_str())
            .join(hex.get(..2).unwrap_or(hex))
    }

    /// Where the blob `digest` lives.
    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.blob_dir(digest).join(digest.hex())
    }

    fn upload_path(&self, id: &str) -> io::Result<PathBuf> {
        let ok = !id.is_empty()
            && id.len() <= 64
            && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
        if !ok {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not an upload id",
            ));
        }
        Ok(self.uploads.join(id))
    }
}

fn make_dir(dir: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// fsync a folder, so that a rename or a new entry in it survives a crash.
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

impl BlobStore for FileStore {
    fn size(&self, digest: &Digest) -> io::Result<Option<u64>> {
        match fs::metadata(self.blob_path(digest)) {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn open(&self, digest: &Digest, offset: u64) -> io::Result<Box<dyn Read + Send>> {
        let mut f = File::open(self.blob_path(digest))?;
        if offset > 0 {
            f.seek(SeekFrom::Start(offset))?;
        }
        Ok(Box::new(f))
    }

    fn create_upload(&self, id: &str) -> io::Result<()> {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(self.upload_path(id)?)?;
        Ok(())
    }

    fn write_upload(&self, id: &str, offset: u64, chunks: &[Bytes]) -> io::Result<()> {
        let mut f = OpenOptions::new().write(true).open(self.upload_path(id)?)?;
        f.seek(SeekFrom::Start(offset))?;
        for chunk in chunks {
            f.write_all(chunk)?;
        }
        Ok(())
    }

    fn sync_upload(&self, id: &str) -> io::Result<()> {
        OpenOptions::new()
            .write(true)
            .open(self.upload_path(id)?)?
            .sync_data()
    }

    fn upload_len(&self, id: &str) -> io::Result<Option<u64>> {
        match fs::metadata(self.upload_path(id)?) {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn truncate_upload(&self, id: &str, len: u64) -> io::Result<()> {
        let f = OpenOptions::new().write(true).open(self.upload_path(id)?)?;
        f.set_len(len)?;
        f.sync_data()
    }

    fn read_upload(&self, id: &str, offset: u64) -> io::Result<Box<dyn Read + Send>> {
        let mut f = File::open(self.upload_path(id)?)?;
        f.seek(SeekFrom::Start(offset))?;
        Ok(Box::new(f))
    }

    fn commit_upload(&self, id: &str, digest: &Digest) -> io::Result<()> {
        let from = self.upload_path(id)?;
        let dir = self.blob_dir(digest);
        let to = dir.join(digest.hex());
        if to.exists() {
            // One copy per digest: the bytes are the same (the caller checked them).
            return self.remove_upload(id);
        }
        File::open(&from)?.sync_all()?;
        make_dir(&dir)?;
        fs::rename(&from, &to)?;
        sync_dir(&dir)?;
        // The folders themselves, in case they were just made.
        if let Some(parent) = dir.parent() {
            sync_dir(parent)?;
            sync_dir(&self.blobs)?;
        }
        sync_dir(&self.uploads)
    }

    fn remove_upload(&self, id: &str) -> io::Result<()> {
        match fs::remove_file(self.upload_path(id)?) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    fn upload_ids(&self) -> io::Result<Vec<String>> {
        let mut ids = Vec::new();
        for entry in fs::read_dir(&self.uploads)? {
            if let Some(name) = entry?.file_name().to_str() {
                ids.push(name.to_owned());
            }
        }
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_becomes_a_blob_at_its_digest_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(dir.path()).unwrap();
        let id = "0f5d2a1e-0000-4000-8000-000000000001";
        store.create_upload(id).unwrap();
        store
            .write_upload(
                id,
                0,
                &[Bytes::from_static(b"hello "), Bytes::from_static(b"world")],
            )
            .unwrap();
        store.sync_upload(id).unwrap();
        assert_eq!(store.upload_len(id).unwrap(), Some(11));
        let digest = Digest::sha256_of(b"hello world");
        assert_eq!(store.size(&digest).unwrap(), None);
        store.commit_upload(id, &digest).unwrap();
        assert_eq!(store.size(&digest).unwrap(), Some(11));
        assert_eq!(store.upload_len(id).unwrap(), None);
        let hex = digest.hex();
        let path = dir.path().join("blobs/sha256").join(&hex[..2]).join(hex);
        assert_eq!(fs::read(path).unwrap(), b"hello world");
        let mut rest = String::new();
        store
            .open(&digest, 6)
            .unwrap()
            .read_to_string(&mut rest)
            .unwrap();
        assert_eq!(rest, "world");
        // The same bytes again: the upload goes, the blob stays.
        store.create_upload(id).unwrap();
        store
            .write_upload(id, 0, &[Bytes::from_static(b"hello world")])
            .unwrap();
        store.commit_upload(id, &digest).unwrap();
        assert_eq!(store.upload_ids().unwrap(), Vec::<String>::new());
    }

    #[test]
    fn upload_ids_never_leave_the_uploads_folder() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(dir.path()).unwrap();
        for bad in ["", "../berth.db", "a/b", "x.tmp"] {
            assert!(store.create_upload(bad).is_err(), "{bad}");
            assert!(store.upload_len(bad).is_err(), "{bad}");
        }
    }
}
