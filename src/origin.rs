//! How clients reach this server: the one rule every absolute link, pull command and
//! `X-Docker-Endpoints` follows (Alauda paging links, RegistryUI `pullCommand`, Index
//! endpoints, the web UI's pull commands).
//!
//! 1. `--public-address` when set (`host[:port]`, or with a scheme: `https://hub.example`).
//! 2. Otherwise, only when the operator says a proxy in front is trusted (`--trust-proxy`),
//!    the proxy's `X-Forwarded-Host` and `X-Forwarded-Proto`.
//! 3. Otherwise the request's `Host`.
//!
//! The scheme is the public address's, else a trusted proxy's, else `https` when Berth is
//! said to be served over HTTPS (`--secure-cookies`), else `http`. Forwarded headers from an
//! untrusted client are never believed: anyone can send them.

use actix_web::http::header::{HeaderMap, HOST};

use crate::config::Config;

/// Scheme and `host[:port]` clients should use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub scheme: &'static str,
    pub host: String,
}

/// The public origin for a request with `headers` (`fallback_host` when it has no `Host`).
pub fn of(config: &Config, headers: &HeaderMap, fallback_host: &str) -> Origin {
    let default_scheme = if config.secure_cookies {
        "https"
    } else {
        "http"
    };
    let forwarded = |name: &str| {
        config
            .trust_proxy
            .then(|| first_value(headers, name))
            .flatten()
    };
    let forwarded_scheme = forwarded("x-forwarded-proto").and_then(|p| scheme(&p));
    if let Some(address) = &config.public_address {
        let (scheme, host) = split_scheme(address);
        return Origin {
            scheme: scheme
                .or(config.public_scheme)
                .or(forwarded_scheme)
                .unwrap_or(default_scheme),
            host: host.to_owned(),
        };
    }
    let host = forwarded("x-forwarded-host")
        .or_else(|| first_value(headers, HOST.as_str()))
        .unwrap_or_else(|| fallback_host.to_owned());
    Origin {
        scheme: forwarded_scheme.unwrap_or(default_scheme),
        host,
    }
}

/// `https://hub.example` is `(Some("https"), "hub.example")`; a bare host has no scheme.
pub fn split_scheme(address: &str) -> (Option<&'static str>, &str) {
    for s in ["https", "http"] {
        if let Some(host) = address
            .get(..s.len() + 3)
            .filter(|p| p.eq_ignore_ascii_case(&format!("{s}://")))
            .and_then(|_| address.get(s.len() + 3..))
        {
            return (Some(s), host.trim_end_matches('/'));
        }
    }
    (None, address.trim_end_matches('/'))
}

fn scheme(value: &str) -> Option<&'static str> {
    ["https", "http"]
        .into_iter()
        .find(|s| value.eq_ignore_ascii_case(s))
}

/// The first of a header's comma-separated values (proxies append theirs), when it is
/// printable and not empty.
fn first_value(headers: &HeaderMap, name: &str) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?;
    let first = value.split(',').next()?.trim();
    (!first.is_empty() && first.bytes().all(|b| b.is_ascii_graphic())).then(|| first.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    fn config(public: Option<&str>, trust: bool, secure: bool) -> Config {
        let mut c = Config::new("/nonexistent".into());
        c.public_address = public.map(str::to_owned);
        c.trust_proxy = trust;
        c.secure_cookies = secure;
        c
    }

    fn origin(c: &Config, pairs: &[(&str, &str)]) -> (String, String) {
        let o = of(c, &headers(pairs), "fallback:5000");
        (o.scheme.to_owned(), o.host)
    }

    fn pair(scheme: &str, host: &str) -> (String, String) {
        (scheme.to_owned(), host.to_owned())
    }

    const PROXIED: &[(&str, &str)] = &[
        ("host", "10.0.0.5:5000"),
        ("x-forwarded-host", "hub.example, inner.example"),
        ("x-forwarded-proto", "https"),
    ];

    #[test]
    fn forwarded_headers_count_only_behind_a_trusted_proxy() {
        assert_eq!(
            origin(&config(None, false, false), PROXIED),
            pair("http", "10.0.0.5:5000")
        );
        assert_eq!(
            origin(&config(None, true, false), PROXIED),
            pair("https", "hub.example")
        );
        // A trusted proxy that sends only one of the two.
        assert_eq!(
            origin(
                &config(None, true, false),
                &[("host", "h:1"), ("x-forwarded-proto", "https")]
            ),
            pair("https", "h:1")
        );
        // A scheme that is neither is not believed.
        assert_eq!(
            origin(
                &config(None, true, false),
                &[("host", "h:1"), ("x-forwarded-proto", "gopher")]
            ),
            pair("http", "h:1")
        );
    }

    #[test]
    fn the_public_address_wins_and_may_carry_its_scheme() {
        assert_eq!(
            origin(&config(Some("hub.example:443"), false, false), PROXIED),
            pair("http", "hub.example:443")
        );
        assert_eq!(
            origin(&config(Some("https://hub.example/"), false, false), PROXIED),
            pair("https", "hub.example")
        );
        assert_eq!(
            origin(&config(Some("hub.example"), true, false), PROXIED),
            pair("https", "hub.example")
        );
        assert_eq!(
            origin(&config(Some("hub.example"), false, true), &[]),
            pair("https", "hub.example")
        );
    }

    #[test]
    fn without_a_host_the_servers_own_name_is_used() {
        assert_eq!(
            origin(&config(None, false, false), &[]),
            pair("http", "fallback:5000")
        );
    }
}
