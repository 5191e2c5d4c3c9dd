//! A deliberately dumb HTTP/1.1 client over `std::net::TcpStream`: it sends exactly the bytes
//! it is given (no URL parsing, no header validation, no normalisation), so malformed request
//! lines, invalid percent-encoding, raw bytes and lying `Content-Length`s reach the server as
//! written. It reads one answer back: status, headers and body (by `Content-Length`, chunked,
//! or until the server closes).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

/// How long one answer may take before the probe counts as unanswered (not a timing
/// assertion: a server that never answers is what it catches).
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// A request body.
#[derive(Clone, Debug)]
pub enum Body {
    None,
    /// These bytes (shared between probes), with a matching `Content-Length`.
    Bytes(Arc<[u8]>),
    /// `len` bytes of `fill`, with a matching `Content-Length`, written in pieces.
    Filled {
        len: usize,
        fill: u8,
    },
    /// `len` bytes of `fill` as `Transfer-Encoding: chunked` (no length up front).
    Chunked {
        len: usize,
        fill: u8,
    },
    /// Claim `claimed` bytes in `Content-Length`, send `sent`, then close our side.
    Lying {
        claimed: u64,
        sent: Vec<u8>,
    },
}

impl Body {
    pub fn bytes(b: impl Into<Vec<u8>>) -> Body {
        Body::Bytes(b.into().into())
    }

    /// Headers the body needs.
    fn framing(&self) -> Option<String> {
        match self {
            Body::None => None,
            Body::Bytes(b) => Some(format!("Content-Length: {}\r\n", b.len())),
            Body::Filled { len, .. } => Some(format!("Content-Length: {len}\r\n")),
            Body::Chunked { .. } => Some("Transfer-Encoding: chunked\r\n".to_owned()),
            Body::Lying { claimed, .. } => Some(format!("Content-Length: {claimed}\r\n")),
        }
    }

    fn write_to(&self, w: &mut impl Write) -> io::Result<()> {
        match self {
            Body::None => Ok(()),
            Body::Bytes(b) => w.write_all(b),
            Body::Filled { len, fill } => {
                let piece = vec![*fill; 64 * 1024];
                let mut left = *len;
                while left > 0 {
                    let n = left.min(piece.len());
                    w.write_all(&piece[..n])?;
                    left -= n;
                }
                Ok(())
            }
            Body::Chunked { len, fill } => {
                let piece = vec![*fill; 64 * 1024];
                let mut left = *len;
                while left > 0 {
                    let n = left.min(piece.len());
                    w.write_all(format!("{n:x}\r\n").as_bytes())?;
                    w.write_all(&piece[..n])?;
                    w.write_all(b"\r\n")?;
                    left -= n;
                }
                w.write_all(b"0\r\n\r\n")
            }
            Body::Lying { sent, .. } => w.write_all(sent),
        }
    }

    /// Big bodies go on a connection of their own, written by a second thread while the
    /// answer is read: the server may answer (413) and close before it has read them, and an
    /// answer left unread when the connection is reset would be lost.
    fn is_big(&self) -> bool {
        match self {
            Body::Filled { len, .. } | Body::Chunked { len, .. } => *len > 256 * 1024,
            _ => false,
        }
    }
}

/// One request as bytes: either a head we assemble, or bytes sent exactly as given.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// The request target exactly as it goes on the request line.
    pub target: String,
    /// Header lines (name, raw value bytes), after `Host` unless `no_host`.
    pub headers: Vec<(String, Arc<[u8]>)>,
    pub body: Body,
    /// Leave the `Host` header out (the probe sets its own, or none).
    pub no_host: bool,
    /// Bytes sent instead of everything above (a raw malformed request).
    pub raw: Option<Vec<u8>>,
    /// Use a connection of its own and never reuse it.
    pub fresh: bool,
    /// On that connection, close our sending side once the request is written.
    pub half_close: bool,
}

impl Request {
    pub fn new(method: &str, target: impl Into<String>) -> Request {
        Request {
            method: method.to_owned(),
            target: target.into(),
            headers: Vec::new(),
            body: Body::None,
            no_host: false,
            raw: None,
            fresh: false,
            half_close: false,
        }
    }

    pub fn raw(bytes: impl Into<Vec<u8>>) -> Request {
        let mut r = Request::new("RAW", "");
        r.raw = Some(bytes.into());
        r.fresh = true;
        r
    }

    pub fn header(mut self, name: &str, value: impl Into<Vec<u8>>) -> Request {
        self.headers.push((name.to_owned(), value.into().into()));
        self
    }

    pub fn body(mut self, body: Body) -> Request {
        if matches!(body, Body::Lying { .. }) {
            self.half_close = true;
        }
        if self.half_close || body.is_big() {
            self.fresh = true;
        }
        self.body = body;
        self
    }

