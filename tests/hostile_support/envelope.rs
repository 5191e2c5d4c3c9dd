//! Which error envelope a path must answer in (API-NOTES section 0, by path prefix), and
//! whether an answer is in it.

use serde_json::Value;

use super::http::Answer;

/// The envelope an error answer must be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Envelope {
    /// `/api/v0`: `{"errors":[{"code","message"}]}`.
    Dtr,
    /// `/v1`: `{"error": string}` or a bare JSON string (the Index's compared messages).
    V1,
    /// `/api/repo/v1`: `{"error": string}`.
    Cloud,
    /// `/udr/v1api`: `{"error": string, ...}`.
    RegistryUi,
    /// `/v2`, the registry: `{"errors":[{"code","message","detail"}]}`.
    Registry,
    /// Other API paths (`/api`, `/udr`, `/healthz`, `/metrics`): `{"error": string}`.
    Generic,
    /// Every other path: an HTML page.
    Web,
}

impl Envelope {
    /// The envelope of a request target, as the server sees its path: the query cut off and
    /// runs of slashes merged (the server's `NormalizePath` runs before the envelope).
    pub fn of_target(target: &str) -> Envelope {
        let path = target.split(['?', '#']).next().unwrap_or("");
        let mut merged = String::with_capacity(path.len());
        for c in path.chars() {
            if !(c == '/' && merged.ends_with('/')) {
                merged.push(c);
            }
        }
        // The server's own prefix rule; the sweep checks it against the route table's
        // dialect for every declared route.
        use berth::api::dialect::Dialect;
        match Dialect::for_path(&merged) {
            Dialect::Dtr => Envelope::Dtr,
            Dialect::Cloud => Envelope::Cloud,
            Dialect::RegistryUi => Envelope::RegistryUi,
            Dialect::V1 => Envelope::V1,
            Dialect::Registry => Envelope::Registry,
            Dialect::Generic => Envelope::Generic,
            Dialect::Web => Envelope::Web,
        }
    }
}

/// How an answer to a hostile request came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Not an error (1xx-3xx): hostile input the server accepted or redirected.
    NotAnError,
    /// A 4xx in the path's envelope.
    Enveloped,
    /// A 4xx with no body and no content type: actix's HTTP codec refused the request
    /// before any middleware ran (malformed request line or headers, head too large).
    CodecLevel,
}

/// Judge one answer. `Err` says what is wrong with it.
pub fn judge(envelope: Envelope, head_request: bool, a: &Answer) -> Result<Verdict, String> {
    if a.status >= 500 {
        return Err(format!("{} (5xx)", a.status));
    }
    if a.status < 400 {
        return Ok(Verdict::NotAnError);
    }
    let content_type = a.header("content-type").unwrap_or("");
    if content_type.is_empty() && a.body.is_empty() {
        return Ok(Verdict::CodecLevel);
    }
    let expected_type = match envelope {
        Envelope::Web => "text/html",
        _ => "application/json",
    };
    if !content_type.starts_with(expected_type) {
        return Err(format!(
            "{} with content-type {content_type:?}, expected {expected_type}",
            a.status
        ));
    }
    if head_request {
        // No body comes back to a HEAD; the content type is all there is to check.
        return Ok(Verdict::Enveloped);
    }
    let text = String::from_utf8_lossy(&a.body);
    if envelope == Envelope::Web {
        let lower = text.to_ascii_lowercase();
        return if lower.contains("<!doctype html") && lower.contains("</html>") {
            Ok(Verdict::Enveloped)
        } else {
            Err(format!("{} web answer is not an HTML page", a.status))
        };
    }
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| format!("{} body is not JSON ({e}): {}", a.status, clip(&text)))?;
    let ok = match envelope {
        Envelope::Dtr => value
            .get("errors")
            .and_then(Value::as_array)
            .is_some_and(|errors| {
                !errors.is_empty()
                    && errors.iter().all(|e| {
                        e.get("code").is_some_and(Value::is_string)
                            && e.get("message").is_some_and(Value::is_string)
                    })
            }),
        Envelope::Registry => value
            .get("errors")
            .and_then(Value::as_array)
            .is_some_and(|errors| {
                !errors.is_empty()
                    && errors.iter().all(|e| {
                        e.get("code").is_some_and(Value::is_string)
                            && e.get("message").is_some_and(Value::is_string)
                            && e.get("detail").is_some()
                    })
            }),
        Envelope::V1 => value.is_string() || value.get("error").is_some_and(Value::is_string),
        Envelope::Cloud | Envelope::RegistryUi | Envelope::Generic => {
            value.get("error").is_some_and(Value::is_string)
        }
        Envelope::Web => unreachable!("handled above"),
    };
    if ok {
        Ok(Verdict::Enveloped)
    } else {
        Err(format!(
            "{} body not in the {envelope:?} envelope: {}",
            a.status,
            clip(&text)
        ))
    }
}

pub fn clip(s: &str) -> String {
    if s.chars().count() <= 160 {
        s.to_owned()
    } else {
        format!(
            "{}… ({} bytes)",
            s.chars().take(160).collect::<String>(),
            s.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_follow_the_path_prefix() {
        assert_eq!(Envelope::of_target("/api/v0/accounts?x=1"), Envelope::Dtr);
        assert_eq!(Envelope::of_target("//api//v0"), Envelope::Dtr);
        assert_eq!(Envelope::of_target("/api/v00"), Envelope::Generic);
        assert_eq!(Envelope::of_target("/api/repo/v1/x"), Envelope::Cloud);
        assert_eq!(Envelope::of_target("/udr/v1api/tags"), Envelope::RegistryUi);
        assert_eq!(Envelope::of_target("/v1x"), Envelope::Web);
        assert_eq!(Envelope::of_target("/healthz"), Envelope::Generic);
        assert_eq!(Envelope::of_target("/-/admin"), Envelope::Web);
    }
}
