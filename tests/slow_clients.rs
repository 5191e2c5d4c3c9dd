//! Slow clients (issue 12) over real TCP: a request body or head that stops arriving is
//! dropped after the configured timeout, while other clients are served meanwhile; a slow
//! body that keeps arriving still succeeds.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{TestApp, ADMIN, ADMIN_PASSWORD};

/// The header timeout the tests configure (seconds).
const HEADER: u64 = 2;
/// The body idle timeout the tests configure (seconds).
const BODY: u64 = 1;

fn app() -> TestApp {
    TestApp::start_with(|c| {
        c.header_timeout_secs = HEADER;
        c.body_timeout_secs = BODY;
    })
}

fn connect(app: &TestApp) -> TcpStream {
    let s = TcpStream::connect(app.addr).expect("connect");
    s.set_nodelay(true).expect("nodelay");
    s
}

/// A request head promising a JSON body of `len` bytes, as the admin.
fn head(method: &str, path: &str, len: usize) -> String {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: berth.test\r\nAuthorization: {}\r\n\
         Content-Type: application/json\r\nContent-Length: {len}\r\n\r\n",
        common::basic(ADMIN, ADMIN_PASSWORD)
    )
}

/// Everything the server sends until it closes the connection, and when it closed it;
/// `None` for the time if it was still open after `wait`.
fn read_until_closed(s: &mut TcpStream, wait: Duration) -> (String, Option<Instant>) {
    let end = Instant::now() + wait;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return (String::from_utf8_lossy(&got).into_owned(), None);
        }
        s.set_read_timeout(Some(left)).expect("read timeout");
        match s.read(&mut buf) {
            Ok(0) => {
                return (
                    String::from_utf8_lossy(&got).into_owned(),
                    Some(Instant::now()),
                )
            }
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            // A reset is a close too.
            Err(_) => {
                return (
                    String::from_utf8_lossy(&got).into_owned(),
                    Some(Instant::now()),
                )
            }
        }
    }
}

