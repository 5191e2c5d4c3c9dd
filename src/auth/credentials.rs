//! Parsing the `Authorization` header into one of the credentials `docs/contract.md` lists.

use base64::Engine;

use crate::error::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// `Basic user:secret`, the secret a password or an API key.
    Basic { user: String, secret: String },
    /// `Token <apikey>` (Alauda).
    ApiKey(String),
    /// `Token signature=...,repository="ns/repo",access=read|write|delete` (Index).
    AccessToken {
        signature: String,
        repository: String,
        access: String,
    },
    /// `Bearer <token>`: a registry token (`auth::bearer`), valid on `/v2` routes only.
    Bearer(String),
}

fn malformed() -> Error {
    Error::unauthorized("malformed Authorization header")
}

/// `None` when there is no header; an error when it cannot be understood.
pub fn parse(header: Option<&[u8]>) -> Result<Option<Credential>, Error> {
    let Some(raw) = header else {
        return Ok(None);
    };
    let value = std::str::from_utf8(raw).map_err(|_| malformed())?.trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .map_err(|_| malformed())?;
        let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
        let (user, secret) = decoded.split_once(':').ok_or_else(malformed)?;
        return Ok(Some(Credential::Basic {
            user: user.to_owned(),
            secret: secret.to_owned(),
        }));
    }
    if scheme.eq_ignore_ascii_case("token") {
        if rest.is_empty() {
            return Err(malformed());
        }
        if !rest.contains('=') {
            return Ok(Some(Credential::ApiKey(rest.to_owned())));
        }
        let (mut signature, mut repository, mut access) = (None, None, None);
        for part in rest.split(',') {
            let (k, v) = part.trim().split_once('=').ok_or_else(malformed)?;
            let v = v.trim().trim_matches('"').to_owned();
            match k.trim() {
                "signature" => signature = Some(v),
                "repository" => repository = Some(v),
                "access" => access = Some(v),
                _ => {}
            }
        }
        return match (signature, repository, access) {
            (Some(signature), Some(repository), Some(access)) if !signature.is_empty() => {
                Ok(Some(Credential::AccessToken {
                    signature,
                    repository,
                    access,
                }))
            }
            _ => Err(malformed()),
        };
    }
    if scheme.eq_ignore_ascii_case("bearer") {
        if rest.is_empty() {
            return Err(malformed());
        }
        return Ok(Some(Credential::Bearer(rest.to_owned())));
    }
    Err(Error::unauthorized("unsupported authorization scheme"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(s: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(s)
        )
    }

    #[test]
    fn parses_basic() {
        let h = basic("admin:pa:ss");
        assert_eq!(
            parse(Some(h.as_bytes())).unwrap(),
            Some(Credential::Basic {
                user: "admin".into(),
                secret: "pa:ss".into()
            })
        );
    }

    #[test]
    fn parses_both_token_forms() {
        assert_eq!(
            parse(Some(b"Token brt_abc")).unwrap(),
            Some(Credential::ApiKey("brt_abc".into()))
        );
        assert_eq!(
            parse(Some(
                b"Token signature=123abc,repository=\"foo/bar\",access=write"
            ))
            .unwrap(),
            Some(Credential::AccessToken {
                signature: "123abc".into(),
                repository: "foo/bar".into(),
                access: "write".into()
            })
        );
    }

    #[test]
    fn absent_header_is_anonymous() {
        assert_eq!(parse(None).unwrap(), None);
    }

    #[test]
    fn a_bearer_token_is_kept_for_the_registry() {
        assert_eq!(
            parse(Some(b"Bearer abc.def")).unwrap(),
            Some(Credential::Bearer("abc.def".into()))
        );
        assert_eq!(
            parse(Some(b"bearer  abc ")).unwrap(),
            Some(Credential::Bearer("abc".into()))
        );
    }

    #[test]
    fn garbage_is_refused_with_401() {
        let no_colon = basic("admin");
        for bad in [
            "Basic !!!".as_bytes(),
            no_colon.as_bytes(),
            b"Token ",
            b"Token signature=,repository=\"a/b\",access=read",
            b"Token repository=\"a/b\"",
            b"Bearer ",
            b"Negotiate xyz",
            b"\xff\xfe",
        ] {
            let e = parse(Some(bad)).unwrap_err();
            assert_eq!(e.status.as_u16(), 401, "{bad:?}");
        }
    }
}
