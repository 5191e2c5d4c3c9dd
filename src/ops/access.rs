//! One middleware that sees every request: it counts and times it for `/metrics` and writes
//! the access log line, `berth::access` at level info, one JSON object per request:
//!
//! ```text
//! {"method":"GET","path":"/api/v0/repositories/acme","route":"/api/v0/repositories/{namespace}",
//!  "dialect":"dtr","status":200,"ms":1.42,"caller":"alice","via":"apikey","peer":"10.0.0.7",
//!  "agent":"python-requests/2.32"}
//! ```
//!
//! `route` is the pattern that matched (`null` when none did); `dialect` is `dtr`, `index`,
//! `alauda`, `cloud`, `registryui`, `web` or `other`.
//!
//! No secret reaches it: the path is logged without its query string, and the caller is the
//! account name the credentials proved (never the credentials); a failed or anonymous request
//! has `"caller":null`.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::USER_AGENT;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest};
use serde::Serialize;
use serde_json::json;

use crate::api::dialect;
use crate::AppState;

/// Who a request proved to be, noted by the authentication extractors.
#[derive(Debug, Clone)]
pub struct CallerNote {
    pub name: String,
    /// `password`, `apikey`, `token` (an Index access token) or `session`.
    pub via: &'static str,
}

pub fn note_caller(req: &HttpRequest, name: &str, via: &'static str) {
    req.extensions_mut().insert(CallerNote {
        name: name.to_owned(),
        via,
    });
}

/// The dialect label of a request: what the handler noted, else what the route or the path
/// prefix says ([`dialect::label`]).
fn dialect_label(req: &HttpRequest, route: Option<&str>) -> &'static str {
    let noted = req.extensions().get::<dialect::ServedBy>().map(|s| s.0);
    dialect::label(req.match_info().as_str(), req.method(), route, noted)
}

/// Methods as labels: the standard ones by name, anything else as `other`, so a client
/// cannot grow the label set.
fn method_label(m: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let _in_flight = state.as_ref().map(|s| s.metrics.start());
    let method = method_label(req.method());
    // The path as the client sent it (routing trims a final `/`), for the log only.
    let logging = log::log_enabled!(target: "berth::access", log::Level::Info);
    let path = if logging {
        req.path().to_owned()
    } else {
        String::new()
    };
    let result = next.call(req).await;
    let took = started.elapsed();
    let Ok(res) = &result else {
        log::info!(target: "berth::access", "{}", json!({
            "method": method, "path": path, "route": null, "status": null,
            "ms": ms(took), "error": "the request failed before it was answered",
        }));
        return result;
    };
    let req = res.request();
    // `match_pattern` ignores guards: an API path the web UI's `/{ns}` patterns refused is
    // no page.
    let route = req
        .match_pattern()
        .filter(|r| !r.starts_with("/{ns}") || !dialect::is_api_path(req.match_info().as_str()));
    let dialect = dialect_label(req, route.as_deref());
    let status = res.status();
    let route_label = route.as_deref().unwrap_or("unmatched");
    if let Some(state) = &state {
        state
            .metrics
            .observe(dialect, method, route_label, status.as_str(), took);
    }
    let status = status.as_u16();
    if logging {
        let caller = req.extensions().get::<CallerNote>().cloned();
        let agent = req
            .headers()
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|a| a.chars().take(120).collect::<String>());
        let line = Line {
            method,
            path: &path,
            route: route.as_deref(),
            dialect,
            status,
            ms: ms(took),
            caller: caller.as_ref().map(|c| c.name.as_str()),
            via: caller.as_ref().map(|c| c.via),
            peer: req.peer_addr().map(|a| a.ip().to_string()),
            agent: agent.as_deref(),
        };
        if let Ok(text) = serde_json::to_string(&line) {
            log::info!(target: "berth::access", "{text}");
        }
    }
    result
}

/// One access log line, fields in this order.
#[derive(Serialize)]
struct Line<'a> {
    method: &'a str,
    path: &'a str,
    route: Option<&'a str>,
    dialect: &'a str,
    status: u16,
    ms: f64,
    caller: Option<&'a str>,
    via: Option<&'a str>,
    peer: Option<String>,
    agent: Option<&'a str>,
}

/// Milliseconds with microsecond precision.
fn ms(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::Method;

    #[test]
    fn unknown_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
        assert_eq!(method_label(&Method::TRACE), "other");
    }

    #[test]
    fn durations_are_milliseconds_to_the_microsecond() {
        assert_eq!(ms(std::time::Duration::from_micros(1_234_567)), 1234.567);
    }
}