/// `GET /healthz` answers at once.
fn healthz_answers_at_once(app: &TestApp) {
    let started = Instant::now();
    let r = app.get("/healthz").send();
    assert_eq!(r.status, 200);
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "/healthz took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_stalled_body_gets_408_in_the_envelope_and_is_closed_while_others_are_served() {
    let app = app();
    for (path, envelope) in [
        (
            "/api/v0/accounts",
            r#"{"errors":[{"code":"REQUEST_TIMEOUT","message":"the request body stopped arriving"}]}"#,
        ),
        (
            "/v1/users",
            r#"{"error":"the request body stopped arriving"}"#,
        ),
    ] {
        let mut s = connect(&app);
        s.write_all(head("POST", path, 1000).as_bytes()).unwrap();
        s.write_all(br#"{"type": "#).unwrap();
        let stalled_at = Instant::now();
        // Meanwhile, others are served.
        healthz_answers_at_once(&app);
        let (answer, closed) = read_until_closed(&mut s, Duration::from_secs(BODY + 5));
        let closed = closed.unwrap_or_else(|| panic!("{path}: still open; got {answer:?}"));
        let took = closed - stalled_at;
        assert!(
            took >= Duration::from_millis(BODY * 1000 - 200)
                && took < Duration::from_secs(BODY + 3),
            "{path}: closed after {took:?}"
        );
        assert!(answer.starts_with("HTTP/1.1 408 "), "{path}: {answer:?}");
        assert!(
            answer.to_ascii_lowercase().contains("connection: close"),
            "{answer:?}"
        );
        assert!(answer.ends_with(envelope), "{path}: {answer:?}");
    }
    // Nothing was created by the half-sent bodies, and the server still serves.
    healthz_answers_at_once(&app);
}

#[test]
fn a_slow_body_that_keeps_arriving_succeeds() {
    let app = app();
    let body = br#"{"type": "organization",    "name": "slowpoke"}"#;
    let mut s = connect(&app);
    s.write_all(head("POST", "/api/v0/accounts", body.len()).as_bytes())
        .unwrap();
    // Five pieces, each within the idle limit, the whole well over it.
    let started = Instant::now();
    for piece in body.chunks(body.len().div_ceil(5)) {
        std::thread::sleep(Duration::from_millis(BODY * 600));
        s.write_all(piece).unwrap();
    }
    assert!(started.elapsed() > Duration::from_secs(BODY * 2));
    s.write_all(b"").unwrap();
    let mut answer = Vec::new();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&answer).contains("slowpoke") {
        let n = s.read(&mut buf).expect("an answer");
        assert!(n > 0, "closed: {:?}", String::from_utf8_lossy(&answer));
        answer.extend_from_slice(&buf[..n]);
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    let r = app.get("/api/v0/accounts/slowpoke").admin().send();
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn a_stalled_request_head_is_dropped_first_or_later_on_a_connection() {
    let app = app();
    let limit = Duration::from_secs(HEADER + 3);
    // The first request of a connection, cut in the middle of its head: actix's own 408.
    let mut s = connect(&app);
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: berth.test\r\n")
        .unwrap();
    let started = Instant::now();
    healthz_answers_at_once(&app);
    let (answer, closed) = read_until_closed(&mut s, limit);
    let closed = closed.unwrap_or_else(|| panic!("first head: still open; got {answer:?}"));
    assert!(
        closed - started < Duration::from_secs(HEADER + 2),
        "{:?}",
        closed - started
    );
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408 "),
        "{answer:?}"
    );

    // A later request on a kept-alive connection: one answer, then half a head.
    let mut s = connect(&app);
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: berth.test\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 4096];
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut first = Vec::new();
    while !String::from_utf8_lossy(&first).contains("\"ok\"") {
        let n = s.read(&mut buf).expect("first answer");
        assert!(n > 0);
        first.extend_from_slice(&buf[..n]);
    }
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: berth.test\r\n")
        .unwrap();
    let started = Instant::now();
    healthz_answers_at_once(&app);
    let (answer, closed) = read_until_closed(&mut s, limit);
    assert!(
        closed.is_some(),
        "later head: still open after {limit:?}; got {answer:?}"
    );
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408 "),
        "{answer:?}"
    );
    let took = closed.unwrap() - started;
    assert!(
        took < Duration::from_secs(HEADER + 2),
        "later head closed after {took:?}"
    );

    // A head trickled a byte at a time is cut all the same: a deadline, not an idle limit.
    let mut s = connect(&app);
    let trickle =
        b"GET /healthz HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let started = Instant::now();
    let mut cut = None;
    for b in trickle {
        if s.write_all(&[*b]).is_err() {
            cut = Some(started.elapsed());
            break;
        }
        let (_, closed) = read_until_closed(&mut s, Duration::from_millis(250));
        if closed.is_some() {
            cut = Some(started.elapsed());
            break;
        }
    }
    let cut = cut.expect("a trickled head kept its connection");
    assert!(
        cut < Duration::from_secs(HEADER + 3),
        "trickle cut after {cut:?}"
    );
}

#[test]
fn many_stalled_connections_do_not_stop_a_normal_client() {
    let app = app();
    const STALLED: usize = 50;
    let mut stalled: Vec<TcpStream> = (0..STALLED)
        .map(|i| {
            let mut s = connect(&app);
            if i % 2 == 0 {
                s.write_all(head("POST", "/v1/users", 1000).as_bytes())
                    .unwrap();
                s.write_all(b"{\"userna").unwrap();
            } else {
                s.write_all(b"GET /healthz HTTP/1.1\r\nHost: b").unwrap();
            }
            s
        })
        .collect();
    // A normal client is served at once, reads and writes.
    for _ in 0..5 {
        healthz_answers_at_once(&app);
    }
    let started = Instant::now();
    let r = app
        .post("/api/v0/accounts")
        .admin()
        .json(&serde_json::json!({"type": "organization", "name": "busy-day"}))
        .send();
    assert!(r.status < 300, "{} {}", r.status, r.body);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // And every stalled connection is closed within the limits.
    let limit = Duration::from_secs(HEADER.max(BODY) + 4);
    for (i, s) in stalled.iter_mut().enumerate() {
        let (answer, closed) = read_until_closed(s, limit);
        assert!(
            closed.is_some(),
            "stalled connection {i} still open: {answer:?}"
        );
    }
}