    fn head(&self, host: &str) -> Vec<u8> {
        if let Some(raw) = &self.raw {
            return raw.clone();
        }
        let mut out = Vec::with_capacity(256 + self.target.len());
        out.extend_from_slice(format!("{} {} HTTP/1.1\r\n", self.method, self.target).as_bytes());
        if !self.no_host {
            out.extend_from_slice(format!("Host: {host}\r\n").as_bytes());
        }
        for (name, value) in &self.headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        if let Some(framing) = self.body.framing() {
            out.extend_from_slice(framing.as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out
    }

    pub fn is_head(&self) -> bool {
        self.method.eq_ignore_ascii_case("HEAD")
    }
}

/// What came back.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

/// One connection, kept alive between requests while the server allows it.
pub struct Client {
    addr: SocketAddr,
    conn: Option<BufReader<TcpStream>>,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Client {
        Client { addr, conn: None }
    }

    fn connect(&self) -> io::Result<TcpStream> {
        let s = TcpStream::connect(self.addr)?;
        s.set_read_timeout(Some(READ_TIMEOUT))?;
        s.set_write_timeout(Some(READ_TIMEOUT))?;
        s.set_nodelay(true)?;
        Ok(s)
    }

    /// Send `req` and read its answer. `Err` means the server answered nothing (it closed,
    /// reset or timed out before a status line), which the sweep counts as a failure.
    pub fn send(&mut self, req: &Request) -> Result<Answer, String> {
        let host = self.addr.to_string();
        if req.fresh || req.raw.is_some() {
            self.conn = None;
            return self.send_fresh(req, &host);
        }
        // A kept-alive connection the server has closed meanwhile fails before any answer
        // byte; one retry on a new connection tells that apart from a real non-answer.
        let reused = self.conn.is_some();
        match self.send_kept(req, &host) {
            Ok(a) => Ok(a),
            Err((e, nothing_read)) if reused && nothing_read => {
                self.conn = None;
                self.send_kept(req, &host)
                    .map_err(|(e2, _)| format!("{e}; retry: {e2}"))
            }
            Err((e, _)) => Err(e),
        }
    }

    fn send_kept(&mut self, req: &Request, host: &str) -> Result<Answer, (String, bool)> {
        if self.conn.is_none() {
            let s = self
                .connect()
                .map_err(|e| (format!("connect: {e}"), false))?;
            self.conn = Some(BufReader::new(s));
        }
        let conn = self.conn.as_mut().expect("connection just made");
        let write = (|| {
            let s = conn.get_mut();
            s.write_all(&req.head(host))?;
            req.body.write_to(s)?;
            s.flush()
        })();
        if let Err(e) = write {
            self.conn = None;
            return Err((format!("write: {e}"), true));
        }
        match read_answer(conn, req.is_head()) {
            Ok(a) => {
                if a.closes() {
                    self.conn = None;
                }
                Ok(a)
            }
            Err((e, nothing_read)) => {
                self.conn = None;
                Err((e, nothing_read))
            }
        }
    }

    fn send_fresh(&mut self, req: &Request, host: &str) -> Result<Answer, String> {
        let stream = self.connect().map_err(|e| format!("connect: {e}"))?;
        let head = req.head(host);
        let body = req.body.clone();
        let half_close = req.half_close;
        let mut writer = stream.try_clone().map_err(|e| e.to_string())?;
        // Written on another thread: the answer is read at the same time, however early the
        // server gives it.
        let sender = std::thread::spawn(move || {
            let _ = (|| -> io::Result<()> {
                writer.write_all(&head)?;
                body.write_to(&mut writer)?;
                writer.flush()?;
                if half_close {
                    writer.shutdown(Shutdown::Write)?;
                }
                Ok(())
            })();
        });
        let mut reader = BufReader::new(stream);
        let answer = read_answer(&mut reader, req.is_head()).map_err(|(e, _)| e);
        // Unblock a writer the server stopped reading from.
        let _ = reader.get_ref().shutdown(Shutdown::Both);
        let _ = sender.join();
        answer
    }
}

/// Read one answer (skipping interim 1xx). The flag says whether nothing at all was read.
fn read_answer(r: &mut BufReader<TcpStream>, head_request: bool) -> Result<Answer, (String, bool)> {
    let mut first = true;
    loop {
        let mut status_line = String::new();
        match read_line(r, &mut status_line) {
            Ok(0) => return Err(("closed without an answer".to_owned(), first)),
            Ok(_) => {}
            Err(e) => return Err((format!("read: {e}"), first)),
        }
        first = false;
        let status: u16 = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| (format!("bad status line {status_line:?}"), false))?;
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            match read_line(r, &mut line) {
                Ok(0) => return Err(("closed inside the answer's head".to_owned(), false)),
                Ok(_) => {}
                Err(e) => return Err((format!("read head: {e}"), false)),
            }
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
        if (100..200).contains(&status) {
            continue;
        }
        let mut answer = Answer {
            status,
            headers,
            body: Vec::new(),
        };
        if head_request || status == 204 || status == 304 {
            return Ok(answer);
        }
        let chunked = answer
            .header("transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
        let length = answer
            .header("content-length")
            .and_then(|v| v.parse::<usize>().ok());
        let body = if chunked {
            read_chunked(r)
        } else if let Some(n) = length {
            let mut b = vec![0; n];
            r.read_exact(&mut b).map(|_| b)
        } else {
            let mut b = Vec::new();
            r.read_to_end(&mut b).map(|_| b)
        };
        answer.body = body.map_err(|e| (format!("read body: {e}"), false))?;
        return Ok(answer);
    }
}

fn read_line(r: &mut BufReader<TcpStream>, out: &mut String) -> io::Result<usize> {
    let mut bytes = Vec::new();
    let n = r.read_until(b'\n', &mut bytes)?;
    out.push_str(&String::from_utf8_lossy(&bytes));
    Ok(n)
}

fn read_chunked(r: &mut BufReader<TcpStream>) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut line = String::new();
        read_line(r, &mut line)?;
        let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
        if size == 0 {
            // Trailers, then the blank line.
            loop {
                let mut t = String::new();
                if read_line(r, &mut t)? == 0 || t.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        let mut chunk = vec![0; size + 2];
        r.read_exact(&mut chunk)?;
        chunk.truncate(size);
        body.extend_from_slice(&chunk);
    }
}
